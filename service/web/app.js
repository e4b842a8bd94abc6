// The page's controller: read the URL, ask the API, show the trees, a question or a result.

import { ApiError, api } from "./api.js";
import { announce, badge, clear, h, link } from "./dom.js";
import { renderDiagram } from "./diagram.js";
import { renderFacts } from "./facts.js";
import { focusQuestion, renderQuestion } from "./flow.js";
import { renderPricing } from "./pricing.js";
import { renderResult } from "./result.js";
import { renderShare } from "./share.js";
import { copyState, pageUrl, readUrl, typedAnswers, writeUrl } from "./state.js";

const main = document.getElementById("main");
let generation = 0;
// This tab only: which answers came from the cluster (id -> evidence), the notes of the
// last facts read, and answers taken back with Back (offered again as the preset).
let fromFacts = {};
let factNotes = [];
const recall = {};

async function treeList() {
  const { trees } = await api.trees();
  const versions = await Promise.all(trees.map((t) => api.versions(t.id)));
  return h(
    "section",
    { class: "tree-list", "aria-labelledby": "page-title" },
    h("h1", { id: "page-title", tabindex: "-1" }, "Kubernetes networking advice"),
    h(
      "p",
      { class: "lead" },
      "Pick a question. Answer one step at a time (or paste kubectl output) and get a recommendation with its reasons, costs, alternatives and next steps.",
    ),
    h(
      "ul",
      { class: "cards" },
      trees.map((tree, i) =>
        h(
          "li",
          { class: "card" },
          h("h2", {}, h("a", { href: `?tree=${encodeURIComponent(tree.id)}` }, tree.title)),
          h("p", {}, tree.description),
          h(
            "p",
            { class: "versions" },
            "Versions: ",
            versions[i].versions.map((v, j) => [
              j ? ", " : "",
              v.version,
              v.status === "deprecated" ? [" ", badge("deprecated", "deprecated")] : "",
              v.default ? " (default)" : "",
            ]),
          ),
        ),
      ),
    ),
  );
}

function header(s, definition, versions) {
  const select = h(
    "select",
    {
      id: "version",
      onchange: (event) =>
        go({ tree: s.tree, version: event.target.value, ask: "all", answers: {}, pricing: {} }),
    },
    versions.versions.map((v) =>
      h(
        "option",
        { value: v.version, selected: v.version === definition.version },
        `${v.version}${v.default ? " (default)" : ""}${v.status === "deprecated" ? " (deprecated)" : ""}`,
      ),
    ),
  );
  const deprecation = definition.deprecation;
  return h(
    "div",
    { class: "tree-header" },
    h("nav", { "aria-label": "Breadcrumb" }, h("a", { href: "./" }, "All questions")),
    h("h1", { id: "page-title", tabindex: "-1" }, definition.title),
    h(
      "div",
      { class: "tree-meta" },
      h("label", { for: "version" }, "Version"),
      select,
      definition.status === "deprecated" ? badge("deprecated", "deprecated") : null,
      h("span", { class: "as-of" }, `facts as of ${definition.as_of}`),
      h(
        "button",
        { type: "button", onclick: () => go(copyState(s, { answers: {}, ask: "all" })) },
        "Start over",
      ),
    ),
    deprecation
      ? h(
          "p",
          { class: "deprecation", role: "note" },
          deprecation.message,
          deprecation.source ? [" ", link(deprecation.source, "source")] : null,
        )
      : null,
    h(
      "details",
      { class: "about" },
      h("summary", {}, "About this question"),
      h("p", {}, definition.description),
    ),
  );
}

// The evaluation; a fact-derived answer the tree version refuses is dropped, not fatal.
async function evaluate(next) {
  const body = { answers: next.answers, ask: next.ask };
  if (Object.keys(next.pricing).length) body.pricing = next.pricing;
  try {
    return await api.evaluate(next.tree, next.version, body);
  } catch (error) {
    const bad = Object.keys(error.problem?.errors || {}).map((k) => k.replace(/^answers\./, ""));
    if (error.status !== 422 || !bad.length || !bad.every((id) => id in fromFacts)) throw error;
    for (const id of bad) {
      delete next.answers[id];
      delete fromFacts[id];
      factNotes.push(`${id}: the cluster's value does not fit this version; asked instead.`);
    }
    return api.evaluate(next.tree, next.version, { ...body, answers: next.answers });
  }
}

// Back: from a result reached with the defaults, return to the questions they answered;
// otherwise take back the last answer given on the path.
function back(shown, result) {
  const next = copyState(shown, { ask: "all" });
  const defaulted = result.justification.some((s) => s.defaulted);
  if (shown.ask === "required" && defaulted) return go(next);
  const given = result.justification.filter((s) => !s.defaulted && s.question in next.answers);
  const last = given.at(-1);
  if (!last) return go(next);
  recall[last.question] = next.answers[last.question];
  delete next.answers[last.question];
  delete fromFacts[last.question];
  return go(next);
}

