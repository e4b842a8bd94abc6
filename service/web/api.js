// The API client: every call is relative to the page, so a path prefix is kept.

import { askForToken, getToken } from "./auth.js";

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `The service answered ${status}.`);
    this.status = status;
    this.problem = problem || {};
  }
}

export function apiUrl(path) {
  return new URL(path, document.baseURI);
}

function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== null && value !== undefined) search.append(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

async function request(path, options = {}, tries = 0) {
  const headers = new Headers(options.headers || {});
  const token = getToken();
  if (token) headers.set("Authorization", `Bearer ${token}`);
  const response = await fetch(apiUrl(path), { ...options, headers });
  if (response.status === 401 && tries < 3) {
    const entered = await askForToken(Boolean(token));
    if (entered) return request(path, options, tries + 1);
  }
  if (!response.ok) {
    let problem = null;
    try {
      problem = await response.json();
    } catch {
      problem = null;
    }
    throw new ApiError(response.status, problem);
  }
  return response;
}

async function json(path, options) {
  return (await request(path, options)).json();
}

function post(body) {
  return {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  };
}

const cache = new Map();

function cached(key, load) {
  if (!cache.has(key)) {
    cache.set(
      key,
      load().catch((error) => {
        cache.delete(key);
        throw error;
      }),
    );
  }
  return cache.get(key);
}

const tree = (id) => `v1/trees/${encodeURIComponent(id)}`;

export function evaluatePath(id, version) {
  return `${tree(id)}/evaluate${query({ version })}`;
}

export const api = {
  trees: () => cached("trees", () => json("v1/trees")),
  versions: (id) => cached(`versions ${id}`, () => json(`${tree(id)}/versions`)),
  tree: (id, version) =>
    cached(`tree ${id} ${version || ""}`, () => json(`${tree(id)}${query({ version })}`)),
  evaluate: (id, version, body) => json(evaluatePath(id, version), post(body)),
  facts: (body) => json("v1/facts", post(body)),
  diagram: async (id, version, answers, view) => {
    const params = { version, view, ...answers };
    const response = await request(`${tree(id)}/diagram${query(params)}`, {
      headers: { Accept: "text/vnd.mermaid" },
    });
    return response.text();
  },
};
