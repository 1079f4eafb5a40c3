// The variables table's rows: sorting and filtering (pure functions, tested by node --test).

/** Rows sorted by `key` (numbers numerically), hidden holders after the variables. */
export function sortRows(rows, key, descending) {
  const out = rows.slice();
  out.sort((a, b) => {
    const ha = a.kind === "variable" ? 0 : 1;
    const hb = b.kind === "variable" ? 0 : 1;
    if (ha !== hb) return ha - hb;
    const x = a[key];
    const y = b[key];
    let c = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y));
    if (descending) c = -c;
    return c || String(a.name).localeCompare(String(b.name));
  });
  return out;
}

/** Rows whose name, type or note contains `text` (case-insensitive). */
export function filterRows(rows, text) {
  const q = (text || "").trim().toLowerCase();
  if (!q) return rows;
  return rows.filter((r) => [r.name, r.type, r.note].some((v) => String(v).toLowerCase().includes(q)));
}
