import { readFile } from "node:fs/promises";
import { z } from "zod";
import { METRIC_KINDS, type MetricKind } from "../interfaces.ts";

/**
 * The signal catalog says how each canonical `MetricKind` is computed with PromQL on a given Prometheus. Each
 * entry's query returns one series per service, with the service name in `serviceLabel` (default `service`).
 * Several entries for one kind are different conventions: all run, and for a label set already found by an
 * earlier entry the later ones are dropped. A convention a cluster does not use simply returns nothing.
 *
 * Templates may use `$range` (a rate window that always spans several scrapes, like Grafana's
 * `$__rate_interval`) and `$step` (the query step), both rendered as PromQL durations.
 */
export interface SignalCatalogEntry {
  kind: MetricKind;
  query: string;
  /** The result label that holds the service name; copied to `service`. Default `service`. */
  serviceLabel?: string;
  /** Series name reported in `MetricSeries.name`; default the kind. */
  name?: string;
  /** Unit of the query's values (`cores`, `bytes`, `ratio`, `%`, `s`), reported in `MetricSeries.unit`. */
  unit?: string;
}

export type SignalCatalog = SignalCatalogEntry[];

export const signalCatalogEntrySchema = z.object({
  // Strict on purpose: a misspelt kind in an override file is a configuration error, not an "other" signal.
  kind: z.enum(METRIC_KINDS),
  query: z.string().trim().min(1),
  serviceLabel: z.string().min(1).optional(),
  name: z.string().min(1).optional(),
  unit: z.string().min(1).optional(),
});

/**
 * An override file: either a bare array of entries (replaces the defaults) or
 * `{ "includeDefaults": true, "entries": [...] }` (the file's entries first, then the defaults).
 */
export const signalCatalogSchema = z.union([
  z.array(signalCatalogEntrySchema),
  z.object({ includeDefaults: z.boolean().default(false), entries: z.array(signalCatalogEntrySchema) }),
]);

const DEFAULT_SCRAPE_INTERVAL_MS = 15_000;

/** The rate window for a step: at least four scrapes, and at least one step plus a scrape so no sample is skipped. */
export function rateWindowMs(stepMs: number, scrapeIntervalMs = DEFAULT_SCRAPE_INTERVAL_MS): number {
  return Math.max(stepMs + scrapeIntervalMs, 4 * scrapeIntervalMs);
}

/** Substitutes `$range`/`${range}` and `$step`/`${step}` in a catalog template. */
export function renderSignalQuery(template: string, stepMs: number, scrapeIntervalMs?: number): string {
  const values: Record<string, string> = {
    range: promDuration(rateWindowMs(stepMs, scrapeIntervalMs)),
    step: promDuration(stepMs),
  };
  return template.replace(/\$\{?(range|step)\b\}?/g, (_, key: string) => values[key] ?? "");
}

function promDuration(ms: number): string {
  return `${Math.max(1, Math.ceil(ms / 1000))}s`;
}

/**
 * Wraps `expr` in `label_replace` calls that set `service` from the first non-empty label of `sources`
 * (highest priority first). An existing `service` label is copied aside first because the lower-priority
 * replacements would otherwise overwrite it.
 */
export function withServiceLabel(expr: string, sources: string[]): string {
  const saved = "vigil_original_service";
  let out = expr;
  if (sources.includes("service")) out = `label_replace(${out}, "${saved}", "$1", "service", "(.+)")`;
  for (const source of [...sources].reverse()) {
    const from = source === "service" ? saved : source;
    out = `label_replace(${out}, "service", "$1", "${from}", "${SOURCE_PATTERNS[source] ?? "(.+)"}")`;
  }
  return out;
}

// How a service name is read out of labels that carry more than the name.
const SOURCE_PATTERNS: Record<string, string> = {
  // OTLP ingestion writes `job` as "<service.namespace>/<service.name>".
  job: "(?:.*/)?(.+)",
  // Deployment pods are "<name>-<replicaset hash>-<5 chars>", StatefulSet pods "<name>-<ordinal>".
  pod: "(.+?)(?:(?:-[a-z0-9]{6,10})?-[a-z0-9]{5}|-[0-9]+)",
};

