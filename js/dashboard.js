// The %memdash dashboard (anywidget front end of pympler_nb.widgets.Dashboard).
//
// A WAI-ARIA tab list; each tab's page is a list of blocks computed by the kernel
// (pympler_nb/widgets/dashboard_tabs.py describes them) and synced in the `pages` trait.
// Opening a tab sends {type: "open", tab}; the kernel computes it the first time only;
// "refresh" sends {type: "refresh", tab}. A click on a stack frame sends
// {type: "locals", thread, depth, frame_id}; a linked table cell (a tracked class, an
// object) sends {type: "detail", tab, what, key}. Nothing is fetched from the network:
// graphs come as SVG drawn by Graphviz in the kernel, parsed here and made inert.

import css from "./dashboard.css";
import theme from "./lib/theme.css";
import { formatSize } from "./lib/format.js";
import { h, listen } from "./lib/dom.js";
import { guarded } from "./lib/guard.js";
import { parseSvg } from "./lib/svg.js";


function cellText(value, isBytes) {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") {
    if (isBytes) return formatSize(Math.round(value));
    return Number.isInteger(value) ? value.toLocaleString("en-US") : value.toLocaleString("en-US", { maximumFractionDigits: 2 });
  }
  if (typeof value === "boolean") return value ? "True" : "False";
  return String(value);
}

function compare(a, b) {
  if (a === null || a === undefined) return b === null || b === undefined ? 0 : 1;
  if (b === null || b === undefined) return -1;
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a).localeCompare(String(b));
}

function tableBlock(block, ctx) {
  // a block marked "collapsed" (the garbage tab's later cycles) opens on a click
  const box = block.collapsed === undefined ? h("div", { className: "pnb-block pnb-table" })
    : h("details", { className: "pnb-block pnb-table", open: !block.collapsed });
  const more = block.total > block.rows.length ? ` (${block.rows.length} of ${block.total} rows)` : "";
  box.append(h(block.collapsed === undefined ? "h4" : "summary", { text: block.title + more }));
  const numeric = block.columns.map((_, i) => block.rows.length > 0 && block.rows.every((r) => r[i] === null || typeof r[i] === "number"));
  let sortCol = -1;
  let descending = false;
  const table = h("table");
  const head = h("tr");
  const body = h("tbody");
  block.columns.forEach((name, i) => {
    const th = h("th", { className: numeric[i] ? "pnb-num" : null, "aria-sort": "none", scope: "col", title: "sort", text: name });
    th.addEventListener("click", () => {
      descending = sortCol === i ? !descending : numeric[i];
      sortCol = i;
      for (const other of head.children) other.setAttribute("aria-sort", "none");
      th.setAttribute("aria-sort", descending ? "descending" : "ascending");
      drawRows();
    });
    head.append(th);
  });
  const link = block.link && Array.isArray(block.keys) ? block.link : null;
  function cell(row, r, value, i) {
    const text = cellText(value, block.bytes[i]);
    const td = h("td", { className: numeric[i] ? "pnb-num" : null });
    const key = link && i === link.column ? block.keys[r] : null;
    if (key) {
      const what = link.what === "class" ? "class" : "object";
      const button = h("button", { type: "button", className: "pnb-link", "data-what": what, "data-key": key,
        title: what === "class" ? `open the detail of ${text}` : `open this object: type, sizes, referents, referrers`, text });
      button.addEventListener("click", () => ctx.onDetail(what, key, text));
      td.append(button);
    } else td.textContent = text;
    return td;
  }
  function drawRows() {
    const order = block.rows.map((_, r) => r);
    if (sortCol >= 0) order.sort((a, b) => (descending ? -1 : 1) * compare(block.rows[a][sortCol], block.rows[b][sortCol]));
    const frag = document.createDocumentFragment();
    for (const r of order) {
      const row = block.rows[r];
      const tr = h("tr");
      row.forEach((value, i) => tr.append(cell(row, r, value, i)));
      frag.append(tr);
    }
    body.replaceChildren(frag);
  }
  drawRows();
  table.append(h("thead", {}, head), body);
  box.append(table);
  return box;
}

