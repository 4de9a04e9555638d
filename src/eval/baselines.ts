import { finite, iqr, median } from "../../agents/analysis/robust-stats.ts";
import { seriesOwner } from "../../agents/analysis/series-owner.ts";
import type { FixtureCase } from "../../tools/fixture/loader.ts";

/**
 * Simple baselines computed on the same fixtures as Vigil, so its scores always have a reference. Each returns
 * services ranked from most to least suspect. They see exactly what Vigil sees (nothing after `now`).
 */
export type Baseline = (fixture: FixtureCase, seed: number) => string[];

function services(fixture: FixtureCase): string[] {
  const set = new Set<string>();
  for (const s of fixture.series) {
    const owner = seriesOwner(s);
    if (owner) set.add(owner);
  }
  for (const n of fixture.topology?.nodes ?? []) if (n.kind === "service") set.add(n.id);
  return [...set].sort();
}

function split(fixture: FixtureCase): number {
  return fixture.alert.startsAt - (fixture.manifest.stepMs ?? 60_000);
}

function rankBy(scores: Map<string, number>, all: string[]): string[] {
  return [...all].sort((a, b) => (scores.get(b) ?? -1) - (scores.get(a) ?? -1) || a.localeCompare(b));
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seeded shuffle of the services. */
export const randomBaseline: Baseline = (fixture, seed) => {
  const rand = mulberry32(seed);
  const list = services(fixture);
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [list[i], list[j]] = [list[j], list[i]];
  }
  return list;
};

const SYMPTOM_KINDS = new Set([
  "latency_p50",
  "latency_p90",
  "latency_p99",
  "latency_avg",
  "error_rate",
  "success_rate",
]);

/** The service whose latency or error rate rose most, relative to its own pre-alert mean. */
export const worstSymptomBaseline: Baseline = (fixture) => {
  const at = split(fixture);
  const scores = new Map<string, number>();
  for (const s of fixture.series) {
    if (!SYMPTOM_KINDS.has(s.kind)) continue;
    const owner = seriesOwner(s);
    if (!owner) continue;
    const before = finite(s.points.filter(([t]) => t < at).map(([, v]) => v));
    const after = finite(s.points.filter(([t]) => t >= at).map(([, v]) => v));
    if (before.length === 0 || after.length === 0) continue;
    const mean = before.reduce((a, b) => a + b, 0) / before.length;
    const worst = s.kind === "success_rate" ? Math.min(...after) : Math.max(...after);
    const rel =
      s.kind === "success_rate"
        ? (mean - worst) / Math.max(Math.abs(mean), 1e-9)
        : (worst - mean) / Math.max(Math.abs(mean), 1e-9);
    scores.set(owner, Math.max(scores.get(owner) ?? Number.NEGATIVE_INFINITY, rel));
  }
  return rankBy(scores, services(fixture));
};

/** N-sigma: the largest |x - mean| / std of any series of the service after the split. */
export const nSigmaBaseline: Baseline = (fixture) => {
  const at = split(fixture);
  const scores = new Map<string, number>();
  for (const s of fixture.series) {
    const owner = seriesOwner(s);
    if (!owner) continue;
    const before = finite(s.points.filter(([t]) => t < at).map(([, v]) => v));
    const after = finite(s.points.filter(([t]) => t >= at).map(([, v]) => v));
    if (before.length < 2 || after.length === 0) continue;
    const mean = before.reduce((a, b) => a + b, 0) / before.length;
    const std = Math.sqrt(before.reduce((a, b) => a + (b - mean) ** 2, 0) / (before.length - 1)) || 1e-9;
    const z = Math.max(...after.map((v) => Math.abs(v - mean) / std));
    scores.set(owner, Math.max(scores.get(owner) ?? 0, z));
  }
  return rankBy(scores, services(fixture));
};

/** RobustScorer: the largest |x - median| / IQR of any series of the service, both directions, no priors. */
export const robustScorerBaseline: Baseline = (fixture) => {
  const at = split(fixture);
  const scores = new Map<string, number>();
  for (const s of fixture.series) {
    const owner = seriesOwner(s);
    if (!owner) continue;
    const before = finite(s.points.filter(([t]) => t < at).map(([, v]) => v));
    const after = finite(s.points.filter(([t]) => t >= at).map(([, v]) => v));
    if (before.length < 2 || after.length === 0) continue;
    const m = median(before);
    const spread = Math.max(iqr(before), 1e-9);
    const score = Math.max(...after.map((v) => Math.abs(v - m) / spread));
    scores.set(owner, Math.max(scores.get(owner) ?? 0, score));
  }
  return rankBy(scores, services(fixture));
};

export const BASELINES: Record<string, Baseline> = {
  random: randomBaseline,
  "worst-symptom": worstSymptomBaseline,
  nsigma: nSigmaBaseline,
  "robust-scorer": robustScorerBaseline,
};
