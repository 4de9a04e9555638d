import type {
  InvestigationTools,
  MetricKind,
  MetricSeries,
  MetricsSource,
  TimeRange,
  ToolCallRecord,
  ToolResult,
  Topology,
  TopologySource,
} from "./interfaces.ts";

/**
 * The per-investigation envelope around every source: records each call for the trace, and shares one query cache
 * among all strategies so the same query over the same range is sent once.
 */
export interface EnvelopeOptions {
  metrics?: MetricsSource;
  topology?: TopologySource;
  now: number;
  links?: InvestigationTools["links"];
}

function countRows(value: unknown): number {
  return Array.isArray(value) ? value.length : value ? 1 : 0;
}

function estimateBytes(value: unknown): number {
  try {
    return JSON.stringify(value)?.length ?? 0;
  } catch {
    return 0;
  }
}

async function recorded<T>(
  calls: ToolCallRecord[],
  cache: Map<string, Promise<ToolResult<T>>>,
  meta: { backend: string; operation: string; query: string; range?: TimeRange },
  run: () => Promise<ToolResult<T>>,
): Promise<ToolResult<T>> {
  const key = `${meta.backend}\u0000${meta.operation}\u0000${meta.query}\u0000${meta.range?.from}\u0000${meta.range?.to}`;
  const startedAt = Date.now();
  const cached = cache.get(key);
  if (cached) {
    const result = await cached;
    calls.push({
      ...meta,
      startedAt,
      durationMs: 0,
      bytes: 0,
      rows: result.ok ? countRows(result.data) : 0,
      cacheHit: true,
      truncated: result.ok ? result.truncated : false,
      error: result.ok ? undefined : result.error.message,
    });
    return result;
  }
  const pending = run().catch(
    (error: unknown): ToolResult<T> => ({
      ok: false,
      error: { backend: meta.backend, kind: "unavailable", message: (error as Error)?.message ?? String(error) },
    }),
  );
  cache.set(key, pending);
  const result = await pending;
  calls.push({
    ...meta,
    startedAt,
    durationMs: Date.now() - startedAt,
    bytes: result.ok ? estimateBytes(result.data) : 0,
    rows: result.ok ? countRows(result.data) : 0,
    cacheHit: false,
    truncated: result.ok ? result.truncated : false,
    error: result.ok ? undefined : result.error.message,
  });
  return result;
}

export function createInvestigationTools(options: EnvelopeOptions): InvestigationTools {
  const calls: ToolCallRecord[] = [];
  const cache = new Map<string, Promise<ToolResult<unknown>>>();
  const typedCache = <T>() => cache as unknown as Map<string, Promise<ToolResult<T>>>;
  const { metrics, topology, now } = options;

  const wrappedMetrics: MetricsSource | undefined = metrics && {
    backend: metrics.backend,
    kinds: () => metrics.kinds(),
    querySignal: (kind: MetricKind, range: TimeRange, stepMs: number) => {
      const clamped = { from: range.from, to: Math.min(range.to, now) };
      return recorded(
        calls,
        typedCache<MetricSeries[]>(),
        { backend: metrics.backend, operation: "query_signal", query: kind, range: clamped },
        () => metrics.querySignal(kind, clamped, stepMs),
      );
    },
  };
  const wrappedTopology: TopologySource | undefined = topology && {
    backend: topology.backend,
    topology: () =>
      recorded(calls, typedCache<Topology>(), { backend: topology.backend, operation: "topology", query: "" }, () =>
        topology.topology(),
      ),
  };
  return { metrics: wrappedMetrics, topology: wrappedTopology, now, calls, links: options.links };
}
