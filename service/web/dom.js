// DOM helpers: elements are built from text nodes, never from HTML strings.

const PROPERTIES = new Set(["checked", "disabled", "value", "selected", "open", "required"]);

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else if (PROPERTIES.has(key)) {
      el[key] = value;
    } else {
      el.setAttribute(key === "className" ? "class" : key, value === true ? "" : String(value));
    }
  }
  return append(el, children);
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

export function clear(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

// Screen readers hear this; the status region is in index.html.
export function announce(text) {
  const status = document.getElementById("status");
  status.textContent = "";
  window.setTimeout(() => {
    status.textContent = text;
  }, 50);
}

const USD = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });

export function money(value) {
  return USD.format(value);
}

export function moneyRange(low, high) {
  return low === high ? money(low) : `${money(low)} to ${money(high)}`;
}

export function link(url, text) {
  return h("a", { href: url, rel: "noreferrer", target: "_blank" }, text || url);
}

// An answer as a person reads it: the option's label where the question has options.
export function answerLabel(question, value) {
  const option = question?.options?.find((o) => o.id === value);
  if (option) return option.label;
  if (value === true) return "Yes";
  if (value === false) return "No";
  return String(value);
}

export function badge(text, kind) {
  return h("span", { class: `badge ${kind || ""}`.trim() }, text);
}
