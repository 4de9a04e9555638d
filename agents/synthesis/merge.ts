import type { Topology } from "../../tools/interfaces.ts";
import { TRAFFIC_ORIGIN_MECHANISM } from "../analysis/traffic-shift.ts";
import type { Candidate, Evidence, FaultClass, Hypothesis, StrategyReport } from "../types.ts";

/** How much a caller's score is kept when one of its callees is at least as anomalous: it is likely a victim. */
const VICTIM_FACTOR = 0.6;
/** A callee "explains" a caller when its score reaches this share of the caller's. */
const EXPLAINS_SHARE = 0.5;
const MAX_EVIDENCE_PER_CANDIDATE = 5;
/**
 * For a caller that stopped calling some callees, one of those callees explains it at a lower share: it lost traffic
 * and still looks anomalous, while fewer requests should have made it look healthier.
 */
const UNCALLED_EXPLAINS_SHARE = 0.4;

/** Services reachable from `service` over `calls` edges (its direct and indirect callees). */
export function downstreamOf(topology: Topology, service: string): Set<string> {
  const callees = new Map<string, string[]>();
  for (const edge of topology.edges) {
    if (edge.kind !== "calls") continue;
    const list = callees.get(edge.from) ?? [];
    list.push(edge.to);
    callees.set(edge.from, list);
  }
  const seen = new Set<string>();
  const queue = [...(callees.get(service) ?? [])];
  while (queue.length > 0) {
    const next = queue.shift() as string;
    if (seen.has(next) || next === service) continue;
    seen.add(next);
    queue.push(...(callees.get(next) ?? []));
  }
  return seen;
}

function noisyOr(scores: number[]): number {
  return 1 - scores.reduce((acc, s) => acc * (1 - Math.min(Math.max(s, 0), 0.99)), 1);
}

/**
 * Merge every strategy's hypotheses into ranked candidates: hypotheses about the same service corroborate each
 * other, and a caller whose callee is about as anomalous is demoted so a victim upstream does not outrank its cause.
 */
export function synthesize(reports: StrategyReport[], topology?: Topology): Candidate[] {
  const byService = new Map<string, Hypothesis[]>();
  for (const report of reports) {
    for (const h of report.hypotheses) {
      const list = byService.get(h.service) ?? [];
      list.push(h);
      byService.set(h.service, list);
    }
  }
  const candidates: Candidate[] = [];
  const supportedClass = new Map<string, FaultClass>();
  const uncalledBy = new Map<string, Set<string>>();
  const crowdedBy = new Map<string, Set<string>>();
  for (const [service, hypotheses] of byService) {
    for (const victim of hypotheses.flatMap((h) => h.crowds ?? [])) {
      const set = crowdedBy.get(victim) ?? new Set<string>();
      set.add(service);
      crowdedBy.set(victim, set);
    }
    for (const h of hypotheses) {
      if (h.mechanism !== TRAFFIC_ORIGIN_MECHANISM) continue;
      const set = uncalledBy.get(service) ?? new Set<string>();
      for (const e of h.evidence) if (e.service && e.service !== service) set.add(e.service);
      uncalledBy.set(service, set);
    }
    hypotheses.sort((a, b) => b.score - a.score);
    const bestPerStrategy = new Map<string, number>();
    for (const h of hypotheses)
      bestPerStrategy.set(h.strategy, Math.max(bestPerStrategy.get(h.strategy) ?? 0, h.score));
    const evidence: Evidence[] = [];
    const seen = new Set<string>();
    for (const h of hypotheses) {
      for (const e of h.evidence) {
        if (seen.has(e.id)) continue;
        seen.add(e.id);
        evidence.push(e);
      }
    }
    const top = reportedHypothesis(hypotheses);
    supportedClass.set(service, mostSupportedClass(hypotheses));
    candidates.push({
      service,
      entity: top.entity,
      faultClass: top.faultClass,
      mechanism: top.mechanism,
      score: noisyOr([...bestPerStrategy.values()]),
      strategies: [...bestPerStrategy.keys()],
      evidence: evidence.slice(0, MAX_EVIDENCE_PER_CANDIDATE),
    });
  }
  if (topology) demoteVictims(candidates, topology, uncalledBy, supportedClass);
  demoteCrowded(candidates, crowdedBy);
  for (const candidate of candidates) if (latencyOnly(candidate)) candidate.score *= LATENCY_ONLY_RANK_FACTOR;
  return candidates.sort((a, b) => b.score - a.score || a.service.localeCompare(b.service));
}

/** An explaining hypothesis names the candidate's class once it reaches this share of the strongest one's score. */
const EXPLAINS_CLASS_SHARE = 0.5;

/**
 * What a candidate reports as its fault class and mechanism: the strongest hypothesis that names a cause (a change,
 * the cluster's state, a resource at its limit) when it is about as strong as the strongest reading overall, else the
 * strongest reading. "CPU at 95% of its limit" says why its callers time out; "its callers time out" does not.
 */
