import type { MetricKind } from "../../tools/interfaces.ts";
import { detectChangePoint } from "./change-point.ts";
import { finite, iqr, median } from "./robust-stats.ts";

function halfSpreadMad(values: number[], center: number): number {
  return median(values.map((v) => Math.abs(v - center)));
}

/**
 * How much a move in each direction matters, per metric kind. A drop in success rate or throughput is a symptom;
 * a drop in CPU rarely is. Both directions are scored and the weight decides what counts.
 */
export const DIRECTION_PRIOR: Record<MetricKind, { up: number; down: number }> = {
  cpu: { up: 1, down: 0.1 },
  cpu_throttle: { up: 1, down: 0.05 },
  mem: { up: 0.9, down: 0.1 },
  disk_io: { up: 0.5, down: 0.1 },
  disk_usage: { up: 0.8, down: 0.05 },
  net_rx: { up: 0.3, down: 0.3 },
  net_tx: { up: 0.3, down: 0.3 },
  net_drop: { up: 1, down: 0.05 },
  socket: { up: 0.8, down: 0.2 },
  latency_p50: { up: 1, down: 0.1 },
  latency_p90: { up: 1, down: 0.1 },
  latency_p99: { up: 0.9, down: 0.1 },
  latency_avg: { up: 1, down: 0.1 },
  error_rate: { up: 1, down: 0.1 },
  success_rate: { up: 0.1, down: 1 },
  request_rate: { up: 0.3, down: 0.6 },
  restarts: { up: 1, down: 0 },
  other: { up: 0.2, down: 0.2 },
};

/**
 * The baseline's spread on the IQR scale. The IQR breaks down once a quarter of the baseline is another incident's
 * tail (short windows between incidents, a previous fault still running); twice the median absolute deviation equals
 * the IQR on symmetric noise and holds up to half the baseline. The smaller of the two is used.
 */
export function robustSpread(baseline: number[], center: number): number {
  // On a handful of points the median absolute deviation collapses onto two equal values: keep the IQR there.
  if (baseline.length < MIN_POINTS_FOR_MAD) return iqr(baseline);
  return Math.min(iqr(baseline), 2 * halfSpreadMad(baseline, center));
}

const MIN_POINTS_FOR_MAD = 4;

/**
 * Kinds that are fractions of time (0..1) where a move below this many units says nothing about the service: a
 * container throttled in 0.7% of its periods instead of 0.1% is not slowed down.
 */
const RATIO_SPREAD_FLOOR: Partial<Record<MetricKind, number>> = { cpu_throttle: 0.01 };

/**
 * Fewest baseline points a score needs: three, or two when the whole baseline before the split is shorter than three
 * steps. A short window holds no more points to wait for; two are a weak baseline, and the spread floors keep it
 * from reading jitter as an anomaly.
 */
export function minBaselinePoints(frame: { window: { from: number }; splitAt: number; stepMs: number }): number {
  return frame.splitAt - frame.window.from < 3 * frame.stepMs ? 2 : 3;
}

/** Deviations are capped: beyond this the size no longer says anything more. */
const MAX_DEVIATION = 1000;

export interface SeriesScore {
  /** Signed deviation of the most extreme post-split point, in units of the baseline spread. */
  deviation: number;
  /** |deviation| weighted by the direction prior of the kind. */
  score: number;
  /**
   * The same, for the second most extreme post-split point in the same direction: how far the series stayed out, not
   * how far one sample strayed. Equals `score` when only one point follows the split.
   */
  sustained: number;
  baseline: number;
  observed: number;
  /** Time of the first post-split point beyond `onsetThreshold` spreads, if any. */
  onsetAt?: number;
  baselinePoints: number;
  testPoints: number;
}

export interface ScoreOptions {
  /** Deviations (in spreads) that count as the onset of an anomaly. */
  onsetThreshold?: number;
  /** Fewest baseline points that make a score meaningful. */
  minBaseline?: number;
}

/** How cleanly a baseline must split in two before its earlier part is taken for a previous episode. */
const EPISODE_STRENGTH = 0.6;

/**
 * The baseline's values, without an earlier episode: when the baseline steps cleanly from one level to another and
 * the incident moves back toward the earlier level (up, down, up again), the earlier part was a previous incident
 * still running when the window began, and it would pass the new one off as normal. The later part is kept when it
 * has `minPoints` points. A cause that stepped inside the baseline (down, up, up) keeps its whole baseline.
 */
