import { randomBytes } from "node:crypto";
import { BaseCallbackHandler } from "@langchain/core/callbacks/base";
import type { Serialized } from "@langchain/core/load/serializable";
import { getConfig } from "@langchain/langgraph";
import type { ToolCallRecord } from "../../tools/interfaces.ts";
import type { InvestigationTrace, TraceSpan } from "./types.ts";

export function newTraceId(): string {
  return randomBytes(16).toString("hex");
}

export function newSpanId(): string {
  return randomBytes(8).toString("hex");
}

/** LangGraph's internal runnables: not paths an engineer took, so they are folded into their parent span. */
const INTERNAL = /^(__start__|__end__|ChannelWrite|ChannelRead|RunnableSequence|RunnableLambda|Branch|.*<.*>)$/;

/**
 * Records every path of one investigation as spans: the investigation, each strategy, each graph node (from
 * LangChain callbacks, which LangGraph emits for graphs and nodes), each tool call (from the envelope's records,
 * parented to the node that made it) and each LLM call.
 */
export class TraceRecorder extends BaseCallbackHandler {
  name = "vigil-trace-recorder";
  readonly traceId = newTraceId();
  readonly rootSpanId = newSpanId();
  readonly #spans = new Map<string, TraceSpan>();
  /** LangChain run id → the span that stands for it (itself, or its nearest recorded ancestor). */
  readonly #spanOfRun = new Map<string, string>();
  readonly #started = Date.now();

  /**
   * @param rootName name of the investigation span
   * @param strategyNames names of the strategy subgraphs, whose runs become "strategy" spans
   */
  constructor(
    private readonly rootName: string,
    private readonly strategyNames: ReadonlySet<string> = new Set(),
  ) {
    super();
  }

  // LangChain's CallbackManager calls this as (chain, inputs, runId, parentRunId, tags, metadata, runType, runName),
  // whatever order its type declaration shows.
  override handleChainStart(
    _chain: Serialized,
    _inputs: unknown,
    runId: string,
    parentRunId?: string,
    _tags?: string[],
    _metadata?: Record<string, unknown>,
    _runType?: string,
    runName?: string,
  ): void {
    const parent = (parentRunId && this.#spanOfRun.get(parentRunId)) || this.rootSpanId;
    const name = runName ?? "run";
    // The top-level graph run is the investigation span itself; the dispatcher node only routes to a strategy.
    if (!parentRunId || name === "strategy" || INTERNAL.test(name)) {
      this.#spanOfRun.set(runId, parent);
      return;
    }
    const spanId = newSpanId();
    this.#spanOfRun.set(runId, spanId);
    const isStrategy = this.strategyNames.has(name);
    this.#spans.set(spanId, {
      traceId: this.traceId,
      spanId,
      parentSpanId: parent,
      name: isStrategy ? `strategy ${name}` : name,
      kind: isStrategy ? "strategy" : "node",
      startMs: Date.now(),
      endMs: Date.now(),
      status: "ok",
      attributes: { "langgraph.run_id": runId },
    });
  }

  override handleChainEnd(_outputs: unknown, runId: string): void {
    this.#end(runId);
  }

  override handleChainError(error: Error, runId: string): void {
    this.#end(runId, error.message);
  }

  #end(runId: string, error?: string): void {
    const spanId = this.#spanOfRun.get(runId);
    const span = spanId ? this.#spans.get(spanId) : undefined;
    if (!span || span.attributes["langgraph.run_id"] !== runId) return;
    span.endMs = Date.now();
    if (error) {
      span.status = "error";
      span.error = error.slice(0, 500);
    }
  }

  /** The span of the graph node running right now (read by the tool envelope to parent its calls). */
  currentSpanId(): string | undefined {
    try {
      const config = getConfig();
      const manager = config?.callbacks as { getParentRunId?: () => string | undefined } | undefined;
      const runId = manager?.getParentRunId?.();
      return runId ? this.#spanOfRun.get(runId) : undefined;
    } catch {
      return undefined;
    }
  }

  /** Assemble the trace: the root span, every recorded span, and one span per tool call. */
  finish(calls: ToolCallRecord[], attributes: Record<string, string | number | boolean> = {}): InvestigationTrace {
    const end = Date.now();
    const spans: TraceSpan[] = [
      {
        traceId: this.traceId,
        spanId: this.rootSpanId,
        name: this.rootName,
        kind: "investigation",
        startMs: this.#started,
        endMs: end,
        status: "ok",
        attributes,
      },
      ...this.#spans.values(),
    ];
    for (const call of calls) {
      const attrs: Record<string, string | number | boolean> = {
        "vigil.backend": call.backend,
        "vigil.operation": call.operation,
        "vigil.query": call.query.slice(0, 2000),
        "vigil.bytes": call.bytes,
        "vigil.rows": call.rows,
        "vigil.cache_hit": call.cacheHit,
        "vigil.truncated": call.truncated,
      };
      if (call.range) {
        attrs["vigil.range.from"] = new Date(call.range.from).toISOString();
        attrs["vigil.range.to"] = new Date(call.range.to).toISOString();
      }
      for (const [k, v] of Object.entries(call.attributes ?? {})) attrs[k] = v;
      spans.push({
        traceId: this.traceId,
        spanId: newSpanId(),
        parentSpanId: call.parentSpanId && this.#spans.has(call.parentSpanId) ? call.parentSpanId : this.rootSpanId,
        name: `${call.kind === "llm" ? "chat" : "tool"} ${call.backend} ${call.operation}`,
        kind: call.kind === "llm" ? "llm" : "tool",
        startMs: call.startedAt,
        endMs: call.startedAt + call.durationMs,
        status: call.error ? "error" : "ok",
        error: call.error,
        attributes: attrs,
      });
    }
    return { traceId: this.traceId, spans };
  }
}
