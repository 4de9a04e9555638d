import type { LogRecord, LogsQuery, LogsSource, TimeRange, ToolError, ToolResult } from "../interfaces.ts";
import type { LokiClient } from "./client.ts";
import {
  buildSelector,
  containsAnyRegex,
  exactAlternation,
  LABEL_NAME,
  type LabelMatcher,
  type LineFilter,
} from "./logql.ts";

/**
 * Where clusters put the service name, most specific first: OpenTelemetry's `service_name` (also what Loki 3
 * derives by default), then the conventions of Promtail/Alloy Kubernetes pipelines.
 */
export const DEFAULT_SERVICE_LABELS = ["service_name", "service", "app", "job", "container"];
const DEFAULT_LIMIT = 1_000;
/** Loki's default `max_entries_limit_per_query`; asking for more is a 400. */
const MAX_LIMIT = 5_000;
const TRACE_LABELS = ["trace_id", "traceID", "traceId", "trace-id"];
const TRACE_IN_LINE = /\btrace[_-]?id["']?\s*[:=]\s*["']?([0-9a-fA-F]{16,32})\b/i;

export interface LokiLogsSourceOptions {
  client: LokiClient;
  /** Candidate service labels, tried in order; the first one Loki knows wins. */
  serviceLabels?: string[]; // default DEFAULT_SERVICE_LABELS
  /** The investigation clock: no line after it is ever returned. A function is read on every query. */
  now?: number | (() => number); // default Date.now
}

/**
 * Serves `LogsSource` from Loki: discovers the service label, lists services through label values, and reads
 * lines with a selector it builds itself (every value escaped) so untrusted service names cannot inject LogQL.
 *
 * @example
 * const logs = new LokiLogsSource({ client: new LokiClient({ baseUrl }), now: alertAt });
 * const res = await logs.queryLogs({ services: ["checkout"], range, contains: ["error", "exception"] });
 * if (res.ok) for (const r of res.data) console.log(r.service, r.line, r.ref);
 */
export class LokiLogsSource implements LogsSource {
  readonly backend = "loki";
  readonly #client: LokiClient;
  readonly #candidates: string[];
  readonly #now: () => number;
  #serviceLabel?: string;

  constructor(options: LokiLogsSourceOptions) {
    this.#client = options.client;
    // Invalid names could not be sent anyway; dropping them keeps a bad config from breaking every query.
    this.#candidates = (options.serviceLabels ?? DEFAULT_SERVICE_LABELS).filter((l) => LABEL_NAME.test(l));
    const now = options.now;
    this.#now = typeof now === "function" ? now : now === undefined ? Date.now : () => now;
  }

  /**
   * The label services are read from: the first candidate `/labels` lists, discovered once and then kept. Not
   * cached when absent, since an empty range says nothing about the cluster's conventions.
   */
  async serviceLabel(range: TimeRange): Promise<ToolResult<string | undefined>> {
    if (this.#serviceLabel) return { ok: true, data: this.#serviceLabel, truncated: false };
    const labels = await this.#client.labels(range);
    if (!labels.ok) return labels;
    const found = this.#candidates.find((c) => labels.data.includes(c));
    if (found) {
      this.#serviceLabel = found;
      return { ok: true, data: found, truncated: false };
    }
    if (labels.data.length === 0) return { ok: true, data: undefined, truncated: false };
    // Labels exist but none is a service label we know: say so instead of pretending there are no logs.
    const error: ToolError = {
      backend: "loki",
      kind: "unavailable",
      message: `no service label among ${this.#candidates.join(", ")}; Loki has ${labels.data.slice(0, 20).join(", ")}`,
    };
    return { ok: false, error };
  }

  async services(range: TimeRange): Promise<ToolResult<string[]>> {
    const clamped = this.#clamp(range);
    if (!clamped) return { ok: true, data: [], truncated: false };
    const label = await this.serviceLabel(clamped);
    if (!label.ok) return label;
    if (label.data === undefined) return { ok: true, data: [], truncated: false };
    const values = await this.#client.labelValues(label.data, clamped);
    if (!values.ok) return values;
    return { ok: true, data: [...values.data].sort(), truncated: values.truncated };
  }

  async queryLogs(query: LogsQuery): Promise<ToolResult<LogRecord[]>> {
    const range = this.#clamp(query.range);
    if (!range) return { ok: true, data: [], truncated: false };
    const label = await this.serviceLabel(range);
    if (!label.ok) return label;
    if (label.data === undefined) return { ok: true, data: [], truncated: false };
    const serviceLabel = label.data;

    const services = (query.services ?? []).filter((s) => s !== "");
    const matcher: LabelMatcher =
      services.length === 0
        ? { name: serviceLabel, op: "=~", value: ".+" }
        : services.length === 1
          ? { name: serviceLabel, op: "=", value: services[0] as string }
          : { name: serviceLabel, op: "=~", value: exactAlternation([...new Set(services)]) };
    const terms = (query.contains ?? []).filter((c) => c !== "");
    const filters: LineFilter[] = terms.length > 0 ? [{ op: "|~", value: containsAnyRegex(terms) }] : [];
    const logql = buildSelector([matcher], filters);

    const limit = Math.min(MAX_LIMIT, Math.max(1, Math.floor(query.limit ?? DEFAULT_LIMIT)));
    const res = await this.#client.queryRange(logql, range, { limit, direction: query.direction ?? "backward" });
    if (!res.ok) return res;
    if (res.data.resultType !== "streams") {
      const error: ToolError = {
        backend: "loki",
        kind: "parse",
        message: `expected streams, got ${res.data.resultType}`,
      };
      return { ok: false, error };
    }

    const records: Array<LogRecord & { ns: bigint }> = [];
    for (const stream of res.data.streams) {
      const traceLabel = TRACE_LABELS.find((l) => stream.labels[l]);
      for (const entry of stream.entries) {
        // Loki honours `end`, but the clock is a hard rule: re-check rather than trust the backend.
        if (entry.t > range.to || entry.t < range.from) continue;
        const record: LogRecord & { ns: bigint } = {
          t: entry.t,
          labels: stream.labels,
          line: entry.line,
          ref: `${logql}@${entry.ns}`,
          ns: BigInt(entry.ns),
        };
        const service = stream.labels[serviceLabel];
        if (service) record.service = service;
        const traceId = traceLabel ? stream.labels[traceLabel] : TRACE_IN_LINE.exec(entry.line)?.[1];
        if (traceId) record.traceId = traceId;
        records.push(record);
      }
    }
    records.sort((a, b) => (a.ns < b.ns ? -1 : a.ns > b.ns ? 1 : 0));
    const data = records.map(({ ns: _ns, ...r }) => r);
    return { ok: true, data, truncated: res.truncated || data.length >= limit };
  }

  /** The range cut at the investigation clock; undefined when nothing of it is before `now`. */
  #clamp(range: TimeRange): TimeRange | undefined {
    const to = Math.min(range.to, this.#now());
    return to < range.from ? undefined : { from: range.from, to };
  }
}
