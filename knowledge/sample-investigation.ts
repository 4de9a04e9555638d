/**
 * A small, hand-made investigation result for the knowledge room's tests: the alerted `frontend` is slow because
 * its callee `pricing-db` burns CPU. Kept out of the test files so importing it does not re-register their tests.
 */
import type { Candidate, Evidence, InvestigationResult } from "../agents/types.ts";

function evidence(service: string, kind: Evidence["kind"], baseline: number, observed: number): Evidence {
  return {
    id: `ev-${service}-${kind}`,
    type: "metric",
    ref: `metric{service="${service}",instance="10.0.0.7:9100"}`,
    from: 0,
    to: 1,
    summary: `${kind} of ${service}: ${observed} vs baseline ${baseline}`,
    service,
    kind,
    baseline,
    observed,
  };
}

/** A small investigation: the alerted `frontend` is slow because its callee `pricing-db` burns CPU. */
export function sampleResult(entry = "frontend", cause = "pricing-db"): InvestigationResult {
  const candidates: Candidate[] = [
    {
      service: cause,
      faultClass: "cpu",
      mechanism: `CPU usage up on ${cause}`,
      score: 0.8,
      strategies: ["golden-signals"],
      evidence: [evidence(cause, "cpu", 0.2, 3.9)],
    },
    {
      service: entry,
      faultClass: "network_delay",
      mechanism: "p90 latency up",
      score: 0.5,
      strategies: ["golden-signals"],
      evidence: [evidence(entry, "latency_p90", 0.02, 0.4)],
    },
  ];
  return {
    alert: {
      fingerprint: "f1",
      alertname: "HighLatency",
      status: "firing",
      labels: { alertname: "HighLatency", service: entry, namespace: "shop", severity: "page", pod: `${entry}-0` },
      annotations: { description: `p90 of ${entry} above 300ms, ask ops@acme.io` },
      startsAt: 0,
      service: entry,
    },
    abstained: false,
    confidence: 0.7,
    candidates,
    strategies: [
      {
        name: "golden-signals",
        durationMs: 5,
        toolCalls: 3,
        topCandidate: cause,
        checked: ["148 series of 11 metric kinds", "earliest latency change at 2025-03-03T02:00:00.000Z"],
        errors: [],
      },
    ],
    summary: {
      headline: "h",
      whatIsGoingOn: "w",
      confidence: 0.7,
      whyNotHigher: [],
      evidence: [],
      ruledOut: [],
      nextSteps: [],
    },
    durationMs: 10,
    toolCalls: [
      {
        backend: "fixture",
        operation: "query_logs",
        query: "{}",
        startedAt: 0,
        durationMs: 1,
        bytes: 1,
        rows: 0,
        cacheHit: false,
        truncated: false,
      },
    ],
    llm: { used: false, promptTokens: 0, completionTokens: 0 },
    window: { from: 0, to: 1 },
  };
}
