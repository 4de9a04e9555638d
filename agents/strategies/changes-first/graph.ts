import { Annotation, END, type LangGraphRunnableConfig, START, StateGraph } from "@langchain/langgraph";
import type { ChangeEvent, InvestigationTools, LogRecord, MetricSeries } from "../../../tools/interfaces.ts";
import { k8sObjectRef, serviceOfName } from "../../analysis/evidence-refs.ts";
import { logLevelOf, splitTemplates } from "../../analysis/log-templates.ts";
import { minBaselinePoints, scoreSeries } from "../../analysis/robust-score.ts";
import { finite, iqr, median } from "../../analysis/robust-stats.ts";
import { seriesOwner } from "../../analysis/series-owner.ts";
import { roleWeight } from "../../analysis/signal-role.ts";
import { metricEvidence } from "../../evidence.ts";
import { type InvestigationFrame, toolsFrom } from "../../investigate/state.ts";
import type { Evidence, Hypothesis, StrategyReport } from "../../types.ts";
import { latest, strategyChannels } from "../strategy-channels.ts";
import { classifyChange } from "./classify.ts";

export const CHANGES_FIRST = "changes-first";

/** Robust score (baseline spreads, role-weighted) that counts as the component's own anomaly. */
const MIN_ANOMALY = 4;
/** Strength of a change followed first by its own component's anomaly; of one whose component moved only later. */
const FIRST_SCORE = 0.85;
const LATER_SCORE = 0.3;
/** Error-ish words for the log query when the log source cannot filter by level. */
const ERROR_WORDS = ["error", "exception", "fatal", "panic", "fail", "refused", "timeout", "timed out"];
const LOG_LIMIT = 5000;

const State = Annotation.Root({
  ...strategyChannels,
  changes: latest<ChangeEvent[]>(() => []),
  series: latest<MetricSeries[]>(() => []),
  logs: latest<LogRecord[]>(() => []),
});
type S = typeof State.State;

/** How far before the onset a change still counts as a suspect. */
export function changeLookbackMs(stepMs: number): number {
  return Math.max(30 * 60_000, 6 * stepMs);
}

/** Without a changes source, ReplicaSets created in the window are the Deployments' rollouts. */
async function replicaSetChanges(tools: InvestigationTools, frame: InvestigationFrame) {
  const cluster = tools.cluster;
  if (!cluster)
    return { changes: [], errors: [], checked: ["changes: no changes source and no cluster to read rollouts from"] };
  const namespace = frame.alert.labels.namespace;
  const result = await cluster.list("replicasets", namespace ? { namespace } : {});
  if (!result.ok)
    return {
      changes: [],
      errors: [`kubernetes replicasets: ${result.error.kind}: ${result.error.message}`],
      checked: [],
    };
  const changes: ChangeEvent[] = [];
  for (const rs of result.data) {
    const t = Date.parse(rs.metadata.creationTimestamp ?? "");
    const owner = rs.metadata.ownerReferences?.find((o) => o.kind === "Deployment");
    if (!owner || !Number.isFinite(t) || t < frame.window.from || t > frame.window.to) continue;
    const revision = rs.metadata.annotations?.["deployment.kubernetes.io/revision"];
    const entity = { kind: "Deployment", namespace: rs.metadata.namespace, name: owner.name };
    changes.push({
      t,
      entity,
      type: "rollout",
      description: `new ReplicaSet ${rs.metadata.name}${revision ? ` (revision ${revision})` : ""}`,
      service: owner.name,
      source: "kubernetes",
      ref: k8sObjectRef({ kind: "ReplicaSet", namespace: rs.metadata.namespace, name: rs.metadata.name }),
    });
  }
  return { changes, errors: [], checked: [`changes: no changes source; ${changes.length} rollouts from ReplicaSets`] };
}

