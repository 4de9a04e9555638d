/**
 * From a confirmed investigation to a learned pattern: which detectors fired where (typed, generalized), the
 * root-cause class, the strategy and checks that found it, and a templated description. Every free-form string goes
 * through the anonymizer and is then verified: a pattern with anything identifying left is refused, not stored.
 *
 * @example
 * const draft = proposePattern(result, { service: "postgres", faultClass: "dependency" }, { anonymizer, topology });
 * await patterns.propose(draft);
 */
import type { Alert, Candidate, Evidence, FaultClass, InvestigationResult } from "../agents/types.ts";
import type { MetricKind, Topology } from "../tools/interfaces.ts";
import { type Anonymizer, type DetectorHit, detectDeep } from "./anonymizer.ts";
import {
  type AlertClass,
  type AlertSignature,
  type PatternContent,
  patternContentSchema,
  type Signal,
  type SymptomFeature,
  type Where,
} from "./pattern-schema.ts";

export interface ConfirmedCause {
  service: string;
  faultClass?: FaultClass;
}

export interface ProposePatternOptions {
  anonymizer: Anonymizer;
  /** The tenant's call graph, when known: tells a callee from an unrelated neighbour. */
  topology?: Topology;
}

/** A pattern that would leak: the hits say what and where. */
export class PatternLeakError extends Error {
  readonly hits: Array<DetectorHit & { in: string }>;
  constructor(context: string, hits: Array<DetectorHit & { in: string }>) {
    const listed = hits.map((h) => `${h.kind} "${h.value}" in "${h.in}"`).join("; ");
    super(`${context}: identifying content remains (${hits.length}): ${listed}`);
    this.name = "PatternLeakError";
    this.hits = hits;
  }
}

/** Labels that vary per instance and never define what kind of alert it is (same set as src/intake/alert-class). */
const INSTANCE_LABELS = new Set(["instance", "pod", "pod_name", "container_id", "endpoint", "uid", "__name__"]);

/** Alert name and label keys: what patterns are matched on. */
export function alertSignatureOf(alert: Pick<Alert, "alertname" | "labels">): AlertSignature {
  const labelKeys = Object.keys(alert.labels)
    .filter((k) => k !== "alertname" && !INSTANCE_LABELS.has(k))
    .sort();
  return { alertname: alert.alertname, labelKeys };
}

const SIGNAL_OF_KIND: Record<MetricKind, Signal> = {
  cpu: "cpu",
  cpu_throttle: "cpu-throttle",
  mem: "mem",
  disk_io: "disk",
  disk_usage: "disk",
  net_rx: "network",
  net_tx: "network",
  net_drop: "packet-loss",
  socket: "socket",
  latency_p50: "latency",
  latency_p90: "latency",
  latency_p99: "latency",
  latency_avg: "latency",
  error_rate: "errors",
  // Success falling is errors rising: one signal, so patterns from either metric match each other.
  success_rate: "errors",
  request_rate: "traffic",
  restarts: "restarts",
  other: "other",
};

function signalOf(evidence: Evidence): { signal: Signal; direction?: "up" | "down" } {
  if (evidence.type === "log") return { signal: "error-templates" };
  if (evidence.type === "trace") return { signal: "trace-errors" };
  if (evidence.type === "k8s") return { signal: "k8s-events" };
  if (evidence.type === "change") return { signal: "recent-change" };
  const kind = evidence.kind ?? "other";
  let direction: "up" | "down" = "up";
  if (evidence.observed !== undefined && evidence.baseline !== undefined && evidence.observed < evidence.baseline) {
    direction = "down";
  }
  if (kind === "success_rate") direction = direction === "up" ? "down" : "up";
  return { signal: SIGNAL_OF_KIND[kind] ?? "other", direction };
}

/** Services reachable from `from` over call edges. */
function downstream(topology: Topology, from: string): Set<string> {
  const seen = new Set<string>();
  const queue = [from];
  while (queue.length > 0) {
    const node = queue.shift() as string;
    for (const edge of topology.edges) {
      if (edge.kind !== "calls" || edge.from !== node || seen.has(edge.to)) continue;
      seen.add(edge.to);
      queue.push(edge.to);
    }
  }
  return seen;
}

