import type { MetricSeries } from "../tools/interfaces.ts";
import type { SeriesScore } from "./analysis/robust-score.ts";
import type { Evidence } from "./types.ts";

function formatValue(value: number): string {
  if (value === 0) return "0";
  const abs = Math.abs(value);
  if (abs >= 1000) return value.toFixed(0);
  if (abs >= 1) return value.toFixed(2).replace(/\.?0+$/, "");
  return value.toPrecision(3);
}

/** Evidence record for an anomalous metric series; `ref` reopens the exact series. */
export function metricEvidence(input: {
  id: string;
  series: MetricSeries;
  service: string;
  scored: SeriesScore;
  from: number;
  to: number;
}): Evidence {
  const { series, scored } = input;
  const entity = series.labels.pod ? ` (${series.labels.pod})` : "";
  const summary =
    `${series.name}${entity} of ${input.service}: ${formatValue(scored.observed)} vs baseline ` +
    `${formatValue(scored.baseline)} (${scored.deviation >= 0 ? "+" : ""}${scored.deviation.toFixed(1)} spreads)`;
  return {
    id: input.id,
    type: "metric",
    ref: series.ref,
    from: input.from,
    to: input.to,
    summary,
    service: input.service,
    kind: series.kind,
    score: scored.score,
    baseline: scored.baseline,
    observed: scored.observed,
  };
}

/** A Prometheus graph link for a PromQL ref, when a Prometheus URL is configured. */
export function prometheusLink(baseUrl: string, query: string, from: number, to: number): string {
  const rangeSeconds = Math.max(60, Math.round((to - from) / 1000));
  const params = new URLSearchParams({
    "g0.expr": query,
    "g0.tab": "0",
    "g0.range_input": `${rangeSeconds}s`,
    "g0.end_input": new Date(to).toISOString(),
  });
  return `${baseUrl.replace(/\/$/, "")}/graph?${params.toString()}`;
}
