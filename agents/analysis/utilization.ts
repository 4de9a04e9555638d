import type { MetricSeries } from "../../tools/interfaces.ts";

/**
 * Below this share of its allotment a resource is idle: CPU at 1% of its limit slows nothing down, however far it
 * moved from a baseline of 0.3%.
 */
const IDLE_UTILIZATION = 0.1;

const PERCENT_NAME = /\(%\)|percent|_pct\b/i;
const RATIO_NAME = /_ratio\b|utili[sz]ation/i;

/**
 * The share of its allotment (1 = at its limit) a usage value stands for, when the series' unit or name says it is a
 * percentage or a ratio, or when the limit is known (`limitCores` for CPU in cores or millicores). Undefined when
 * nothing tells: a level in cores with no limit could be idle or saturated.
 */
export function utilizationOf(
  series: Pick<MetricSeries, "name" | "unit">,
  value: number,
  limitCores?: number,
): number | undefined {
  const unit = series.unit?.trim().toLowerCase();
  if (unit === "%" || unit === "percent" || (!unit && PERCENT_NAME.test(series.name))) return value / 100;
  if (unit === "ratio" || unit === "fraction" || (!unit && RATIO_NAME.test(series.name))) return value;
  if (limitCores === undefined || limitCores <= 0) return undefined;
  if (unit === "millicores" || unit === "m") return value / 1000 / limitCores;
  if (unit === undefined || unit === "cores" || unit === "core") return value / limitCores;
  return undefined;
}

/** The pod a series describes, else its service: the entity whose CPU allotment a usage series measures. */
function cpuEntity(series: Pick<MetricSeries, "labels">): string | undefined {
  return series.labels.pod ?? series.labels.service;
}

/**
 * Which entities' CPU stayed idle after `splitAt`: the highest utilization any of its percentage or ratio series
 * reached is below IDLE_UTILIZATION. One stated share speaks for the entity's other CPU series (cores, millicores),
 * whose level alone says nothing without a limit.
 */
export function idleCpuEntities(series: MetricSeries[], splitAt: number): Set<string> {
  const peaks = new Map<string, number>();
  for (const s of series) {
    if (s.kind !== "cpu") continue;
    const entity = cpuEntity(s);
    if (!entity) continue;
    for (const [t, v] of s.points) {
      if (t < splitAt || v === null || !Number.isFinite(v)) continue;
      const utilization = utilizationOf(s, v);
      if (utilization === undefined) break;
      peaks.set(entity, Math.max(peaks.get(entity) ?? 0, utilization));
    }
  }
  return new Set([...peaks].filter(([, peak]) => peak < IDLE_UTILIZATION).map(([entity]) => entity));
}

/** Whether a CPU series belongs to an entity `idleCpuEntities` found idle. */
export function isIdleCpu(series: Pick<MetricSeries, "kind" | "labels">, idle: Set<string>): boolean {
  const entity = cpuEntity(series);
  return series.kind === "cpu" && entity !== undefined && idle.has(entity);
}
