// Price overrides: the tree's named prices, with their units and sources, sent with the
// evaluation as `pricing`.

import { h, link, money } from "./dom.js";

export function renderPricing(prices, overrides, onApply) {
  const names = Object.keys(prices || {});
  if (!names.length) return null;
  const rows = names.map((name, index) => {
    const price = prices[name];
    const id = `price-${index}`;
    const changed = name in overrides;
    return h(
      "li",
      { class: changed ? "price changed" : "price" },
      h("label", { for: id }, price.description),
      h(
        "div",
        { class: "price-input" },
        h("span", { "aria-hidden": "true" }, "$"),
        h("input", {
          id,
          type: "number",
          name,
          min: "0",
          step: "any",
          value: String(changed ? overrides[name] : price.value),
          "aria-describedby": `${id}-unit`,
          "data-default": String(price.value),
        }),
        h(
          "span",
          { id: `${id}-unit`, class: "unit" },
          price.unit,
          changed ? ` (tree's price ${money(price.value)})` : "",
        ),
      ),
      h(
        "p",
        { class: "source" },
        h("code", {}, name),
        price.source ? [" · ", link(price.source, "source")] : null,
      ),
    );
  });
  const form = h(
    "form",
    { class: "pricing" },
    h("ul", { class: "prices" }, rows),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit", class: "primary" }, "Apply prices"),
      h("button", { type: "button", onclick: () => onApply({}) }, "Use the tree's prices"),
    ),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const pricing = {};
    for (const input of form.querySelectorAll("input[type=number]")) {
      const value = Number(input.value);
      if (input.value.trim() === "" || !Number.isFinite(value)) continue;
      if (value !== Number(input.dataset.default)) pricing[input.name] = value;
    }
    onApply(pricing);
  });
  const count = Object.keys(overrides).length;
  return h(
    "details",
    { class: "pricing-panel", open: count > 0 },
    h("summary", {}, `Prices used (${names.length})${count ? `, ${count} changed` : ""}`),
    h(
      "p",
      { class: "hint" },
      "Change a price to see the costs with your own rates; the link keeps them.",
    ),
    form,
  );
}
