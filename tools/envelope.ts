import type {
  ChangesSource,
  ClusterSource,
  InvestigationTools,
  LogsSource,
  MetricsSource,
  TimeRange,
  ToolCallRecord,
  ToolResult,
  TopologySource,
  TracesSource,
} from "./interfaces.ts";
import { type RedactionStats, redactDeep } from "./redact/redact.ts";

/**
 * The safety envelope every tool call of an investigation goes through:
 * - a per-call timeout, so a hung backend costs at most `timeoutMs`;
 * - a per-backend concurrency limit, so parallel strategies cannot stampede one backend;
 * - one query cache shared by all strategies: the same query over the same range is sent once;
 * - a row cap, with the truncation reported to the caller;
 * - secret redaction of every result before an agent sees it (tool output is untrusted data);
 * - a record of every call (backend, query, range, duration, bytes, rows, cache hit, error) for the trace.
 */
export interface EnvelopeOptions {
  metrics?: MetricsSource;
  topology?: TopologySource;
  logs?: LogsSource;
  traces?: TracesSource;
  cluster?: ClusterSource;
  changes?: ChangesSource;
  now: number;
  links?: InvestigationTools["links"];
  timeoutMs?: number; // default 15000 per call
  maxRows?: number; // default 5000 items per result
  concurrencyPerBackend?: number; // default 4
  /** Called after every call; the daemon feeds its metrics from here. */
  onCall?: (record: ToolCallRecord) => void;
  /** The span of whatever is calling right now (a graph node), so the trace can parent the call. */
  currentSpanId?: () => string | undefined;
}

interface CallMeta {
  backend: string;
  operation: string;
  query: string;
  range?: TimeRange;
}

class Semaphore {
  #active = 0;
  readonly #waiting: Array<() => void> = [];
  constructor(private readonly limit: number) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#active >= this.limit) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    this.#active += 1;
    try {
      return await fn();
    } finally {
      this.#active -= 1;
      this.#waiting.shift()?.();
    }
  }
}

function estimateBytes(value: unknown): number {
  try {
    return typeof value === "string" ? value.length : (JSON.stringify(value)?.length ?? 0);
  } catch {
    return 0;
  }
}

function countRows(value: unknown): number {
  if (Array.isArray(value)) return value.length;
  if (typeof value === "string") return value.split("\n").length;
  return value ? 1 : 0;
}

/** One successful result kept for replay: `vigil fixture export` turns these into a fixture. */
export interface RecordedResult {
  backend: string;
  operation: string;
  query: string;
  range?: TimeRange;
  data: unknown;
}

/** Results beyond this many bytes (estimated) are not kept for replay; the investigation itself is unaffected. */
const MAX_RECORDED_BYTES = 20 * 1024 * 1024;

export class ToolEnvelope {
  readonly calls: ToolCallRecord[] = [];
  readonly recorded: RecordedResult[] = [];
  #recordedBytes = 0;
  readonly redactions: RedactionStats = { count: 0, rules: {} };
  readonly #cache = new Map<string, Promise<ToolResult<unknown>>>();
  readonly #semaphores = new Map<string, Semaphore>();
  readonly #timeoutMs: number;
  readonly #maxRows: number;
  readonly #concurrency: number;
  readonly #onCall?: (record: ToolCallRecord) => void;
  /** Settable after creation: the investigation installs its trace recorder here. */
  currentSpanId?: () => string | undefined;

  constructor(
    options: Pick<EnvelopeOptions, "timeoutMs" | "maxRows" | "concurrencyPerBackend" | "onCall" | "currentSpanId">,
  ) {
    this.currentSpanId = options.currentSpanId;
    this.#timeoutMs = options.timeoutMs ?? 15_000;
    this.#maxRows = options.maxRows ?? 5000;
    this.#concurrency = options.concurrencyPerBackend ?? 4;
    this.#onCall = options.onCall;
  }

  #semaphore(backend: string): Semaphore {
    let s = this.#semaphores.get(backend);
    if (!s) {
      s = new Semaphore(this.#concurrency);
      this.#semaphores.set(backend, s);
    }
    return s;
  }