/** Where a service sits relative to the entry service. */
export function whereOf(service: string | undefined, entry: string | undefined, topology?: Topology): Where {
  if (!service) return "other";
  if (entry && service === entry) return "entry";
  // Without a call graph the confirmed cause is taken as a dependency: that is how most alerts propagate.
  if (!topology || !entry) return "callee";
  if (downstream(topology, entry).has(service)) return "callee";
  if (downstream(topology, service).has(entry)) return "caller";
  return "other";
}

function featureKey(f: SymptomFeature): string {
  return `${f.signal}|${f.where}|${f.direction ?? ""}|${f.present ?? true}`;
}

function evidenceOf(result: InvestigationResult, service: string): Evidence[] {
  const out: Evidence[] = [];
  for (const candidate of result.candidates) {
    if (candidate.service !== service) continue;
    out.push(...candidate.evidence);
  }
  return out;
}

function checkedSources(result: InvestigationResult): { logs: boolean; changes: boolean; traces: boolean } {
  const ops = result.toolCalls.map((c) => c.operation);
  return {
    logs: ops.some((op) => op.includes("log")),
    changes: ops.some((op) => op.includes("change")),
    traces: ops.some((op) => op.includes("trace")),
  };
}

/**
 * The typed symptom signature of an investigation, seen from a cause service: what fired on the entry service and
 * on the cause, plus the absences that were checked (no error templates, no recent change).
 */
export function symptomSignature(
  result: InvestigationResult,
  causeService: string | undefined,
  topology?: Topology,
): SymptomFeature[] {
  const entry = result.alert.service;
  const features = new Map<string, SymptomFeature>();
  const add = (f: SymptomFeature) => features.set(featureKey(f), f);
  const services = new Set([entry, causeService].filter((s): s is string => Boolean(s)));
  for (const service of services) {
    const where = whereOf(service, entry, topology);
    for (const evidence of evidenceOf(result, service)) {
      const { signal, direction } = signalOf(evidence);
      add(direction ? { signal, where, direction } : { signal, where, present: true });
    }
  }
  const signals = new Set([...features.values()].map((f) => f.signal));
  const checked = checkedSources(result);
  if (checked.logs && !signals.has("error-templates"))
    add({ signal: "error-templates", where: "entry", present: false });
  if (checked.changes && !signals.has("recent-change"))
    add({ signal: "recent-change", where: "entry", present: false });
  return [...features.values()].sort((a, b) => featureKey(a).localeCompare(featureKey(b)));
}

const SIGNAL_WORDS: Record<Signal, string> = {
  latency: "latency",
  errors: "errors",
  traffic: "traffic",
  cpu: "CPU",
  "cpu-throttle": "CPU throttling",
  mem: "memory",
  disk: "disk",
  network: "network traffic",
  "packet-loss": "packet loss",
  socket: "sockets",
  restarts: "restarts",
  "error-templates": "error templates",
  "trace-errors": "trace errors",
  "k8s-events": "Kubernetes warnings",
  "recent-change": "recent change",
  other: "other signal",
};

/** "entry latency up; callee CPU up; no error templates" */
export function describeSignature(signature: SymptomFeature[]): string {
  return signature
    .map((f) => {
      if (f.present === false) return `no ${SIGNAL_WORDS[f.signal]}`;
      if (f.direction) return `${f.where} ${SIGNAL_WORDS[f.signal]} ${f.direction}`;
      return `${f.where} ${SIGNAL_WORDS[f.signal]}`;
    })
    .join("; ");
}

const PSEUDONYM_WORD = /\b(svc|pod|ns|node|host|cluster|term)-[0-9a-f]{6,12}(?:-[0-9a-f]{6,12})?\b/g;
const GENERAL_NAME: Record<string, string> = {
  svc: "<service>",
  pod: "<pod>",
  ns: "<namespace>",
  node: "<node>",
  host: "<host>",
  cluster: "<cluster>",
  term: "<name>",
};

/**
 * A pattern describes a kind of incident, not one: names (already pseudonyms) become their kind, so the same
 * mechanism on two services reads the same.
 */
