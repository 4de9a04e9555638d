import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { MetricSeries, Topology } from "../../tools/interfaces.ts";
import { explainedLosses, isConvincingOrigin, trafficLevels, trafficOrigins, vanishedEdges } from "./traffic-shift.ts";

const STEP = 60_000;
const SPLIT = 6 * STEP;

function rate(service: string, values: Array<number | null>): MetricSeries {
  return {
    name: "requests",
    kind: "request_rate",
    labels: { service, pod: `${service}-0` },
    ref: `requests{service="${service}"}`,
    points: values.map((v, i) => [i * STEP, v]),
  } as MetricSeries;
}

function edge(source: string, destination: string, values: Array<number | null>): MetricSeries {
  return {
    name: "edge_latency",
    kind: "latency_p50",
    labels: { service: source, source_service: source, destination_service: destination },
    ref: `edge{source="${source}",destination="${destination}"}`,
    points: values.map((v, i) => [i * STEP, v]),
  } as MetricSeries;
}

const topology: Topology = {
  nodes: ["a", "b", "c", "d", "e"].map((id) => ({ id, kind: "service" })),
  edges: [
    { from: "a", to: "b", kind: "calls" },
    { from: "a", to: "c", kind: "calls" },
    { from: "b", to: "d", kind: "calls" },
    { from: "b", to: "e", kind: "calls" },
    { from: "a", to: "e", kind: "calls" },
  ],
} as Topology;

describe("agents/analysis/traffic-shift", () => {
  it("blames the caller whose callees lost traffic while it kept its own", () => {
    const series = [
      rate("a", [10, 11, 10, 9, 10, 11, 10, 10, 11]),
      rate("b", [5, 5, 6, 5, 5, 5, 5, 5, 6]),
      rate("c", [4, 4, 4, 4, 5, 4, 4, 4, 4]),
      rate("d", [3, 3, 3, 4, 3, 3, 0, 0, 0]),
      rate("e", [8, 8, 9, 8, 8, 8, 5, 5, 5]),
    ];
    const levels = trafficLevels(series, SPLIT);
    assert.ok((levels.get("d")?.loss ?? 0) > 0.9);
    assert.ok(levels.get("d")?.significant);
    const origins = trafficOrigins(levels, [], topology).filter(isConvincingOrigin);
    assert.equal(origins[0]?.service, "b");
    assert.deepEqual(
      origins[0].callees.map((c) => c.service),
      ["d"],
    );
    assert.ok(explainedLosses(origins).has("d"));
  });

  it("does not blame a caller that lost its own traffic: it passes on a loss from further up", () => {
    const series = [
      rate("a", [10, 11, 10, 9, 10, 11, 10, 10, 11]),
      rate("b", [5, 5, 6, 5, 5, 5, 0.5, 0.4, 0.5]),
      rate("d", [3, 3, 3, 4, 3, 3, 0, 0, 0]),
    ];
    const origins = trafficOrigins(trafficLevels(series, SPLIT), [], topology).filter(isConvincingOrigin);
    assert.deepEqual(
      origins.map((o) => o.service),
      ["a"],
    );
  });

  it("ignores a single partial dip of a noisy low-rate callee", () => {
    const series = [rate("b", [5, 5, 6, 5, 5, 5, 5, 5, 6]), rate("d", [0.3, 0.2, 0.4, 0.3, 0.2, 0.3, 0.1, 0.3, 0.1])];
    const origins = trafficOrigins(trafficLevels(series, SPLIT), [], topology).filter(isConvincingOrigin);
    assert.equal(origins.length, 0);
  });

  it("reads a call edge that fell silent as its source stopping the calls", () => {
    const series = [edge("b", "e", [0.01, 0.01, 0.012, 0.01, 0.011, 0.01, null, null, null])];
    const vanished = vanishedEdges(series, SPLIT, 8 * STEP, STEP);
    assert.deepEqual(
      vanished.map((v) => `${v.source}->${v.destination}`),
      ["b->e"],
    );
    const origins = trafficOrigins(new Map(), vanished, undefined).filter(isConvincingOrigin);
    assert.equal(origins[0]?.service, "b");
    // Too little observed time after the split: silence says nothing yet.
    assert.equal(vanishedEdges(series, SPLIT, SPLIT + STEP, STEP).length, 0);
  });
});
