// formatSize must print exactly what pympler_nb.core._format.format_size prints.
// tests/test_widgets.py runs this file with PYMPLER_NB_FORMAT_CASES pointing to a JSON
// list of [size, sign, python_text] computed by Python; the table below runs always.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { formatShare, formatSize, shareOf } from "../lib/format.js";

const TABLE = [
  [0, false, "0 B"],
  [512, false, "512 B"],
  [1024, false, "1024 B"],
  [1025, false, "1.0 KiB"],
  [1536, false, "1.5 KiB"],
  [1280, false, "1.2 KiB"], // 1.25 exactly: ties to even, like Python
  [1408, false, "1.4 KiB"], // 1.375 -> 1.4
  [102400, false, "100 KiB"],
  [102399, false, "100.0 KiB"], // 99.999: one decimal decided before rounding
  [-3 * 2 ** 20, true, "-3.0 MiB"],
  [3 * 2 ** 20, true, "+3.0 MiB"],
  [0, true, "+0 B"],
  [-5, false, "-5 B"],
  [2 ** 60 * 5, false, "5.0 EiB"],
  [2 ** 70, false, "1024 EiB"],
];

test("formatSize matches the Python table", () => {
  for (const [size, sign, want] of TABLE) assert.equal(formatSize(size, sign), want, `${size} ${sign}`);
});

test("formatSize matches Python's format_size on generated cases", { skip: !process.env.PYMPLER_NB_FORMAT_CASES }, () => {
  const cases = JSON.parse(readFileSync(process.env.PYMPLER_NB_FORMAT_CASES, "utf8"));
  assert.ok(cases.length > 100);
  const bad = cases.filter(([size, sign, want]) => formatSize(size, sign) !== want);
  assert.deepEqual(bad.slice(0, 5).map(([s, g, w]) => [s, g, w, formatSize(s, g)]), []);
});

test("formatSize never throws on junk", () => {
  assert.equal(formatSize(NaN), "? B");
  assert.equal(formatSize(undefined), "? B");
});

test("shares", () => {
  assert.equal(shareOf(50, 200), 0.25);
  assert.equal(shareOf(5, 0), 0);
  assert.equal(shareOf(300, 200), 1);
  assert.equal(formatShare(0.25), "25.0%");
  assert.equal(formatShare(0.0000001), "<0.1%");
  assert.equal(formatShare(0), "0%");
});
