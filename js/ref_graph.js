// Reference graph widget (anywidget front end of pympler_nb.widgets.RefGraph).
//
// The kernel ships DOT text and a node table; Graphviz compiled to WebAssembly
// (@viz-js/viz, bundled with its wasm inlined) lays it out right here, so no `dot`
// binary is needed anywhere and nothing is fetched from the network. Ctrl/⌘ + wheel
// zooms (a plain wheel scrolls the notebook, as over a map; after a click into the
// graph the plain wheel zooms too, until the pointer leaves), drag pans, "fit" shows the
// whole graph (the first view), "reset" returns to it; clicking (or Enter on) a node
// shows its details.

import { instance } from "@viz-js/viz";
import css from "./ref_graph.css";
import theme from "./lib/theme.css";
import { formatSize } from "./lib/format.js";
import { h, listen } from "./lib/dom.js";
import { guarded } from "./lib/guard.js";
import { clampViewBox, panViewBox, zoomViewBox } from "./lib/viewbox.js";
import { parseSvg } from "./lib/svg.js";

const MIN_READABLE = 0.2; // fitting scales below this start around the start object instead
const READABLE = 0.9; // CSS pixels per SVG point for that start
const HINT_MS = 1500; // how long the "Ctrl + wheel to zoom" hint stays

let vizPromise = null;
function getViz() {
  if (!vizPromise) {
    vizPromise = instance().catch((error) => {
      vizPromise = null; // let a later render retry
      throw error;
    });
  }
  return vizPromise;
}


