import { Annotation, END, type LangGraphRunnableConfig, START, StateGraph } from "@langchain/langgraph";
import type { MetricSeries } from "../../../tools/interfaces.ts";
import { faultClassOfKind, mechanismOfKind } from "../../analysis/fault-class.ts";
import { scoreSeries } from "../../analysis/robust-score.ts";
import { seriesEntity, seriesOwner } from "../../analysis/series-owner.ts";
import { metricEvidence } from "../../evidence.ts";
import { type InvestigationFrame, toolsFrom } from "../../investigate/state.ts";
import type { Hypothesis, StrategyReport } from "../../types.ts";

export const ROBUST_METRICS = "robust-metrics";

/** Scores below this (in baseline spreads, after the direction prior) are noise, not a lead. */
const MIN_LEAD_SCORE = 3;

const State = Annotation.Root({
  frame: Annotation<InvestigationFrame>,
  series: Annotation<MetricSeries[]>({ reducer: (_l, r) => r, default: () => [] }),
  checked: Annotation<string[]>({ reducer: (l, r) => l.concat(r), default: () => [] }),
  errors: Annotation<string[]>({ reducer: (l, r) => l.concat(r), default: () => [] }),
  report: Annotation<StrategyReport | undefined>({ reducer: (_l, r) => r, default: () => undefined }),
});

async function collect(state: typeof State.State, config: LangGraphRunnableConfig) {
  const tools = toolsFrom(config);
  if (!tools.metrics) return { errors: ["no metrics source configured"] };
  const kinds = await tools.metrics.kinds();
  const results = await Promise.all(
    kinds.map((kind) => tools.metrics?.querySignal(kind, state.frame.window, state.frame.stepMs)),
  );
  const series: MetricSeries[] = [];
  const errors: string[] = [];
  for (const [i, result] of results.entries()) {
    if (!result) continue;
    if (result.ok) series.push(...result.data);
    else errors.push(`${result.error.backend}: ${kinds[i]}: ${result.error.message}`);
  }
  return { series, errors, checked: [`${series.length} series of ${kinds.length} metric kinds`] };
}

/** Turn a raw robust score into a strength in [0, 1): 3 spreads ≈ 0.2, 12 ≈ 0.5, 36 ≈ 0.75. */
export function strengthOf(score: number): number {
  return score / (score + 12);
}

async function score(state: typeof State.State) {
  const { frame } = state;
  const best = new Map<string, Hypothesis>();
  let counter = 0;
  for (const s of state.series) {
    const service = seriesOwner(s);
    if (!service) continue;
    const scored = scoreSeries(s.points, frame.splitAt, s.kind);
    if (!scored || scored.score < MIN_LEAD_SCORE) continue;
    const current = best.get(service);
    if (current && current.score >= strengthOf(scored.score)) continue;
    counter += 1;
    const evidence = metricEvidence({
      id: `${ROBUST_METRICS}-${counter}`,
      series: s,
      service,
      scored,
      from: frame.window.from,
      to: frame.window.to,
    });
    best.set(service, {
      service,
      entity: seriesEntity(s),
      faultClass: faultClassOfKind(s.kind),
      mechanism: mechanismOfKind(s.kind, scored.deviation),
      score: strengthOf(scored.score),
      strategy: ROBUST_METRICS,
      evidence: [evidence],
    });
  }
  const hypotheses = [...best.values()].sort((a, b) => b.score - a.score);
  return { hypotheses };
}

/** Robust scoring of every service's metrics: median/IQR of the pre-alert baseline against the suspect window. */
export function buildRobustMetricsGraph() {
  const graph = new StateGraph(State)
    .addNode("collect", collect)
    .addNode("score", async (state: typeof State.State) => {
      const started = Date.now();
      const { hypotheses } = await score(state);
      const result: StrategyReport = {
        name: ROBUST_METRICS,
        durationMs: Date.now() - started,
        toolCalls: 0,
        checked: [...state.checked, `robust score of each series against the baseline before the alert`],
        hypotheses,
        errors: state.errors,
      };
      return { report: result };
    })
    .addEdge(START, "collect")
    .addEdge("collect", "score")
    .addEdge("score", END);
  return graph.compile({ name: ROBUST_METRICS });
}
