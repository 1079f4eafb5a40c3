import assert from "node:assert/strict";
import { test } from "node:test";
import { sparkPoints } from "../lib/spark.js";

test("sparkline points span the box, lowest reading at the bottom", () => {
  assert.equal(sparkPoints([10, 20, 30], 100, 20), "0.0,20.0 50.0,10.0 100.0,0.0");
  assert.equal(sparkPoints([5, 5], 100, 20), "0.0,20.0 100.0,20.0");
  assert.equal(sparkPoints([1]), "");
  assert.equal(sparkPoints(null), "");
  assert.equal(sparkPoints([1, NaN, 3], 10, 10), "0.0,10.0 10.0,0.0");
});
