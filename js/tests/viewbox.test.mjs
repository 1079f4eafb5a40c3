import assert from "node:assert/strict";
import { test } from "node:test";
import { clampViewBox, panViewBox, zoomViewBox } from "../lib/viewbox.js";

test("zoom keeps the pointer fixed", () => {
  const v = zoomViewBox([0, 0, 100, 50], 2, 50, 25);
  assert.deepEqual(v, [25, 12.5, 50, 25]);
  const w = zoomViewBox([0, 0, 100, 50], 2, 0, 0);
  assert.deepEqual(w, [0, 0, 50, 25]);
});

test("pan moves", () => {
  assert.deepEqual(panViewBox([0, 0, 10, 10], 3, -2), [3, -2, 10, 10]);
});

test("clamp bounds zoom and keeps the graph in view", () => {
  const home = [0, 0, 100, 100];
  const tiny = clampViewBox([0, 0, 0.001, 0.001], home);
  assert.ok(Math.abs(tiny[2] - 100 / 40) < 1e-9);
  const huge = clampViewBox([0, 0, 1e6, 1e6], home);
  assert.ok(Math.abs(huge[2] - 800) < 1e-9);
  const far = clampViewBox([1e6, 1e6, 100, 100], home);
  assert.ok(far[0] <= 100 && far[1] <= 100);
});
