// js/lib/dom.js: `listen` subscribes and unsubscribes the very same handlers; `h`
// leaves out null/undefined/false attributes and sets true as an empty attribute.
import assert from "node:assert/strict";
import { test } from "node:test";
import { h, listen } from "../lib/dom.js";

function fakeModel() {
  const handlers = new Map();
  return {
    handlers,
    on(event, fn) { handlers.set(event, [...(handlers.get(event) || []), fn]); },
    off(event, fn) { handlers.set(event, (handlers.get(event) || []).filter((f) => f !== fn)); },
  };
}

test("listen subscribes every pair and its return value takes them all off", () => {
  const model = fakeModel();
  const a = () => {};
  const b = () => {};
  const unlisten = listen(model, [["change:rows", a], ["change:summary", a], ["msg:custom", b]]);
  assert.deepEqual(model.handlers.get("change:rows"), [a]);
  assert.deepEqual(model.handlers.get("change:summary"), [a]);
  assert.deepEqual(model.handlers.get("msg:custom"), [b]);
  unlisten();
  for (const list of model.handlers.values()) assert.deepEqual(list, []);
});

test("h sets text, class and attributes, skipping empty values and children", () => {
  class Node {
    constructor(tag) { this.tag = tag; this.attrs = {}; this.children = []; }
    setAttribute(key, value) { this.attrs[key] = value; }
    append(child) { this.children.push(child); }
  }
  globalThis.document = { createElement: (tag) => new Node(tag) };
  try {
    const child = h("span", { text: "x" });
    const node = h("td", { className: "pnb-num", title: null, hidden: false, open: true, colspan: 2,
      "aria-sort": undefined }, child, null, "");
    assert.equal(node.tag, "td");
    assert.equal(node.className, "pnb-num");
    assert.deepEqual(node.attrs, { open: "", colspan: "2" });
    assert.deepEqual(node.children, [child]);
    assert.equal(child.textContent, "x");
  } finally {
    delete globalThis.document;
  }
});