function reportedHypothesis(sorted: Hypothesis[]): Hypothesis {
  const cause = sorted.find((h) => h.explains);
  return cause && cause.score >= sorted[0].score * EXPLAINS_CLASS_SHARE ? cause : sorted[0];
}

/**
 * The fault class most strategies support for a service (each strategy's best score per class, summed). It decides
 * whether the service is a victim: one strategy's loud reading (its callers time out on it) does not outvote three
 * that saw its own CPU run out. What the candidate reports is `reportedHypothesis`'s choice.
 */
function mostSupportedClass(sorted: Hypothesis[]): FaultClass {
  const support = new Map<string, Map<string, number>>();
  for (const h of sorted) {
    const byStrategy = support.get(h.faultClass) ?? new Map<string, number>();
    byStrategy.set(h.strategy, Math.max(byStrategy.get(h.strategy) ?? 0, h.score));
    support.set(h.faultClass, byStrategy);
  }
  const total = (faultClass: string) => [...(support.get(faultClass)?.values() ?? [])].reduce((a, b) => a + b, 0);
  let best = sorted[0];
  for (const h of sorted) if (total(h.faultClass) > total(best.faultClass)) best = h;
  return best.faultClass;
}

const LATENCY_KINDS = new Set(["latency_p50", "latency_p90", "latency_p99", "latency_avg"]);

/**
 * Slowness alone is what a victim, a noisy edge or a cause all look like: a candidate that only one strategy's latency
 * series point at ranks below one with evidence of another kind (errors, resources, stopped calls, logs, traces).
 */
export const LATENCY_ONLY_RANK_FACTOR = 0.9;

/**
 * Only one strategy's latency series point at it. Series of an unknown kind (a percentile the kinds do not name, a
 * custom gauge) corroborate nothing on their own.
 */
export function latencyOnly(candidate: Candidate): boolean {
  return (
    candidate.strategies.length < 2 &&
    candidate.evidence.some((e) => e.type === "metric" && e.kind !== undefined && LATENCY_KINDS.has(e.kind)) &&
    candidate.evidence.every(
      (e) => e.type === "metric" && e.kind !== undefined && (LATENCY_KINDS.has(e.kind) || e.kind === "other"),
    )
  );
}

/**
 * A service crowded on its node by a noisy neighbour suffers the neighbour's doing (throttled, slow, timing out), whatever
 * else it shows: it ranks below the neighbour once the neighbour is about as strong.
 */
function demoteCrowded(candidates: Candidate[], crowdedBy: Map<string, Set<string>>): void {
  const original = new Map(candidates.map((c) => [c.service, c.score]));
  for (const candidate of candidates) {
    const neighbours = crowdedBy.get(candidate.service);
    if (!neighbours) continue;
    const own = original.get(candidate.service) ?? 0;
    const explained = [...neighbours].some((n) => (original.get(n) ?? 0) >= own * EXPLAINS_SHARE);
    if (explained) candidate.score = Math.min(candidate.score, own * VICTIM_FACTOR);
  }
}

/** Symptoms that travel upstream from a cause to its callers; a resource fault of the caller's own does not. */
const PROPAGATING = new Set(["network_delay", "code_error", "dependency", "socket"]);

/**
 * A caller's failing requests are explained by a callee that fails, stops or runs out of something, not by a callee
 * that only got slower (nothing but latency series point at it): slowness travels upstream as slowness, and a caller
 * answering errors while its callees merely slowed down is the origin of those errors.
 */
function canExplain(caller: Candidate, callee: Candidate): boolean {
  if (caller.faultClass !== "code_error" || caller.mechanism === TRAFFIC_ORIGIN_MECHANISM) return true;
  if (callee.faultClass !== "network_delay") return true;
  // A callee timing out (its callers log the deadline, traces show it) does explain them; latency series alone do not.
  return !latencyOnly(callee);
}

/**
 * A caller that stopped calling some of its callees (they lost traffic, it kept its own) is explained only by one of
 * those callees failing first (the caller gives up after it): an anomaly elsewhere downstream does not say why those
 * calls stopped.
 */
function demoteVictims(
  candidates: Candidate[],
  topology: Topology,
  uncalledBy: Map<string, Set<string>>,
  supportedClass: Map<string, FaultClass>,
): void {
  const original = new Map(candidates.map((c) => [c.service, c.score]));
  for (const candidate of candidates) {
    if (!PROPAGATING.has(supportedClass.get(candidate.service) ?? candidate.faultClass)) continue;
    const own = original.get(candidate.service) ?? 0;
    const uncalled = uncalledBy.get(candidate.service);
    const downstream = uncalled ?? downstreamOf(topology, candidate.service);
    const share = uncalled ? UNCALLED_EXPLAINS_SHARE : EXPLAINS_SHARE;
    const explainedBy = candidates.find(
      (other) =>
        downstream.has(other.service) &&
        (original.get(other.service) ?? 0) >= own * share &&
        canExplain(candidate, other),
    );
    if (explainedBy) candidate.score = own * VICTIM_FACTOR;
  }
}
