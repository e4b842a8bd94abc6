// The tree's diagram from the API, path highlighted, drawn by the bundled Mermaid.

import { api } from "./api.js";
import { h } from "./dom.js";

const MERMAID = "mermaid-11.17.2.min.js";
let loading = null;
let count = 0;

function loadMermaid() {
  loading ??= new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = new URL(MERMAID, import.meta.url).href;
    script.onload = () => {
      window.mermaid.initialize({
        startOnLoad: false,
        securityLevel: "strict",
        maxTextSize: 200000,
        maxEdges: 2000,
        flowchart: { useMaxWidth: false },
      });
      resolve(window.mermaid);
    };
    script.onerror = () => {
      loading = null;
      reject(new Error("Mermaid could not be loaded."));
    };
    document.head.append(script);
  });
  return loading;
}

// Large trees are drawn at full size in a scrolling box, opened at the recommendation.
function centre(box) {
  const target = box.querySelector("g.chosen") || box.querySelector("g.taken");
  if (!target) return;
  const outer = box.getBoundingClientRect();
  const inner = target.getBoundingClientRect();
  box.scrollLeft += inner.left - outer.left - (outer.width - inner.width) / 2;
  box.scrollTop += inner.top - outer.top - (outer.height - inner.height) / 2;
}

export function renderDiagram(state, title) {
  const figure = h(
    "div",
    {
      class: "diagram",
      tabindex: "0",
      role: "region",
      "aria-label": "Decision diagram",
      "aria-busy": "true",
    },
    h("p", {}, "Drawing the diagram…"),
  );
  const fit = h(
    "button",
    {
      type: "button",
      hidden: true,
      "aria-pressed": "false",
      onclick: () => {
        const fitted = figure.classList.toggle("fit");
        fit.setAttribute("aria-pressed", String(fitted));
        if (!fitted) centre(figure);
      },
    },
    "Fit to width",
  );
  // The whole tree, or (view=path) the path with each answer off it one step deep.
  const pathOnly = h(
    "button",
    {
      type: "button",
      "aria-pressed": "false",
      onclick: () => {
        const on = pathOnly.getAttribute("aria-pressed") !== "true";
        pathOnly.setAttribute("aria-pressed", String(on));
        draw(on ? "path" : null);
      },
    },
    "Only the path",
  );
  const draw = async (view) => {
    figure.setAttribute("aria-busy", "true");
    try {
      const [mermaid, source] = await Promise.all([
        loadMermaid(),
        api.diagram(state.tree, state.version, state.answers, view),
      ]);
      count += 1;
      const { svg } = await mermaid.render(`tree-diagram-${count}`, source);
      // Mermaid's output, sanitised by Mermaid itself (securityLevel strict).
      figure.innerHTML = svg;
      const drawing = figure.querySelector("svg");
      drawing.setAttribute("role", "img");
      drawing.setAttribute(
        "aria-label",
        `Decision diagram of ${title}, the path taken highlighted`,
      );
      fit.hidden = false;
      centre(figure);
    } catch (error) {
      figure.replaceChildren(h("p", { class: "error" }, `No diagram: ${error.message}`));
    } finally {
      figure.setAttribute("aria-busy", "false");
    }
  };
  draw(null);
  return h(
    "details",
    { class: "diagram-panel", open: true },
    h("summary", {}, "Decision diagram, your path highlighted"),
    h("div", { class: "actions" }, pathOnly, fit),
    figure,
  );
}
