import type { InvestigationTools } from "../../tools/interfaces.ts";
import type { InvestigationFrame } from "../investigate/state.ts";
import type { StrategyReport } from "../types.ts";
import { buildGoldenSignalsGraph, GOLDEN_SIGNALS } from "./golden-signals/graph.ts";
import { buildLlmExplorerGraph, LLM_EXPLORER } from "./llm-explorer/graph.ts";

/** A compiled strategy subgraph: takes the frame, returns its report. */
export interface StrategyGraph {
  invoke(
    input: { frame: InvestigationFrame },
    config?: Record<string, unknown>,
  ): Promise<{ report?: StrategyReport } & Record<string, unknown>>;
}

export interface StrategyDefinition {
  name: string;
  description: string;
  /** Whether the tools at hand let this strategy run at all. */
  applicable(tools: InvestigationTools, context: { llm: boolean }): boolean;
  build(): StrategyGraph;
}

export const STRATEGIES: StrategyDefinition[] = [
  {
    name: GOLDEN_SIGNALS,
    description: "change points on latency/errors, then robust scoring of every service's metrics against the baseline",
    applicable: (tools) => Boolean(tools.metrics),
    build: () => buildGoldenSignalsGraph() as unknown as StrategyGraph,
  },
  {
    name: LLM_EXPLORER,
    description: "bounded ReAct exploration by an LLM over the read-only tools (only when an LLM is configured)",
    applicable: (tools, context) =>
      context.llm && Boolean(tools.metrics || tools.logs || tools.traces || tools.cluster || tools.changes),
    build: () => buildLlmExplorerGraph() as unknown as StrategyGraph,
  },
];
