import { Annotation, END, type LangGraphRunnableConfig, Send, START, StateGraph } from "@langchain/langgraph";
import { STRATEGIES, type StrategyDefinition, type StrategyGraph } from "../strategies/registry.ts";
import { synthesize } from "../synthesis/merge.ts";
import type { Alert, StrategyReport } from "../types.ts";
import { type InvestigationConfigurable, InvestigationState, type StrategyInput, toolsFrom } from "./state.ts";

export interface GraphOptions {
  /** Run only these strategies (by name); default: every applicable one. */
  strategies?: string[];
  /** Wall-clock budget of one strategy; past it the strategy reports a timeout and the others go on. */
  strategyTimeoutMs?: number;
  /** The strategies to choose from; default: the registry. */
  registry?: StrategyDefinition[];
  /**
   * Orders the applicable strategies (strategy ranking) and may drop some (a tight budget) or give each its own
   * timeout. Names it returns that are not applicable are ignored. Default: registry order, all run.
   */
  order?: (applicable: string[], alert: Alert) => StrategyOrder | Promise<StrategyOrder>;
}

export interface StrategyOrder {
  order: string[];
  /** Per-strategy wall-clock budget in ms; missing names get `strategyTimeoutMs`. */
  budgets?: Record<string, number>;
}

/** The parent state plus the planner's budgets, which only the Send fan-out reads. */
const PlannedState = Annotation.Root({
  ...InvestigationState.spec,
  budgets: Annotation<Record<string, number>>({ reducer: (_l, r) => r, default: () => ({}) }),
});

/** Compiled subgraphs, built once per definition and reused by every investigation. */
const compiled = new WeakMap<StrategyDefinition, StrategyGraph>();
function strategyGraph(registry: StrategyDefinition[], name: string): StrategyGraph | undefined {
  const definition = registry.find((s) => s.name === name);
  if (!definition) return undefined;
  const cached = compiled.get(definition);
  if (cached) return cached;
  const graph = definition.build();
  compiled.set(definition, graph);
  return graph;
}

function failedReport(name: string, started: number, message: string): StrategyReport {
  return { name, durationMs: Date.now() - started, toolCalls: 0, checked: [], hypotheses: [], errors: [message] };
}

async function runStrategy(
  registry: StrategyDefinition[],
  input: StrategyInput,
  config: LangGraphRunnableConfig,
  timeoutMs: number,
) {
  const started = Date.now();
  const tools = toolsFrom(config);
  const callsBefore = tools.calls.length;
  let graph: StrategyGraph | undefined;
  try {
    graph = strategyGraph(registry, input.strategy);
  } catch (error) {
    return { reports: [failedReport(input.strategy, started, `could not be built: ${(error as Error).message}`)] };
  }
  if (!graph) return { reports: [failedReport(input.strategy, started, "unknown strategy")] };
  let timer: NodeJS.Timeout | undefined;
  const controller = new AbortController();
  const timeout = new Promise<StrategyReport>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve(failedReport(input.strategy, started, `timed out after ${timeoutMs} ms`));
    }, timeoutMs);
  });
  const run = graph
    .invoke({ frame: input.frame }, { ...config, signal: controller.signal })
    .then((out) => out.report ?? failedReport(input.strategy, started, "strategy returned no report"))
    .catch((error: unknown) => failedReport(input.strategy, started, `failed: ${(error as Error).message}`));
  const report = await Promise.race([run, timeout]);
  clearTimeout(timer);
  const finished: StrategyReport = {
    ...report,
    durationMs: Date.now() - started,
    toolCalls: tools.calls.length - callsBefore,
  };
  const configurable = config.configurable as Partial<InvestigationConfigurable> | undefined;
  configurable?.onProgress?.({ strategy: input.strategy, done: 1, total: 0 });
  return { reports: [finished] };
}

/**
 * The parent investigation graph: plan → `Send` one branch per strategy (run in parallel) → synthesize.
 */
export function buildInvestigationGraph(options: GraphOptions = {}) {
  const timeoutMs = options.strategyTimeoutMs ?? 30_000;
  const registry = options.registry ?? STRATEGIES;
  return new StateGraph(PlannedState)
    .addNode("planner", async (state, config: LangGraphRunnableConfig) => {
      const tools = toolsFrom(config);
      const wanted = options.strategies;
      const llm = Boolean((config.configurable as Partial<InvestigationConfigurable> | undefined)?.llm);
      const applicable = registry
        .filter((s) => (!wanted || wanted.includes(s.name)) && s.applicable(tools, { llm }))
        .map((s) => s.name);
      if (!options.order || applicable.length === 0) return { plan: applicable, budgets: {} };
      const ordered = await options.order(applicable, state.frame.alert);
      // The hook may only reorder or drop: never run a strategy the tools cannot serve, nor one twice.
      const plan = [...new Set(ordered.order)].filter((name) => applicable.includes(name));
      return { plan, budgets: ordered.budgets ?? {} };
    })
    .addNode("strategy", (input: StrategyInput & { timeoutMs?: number }, config: LangGraphRunnableConfig) =>
      runStrategy(registry, input, config, input.timeoutMs ?? timeoutMs),
    )
    .addNode("synthesize", async (state, config: LangGraphRunnableConfig) => {
      const tools = toolsFrom(config);
      const topology = tools.topology ? await tools.topology.topology() : undefined;
      return { candidates: synthesize(state.reports, topology?.ok ? topology.data : undefined) };
    })
    .addEdge(START, "planner")
    .addConditionalEdges(
      "planner",
      (state) =>
        state.plan.length === 0
          ? "synthesize"
          : state.plan.map((strategy) => {
              const budget = state.budgets[strategy];
              const timeout = budget && budget > 0 ? { timeoutMs: budget } : {};
              return new Send("strategy", { frame: state.frame, strategy, ...timeout });
            }),
      ["strategy", "synthesize"],
    )
    .addEdge("strategy", "synthesize")
    .addEdge("synthesize", END)
    .compile({ name: "investigate" });
}
