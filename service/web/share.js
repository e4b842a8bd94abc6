// Sharing a result: the page's own URL, the same call as a curl command, and a short
// Slack/Markdown snippet, each with a copy button.

import { apiUrl, evaluatePath } from "./api.js";
import { getToken } from "./auth.js";
import { announce, answerLabel, h, moneyRange } from "./dom.js";

async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // Without a secure context (plain HTTP on another host) the Clipboard API is absent.
    const area = h("textarea", { class: "visually-hidden", "aria-hidden": "true" }, text);
    document.body.append(area);
    area.select();
    const done = document.execCommand("copy");
    area.remove();
    return done;
  }
}

export function copyButton(label, text, description) {
  return h(
    "button",
    {
      type: "button",
      class: "copy",
      // The visible text first in the accessible name (WCAG 2.5.3), then what it copies.
      "aria-label": description ? `${label}: ${description}` : null,
      onclick: async () => {
        const value = typeof text === "function" ? text() : text;
        announce((await copyText(value)) ? "Copied to the clipboard." : "Could not copy.");
      },
    },
    label,
  );
}

function shellQuote(text) {
  return `'${text.replaceAll("'", "'\\''")}'`;
}

export function curlCommand(state) {
  const body = { answers: state.answers };
  if (Object.keys(state.pricing).length) body.pricing = state.pricing;
  const lines = [
    `curl -sS -X POST ${shellQuote(apiUrl(evaluatePath(state.tree, state.version)).href)}`,
    "  -H 'Content-Type: application/json'",
  ];
  if (getToken()) lines.push('  -H "Authorization: Bearer $NETADVISOR_TOKEN"');
  lines.push(`  -d ${shellQuote(JSON.stringify(body))}`);
  return lines.join(" \\\n");
}

export function snippet(result, questions, url) {
  const answers = result.justification
    .filter((step) => !step.defaulted)
    .map((step) => `${step.question} = ${answerLabel(questions.get(step.question), step.answer)}`);
  const lines = [
    `*${result.tree.title}* (${result.tree.version}): *${result.recommendation.title}*`,
    result.recommendation.summary,
  ];
  if (answers.length) lines.push(`Answers: ${answers.join("; ")}`);
  if (result.costs) {
    const total = result.costs.total;
    lines.push(`Cost: ${moneyRange(total.low, total.high)} a month`);
  }
  lines.push(url);
  return lines.join("\n");
}

export function renderShare(result, questions, state, url) {
  const curl = curlCommand(state);
  return h(
    "section",
    { class: "share", "aria-labelledby": "share-title" },
    h("h2", { id: "share-title" }, "Share this result"),
    h("label", { for: "share-url" }, "Link to this result"),
    h(
      "div",
      { class: "copy-row" },
      h("input", { id: "share-url", type: "text", readonly: true, value: url }),
      copyButton("Copy link", url),
    ),
    h("p", {}, "The same evaluation from a terminal:"),
    h(
      "pre",
      { class: "command", tabindex: "0", "aria-label": "curl command" },
      h("code", {}, curl),
    ),
    h(
      "div",
      { class: "actions" },
      copyButton("Copy as curl", curl, "the evaluation as a curl command"),
      copyButton(
        "Copy for Slack / Markdown",
        () => snippet(result, questions, url),
        "a short snippet of this result with its link",
      ),
    ),
  );
}
