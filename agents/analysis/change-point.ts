import { finite, median } from "./robust-stats.ts";

/**
 * Single change-point detection on one series: the split that best separates the series into two segments of
 * different levels (the least total absolute deviation from each segment's median, i.e. an L1 binary segmentation).
 * Robust to spikes; works on the handful of points that coarse sampling leaves.
 */
export interface ChangePoint {
  /** Time of the first point of the second segment. */
  at: number;
  before: number;
  after: number;
  /** Cost reduction of splitting vs not splitting, relative to the unsplit cost (0 = no change, 1 = clean step). */
  strength: number;
}

export function detectChangePoint(points: Array<[number, number | null]>, minSegment = 2): ChangePoint | undefined {
  const clean = points.filter(([, v]) => typeof v === "number" && Number.isFinite(v)) as Array<[number, number]>;
  if (clean.length < minSegment * 2) return undefined;
  const values = clean.map(([, v]) => v);
  const cost = (xs: number[]) => {
    const m = median(xs);
    return xs.reduce((acc, x) => acc + Math.abs(x - m), 0);
  };
  const total = cost(values);
  if (total === 0) return undefined;
  let best: ChangePoint | undefined;
  for (let i = minSegment; i <= values.length - minSegment; i++) {
    const left = values.slice(0, i);
    const right = values.slice(i);
    const split = cost(left) + cost(right);
    const strength = 1 - split / total;
    if (!best || strength > best.strength) {
      best = { at: clean[i][0], before: median(left), after: median(right), strength };
    }
  }
  return best;
}

/** The first time at which the series leaves its baseline band (median ± k·spread), scanning from `from`. */
export function firstExcursion(
  points: Array<[number, number | null]>,
  baselineBefore: number,
  from: number,
  k = 3,
): number | undefined {
  const baseline = finite(points.filter(([t]) => t < baselineBefore).map(([, v]) => v));
  if (baseline.length < 3) return undefined;
  const m = median(baseline);
  const spread = Math.max(median(baseline.map((v) => Math.abs(v - m))) * 1.4826, Math.abs(m) * 0.05, 1e-9);
  for (const [t, v] of points) {
    if (t < from || v === null || !Number.isFinite(v)) continue;
    if (Math.abs(v - m) / spread >= k) return t;
  }
  return undefined;
}
