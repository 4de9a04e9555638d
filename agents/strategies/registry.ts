import type { InvestigationTools } from "../../tools/interfaces.ts";
import type { InvestigationFrame } from "../investigate/state.ts";
import type { StrategyReport } from "../types.ts";
import { buildChangesFirstGraph, CHANGES_FIRST } from "./changes-first/graph.ts";
import { buildErrorsFirstGraph, ERRORS_FIRST } from "./errors-first/graph.ts";
import { buildGoldenSignalsGraph, GOLDEN_SIGNALS } from "./golden-signals/graph.ts";
import { buildKubernetesHealthGraph, KUBERNETES_HEALTH } from "./kubernetes-health/graph.ts";
import { buildLlmExplorerGraph, LLM_EXPLORER } from "./llm-explorer/graph.ts";
import { buildSaturationGraph, SATURATION } from "./saturation/graph.ts";
import { buildTracesGraph, TRACES } from "./traces/graph.ts";

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
    name: CHANGES_FIRST,
    description: "what changed shortly before the symptom, and whether the changed component shows the first anomaly",
    applicable: (tools) => Boolean(tools.changes || tools.cluster),
    build: () => buildChangesFirstGraph() as unknown as StrategyGraph,
  },
  {
    name: ERRORS_FIRST,
    description: "log templates that are new or spiking after the start, and which service emits or names them first",
    applicable: (tools) => Boolean(tools.logs),
    build: () => buildErrorsFirstGraph() as unknown as StrategyGraph,
  },
  {
    name: KUBERNETES_HEALTH,
    description: "Kubernetes analyzers: crash loops, OOM kills, image pulls, scheduling, probes, nodes, replicas, HPAs",
    applicable: (tools) => Boolean(tools.cluster),
    build: () => buildKubernetesHealthGraph() as unknown as StrategyGraph,
  },
  {
    name: SATURATION,
    description: "CPU throttling, CPU and memory near limits, disk, connection-pool and thread exhaustion",
    applicable: (tools) => Boolean(tools.metrics),
    build: () => buildSaturationGraph() as unknown as StrategyGraph,
  },
  {
    name: TRACES,
    description: "deepest erroring service per trace, and callees whose own (exclusive) time grew",
    applicable: (tools) => Boolean(tools.traces),
    build: () => buildTracesGraph() as unknown as StrategyGraph,
  },
  {
    name: LLM_EXPLORER,
    description: "bounded ReAct exploration by an LLM over the read-only tools (only when an LLM is configured)",
    applicable: (tools, context) =>
      context.llm && Boolean(tools.metrics || tools.logs || tools.traces || tools.cluster || tools.changes),
    build: () => buildLlmExplorerGraph() as unknown as StrategyGraph,
  },
];