const OTEL_SERVICE = ["service_name", "job"];
const CLASSIC_SERVICE = ["service", "job"];
const CONTAINER_SERVICE = ["container"];
const POD_SERVICE = ["pod"];
// Istio/Envoy: the callee as the destination reports it (reporter="destination" avoids counting each call twice).
const ISTIO_SERVICE = ["destination_service_name", "destination_workload"];
const ISTIO_REQUESTS = 'istio_requests_total{reporter="destination"}';
const ISTIO_ERRORS = 'istio_requests_total{reporter="destination", response_code=~"5.."}';
const ISTIO_DURATION = 'istio_request_duration_milliseconds_bucket{reporter="destination"}';

export function rateBy(selector: string, sources: string[], extraBy: string[] = []): string {
  return `sum by (${["service", ...extraBy].join(", ")}) (${withServiceLabel(`rate(${selector}[$range])`, sources)})`;
}

export function quantile(q: number, bucket: string, sources: string[]): string {
  return `histogram_quantile(${q}, ${rateBy(bucket, sources, ["le"])})`;
}

/** Error ratio per service; `or … * 0` gives services without errors a 0 instead of no series. */
function errorRatio(errors: string, total: string, sources: string[]): string {
  return `(${rateBy(errors, sources)} or ${rateBy(total, sources)} * 0) / ${rateBy(total, sources)}`;
}

const OTEL = "http_server_request_duration_seconds";
const CLASSIC = "http_request_duration_seconds";
const CONTAINER = 'container!="", container!="POD"';

