import type { SpanRecord, TimeRange } from "../../tools/interfaces.ts";

/**
 * Pure, deterministic analysis over spans for the trace strategies: trace trees, per-operation latency and its
 * shift across a split time, where errors originate, exclusive (self) time and service dependencies.
 * Everything is linear or n·log n in the number of spans; 50k spans take a few tens of milliseconds.
 */

export interface SpanNode {
  span: SpanRecord;
  parent?: SpanNode;
  children: SpanNode[];
  /** 0 for a root. */
  depth: number;
}

export interface TraceTree {
  traceId: string;
  /** Spans without a parent in the trace (true roots, and orphans whose parent was not received). */
  roots: SpanNode[];
  /** Every node, by span id. */
  nodes: Map<string, SpanNode>;
  startMs: number;
  endMs: number;
}

function byStart(a: SpanNode, b: SpanNode): number {
  return (
    a.span.startMs - b.span.startMs || (a.span.spanId < b.span.spanId ? -1 : a.span.spanId > b.span.spanId ? 1 : 0)
  );
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function groupByTrace(spans: SpanRecord[]): Map<string, SpanRecord[]> {
  const byTrace = new Map<string, SpanRecord[]>();
  for (const s of spans) {
    const list = byTrace.get(s.traceId);
    if (list) list.push(s);
    else byTrace.set(s.traceId, [s]);
  }
  return byTrace;
}

function buildTree(traceId: string, spans: SpanRecord[]): TraceTree {
  const nodes = new Map<string, SpanNode>();
  let startMs = Number.POSITIVE_INFINITY;
  let endMs = Number.NEGATIVE_INFINITY;
  for (const span of spans) {
    // A span reported twice (retried export) counts once.
    if (nodes.has(span.spanId)) continue;
    nodes.set(span.spanId, { span, children: [], depth: 0 });
    startMs = Math.min(startMs, span.startMs);
    endMs = Math.max(endMs, span.startMs + span.durationMs);
  }
  const roots: SpanNode[] = [];
  for (const node of nodes.values()) {
    const parent = node.span.parentSpanId ? nodes.get(node.span.parentSpanId) : undefined;
    if (parent && parent !== node) {
      node.parent = parent;
      parent.children.push(node);
    } else {
      roots.push(node);
    }
  }
  // Depths from the roots; a parent cycle (bad instrumentation) leaves nodes unreached, which become roots.
  const reached = new Set<SpanNode>();
  const assignDepths = (start: SpanNode) => {
    const stack: SpanNode[] = [start];
    reached.add(start);
    while (stack.length > 0) {
      const node = stack.pop() as SpanNode;
      node.children.sort(byStart);
      for (const child of node.children) {
        if (reached.has(child)) continue;
        reached.add(child);
        child.depth = node.depth + 1;
        stack.push(child);
      }
    }
  };
  for (const root of roots) assignDepths(root);
  for (const node of nodes.values()) {
    if (reached.has(node)) continue;
    if (node.parent) node.parent.children = node.parent.children.filter((c) => c !== node);
    node.parent = undefined;
    node.depth = 0;
    roots.push(node);
    assignDepths(node);
  }
  roots.sort(byStart);
  return { traceId, roots, nodes, startMs, endMs };
}

/**
 * Trees built from a span array, kept while the array lives: a strategy runs several analyses over one sample, and
 * building the trees is most of their cost. The length guards against an array that grew since.
 */
const treeCache = new WeakMap<SpanRecord[], { length: number; trees: TraceTree[] }>();

/** One tree per trace, ordered by trace id; children ordered by start time. Treat the trees as read-only. */
export function buildTraceTrees(spans: SpanRecord[]): TraceTree[] {
  const cached = treeCache.get(spans);
  if (cached && cached.length === spans.length) return cached.trees;
  const trees: TraceTree[] = [];
  for (const [traceId, list] of groupByTrace(spans)) trees.push(buildTree(traceId, list));
  trees.sort((a, b) => compareStrings(a.traceId, b.traceId));
  treeCache.set(spans, { length: spans.length, trees });
  return trees;
}

// ---------------------------------------------------------------------------------------------------------------
// Latency per operation

export interface LatencyStats {
  count: number;
  errorCount: number;
  p50: number; // ms
  p90: number; // ms
  mean: number; // ms
}

export interface OperationLatency extends LatencyStats {
  service: string;
  name: string;
}

/** Linear-interpolated quantile of an ascending sample. */
function sortedQuantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

function latencyStats(durations: number[], errorCount: number): LatencyStats {
  const sorted = [...durations].sort((a, b) => a - b);
  let sum = 0;
  for (const d of sorted) sum += d;
  return {
    count: sorted.length,
    errorCount,
    p50: sortedQuantile(sorted, 0.5),
    p90: sortedQuantile(sorted, 0.9),
    mean: sorted.length === 0 ? Number.NaN : sum / sorted.length,
  };
}

const KEY_SEPARATOR = "\u0000";

function operationKey(span: SpanRecord): string {
  return `${span.service}${KEY_SEPARATOR}${span.name}`;
}

function splitKey(key: string): { service: string; name: string } {
  const at = key.indexOf(KEY_SEPARATOR);
  return { service: key.slice(0, at), name: key.slice(at + 1) };
}

interface Bucket {
  durations: number[];
  errors: number;
}

function bucketsByOperation(spans: Iterable<SpanRecord>): Map<string, Bucket> {
  const buckets = new Map<string, Bucket>();
  for (const span of spans) {
    const key = operationKey(span);
    let bucket = buckets.get(key);
    if (!bucket) {
      bucket = { durations: [], errors: 0 };
      buckets.set(key, bucket);
    }
    bucket.durations.push(span.durationMs);
    if (span.status === "error") bucket.errors++;
  }
  return buckets;
}

function inWindow(span: SpanRecord, window: TimeRange | undefined): boolean {
  return !window || (span.startMs >= window.from && span.startMs <= window.to);
}

/** Latency of each operation (service + span name) over the spans starting in `window` (all when absent). */
export function operationLatency(spans: SpanRecord[], window?: TimeRange): OperationLatency[] {
  const out: OperationLatency[] = [];
  for (const [key, bucket] of bucketsByOperation(spans.filter((s) => inWindow(s, window)))) {
    out.push({ ...splitKey(key), ...latencyStats(bucket.durations, bucket.errors) });
  }
  return out.sort((a, b) => compareStrings(a.service, b.service) || compareStrings(a.name, b.name));
}

export interface OperationShift {
  service: string;
  name: string;
  before?: LatencyStats;
  after?: LatencyStats;
  /** after.p50 / before.p50 (undefined without both sides or with a zero baseline). */
  p50Ratio?: number;
  p90Ratio?: number;
  p90DeltaMs?: number;
  errorRateBefore?: number;
  errorRateAfter?: number;
}

function ratio(after: number, before: number): number | undefined {
  return before > 0 ? after / before : undefined;
}

/**
 * Per operation, latency of the spans starting before `splitAt` against those starting at or after it; sorted
 * by p90 growth (largest first), operations seen on one side only last.
 */
export function operationShifts(spans: SpanRecord[], splitAt: number): OperationShift[] {
  const before = bucketsByOperation(spans.filter((s) => s.startMs < splitAt));
  const after = bucketsByOperation(spans.filter((s) => s.startMs >= splitAt));
  const keys = new Set([...before.keys(), ...after.keys()]);
  const out: OperationShift[] = [];
  for (const key of keys) {
    const b = before.get(key);
    const a = after.get(key);
    const shift: OperationShift = { ...splitKey(key) };
    if (b) {
      shift.before = latencyStats(b.durations, b.errors);
      shift.errorRateBefore = b.errors / b.durations.length;
    }
    if (a) {
      shift.after = latencyStats(a.durations, a.errors);
      shift.errorRateAfter = a.errors / a.durations.length;
    }
    if (shift.before && shift.after) {
      shift.p50Ratio = ratio(shift.after.p50, shift.before.p50);
      shift.p90Ratio = ratio(shift.after.p90, shift.before.p90);
      shift.p90DeltaMs = shift.after.p90 - shift.before.p90;
    }
    out.push(shift);
  }
  return out.sort(
    (x, y) =>
      (y.p90DeltaMs ?? Number.NEGATIVE_INFINITY) - (x.p90DeltaMs ?? Number.NEGATIVE_INFINITY) ||
      compareStrings(x.service, y.service) ||
      compareStrings(x.name, y.name),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Error origins

export function errorSpans(spans: SpanRecord[]): SpanRecord[] {
  return spans.filter((s) => s.status === "error");
}

export interface TraceErrorOrigin {
  traceId: string;
  errorSpans: SpanRecord[];
  /** Error spans none of whose children errored: where an error started. */
  origins: SpanRecord[];
  /** The deepest origin (ties: earliest start): the service most likely at fault in this trace. */
  deepest: SpanRecord;
  /** The erroring ancestors of `deepest`: services that only passed the error up. */
  propagation: SpanRecord[];
}

function traceErrorOrigin(tree: TraceTree): TraceErrorOrigin | undefined {
  const errors: SpanNode[] = [];
  for (const node of tree.nodes.values()) if (node.span.status === "error") errors.push(node);
  if (errors.length === 0) return undefined;
  const origins = errors.filter((n) => !n.children.some((c) => c.span.status === "error"));
  let deepest = origins[0];
  for (const node of origins) {
    if (node.depth > deepest.depth || (node.depth === deepest.depth && byStart(node, deepest) < 0)) deepest = node;
  }
  const propagation: SpanRecord[] = [];
  for (let up = deepest.parent; up; up = up.parent) if (up.span.status === "error") propagation.push(up.span);
  return {
    traceId: tree.traceId,
    errorSpans: errors.sort(byStart).map((n) => n.span),
    origins: origins.sort(byStart).map((n) => n.span),
    deepest: deepest.span,
    propagation,
  };
}

export interface ServiceErrorOrigin {
  service: string;
  /** Traces whose deepest erroring span is in this service. */
  originTraces: number;
  /** Traces where this service only propagated an error from deeper down. */
  propagatedTraces: number;
  errorSpans: number;
  /** Up to 5 trace ids where this service was the origin, for evidence. */
  exampleTraceIds: string[];
}

export interface ErrorOriginAnalysis {
  traces: TraceErrorOrigin[];
  /** Services by `originTraces`, then error spans. */
  services: ServiceErrorOrigin[];
}

const MAX_EXAMPLES = 5;

/**
 * Where errors start, per trace and aggregated per service. A service that errors only because a callee did is
 * propagation, not origin; across many traces the origin service is the likely cause.
 */
export function errorOrigins(spans: SpanRecord[]): ErrorOriginAnalysis {
  const traces: TraceErrorOrigin[] = [];
  const services = new Map<string, ServiceErrorOrigin>();
  const entry = (service: string) => {
    let e = services.get(service);
    if (!e) {
      e = { service, originTraces: 0, propagatedTraces: 0, errorSpans: 0, exampleTraceIds: [] };
      services.set(service, e);
    }
    return e;
  };
  for (const tree of buildTraceTrees(spans)) {
    const origin = traceErrorOrigin(tree);
    if (!origin) continue;
    traces.push(origin);
    for (const s of origin.errorSpans) entry(s.service).errorSpans++;
    const originEntry = entry(origin.deepest.service);
    originEntry.originTraces++;
    if (originEntry.exampleTraceIds.length < MAX_EXAMPLES) originEntry.exampleTraceIds.push(origin.traceId);
    const propagators = new Set(origin.propagation.map((s) => s.service));
    propagators.delete(origin.deepest.service);
    for (const service of propagators) entry(service).propagatedTraces++;
  }
  return {
    traces,
    services: [...services.values()].sort(
      (a, b) => b.originTraces - a.originTraces || b.errorSpans - a.errorSpans || compareStrings(a.service, b.service),
    ),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Exclusive (self) time

export interface ExclusiveSpan {
  span: SpanRecord;
  /** Duration minus the union of the children's intervals clipped to the span: time spent in the span itself. */
  exclusiveMs: number;
}

function exclusiveOf(node: SpanNode): number {
  const start = node.span.startMs;
  const end = start + node.span.durationMs;
  const intervals: Array<[number, number]> = [];
  for (const child of node.children) {
    const from = Math.max(start, child.span.startMs);
    const to = Math.min(end, child.span.startMs + child.span.durationMs);
    if (to > from) intervals.push([from, to]);
  }
  if (intervals.length === 0) return node.span.durationMs;
  // Children may overlap (parallel calls): count covered time once.
  intervals.sort((a, b) => a[0] - b[0]);
  let covered = 0;
  let [curFrom, curTo] = intervals[0];
  for (let i = 1; i < intervals.length; i++) {
    const [from, to] = intervals[i];
    if (from > curTo) {
      covered += curTo - curFrom;
      curFrom = from;
      curTo = to;
    } else if (to > curTo) {
      curTo = to;
    }
  }
  covered += curTo - curFrom;
  return Math.max(0, node.span.durationMs - covered);
}

/** Exclusive time of every span, in trace-id then tree order. */
export function exclusiveTimes(spans: SpanRecord[]): ExclusiveSpan[] {
  const out: ExclusiveSpan[] = [];
  for (const tree of buildTraceTrees(spans)) {
    for (const node of tree.nodes.values()) out.push({ span: node.span, exclusiveMs: exclusiveOf(node) });
  }
  return out;
}

export interface ExclusiveWindowStats {
  spans: number;
  traces: number;
  totalMs: number;
  meanPerSpanMs: number;
  /** Exclusive time this service (or operation) adds to an average trace that reaches it. */
  meanPerTraceMs: number;
}

export interface ExclusiveShift {
  service: string;
  /** Span name when grouped by operation. */
  name?: string;
  before?: ExclusiveWindowStats;
  after?: ExclusiveWindowStats;
  deltaPerTraceMs?: number;
  deltaPerSpanMs?: number;
  ratioPerTrace?: number;
}

export interface ExclusiveShiftOptions {
  by?: "service" | "operation"; // default "service"
}

interface ExclusiveAccumulator {
  spans: number;
  totalMs: number;
  traces: Set<string>;
}

function windowStats(acc: ExclusiveAccumulator | undefined): ExclusiveWindowStats | undefined {
  if (!acc) return undefined;
  return {
    spans: acc.spans,
    traces: acc.traces.size,
    totalMs: acc.totalMs,
    meanPerSpanMs: acc.totalMs / acc.spans,
    meanPerTraceMs: acc.totalMs / acc.traces.size,
  };
}

/**
 * Exclusive time per service (or operation) before `splitAt` against after it, sorted by growth per trace.
 * A callee whose own exclusive time grew explains its callers' latency; a caller whose total grew while its
 * exclusive time did not is only waiting on someone else.
 */
export function exclusiveTimeShifts(
  spans: SpanRecord[],
  splitAt: number,
  options: ExclusiveShiftOptions = {},
): ExclusiveShift[] {
  const byOperation = options.by === "operation";
  const sides = [new Map<string, ExclusiveAccumulator>(), new Map<string, ExclusiveAccumulator>()];
  for (const { span, exclusiveMs } of exclusiveTimes(spans)) {
    const side = sides[span.startMs < splitAt ? 0 : 1];
    const key = byOperation ? operationKey(span) : span.service;
    let acc = side.get(key);
    if (!acc) {
      acc = { spans: 0, totalMs: 0, traces: new Set() };
      side.set(key, acc);
    }
    acc.spans++;
    acc.totalMs += exclusiveMs;
    acc.traces.add(span.traceId);
  }
  const out: ExclusiveShift[] = [];
  for (const key of new Set([...sides[0].keys(), ...sides[1].keys()])) {
    const shift: ExclusiveShift = byOperation ? splitKey(key) : { service: key };
    const before = windowStats(sides[0].get(key));
    const after = windowStats(sides[1].get(key));
    if (before) shift.before = before;
    if (after) shift.after = after;
    if (before && after) {
      shift.deltaPerTraceMs = after.meanPerTraceMs - before.meanPerTraceMs;
      shift.deltaPerSpanMs = after.meanPerSpanMs - before.meanPerSpanMs;
      shift.ratioPerTrace = ratio(after.meanPerTraceMs, before.meanPerTraceMs);
    }
    out.push(shift);
  }
  return out.sort(
    (x, y) =>
      (y.deltaPerTraceMs ?? Number.NEGATIVE_INFINITY) - (x.deltaPerTraceMs ?? Number.NEGATIVE_INFINITY) ||
      compareStrings(x.service, y.service) ||
      compareStrings(x.name ?? "", y.name ?? ""),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Dependencies

export interface ServiceDependency {
  caller: string;
  callee: string;
  /** Child spans of `callee` under a span of `caller`. */
  calls: number;
  /** Of those, how many errored. */
  errors: number;
  traces: number;
}

/** Caller → callee edges between different services, from parent/child spans; by calls, then names. */
export function serviceDependencies(spans: SpanRecord[]): ServiceDependency[] {
  const edges = new Map<string, { calls: number; errors: number; traces: Set<string> }>();
  for (const tree of buildTraceTrees(spans)) {
    for (const node of tree.nodes.values()) {
      const parent = node.parent;
      if (!parent || parent.span.service === node.span.service) continue;
      const key = `${parent.span.service}${KEY_SEPARATOR}${node.span.service}`;
      let edge = edges.get(key);
      if (!edge) {
        edge = { calls: 0, errors: 0, traces: new Set() };
        edges.set(key, edge);
      }
      edge.calls++;
      if (node.span.status === "error") edge.errors++;
      edge.traces.add(tree.traceId);
    }
  }
  const out: ServiceDependency[] = [];
  for (const [key, edge] of edges) {
    const { service: caller, name: callee } = splitKey(key);
    out.push({ caller, callee, calls: edge.calls, errors: edge.errors, traces: edge.traces.size });
  }
  return out.sort(
    (a, b) => b.calls - a.calls || compareStrings(a.caller, b.caller) || compareStrings(a.callee, b.callee),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Requests cut short

export interface CutShortCallee {
  /** The callee right after whose call requests now end. */
  service: string;
  /** The service whose requests stop there. */
  caller: string;
  /** The caller's operation (its entry span's name) whose requests stop there. */
  operation: string;
  /** Requests of that operation after the split that ended right after calling `service`, where others go on. */
  cutShort: number;
  /** How many of those the baseline's rate of ending at the same point does not predict. */
  excess: number;
  /** `excess` over the operation's requests after the split. */
  share: number;
  /** The operation's requests after the split. */
  requestsAfter: number;
  /** Up to 5 traces cut short after calling `service`, for evidence. */
  exampleTraceIds: string[];
}

export interface CutShortAnalysis {
  tracesBefore: number;
  tracesAfter: number;
  /** Callees by share, largest first. */
  callees: CutShortCallee[];
}

/** Visits of one point of a request path: how many requests ended there and how many went on, per side. */
interface PathPoint {
  operation: string;
  callee: string;
  ended: [number, number];
  wentOn: [number, number];
  endedAfter: string[];
}

/**
 * Every request a trace holds, as its service saw it: an entry span (a root, or a span whose parent is in another
 * service) and the calls it made to other services, in order, through its own service's spans. The path key is the
 * operation (service and entry span name) plus each call's service and operation.
 */
function requestPaths(tree: TraceTree): Array<{ operation: string; keys: string[]; callees: string[] }> {
  const paths: Array<{ operation: string; keys: string[]; callees: string[] }> = [];
  for (const entry of tree.nodes.values()) {
    if (entry.parent && entry.parent.span.service === entry.span.service) continue;
    const service = entry.span.service;
    const calls: SpanNode[] = [];
    const stack = [...entry.children];
    while (stack.length > 0) {
      const node = stack.pop() as SpanNode;
      if (node.span.service === service) stack.push(...node.children);
      else calls.push(node);
    }
    calls.sort(byStart);
    const operation = operationKey(entry.span);
    const keys: string[] = [];
    let key = operation;
    for (const call of calls) {
      key = `${key}${KEY_SEPARATOR}${operationKey(call.span)}`;
      keys.push(key);
    }
    paths.push({ operation, keys, callees: calls.map((c) => c.span.service) });
  }
  return paths;
}

/**
 * Requests that now end right after one call, where before they went on: the callee's answer makes its caller give
 * up. This finds a failing callee when spans carry no error status, and it explains why a caller "stopped calling"
 * its other callees. Every service's requests are followed, not only the entry service's. Each point of a request
 * path (the calls so far, in order) is compared with the baseline's rate of ending there (a Beta(1,1) prior where
 * the baseline never reached it); a point that no request ever went on from is a natural last call and never counts.
 * Traces with a missing parent span are left out: their paths are incomplete.
 */
export function cutShortTraces(spans: SpanRecord[], splitAt: number): CutShortAnalysis {
  const points = new Map<string, PathPoint>();
  const traces: [number, number] = [0, 0];
  const requestsAfter = new Map<string, number>();
  for (const tree of buildTraceTrees(spans)) {
    if (tree.roots.length !== 1 || tree.roots[0].span.parentSpanId) continue;
    const side = tree.startMs < splitAt ? 0 : 1;
    traces[side] += 1;
    for (const path of requestPaths(tree)) {
      if (side === 1) requestsAfter.set(path.operation, (requestsAfter.get(path.operation) ?? 0) + 1);
      path.keys.forEach((key, i) => {
        let point = points.get(key);
        if (!point) {
          point = { operation: path.operation, callee: path.callees[i], ended: [0, 0], wentOn: [0, 0], endedAfter: [] };
          points.set(key, point);
        }
        if (i < path.keys.length - 1) point.wentOn[side] += 1;
        else {
          point.ended[side] += 1;
          if (side === 1 && point.endedAfter.length < MAX_EXAMPLES) point.endedAfter.push(tree.traceId);
        }
      });
    }
  }
  const byCallee = new Map<string, CutShortCallee>();
  for (const point of points.values()) {
    const [endedBefore, endedAfter] = point.ended;
    const [wentOnBefore, wentOnAfter] = point.wentOn;
    if (endedAfter === 0 || wentOnBefore + wentOnAfter === 0) continue;
    const goesOn = (wentOnBefore + 1) / (endedBefore + wentOnBefore + 2);
    const excess = endedAfter - (endedAfter + wentOnAfter) * (1 - goesOn);
    if (excess <= 0) continue;
    const key = `${point.operation}${KEY_SEPARATOR}${point.callee}`;
    const { service: caller, name: operation } = splitKey(point.operation);
    const entry = byCallee.get(key) ?? {
      service: point.callee,
      caller,
      operation,
      cutShort: 0,
      excess: 0,
      share: 0,
      requestsAfter: requestsAfter.get(point.operation) ?? 0,
      exampleTraceIds: [],
    };
    entry.cutShort += endedAfter;
    entry.excess += excess;
    for (const id of point.endedAfter) if (entry.exampleTraceIds.length < MAX_EXAMPLES) entry.exampleTraceIds.push(id);
    byCallee.set(key, entry);
  }
  const callees = [...byCallee.values()];
  for (const c of callees) c.share = c.requestsAfter > 0 ? c.excess / c.requestsAfter : 0;
  callees.sort((a, b) => b.share - a.share || b.excess - a.excess || compareStrings(a.service, b.service));
  return { tracesBefore: traces[0], tracesAfter: traces[1], callees };
}
