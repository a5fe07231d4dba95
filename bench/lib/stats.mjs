/**
 * Small statistics and formatting helpers shared by the benchmark modules.
 * Percentiles use the nearest-rank method on a sorted copy (no interpolation): with few
 * samples the p99 is simply the largest but one or two, which is what we want to see.
 */

/** Value at percentile `p` (0–100) of `samples`, nearest rank; NaN when empty. */
export function percentile(samples, p) {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/** Median, p99, mean, min, max and count of a list of millisecond samples. */
export function summarize(samples) {
  const n = samples.length;
  const mean = n === 0 ? Number.NaN : samples.reduce((sum, x) => sum + x, 0) / n;
  return {
    n,
    median: percentile(samples, 50),
    p99: percentile(samples, 99),
    mean,
    min: n === 0 ? Number.NaN : Math.min(...samples),
    max: n === 0 ? Number.NaN : Math.max(...samples),
  };
}

/** Milliseconds with a precision that suits their size: 0.042, 1.83, 27.4, 312. */
export function ms(value) {
  if (!Number.isFinite(value)) return 'n/a';
  if (value < 0.1) return value.toFixed(3);
  if (value < 10) return value.toFixed(2);
  if (value < 100) return value.toFixed(1);
  return value.toFixed(0);
}

/** A ratio such as `1.73×`. */
export function ratio(a, b) {
  if (!Number.isFinite(a) || !Number.isFinite(b) || b === 0) return 'n/a';
  return `${(a / b).toFixed(2)}×`;
}

/** An integer with thousands separators: 12,345. */
export function int(value) {
  return Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'n/a';
}

/** A markdown table from a header row and data rows (cells are converted with String). */
export function table(header, rows) {
  const line = (cells) => `| ${cells.map((cell) => String(cell)).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}
