import { Annotation, END, type LangGraphRunnableConfig, START, StateGraph } from "@langchain/langgraph";
import type { ChangeEvent, ClusterKind, K8sObject, MetricSeries } from "../../../tools/interfaces.ts";
import { groupBy } from "../../analysis/group-by.ts";
import { type K8sSnapshot, runK8sAnalyzers } from "../../analysis/k8s-analyzers.ts";
import { type InvestigationFrame, toolsFrom } from "../../investigate/state.ts";
import type { Evidence, Hypothesis, StrategyReport } from "../../types.ts";
import { latest, strategyChannels } from "../strategy-channels.ts";
import { findingLeads, type Lead, type LeadContext, nodeLeads, noisyNeighbourLeads } from "./findings.ts";

export const KUBERNETES_HEALTH = "kubernetes-health";

/** Weights of a service's strongest, second and third lead in its combined score. */
const CORROBORATION_WEIGHTS = [1, 0.5, 0.25];
/** A Kubernetes finding is direct evidence, but never certainty. */
const MAX_SCORE = 0.95;
/** Leads weaker than this are reported as checked, not as hypotheses. */
const MIN_LEAD = 0.1;
/** How far back a termination, restart or event counts as recent, at least. */
const MIN_ANALYZER_WINDOW_MS = 60 * 60_000;

const LISTS: Array<[keyof K8sSnapshot, ClusterKind]> = [
  ["pods", "pods"],
  ["events", "events"],
  ["deployments", "deployments"],
  ["replicasets", "replicasets"],
  ["statefulsets", "statefulsets"],
  ["nodes", "nodes"],
  ["hpas", "horizontalpodautoscalers"],
];

const State = Annotation.Root({
  ...strategyChannels,
  snapshot: latest<K8sSnapshot | undefined>(() => undefined),
  series: latest<MetricSeries[]>(() => []),
  changes: latest<ChangeEvent[]>(() => []),
});
type S = typeof State.State;

async function collect(state: S, config: LangGraphRunnableConfig) {
  const tools = toolsFrom(config);
  if (!tools.cluster) return { checked: ["kubernetes: no cluster source configured, nothing to check"] };
  const { cluster } = tools;
  const namespace = state.frame.alert.labels.namespace;
  const options = namespace ? { namespace } : {};
  const results = await Promise.all(LISTS.map(([, kind]) => cluster.list(kind, options)));
  const snapshot: K8sSnapshot = {};
  const errors: string[] = [];
  const counts: string[] = [];
  for (const [i, result] of results.entries()) {
    const [key, kind] = LISTS[i];
    if (!result.ok) {
      errors.push(`kubernetes ${kind}: ${result.error.kind}: ${result.error.message}`);
      continue;
    }
    (snapshot as Record<string, K8sObject[]>)[key] = result.data;
    counts.push(`${result.data.length} ${kind}${result.truncated ? " (truncated)" : ""}`);
  }
  const checked = [
    `kubernetes (${namespace ? `namespace ${namespace}` : "all namespaces"}): listed ${counts.join(", ")}`,
  ];
  // Metrics are optional: they tell which pod drives a node's pressure, and whether traffic explains it.
  let series: MetricSeries[] = [];
  if (tools.metrics) {
    const kinds = new Set(await tools.metrics.kinds());
    for (const kind of ["cpu", "mem", "request_rate"] as const) {
      if (!kinds.has(kind)) continue;
      const result = await tools.metrics.querySignal(kind, state.frame.window, state.frame.stepMs);
      if (result.ok) series = series.concat(result.data);
      else errors.push(`metrics ${kind}: ${result.error.kind}: ${result.error.message}`);
    }
  }
  // Changes are optional too: a config change explains a crash loop better than a code bug.
  let changes: ChangeEvent[] = [];
  if (tools.changes) {
    const result = await tools.changes.listChanges(state.frame.window);
    if (result.ok) changes = result.data;
    else errors.push(`changes: ${result.error.kind}: ${result.error.message}`);
  }
  return { snapshot, series, changes, errors, checked };
}

function knownServices(snapshot: K8sSnapshot, series: MetricSeries[]): Set<string> {
  const known = new Set<string>();
  for (const s of series) if (s.labels.service) known.add(s.labels.service);
  for (const w of [...(snapshot.deployments ?? []), ...(snapshot.statefulsets ?? [])]) known.add(w.metadata.name);
  return known;
}

