import { Annotation, END, type LangGraphRunnableConfig, START, StateGraph } from "@langchain/langgraph";
import type { LogRecord } from "../../../tools/interfaces.ts";
import { serviceOfName, servicesNamedIn } from "../../analysis/evidence-refs.ts";
import { logLevelOf, splitTemplates, type TemplateShift } from "../../analysis/log-templates.ts";
import { type InvestigationFrame, toolsFrom } from "../../investigate/state.ts";
import type { Evidence, FaultClass, Hypothesis, StrategyReport } from "../../types.ts";
import { latest, strategyChannels } from "../strategy-channels.ts";

export const ERRORS_FIRST = "errors-first";

const LOG_LIMIT = 5000;
/** Substrings of error-ish lines, for the second query when the first one was cut by its limit. */
const ERROR_WORDS = ["error", "warn", "exception", "fatal", "panic", "fail", "refused", "timeout", "timed out"];
/** A template new after the split needs this many lines; a known one must spike by this ratio. */
const MIN_NEW_LINES = 2;
const MIN_SPIKE = 5;
/** A line naming a peer because it could not reach it (or got errors back from it). */
const REACH_FAILURE =
  /refused|timed? ?out|timeout|unavailable|unreachable|upstream|reset by peer|no route|dial|could not connect|connect(ion)? (error|failed)|\b50[234]\b|returned 5\d\d|status 5xx/i;
/** A failure of the service's own code. */
const OWN_FAILURE =
  /exception|panic|traceback|fatal|segfault|nullpointer|stack ?trace|undefined|invalid|cannot|unhandled/i;
/** The peer is down: nothing listens or the route is gone. */
const DOWN = /refused|unreachable|no route|reset by peer|could not connect|connect(ion)? (error|failed)|no such host/i;
/** The peer is up but slow. */
const SLOW = /timed? ?out|timeout|deadline exceeded/i;
const IPV4_PORT = /\b(\d{1,3}(?:\.\d{1,3}){3})(?::\d{1,5})?\b/g;

const State = Annotation.Root({
  ...strategyChannels,
  lines: latest<LogRecord[]>(() => []),
  known: latest<string[]>(() => []),
  /** Cluster IPs of Kubernetes Services, so `dial tcp 10.0.3.7:5432` can name its target. */
  addresses: latest<Record<string, string>>(() => ({})),
});
type S = typeof State.State;

async function collect(state: S, config: LangGraphRunnableConfig) {
  const tools = toolsFrom(config);
  if (!tools.logs) return { checked: ["logs: no source configured, no error logs to read"] };
  const { frame } = state;
  const errors: string[] = [];
  const checked: string[] = [];
  const first = await tools.logs.queryLogs({ range: frame.window, limit: LOG_LIMIT });
  if (!first.ok) return { errors: [`logs: ${first.error.kind}: ${first.error.message}`] };
  let lines = first.data;
  checked.push(`logs: ${first.data.length} lines of every service${first.truncated ? " (cut at the limit)" : ""}`);
  if (first.truncated) {
    // The newest lines won the cut; the error lines of the whole window matter more than the chatter.
    const second = await tools.logs.queryLogs({ range: frame.window, contains: ERROR_WORDS, limit: LOG_LIMIT });
    if (second.ok) {
      const seen = new Set(lines.map((l) => `${l.t}|${l.service}|${l.line}`));
      lines = lines.concat(second.data.filter((l) => !seen.has(`${l.t}|${l.service}|${l.line}`)));
      checked.push(
        `logs: ${second.data.length} error/warn/failure lines${second.truncated ? " (cut at the limit)" : ""}`,
      );
    } else errors.push(`logs (errors only): ${second.error.kind}: ${second.error.message}`);
  }
  const known = new Set<string>();
  const services = await tools.logs.services(frame.window);
  if (services.ok) for (const s of services.data) known.add(s);
  for (const l of lines) if (l.service) known.add(l.service);
  if (tools.topology) {
    const topology = await tools.topology.topology();
    if (topology.ok) for (const n of topology.data.nodes) if (n.kind === "service") known.add(n.id);
  }
  const addresses: Record<string, string> = {};
  if (tools.cluster) {
    const namespace = frame.alert.labels.namespace;
    const result = await tools.cluster.list("services", namespace ? { namespace } : {});
    if (result.ok) {
      for (const svc of result.data) {
        const ip = (svc.spec as { clusterIP?: string } | undefined)?.clusterIP;
        if (ip && ip !== "None") addresses[ip] = svc.metadata.name;
      }
    }
  }
  return { lines, known: [...known].sort(), addresses, errors, checked };
}

