import type { MetricKind, MetricSeries, MetricsSource, TimeRange, ToolError, ToolResult } from "../interfaces.ts";
import type { PrometheusClient } from "./client.ts";
import { discoverSignalCatalog } from "./discovery.ts";
import { defaultSignalCatalog, renderSignalQuery, type SignalCatalog } from "./signal-catalog.ts";

export interface PrometheusMetricsSourceOptions {
  client: PrometheusClient;
  catalog?: SignalCatalog; // default defaultSignalCatalog
  /** The investigation clock: no point after it is ever returned. A function is read on every query. */
  now?: number | (() => number); // default Date.now
  /** Scrape interval of the targets, used to size `$range`. */
  scrapeIntervalMs?: number; // default 15000
  /** When a kind's conventions find nothing, discover metrics by name (one extra label-values call). */
  discover?: boolean; // default true
}

/**
 * Serves canonical metric kinds from Prometheus through the signal catalog.
 *
 * @example
 * const metrics = new PrometheusMetricsSource({ client: new PrometheusClient({ baseUrl }), now: alertAt });
 * const res = await metrics.querySignal("latency_p99", { from: alertAt - 3_600_000, to: alertAt }, 60_000);
 * if (res.ok) for (const s of res.data) console.log(s.labels.service, s.ref);
 */
export class PrometheusMetricsSource implements MetricsSource {
  readonly backend = "prometheus";
  readonly #client: PrometheusClient;
  readonly #catalog: SignalCatalog;
  readonly #now: () => number;
  readonly #scrapeIntervalMs?: number;
  readonly #discover: boolean;
  #discovered?: Promise<SignalCatalog>;

  constructor(options: PrometheusMetricsSourceOptions) {
    this.#client = options.client;
    this.#catalog = options.catalog ?? defaultSignalCatalog;
    const now = options.now;
    this.#now = typeof now === "function" ? now : now === undefined ? Date.now : () => now;
    this.#scrapeIntervalMs = options.scrapeIntervalMs;
    this.#discover = options.discover ?? true;
  }

  #discovery(): Promise<SignalCatalog> {
    this.#discovered ??= discoverSignalCatalog(this.#client, this.#catalog).catch(() => []);
    return this.#discovered;
  }

  async kinds(): Promise<MetricKind[]> {
    return [...new Set(this.#catalog.map((e) => e.kind))];
  }

  async querySignal(kind: MetricKind, range: TimeRange, stepMs: number): Promise<ToolResult<MetricSeries[]>> {
    const result = await this.#querySignal(this.#catalog, kind, range, stepMs);
    const empty = result.ok && result.data.length === 0 && Math.min(range.to, this.#now()) >= range.from;
    if (!this.#discover || !empty) return result;
    // The usual conventions found nothing for this kind: try the metrics Prometheus actually has.
    const discovered = await this.#discovery();
    if (!discovered.some((e) => e.kind === kind)) return result;
    return this.#querySignal(discovered, kind, range, stepMs);
  }

  async #querySignal(
    catalog: SignalCatalog,
    kind: MetricKind,
    range: TimeRange,
    stepMs: number,
  ): Promise<ToolResult<MetricSeries[]>> {
    const now = this.#now();
    const to = Math.min(range.to, now);
    const entries = catalog.filter((e) => e.kind === kind);
    if (entries.length === 0 || to < range.from) return { ok: true, data: [], truncated: false };

    // Conventions run in parallel; their order in the catalog still decides which one wins a label set.
    const results = await Promise.all(
      entries.map(async (entry) => {
        const query = renderSignalQuery(entry.query, stepMs, this.#scrapeIntervalMs);
        return { entry, query, result: await this.#client.queryRange(query, range.from, to, stepMs) };
      }),
    );

    const data: MetricSeries[] = [];
    const seen = new Set<string>();
    let firstError: ToolError | undefined;
    let succeeded = 0;
    let truncated = false;
    for (const { entry, query, result } of results) {
      if (!result.ok) {
        firstError ??= result.error;
        continue;
      }
      succeeded++;
      truncated ||= result.truncated;
      for (const s of result.data.series) {
        const serviceLabel = entry.serviceLabel ?? "service";
        const labels = toLabels(s.metric, serviceLabel);
        // A series no label could attribute to a service is an aggregate of unknowns; it cannot be compared.
        if (!labels.service) continue;
        const key = labelKey(labels, serviceLabel);
        if (seen.has(key)) continue;
        const points: Array<[number, number | null]> = [];
        for (const [t, v] of s.points) {
          if (t < range.from || t > to) continue;
          // NaN (0/0 with no traffic) and ±Inf (quantile in the +Inf bucket) are gaps for analysis, not values.
          points.push([t, Number.isFinite(v) ? v : null]);
        }
        if (points.length === 0) continue;
        seen.add(key);
        const series: MetricSeries = { name: entry.name ?? kind, kind, labels, points, ref: query };
        if (entry.unit) series.unit = entry.unit;
        data.push(series);
      }
    }
    if (succeeded === 0 && firstError) return { ok: false, error: firstError };
    // A convention that failed may have held services the others lack: say the answer is incomplete.
    return { ok: true, data, truncated: truncated || firstError !== undefined };
  }
}

function toLabels(metric: Record<string, string>, serviceLabel: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(metric)) {
    // vigil_original_service is withServiceLabel's scratch label, visible if a template does not aggregate it away.
    if (k === "__name__" || k === "vigil_original_service" || v === "") continue;
    labels[k] = v;
  }
  const service = metric[serviceLabel];
  if (service) labels.service = service;
  return labels;
}

/**
 * Identity of a series across conventions. The label the service was read from is left out: `{container: "x",
 * service: "x"}` from one convention is the same series as `{service: "x"}` from another.
 */
function labelKey(labels: Record<string, string>, serviceLabel: string): string {
  const entries = Object.entries(labels).filter(([k]) => k === "service" || k !== serviceLabel);
  return JSON.stringify(entries.sort(([a], [b]) => a.localeCompare(b)));
}
