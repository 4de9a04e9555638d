import { Annotation } from "@langchain/langgraph";
import type { InvestigationFrame } from "../investigate/state.ts";
import type { StrategyReport } from "../types.ts";

/** A channel whose latest write wins, starting from `initial`. */
export function latest<T>(initial: () => T) {
  return Annotation<T>({ reducer: (_left, right) => right, default: initial });
}

/** A channel that collects every node's lines. */
export function appended<T>() {
  return Annotation<T[]>({ reducer: (left, right) => left.concat(right), default: () => [] });
}

/**
 * The channels every strategy subgraph shares: its frame, what it checked (reported even when it finds nothing),
 * the sources it could not read, and its final report. Strategies add their own working channels beside these.
 */
export const strategyChannels = {
  frame: Annotation<InvestigationFrame>,
  checked: appended<string>(),
  errors: appended<string>(),
  report: latest<StrategyReport | undefined>(() => undefined),
};
