// The size tree's state machine: expanding, paging, stale replies, filter, keys.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as tree from "../lib/tree.js";

const node = (id, size, hasChildren = false, name = id, type = "list") => ({
  id, name, type, size, flat: 8, has_children: hasChildren,
});

function sample() {
  return tree.createState([node("0", 1000, true, "data", "dict"), node("1", 500, false, "x", "int")]);
}

test("roots and shares", () => {
  const state = sample();
  const rows = tree.visibleRows(state);
  assert.deepEqual(rows.map((r) => r.id), ["0", "1"]);
  assert.equal(rows[0].share, 1000 / 1500);
  assert.equal(rows[0].expandable, true);
  assert.equal(rows[0].expanded, false);
  assert.equal(rows[1].expandable, false);
  assert.equal(rows[0].level, 1);
  assert.equal(rows[1].posinset, 2);
  assert.equal(rows[1].setsize, 2);
});

test("expand asks once, shows loading, then children and show more", () => {
  const state = sample();
  assert.deepEqual(tree.expand(state, "0"), { type: "expand", id: "0", offset: 0 });
  assert.equal(tree.expand(state, "0"), null); // already pending
  assert.equal(tree.expand(state, "1"), null); // a leaf
  let rows = tree.visibleRows(state);
  assert.deepEqual(rows.map((r) => r.kind), ["node", "loading", "node"]);
  const changed = tree.receive(state, {
    type: "children", id: "0", offset: 0, total: 5,
    nodes: [node("0/0", 600, true), node("0/1", 200)],
  });
  assert.equal(changed, true);
  rows = tree.visibleRows(state);
  assert.deepEqual(rows.map((r) => r.key), ["0", "0/0", "0/1", "more:0", "1"]);
  assert.equal(rows[1].share, 0.6);
  assert.equal(rows[1].level, 2);
  assert.equal(rows[3].remaining, 3);
  // a duplicate reply for offset 0 is ignored
  assert.equal(tree.receive(state, { type: "children", id: "0", offset: 0, total: 5, nodes: [node("0/9", 1)] }), false);
  assert.deepEqual(tree.requestMore(state, "0"), { type: "expand", id: "0", offset: 2 });
  assert.equal(tree.requestMore(state, "0"), null); // pending
  tree.receive(state, { type: "children", id: "0", offset: 2, total: 5, nodes: [node("0/2", 1), node("0/3", 1), node("0/4", 1)] });
  rows = tree.visibleRows(state);
  assert.deepEqual(rows.map((r) => r.key), ["0", "0/0", "0/1", "0/2", "0/3", "0/4", "1"]);
  tree.collapse(state, "0");
  assert.deepEqual(tree.visibleRows(state).map((r) => r.key), ["0", "1"]);
  assert.equal(tree.expand(state, "0"), null); // loaded: no new request
  assert.equal(tree.visibleRows(state).length, 7);
});

test("error replies show on the row and allow no more", () => {
  const state = sample();
  tree.expand(state, "0");
  tree.receive(state, { type: "error", id: "0", message: "it died" });
  const rows = tree.visibleRows(state);
  assert.deepEqual(rows.map((r) => r.kind), ["node", "error", "node"]);
  assert.equal(rows[1].message, "it died");
  assert.equal(tree.receive(state, { type: "error", id: "nope", message: "x" }), false);
  assert.equal(tree.receive(state, null), false);
});

test("empty children make a row a leaf", () => {
  const state = sample();
  tree.expand(state, "0");
  tree.receive(state, { type: "children", id: "0", offset: 0, total: 0, nodes: [] });
  const rows = tree.visibleRows(state);
  assert.equal(rows[0].expandable, false);
  assert.equal(rows[0].expanded, false);
});

test("filter keeps matches and their ancestors", () => {
  const state = sample();
  tree.expand(state, "0");
  tree.receive(state, {
    type: "children", id: "0", offset: 0, total: 3,
    nodes: [node("0/0", 10, false, "alpha", "str"), node("0/1", 10, false, "beta", "float")],
  });
  tree.collapse(state, "0"); // filtering looks into collapsed rows too
  assert.deepEqual(tree.visibleRows(state, "ALPHA").map((r) => r.key), ["0", "0/0"]);
  assert.deepEqual(tree.visibleRows(state, "float").map((r) => r.key), ["0", "0/1"]);
  assert.deepEqual(tree.visibleRows(state, "int").map((r) => r.key), ["1"]);
  assert.deepEqual(tree.visibleRows(state, "zzz"), []);
});

test("keys follow the WAI-ARIA tree pattern", () => {
  const state = sample();
  let rows = tree.visibleRows(state);
  assert.deepEqual(tree.keyAction(state, rows, 0, "ArrowDown"), { handled: true, focus: 1 });
  assert.deepEqual(tree.keyAction(state, rows, 1, "ArrowDown"), { handled: true, focus: 1 });
  assert.deepEqual(tree.keyAction(state, rows, 1, "Home"), { handled: true, focus: 0 });
  assert.deepEqual(tree.keyAction(state, rows, 0, "End"), { handled: true, focus: 1 });
  assert.deepEqual(tree.keyAction(state, rows, 0, "ArrowRight"), { handled: true, expand: "0" });
  assert.deepEqual(tree.keyAction(state, rows, 0, "Enter"), { handled: true, expand: "0" });
  assert.deepEqual(tree.keyAction(state, rows, 0, "x"), { handled: false });
  tree.expand(state, "0");
  tree.receive(state, { type: "children", id: "0", offset: 0, total: 3, nodes: [node("0/0", 10)] });
  rows = tree.visibleRows(state);
  assert.deepEqual(tree.keyAction(state, rows, 0, "ArrowRight"), { handled: true, focus: 1 });
  assert.deepEqual(tree.keyAction(state, rows, 1, "ArrowLeft"), { handled: true, focus: 0 });
  assert.deepEqual(tree.keyAction(state, rows, 0, "ArrowLeft"), { handled: true, collapse: "0" });
  assert.deepEqual(tree.keyAction(state, rows, 0, " "), { handled: true, collapse: "0" });
  assert.equal(rows[2].kind, "more");
  assert.deepEqual(tree.keyAction(state, rows, 2, "Enter"), { handled: true, more: "0" });
  assert.deepEqual(tree.keyAction(state, rows, 2, "ArrowLeft"), { handled: true, focus: 0 });
});
