// Human byte counts for the widgets: the JavaScript twin of pympler_nb.core._format.format_size.
//
// The output is character-for-character what Python prints for the same integer:
// "512 B", "1.5 KiB", "100 MiB", "+3.0 MiB" (sign=true always shows the sign). Python
// formats the exact binary value of size / 1024**k and breaks ties to even; Number's
// toFixed breaks ties upwards, so integer sizes are rounded here with BigInt arithmetic
// (exact for every safe integer). js/tests/format.test.mjs pins the two together.

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
const BASE = 1024;

/** Python's `_scale`: divide |size| by 1024 while it is larger, at most to EiB. */
function scale(size) {
  let value = size;
  let degree = 0;
  while (Math.abs(value) > BASE && degree < UNITS.length - 1) {
    value /= BASE;
    degree += 1;
  }
  return [value, degree];
}

/** round(num / den) with ties to even, for BigInt num (any sign) and den > 0. */
function roundHalfEven(num, den) {
  const neg = num < 0n;
  const a = neg ? -num : num;
  let q = a / den;
  const twice = 2n * (a % den);
  if (twice > den || (twice === den && q % 2n === 1n)) q += 1n;
  return neg ? -q : q;
}

/** `value` (= size / 1024**degree) with `digits` (0 or 1) decimals, as Python's format(). */
function fixed(size, value, degree, digits) {
  if (Number.isSafeInteger(size)) {
    const den = BigInt(BASE) ** BigInt(degree);
    const mult = digits ? 10n : 1n;
    const q = roundHalfEven(BigInt(size) * mult, den);
    const neg = q < 0n;
    const a = neg ? -q : q;
    const text = digits ? `${a / 10n}.${a % 10n}` : `${a}`;
    return (neg ? "-" : "") + text;
  }
  return value.toFixed(digits); // huge or fractional sizes: ties are not exact anyway
}

/**
 * Human-readable byte count, exactly as Python's `format_size(size, sign)`.
 * @param {number} size bytes (an integer; negative for shrinking diffs)
 * @param {boolean} [sign=false] always show the sign
 * @returns {string}
 */
export function formatSize(size, sign = false) {
  if (typeof size !== "number" || !Number.isFinite(size)) return "? B";
  const [value, degree] = scale(size);
  let text;
  if (degree === 0) {
    text = String(Math.trunc(size));
    if (text === "-0") text = "0";
  } else {
    text = fixed(size, value, degree, Math.abs(value) >= 100 ? 0 : 1);
  }
  if (sign && !text.startsWith("-")) text = "+" + text;
  return `${text} ${UNITS[degree]}`;
}

/**
 * Share of `part` in `whole` as a fraction in [0, 1] (0 when whole is not positive).
 * @param {number} part
 * @param {number} whole
 */
export function shareOf(part, whole) {
  if (!(whole > 0) || !(part > 0)) return 0;
  return Math.min(1, part / whole);
}

/** A share (0..1) as a percentage with one decimal: "42.5%", "<0.1%" for tiny non-zero shares. */
export function formatShare(share) {
  if (!(share > 0)) return "0%";
  const pct = share * 100;
  if (pct < 0.1) return "<0.1%";
  return `${pct.toFixed(1)}%`;
}
