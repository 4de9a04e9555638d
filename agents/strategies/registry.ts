import type { InvestigationTools } from "../../tools/interfaces.ts";
import type { InvestigationFrame } from "../investigate/state.ts";
import type { StrategyReport } from "../types.ts";
import { buildRobustMetricsGraph, ROBUST_METRICS } from "./robust-metrics/graph.ts";

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
  applicable(tools: InvestigationTools): boolean;
  build(): StrategyGraph;
}

export const STRATEGIES: StrategyDefinition[] = [
  {
    name: ROBUST_METRICS,
    description: "robust scoring of every service's metrics against the pre-alert baseline",
    applicable: (tools) => Boolean(tools.metrics),
    build: () => buildRobustMetricsGraph() as unknown as StrategyGraph,
  },
];