function metricsBlock(block) {
  const table = h("table", { className: "pnb-metrics" });
  for (const item of block.items) {
    table.append(h("tr", {}, h("th", { scope: "row", text: item.label }),
      h("td", { className: "pnb-num", text: item.value, title: item.bytes === null ? null : `${item.bytes.toLocaleString("en-US")} bytes` })));
  }
  return h("div", { className: "pnb-block" }, h("h4", { text: block.title }), table);
}

function imageBlock(block) {
  const box = h("div", { className: "pnb-block" }, h("h4", { text: block.title }));
  if (block.svg) {
    // an <img> of the kernel's SVG: drawn, never run (no scripts from the page's data)
    const img = h("img", { className: "pnb-chart", alt: block.text });
    img.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(block.svg);
    box.append(img);
  } else {
    box.append(h("pre", { text: block.text }));
  }
  return box;
}

function foldable(block, className) {
  // a block with "collapsed" opens on a click; without it, a titled box
  const folds = typeof block.collapsed === "boolean";
  const box = folds ? h("details", { className, open: !block.collapsed }) : h("div", { className });
  box.append(h(folds ? "summary" : "h4", { text: block.title }));
  return box;
}

function share(size, total) {
  return total > 0 ? `${(size * 100 / total).toFixed(1)}%` : "";
}

function treeBlock(block) {
  // nested <details>, one per node with children (drawn with an explicit stack)
  const box = foldable(block, "pnb-block pnb-tree");
  const top = h("ul", { className: "pnb-tree-list", role: "tree" });
  box.append(top);
  const stack = (block.nodes || []).slice().reverse().map((node) => [node, top]);
  while (stack.length) {
    const [node, parent] = stack.pop();
    const label = h("span", { className: "pnb-tree-label" },
      h("code", { text: node.name }), h("span", { className: "pnb-muted", text: node.type ? ` ${node.type}` : "" }),
      h("span", { className: "pnb-num pnb-tree-size", text: ` ${formatSize(node.size)} ${share(node.size, block.total)}` }));
    const item = h("li", { role: "treeitem" });
    if (node.children && node.children.length) {
      const details = h("details", { className: "pnb-tree-node" }, h("summary", {}, label));
      const list = h("ul", { className: "pnb-tree-list", role: "group" });
      details.append(list);
      item.append(details);
      item.setAttribute("aria-expanded", "false");
      details.addEventListener("toggle", () => item.setAttribute("aria-expanded", String(details.open)));
      for (let i = node.children.length - 1; i >= 0; i--) stack.push([node.children[i], list]);
    } else item.append(label);
    parent.append(item);
  }
  return box;
}

function graphBlock(block) {
  const box = foldable(block, "pnb-block pnb-graph");
  if (block.svg) {
    try {
      const svg = parseSvg(block.svg);
      svg.classList.add("pnb-graph-svg");
      box.append(h("div", { className: "pnb-graph-view" }, svg));
      return box;
    } catch (err) {
      box.append(h("p", { className: "pnb-note", text: `the graph could not be drawn: ${err && err.message}` }));
    }
  }
  if (block.note) box.append(h("p", { className: "pnb-note", text: block.note }));
  box.append(h("pre", { text: block.dot || block.text }));
  return box;
}

function sectionBlock(block, ctx) {
  const box = foldable(block, "pnb-block pnb-section");
  const inner = h("div", { className: "pnb-section-body" });
  for (const child of block.blocks || []) {
    const view = blockView(child, ctx);
    if (view) inner.append(view);
  }
  box.append(inner);
  return box;
}

