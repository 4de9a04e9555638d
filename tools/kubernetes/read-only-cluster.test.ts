import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { after, before, describe, it } from "node:test";
import { type FakeKubernetes, startFakeKubernetes } from "../../test/fakes/k8s-api.ts";
import type { ToolCallRecord, ToolResult } from "../interfaces.ts";
import { events, objects, podLogs } from "./__fixtures__/shop-cluster.ts";
import { type KubernetesClusterOptions, KubernetesClusterSource } from "./read-only-cluster.ts";

function expectOk<T>(result: ToolResult<T>): { data: T; truncated: boolean } {
  if (!result.ok) assert.fail(`expected ok, got ${result.error.kind}: ${result.error.message}`);
  return result;
}

function names(result: ToolResult<Array<{ metadata: { name: string } }>>): string[] {
  return expectOk(result)
    .data.map((o) => o.metadata.name)
    .sort();
}

/** A port nothing listens on: bind, read the port, close. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("tools/kubernetes/read-only-cluster against the fake API server", () => {
  let fake: FakeKubernetes;
  const calls: ToolCallRecord[] = [];
  function cluster(extra: Partial<KubernetesClusterOptions> = {}): KubernetesClusterSource {
    return new KubernetesClusterSource({
      connection: { mode: "explicit", server: fake.url, token: "test-token", skipTLSVerify: true },
      onCall: (r) => calls.push(r),
      ...extra,
    });
  }

  before(async () => {
    fake = await startFakeKubernetes({ objects, events, podLogs, forbidden: ["services"] });
  });
  after(async () => {
    await fake.close();
  });

  it("lists pods matching a label selector and nothing else", async () => {
    const result = await cluster().list("pods", {
      namespace: "shop",
      labelSelector: "app.kubernetes.io/name=checkout",
    });

    assert.deepEqual(names(result), ["checkout-5c6b7d9f8-x2k4q", "checkout-7f8c6b5d4-9hq2m"]);
    const last = fake.requests.at(-1);
    assert.equal(last?.path, "/api/v1/namespaces/shop/pods");
    assert.equal(last?.query.labelSelector, "app.kubernetes.io/name=checkout");
  });

  it("returns objects as API JSON: ISO timestamps, apiVersion/kind, managedFields without fieldsV1", async () => {
    const result = await cluster().list("pods", {
      namespace: "shop",
      fieldSelector: "metadata.name=checkout-5c6b7d9f8-x2k4q",
    });

    const [pod] = expectOk(result).data;
    assert.equal(pod.apiVersion, "v1");
    assert.equal(pod.kind, "Pod");
    assert.equal(typeof pod.metadata.creationTimestamp, "string");
    assert.equal(Date.parse(pod.metadata.creationTimestamp ?? ""), Date.parse("2024-05-01T10:00:00Z"));
    assert.deepEqual(pod.metadata.managedFields, [
      { manager: "kube-controller-manager", operation: "Update", time: "2024-05-01T10:00:00.000Z" },
    ]);
    const status = pod.status as { containerStatuses: Array<{ lastState: { terminated: { reason: string } } }> };
    assert.equal(status.containerStatuses[0].lastState.terminated.reason, "OOMKilled");
  });

  it("lists across all namespaces when no namespace is given", async () => {
    const result = await cluster().list("pods", { labelSelector: "app in (cart,payments)" });

    assert.deepEqual(names(result), ["cart-6d5f7c8b9-abcde", "payments-0"]);
    assert.equal(fake.requests.at(-1)?.path, "/api/v1/pods");
  });

  it("filters events by involvedObject", async () => {
    const result = await cluster().list("events", {
      namespace: "shop",
      fieldSelector: "involvedObject.kind=Deployment,involvedObject.name=checkout",
    });

    const data = expectOk(result).data;
    assert.equal(data.length, 2);
    assert.ok(data.every((e) => e.reason === "ScalingReplicaSet"));
  });

  it("lists apps/v1, autoscaling/v2 and cluster-scoped kinds from their API groups", async () => {
    const c = cluster();

    assert.deepEqual(names(await c.list("replicasets", { namespace: "shop" })), [
      "checkout-5c6b7d9f8",
      "checkout-7f8c6b5d4",
    ]);
    assert.deepEqual(names(await c.list("horizontalpodautoscalers", { namespace: "shop" })), ["checkout"]);
    assert.deepEqual(names(await c.list("nodes", { namespace: "shop" })), ["node-a"]);
    assert.deepEqual(names(await c.list("daemonsets")), []);
    const paths = fake.requests.slice(-4).map((r) => r.path);
    assert.deepEqual(paths, [
      "/apis/apps/v1/namespaces/shop/replicasets",
      "/apis/autoscaling/v2/namespaces/shop/horizontalpodautoscalers",
      "/api/v1/nodes",
      "/apis/apps/v1/daemonsets",
    ]);
  });

  it("reads the tail of a pod's log and its previous container's log", async () => {
    const c = cluster();

    const current = expectOk(await c.podLogs("shop", "checkout-5c6b7d9f8-x2k4q"));
    const previous = expectOk(await c.podLogs("shop", "checkout-5c6b7d9f8-x2k4q", { previous: true, tailLines: 2 }));

    assert.equal(current.data, "starting checkout 1.5.0\nwarming cache\n");
    assert.equal(previous.data, "loaded 120000 products\njava.lang.OutOfMemoryError: Java heap space\n");
    assert.equal(fake.requests.at(-1)?.path, "/api/v1/namespaces/shop/pods/checkout-5c6b7d9f8-x2k4q/log");
    assert.equal(fake.requests.at(-1)?.query.previous, "true");
  });

  it("keeps the tail of a log beyond the byte cap and marks it truncated", async () => {
    const result = expectOk(
      await cluster({ maxLogBytes: 40 }).podLogs("shop", "checkout-5c6b7d9f8-x2k4q", { previous: true }),
    );

    assert.equal(result.truncated, true);
    assert.ok(Buffer.byteLength(result.data) <= 40);
    assert.match(result.data, /OutOfMemoryError: Java heap space\n$/);
  });

  it("reports a log of a missing pod as unavailable", async () => {
    const result = await cluster().podLogs("shop", "no-such-pod");

    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.error.kind, "unavailable");
  });

  it("turns an RBAC 403 into a denied error naming the resource", async () => {
    const result = await cluster().list("services", { namespace: "shop" });

    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.equal(result.error.kind, "denied");
    assert.match(result.error.message, /services/);
    assert.match(result.error.message, /403/);
  });

  it("refuses namespaces outside the allowlist without asking the server", async () => {
    const c = cluster({ namespaces: ["shop"] });
    const before = fake.requests.length;

    const denied = await c.list("pods", { namespace: "payments" });
    const deniedLogs = await c.podLogs("payments", "payments-0");

    assert.equal(!denied.ok && denied.error.kind, "denied");
    assert.equal(!deniedLogs.ok && deniedLogs.error.kind, "denied");
    assert.equal(fake.requests.length, before);
  });

  it("splits an all-namespaces list into the allowed namespaces", async () => {
    const result = await cluster({ namespaces: ["shop"] }).list("pods");

    assert.ok(names(result).every((n) => n !== "payments-0"));
    assert.equal(names(result).length, 3);
    assert.equal(fake.requests.at(-1)?.path, "/api/v1/namespaces/shop/pods");
  });

  it("redacts config map values but keeps the keys, unless the config map is allowed", async () => {
    const result = await cluster({ allowConfigMapValues: ["feature-flags"] }).list("configmaps", { namespace: "shop" });

    const byName = new Map(expectOk(result).data.map((cm) => [cm.metadata.name, cm]));
    const secretish = byName.get("checkout-config");
    assert.deepEqual(secretish?.data, { DATABASE_URL: "[redacted]", POOL_SIZE: "[redacted]" });
    assert.deepEqual(secretish?.binaryData, { "cert.der": "[redacted]" });
    assert.equal(secretish?.metadata.annotations?.["kubectl.kubernetes.io/last-applied-configuration"], "[redacted]");
    assert.doesNotMatch(JSON.stringify(secretish), /hunter2/);
    assert.deepEqual(byName.get("feature-flags")?.data, { NEW_CHECKOUT: "on" });
  });

  it("caps the number of items and marks the result truncated", async () => {
    const capped = expectOk(await cluster({ maxItems: 2 }).list("pods"));
    const underCap = expectOk(await cluster({ maxItems: 10 }).list("pods"));

    assert.equal(capped.data.length, 2);
    assert.equal(capped.truncated, true);
    assert.equal(fake.requests.at(-2)?.query.limit, "2");
    assert.equal(underCap.data.length, 4);
    assert.equal(underCap.truncated, false);
  });

  it("records one call per list or log read", async () => {
    const before = calls.length;

    await cluster().list("pods", { namespace: "shop", labelSelector: "app=cart" });

    assert.equal(calls.length, before + 1);
    assert.equal(calls.at(-1)?.operation, "list");
    assert.match(calls.at(-1)?.query ?? "", /pods namespace=shop labelSelector=app=cart/);
    assert.equal(calls.at(-1)?.rows, 1);
  });

  it("only ever sent GETs, and never asked for secrets", () => {
    assert.ok(fake.requests.length > 10);
    assert.deepEqual(new Set(fake.requests.map((r) => r.method)), new Set(["GET"]));
    assert.ok(fake.requests.every((r) => !/secrets/i.test(r.path)));
  });
});

describe("tools/kubernetes/read-only-cluster failures", () => {
  let fake: FakeKubernetes;
  before(async () => {
    fake = await startFakeKubernetes({ objects, events, podLogs });
  });
  after(async () => {
    await fake.close();
  });

  it("reports an API server that is down as a network error", async () => {
    const port = await deadPort();
    const c = new KubernetesClusterSource({
      connection: { mode: "explicit", server: `http://127.0.0.1:${port}`, skipTLSVerify: true },
    });

    const result = await c.list("pods", { namespace: "shop" });

    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.error.kind, "network");
  });

  it("gives up on a slow API server at the timeout", async () => {
    fake.setFaults({ delayMs: 2_000 });
    const c = new KubernetesClusterSource({
      connection: { mode: "explicit", server: fake.url, skipTLSVerify: true },
      timeoutMs: 150,
    });
    const started = Date.now();

    const list = await c.list("pods", { namespace: "shop" });
    const logs = await c.podLogs("shop", "checkout-5c6b7d9f8-x2k4q");

    const elapsed = Date.now() - started;
    fake.setFaults({});
    assert.equal(!list.ok && list.error.kind, "timeout");
    assert.equal(!logs.ok && logs.error.kind, "timeout");
    assert.ok(elapsed < 1_500, `took ${elapsed} ms`);
  });

  it("turns a 500 into an http error", async () => {
    fake.setFaults({ status: 500, match: /replicasets/ });
    const c = new KubernetesClusterSource({ connection: { mode: "explicit", server: fake.url, skipTLSVerify: true } });

    const failed = await c.list("replicasets", { namespace: "shop" });
    const fine = await c.list("deployments", { namespace: "shop" });

    fake.setFaults({});
    assert.equal(!failed.ok && failed.error.kind, "http");
    assert.match(!failed.ok ? failed.error.message : "", /500/);
    assert.equal(fine.ok, true);
  });

  it("reports an unusable configuration on every call instead of throwing", async () => {
    const c = new KubernetesClusterSource({ connection: { mode: "kubeconfig", path: "/nonexistent/kubeconfig" } });

    const result = await c.list("pods");
    const logs = await c.podLogs("shop", "x");

    assert.match(c.configError ?? "", /kubernetes config/);
    assert.equal(!result.ok && result.error.kind, "unavailable");
    assert.equal(!logs.ok && logs.error.kind, "unavailable");
  });

  it("refuses a kind outside CLUSTER_KINDS at runtime too", async () => {
    const c = new KubernetesClusterSource({ connection: { mode: "explicit", server: fake.url, skipTLSVerify: true } });
    const before = fake.requests.length;

    // A caller that bypasses the types (an LLM-chosen argument, say) still cannot reach another resource.
    const result = await c.list("secrets" as never);

    assert.equal(!result.ok && result.error.kind, "denied");
    assert.equal(fake.requests.length, before);
  });
});

describe("tools/kubernetes/read-only-cluster source guard", () => {
  const source = readFileSync(new URL("./read-only-cluster.ts", import.meta.url), "utf8");

  it("never names a write, connect, exec or Secret method of the client", () => {
    const forbidden =
      /\b(create|replace|patch|delete|deleteCollection|connect)[A-Z]\w*|\w*Secret\w*|\bexec\b|\b(Exec|Attach|PortForward|Cp)\b/g;

    assert.deepEqual(source.match(forbidden) ?? [], []);
  });

  it("only builds the core, apps and autoscaling/v2 clients and only calls list and log-read methods on them", () => {
    const built = [...source.matchAll(/makeApiClient\((\w+)\)/g)].map((m) => m[1]).sort();
    const called = [...source.matchAll(/\b(?:core|apps|autoscaling)\.(\w+)\(/g)].map((m) => m[1]);

    assert.deepEqual(built, ["AppsV1Api", "AutoscalingV2Api", "CoreV1Api"]);
    assert.ok(called.length >= 20);
    for (const method of called) assert.match(method, /^(list\w+|readNamespacedPodLog)$/);
  });
});

const realKubeconfig = process.env.VIGIL_TEST_KUBECONFIG ?? process.env.KUBECONFIG;

describe("tools/kubernetes/read-only-cluster against a real cluster", {
  skip: realKubeconfig ? false : "set KUBECONFIG or VIGIL_TEST_KUBECONFIG to run against a real cluster",
}, () => {
  const c = new KubernetesClusterSource({
    connection: { mode: "kubeconfig", path: realKubeconfig?.split(":")[0] },
    timeoutMs: 20_000,
  });

  it("lists nodes", async () => {
    assert.ok(expectOk(await c.list("nodes")).data.length > 0);
  });

  it("lists kube-system pods with a label selector and gets only matching pods", async () => {
    const all = expectOk(await c.list("pods", { namespace: "kube-system" })).data;
    const labelled = all.find((p) => Object.keys(p.metadata.labels ?? {}).length > 0);
    if (!labelled) assert.fail("kube-system has no labelled pod to select");
    const [key, value] = Object.entries(labelled.metadata.labels ?? {})[0];

    const selected = expectOk(
      await c.list("pods", { namespace: "kube-system", labelSelector: `${key}=${value}` }),
    ).data;

    assert.ok(selected.length > 0);
    assert.ok(selected.every((p) => p.metadata.labels?.[key] === value));
  });

  it("filters events by involvedObject", async () => {
    const all = expectOk(await c.list("events", { limit: 50 })).data;
    const target = all.find((e) => (e.involvedObject as { name?: string } | undefined)?.name);
    if (!target) return;
    const name = (target.involvedObject as { name: string }).name;

    const filtered = expectOk(await c.list("events", { fieldSelector: `involvedObject.name=${name}` })).data;

    assert.ok(filtered.every((e) => (e.involvedObject as { name: string }).name === name));
  });

  it("reads the tail of a running pod's log", async () => {
    const pods = expectOk(
      await c.list("pods", { namespace: "kube-system", fieldSelector: "status.phase=Running" }),
    ).data;
    if (pods.length === 0) assert.fail("no running pod in kube-system");
    const pod = pods[0];

    const logs = await c.podLogs("kube-system", pod.metadata.name, { tailLines: 3 });

    if (!logs.ok) assert.equal(logs.error.kind, "denied");
    else assert.ok(logs.data.split("\n").filter(Boolean).length <= 3);
  });

  it("redacts config map values", async () => {
    const maps = expectOk(await c.list("configmaps", { namespace: "kube-system" })).data;

    for (const cm of maps) {
      for (const value of Object.values((cm.data as Record<string, string>) ?? {})) assert.equal(value, "[redacted]");
    }
  });

  it("caps items and marks truncation", async () => {
    const pods = expectOk(await c.list("pods", { limit: 1 }));

    assert.ok(pods.data.length <= 1);
    if (pods.data.length === 1) assert.equal(typeof pods.truncated, "boolean");
  });
});
