// Variable explorer widget (anywidget front end of pympler_nb.widgets.VariablesTable).
//
// One row per notebook variable and hidden holder (Out[n], _, In / _i…, the last
// exception): shallow, deep and retained sizes. Click a column header to sort, type in
// the filter box to keep matching rows. "free" asks the kernel for the release plan
// (%whyalive's statements), shows it, and runs it only after "confirm"; the kernel
// answers with the RSS returned and sends the new rows (the freed row disappears).

import css from "./variables.css";
import theme from "./lib/theme.css";
import { formatSize } from "./lib/format.js";
import { h, listen } from "./lib/dom.js";
import { guarded } from "./lib/guard.js";
import { filterRows, sortRows } from "./lib/vartable.js";

const COLUMNS = [
  { key: "name", label: "name" },
  { key: "type", label: "type" },
  { key: "shallow", label: "shallow", num: true },
  { key: "deep", label: "deep", num: true },
  { key: "retained", label: "retained", num: true },
  { key: "note", label: "note" },
];


function render({ model, el }) {
  const root = h("div", { className: "pympler-nb-vars" });
  root.append(h("style", { text: theme + css }));
  const title = h("span", { className: "pnb-title" });
  const filter = h("input", { className: "pnb-filter", type: "search", placeholder: "filter: name, type, note",
    "aria-label": "Filter rows" });
  const hiddenBox = h("input", { type: "checkbox", checked: "checked", "aria-label": "Show hidden holders" });
  const refresh = h("button", { type: "button", text: "refresh", title: "Size the namespace again" });
  const status = h("span", { className: "pnb-status", role: "status", "aria-live": "polite" });
  const table = h("table", { className: "pnb-table" });
  const panel = h("div", { className: "pnb-panel", "aria-live": "polite" });
  root.append(
    h("div", { className: "pnb-head" }, title, filter,
      h("label", {}, hiddenBox, document.createTextNode(" hidden holders")), refresh, status),
    h("div", { className: "pnb-scroll" }, table),
    panel,
  );
  el.replaceChildren(root);

  let sortKey = "retained";
  let descending = true;
  let pending = null; // the row whose plan is shown: {name, run}

  function draw() {
    title.textContent = model.get("title") || "";
    status.textContent = model.get("summary") || "";
    let rows = model.get("rows") || [];
    if (!hiddenBox.checked) rows = rows.filter((r) => r.kind === "variable");
    rows = sortRows(filterRows(rows, filter.value), sortKey, descending);
    const head = h("tr");
    for (const col of COLUMNS) {
      const mark = col.key === sortKey ? (descending ? " ▼" : " ▲") : "";
      const th = h("th", { className: col.num ? "pnb-num" : null, "data-key": col.key, text: col.label + mark,
        "aria-sort": col.key === sortKey ? (descending ? "descending" : "ascending") : null });
      th.addEventListener("click", () => {
        if (sortKey === col.key) descending = !descending;
        else { sortKey = col.key; descending = !!col.num; }
        draw();
      });
      head.append(th);
    }
    head.append(h("th", { text: "" }));
    const body = h("tbody");
    for (const r of rows) {
      const tr = h("tr", { className: r.kind === "variable" ? null : "pnb-hidden", "data-name": r.name,
        title: r.repr });
      tr.append(
        h("td", { text: r.name + (r.aliases ? ` (${r.aliases})` : "") }),
        h("td", { text: r.type }),
        h("td", { className: "pnb-num", text: formatSize(r.shallow) }),
        h("td", { className: "pnb-num", text: formatSize(r.deep) }),
        h("td", { className: "pnb-num", text: formatSize(r.retained) }),
        h("td", { className: "pnb-note", text: r.note }),
      );
      const cell = h("td");
      if (r.freeable) {
        const btn = h("button", { type: "button", className: "pnb-free", text: "free",
          title: `Show what releasing ${r.name} runs, then confirm` });
        btn.addEventListener("click", () => {
          panel.replaceChildren(h("div", { className: "pnb-plan", text: `planning ${r.name}…` }));
          model.send({ type: "plan", name: r.name });
        });
        cell.append(btn);
      }
      tr.append(cell);
      body.append(tr);
    }
    table.replaceChildren(h("thead", {}, head), body);
  }

  function showPlan(msg) {
    pending = { name: msg.name, run: msg.run };
    const box = h("div", { className: "pnb-plan" });
    box.append(h("div", { text: `release ${msg.name}: ${msg.text}` }));
    if (msg.run.length) box.append(h("code", { text: msg.run.join("\n") }));
    else box.append(h("div", { text: "no statement to run" }));
    for (const s of msg.skipped) box.append(h("div", { className: "pnb-status", text: `not run: ${s}` }));
    const confirm = h("button", { type: "button", className: "pnb-confirm", text: "confirm" });
    const cancel = h("button", { type: "button", className: "pnb-cancel", text: "cancel" });
    confirm.disabled = !msg.run.length;
    confirm.addEventListener("click", () => {
      if (!pending) return;
      confirm.disabled = true;
      model.send({ type: "free", name: pending.name, expect: pending.run });
      status.textContent = `freeing ${pending.name}…`;
    });
    cancel.addEventListener("click", () => { pending = null; panel.replaceChildren(); });
    box.append(h("div", {}, confirm, document.createTextNode(" "), cancel));
    panel.replaceChildren(box);
  }

  function onMessage(msg) {
    if (!msg || typeof msg !== "object") return;
    if (msg.type === "plan") showPlan(msg);
    else if (msg.type === "freed") {
      pending = null;
      const back = msg.rss_returned;
      const rss = back === null || back === undefined ? "" :
        (back >= 0 ? `RSS returned: ${formatSize(back)}` : `RSS grew by ${formatSize(-back)}`);
      panel.replaceChildren(h("div", { className: "pnb-result", "data-rss-returned": back ?? "",
        text: `${rss}${rss ? "\n" : ""}${msg.text}` }));
      draw();
    } else if (msg.type === "error") {
      pending = null;
      panel.replaceChildren(h("div", { className: "pnb-error", text: msg.message }));
    } else if (msg.type === "refreshed") draw();
  }

  const onRows = () => draw();
  filter.addEventListener("input", draw);
  hiddenBox.addEventListener("change", draw);
  refresh.addEventListener("click", () => model.send({ type: "refresh" }));
  const unlisten = listen(model, [
    ["msg:custom", onMessage], ["change:rows", onRows], ["change:summary", onRows],
  ]);
  draw();
  return unlisten;
}

const safeRender = guarded(render, "pympler-nb-vars", "variables table");

export default { render: safeRender };
