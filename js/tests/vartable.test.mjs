// The variables table: sort by any column (hidden holders after the variables), filter.
import assert from "node:assert/strict";
import { test } from "node:test";
import { filterRows, sortRows } from "../lib/vartable.js";

const rows = [
  { name: "b", kind: "variable", type: "list", retained: 10, deep: 50, note: "" },
  { name: "Out[3]", kind: "output", type: "DataFrame", retained: 999, deep: 999, note: "" },
  { name: "a", kind: "variable", type: "ndarray", retained: 100, deep: 100, note: "view of c" },
  { name: "c", kind: "variable", type: "ndarray", retained: 0, deep: 100, note: "" },
];

test("numeric sort, descending and ascending, hidden rows last", () => {
  assert.deepEqual(sortRows(rows, "retained", true).map((r) => r.name), ["a", "b", "c", "Out[3]"]);
  assert.deepEqual(sortRows(rows, "retained", false).map((r) => r.name), ["c", "b", "a", "Out[3]"]);
  assert.deepEqual(sortRows(rows, "deep", true).map((r) => r.name), ["a", "c", "b", "Out[3]"]);
});

test("text sort by name and type", () => {
  assert.deepEqual(sortRows(rows, "name", false).map((r) => r.name), ["a", "b", "c", "Out[3]"]);
  assert.deepEqual(sortRows(rows, "type", false).map((r) => r.name), ["b", "a", "c", "Out[3]"]);
});

test("filter by name, type or note, case-insensitive", () => {
  assert.deepEqual(filterRows(rows, "NDARRAY").map((r) => r.name), ["a", "c"]);
  assert.deepEqual(filterRows(rows, "view").map((r) => r.name), ["a"]);
  assert.equal(filterRows(rows, "  ").length, 4);
});