  #record(record: ToolCallRecord): void {
    this.calls.push(record);
    this.#onCall?.(record);
  }

  /** Run one call inside the envelope. Never throws: failures become typed errors. */
  async call<T>(meta: CallMeta, run: () => Promise<ToolResult<T>>): Promise<ToolResult<T>> {
    const key = JSON.stringify([meta.backend, meta.operation, meta.query, meta.range?.from, meta.range?.to]);
    const startedAt = Date.now();
    const parentSpanId = this.currentSpanId?.();
    const cached = this.#cache.get(key) as Promise<ToolResult<T>> | undefined;
    if (cached) {
      const result = await cached;
      this.#record({
        ...meta,
        startedAt,
        durationMs: Date.now() - startedAt,
        bytes: 0,
        rows: result.ok ? countRows(result.data) : 0,
        cacheHit: true,
        truncated: result.ok ? result.truncated : false,
        error: result.ok ? undefined : `${result.error.kind}: ${result.error.message}`,
        parentSpanId,
      });
      return result;
    }
    const pending = this.#semaphore(meta.backend).run(() => this.#guarded(meta, run));
    this.#cache.set(key, pending as Promise<ToolResult<unknown>>);
    const result = await pending;
    if (result.ok) this.#keep(meta, result.data);
    this.#record({
      ...meta,
      startedAt,
      durationMs: Date.now() - startedAt,
      bytes: result.ok ? estimateBytes(result.data) : 0,
      rows: result.ok ? countRows(result.data) : 0,
      cacheHit: false,
      truncated: result.ok ? result.truncated : false,
      error: result.ok ? undefined : `${result.error.kind}: ${result.error.message}`,
      parentSpanId,
    });
    return result;
  }

  #keep(meta: CallMeta, data: unknown): void {
    const bytes = estimateBytes(data);
    if (this.#recordedBytes + bytes > MAX_RECORDED_BYTES) return;
    this.#recordedBytes += bytes;
    this.recorded.push({ ...meta, data });
  }

  async #guarded<T>(meta: CallMeta, run: () => Promise<ToolResult<T>>): Promise<ToolResult<T>> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<ToolResult<T>>((resolve) => {
      timer = setTimeout(
        () =>
          resolve({
            ok: false,
            error: { backend: meta.backend, kind: "timeout", message: `no answer within ${this.#timeoutMs} ms` },
          }),
        this.#timeoutMs,
      );
    });
    const attempt = run().catch(
      (error: unknown): ToolResult<T> => ({
        ok: false,
        error: { backend: meta.backend, kind: "unavailable", message: (error as Error)?.message ?? String(error) },
      }),
    );
    const result = await Promise.race([attempt, timeout]);
    clearTimeout(timer);
    if (!result.ok) return { ok: false, error: redactDeep(result.error, this.redactions) };
    let data = result.data;
    let truncated = result.truncated;
    if (Array.isArray(data) && data.length > this.#maxRows) {
      data = data.slice(0, this.#maxRows) as T;
      truncated = true;
    }
    return { ok: true, data: redactDeep(data, this.redactions), truncated };
  }
}

function rangeText(range: TimeRange): string {
  return `${new Date(range.from).toISOString()}..${new Date(range.to).toISOString()}`;
}

/** Wrap every configured source in one envelope; the sources clamp ranges to the investigation clock. */
export function createInvestigationTools(options: EnvelopeOptions): InvestigationTools {
  const envelope = new ToolEnvelope(options);
  const { now } = options;
  const clamp = (range: TimeRange): TimeRange => ({ from: Math.min(range.from, now), to: Math.min(range.to, now) });
  const { metrics, topology, logs, traces, cluster, changes } = options;

  const tools: InvestigationTools = {
    now,
    calls: envelope.calls,
    links: options.links,
    envelope,
  };
  if (metrics) {
    tools.metrics = {
      backend: metrics.backend,
      kinds: () => metrics.kinds(),
      querySignal: (kind, range, stepMs) => {
        const r = clamp(range);
        return envelope.call({ backend: metrics.backend, operation: "query_signal", query: kind, range: r }, () =>
          metrics.querySignal(kind, r, stepMs),
        );
      },
    };
  }
  if (topology) {
    tools.topology = {
      backend: topology.backend,
      topology: () =>
        envelope.call({ backend: topology.backend, operation: "topology", query: "" }, () => topology.topology()),
    };
  }
  if (logs) {
    tools.logs = {
      backend: logs.backend,
      services: (range) => {
        const r = clamp(range);
        return envelope.call({ backend: logs.backend, operation: "log_services", query: "", range: r }, () =>
          logs.services(r),
        );
      },
      queryLogs: (query) => {
        const q = { ...query, range: clamp(query.range) };
        const text = `services=${(q.services ?? []).join(",") || "*"} contains=${(q.contains ?? []).join("|")} limit=${q.limit ?? ""}`;
        return envelope.call({ backend: logs.backend, operation: "query_logs", query: text, range: q.range }, () =>
          logs.queryLogs(q),
        );
      },
    };
  }
  if (traces) {
    tools.traces = {
      backend: traces.backend,
      services: (range) => {
        const r = clamp(range);
        return envelope.call({ backend: traces.backend, operation: "trace_services", query: "", range: r }, () =>
          traces.services(r),
        );
      },
      searchTraces: (query) => {
        const q = { ...query, range: clamp(query.range) };
        const text = `service=${q.service ?? "*"} errorsOnly=${Boolean(q.errorsOnly)} minDurationMs=${q.minDurationMs ?? 0} limit=${q.limit ?? ""}`;
        return envelope.call({ backend: traces.backend, operation: "search_traces", query: text, range: q.range }, () =>
          traces.searchTraces(q),
        );
      },
      getTrace: (traceId, range) =>
        envelope.call({ backend: traces.backend, operation: "get_trace", query: traceId, range }, () =>
          traces.getTrace(traceId, range ? clamp(range) : undefined),
        ),
    };
  }
  if (cluster) {
    tools.cluster = {
      backend: cluster.backend,
      list: (kind, opts = {}) =>
        envelope.call(
          {
            backend: cluster.backend,
            operation: `list_${kind}`,
            query: `ns=${opts.namespace ?? "*"} labels=${opts.labelSelector ?? ""} fields=${opts.fieldSelector ?? ""}`,
          },
          () => cluster.list(kind, opts),
        ),
      podLogs: (namespace, pod, opts = {}) =>
        envelope.call(
          {
            backend: cluster.backend,
            operation: "pod_logs",
            query: `${namespace}/${pod}${opts.container ? `/${opts.container}` : ""}${opts.previous ? " previous" : ""} tail=${opts.tailLines ?? ""}`,
          },
          () => cluster.podLogs(namespace, pod, opts),
        ),
    };
  }
  if (changes) {
    tools.changes = {
      backend: changes.backend,
      listChanges: (range) => {
        const r = clamp(range);
        return envelope.call(
          { backend: changes.backend, operation: "list_changes", query: rangeText(r), range: r },
          () => changes.listChanges(r),
        );
      },
    };
  }
  return tools;
}