function isErrorish(l: LogRecord): boolean {
  const level = logLevelOf(l.line, l.labels);
  if (level) return level === "error" || level === "warn";
  return ERROR_WORDS.some((w) => l.line.toLowerCase().includes(w));
}

/** Known services a template names: by name, or by the cluster IP of their Kubernetes Service. */
export function namedTargets(
  text: string,
  self: string,
  known: Iterable<string>,
  addresses: Record<string, string> = {},
): string[] {
  const knownList = [...known];
  const named = new Set(servicesNamedIn(text, knownList));
  for (const m of text.matchAll(IPV4_PORT)) {
    const name = addresses[m[1]];
    const service = name ? (knownList.includes(name) ? name : serviceOfName(name, knownList)) : undefined;
    if (service) named.add(service);
  }
  named.delete(self);
  return [...named].sort();
}

interface Suspect {
  service: string;
  shift: TemplateShift;
  first: number;
  record?: LogRecord;
  names: string[];
  reachFailure: boolean;
  down: boolean;
  slow: boolean;
  ownFailure: boolean;
}

function suspectsOf(state: S): { suspects: Suspect[]; services: number } {
  const { frame } = state;
  const byService = new Map<string, LogRecord[]>();
  for (const l of state.lines) {
    const service = l.service ?? l.labels.service;
    if (!service || !isErrorish(l)) continue;
    const list = byService.get(service) ?? [];
    list.push(l);
    byService.set(service, list);
  }
  const suspects: Suspect[] = [];
  for (const [service, lines] of byService) {
    lines.sort((a, b) => a.t - b.t);
    // Mined per service: one service's template must not hide another's first occurrence.
    const shifts = splitTemplates(
      lines.map((l) => ({ t: l.t, line: l.line, service })),
      frame.splitAt,
      { range: frame.window },
    );
    for (const shift of shifts) {
      const rising =
        (shift.isNew && shift.after >= MIN_NEW_LINES) ||
        (shift.spikeRatio >= MIN_SPIKE && shift.after >= MIN_NEW_LINES * 2);
      if (!rising || shift.firstSeenAfter === undefined) continue;
      const record = lines.find((l) => l.t === shift.firstSeenAfter);
      const text = [shift.template, ...shift.examples, record?.line ?? ""].join("\n");
      suspects.push({
        service,
        shift,
        first: shift.firstSeenAfter,
        record,
        names: namedTargets(text, service, state.known, state.addresses),
        reachFailure: REACH_FAILURE.test(text),
        down: DOWN.test(text),
        slow: SLOW.test(text),
        ownFailure: OWN_FAILURE.test(text),
      });
    }
  }
  return { suspects, services: byService.size };
}

interface Tally {
  own: Suspect[];
  namedBy: Map<string, Suspect[]>;
  /** This service's lines blame someone else: it is likely a victim. */
  blames: number;
}

function tally(suspects: Suspect[]): Map<string, Tally> {
  const out = new Map<string, Tally>();
  const get = (service: string) => {
    let t = out.get(service);
    if (!t) {
      t = { own: [], namedBy: new Map(), blames: 0 };
      out.set(service, t);
    }
    return t;
  };
  for (const s of suspects) {
    if (s.names.length === 0) {
      get(s.service).own.push(s);
      continue;
    }
    get(s.service).blames += 1;
    for (const target of s.names) {
      const t = get(target);
      const list = t.namedBy.get(s.service) ?? [];
      list.push(s);
      t.namedBy.set(s.service, list);
    }
  }
  return out;
}

function describe(s: Suspect): string {
  const counts = `${s.shift.before} before, ${s.shift.after} after the split`;
  const names = s.names.length ? `; names ${s.names.join(", ")}` : "";
  return `${s.service} log "${s.shift.template}" ${s.shift.isNew ? "new" : `×${s.shift.spikeRatio.toFixed(1)}`} (${counts}; first at ${new Date(s.first).toISOString()}${names})`;
}

/**
 * Score each service: its own new errors (stronger when it was the first to fail), and other services' errors that
 * name it. Volume does not count: a victim repeats its upstream's failure thousands of times.
 */
