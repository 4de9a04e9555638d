import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runOnFixture } from "../kubernetes-health/run-on-fixture.ts";
import { classifyChange } from "./classify.ts";
import { buildChangesFirstGraph, CHANGES_FIRST, sustainedOnset } from "./graph.ts";

const graph = buildChangesFirstGraph();

function change(type: string, description: string, kind = "Deployment") {
  return { type, description, entity: { kind, name: "x" } };
}

describe("agents/strategies/changes-first", () => {
  it("blames a config change whose own component fails first", async () => {
    const report = await runOnFixture(graph, "c-03ddf851");

    assert.equal(report.name, CHANGES_FIRST);
    assert.equal(report.hypotheses[0]?.service, "payments");
    assert.equal(report.hypotheses[0]?.faultClass, "config_change");
    assert.ok(report.hypotheses[0].score >= 0.7);
    assert.equal(report.hypotheses[0].evidence[0].type, "change");
  });

  it("reads a lowered memory limit as a memory fault", async () => {
    const report = await runOnFixture(graph, "c-755dac37");

    assert.equal(report.hypotheses[0]?.service, "orders");
    assert.equal(report.hypotheses[0]?.faultClass, "mem");
  });

  it("does not let a benign rollout on a victim take the blame", async () => {
    // db-down: orders was rolled out before postgres went down; orders only moved after postgres did.
    const report = await runOnFixture(graph, "c-547345ca");

    assert.ok(report.hypotheses.every((h) => h.score < 0.5));
  });

  it("rules out changes whose component stayed healthy on a quiet day", async () => {
    const report = await runOnFixture(graph, "c-d061ae12");

    assert.ok(report.hypotheses.every((h) => h.score < 0.5));
    assert.ok(report.checked.some((c) => /ruled out|moved, but after/.test(c)));
  });

  it("reports when there is neither a changes source nor a cluster", async () => {
    const report = await runOnFixture(graph, "c-03ddf851", ["changes", "cluster"]);

    assert.deepEqual(report.hypotheses, []);
    assert.match(report.checked.join("\n"), /no changes source/);
  });

  it("falls back to ReplicaSet rollouts when there is no changes source", async () => {
    const report = await runOnFixture(graph, "c-720b4b48", ["changes"]);

    assert.match(report.checked.join("\n"), /rollouts from ReplicaSets/);
  });

  it("classifies changes by what they take away", () => {
    assert.equal(classifyChange(change("config_change", "data.x: a -> b", "ConfigMap")).faultClass, "config_change");
    assert.equal(classifyChange(change("rollout", "image a:v1 -> a:v2")).faultClass, "code_error");
    assert.equal(
      classifyChange(change("resources_change", "resources.limits.memory 512Mi -> 128Mi")).faultClass,
      "mem",
    );
    assert.equal(classifyChange(change("scale", "replicas 4 -> 1")).faultClass, "capacity");
    assert.ok(
      classifyChange(change("annotation", "metadata.annotations updated (no pod template change)")).prior < 0.5,
    );
  });

  it("dates an onset only when the excursion persists", () => {
    const blip: Array<[number, number]> = [
      [0, 10],
      [1, 10],
      [2, 11],
      [3, 10],
      [4, 40],
      [5, 10],
      [6, 10],
      [7, 10],
    ];
    const step: Array<[number, number]> = [
      [0, 10],
      [1, 10],
      [2, 11],
      [3, 10],
      [4, 40],
      [5, 41],
      [6, 39],
      [7, 42],
    ];

    assert.equal(sustainedOnset(blip, 3), undefined);
    assert.equal(sustainedOnset(step, 3), 4);
  });

  it("lets a change weigh less when its service moved first only together with several others", async () => {
    // An unrelated rollout in svc-5a6b; the fault elsewhere makes six services move in the same step.
    const report = await runOnFixture(graph, "c-37b87e7f", ["traces"]);

    const rollout = report.hypotheses.find((h) => h.service === "svc-5a6b");
    assert.ok(rollout, "the rollout is still a lead");
    assert.ok(rollout.score < 0.5, `score ${rollout.score}: tied first with others, not singled out`);
    assert.ok(
      report.checked.some((c) => /first anomaly after .*: (\S+, ){5}/.test(c)),
      report.checked.join("; "),
    );
  });
});