function lastNormalRegime(baseline: Array<[number, number | null]>, test: number[], minPoints: number): number[] {
  const values = finite(baseline.map(([, v]) => v));
  if (test.length === 0) return values;
  const cp = detectChangePoint(baseline, minPoints);
  if (!cp || cp.strength < EPISODE_STRENGTH) return values;
  const incident = median(test);
  const backToward = Math.sign(incident - cp.after) === Math.sign(cp.before - cp.after) && cp.before !== cp.after;
  if (!backToward) return values;
  return finite(baseline.filter(([t]) => t >= cp.at).map(([, v]) => v));
}

/**
 * Robust score of one series: median and IQR of the baseline (points before `splitAt`) against the points from
 * `splitAt` on. The spread is floored so that a flat baseline does not turn measurement noise into a huge score.
 */
export function scoreSeries(
  points: Array<[number, number | null]>,
  splitAt: number,
  kind: MetricKind,
  options: ScoreOptions = {},
): SeriesScore | undefined {
  if (kind === "success_rate") return scoreSuccessRate(points, splitAt, options);
  const onsetThreshold = options.onsetThreshold ?? 3;
  const minBaseline = options.minBaseline ?? 3;
  const test = points.filter(([t, v]) => t >= splitAt && typeof v === "number" && Number.isFinite(v)) as Array<
    [number, number]
  >;
  const baseline = lastNormalRegime(
    points.filter(([t]) => t < splitAt),
    test.map(([, v]) => v),
    minBaseline,
  );
  if (baseline.length < minBaseline || test.length === 0) return undefined;
  const center = median(baseline);
  // Floors: 5% of the baseline level, so measurement jitter on a flat baseline is not an anomaly; and, for a
  // baseline at zero (counters, error ratios), 1% of the largest magnitude seen, so any movement from zero does not
  // become an astronomically large score.
  const largest = Math.max(...baseline.map(Math.abs), ...test.map(([, v]) => Math.abs(v)));
  const ratioFloor = RATIO_SPREAD_FLOOR[kind] !== undefined && largest <= 1 ? (RATIO_SPREAD_FLOOR[kind] ?? 0) : 0;
  const spread = Math.max(
    robustSpread(baseline, center),
    ratioFloor,
    Math.abs(center) * 0.05,
    center === 0 ? largest * 0.01 : 0,
    1e-9,
  );
  let extreme = test[0];
  for (const p of test) if (Math.abs(p[1] - center) > Math.abs(extreme[1] - center)) extreme = p;
  const deviation = Math.max(-MAX_DEVIATION, Math.min(MAX_DEVIATION, (extreme[1] - center) / spread));
  const prior = DIRECTION_PRIOR[kind] ?? DIRECTION_PRIOR.other;
  const score = Math.abs(deviation) * (deviation >= 0 ? prior.up : prior.down);
  const dir = Math.sign(extreme[1] - center);
  const others = test
    .filter((p) => p !== extreme)
    .map(([, v]) => (dir * (v - center)) / spread)
    .sort((a, b) => b - a);
  const secondDeviation = others.length > 0 ? Math.max(0, Math.min(MAX_DEVIATION, others[0])) : Math.abs(deviation);
  const sustained = secondDeviation * (deviation >= 0 ? prior.up : prior.down);
  const onset = test.find(([, v]) => Math.abs(v - center) / spread >= onsetThreshold);
  return {
    deviation,
    score,
    sustained,
    baseline: center,
    observed: extreme[1],
    onsetAt: onset?.[0],
    baselinePoints: baseline.length,
    testPoints: test.length,
  };
}

/**
 * A success rate near 100% hides its failures in the 5%-of-level floor: 100 → 94 is a sixfold failure rate, not
 * noise. Score the failure rate instead (100 − v, or 1 − v for ratios), whose baseline sits near zero, and report the
 * deviation in the success rate's own direction (down).
 */
function scoreSuccessRate(
  points: Array<[number, number | null]>,
  splitAt: number,
  options: ScoreOptions,
): SeriesScore | undefined {
  const values = points.map(([, v]) => v).filter((v): v is number => typeof v === "number" && Number.isFinite(v));
  if (values.length === 0) return undefined;
  const scale = Math.max(...values) > 1.5 ? 100 : 1;
  const failures = points.map(([t, v]): [number, number | null] => [t, v === null ? null : Math.max(0, scale - v)]);
  const scored = scoreSeries(failures, splitAt, "error_rate", options);
  if (!scored) return undefined;
  return {
    ...scored,
    deviation: -scored.deviation,
    baseline: scale - scored.baseline,
    observed: scale - scored.observed,
  };
}