export function rankServices(suspects: Suspect[], frame: InvestigationFrame): Hypothesis[] {
  if (suspects.length === 0) return [];
  const earliest = Math.min(...suspects.map((s) => s.first));
  const hypotheses: Hypothesis[] = [];
  let counter = 0;
  for (const [service, t] of tally(suspects)) {
    const ownFirst = t.own.length ? Math.min(...t.own.map((s) => s.first)) : undefined;
    const firstToFail = ownFirst !== undefined && ownFirst <= earliest + frame.stepMs;
    let own = 0;
    if (t.own.length) own = firstToFail ? 0.55 : 0.3;
    // A service whose own lines mostly blame others is repeating a dependency's failure.
    if (t.blames > t.own.length) own *= 0.5;
    const namers = t.namedBy.size;
    // Being named says where the trouble shows, not what it is: kept below direct evidence of a mechanism.
    const named = namers === 0 ? 0 : Math.min(0.55, 0.35 + 0.1 * (namers - 1));
    const score = Math.min(0.9, 1 - (1 - own) * (1 - named));
    if (score < 0.2) continue;
    const ownCode = t.own.some((s) => s.ownFailure);
    const pointing = [...t.namedBy.values()].flat();
    // Callers that time out say the service is slow; callers refused say it is down (a dependency outage).
    const slowOnly = pointing.some((s) => s.slow) && !pointing.some((s) => s.down);
    const faultClass: FaultClass = ownCode || namers === 0 ? "code_error" : slowOnly ? "network_delay" : "dependency";
    const pointers = [...t.namedBy.values()].map((list) => list.sort((a, b) => a.first - b.first)[0]);
    const cited = [
      ...t.own.sort((a, b) => a.first - b.first).slice(0, 2),
      ...pointers.sort((a, b) => a.first - b.first).slice(0, 2),
    ];
    const evidence: Evidence[] = [];
    for (const s of cited.slice(0, 3)) {
      if (!s.record) continue;
      counter += 1;
      evidence.push({
        id: `${ERRORS_FIRST}-${counter}`,
        type: "log",
        ref: s.record.ref,
        from: s.first,
        to: frame.window.to,
        summary: describe(s),
        service,
      });
    }
    const mechanism =
      faultClass === "network_delay"
        ? `timing out for ${namers} caller${namers === 1 ? "" : "s"} (${[...t.namedBy.keys()].join(", ")})`
        : faultClass === "dependency"
          ? `unreachable or failing for ${namers} caller${namers === 1 ? "" : "s"} (${[...t.namedBy.keys()].join(", ")})`
          : `new errors in its own logs${firstToFail ? ", the first service to fail" : ""}`;
    hypotheses.push({ service, faultClass, mechanism, score, strategy: ERRORS_FIRST, evidence });
  }
  return hypotheses.sort((a, b) => b.score - a.score || a.service.localeCompare(b.service));
}

function analyse(state: S) {
  const started = Date.now();
  const { suspects, services } = suspectsOf(state);
  const hypotheses = rankServices(suspects, state.frame);
  const naming = suspects.filter((s) => s.names.length > 0).length;
  const report: StrategyReport = {
    name: ERRORS_FIRST,
    durationMs: Date.now() - started,
    toolCalls: 0,
    checked: [
      ...state.checked,
      state.lines.length
        ? `error/warn templates of ${services} services against the baseline: ${suspects.length} new or spiking, ${naming} naming another known service`
        : "no log lines in the window",
      ...suspects
        .sort((a, b) => a.first - b.first)
        .slice(0, 3)
        .map((s) => `earliest: ${describe(s)}`),
    ],
    hypotheses,
    errors: state.errors,
  };
  return { report };
}

/**
 * errors-first: mine every service's error and warning lines into templates, keep the ones new or spiking after the
 * split, and rank services by who failed first and by whom the others' errors name ("connection refused to
 * postgres:5432" points at postgres), not by volume: victims log louder than their cause.
 */
export function buildErrorsFirstGraph() {
  return new StateGraph(State)
    .addNode("collect", collect)
    .addNode("analyse", analyse)
    .addEdge(START, "collect")
    .addEdge("collect", "analyse")
    .addEdge("analyse", END)
    .compile({ name: ERRORS_FIRST });
}
