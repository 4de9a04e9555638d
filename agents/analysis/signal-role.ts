import type { MetricKind, MetricSeries } from "../../tools/interfaces.ts";

/** What a series says about the service that owns it. */
export type SignalFamily = "resource" | "latency" | "errors" | "traffic" | "network" | "other";

export function familyOf(kind: MetricKind): SignalFamily {
  switch (kind) {
    case "cpu":
    case "cpu_throttle":
    case "mem":
    case "disk_io":
    case "disk_usage":
    case "socket":
    case "net_drop":
    case "restarts":
      return "resource";
    case "latency_p50":
    case "latency_p90":
    case "latency_p99":
    case "latency_avg":
      return "latency";
    case "error_rate":
    case "success_rate":
      return "errors";
    case "request_rate":
      return "traffic";
    case "net_rx":
    case "net_tx":
      return "network";
    default:
      return "other";
  }
}

/** How much a family counts toward blaming its owner, before topology is considered. */
const FAMILY_WEIGHT: Record<SignalFamily, number> = {
  resource: 1,
  latency: 1,
  errors: 1,
  traffic: 0.5,
  network: 0.35,
  other: 0.25,
};

/**
 * Client-side latency (the time a service waits for the services it calls) describes its callees, not itself: a
 * victim's client latency rises with its cause's. Such series count little toward blaming their owner.
 */
export function isClientSide(series: Pick<MetricSeries, "name" | "labels">): boolean {
  const side = series.labels.side ?? series.labels.span_kind ?? series.labels.reporter_side;
  if (side) return side === "client";

  return /client/i.test(series.name) && !series.labels.destination_service;
}

export function roleWeight(series: Pick<MetricSeries, "name" | "labels" | "kind">): number {
  const family = familyOf(series.kind);
  if (family === "latency" && isClientSide(series)) return 0.15;
  // Istio-style call-edge series are about the callee whichever side reports them (seriesOwner gives them to the
  // destination): a slow network or callee shows first in what its callers measure. A caller that is slow itself
  // shows in its own resource and server-latency series, which outweigh it.
  return FAMILY_WEIGHT[family];
}
