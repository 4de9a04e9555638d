import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Alert, Candidate, Evidence, StrategyReport } from "../types.ts";
import { assessConfidence } from "./confidence.ts";

const alert = { service: "frontend", alertname: "LatencyHigh", labels: {}, startsAt: 0 } as unknown as Alert;
const tools = { metrics: {}, topology: {} } as never;

function metric(service: string, kind: Evidence["kind"]): Evidence {
  return {
    id: `${service}-${kind}`,
    type: "metric",
    ref: `${kind}{service="${service}"}`,
    from: 0,
    to: 1,
    summary: "",
    service,
    kind,
  };
}

function candidate(
  service: string,
  score: number,
  kinds: Array<Evidence["kind"]>,
  strategies = ["golden-signals"],
): Candidate {
  return {
    service,
    faultClass: "network_delay",
    mechanism: "p90 latency up",
    score,
    strategies,
    evidence: kinds.map((k) => metric(service, k)),
  } as Candidate;
}

const reports: StrategyReport[] = [
  { name: "golden-signals", durationMs: 1, toolCalls: 0, checked: [], hypotheses: [], errors: [] },
  { name: "saturation", durationMs: 1, toolCalls: 0, checked: [], hypotheses: [], errors: [] },
];

describe("agents/synthesis/confidence", () => {
  it("trusts a resource anomaly more than latency alone of the same strength", () => {
    const latency = assessConfidence(alert, [candidate("cart", 0.6, ["latency_p90"])], reports, tools, 0.35);
    const cpu = assessConfidence(alert, [candidate("cart", 0.6, ["cpu", "latency_p90"])], reports, tools, 0.35);

    assert.ok(cpu.confidence > latency.confidence);
    assert.ok(latency.whyNotHigher.some((w) => w.includes("only latency series")));
  });

  it("lowers confidence when several services are about as anomalous as the top one", () => {
    const single = [candidate("cart", 0.6, ["cpu"]), candidate("ads", 0.2, ["cpu"])];
    const diffuse = [
      candidate("cart", 0.6, ["cpu"]),
      candidate("ads", 0.5, ["cpu"]),
      candidate("email", 0.45, ["cpu"]),
    ];
    const a = assessConfidence(alert, single, reports, tools, 0.35);
    const b = assessConfidence(alert, diffuse, reports, tools, 0.35);

    assert.ok(a.confidence > b.confidence);
    assert.ok(b.whyNotHigher.some((w) => w.includes("diffuse")));
  });
});
