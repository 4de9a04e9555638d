import type { MetricSeries } from "../../tools/interfaces.ts";

/**
 * The service a series speaks about. Call-edge series (Istio/Envoy style `source_*`/`destination_*` labels) measure
 * the callee whichever side reports them, so they belong to the destination.
 */
export function seriesOwner(series: Pick<MetricSeries, "labels">): string | undefined {
  const l = series.labels;
  return (
    l.destination_service ??
    l.destination_workload ??
    l.service ??
    l.service_name ??
    l.app ??
    l.job ??
    l.container ??
    undefined
  );
}

/** The narrowest entity a series belongs to (pod, then container, then node). */
export function seriesEntity(series: Pick<MetricSeries, "labels">): string | undefined {
  return series.labels.pod ?? series.labels.container ?? series.labels.instance ?? undefined;
}
