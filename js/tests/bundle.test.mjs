// The built ref-graph bundle lays out DOT with its inlined WebAssembly Graphviz,
// with the network switched off (fetch throws). Needs `npm run build` first.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { test } from "node:test";

const bundle = new URL("../../pympler_nb/static/ref_graph.js", import.meta.url);

test("WASM Graphviz works offline from the bundle", { skip: !existsSync(bundle) && "run npm run build first" }, async () => {
  const calls = [];
  globalThis.fetch = async (url) => {
    calls.push(String(url));
    throw new Error("network is off in this test");
  };
  const mod = await import(bundle.href);
  assert.equal(typeof mod.default.render, "function");
  const viz = await mod.getViz();
  const svg = viz.renderString('digraph G { X1a [label="a <b> & \\"c\\""]; X1a -> M1; }', { format: "svg", engine: "dot" });
  assert.match(svg, /<svg/);
  assert.match(svg, /<title>X1a<\/title>/);
  assert.match(svg, /<title>M1<\/title>/);
  assert.match(svg, /a &lt;b&gt; &amp; &quot;c&quot;/);
  assert.deepEqual(calls, []);
});
