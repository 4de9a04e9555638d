import type { Evidence, InvestigationResult } from "../../agents/types.ts";

const T0 = Date.parse("2025-03-03T10:00:00Z");

/**
 * A finished investigation that passes every deterministic criterion; tests derive failing variants from it.
 * Kept out of `*.test.ts` so the judge, store and facet tests share one picture of a good result.
 */
export function goodResult(overrides: Partial<InvestigationResult> = {}): InvestigationResult {
  const evidence: Evidence[] = [
    {
      id: "golden-signals-1",
      type: "metric",
      ref: 'http_server_error_ratio{service="payments"}',
      from: T0 - 3_600_000,
      to: T0,
      summary: "http_server_error_ratio of payments: 0.500 vs baseline 0.003 (+369.6 spreads)",
      service: "payments",
      kind: "error_rate",
    },
    {
      id: "golden-signals-2",
      type: "metric",
      ref: 'http_server_duration_seconds_p90{service="payments"}',
      from: T0 - 3_600_000,
      to: T0,
      summary: "http_server_duration_seconds_p90 of payments: 0.076 vs baseline 0.055 (+5.8 spreads)",
      service: "payments",
      kind: "latency_p90",
    },
  ];
  return {
    caseId: "c-test",
    alert: {
      fingerprint: "f1",
      alertname: "ServiceErrorRateHigh",
      status: "firing",
      labels: { alertname: "ServiceErrorRateHigh", service: "web" },
      annotations: {},
      startsAt: T0,
      service: "web",
    },
    abstained: false,
    confidence: 0.62,
    candidates: [
      {
        service: "payments",
        faultClass: "code_error",
        mechanism: "error rate up",
        score: 0.8,
        strategies: ["golden-signals"],
        evidence,
      },
      {
        service: "checkout",
        faultClass: "code_error",
        mechanism: "error rate up",
        score: 0.3,
        strategies: ["golden-signals"],
        evidence: [],
      },
    ],
    strategies: [
      {
        name: "golden-signals",
        durationMs: 120,
        toolCalls: 4,
        topCandidate: "payments",
        checked: ["metrics"],
        errors: [],
      },
    ],
    summary: {
      headline: "ServiceErrorRateHigh on web: likely caused by payments (error rate up)",
      whatIsGoingOn: "ServiceErrorRateHigh on web fired. payments deviates most from its baseline.",
      likelyCause: "payments: error rate up [code_error]",
      confidence: 0.62,
      whyNotHigher: ["no traces available to check"],
      evidence: evidence.map((e) => ({ text: e.summary, evidenceId: e.id })),
      ruledOut: ["checkout (error rate up; ranked below payments)"],
      nextSteps: [
        "Inspect payments: error rate up began around the alert.",
        "Check what changed in payments before 2025-03-03T10:00:00.000Z (deploys, config, load).",
      ],
    },
    durationMs: 300,
    toolCalls: [
      {
        backend: "prometheus",
        operation: "query_signal",
        query: "error_rate",
        startedAt: T0,
        durationMs: 20,
        bytes: 100,
        rows: 10,
        cacheHit: false,
        truncated: false,
      },
    ],
    llm: { used: false, promptTokens: 0, completionTokens: 0, costUsd: 0 },
    window: { from: T0 - 3_600_000, to: T0 + 600_000 },
    ...overrides,
  };
}

/** The same investigation, abstaining with a lead. */
export function abstainedResult(): InvestigationResult {
  const base = goodResult();
  return {
    ...base,
    abstained: true,
    confidence: 0.2,
    summary: {
      ...base.summary,
      headline: "No conclusive cause found for ServiceErrorRateHigh on web",
      likelyCause: undefined,
      confidence: 0.2,
      evidence: base.summary.evidence.slice(0, 1),
      nextSteps: ["Look at payments first: error rate up."],
    },
  };
}