/** Conventions most clusters use: OpenTelemetry HTTP semconv, classic client_golang naming, cAdvisor, kube-state-metrics. */
export const defaultSignalCatalog: SignalCatalog = [
  // OpenTelemetry HTTP server metrics (semconv `http.server.request.duration`, seconds).
  { kind: "latency_p50", name: `${OTEL}:p50`, query: quantile(0.5, `${OTEL}_bucket`, OTEL_SERVICE) },
  { kind: "latency_p90", name: `${OTEL}:p90`, query: quantile(0.9, `${OTEL}_bucket`, OTEL_SERVICE) },
  { kind: "latency_p99", name: `${OTEL}:p99`, query: quantile(0.99, `${OTEL}_bucket`, OTEL_SERVICE) },
  {
    kind: "latency_avg",
    name: `${OTEL}:avg`,
    query: `${rateBy(`${OTEL}_sum`, OTEL_SERVICE)} / ${rateBy(`${OTEL}_count`, OTEL_SERVICE)}`,
  },
  {
    kind: "error_rate",
    name: `${OTEL}:error_ratio`,
    query: errorRatio(`${OTEL}_count{http_response_status_code=~"5.."}`, `${OTEL}_count`, OTEL_SERVICE),
  },
  { kind: "request_rate", name: `${OTEL}:rps`, query: rateBy(`${OTEL}_count`, OTEL_SERVICE) },

  // Classic Prometheus client convention.
  { kind: "latency_p50", name: `${CLASSIC}:p50`, query: quantile(0.5, `${CLASSIC}_bucket`, CLASSIC_SERVICE) },
  { kind: "latency_p90", name: `${CLASSIC}:p90`, query: quantile(0.9, `${CLASSIC}_bucket`, CLASSIC_SERVICE) },
  { kind: "latency_p99", name: `${CLASSIC}:p99`, query: quantile(0.99, `${CLASSIC}_bucket`, CLASSIC_SERVICE) },
  {
    kind: "latency_avg",
    name: `${CLASSIC}:avg`,
    query: `${rateBy(`${CLASSIC}_sum`, CLASSIC_SERVICE)} / ${rateBy(`${CLASSIC}_count`, CLASSIC_SERVICE)}`,
  },
  {
    kind: "error_rate",
    name: "http_requests_total:error_ratio",
    query: errorRatio('http_requests_total{status=~"5.."}', "http_requests_total", CLASSIC_SERVICE),
  },
  { kind: "request_rate", name: "http_requests_total:rps", query: rateBy("http_requests_total", CLASSIC_SERVICE) },

  // Istio/Envoy request metrics (milliseconds histograms, reported by the destination sidecar).
  {
    kind: "latency_p90",
    name: "istio_request_duration:p90",
    query: `${quantile(0.9, ISTIO_DURATION, ISTIO_SERVICE)} / 1000`,
  },
  {
    kind: "latency_p99",
    name: "istio_request_duration:p99",
    query: `${quantile(0.99, ISTIO_DURATION, ISTIO_SERVICE)} / 1000`,
  },
  {
    kind: "error_rate",
    name: "istio_requests_total:error_ratio",
    query: errorRatio(ISTIO_ERRORS, ISTIO_REQUESTS, ISTIO_SERVICE),
  },
  { kind: "request_rate", name: "istio_requests_total:rps", query: rateBy(ISTIO_REQUESTS, ISTIO_SERVICE) },

  // cAdvisor (kubelet) container metrics; the container name stands for the service.
  {
    kind: "cpu",
    name: "container_cpu_usage_seconds_total",
    unit: "cores",
    query: rateBy(`container_cpu_usage_seconds_total{${CONTAINER}}`, CONTAINER_SERVICE),
  },
  {
    kind: "mem",
    name: "container_memory_working_set_bytes",
    unit: "bytes",
    query: `sum by (service) (${withServiceLabel(`container_memory_working_set_bytes{${CONTAINER}}`, CONTAINER_SERVICE)})`,
  },
  {
    kind: "cpu_throttle",
    name: "container_cpu_cfs_throttled_periods_total:ratio",
    unit: "ratio",
    query: `${rateBy(`container_cpu_cfs_throttled_periods_total{${CONTAINER}}`, CONTAINER_SERVICE)} / ${rateBy(`container_cpu_cfs_periods_total{${CONTAINER}}`, CONTAINER_SERVICE)}`,
  },
  {
    kind: "disk_io",
    name: "container_fs_io_bytes",
    query: rateBy(`{__name__=~"container_fs_(reads|writes)_bytes_total", ${CONTAINER}}`, CONTAINER_SERVICE),
  },
  // Network counters are per pod (no container label), so the service comes from the pod name.
  {
    kind: "net_rx",
    name: "container_network_receive_bytes_total",
    query: rateBy("container_network_receive_bytes_total", POD_SERVICE),
  },
  {
    kind: "net_tx",
    name: "container_network_transmit_bytes_total",
    query: rateBy("container_network_transmit_bytes_total", POD_SERVICE),
  },
  {
    kind: "net_drop",
    name: "container_network_packets_dropped_total",
    query: rateBy('{__name__=~"container_network_(receive|transmit)_packets_dropped_total"}', POD_SERVICE),
  },

  // kube-state-metrics.
  {
    kind: "restarts",
    name: "kube_pod_container_status_restarts_total",
    query: `sum by (service) (${withServiceLabel("increase(kube_pod_container_status_restarts_total[$range])", CONTAINER_SERVICE)})`,
  },
];

/**
 * Reads a catalog override (JSON, see `signalCatalogSchema`), e.g. from `VIGIL_SIGNAL_CATALOG`. Throws with
 * the file and the zod issues when the file is invalid: a broken catalog is a start-up configuration error.
 */
export async function loadSignalCatalog(path: string): Promise<SignalCatalog> {
  const raw = JSON.parse(await readFile(path, "utf8")) as unknown;
  const parsed = signalCatalogSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`invalid signal catalog ${path}: ${z.prettifyError(parsed.error)}`);
  if (Array.isArray(parsed.data)) return parsed.data;
  return parsed.data.includeDefaults ? [...parsed.data.entries, ...defaultSignalCatalog] : parsed.data.entries;
}
