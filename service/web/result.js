// The result: recommendation, reasons, costs, alternatives, warnings, next steps and
// commands, what-if answers, the diagram and the ways to share it. Only what the API said.

import { costChart } from "./chart.js";
import { answeredList } from "./flow.js";
import { answerLabel, h, link, moneyRange } from "./dom.js";
import { copyButton } from "./share.js";

function section(id, title, ...children) {
  return h(
    "section",
    { class: id, "aria-labelledby": `${id}-title` },
    h("h2", { id: `${id}-title` }, title),
    children,
  );
}

function costTable(costs) {
  return h(
    "table",
    { class: "costs-table" },
    h(
      "caption",
      {},
      `Monthly cost, ${costs.currency}: ${moneyRange(costs.total.low, costs.total.high)}`,
    ),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        h("th", { scope: "col" }, "Item"),
        h("th", { scope: "col" }, "Per month"),
        h("th", { scope: "col" }, "Basis"),
      ),
    ),
    h(
      "tbody",
      {},
      costs.items.map((item) =>
        h(
          "tr",
          {},
          h("th", { scope: "row" }, item.label),
          h("td", { class: "figure" }, moneyRange(item.low, item.high)),
          h("td", {}, item.basis, " ", item.source ? link(item.source, "source") : null),
        ),
      ),
    ),
  );
}

function assumptions(costs, questions) {
  const list = costs.assumptions || [];
  if (!list.length) return null;
  return h(
    "ul",
    { class: "assumptions", "aria-label": "Assumptions behind the costs" },
    list.map((a) =>
      h(
        "li",
        {},
        a.question
          ? `${questions.get(a.question)?.prompt || a.question}: ${answerLabel(questions.get(a.question), a.value)} (a default)`
          : `Price ${a.price} = ${a.value} (assumed; no primary source gives it)`,
      ),
    ),
  );
}

function recommendationSection(rec) {
  return h(
    "section",
    { class: "recommendation", "aria-labelledby": "result-title" },
    h("p", { class: "eyebrow" }, "Recommendation"),
    h("h2", { id: "result-title", tabindex: "-1" }, rec.title),
    h("p", { class: "summary" }, rec.summary),
    rec.reasons.length
      ? h(
          "ul",
          { class: "reasons" },
          rec.reasons.map((r) => h("li", {}, r)),
        )
      : null,
  );
}

// A section holding one list item per entry, or nothing when there are none.
function listSection(id, title, entries, item) {
  if (!entries.length) return null;
  return section(id, title, h("ul", {}, entries.map((entry) => h("li", {}, item(entry)))));
}

function alternativesSection(alternatives) {
  return listSection("alternatives", "Alternatives and why not", alternatives, (alt) => [
    h("h3", {}, alt.title),
    h("p", {}, alt.why_not),
    alt.costs
      ? h(
          "p",
          { class: "alt-cost" },
          `${moneyRange(alt.costs.total.low, alt.costs.total.high)} a month`,
        )
      : null,
  ]);
}

function warningsSection(warnings) {
  return listSection("warnings", "Warnings", warnings, (w) => [
    h("code", { class: "code" }, w.code),
    " ",
    w.message,
    w.source ? [" ", link(w.source, "source")] : null,
  ]);
}

function stepsSection(rec) {
  if (!rec.next_steps.length && !rec.commands.length) return null;
  const steps = rec.next_steps.map((s, i) => `${i + 1}. ${s}`).join("\n");
  return section(
    "next-steps",
    "Next steps",
    rec.next_steps.length
      ? h(
          "ol",
          {},
          rec.next_steps.map((s) => h("li", {}, s)),
        )
      : null,
    rec.next_steps.length ? copyButton("Copy the steps", steps) : null,
    rec.commands.length
      ? h(
          "ul",
          { class: "commands", "aria-label": "Commands" },
          rec.commands.map((c, i) =>
            h(
              "li",
              {},
              h(
                "div",
                { class: "copy-row" },
                h("pre", { class: "command" }, h("code", {}, c.command)),
                copyButton("Copy", c.command, `command ${i + 1}, ${c.command}`),
              ),
              h("p", { class: "meaning" }, c.meaning),
            ),
          ),
        )
      : null,
  );
}

function whatIfSection(whatIf, questions, onWhatIf) {
  if (!whatIf.length) return null;
  const byQuestion = new Map();
  for (const item of whatIf) {
    if (!byQuestion.has(item.question)) byQuestion.set(item.question, []);
    byQuestion.get(item.question).push(item);
  }
  return section(
    "what-if",
    "What if you answered differently?",
    h(
      "ul",
      {},
      [...byQuestion].map(([id, items]) => {
        const question = questions.get(id);
        return h(
          "li",
          {},
          h("p", { class: "prompt" }, question?.prompt || id),
          h(
            "div",
            { class: "actions" },
            items.map((item) =>
              h(
                "button",
                {
                  type: "button",
                  class: "what-if-choice",
                  onclick: () => onWhatIf(id, item.answer),
                },
                item.when || answerLabel(question, item.answer),
                " → ",
                h("strong", {}, item.recommendation.title),
              ),
            ),
          ),
        );
      }),
    ),
  );
}

export function renderResult(ctx) {
  const { result, questions, onWhatIf, extras } = ctx;
  const rec = result.recommendation;
  const costs = result.costs;
  const chart = costChart(result);
  return h(
    "div",
    { class: "result" },
    recommendationSection(rec),
    section("why", "Why: the path taken", answeredList(result, questions)),
    costs
      ? section(
          "costs",
          "Monthly cost",
          h("p", { class: "total" }, `${moneyRange(costs.total.low, costs.total.high)} a month`),
          chart
            ? h(
                "figure",
                {},
                chart,
                h(
                  "figcaption",
                  {},
                  "Recommendation (highlighted) against the alternatives, per month; the lighter part of a bar is the range up to the high figure.",
                ),
              )
            : null,
          costTable(costs),
          assumptions(costs, questions),
          extras.pricing,
        )
      : extras.pricing,
    alternativesSection(result.alternatives),
    warningsSection(result.warnings),
    stepsSection(rec),
    whatIfSection(result.what_if, questions, onWhatIf),
    rec.sources.length
      ? section(
          "sources",
          "Sources",
          h(
            "ul",
            {},
            rec.sources.map((s) => h("li", {}, link(s.url, s.title))),
          ),
        )
      : null,
    extras.diagram,
    extras.share,
  );
}
