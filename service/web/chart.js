// A small cost comparison chart: the recommendation against each priced alternative, as
// inline SVG (a bar to the low figure, a lighter one on to the high figure).

import { money, moneyRange } from "./dom.js";

const NS = "http://www.w3.org/2000/svg";
const ROW = 34;
const LABEL = 260;
const WIDTH = 720;
const BAR = WIDTH - LABEL - 150;

function svg(tag, attrs, text) {
  const el = document.createElementNS(NS, tag);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, String(value));
  if (text !== undefined) el.textContent = text;
  return el;
}

function shorten(text, max = 34) {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function costRows(result) {
  const rows = [];
  if (result.costs)
    rows.push({ title: result.recommendation.title, chosen: true, ...result.costs.total });
  for (const alternative of result.alternatives) {
    if (alternative.costs)
      rows.push({ title: alternative.title, chosen: false, ...alternative.costs.total });
  }
  return rows;
}

export function costChart(result) {
  const rows = costRows(result);
  if (rows.length < 2) return null;
  const top = Math.max(...rows.map((r) => r.high), 1);
  const height = rows.length * ROW + 8;
  const chart = svg("svg", {
    class: "cost-chart",
    viewBox: `0 0 ${WIDTH} ${height}`,
    role: "img",
    "aria-labelledby": "cost-chart-title",
  });
  const summary = rows.map((r) => `${r.title}: ${moneyRange(r.low, r.high)} a month`).join("; ");
  chart.append(svg("title", { id: "cost-chart-title" }, `Monthly cost compared. ${summary}`));
  rows.forEach((row, index) => {
    const y = index * ROW + 6;
    const low = (row.low / top) * BAR;
    const high = (row.high / top) * BAR;
    const group = svg("g", { class: row.chosen ? "chosen" : "alternative" });
    group.append(
      svg("text", { x: LABEL - 8, y: y + 17, "text-anchor": "end" }, shorten(row.title)),
    );
    group.append(
      svg("rect", { class: "range", x: LABEL, y, width: Math.max(high, 1), height: 22 }),
    );
    group.append(svg("rect", { class: "low", x: LABEL, y, width: Math.max(low, 1), height: 22 }));
    const figure = row.low === row.high ? money(row.low) : `${money(row.low)}–${money(row.high)}`;
    group.append(svg("text", { x: LABEL + high + 6, y: y + 17 }, figure));
    chart.append(group);
  });
  return chart;
}