function stackBlock(block, onFrame) {
  const details = h("details", { className: "pnb-block pnb-stack", open: block.frames.length <= 40 });
  details.append(h("summary", { text: `${block.title}: ${block.frames.length} frames` + (block.truncated ? ` (${block.truncated} outer frames not shown)` : "") }));
  for (const frame of block.frames) {
    const button = h("button", {
      className: "pnb-frame", type: "button", "data-thread": block.thread, "data-depth": frame.depth,
      title: `size the ${frame.nlocals} local variables of ${frame.function}()`,
    }, h("span", { text: `${frame.file}:${frame.line} in ${frame.function}` }));
    if (frame.code) button.append(h("div", { className: "pnb-code", text: frame.code }));
    button.addEventListener("click", () => onFrame(block.thread, frame));
    details.append(button);
  }
  return details;
}

function staticWidget(box, block) {
  // the hosted widget's static HTML (made by pympler_nb in the kernel, as the loader's fallback)
  const fallback = h("div", { className: "pnb-widget-static" });
  fallback.innerHTML = block.html || "";
  box.append(fallback);
}

function widgetBlock(block, host, views) {
  // another widget drawn inside the tab (anywidget's host API); kept across redraws
  if (block.ref && views.has(block.ref)) return views.get(block.ref);
  const box = h("div", { className: "pnb-block pnb-widget" }, h("h4", { text: block.title }));
  const target = h("div");
  box.append(target);
  if (block.ref && host && typeof host.getWidget === "function") {
    views.set(block.ref, box);
    host.getWidget(block.ref)
      .then((widget) => widget.render({ el: target }))
      .catch((err) => { views.delete(block.ref); staticWidget(target, block); console.info("pympler_nb:", err && err.message); });
  } else {
    staticWidget(target, block);
  }
  return box;
}

function blockView(block, ctx) {
  switch (block.kind) {
    case "widget": return widgetBlock(block, ctx.host, ctx.views);
    case "note": return h("p", { className: "pnb-note", text: block.text });
    case "metrics": return metricsBlock(block);
    case "table": return tableBlock(block, ctx);
    case "image": return imageBlock(block);
    case "stack": return stackBlock(block, ctx.onFrame);
    case "tree": return treeBlock(block);
    case "graph": return graphBlock(block);
    case "section": return sectionBlock(block, ctx);
    case "pre": return h("div", { className: "pnb-block" }, h("h4", { text: block.title }), h("pre", { text: block.text }));
    default: return null;
  }
}

