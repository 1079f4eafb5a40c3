// Pan and zoom of an SVG viewBox [x, y, width, height], as pure functions.

const MIN_ZOOM = 1 / 8; // at most 8x smaller than the whole graph
const MAX_ZOOM = 40; // at most 40x magnified

/** Zoom by `factor` (> 1 magnifies) keeping the point (px, py) fixed on screen. */
export function zoomViewBox(view, factor, px, py) {
  if (!(factor > 0)) return view;
  const [x, y, w, h] = view;
  return [px - (px - x) / factor, py - (py - y) / factor, w / factor, h / factor];
}

/** Move the view by (dx, dy) in SVG units. */
export function panViewBox(view, dx, dy) {
  const [x, y, w, h] = view;
  return [x + dx, y + dy, w, h];
}

/**
 * Keep the zoom within [MIN_ZOOM, MAX_ZOOM] of `home` and some of the graph in view.
 * Returns a new array.
 */
export function clampViewBox(view, home) {
  if (!home) return view.slice();
  let [x, y, w, h] = view;
  const [hx, hy, hw, hh] = home;
  const maxW = hw / MIN_ZOOM;
  const minW = hw / MAX_ZOOM;
  if (w > maxW || w < minW) {
    const target = Math.min(maxW, Math.max(minW, w));
    const k = target / w;
    const cx = x + w / 2;
    const cy = y + h / 2;
    w *= k;
    h *= k;
    x = cx - w / 2;
    y = cy - h / 2;
  }
  // at least a tenth of the view keeps showing the graph
  const marginX = w * 0.9;
  const marginY = h * 0.9;
  x = Math.min(Math.max(x, hx - marginX), hx + hw - w * 0.1);
  y = Math.min(Math.max(y, hy - marginY), hy + hh - h * 0.1);
  return [x, y, w, h];
}
