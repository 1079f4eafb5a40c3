// Size tree widget (anywidget front end of pympler_nb.widgets.SizeTree).
//
// A WAI-ARIA tree (role="tree" / role="treeitem", aria-expanded, aria-level, roving
// tabindex, arrow keys) of sizes. Only the rows the kernel shipped exist here; expanding
// a row asks the kernel for its children with {type: "expand", id, offset}.

import css from "./size_tree.css";
import theme from "./lib/theme.css";
import { formatShare, formatSize } from "./lib/format.js";
import { h, listen } from "./lib/dom.js";
import { guarded } from "./lib/guard.js";
import * as tree from "./lib/tree.js";

const INDENT_EM = 1.2;


function nodeRow(row, focusKey) {
  const { node } = row;
  const name = h("span", { className: "pnb-name", title: node.name });
  name.style.paddingLeft = `${(row.level - 1) * INDENT_EM}em`;
  name.append(
    h("span", { className: "pnb-twisty", "aria-hidden": "true", text: row.expandable ? (row.expanded ? "▾" : "▸") : "" }),
    document.createTextNode(node.name),
  );
  const pct = formatShare(row.share);
  const bar = h("span", { className: "pnb-bar", "aria-hidden": "true" }, h("span"));
  bar.firstChild.style.width = `${(row.share * 100).toFixed(2)}%`;
  const el = h(
    "div",
    {
      className: "pnb-row pnb-node",
      role: "treeitem",
      "aria-level": row.level,
      "aria-setsize": row.setsize,
      "aria-posinset": row.posinset,
      "aria-expanded": row.expandable ? String(row.expanded) : null,
      "aria-label": `${node.name}, ${node.type || "object"}, ${formatSize(node.size)}, ${pct} of parent`,
      tabindex: row.key === focusKey ? "0" : "-1",
      "data-node-id": node.id,
      "data-key": row.key,
    },
    name,
    h("span", { className: "pnb-type", title: node.type, text: node.type }),
    h("span", { className: "pnb-size", title: `${node.size} bytes (own: ${node.flat} bytes)`, text: formatSize(node.size) }),
    h("span", { className: "pnb-share" }, bar, h("span", { className: "pnb-pct", text: pct })),
  );
  return el;
}

function otherRow(row, focusKey) {
  let text;
  let cls;
  if (row.kind === "more") {
    text = `show more… (${row.remaining.toLocaleString("en-US")} not shown)`;
    cls = "pnb-more";
  } else if (row.kind === "loading") {
    text = "loading…";
    cls = "pnb-loading";
  } else {
    text = `could not expand: ${row.message}`;
    cls = "pnb-error";
  }
  const cell = h("span", { className: `pnb-wide ${cls}`, text });
  cell.style.paddingLeft = `${(row.level - 1) * INDENT_EM + 1.2}em`;
  return h(
    "div",
    {
      className: "pnb-row",
      role: "treeitem",
      "aria-level": row.level,
      tabindex: row.key === focusKey ? "0" : "-1",
      "data-key": row.key,
      "data-more-for": row.kind === "more" ? row.parentId : null,
      "aria-busy": row.kind === "loading" ? "true" : null,
    },
    cell,
  );
}

