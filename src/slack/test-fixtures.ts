/**
 * Builders for the alerts and investigation results the Slack tests render and post. Test-only helpers kept
 * beside the tests that use them.
 */
import type { Alert, Evidence, InvestigationResult } from "../../agents/types.ts";

export function testAlert(overrides: Partial<Alert> = {}): Alert {
  return {
    fingerprint: "a1b2c3d4e5f60718",
    alertname: "HighLatency",
    status: "firing",
    labels: { alertname: "HighLatency", service: "checkout", severity: "critical", namespace: "shop" },
    annotations: { summary: "p90 latency of checkout above 500ms", description: "checkout is slow for 10 minutes" },
    startsAt: Date.parse("2024-05-01T12:00:00Z"),
    service: "checkout",
    generatorURL: "http://prometheus:9090/graph?g0.expr=histogram_quantile",
    ...overrides,
  };
}

export function testEvidence(id: string, overrides: Partial<Evidence> = {}): Evidence {
  return {
    id,
    type: "metric",
    ref: `rate(http_requests_total{service="cartservice",code=~"5.."}[5m]) #${id}`,
    from: 1714564800000,
    to: 1714565400000,
    summary: `evidence ${id}: p90 latency of cartservice 0.41 s vs baseline 0.02 s`,
    ...overrides,
  };
}

export function testResult(overrides: Partial<InvestigationResult> = {}): InvestigationResult {
  const evidence = [
    testEvidence("ev-1", { link: "http://grafana.example/explore?q=1" }),
    testEvidence("ev-2"),
    testEvidence("ev-3", { type: "k8s", ref: "Pod shop/cartservice-7d9f", summary: "cartservice OOMKilled 3 times" }),
  ];
  return {
    alert: testAlert(),
    abstained: false,
    confidence: 0.72,
    candidates: [
      {
        service: "cartservice",
        faultClass: "mem",
        mechanism: "memory exhaustion",
        score: 0.72,
        strategies: ["k8s-health", "latency-breakdown"],
        evidence,
      },
    ],
    strategies: [
      {
        name: "k8s-health",
        durationMs: 800,
        toolCalls: 4,
        topCandidate: "cartservice",
        checked: ["pods in shop", "events"],
        errors: [],
      },
      { name: "latency-breakdown", durationMs: 1200, toolCalls: 6, checked: ["p90 per callee"], errors: ["tempo"] },
    ],
    summary: {
      headline: "checkout is slow because cartservice is running out of memory",
      whatIsGoingOn: "checkout p90 latency rose from 40 ms to 900 ms at 12:00.",
      likelyCause: "cartservice memory exhaustion (OOMKilled, restarts)",
      confidence: 0.72,
      whyNotHigher: ["no trace data for the window", "only one strategy saw the restarts"],
      evidence: [
        { text: "cartservice p90 latency 0.41 s vs 0.02 s", evidenceId: "ev-1" },
        { text: "5xx rate of cartservice", evidenceId: "ev-2" },
        { text: "cartservice OOMKilled 3 times", evidenceId: "ev-3" },
      ],
      ruledOut: ["database: connection pool normal"],
      nextSteps: ["Check the cartservice memory limit", "Roll back cartservice if a deploy preceded 12:00"],
    },
    durationMs: 4200,
    toolCalls: [],
    llm: { used: false, promptTokens: 0, completionTokens: 0 },
    window: { from: 1714564800000, to: 1714565400000 },
    ...overrides,
  };
}
