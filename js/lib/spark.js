// The meter's sparkline: readings as SVG polyline points in a width x height box, the
// lowest reading at the bottom, the highest at the top (flat readings: a line at the bottom).

export function sparkPoints(history, width = 100, height = 20) {
  const values = (history || []).filter((v) => Number.isFinite(v));
  if (values.length < 2) return "";
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const span = hi - lo || 1;
  const step = width / (values.length - 1);
  return values.map((v, i) => `${(i * step).toFixed(1)},${(height - ((v - lo) / span) * height).toFixed(1)}`).join(" ");
}
