import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Topology } from "../../tools/interfaces.ts";
import { TRAFFIC_ORIGIN_MECHANISM } from "../analysis/traffic-shift.ts";
import type { Hypothesis, StrategyReport } from "../types.ts";
import { synthesize } from "./merge.ts";

const topology: Topology = {
  nodes: ["front", "mid", "x", "y"].map((id) => ({ id, kind: "service" })),
  edges: [
    { from: "front", to: "mid", kind: "calls" },
    { from: "mid", to: "x", kind: "calls" },
    { from: "mid", to: "y", kind: "calls" },
  ],
} as Topology;

function h(service: string, score: number, extra: Partial<Hypothesis> = {}): Hypothesis {
  return {
    service,
    score,
    faultClass: "network_delay",
    mechanism: "p90 latency up",
    strategy: "s",
    evidence: [],
    ...extra,
  };
}

function report(hypotheses: Hypothesis[]): StrategyReport {
  return { name: "s", durationMs: 0, toolCalls: 0, checked: [], hypotheses, errors: [] };
}

const origin = (score: number) =>
  h("mid", score, {
    faultClass: "code_error",
    mechanism: TRAFFIC_ORIGIN_MECHANISM,
    evidence: [{ id: "e1", type: "metric", ref: "r", from: 0, to: 1, summary: "y lost traffic", service: "y" }],
  });

describe("agents/synthesis/merge", () => {
  it("keeps a caller that stopped calling a callee above an unrelated downstream anomaly", () => {
    const ranked = synthesize([report([origin(0.6), h("x", 0.55)])], topology);
    assert.equal(ranked[0].service, "mid");
  });

  it("demotes that caller when the callee it stopped calling is itself anomalous", () => {
    const ranked = synthesize([report([origin(0.6), h("y", 0.3)])], topology);
    const mid = ranked.find((c) => c.service === "mid");
    assert.ok(mid && mid.score < 0.6 * 0.61, `mid kept ${mid?.score}`);
    const unrelated = synthesize([report([origin(0.6), h("x", 0.3)])], topology);
    assert.equal(unrelated.find((c) => c.service === "mid")?.score, 0.6);
  });

  it("still demotes an ordinary victim upstream of an anomalous callee", () => {
    const ranked = synthesize([report([h("mid", 0.6, { faultClass: "code_error" }), h("x", 0.4)])], topology);
    assert.equal(ranked[0].service, "x");
  });

  it("keeps a caller answering errors above callees that only got slower", () => {
    const latency = (id: string) => [
      {
        id,
        type: "metric" as const,
        ref: "r",
        from: 0,
        to: 1,
        summary: "p50 up",
        service: "x",
        kind: "latency_p50" as const,
      },
    ];
    const errors = [
      {
        id: "e",
        type: "metric" as const,
        ref: "r",
        from: 0,
        to: 1,
        summary: "errors",
        service: "mid",
        kind: "success_rate" as const,
      },
    ];
    const ranked = synthesize(
      [
        report([
          h("mid", 0.5, { faultClass: "code_error", mechanism: "success rate down", evidence: errors }),
          h("x", 0.45, { evidence: latency("l") }),
        ]),
      ],
      topology,
    );
    assert.equal(ranked[0].service, "mid");
    assert.equal(ranked[0].score, 0.5);
  });

  it("ranks a latency-only candidate below one of equal strength with other evidence", () => {
    const latency = [
      {
        id: "l",
        type: "metric" as const,
        ref: "r",
        from: 0,
        to: 1,
        summary: "p50 up",
        service: "x",
        kind: "latency_p50" as const,
      },
    ];
    const cpu = [
      {
        id: "c",
        type: "metric" as const,
        ref: "r",
        from: 0,
        to: 1,
        summary: "cpu",
        service: "y",
        kind: "cpu" as const,
      },
    ];
    const ranked = synthesize([
      report([h("x", 0.5, { evidence: latency }), h("y", 0.5, { faultClass: "cpu", evidence: cpu })]),
    ]);
    assert.deepEqual(
      ranked.map((c) => c.service),
      ["y", "x"],
    );
  });

  it("ranks a service crowded by a noisy neighbour below the neighbour, however loudly its callers complain", () => {
    const victim = [
      h("x", 0.7, { strategy: "errors" }),
      h("x", 0.6, { strategy: "metrics", faultClass: "cpu", mechanism: "CPU throttling up" }),
    ];
    const neighbour = h("y", 0.6, { strategy: "k8s", faultClass: "cpu", mechanism: "noisy neighbour", crowds: ["x"] });
    const reports = [report([victim[0]]), report([victim[1], neighbour])].map((r, i) => ({ ...r, name: `s${i}` }));

    const ranked = synthesize(reports);
    const alone = synthesize([report([victim[0]]), report([victim[1]])]);

    assert.equal(ranked[0]?.service, "y");
    assert.ok((alone[0]?.score ?? 0) > 0.8, "without the neighbour the victim stands");
  });

  it("does not take a service for a victim when most strategies saw its own resource run out", () => {
    const mid = [
      h("mid", 0.8, { strategy: "errors", mechanism: "timing out for 1 caller" }),
      h("mid", 0.6, { strategy: "saturation", faultClass: "cpu", mechanism: "CPU at 95% of its limit" }),
      h("mid", 0.5, { strategy: "k8s", faultClass: "capacity", mechanism: "HPA at its maximum" }),
      h("mid", 0.5, { strategy: "metrics", faultClass: "cpu", mechanism: "CPU throttling up" }),
    ];
    const callee = h("x", 0.85, { strategy: "saturation", faultClass: "cpu", mechanism: "CPU at 94% of its limit" });

    const ranked = synthesize([report([...mid, callee])], topology);
    const loudOnly = synthesize([report([mid[0], callee])], topology);

    assert.equal(ranked[0]?.service, "mid");
    assert.equal(ranked[0]?.mechanism, "timing out for 1 caller", "it still reports its strongest reading");
    assert.equal(loudOnly[0]?.service, "x", "with only the timeouts it is the callee's victim");
  });

  it("reports the fault class of a hypothesis that names a cause over the louder symptom it explains", () => {
    const timeouts = h("x", 0.8, { strategy: "errors", mechanism: "timing out for 2 callers" });
    const atLimit = h("x", 0.6, {
      strategy: "saturation",
      faultClass: "cpu",
      mechanism: "CPU at 95% of its limit",
      explains: true,
    });
    const faint = { ...atLimit, score: 0.3 };

    const [withCause] = synthesize([report([timeouts, atLimit])]);
    const [withFaintCause] = synthesize([report([timeouts, faint])]);

    assert.equal(withCause?.faultClass, "cpu");
    assert.equal(withCause?.mechanism, "CPU at 95% of its limit");
    assert.equal(withFaintCause?.faultClass, "network_delay", "a cause far weaker than the symptom does not speak");
  });
});
