import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type FakeKubernetes, startFakeKubernetes } from "../../test/fakes/k8s-api.ts";
import type { ChangeEvent, ClusterSource, K8sObject, ToolResult } from "../interfaces.ts";
import { events, objects, T } from "../kubernetes/__fixtures__/shop-cluster.ts";
import { KubernetesClusterSource } from "../kubernetes/read-only-cluster.ts";
import { KubernetesChangesSource } from "./kubernetes-changes.ts";

const ms = (iso: string) => Date.parse(iso);

function expectOk<T>(result: ToolResult<T>): { data: T; truncated: boolean } {
  if (!result.ok) assert.fail(`expected ok, got ${result.error.kind}: ${result.error.message}`);
  return result;
}

const hpaRescale: K8sObject = {
  apiVersion: "v1",
  kind: "Event",
  metadata: { name: "checkout.hpa1", namespace: "shop", creationTimestamp: "2024-05-01T10:03:00Z" },
  involvedObject: { kind: "HorizontalPodAutoscaler", namespace: "shop", name: "checkout" },
  reason: "SuccessfulRescale",
  message: "New size: 3; reason: cpu resource utilization (percentage of request) above target",
  type: "Normal",
  firstTimestamp: "2024-05-01T10:03:00Z",
  lastTimestamp: "2024-05-01T10:03:00Z",
  count: 1,
};

describe("tools/changes/kubernetes-changes", () => {
  let fake: FakeKubernetes;
  let cluster: KubernetesClusterSource;
  before(async () => {
    fake = await startFakeKubernetes({ objects, events: [...events, hpaRescale] });
    cluster = new KubernetesClusterSource({ connection: { mode: "explicit", server: fake.url, skipTLSVerify: true } });
  });
  after(async () => {
    await fake.close();
  });

  it("turns a new ReplicaSet revision into rollout + image changes and the deployment's scaling into scale changes", async () => {
    const changes = new KubernetesChangesSource({ cluster, namespaces: ["shop"] });

    const result = expectOk(await changes.listChanges({ from: ms("2024-05-01T09:55:00Z"), to: ms(T.now) }));

    const summary = result.data.map((c) => [c.type, c.t, c.service, c.entity.kind, c.entity.name]);
    assert.deepEqual(summary, [
      ["rollout", ms(T.rev2), "checkout", "ReplicaSet", "checkout-5c6b7d9f8"],
      ["image", ms(T.rev2), "checkout", "ReplicaSet", "checkout-5c6b7d9f8"],
      ["scale", ms(T.scaleUp), "checkout", "Deployment", "checkout"],
      ["scale", ms(T.scaleDown), "checkout", "Deployment", "checkout"],
      ["scale", ms("2024-05-01T10:03:00Z"), "checkout", "HorizontalPodAutoscaler", "checkout"],
    ]);
    const image = result.data.find((c) => c.type === "image") as ChangeEvent;
    assert.match(image.description, /checkout:1\.4\.0 → registry\.example\.com\/shop\/checkout:1\.5\.0/);
    assert.match(image.description, /revision 1 → 2/);
    assert.equal(image.ref, "apps/v1/namespaces/shop/replicasets/checkout-5c6b7d9f8");
    assert.equal(result.data[2].ref, "v1/namespaces/shop/events/checkout.17c1");
    assert.ok(result.data.every((c) => c.source === "kubernetes"));
    assert.equal(result.truncated, false);
  });

  it("reports config map writes at the last managedFields time, with the writer", async () => {
    const changes = new KubernetesChangesSource({ cluster });

    const result = expectOk(
      await changes.listChanges({ from: ms("2024-05-01T09:00:00Z"), to: ms("2024-05-01T09:59:00Z") }),
    );

    assert.deepEqual(
      result.data.map((c) => [c.type, c.t, c.entity.name, c.service]),
      [["config", ms(T.configChange), "checkout-config", "checkout"]],
    );
    assert.match(result.data[0].description, /updated by argocd-controller/);
    assert.equal(result.data[0].ref, "v1/namespaces/shop/configmaps/checkout-config");
  });

  it("reports the first revision as a rollout without an image diff, and nothing outside the range", async () => {
    const changes = new KubernetesChangesSource({ cluster, namespaces: ["shop"] });

    const early = expectOk(
      await changes.listChanges({ from: ms("2024-05-01T07:00:00Z"), to: ms("2024-05-01T08:30:00Z") }),
    );
    const quiet = expectOk(
      await changes.listChanges({ from: ms("2024-05-02T00:00:00Z"), to: ms("2024-05-02T01:00:00Z") }),
    );

    assert.deepEqual(
      early.data.map((c) => [c.type, c.entity.name]),
      [["rollout", "checkout-7f8c6b5d4"]],
    );
    assert.deepEqual(quiet.data, []);
  });

  it("does not report pod restarts as changes", async () => {
    const changes = new KubernetesChangesSource({ cluster, namespaces: ["shop"] });

    const result = expectOk(await changes.listChanges({ from: 0, to: ms(T.now) }));

    assert.ok(result.data.every((c) => c.type !== "restart" && c.entity.kind !== "Pod"));
  });

  it("answers with what it could read when part of the cluster is forbidden, and fails when nothing could be read", async () => {
    const partial = await startFakeKubernetes({ objects, events, forbidden: ["configmaps"] });
    const dead = new KubernetesClusterSource({ connection: { mode: "kubeconfig", path: "/nonexistent" } });
    try {
      const some = new KubernetesChangesSource({
        cluster: new KubernetesClusterSource({
          connection: { mode: "explicit", server: partial.url, skipTLSVerify: true },
        }),
      });
      const none = new KubernetesChangesSource({ cluster: dead as ClusterSource });

      const someResult = expectOk(await some.listChanges({ from: 0, to: ms(T.now) }));
      const noneResult = await none.listChanges({ from: 0, to: ms(T.now) });

      assert.equal(someResult.truncated, true);
      assert.ok(someResult.data.some((c) => c.type === "rollout"));
      assert.ok(someResult.data.every((c) => c.type !== "config"));
      assert.equal(noneResult.ok, false);
    } finally {
      await partial.close();
    }
  });
});