function render({ model, el }) {
  const root = h("div", { className: "pympler-nb-graph" });
  root.append(h("style", { text: theme + css }));
  const title = h("span", { className: "pnb-title" });
  const zoomIn = h("button", { type: "button", title: "Zoom in", "aria-label": "Zoom in", text: "+" });
  const zoomOut = h("button", { type: "button", title: "Zoom out", "aria-label": "Zoom out", text: "−" });
  const fitAll = h("button", { type: "button", title: "Show the whole graph", text: "fit" });
  const reset = h("button", { type: "button", title: "Back to the first view", text: "reset" });
  const status = h("span", { className: "pnb-status", role: "status", "aria-live": "polite" });
  const viewport = h("div", {
    className: "pnb-viewport",
    role: "group",
    "aria-label": "Reference graph: Ctrl or ⌘ + wheel to zoom, drag to pan, click a node for details",
  });
  const wheelHint = h("div", { className: "pnb-wheel-hint", "aria-hidden": "true",
    text: `${/Mac|iPhone|iPad/.test(navigator.platform || "") ? "⌘" : "Ctrl"} + wheel to zoom (or click the graph first)` });
  const details = h("div", { className: "pnb-details", "aria-live": "polite" });
  root.append(
    h("div", { className: "pnb-toolbar" }, title, zoomIn, zoomOut, fitAll, reset, status),
    h("div", { className: "pnb-body" }, viewport, details),
  );
  el.replaceChildren(root);

  let svg = null;
  let home = null; // the viewBox Graphviz produced: [x, y, w, h]
  let initial = null; // the first view (home, or the top of a big graph)
  let view = null;
  let byName = new Map();
  let drag = null;
  let generation = 0;
  let selected = null;

  function showHint() {
    details.replaceChildren(h("p", { className: "pnb-hint", text: "Click a node to see its type, size and value." }));
  }

  function setView(box) {
    if (!svg || !box) return;
    view = clampViewBox(box, home);
    svg.setAttribute("viewBox", view.join(" "));
  }

  function toSvgPoint(clientX, clientY) {
    const rect = svg.getBoundingClientRect();
    // preserveAspectRatio="xMidYMid meet": one scale for both axes, centred
    const scale = Math.max(view[2] / rect.width, view[3] / rect.height);
    const cx = view[0] + view[2] / 2;
    const cy = view[1] + view[3] / 2;
    return [cx + (clientX - rect.left - rect.width / 2) * scale, cy + (clientY - rect.top - rect.height / 2) * scale, scale];
  }

  function showDetails(name) {
    const node = byName.get(name);
    if (selected) selected.classList.remove("pnb-selected");
    selected = svg ? [...svg.querySelectorAll("g.node")].find((g) => g.dataset.nodeId === name) || null : null;
    if (selected) selected.classList.add("pnb-selected");
    if (!node) {
      details.replaceChildren(h("p", { className: "pnb-hint", text: `no details for ${name}` }));
      return;
    }
    const dl = h("dl");
    const add = (label, value) => dl.append(h("dt", { text: label }), h("dd", { text: value }));
    if (node.kind === "more") {
      add("elided", node.repr);
    } else {
      add("type", node.type);
      add("size", `${formatSize(node.size)} (${node.size.toLocaleString("en-US")} bytes, own)`);
      add("value", node.repr);
      const flags = [node.root && "start object", node.cycle && "on a reference cycle", node.highlight && "highlighted"].filter(Boolean);
      if (flags.length) add("note", flags.join(", "));
    }
    details.replaceChildren(dl);
  }

  async function draw() {
    const mine = ++generation;
    const dot = model.get("dot") || "";
    const nodes = model.get("nodes") || [];
    title.textContent = model.get("title") || "";
    byName = new Map(nodes.map((n) => [String(n.id), n]));
    status.textContent = "laying out…";
    showHint();
    if (!dot.trim()) {
      viewport.replaceChildren(h("p", { className: "pnb-hint", text: "empty graph" }));
      status.textContent = "";
      return;
    }
    let next;
    try {
      const viz = await getViz();
      if (mine !== generation) return;
      next = parseSvg(viz.renderString(dot, { format: "svg", engine: "dot" }));
    } catch (error) {
      if (mine !== generation) return;
      svg = null;
      status.textContent = "";
      viewport.replaceChildren(
        h("p", { className: "pnb-error", text: `could not lay out the graph: ${error && error.message ? error.message : error}` }),
        h("pre", { className: "pnb-dot", text: dot }),
      );
      return;
    }
    svg = next;
    const vb = (svg.getAttribute("viewBox") || "").trim().split(/[\s,]+/).map(Number);
    home = vb.length === 4 && vb.every(Number.isFinite) && vb[2] > 0 && vb[3] > 0
      ? vb
      : [0, 0, parseFloat(svg.getAttribute("width")) || 100, parseFloat(svg.getAttribute("height")) || 100];
    svg.removeAttribute("width");
    svg.removeAttribute("height");
    svg.setAttribute("preserveAspectRatio", "xMidYMid meet");
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", `reference graph of ${nodes.length} objects`);
    for (const g of svg.querySelectorAll("g.node")) {
      const name = g.querySelector("title")?.textContent ?? "";
      g.dataset.nodeId = name;
      const info = byName.get(name);
      g.setAttribute("tabindex", "0");
      g.setAttribute("role", "button");
      g.setAttribute("aria-label", info ? (info.kind === "more" ? info.repr : `${info.type} ${formatSize(info.size)}: ${info.repr}`) : name);
    }
    viewport.replaceChildren(svg, wheelHint);
    // fit the whole graph (also --backrefs graphs, whose holders sit above the object),
    // unless that makes it unreadably small: then start around the start object at a
    // readable scale ("fit" shows everything, "reset" returns to the first view)
    const rect = viewport.getBoundingClientRect();
    initial = home;
    if (rect.width > 0 && rect.height > 0) {
      const fit = Math.min(rect.width / home[2], rect.height / home[3]);
      if (fit < MIN_READABLE) {
        const w = rect.width / READABLE;
        const h = rect.height / READABLE;
        // centred on the first start object (the graph's root), else the middle
        setView(home);
        let cx = home[0] + home[2] / 2;
        let cy = home[1] + home[3] / 2;
        const start = nodes.find((n) => n.root);
        const g = start && [...svg.querySelectorAll("g.node")].find((e) => e.dataset.nodeId === String(start.id));
        if (g) {
          const box = g.getBoundingClientRect();
          if (box.width > 0) [cx, cy] = toSvgPoint(box.left + box.width / 2, box.top + box.height / 2);
        }
        initial = [Math.min(Math.max(cx - w / 2, home[0]), home[0] + Math.max(0, home[2] - w)),
                   Math.min(Math.max(cy - h / 2, home[1]), home[1] + Math.max(0, home[3] - h)), w, h];
      } else if (fit > 1) {  // a small graph: natural size, centred, not blown up
        const w = rect.width;
        const h = rect.height;
        initial = [home[0] + (home[2] - w) / 2, home[1] + (home[3] - h) / 2, w, h];
      }
    }
    setView(initial);
    status.textContent = `${nodes.length} node${nodes.length === 1 ? "" : "s"}`;
  }

  function zoomBy(factor, clientX, clientY) {
    if (!svg) return;
    const rect = svg.getBoundingClientRect();
    const [px, py] = toSvgPoint(clientX ?? rect.left + rect.width / 2, clientY ?? rect.top + rect.height / 2);
    setView(zoomViewBox(view, factor, px, py));
  }

  // the wheel zooms only with Ctrl/⌘ or after a click into the graph: a plain wheel
  // scrolls the notebook past the graph (no scroll trap)
  let engaged = false;
  let hintTimer = 0;
  function showWheelHint() {
    wheelHint.classList.add("pnb-show");
    clearTimeout(hintTimer);
    hintTimer = setTimeout(() => wheelHint.classList.remove("pnb-show"), HINT_MS);
  }

  function onWheel(event) {
    if (!svg) return;
    if (!(event.ctrlKey || event.metaKey || engaged)) {
      showWheelHint();
      return; // let the page scroll
    }
    event.preventDefault();
    zoomBy(Math.exp(-event.deltaY * (event.deltaMode === 1 ? 0.05 : 0.002)), event.clientX, event.clientY);
  }

  function onPointerDown(event) {
    if (!svg || event.button !== 0) return;
    engaged = true;
    viewport.classList.add("pnb-engaged");
    drag = { x: event.clientX, y: event.clientY, view, moved: false, id: event.pointerId };
  }

  function onPointerLeave() {
    engaged = false;
    viewport.classList.remove("pnb-engaged");
  }

  function onPointerMove(event) {
    if (!drag || event.pointerId !== drag.id) return;
    const dx = event.clientX - drag.x;
    const dy = event.clientY - drag.y;
    if (!drag.moved && Math.hypot(dx, dy) < 4) return;
    if (!drag.moved) {
      drag.moved = true;
      viewport.classList.add("pnb-dragging");
      viewport.setPointerCapture?.(event.pointerId);
    }
    const [, , scale] = toSvgPoint(event.clientX, event.clientY);
    setView(panViewBox(drag.view, -dx * scale, -dy * scale));
  }

  function onPointerUp(event) {
    if (!drag || event.pointerId !== drag.id) return;
    const wasDrag = drag.moved;
    drag = null;
    viewport.classList.remove("pnb-dragging");
    if (wasDrag) return;
    const g = event.target.closest?.("g.node");
    if (g && viewport.contains(g)) showDetails(g.dataset.nodeId);
  }

  function onKey(event) {
    const g = event.target.closest?.("g.node");
    if (g && (event.key === "Enter" || event.key === " ")) {
      event.preventDefault();
      event.stopPropagation();
      showDetails(g.dataset.nodeId);
    } else if (event.key === "+" || event.key === "=") {
      event.preventDefault();
      event.stopPropagation();
      zoomBy(1.25);
    } else if (event.key === "-") {
      event.preventDefault();
      event.stopPropagation();
      zoomBy(0.8);
    }
  }

  const onZoomIn = () => zoomBy(1.25);
  const onZoomOut = () => zoomBy(0.8);
  const onReset = () => setView(initial);
  const onFit = () => setView(home);
  const onChange = () => {
    draw();
  };

  viewport.addEventListener("wheel", onWheel, { passive: false });
  viewport.addEventListener("pointerdown", onPointerDown);
  viewport.addEventListener("pointermove", onPointerMove);
  viewport.addEventListener("pointerup", onPointerUp);
  viewport.addEventListener("pointercancel", onPointerUp);
  viewport.addEventListener("pointerleave", onPointerLeave);
  viewport.addEventListener("keydown", onKey);
  zoomIn.addEventListener("click", onZoomIn);
  zoomOut.addEventListener("click", onZoomOut);
  reset.addEventListener("click", onReset);
  fitAll.addEventListener("click", onFit);
  const unlisten = listen(model, [
    ["change:dot", onChange], ["change:nodes", onChange], ["change:title", onChange],
  ]);
  draw();

  return () => {
    generation++;
    clearTimeout(hintTimer);
    unlisten();
  };
}

const safeRender = guarded(render, "pympler-nb-graph", "reference graph");

// the layout engine on its own, for tests (anywidget uses only the default export)
export { getViz };

export default { render: safeRender };
