/**
 * The read-only interfaces the agents use. An agent never builds a client: it receives an
 * `InvestigationTools` bundle whose sources are backed by a live backend or by a fixture.
 */

/** A closed time range in Unix milliseconds. */
export interface TimeRange {
  from: number;
  to: number;
}

/** Canonical metric kinds (see the fixture format). */
export const METRIC_KINDS = [
  "cpu",
  "cpu_throttle",
  "mem",
  "disk_io",
  "disk_usage",
  "net_rx",
  "net_tx",
  "net_drop",
  "socket",
  "latency_p50",
  "latency_p90",
  "latency_p99",
  "latency_avg",
  "error_rate",
  "success_rate",
  "request_rate",
  "restarts",
  "other",
] as const;
export type MetricKind = (typeof METRIC_KINDS)[number];

export interface MetricSeries {
  /** Original metric name (or the signal name for PromQL-derived series). */
  name: string;
  kind: MetricKind;
  /** At least `service` when the series belongs to a service. */
  labels: Record<string, string>;
  /** `[timeMs, value]`, ascending; `null` marks a gap. */
  points: Array<[number, number | null]>;
  /** A reference that reopens this series: a PromQL query or a fixture series selector. */
  ref: string;
}

/** One recorded call to a backend, kept for the investigation's trace. */
export interface ToolCallRecord {
  backend: string;
  operation: string;
  query: string;
  range?: TimeRange;
  startedAt: number;
  durationMs: number;
  bytes: number;
  rows: number;
  cacheHit: boolean;
  truncated: boolean;
  error?: string;
}

/** A typed failure of a backend call; tools return it instead of throwing into the graph. */
export interface ToolError {
  backend: string;
  kind: "timeout" | "http" | "network" | "parse" | "denied" | "unavailable";
  message: string;
}

export type ToolResult<T> = { ok: true; data: T; truncated: boolean } | { ok: false; error: ToolError };

export interface MetricsSource {
  /** Backend name used in call records and evidence ("prometheus", "fixture"). */
  readonly backend: string;
  /** The metric kinds this source can serve. */
  kinds(): Promise<MetricKind[]>;
  /** Every series of one kind (all services), limited to the range. */
  querySignal(kind: MetricKind, range: TimeRange, stepMs: number): Promise<ToolResult<MetricSeries[]>>;
}

export interface TopologyNode {
  id: string;
  kind: string;
}
export interface TopologyEdge {
  from: string;
  to: string;
  kind: "calls" | "runs_on" | "owns" | string;
}
export interface Topology {
  nodes: TopologyNode[];
  edges: TopologyEdge[];
}

export interface TopologySource {
  readonly backend: string;
  topology(): Promise<ToolResult<Topology>>;
}

/** What an investigation may read. Every source is optional: a missing one is reported, not fatal. */
export interface InvestigationTools {
  metrics?: MetricsSource;
  topology?: TopologySource;
  /** The investigation clock: no source returns data after it. */
  now: number;
  /** Every backend call made so far, in order. */
  calls: ToolCallRecord[];
  /** Base URLs for deep links in evidence (Prometheus graph, Grafana Explore). */
  links?: { prometheusUrl?: string; grafanaUrl?: string };
}
