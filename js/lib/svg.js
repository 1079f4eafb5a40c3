// Inline SVG made by Graphviz (in the kernel or in the browser), parsed and made inert.

/** Parse Graphviz's SVG output, dropping anything active (defence in depth). */
export function parseSvg(text) {
  const doc = new DOMParser().parseFromString(text, "image/svg+xml");
  const svg = doc.documentElement;
  if (!svg || svg.nodeName.toLowerCase() !== "svg") throw new Error("Graphviz returned no SVG");
  for (const bad of svg.querySelectorAll("script, foreignObject")) bad.remove();
  for (const elem of svg.querySelectorAll("*")) {
    for (const attr of [...elem.attributes]) {
      if (/^on/i.test(attr.name) || (/href$/i.test(attr.name) && /^\s*javascript:/i.test(attr.value))) elem.removeAttribute(attr.name);
    }
  }
  return document.importNode(svg, true);
}
