// Live memory meter (anywidget front end of pympler_nb.widgets.meter.MemoryMeter).
//
// Shows the kernel's RSS, its limit (cgroup or machine), the percentage used and a
// sparkline of the last readings; the kernel pushes a new reading about once a second
// (also while a cell runs). Above the warning level the meter turns red. The close
// button asks the kernel to close the widget, which stops its timer.

import css from "./meter.css";
import { formatSize } from "./lib/format.js";
import { listen } from "./lib/dom.js";
import { guarded } from "./lib/guard.js";
import { sparkPoints } from "./lib/spark.js";

function render({ model, el }) {
  const style = document.createElement("style");
  style.textContent = css;
  const box = document.createElement("div");
  box.className = "pympler-nb-meter";
  box.setAttribute("role", "meter");
  const text = document.createElement("span");
  text.className = "pnb-meter-text";
  const bar = document.createElement("span");
  bar.className = "pnb-meter-bar";
  const fill = document.createElement("span");
  bar.append(fill);
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 100 20");
  svg.setAttribute("preserveAspectRatio", "none");
  const line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
  svg.append(line);
  const close = document.createElement("button");
  close.className = "pnb-meter-close";
  close.title = "stop the meter";
  close.textContent = "✕";
  close.addEventListener("click", () => model.send({ type: "close" }));
  box.append(text, bar, svg, close);
  el.replaceChildren(style, box);

  function update() {
    const rss = model.get("rss");
    const limit = model.get("limit");
    const pct = model.get("percent");
    const running = model.get("running");
    const where = model.get("where");
    const lim = limit > 0 ? ` of ${formatSize(limit)} ${where} (${pct.toFixed(1)}%)` : "";
    text.textContent = `RSS ${formatSize(rss)}${lim}${running ? "" : " (stopped)"}`;
    box.setAttribute("aria-valuenow", String(pct));
    box.dataset.ticks = String(model.get("ticks"));
    fill.style.width = `${Math.min(100, Math.max(0, pct)).toFixed(1)}%`;
    line.setAttribute("points", sparkPoints(model.get("history")));
    box.classList.toggle("pnb-warning", model.get("warning"));
    box.classList.toggle("pnb-stopped", !running);
    close.hidden = !running;
  }
  const names = ["rss", "limit", "percent", "history", "warning", "running", "ticks"];
  const unlisten = listen(model, names.map((name) => [`change:${name}`, update]));
  update();
  return unlisten;
}

const safeRender = guarded(render, "pympler-nb-meter", "memory meter");

export default { render: safeRender };
