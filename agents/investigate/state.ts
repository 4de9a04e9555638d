import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { Annotation } from "@langchain/langgraph";
import type { InvestigationTools, TimeRange } from "../../tools/interfaces.ts";
import type { LlmClient } from "../llm/client.ts";
import type { Alert, Candidate, StrategyReport } from "../types.ts";

/** What every strategy receives: the alert and the time frame of the investigation. */
export interface InvestigationFrame {
  alert: Alert;
  /** Data window: baseline start to the investigation clock. */
  window: TimeRange;
  stepMs: number;
  /** Points before this time are the baseline; points from it on are the suspect window. */
  splitAt: number;
}

function concat<T>(left: T[], right: T[]): T[] {
  return left.concat(right);
}

export const InvestigationState = Annotation.Root({
  frame: Annotation<InvestigationFrame>,
  /** Strategy names the planner chose, in order. */
  plan: Annotation<string[]>({ reducer: (_l, r) => r, default: () => [] }),
  reports: Annotation<StrategyReport[]>({ reducer: concat, default: () => [] }),
  candidates: Annotation<Candidate[]>({ reducer: (_l, r) => r, default: () => [] }),
});
export type InvestigationStateType = typeof InvestigationState.State;

/** The input a strategy node gets through `Send`. */
export interface StrategyInput {
  frame: InvestigationFrame;
  strategy: string;
}

/** Non-serializable dependencies travel in the run config, never in checkpointed state. */
export interface InvestigationConfigurable {
  tools: InvestigationTools;
  /** This investigation's LLM client (its own token budget), when one is configured. */
  llm?: LlmClient;
  onProgress?: (event: { strategy: string; done: number; total: number }) => void;
}

export function toolsFrom(config: LangGraphRunnableConfig | undefined): InvestigationTools {
  const tools = (config?.configurable as Partial<InvestigationConfigurable> | undefined)?.tools;
  if (!tools) throw new Error("investigation tools missing from the run config");
  return tools;
}