/** Combine the leads of each service: the strongest names the fault class, the next ones corroborate. */
export function combineLeads(leads: Lead[], frame: InvestigationFrame): Hypothesis[] {
  const byService = groupBy(
    leads.filter((lead) => lead.weight >= MIN_LEAD),
    (lead) => lead.service,
  );
  const hypotheses: Hypothesis[] = [];
  let counter = 0;
  for (const [service, list] of byService) {
    list.sort((a, b) => b.weight - a.weight || (a.since ?? 0) - (b.since ?? 0));
    // The same object often yields several findings (crash loop and restarts): count each reference once.
    const distinct = list.filter((l, i) => list.findIndex((o) => o.ref === l.ref && o.mechanism === l.mechanism) === i);
    const miss = distinct
      .slice(0, CORROBORATION_WEIGHTS.length)
      .reduce((acc, l, i) => acc * (1 - CORROBORATION_WEIGHTS[i] * l.weight), 1);
    const top = distinct[0];
    const evidence: Evidence[] = distinct.slice(0, 3).map((l) => {
      counter += 1;
      return {
        id: `${KUBERNETES_HEALTH}-${counter}`,
        type: l.refType ?? "k8s",
        ref: l.ref,
        from: l.since ?? frame.window.from,
        to: frame.window.to,
        summary: l.summary,
        service,
      };
    });
    const crowds = [...new Set(distinct.flatMap((l) => l.crowds ?? []))];
    hypotheses.push({
      service,
      entity: top.entity,
      faultClass: top.faultClass,
      mechanism: top.mechanism,
      score: Math.min(MAX_SCORE, 1 - miss),
      strategy: KUBERNETES_HEALTH,
      evidence,
      explains: true,
      ...(crowds.length > 0 ? { crowds } : {}),
    });
  }
  return hypotheses.sort((a, b) => b.score - a.score || a.service.localeCompare(b.service));
}

function analyse(state: S, config: LangGraphRunnableConfig) {
  const started = Date.now();
  const tools = toolsFrom(config);
  const { frame, snapshot } = state;
  const report = (hypotheses: Hypothesis[], checked: string[]): { report: StrategyReport } => ({
    report: {
      name: KUBERNETES_HEALTH,
      durationMs: Date.now() - started,
      toolCalls: 0,
      checked: [...state.checked, ...checked],
      hypotheses,
      errors: state.errors,
    },
  });
  if (!snapshot) return report([], []);
  const findings = runK8sAnalyzers(snapshot, {
    now: tools.now,
    windowMs: Math.max(MIN_ANALYZER_WINDOW_MS, tools.now - frame.window.from),
  });
  const ctx: LeadContext = {
    splitAt: frame.splitAt,
    windowFrom: frame.window.from,
    stepMs: frame.stepMs,
    pods: snapshot.pods ?? [],
    replicasets: snapshot.replicasets ?? [],
    events: snapshot.events ?? [],
    changes: state.changes,
    known: knownServices(snapshot, state.series),
  };
  const noisy = state.series.length
    ? noisyNeighbourLeads(state.series, ctx)
    : { leads: [], checked: ["noisy neighbour: no CPU metrics to check"] };
  const leads = [...findingLeads(findings, ctx), ...nodeLeads(findings, state.series, ctx), ...noisy.leads];
  const hypotheses = combineLeads(leads, frame);
  const critical = findings.filter((f) => f.severity === "critical").length;
  const byAnalyzer = new Map<string, number>();
  for (const f of findings) byAnalyzer.set(f.analyzer, (byAnalyzer.get(f.analyzer) ?? 0) + 1);
  const analyzers = [...byAnalyzer].map(([a, n]) => `${a} ×${n}`).join(", ");
  return report(hypotheses, [
    `analyzers (crash loops, OOM kills, image pulls, scheduling, probes, nodes, replicas, HPAs, evictions, restarts): ${findings.length} findings, ${critical} critical${analyzers ? ` (${analyzers})` : ""}`,
    ...noisy.checked,
    `${hypotheses.length} services implicated by cluster state`,
  ]);
}

/**
 * kubernetes-health: list the workloads, pods, events, nodes and autoscalers, run the k8sgpt-style analyzers and
 * turn what is visibly broken into per-service hypotheses, weighted by severity and by whether the condition began
 * around this incident rather than long before it. Node CPU metrics, when present, expose a noisy neighbour.
 */
export function buildKubernetesHealthGraph() {
  return new StateGraph(State)
    .addNode("collect", collect)
    .addNode("analyse", analyse)
    .addEdge(START, "collect")
    .addEdge("collect", "analyse")
    .addEdge("analyse", END)
    .compile({ name: KUBERNETES_HEALTH });
}
