/** Small robust statistics shared by the strategies. Every function ignores NaN and null. */

export function finite(values: Array<number | null | undefined>): number[] {
  const out: number[] = [];
  for (const v of values) if (typeof v === "number" && Number.isFinite(v)) out.push(v);
  return out;
}

/** Linear-interpolated quantile of an unsorted sample; NaN for an empty one. */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export function median(values: number[]): number {
  return quantile(values, 0.5);
}

export function iqr(values: number[]): number {
  return quantile(values, 0.75) - quantile(values, 0.25);
}

/** Median absolute deviation, scaled to estimate a normal sigma. */
export function mad(values: number[]): number {
  const m = median(values);
  return 1.4826 * median(values.map((v) => Math.abs(v - m)));
}
