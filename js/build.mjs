// Bundle the widgets' front end: one self-contained ESM file per widget in
// pympler_nb/static/ (anywidget `_esm`), CSS inlined as text, the Graphviz WebAssembly
// inlined by @viz-js/viz. Nothing is loaded from the network at run time.
//   node js/build.mjs            build once (minified)
//   node js/build.mjs --watch    rebuild on change
import * as esbuild from "esbuild";
import { fileURLToPath } from "node:url";
import path from "node:path";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const watch = process.argv.includes("--watch");

const options = {
  absWorkingDir: root,
  entryPoints: { size_tree: "js/size_tree.js", ref_graph: "js/ref_graph.js", dashboard: "js/dashboard.js" },
  outdir: "pympler_nb/static",
  bundle: true,
  format: "esm",
  platform: "browser",
  target: ["es2020"],
  minify: !watch,
  legalComments: "eof",
  charset: "utf8",
  loader: { ".css": "text" },
  logLevel: "info",
};

if (watch) {
  const ctx = await esbuild.context(options);
  await ctx.watch();
} else {
  await esbuild.build(options);
}