function render({ model, el, host }) {
  const root = h("div", { className: "pympler-nb-dash" });
  root.append(h("style", { text: theme + css }));
  const tabbar = h("div", { className: "pnb-tabbar", role: "tablist", "aria-label": "Memory dashboard" });
  const status = h("span", { className: "pnb-status", role: "status", "aria-live": "polite" });
  const reduce = h("input", { type: "checkbox", className: "pnb-reduce" });
  const reduceLabel = h("label", { className: "pnb-option", title: "keep only the objects that lie on the cycles" }, reduce, document.createTextNode(" reduce each cycle to its core"));
  const refresh = h("button", { type: "button", className: "pnb-refresh", title: "compute this tab again", text: "⟳ refresh" });
  const tools = h("div", { className: "pnb-tools" }, status, reduceLabel, refresh);
  const panel = h("div", { role: "tabpanel", className: "pnb-panel" });
  root.append(tabbar, panel);
  tabbar.append(tools);
  el.replaceChildren(root);

  let shown = model.get("active");  // the tab the view shows (the kernel's active until a click)
  let error = "";
  let pendingReduce = null;  // the reduce setting asked for, until the page computed with it arrives
  const buttons = new Map();
  const views = new Map();  // hosted widget ref -> its element (drawn once)

  for (const tab of model.get("tabs")) {
    const button = h("button", { role: "tab", type: "button", id: null, "data-tab": tab.name, text: tab.title, "aria-selected": "false", tabindex: "-1" });
    button.addEventListener("click", () => open(tab.name));
    button.addEventListener("keydown", (event) => {
      const names = [...buttons.keys()];
      const i = names.indexOf(tab.name);
      let next = null;
      if (event.key === "ArrowRight") next = names[(i + 1) % names.length];
      else if (event.key === "ArrowLeft") next = names[(i - 1 + names.length) % names.length];
      else if (event.key === "Home") next = names[0];
      else if (event.key === "End") next = names[names.length - 1];
      if (next === null) return;
      event.preventDefault();
      event.stopPropagation(); // keep JupyterLab's notebook shortcuts out of the tab list
      open(next);
      buttons.get(next).focus();
    });
    buttons.set(tab.name, button);
    tabbar.insertBefore(button, tools);
  }

  function open(name) {
    shown = name;
    error = "";
    model.send({ type: "open", tab: name });
    draw();
  }

  function onFrame(thread, frame) {
    error = "";
    status.textContent = `sizing the locals of ${frame.function}()…`;
    scrollTo = "detail";
    model.send({ type: "locals", thread, depth: frame.depth, frame_id: frame.frame_id });
  }

  function onDetail(what, key, text) {
    error = "";
    status.textContent = what === "class" ? `opening class ${text}…` : `opening ${text}…`;
    scrollTo = what === "class" ? "detail" : "object";
    model.send({ type: "detail", tab: shown, what, key });
  }
  let scrollTo = null;  // the detail to bring into view when it arrives
  const ctx = { onFrame, onDetail, host, views };

  function draw() {
    const pages = model.get("pages") || {};
    const page = pages[shown];
    for (const [name, button] of buttons) {
      const selected = name === shown;
      button.setAttribute("aria-selected", String(selected));
      button.tabIndex = selected ? 0 : -1;
    }
    panel.setAttribute("aria-label", shown);
    panel.dataset.tab = shown;
    reduceLabel.style.display = shown === "garbage" ? "" : "none";
    if (page && page.options && typeof page.options.reduce === "boolean") {
      // the user's click stands until the kernel's page with that setting arrives
      if (pendingReduce === null || page.options.reduce === pendingReduce) {
        pendingReduce = null;
        reduce.checked = page.options.reduce;
      } else reduce.checked = pendingReduce;
    }
    const busy = model.get("busy");
    if (error) {
      status.textContent = error;
      status.className = "pnb-status pnb-error";
    } else {
      status.className = "pnb-status";
      status.textContent = busy ? `computing ${busy}…` : page ? `computed at ${page.time}` : "computing…";
    }
    panel.setAttribute("aria-busy", busy || !page ? "true" : "false");
    const frag = document.createDocumentFragment();
    if (page) {
      for (const block of page.blocks) {
        const view = blockView(block, ctx);
        if (view) frag.append(view);
      }
      for (const which of ["detail", "object"]) {
        if (!page[which]) continue;
        const view = blockView(page[which], ctx);
        if (view) frag.append(h("div", { className: `pnb-detail pnb-detail-${which}`, "data-detail": which }, view));
      }
    }
    const keep = panel.scrollTop;
    panel.replaceChildren(frag);
    panel.scrollTop = keep;
    const target = scrollTo && page && page[scrollTo] ? panel.querySelector(`[data-detail="${scrollTo}"]`) : null;
    if (target) {
      scrollTo = null;
      if (typeof target.scrollIntoView === "function") target.scrollIntoView({ block: "nearest" });
    }
  }

  refresh.addEventListener("click", () => {
    error = "";
    model.send({ type: "refresh", tab: shown });
  });
  reduce.addEventListener("change", () => {
    pendingReduce = reduce.checked;
    model.send({ type: "option", tab: "garbage", name: "reduce", value: reduce.checked });
  });
  function onMessage(msg) {
    if (msg && msg.type === "error") {
      error = `error: ${msg.message}`;
      pendingReduce = null;
      draw();
    }
  }
  function onPages() { draw(); }
  function onActive() {
    shown = model.get("active");
    draw();
  }
  const unlisten = listen(model, [
    ["msg:custom", onMessage], ["change:pages", onPages], ["change:busy", onPages], ["change:active", onActive],
  ]);
  draw();
  return unlisten;
}

const safeRender = guarded(render, "pympler-nb-dash", "dashboard");

export default { render: safeRender };