async function collect(state: S, config: LangGraphRunnableConfig) {
  const tools = toolsFrom(config);
  const { frame } = state;
  const errors: string[] = [];
  const checked: string[] = [];
  let changes: ChangeEvent[] = [];
  if (tools.changes) {
    const result = await tools.changes.listChanges(frame.window);
    if (result.ok) changes = result.data;
    else errors.push(`changes: ${result.error.kind}: ${result.error.message}`);
  } else {
    const fallback = await replicaSetChanges(tools, frame);
    changes = fallback.changes;
    errors.push(...fallback.errors);
    checked.push(...fallback.checked);
  }
  if (changes.length === 0) return { changes, errors, checked: [...checked, "changes: none in the window"] };
  const series: MetricSeries[] = [];
  if (tools.metrics) {
    const kinds = await tools.metrics.kinds();
    const results = await Promise.all(kinds.map((k) => tools.metrics?.querySignal(k, frame.window, frame.stepMs)));
    for (const [i, result] of results.entries()) {
      if (!result) continue;
      if (result.ok) series.push(...result.data);
      else errors.push(`metrics ${kinds[i]}: ${result.error.kind}: ${result.error.message}`);
    }
  } else checked.push("metrics: no source, components checked by their logs only");
  let logs: LogRecord[] = [];
  if (tools.logs) {
    const result = await tools.logs.queryLogs({ range: frame.window, contains: ERROR_WORDS, limit: LOG_LIMIT });
    if (result.ok) logs = result.data;
    else errors.push(`logs: ${result.error.kind}: ${result.error.message}`);
  } else checked.push("logs: no source, components checked by their metrics only");
  return { changes, series, logs, errors, checked };
}

interface ComponentCheck {
  /** Strongest role-weighted robust score of the component's series after the change. */
  metricScore: number;
  best?: { series: MetricSeries; scored: NonNullable<ReturnType<typeof scoreSeries>> };
  /** Error templates new after the change in the component's own logs. */
  newErrors: Array<{ template: string; before: number; after: number; first?: number; ref?: string }>;
}

/** Baseline end for a change: the change itself when enough points precede it, else the frame's split. */
function baselineEnd(points: Array<[number, number | null]>, at: number, fallback: number, minPoints: number): number {
  return points.filter(([t]) => t < at).length >= minPoints ? at : fallback;
}

function checkComponent(service: string, since: number, state: S): ComponentCheck {
  const { frame } = state;
  const check: ComponentCheck = { metricScore: 0, newErrors: [] };
  const minBaseline = minBaselinePoints(frame);
  for (const s of state.series) {
    if (seriesOwner(s) !== service) continue;
    const split = baselineEnd(s.points, since, frame.splitAt, minBaseline);
    const scored = scoreSeries(s.points, split, s.kind, { minBaseline });
    if (!scored) continue;
    const weighted = scored.score * roleWeight(s);
    if (weighted < MIN_ANOMALY) continue;
    if (weighted > check.metricScore) {
      check.metricScore = weighted;
      check.best = { series: s, scored };
    }
  }
  const lines = state.logs.filter((l) => (l.service ?? l.labels.service) === service);
  check.newErrors = newErrorTemplates(service, lines, since, frame);
  return check;
}

/** Share of the points from the onset to now that must stay outside the band: an incident persists, a blip does not. */
const PERSISTENCE = 0.6;

/**
 * The first time from `split` on at which a series leaves its baseline band (median ± 4 spreads) for good: from there
 * to the investigation clock most points stay outside. Among a hundred series single noisy points beyond the band are
 * common; an incident's anomaly persists until the alert is investigated.
 */
export function sustainedOnset(points: Array<[number, number | null]>, split: number): number | undefined {
  const baseline = finite(points.filter(([t]) => t < split).map(([, v]) => v));
  if (baseline.length < 3) return undefined;
  const center = median(baseline);
  const after = points.filter(([t, v]) => t >= split && typeof v === "number") as Array<[number, number]>;
  // A short baseline can have a tiny spread; a tenth of the series' largest value keeps jitter near zero (a throttling
  // ratio moving between 0.001 and 0.008) from dating an onset, while a real step still clears it.
  const largest = Math.max(...baseline.map(Math.abs), ...after.map(([, v]) => Math.abs(v)));
  const spread = Math.max(iqr(baseline), Math.abs(center) * 0.05, largest * 0.1, 1e-9);
  const out = after.map(([, v]) => Math.abs(v - center) / spread >= MIN_ANOMALY);
  let outside = out.filter(Boolean).length;
  for (let i = 0; i < after.length; i++) {
    if (out[i] && outside / (after.length - i) >= PERSISTENCE) return after[i][0];
    if (out[i]) outside -= 1;
  }
  return undefined;
}

