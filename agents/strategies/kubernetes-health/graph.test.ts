import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { MetricSeries } from "../../../tools/interfaces.ts";
import { addedLoad, noisyNeighbourLeads, recencyFactor } from "./findings.ts";
import { buildKubernetesHealthGraph, KUBERNETES_HEALTH } from "./graph.ts";
import { runOnFixture } from "./run-on-fixture.ts";

const graph = buildKubernetesHealthGraph();

describe("agents/strategies/kubernetes-health", () => {
  it("blames the crash-looping deployment with a code error", async () => {
    const report = await runOnFixture(graph, "c-79f30f0a");

    assert.equal(report.name, KUBERNETES_HEALTH);
    assert.equal(report.hypotheses[0]?.service, "payments");
    assert.equal(report.hypotheses[0]?.faultClass, "code_error");
    assert.ok(report.hypotheses[0].score >= 0.7);
    assert.match(report.hypotheses[0].evidence[0].ref, /^k8s:(Pod|Deployment)\/shop\/payments/);
  });

  it("names memory for OOM kills after a limit change", async () => {
    const report = await runOnFixture(graph, "c-755dac37");

    assert.equal(report.hypotheses[0]?.service, "orders");
    assert.equal(report.hypotheses[0]?.faultClass, "mem");
  });

  it("calls a crash-looping stateful backing service a dependency outage", async () => {
    const report = await runOnFixture(graph, "c-547345ca");

    assert.equal(report.hypotheses[0]?.service, "postgres");
    assert.equal(report.hypotheses[0]?.faultClass, "dependency");
  });

  it("finds the noisy neighbour that appeared on a node under CPU pressure", async () => {
    const report = await runOnFixture(graph, "c-ed9cc089");

    assert.equal(report.hypotheses[0]?.service, "svc-2b7e");
    assert.equal(report.hypotheses[0]?.faultClass, "cpu");
    assert.ok(report.hypotheses[0]?.crowds?.includes("svc-b21e"), "the victim sharing its node is named");
    assert.ok(!report.hypotheses[0]?.crowds?.includes("svc-2b7e"), "not itself");
  });

  it("does not blame a pod busy with more traffic as a noisy neighbour", async () => {
    const report = await runOnFixture(graph, "c-29e5773b");

    assert.equal(report.hypotheses[0]?.service, "api-gateway");
    assert.equal(report.hypotheses[0]?.faultClass, "capacity");
    assert.ok(report.checked.some((c) => /busy with more traffic/.test(c)));
  });

  it("keeps a single failed readiness probe on a healthy cluster weak", async () => {
    const report = await runOnFixture(graph, "c-d061ae12");

    assert.ok(report.hypotheses.every((h) => h.score < 0.3));
    assert.ok(report.checked.some((c) => /analyzers/.test(c)));
  });

  it("reports the missing cluster and makes no claims without one", async () => {
    const report = await runOnFixture(graph, "c-79f30f0a", ["cluster"]);

    assert.deepEqual(report.hypotheses, []);
    assert.deepEqual(report.errors, []);
    assert.match(report.checked.join("\n"), /no cluster source/);
  });

  it("weighs a condition older than the data window as chronic", () => {
    const frame = { splitAt: 10_000_000, windowFrom: 8_000_000, stepMs: 60_000 };

    assert.equal(recencyFactor(9_990_000, frame), 1);
    assert.ok(recencyFactor(1_000, frame) < 0.5);
  });

  it("counts a rollout's replacement pod as no rise, a pod of a new workload as all rise", () => {
    const series = (service: string, pod: string, points: Array<[number, number]>): MetricSeries => ({
      name: "cpu",
      kind: "cpu",
      labels: { service, pod },
      points,
      ref: pod,
    });
    const old = series("api", "api-1", [
      [0, 1],
      [1, 1],
      [2, 1],
    ]);
    const replacement = series("api", "api-2", [
      [3, 1],
      [4, 1],
    ]);
    const batch = series("batch", "batch-1", [
      [3, 4],
      [4, 4],
    ]);

    assert.equal(addedLoad(replacement, [old, replacement, batch], 3), 0);
    assert.equal(addedLoad(batch, [old, replacement, batch], 3), 4);
  });

  it("finds a noisy neighbour in a window whose baseline holds only two steps", () => {
    const step = 60_000;
    const points = (values: number[]): Array<[number, number | null]> => values.map((v, i) => [i * step, v]);
    const series = (name: string, labels: Record<string, string>, values: number[]): MetricSeries => ({
      name,
      kind: "cpu",
      labels,
      points: points(values),
      ref: name,
    });
    const all = [
      series("node_cpu_ratio", { node: "n1" }, [0.3, 0.31, 1, 1, 0.99]),
      series("cpu_cores", { service: "batch", pod: "batch-7d-x1", node: "n1" }, [0.03, 0.03, 3.4, 3.3, 3.5]),
      series("cpu_cores", { service: "web", pod: "web-5f-q2", node: "n1" }, [0.4, 0.41, 0.4, 0.42, 0.4]),
    ];
    const ctx = {
      splitAt: 2 * step,
      windowFrom: 0,
      stepMs: step,
      pods: [],
      replicasets: [],
      events: [],
      changes: [],
      known: new Set(["batch", "web"]),
    };

    const { leads } = noisyNeighbourLeads(all, ctx);

    assert.equal(leads[0]?.service, "batch");
    assert.deepEqual(leads[0]?.crowds, ["web"]);
  });
});
