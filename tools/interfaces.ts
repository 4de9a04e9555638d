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
  /** Unit of the values where the source says (`%`, `ratio`, `cores`, `millicores`, `s`, `bytes`, …). */
  unit?: string;
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
  /** The span (graph node) that made the call, when the investigation traces itself. */
  parentSpanId?: string;
  /** "tool" (default) or "llm". */
  kind?: "tool" | "llm";
  /** Extra span attributes, e.g. OpenTelemetry GenAI fields of an LLM call. */
  attributes?: Record<string, string | number | boolean>;
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

/** One log line. `ref` reopens it: the LogQL (or fixture selector) and the line's time. */
export interface LogRecord {
  t: number;
  labels: Record<string, string>;
  line: string;
  service?: string;
  traceId?: string;
  ref: string;
}

export interface LogsQuery {
  /** Services whose lines are wanted; empty or absent means every service. */
  services?: string[];
  range: TimeRange;
  /** Keep only lines containing one of these substrings (case-insensitive), e.g. ["error", "exception"]. */
  contains?: string[];
  /** Most lines returned; the result is marked truncated past it. Default 1000. */
  limit?: number;
  direction?: "forward" | "backward";
}

export interface LogsSource {
  readonly backend: string;
  /** Services that have logs in the range. */
  services(range: TimeRange): Promise<ToolResult<string[]>>;
  queryLogs(query: LogsQuery): Promise<ToolResult<LogRecord[]>>;
}

export interface SpanRecord {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  service: string;
  name: string;
  startMs: number;
  durationMs: number;
  status: "ok" | "error" | "unset";
  attributes: Record<string, unknown>;
}

export interface TraceSummary {
  traceId: string;
  rootService: string;
  rootName: string;
  startMs: number;
  durationMs: number;
  /** True when the search matched error spans (or the backend flagged the trace as erroring). */
  hasError?: boolean;
}

export interface TracesQuery {
  range: TimeRange;
  /** Traces that touch this service. */
  service?: string;
  errorsOnly?: boolean;
  minDurationMs?: number;
  /** Most traces returned. Default 50. */
  limit?: number;
}

export interface TracesSource {
  readonly backend: string;
  services(range: TimeRange): Promise<ToolResult<string[]>>;
  searchTraces(query: TracesQuery): Promise<ToolResult<TraceSummary[]>>;
  getTrace(traceId: string, range?: TimeRange): Promise<ToolResult<SpanRecord[]>>;
}

/** The only Kubernetes resources Vigil reads. There is no Secret here, by construction. */
export const CLUSTER_KINDS = [
  "pods",
  "events",
  "deployments",
  "replicasets",
  "statefulsets",
  "daemonsets",
  "nodes",
  "services",
  "endpoints",
  "horizontalpodautoscalers",
  "configmaps",
] as const;
export type ClusterKind = (typeof CLUSTER_KINDS)[number];

/** A Kubernetes object as the API server returns it; fields are read defensively. */
export interface K8sObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    creationTimestamp?: string;
    ownerReferences?: Array<{ kind: string; name: string; uid?: string }>;
    [key: string]: unknown;
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface ClusterListOptions {
  /** Absent: all namespaces (nodes are cluster-scoped anyway). */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
}

export interface PodLogOptions {
  container?: string;
  tailLines?: number;
  previous?: boolean;
  sinceSeconds?: number;
}

export interface ClusterSource {
  readonly backend: string;
  list(kind: ClusterKind, options?: ClusterListOptions): Promise<ToolResult<K8sObject[]>>;
  podLogs(namespace: string, pod: string, options?: PodLogOptions): Promise<ToolResult<string>>;
}

/** A deploy, rollout, config change or scaling event. */
export interface ChangeEvent {
  t: number;
  entity: { kind: string; namespace?: string; name: string };
  type: string; // rollout | image | config | scale | restart | other
  description: string;
  /** The service the change belongs to, when known. */
  service?: string;
  source: string; // kubernetes | webhook | fixture
  ref: string;
}

export interface ChangesSource {
  readonly backend: string;
  listChanges(range: TimeRange): Promise<ToolResult<ChangeEvent[]>>;
}

/** What an investigation may read. Every source is optional: a missing one is reported, not fatal. */
export interface InvestigationTools {
  metrics?: MetricsSource;
  topology?: TopologySource;
  logs?: LogsSource;
  traces?: TracesSource;
  cluster?: ClusterSource;
  changes?: ChangesSource;
  /** The investigation clock: no source returns data after it. */
  now: number;
  /** Every backend call made so far, in order. */
  calls: ToolCallRecord[];
  /** Base URLs for deep links in evidence (Prometheus graph, Grafana Explore). */
  links?: { prometheusUrl?: string; grafanaUrl?: string };
  /** The envelope around the sources; the investigation installs its trace context here. */
  envelope?: { currentSpanId?: () => string | undefined; redactions?: { count: number } };
}
