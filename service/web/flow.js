// The question flow: one question at a time, with its help, its options and its default.

import { answerLabel, badge, h } from "./dom.js";

function optionInputs(question, preset) {
  return question.options.map((option, index) => {
    const id = `answer-${index}`;
    const isDefault = "default" in question && question.default === option.id;
    return h(
      "div",
      { class: "option" },
      h("input", {
        type: "radio",
        name: "answer",
        id,
        value: String(option.id),
        checked: preset !== undefined && preset === option.id,
        required: true,
      }),
      h("label", { for: id }, option.label, isDefault ? badge("default", "default") : null),
    );
  });
}

function valueInput(question, preset) {
  const integer = question.type === "integer";
  const hints = [];
  if (integer && question.min !== undefined) hints.push(`at least ${question.min}`);
  if (integer && question.max !== undefined) hints.push(`at most ${question.max}`);
  if (question.format === "version") hints.push("MAJOR.MINOR, such as 6.1");
  if ("default" in question) hints.push(`default ${question.default}`);
  return h(
    "div",
    { class: "value" },
    h("label", { for: "answer-value" }, integer ? "A whole number" : "Your answer"),
    h("input", {
      id: "answer-value",
      name: "answer",
      type: integer ? "number" : "text",
      inputmode: integer ? "numeric" : null,
      step: integer ? "1" : null,
      min: question.min,
      max: question.max,
      value: preset === undefined ? "" : String(preset),
      required: true,
      autocomplete: "off",
      "aria-describedby": hints.length ? "answer-hint" : null,
    }),
    hints.length ? h("p", { id: "answer-hint", class: "hint" }, hints.join("; ")) : null,
  );
}

function readAnswer(form, question) {
  const data = new FormData(form).get("answer");
  if (data === null) return undefined;
  if (question.options.length) return question.options.find((o) => String(o.id) === data)?.id;
  if (question.type === "integer") return Number.parseInt(data, 10);
  return String(data).trim();
}

// The answers so far, in path order, saying which were defaults and which came from the
// cluster (with the evidence).
export function answeredList(result, questions) {
  if (!result.justification.length) return null;
  return h(
    "ol",
    { class: "path" },
    result.justification.map((step) => {
      const question = questions.get(step.question);
      return h(
        "li",
        {},
        h("span", { class: "prompt" }, question?.prompt || step.question),
        " ",
        h("strong", {}, answerLabel(question, step.answer)),
        step.defaulted ? badge("default", "default") : null,
        step.from_facts || step.evidence ? badge("from your cluster", "cluster") : null,
        h("span", { class: "reason" }, step.reason),
        step.evidence ? h("span", { class: "evidence" }, step.evidence) : null,
      );
    }),
  );
}

export function renderQuestion(ctx) {
  const { result, questions, preset, error, onAnswer, onBack, onDefaults, canBack, ask } = ctx;
  const question = result.next_question;
  const full = questions.get(question.id) || question;
  const start = preset !== undefined ? preset : full.default;
  const help = full.help || question.help;
  const errorBox = h("p", { id: "answer-error", class: "error", role: "alert" }, error || "");
  const form = h(
    "form",
    { class: "question" },
    h(
      "fieldset",
      { "aria-describedby": help ? "question-help" : null },
      h("legend", {}, h("h2", { id: "question-prompt" }, question.prompt)),
      help ? h("p", { id: "question-help", class: "help" }, help) : null,
      question.options.length ? optionInputs(question, start) : valueInput(full, start),
    ),
    errorBox,
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit", class: "primary" }, "Next"),
      canBack ? h("button", { type: "button", onclick: onBack }, "Back") : null,
      ask === "all"
        ? h("button", { type: "button", onclick: onDefaults }, "Use the defaults for the rest")
        : null,
    ),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const value = readAnswer(form, question);
    if (value === undefined || value === "" || Number.isNaN(value)) {
      errorBox.textContent = "Choose or enter an answer first.";
      return;
    }
    onAnswer(question.id, value);
  });
  const answered = answeredList(result, questions);
  return h(
    "section",
    { class: "step", "aria-labelledby": "question-prompt" },
    answered
      ? h("details", { class: "so-far" }, h("summary", {}, "Answers so far"), answered)
      : null,
    form,
    result.warnings.length
      ? h(
          "ul",
          { class: "warnings compact", "aria-label": "Warnings so far" },
          result.warnings.map((w) => h("li", {}, h("code", {}, w.code), " ", w.message)),
        )
      : null,
  );
}

export function focusQuestion(section) {
  const input = section.querySelector("input:checked") || section.querySelector("form input");
  input?.focus();
}