function generalizeNames(s: string): string {
  return s.replace(PSEUDONYM_WORD, (m, prefix: string) =>
    m.split("-").length > 2 && prefix === "svc" ? "<pod>" : (GENERAL_NAME[prefix] ?? m),
  );
}

/**
 * A check as a kind of check: its leading phrase, anonymized first (so a name is replaced whole, before its digits
 * are touched), then cut before any detail (":", "(", quotes, lists) and with counts and times dropped. What a
 * strategy looked at generalizes; what it saw in one incident (log templates, change diffs) does not.
 */
function generalizeCheck(anonymizer: Anonymizer, check: string): string {
  const anonymous = generalizeNames(anonymizer.text(check));
  const head = anonymous.split(/[:(";,]/)[0] ?? "";
  return head
    .replace(/<time>/g, "")
    .replace(/(?<![A-Za-z<-])\d+(?:\.\d+)?(?![A-Za-z>])/g, "N")
    .replace(/\s+/g, " ")
    .trim()
    .slice(0, 80);
}

function strategiesThatFound(result: InvestigationResult, candidate: Candidate | undefined, service: string): string[] {
  const out = new Set(candidate?.strategies ?? []);
  for (const s of result.strategies) if (s.topCandidate === service) out.add(s.name);
  return [...out].sort();
}

function anonymizeAlertName(anonymizer: Anonymizer, alertname: string): string {
  // Alert names are CamelCase ("AcmeCheckoutDown"), so a known name hides inside a word: look for substrings.
  const lower = alertname.toLowerCase();
  const hidden = anonymizer.knownTerms().some((t) => t.length >= 4 && lower.includes(t.toLowerCase()));
  return hidden ? anonymizer.pseudonym("term", alertname) : anonymizer.text(alertname);
}

/** Verify a pattern's content with the detectors; throws PatternLeakError listing every hit. */
export function assertAnonymous(anonymizer: Anonymizer, content: PatternContent, context = "pattern refused"): void {
  // The closed vocabularies are enums (schema-checked); every other string is checked here.
  const free = {
    alertClass: content.alertClass,
    description: content.description,
    mechanism: content.rootCause.mechanism,
    foundBy: content.foundBy,
  };
  const hits = detectDeep(anonymizer, free);
  for (const key of content.alertClass.labelKeys) {
    const lower = key.toLowerCase();
    for (const term of anonymizer.knownTerms()) {
      if (term.length >= 4 && lower.includes(term.toLowerCase())) {
        hits.push({ kind: "known-term", value: term, index: 0, in: key });
      }
    }
  }
  if (hits.length > 0) throw new PatternLeakError(context, hits);
}

/**
 * Build a generalized, anonymized pattern from a confirmed investigation. Throws PatternLeakError when the
 * verification still finds something identifying.
 */
export function proposePattern(
  result: InvestigationResult,
  cause: ConfirmedCause,
  options: ProposePatternOptions,
): PatternContent {
  const { anonymizer, topology } = options;
  const entry = result.alert.service;
  // Register every name the investigation knows before anonymizing any text, so "CPU up on checkout" loses
  // "checkout" even when the customer context never listed it.
  anonymizer.fields(result.alert.labels);
  for (const c of result.candidates) {
    anonymizer.pseudonym("service", c.service);
    if (c.entity && c.entity !== c.service) anonymizer.pseudonym("pod", c.entity);
  }
  if (entry) anonymizer.pseudonym("service", entry);
  anonymizer.pseudonym("service", cause.service);
  const candidate = result.candidates.find((c) => c.service === cause.service);
  const faultClass = cause.faultClass ?? candidate?.faultClass ?? "none";
  const where = whereOf(cause.service, entry, topology);
  const signature = symptomSignature(result, cause.service, topology);
  const strategies = strategiesThatFound(result, candidate, cause.service);
  const checks = result.strategies
    .filter((s) => strategies.includes(s.name))
    .flatMap((s) => s.checked.map((c) => generalizeCheck(anonymizer, c)).map((c) => (c ? `${s.name}: ${c}` : "")))
    .filter((c, i, all) => c !== "" && all.indexOf(c) === i)
    .slice(0, 30);
  const signatureAlert = alertSignatureOf(result.alert);
  const alertClass: AlertClass = {
    alertname: anonymizeAlertName(anonymizer, signatureAlert.alertname),
    labelKeys: signatureAlert.labelKeys.map((k) => anonymizer.text(k)),
  };
  const mechanism = candidate ? generalizeNames(anonymizer.text(candidate.mechanism)) : undefined;
  const foundText = strategies.length > 0 ? `found by ${strategies.join(", ")}` : "not found by any strategy";
  const description = [
    `${alertClass.alertname} on the entry service, caused by ${faultClass.replace("_", " ")} in ${
      where === "entry" ? "the entry service itself" : `a ${where} service`
    }${mechanism ? ` (${mechanism})` : ""}.`,
    `Symptoms: ${describeSignature(signature) || "none recorded"}.`,
    `${foundText[0]?.toUpperCase()}${foundText.slice(1)}.`,
  ].join(" ");
  const content: PatternContent = {
    alertClass,
    signature,
    rootCause: { faultClass, where, ...(mechanism ? { mechanism } : {}) },
    foundBy: {
      strategies: strategies.map((s) => anonymizer.text(s)),
      checks: checks.map((c) => generalizeNames(anonymizer.text(c))),
    },
    description: anonymizer.text(description),
    origin: {
      ...(entry ? { entryService: anonymizer.pseudonym("service", entry) } : {}),
      causeService: anonymizer.pseudonym("service", cause.service),
    },
  };
  const parsed = patternContentSchema.parse(content);
  assertAnonymous(anonymizer, parsed);
  return parsed;
}

export interface PatternMatch {
  /** Similarity in [0, 1]. */
  score: number;
  /** The candidate whose evidence matches the pattern's cause best, when one does. */
  service?: string;
}

function jaccard<T>(a: Set<T>, b: Set<T>): number {
  if (a.size === 0 && b.size === 0) return 1;
  let both = 0;
  for (const x of a) if (b.has(x)) both += 1;
  return both / (a.size + b.size - both);
}

/** Similarity of alert classes: the name counts most, the shape of the labels refines it. */
export function alertClassSimilarity(pattern: AlertClass, alert: AlertSignature, anonymizer?: Anonymizer): number {
  const names = new Set([alert.alertname.toLowerCase()]);
  if (anonymizer) names.add(anonymizeAlertName(anonymizer, alert.alertname).toLowerCase());
  const sameName = names.has(pattern.alertname.toLowerCase()) ? 1 : 0;
  const keys = jaccard(new Set(pattern.labelKeys), new Set(alert.labelKeys));
  return 0.7 * sameName + 0.3 * keys;
}

/**
 * How well an investigation fits an approved pattern, for use as a prior: alert class, then the symptom signature
 * seen from each candidate as if it were the cause. Returns the best candidate too.
 */
export function matchPatternDetail(
  pattern: PatternContent,
  result: InvestigationResult,
  options: { anonymizer?: Anonymizer; topology?: Topology } = {},
): PatternMatch {
  const alertScore = alertClassSimilarity(pattern.alertClass, alertSignatureOf(result.alert), options.anonymizer);
  const wanted = new Set(pattern.signature.map(featureKey));
  let best: PatternMatch = { score: 0.3 * alertScore };
  const services = new Set([result.alert.service, ...result.candidates.map((c) => c.service)]);
  for (const service of services) {
    if (!service) continue;
    const candidate = result.candidates.find((c) => c.service === service);
    const got = new Set(symptomSignature(result, service, options.topology).map(featureKey));
    let score = 0.3 * alertScore + 0.5 * jaccard(wanted, got);
    if (candidate && candidate.faultClass === pattern.rootCause.faultClass) score += 0.1;
    if (whereOf(service, result.alert.service, options.topology) === pattern.rootCause.where) score += 0.1;
    if (score > best.score) best = { score, service };
  }
  return { ...best, score: Math.min(1, Math.max(0, Number(best.score.toFixed(4)))) };
}

/** Similarity in [0, 1] of an investigation to a pattern. */
export function matchPattern(
  pattern: PatternContent,
  result: InvestigationResult,
  options: { anonymizer?: Anonymizer; topology?: Topology } = {},
): number {
  return matchPatternDetail(pattern, result, options).score;
}