/**
 * When each service first moved, all measured from the same baseline end: its earliest robust excursion, or the first
 * line of an error template that is new after `from`.
 */
function serviceOnsets(state: S, from: number): Map<string, number> {
  const onsets = new Map<string, number>();
  const note = (service: string, t: number | undefined) => {
    if (t === undefined) return;
    const prev = onsets.get(service);
    if (prev === undefined || t < prev) onsets.set(service, t);
  };
  const withMetrics = new Set<string>();
  const minBaseline = minBaselinePoints(state.frame);
  for (const s of state.series) {
    const service = seriesOwner(s);
    if (!service) continue;
    withMetrics.add(service);
    const split = baselineEnd(s.points, from, state.frame.splitAt, minBaseline);
    const scored = scoreSeries(s.points, split, s.kind, { minBaseline });
    if (!scored || scored.score * roleWeight(s) < MIN_ANOMALY) continue;
    note(service, sustainedOnset(s.points, split));
  }
  const byService = new Map<string, LogRecord[]>();
  for (const l of state.logs) {
    const service = l.service ?? l.labels.service;
    if (!service) continue;
    const list = byService.get(service) ?? [];
    list.push(l);
    byService.set(service, list);
  }
  // Error logs date an onset only for services without metrics: sporadic error lines are too common for timing.
  for (const [service, lines] of byService) {
    if (withMetrics.has(service)) continue;
    for (const e of newErrorTemplates(service, lines, from, state.frame)) note(service, e.first);
  }
  return onsets;
}

function newErrorTemplates(service: string, lines: LogRecord[], since: number, frame: InvestigationFrame) {
  const errorLines = lines.filter((l) => {
    const level = logLevelOf(l.line, l.labels);
    return level === "error" || level === "warn";
  });
  const shifts = splitTemplates(
    errorLines.map((l) => ({ t: l.t, line: l.line, service })),
    since,
    { range: frame.window },
  );
  const out: ComponentCheck["newErrors"] = [];
  for (const shift of shifts) {
    if (!shift.isNew || shift.after < 2) continue;
    const first = errorLines.find((l) => l.t === shift.firstSeenAfter);
    out.push({
      template: shift.template,
      before: shift.before,
      after: shift.after,
      first: shift.firstSeenAfter,
      ref: first?.ref,
    });
  }
  return out;
}