function render({ model, el }) {
  const root = h("div", { className: "pympler-nb-tree" });
  root.append(h("style", { text: theme + css }));
  const title = h("span", { className: "pnb-title" });
  const filter = h("input", {
    className: "pnb-filter",
    type: "search",
    placeholder: "filter by name or type",
    "aria-label": "Filter rows by name or type",
  });
  const status = h("span", { className: "pnb-status", role: "status", "aria-live": "polite" });
  const header = h(
    "div",
    { className: "pnb-row pnb-header", "aria-hidden": "true" },
    h("span", { text: "name" }),
    h("span", { text: "type" }),
    h("span", { className: "pnb-size", text: "size" }),
    h("span", { text: "share of parent" }),
  );
  const treeEl = h("div", { role: "tree", "aria-label": "Sizes of objects and what they reference" });
  root.append(h("div", { className: "pnb-head" }, title, filter, status), header, treeEl);
  el.replaceChildren(root);

  const state = tree.createState(model.get("roots"), model.get("total"));
  let rows = [];
  let focusKey = null;

  function send(request) {
    if (request) model.send(request);
  }

  function draw(keepFocus = false) {
    const hadFocus = keepFocus && treeEl.contains(document.activeElement);
    rows = tree.visibleRows(state, filter.value);
    if (!rows.some((r) => r.key === focusKey)) focusKey = rows.length ? rows[0].key : null;
    const frag = document.createDocumentFragment();
    for (const row of rows) frag.append(row.kind === "node" ? nodeRow(row, focusKey) : otherRow(row, focusKey));
    treeEl.replaceChildren(frag);
    if (!rows.length) {
      treeEl.append(h("div", { className: "pnb-empty", text: filter.value ? "no shown row matches the filter" : "nothing to show" }));
    }
    title.textContent = model.get("title") || "";
    const shown = state.nodes.size;
    status.textContent = `${formatSize(state.total)} in ${state.roots.length} root${state.roots.length === 1 ? "" : "s"}; ${shown} row${shown === 1 ? "" : "s"} loaded`;
    if (hadFocus) focusRow(focusKey);
  }

  function focusRow(key) {
    focusKey = key;
    for (const item of treeEl.querySelectorAll('[role="treeitem"]')) {
      const mine = item.dataset.key === key;
      item.tabIndex = mine ? 0 : -1;
      if (mine) {
        item.focus({ preventScroll: true });
        item.scrollIntoView({ block: "nearest" });
      }
    }
  }

  function act(action) {
    if (action.expand !== undefined) send(tree.expand(state, action.expand));
    if (action.collapse !== undefined) tree.collapse(state, action.collapse);
    if (action.more !== undefined) send(tree.requestMore(state, action.more));
    if (action.expand !== undefined || action.collapse !== undefined || action.more !== undefined) draw(true);
    if (action.focus !== undefined && rows[action.focus]) focusRow(rows[action.focus].key);
  }

  function onClick(event) {
    const item = event.target.closest('[role="treeitem"]');
    if (!item || !treeEl.contains(item)) return;
    const key = item.dataset.key;
    focusKey = key;
    const row = rows.find((r) => r.key === key);
    if (!row) return;
    if (row.kind === "more") act({ more: row.parentId });
    else if (row.kind === "node" && row.expandable) {
      const onTwisty = event.target.closest(".pnb-twisty");
      if (!row.expanded) act({ expand: row.id });
      else if (onTwisty) act({ collapse: row.id });
      else focusRow(key);
    } else focusRow(key);
  }

  function onKey(event) {
    const item = event.target.closest('[role="treeitem"]');
    if (!item) return;
    const index = rows.findIndex((r) => r.key === item.dataset.key);
    const action = tree.keyAction(state, rows, index, event.key);
    if (!action.handled) return;
    event.preventDefault();
    event.stopPropagation(); // keep JupyterLab's notebook shortcuts out of the tree
    act(action);
  }

  function onMessage(msg) {
    if (tree.receive(state, msg)) draw(true);
  }

  function onRoots() {
    tree.setRoots(state, model.get("roots"), model.get("total"));
    draw();
  }

  function onFilter() {
    draw();
  }

  function onFocusIn(event) {
    const item = event.target.closest('[role="treeitem"]');
    if (item && item.dataset.key !== focusKey) {
      focusKey = item.dataset.key;
      for (const other of treeEl.querySelectorAll('[role="treeitem"][tabindex="0"]')) other.tabIndex = -1;
      item.tabIndex = 0;
    }
  }

  treeEl.addEventListener("focusin", onFocusIn);
  treeEl.addEventListener("click", onClick);
  treeEl.addEventListener("keydown", onKey);
  filter.addEventListener("input", onFilter);
  filter.addEventListener("keydown", (event) => event.stopPropagation());
  const unlisten = listen(model, [
    ["msg:custom", onMessage], ["change:roots", onRoots], ["change:total", onRoots], ["change:title", onFilter],
  ]);
  draw();
  return unlisten;
}

const safeRender = guarded(render, "pympler-nb-tree", "size tree");

export default { render: safeRender };