function withAnswer(shown, qid, value, changes = {}) {
  delete fromFacts[qid];
  return copyState(shown, { ...changes, answers: { ...shown.answers, [qid]: value } });
}

function questionView(s, questions, result) {
  const id = result.next_question.id;
  const step = renderQuestion({
    result,
    questions,
    preset: recall[id],
    ask: s.ask,
    canBack: result.justification.some((j) => !j.defaulted) || s.ask === "required",
    onAnswer: (qid, value) => go(withAnswer(s, qid, value)),
    onBack: () => back(s, result),
    onDefaults: () => go(copyState(s, { ask: "required" })),
  });
  const facts = renderFacts({
    questions,
    answers: s.answers,
    fromFacts,
    notes: factNotes,
    onFacts: (used, notes) => {
      factNotes = notes;
      const answers = { ...s.answers };
      for (const [qid, fact] of Object.entries(used)) {
        answers[qid] = fact.value;
        fromFacts[qid] = fact.evidence;
      }
      go(copyState(s, { answers }));
    },
  });
  return { nodes: [facts, step], focus: () => focusQuestion(step) };
}

function resultView(s, definition, questions, result) {
  const extras = {
    pricing: renderPricing(definition.pricing, s.pricing, (pricing) =>
      go(copyState(s, { pricing })),
    ),
    diagram: renderDiagram(s, definition.title),
    share: renderShare(result, questions, s, pageUrl(s)),
  };
  const body = renderResult({
    result,
    questions,
    extras,
    onWhatIf: (qid, answer) => go(withAnswer(s, qid, answer, { ask: "required" })),
  });
  const actions = h(
    "div",
    { class: "actions result-actions" },
    h("button", { type: "button", onclick: () => back(s, result) }, "Back"),
  );
  announce(`Recommendation: ${result.recommendation.title}`);
  return {
    nodes: [actions, body],
    focus: () => document.getElementById("result-title")?.focus(),
  };
}

function problemView(error) {
  const detail =
    error instanceof ApiError
      ? error.message
      : `The page could not reach the service (${error.message}).`;
  const fields = Object.entries(error.problem?.errors || {}).map(([key, messages]) =>
    h("li", {}, h("code", {}, key), ": ", [].concat(messages).join(" ")),
  );
  return {
    nodes: [
      h("h1", { id: "page-title", tabindex: "-1" }, "Something went wrong"),
      h("p", { class: "error", role: "alert" }, detail),
      fields.length ? h("ul", {}, fields) : null,
      h("p", {}, h("a", { href: "./" }, "Back to all questions")),
    ],
    focus: () => document.getElementById("page-title")?.focus(),
  };
}

const focusTitle = () => document.getElementById("page-title")?.focus();

// What `next` shows; fills in its version and types its answers from the tree.
async function load(next) {
  if (!next.tree) return { nodes: [await treeList()], focus: focusTitle };
  const [definition, versions] = await Promise.all([
    api.tree(next.tree, next.version),
    api.versions(next.tree),
  ]);
  next.version = definition.version;
  next.answers = typedAnswers(next.answers, definition.questions);
  const evaluated = await evaluate(next);
  // The evidence of the answers that came from the cluster, kept by this tab.
  const result = {
    ...evaluated,
    justification: evaluated.justification.map((j) =>
      j.question in fromFacts ? { ...j, evidence: fromFacts[j.question] } : j,
    ),
  };
  const questions = new Map(definition.questions.map((q) => [q.id, q]));
  const shown =
    result.status === "complete"
      ? resultView(next, definition, questions, result)
      : questionView(next, questions, result);
  return { nodes: [header(next, definition, versions), ...shown.nodes], focus: shown.focus };
}

// Show `next`, and push it to the history when a person moved there.
async function go(next, { push = true, focus = true } = {}) {
  const mine = ++generation;
  main.setAttribute("aria-busy", "true");
  let shown;
  try {
    shown = await load(next);
  } catch (error) {
    if (mine !== generation) return;
    main.setAttribute("aria-busy", "false");
    const inline = document.getElementById("answer-error");
    if (error instanceof ApiError && error.status === 422 && push && inline) {
      // An answer the tree refuses: say why beside the question, and stay on it.
      const messages = Object.values(error.problem?.errors || {}).flat();
      inline.textContent = messages.length ? messages.join(" ") : error.message;
      return;
    }
    shown = problemView(error);
  }
  if (mine !== generation) return;
  writeUrl(next, push);
  clear(main, shown.nodes);
  main.setAttribute("aria-busy", "false");
  main.dataset.view = main.querySelector(".result")
    ? "result"
    : main.querySelector("form.question")
      ? "question"
      : "start";
  if (focus) shown.focus();
}

window.addEventListener("popstate", () => go(readUrl(), { push: false }));
go(readUrl(), { push: false, focus: false });
