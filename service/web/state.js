// The URL is the state: tree, version and answers (the diagram endpoint's syntax), the
// price overrides as price.<name>, and ask=required once the defaults answer the rest.

const RESERVED = new Set(["tree", "version", "ask"]);
const PRICE = "price.";

export function readUrl(search = window.location.search) {
  const params = new URLSearchParams(search);
  const state = {
    tree: params.get("tree") || null,
    version: params.get("version") || null,
    ask: params.get("ask") === "required" ? "required" : "all",
    answers: {},
    pricing: {},
  };
  for (const [key, value] of params) {
    if (RESERVED.has(key)) continue;
    if (key.startsWith(PRICE)) {
      const number = Number(value);
      if (value.trim() !== "" && Number.isFinite(number))
        state.pricing[key.slice(PRICE.length)] = number;
    } else {
      state.answers[key] = value;
    }
  }
  return state;
}

export function toQuery(state) {
  const params = new URLSearchParams();
  if (state.tree) params.set("tree", state.tree);
  if (state.version) params.set("version", state.version);
  for (const [key, value] of Object.entries(state.answers)) params.append(key, String(value));
  if (state.ask === "required") params.set("ask", "required");
  for (const [key, value] of Object.entries(state.pricing)) {
    params.append(`${PRICE}${key}`, String(value));
  }
  return params.toString();
}

export function pageUrl(state) {
  const query = toQuery(state);
  return `${window.location.origin}${window.location.pathname}${query ? `?${query}` : ""}`;
}

export function writeUrl(state, push) {
  const url = pageUrl(state);
  if (url === window.location.href) return;
  if (push) window.history.pushState(null, "", url);
  else window.history.replaceState(null, "", url);
}

// Text answers (from the URL) in their JSON types, read as the diagram endpoint reads
// them; a value that does not parse is passed on for the API to refuse with a reason.
export function typedAnswers(answers, questions) {
  const byId = new Map(questions.map((q) => [q.id, q]));
  const typed = {};
  for (const [id, value] of Object.entries(answers)) {
    const type = byId.get(id)?.type;
    typed[id] = value;
    if (typeof value !== "string") continue;
    const text = value.trim().toLowerCase();
    if (type === "boolean" && ["true", "yes", "y", "1"].includes(text)) typed[id] = true;
    else if (type === "boolean" && ["false", "no", "n", "0"].includes(text)) typed[id] = false;
    else if (type === "integer" && /^-?\d+$/.test(text)) typed[id] = Number.parseInt(text, 10);
  }
  return typed;
}

export function copyState(state, changes = {}) {
  return {
    ...state,
    answers: { ...state.answers },
    pricing: { ...state.pricing },
    ...changes,
  };
}
