// Cluster facts: kubectl JSON or an error message, read by the API into answers.

import { api } from "./api.js";
import { badge, h } from "./dom.js";

export const KUBECTL = "kubectl get nodes,daemonsets,deployments,ingressclasses -A -o json";

function body(text) {
  try {
    return { objects: JSON.parse(text) };
  } catch {
    return { error: text };
  }
}

// Answers for this tree's questions not answered yet: {id: {value, evidence}}, plus the
// derived answers this tree does not ask.
export function usable(facts, questions, answers) {
  const used = {};
  const unused = [];
  for (const [id, answer] of Object.entries(facts.answers)) {
    if (questions.has(id) && !(id in answers)) used[id] = answer;
    else unused.push(id);
  }
  return { used, unused };
}

export function renderFacts({ questions, answers, fromFacts, notes, onFacts }) {
  const area = h("textarea", {
    id: "facts-input",
    rows: "6",
    spellcheck: "false",
    "aria-describedby": "facts-hint",
  });
  const message = h("p", { class: "facts-message", role: "status" });
  const form = h(
    "form",
    { class: "facts" },
    h("label", { for: "facts-input" }, "kubectl JSON output or an error message"),
    h(
      "p",
      { id: "facts-hint", class: "hint" },
      "For example the output of ",
      h("code", {}, KUBECTL),
      ", or the error a client printed. It is sent only to this service.",
    ),
    area,
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Fill answers from this")),
    message,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = area.value.trim();
    if (!text) {
      message.textContent = "Paste kubectl output or an error message first.";
      return;
    }
    message.textContent = "Reading…";
    try {
      const facts = await api.facts(body(text));
      const { used, unused } = usable(facts, questions, answers);
      const count = Object.keys(used).length;
      message.textContent = count
        ? `${count} answer(s) filled from your cluster.`
        : "Nothing in it answers an open question of this tree.";
      onFacts(used, [
        ...facts.notes,
        ...(unused.length ? [`Not used here: ${unused.join(", ")}`] : []),
      ]);
    } catch (error) {
      message.textContent = error.message;
    }
  });
  const filled = Object.entries(fromFacts);
  return h(
    "details",
    { class: "facts-panel", open: filled.length > 0 },
    h("summary", {}, "Fill answers from your cluster"),
    form,
    filled.length
      ? h(
          "ul",
          { class: "from-cluster", "aria-label": "Answers from your cluster" },
          filled.map(([id, evidence]) =>
            h(
              "li",
              {},
              badge("from your cluster", "cluster"),
              " ",
              h("code", {}, id),
              " ",
              evidence,
            ),
          ),
        )
      : null,
    notes.length
      ? h(
          "ul",
          { class: "notes" },
          notes.map((n) => h("li", {}, n)),
        )
      : null,
  );
}
