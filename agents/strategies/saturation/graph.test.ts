import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runOnFixture } from "../kubernetes-health/run-on-fixture.ts";
import { buildSaturationGraph, SATURATION, saturationWeight } from "./graph.ts";
import { memoryUnit, parseQuantity } from "./limits.ts";

const graph = buildSaturationGraph();

describe("agents/strategies/saturation", () => {
  it("finds memory at its lowered limit", async () => {
    const report = await runOnFixture(graph, "c-755dac37");

    assert.equal(report.name, SATURATION);
    assert.equal(report.hypotheses[0]?.service, "orders");
    assert.equal(report.hypotheses[0]?.faultClass, "mem");
    assert.match(report.hypotheses[0].mechanism, /of its limit/);
  });

  it("finds CPU saturation", async () => {
    const report = await runOnFixture(graph, "c-abc77ebc");

    assert.equal(report.hypotheses[0]?.service, "svc-91d2");
    assert.equal(report.hypotheses[0]?.faultClass, "cpu");
  });

  it("claims nothing strong on a quiet day", async () => {
    const report = await runOnFixture(graph, "c-d061ae12");

    assert.ok(report.hypotheses.every((h) => h.score < 0.5));
    assert.ok(report.checked.some((c) => /limits known/.test(c)));
  });

  it("reports the missing metrics source", async () => {
    const report = await runOnFixture(graph, "c-755dac37", ["metrics"]);

    assert.deepEqual(report.hypotheses, []);
    assert.match(report.checked.join("\n"), /no source/);
  });

  it("parses Kubernetes quantities", () => {
    assert.equal(parseQuantity("500m"), 0.5);
    assert.equal(parseQuantity("256Mi"), 256 * 2 ** 20);
    assert.equal(parseQuantity("2"), 2);
    assert.equal(parseQuantity("lots"), undefined);
  });

  it("reads a memory series' unit from its name, else its magnitude", () => {
    assert.equal(memoryUnit({ name: "container_memory_working_set_mib", points: [[0, 100]] }), 2 ** 20);
    assert.equal(memoryUnit({ name: "container_memory_working_set_bytes", points: [[0, 1e8]] }), 1);
    assert.equal(memoryUnit({ name: "mem", points: [[0, 3e8]] }), 1);
  });

  it("scores a reached limit strongly and a resource well below its limit not at all", () => {
    assert.ok((saturationWeight(0.97, 20) ?? 0) >= 0.6);
    assert.equal(saturationWeight(0.5, 20), undefined);
    assert.ok((saturationWeight(undefined, 20) ?? 1) < 0.4);
  });
});