function analyse(state: S) {
  const started = Date.now();
  const { frame } = state;
  const lookback = changeLookbackMs(frame.stepMs);
  // Suspects: changes shortly before the onset (an alert fires a step or so after its symptom began).
  const suspects = state.changes
    .filter((c) => c.t >= frame.splitAt - lookback && c.t <= frame.splitAt + frame.stepMs)
    .sort((a, b) => a.t - b.t);
  const checked = [
    `${state.changes.length} changes in the window, ${suspects.length} within ${Math.round(lookback / 60_000)} min before the onset`,
  ];
  const known = new Set<string>();
  for (const s of state.series) {
    const owner = seriesOwner(s);
    if (owner) known.add(owner);
  }
  for (const l of state.logs) if (l.service) known.add(l.service);
  const earliestSuspect = suspects[0]?.t ?? frame.splitAt;
  const onsets = serviceOnsets(state, earliestSuspect);
  const earliestOnset = Math.min(...onsets.values());
  const leaders = [...onsets].filter(([, t]) => t === earliestOnset).map(([service]) => service);
  checked.push(
    leaders.length
      ? `first anomaly after ${new Date(earliestSuspect).toISOString()}: ${leaders.join(", ")} at ${new Date(earliestOnset).toISOString()}`
      : "no service moved beyond its baseline after the changes",
  );
  const hypotheses: Hypothesis[] = [];
  let counter = 0;
  for (const change of suspects) {
    const named = change.service ?? change.entity.name;
    const service = known.has(named) ? named : (serviceOfName(change.entity.name, known) ?? named);
    const kind = classifyChange(change);
    const check = checkComponent(service, change.t, state);
    const ownOnset = onsets.get(service) ?? Number.POSITIVE_INFINITY;
    const anomalous = check.metricScore > 0 || check.newErrors.length > 0;
    const label = `${change.entity.kind} ${change.entity.name} (${change.type}: ${change.description})`;
    if (!anomalous) {
      checked.push(`${label}: ruled out, ${service} shows no anomaly of its own after it`);
      continue;
    }
    // Victims move too, a step or more later: the culprit's component is among the first to move.
    const first = Number.isFinite(ownOnset) && ownOnset <= earliestOnset;
    // Being first singles a component out only as far as it moved first alone: tied with five others, it says little.
    const firstScore = LATER_SCORE + (FIRST_SCORE - LATER_SCORE) / Math.max(1, leaders.length);
    const score = (first ? firstScore : LATER_SCORE) * kind.prior;
    checked.push(
      `${label}: ${service} ${first ? "shows the first anomaly" : "moved, but after other services"} (metric score ${check.metricScore.toFixed(1)}, ${check.newErrors.length} new error templates)`,
    );
    counter += 1;
    const evidence: Evidence[] = [
      {
        id: `${CHANGES_FIRST}-${counter}`,
        type: "change",
        ref: change.ref,
        from: change.t,
        to: change.t,
        summary: `${label} at ${new Date(change.t).toISOString()}`,
        service,
      },
    ];
    if (check.best) {
      counter += 1;
      evidence.push(
        metricEvidence({
          id: `${CHANGES_FIRST}-${counter}`,
          series: check.best.series,
          service,
          scored: check.best.scored,
          from: frame.window.from,
          to: frame.window.to,
        }),
      );
    }
    const topError = check.newErrors[0];
    if (topError?.ref) {
      counter += 1;
      evidence.push({
        id: `${CHANGES_FIRST}-${counter}`,
        type: "log",
        ref: topError.ref,
        from: change.t,
        to: frame.window.to,
        summary: `new after the change in ${service}: "${topError.template}" (${topError.before} before, ${topError.after} after)`,
        service,
      });
    }
    hypotheses.push({
      service,
      entity: change.entity.name,
      faultClass: kind.faultClass,
      mechanism: kind.mechanism,
      score,
      strategy: CHANGES_FIRST,
      evidence,
      explains: true,
    });
  }
  // One hypothesis per service: its most damning change.
  const best = new Map<string, Hypothesis>();
  for (const h of hypotheses) if ((best.get(h.service)?.score ?? -1) < h.score) best.set(h.service, h);
  const ranked = [...best.values()].sort((a, b) => b.score - a.score || a.service.localeCompare(b.service));
  const report: StrategyReport = {
    name: CHANGES_FIRST,
    durationMs: Date.now() - started,
    toolCalls: 0,
    checked: [...state.checked, ...checked],
    hypotheses: ranked,
    errors: state.errors,
  };
  return { report };
}

/**
 * changes-first: list the deploys, config edits and scaling events shortly before the onset, and for each ask
 * whether the changed component itself shows the first anomaly (its metrics' robust score after the change, new
 * error templates in its own logs). A change followed by its own component's anomaly is a strong lead; a change on
 * a component that stayed healthy is ruled out, so benign changes on victims do not take the blame.
 */
export function buildChangesFirstGraph() {
  return new StateGraph(State)
    .addNode("collect", collect)
    .addNode("analyse", analyse)
    .addEdge(START, "collect")
    .addEdge("collect", "analyse")
    .addEdge("analyse", END)
    .compile({ name: CHANGES_FIRST });
}
