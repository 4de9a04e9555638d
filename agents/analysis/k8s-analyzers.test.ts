import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { K8sObject } from "../../tools/interfaces.ts";
import {
  analyzeCrashLoops,
  analyzeEvictions,
  analyzeHpas,
  analyzeImagePulls,
  analyzeNodes,
  analyzeOomKills,
  analyzeProbes,
  analyzeReplicas,
  analyzeRestarts,
  analyzeUnschedulable,
  podService,
  runK8sAnalyzers,
} from "./k8s-analyzers.ts";

const NOW = Date.parse("2024-05-01T10:05:00Z");
const options = { now: NOW };

const replicaSet: K8sObject = {
  apiVersion: "apps/v1",
  kind: "ReplicaSet",
  metadata: {
    name: "checkout-5c6b7d9f8",
    namespace: "shop",
    ownerReferences: [{ kind: "Deployment", name: "checkout" }],
  },
};

interface PodParts {
  name?: string;
  phase?: string;
  status?: Record<string, unknown>;
  containerStatus?: Record<string, unknown>;
  limits?: Record<string, string>;
  nodeName?: string;
}

function pod(parts: PodParts = {}): K8sObject {
  const name = parts.name ?? "checkout-5c6b7d9f8-x2k4q";
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: "shop",
      creationTimestamp: "2024-05-01T10:00:00Z",
      labels: { "pod-template-hash": "5c6b7d9f8" },
      ownerReferences: [{ kind: "ReplicaSet", name: "checkout-5c6b7d9f8" }],
    },
    spec: {
      nodeName: parts.nodeName ?? "node-a",
      containers: [{ name: "checkout", image: "shop/checkout:1.5.0", resources: { limits: parts.limits ?? {} } }],
    },
    status: {
      phase: parts.phase ?? "Running",
      containerStatuses: [
        {
          name: "checkout",
          ready: true,
          restartCount: 0,
          state: { running: { startedAt: "2024-05-01T10:00:05Z" } },
          ...parts.containerStatus,
        },
      ],
      ...parts.status,
    },
  };
}

function event(
  reason: string,
  target: string,
  message: string,
  at = "2024-05-01T10:04:00Z",
  extra: Record<string, unknown> = {},
): K8sObject {
  return {
    apiVersion: "v1",
    kind: "Event",
    metadata: { name: `${target}.${reason}`, namespace: "shop" },
    involvedObject: { kind: "Pod", namespace: "shop", name: target },
    reason,
    message,
    type: "Warning",
    firstTimestamp: at,
    lastTimestamp: at,
    count: 1,
    ...extra,
  };
}

const healthy = pod({ name: "checkout-5c6b7d9f8-ok" });

describe("agents/analysis/k8s-analyzers", () => {
  describe("podService", () => {
    it("follows the owner chain to the Deployment, then falls back to the template hash and labels", () => {
      const bare: K8sObject = { metadata: { name: "cart-1", labels: { app: "cart" } } };

      assert.equal(podService(pod(), [replicaSet]), "checkout");
      assert.equal(podService(pod(), []), "checkout");
      assert.equal(podService(bare), "cart");
      assert.equal(podService({ metadata: { name: "lonely" } }), undefined);
    });
  });

  it("crash-loop: fires on CrashLoopBackOff with the restart count and last exit, not on a running container", () => {
    const crashing = pod({
      containerStatus: {
        ready: false,
        restartCount: 6,
        state: { waiting: { reason: "CrashLoopBackOff" } },
        lastState: { terminated: { reason: "Error", exitCode: 1, finishedAt: "2024-05-01T10:04:10Z" } },
      },
    });

    const findings = analyzeCrashLoops({ pods: [crashing, healthy], replicasets: [replicaSet] }, options);

    assert.equal(findings.length, 1);
    assert.equal(findings[0].severity, "critical");
    assert.equal(findings[0].service, "checkout");
    assert.equal(findings[0].evidenceRef, "v1/namespaces/shop/pods/checkout-5c6b7d9f8-x2k4q");
    assert.match(findings[0].message, /6 restarts; last exit Error \(code 1\)/);
    assert.equal(findings[0].since, Date.parse("2024-05-01T10:04:10Z"));
  });

  it("oom-killed: fires on a recent OOMKilled termination with the memory limit, not on an old one", () => {
    const oom = (finishedAt: string) =>
      pod({
        limits: { memory: "256Mi" },
        containerStatus: {
          restartCount: 2,
          lastState: { terminated: { reason: "OOMKilled", exitCode: 137, finishedAt } },
        },
      });

    const recent = analyzeOomKills({ pods: [oom("2024-05-01T10:04:30Z")] }, options);
    const stale = analyzeOomKills({ pods: [oom("2024-04-20T10:00:00Z")] }, options);

    assert.equal(recent.length, 1);
    assert.match(recent[0].message, /memory limit of 256Mi/);
    assert.equal(recent[0].reason, "OOMKilled");
    assert.deepEqual(stale, []);
  });

  it("image-pull: fires on ImagePullBackOff with the image and the kubelet's message, not on a pulled image", () => {
    const stuck = pod({
      phase: "Pending",
      containerStatus: {
        ready: false,
        state: { waiting: { reason: "ImagePullBackOff", message: "Back-off pulling image" } },
      },
    });
    const failed = event("Failed", stuck.metadata.name, 'Failed to pull image "shop/checkout:1.5.0": manifest unknown');

    const findings = analyzeImagePulls({ pods: [stuck, healthy], events: [failed] }, options);

    assert.equal(findings.length, 1);
    assert.equal(findings[0].reason, "ImagePullBackOff");
    assert.match(findings[0].message, /shop\/checkout:1\.5\.0: Failed to pull image .*manifest unknown/);
  });

  it("unschedulable: fires on a Pending pod with PodScheduled False and its FailedScheduling event, not on a scheduled pod", () => {
    const pending = pod({
      phase: "Pending",
      containerStatus: { state: { waiting: { reason: "ContainerCreating" } } },
      status: {
        conditions: [
          {
            type: "PodScheduled",
            status: "False",
            reason: "Unschedulable",
            lastTransitionTime: "2024-05-01T10:01:00Z",
          },
        ],
      },
    });
    const scheduling = event(
      "FailedScheduling",
      pending.metadata.name,
      "0/3 nodes are available: 3 Insufficient memory.",
    );
    const creating = pod({
      name: "creating",
      phase: "Pending",
      status: { conditions: [{ type: "PodScheduled", status: "True" }] },
    });

    const findings = analyzeUnschedulable({ pods: [pending, creating], events: [scheduling] }, options);

    assert.equal(findings.length, 1);
    assert.equal(findings[0].reason, "Unschedulable");
    assert.match(findings[0].message, /Insufficient memory/);
    assert.equal(findings[0].since, Date.parse("2024-05-01T10:01:00Z"));
  });

  it("probe-failure: fires on Unhealthy events (liveness critical, readiness warning) and on running-but-unready containers", () => {
    const probed = pod({ containerStatus: { ready: false } });
    const liveness = event(
      "Unhealthy",
      probed.metadata.name,
      "Liveness probe failed: HTTP probe failed with statuscode: 500",
      undefined,
      { count: 4 },
    );
    const readiness = event(
      "Unhealthy",
      probed.metadata.name,
      "Readiness probe failed: connection refused",
      "2024-05-01T10:03:00Z",
    );
    const unready = pod({ name: "unready", containerStatus: { ready: false } });

    const findings = analyzeProbes({ pods: [probed, unready, healthy], events: [liveness, readiness] }, options);

    assert.deepEqual(
      findings.map((f) => [f.entity.name, f.reason, f.severity]),
      [
        ["checkout-5c6b7d9f8-x2k4q", "LivenessProbeFailed", "critical"],
        ["checkout-5c6b7d9f8-x2k4q", "ReadinessProbeFailed", "warning"],
        ["unready", "NotReady", "warning"],
      ],
    );
    assert.match(findings[0].message, /statuscode: 500 \(4 times\)/);
  });

  it("probe-failure: ignores Unhealthy events older than the window", () => {
    const old = event("Unhealthy", healthy.metadata.name, "Readiness probe failed", "2024-05-01T07:00:00Z");

    assert.deepEqual(analyzeProbes({ pods: [healthy], events: [old] }, options), []);
  });

  it("node-condition: fires on NotReady and pressure, naming the pods on the node; a healthy node gives nothing", () => {
    const sick: K8sObject = {
      apiVersion: "v1",
      kind: "Node",
      metadata: { name: "node-a" },
      status: {
        conditions: [
          {
            type: "Ready",
            status: "Unknown",
            message: "Kubelet stopped posting node status.",
            lastTransitionTime: "2024-05-01T10:02:00Z",
          },
          { type: "MemoryPressure", status: "True", lastTransitionTime: "2024-05-01T10:01:00Z" },
          { type: "DiskPressure", status: "False" },
        ],
      },
    };
    const fine: K8sObject = {
      kind: "Node",
      metadata: { name: "node-b" },
      status: { conditions: [{ type: "Ready", status: "True" }] },
    };

    const findings = analyzeNodes(
      { nodes: [sick, fine], pods: [pod(), pod({ name: "elsewhere", nodeName: "node-b" })] },
      options,
    );

    assert.deepEqual(
      findings.map((f) => [f.reason, f.severity]),
      [
        ["NodeNotReady", "critical"],
        ["MemoryPressure", "warning"],
      ],
    );
    assert.match(findings[0].message, /pods there: shop\/checkout-5c6b7d9f8-x2k4q$/);
    assert.equal(findings[0].evidenceRef, "v1/nodes/node-a");
  });

  it("replica-mismatch: fires when ready < desired on deployments and statefulsets, not when all are ready or scaled to zero", () => {
    const short: K8sObject = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "checkout", namespace: "shop", labels: { "app.kubernetes.io/name": "checkout" } },
      spec: { replicas: 3 },
      status: {
        readyReplicas: 1,
        conditions: [
          {
            type: "Available",
            status: "False",
            message: "Deployment does not have minimum availability.",
            lastTransitionTime: "2024-05-01T10:01:00Z",
          },
        ],
      },
    };
    const empty: K8sObject = {
      kind: "StatefulSet",
      metadata: { name: "db", namespace: "shop" },
      spec: { replicas: 1 },
      status: {},
    };
    const full: K8sObject = {
      kind: "Deployment",
      metadata: { name: "cart", namespace: "shop" },
      spec: { replicas: 2 },
      status: { readyReplicas: 2 },
    };
    const zero: K8sObject = {
      kind: "Deployment",
      metadata: { name: "batch", namespace: "shop" },
      spec: { replicas: 0 },
      status: {},
    };

    const findings = analyzeReplicas({ deployments: [short, full, zero], statefulsets: [empty] }, options);

    assert.deepEqual(
      findings.map((f) => [f.entity.kind, f.entity.name, f.severity, f.service]),
      [
        ["Deployment", "checkout", "warning", "checkout"],
        ["StatefulSet", "db", "critical", "db"],
      ],
    );
    assert.match(findings[0].message, /1\/3 replicas ready: Deployment does not have minimum availability/);
    assert.equal(findings[1].evidenceRef, "apps/v1/namespaces/shop/statefulsets/db");
  });

  it("hpa-at-max: fires at maxReplicas with a metric above target, not at max with a cool metric or below max", () => {
    const hpa = (current: number, utilization: number): K8sObject => ({
      apiVersion: "autoscaling/v2",
      kind: "HorizontalPodAutoscaler",
      metadata: { name: "checkout", namespace: "shop" },
      spec: {
        maxReplicas: 5,
        scaleTargetRef: { kind: "Deployment", name: "checkout" },
        metrics: [
          { type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } } },
        ],
      },
      status: {
        currentReplicas: current,
        currentMetrics: [{ type: "Resource", resource: { name: "cpu", current: { averageUtilization: utilization } } }],
      },
    });

    const hot = analyzeHpas({ hpas: [hpa(5, 96)] }, options);
    const cool = analyzeHpas({ hpas: [hpa(5, 40)] }, options);
    const room = analyzeHpas({ hpas: [hpa(3, 96)] }, options);

    assert.equal(hot.length, 1);
    assert.equal(hot[0].service, "checkout");
    assert.match(hot[0].message, /maximum of 5 replicas with cpu at 96%/);
    assert.deepEqual(cool, []);
    assert.deepEqual(room, []);
  });

  it("eviction: fires on an Evicted pod and on an Evicted event of a pod that is gone, not on a healthy pod", () => {
    const evicted = pod({
      name: "evicted",
      phase: "Failed",
      status: { reason: "Evicted", message: "The node was low on resource: memory." },
    });
    const gone = event("Evicted", "vanished", "The node was low on resource: ephemeral-storage.");

    const findings = analyzeEvictions({ pods: [evicted, healthy], events: [gone] }, options);

    assert.deepEqual(
      findings.map((f) => [f.entity.name, f.reason]),
      [
        ["evicted", "Evicted"],
        ["vanished", "Evicted"],
      ],
    );
    assert.match(findings[0].message, /low on resource: memory/);
    assert.equal(findings[1].evidenceRef, "v1/namespaces/shop/events/vanished.Evicted");
  });

  it("recent-restart: fires on a termination inside the window or a grown restart count, not on old restarts", () => {
    const restarted = (name: string, count: number, finishedAt: string) =>
      pod({
        name,
        containerStatus: {
          restartCount: count,
          lastState: { terminated: { reason: "Error", exitCode: 2, finishedAt } },
        },
      });
    const recent = restarted("recent", 1, "2024-05-01T10:03:00Z");
    const old = restarted("old", 3, "2024-04-28T00:00:00Z");
    const grew = restarted("grew", 5, "2024-04-28T00:00:00Z");
    const previous = restarted("grew", 2, "2024-04-28T00:00:00Z");

    const findings = analyzeRestarts({ pods: [recent, old, grew, healthy], previousPods: [previous] }, options);

    assert.deepEqual(
      findings.map((f) => [f.entity.name, f.reason]),
      [
        ["recent", "Restarted:Error"],
        ["grew", "Restarted:Error"],
      ],
    );
    assert.match(findings[1].message, /3 new restarts \(5 total\)/);
  });

  it("runs every analyzer over a crash-looping, OOM-killed rollout and puts critical findings first", () => {
    const crashing = pod({
      limits: { memory: "256Mi" },
      containerStatus: {
        ready: false,
        restartCount: 4,
        state: { waiting: { reason: "CrashLoopBackOff" } },
        lastState: { terminated: { reason: "OOMKilled", exitCode: 137, finishedAt: "2024-05-01T10:04:30Z" } },
      },
    });
    const deployment: K8sObject = {
      kind: "Deployment",
      metadata: { name: "checkout", namespace: "shop" },
      spec: { replicas: 3 },
      status: { readyReplicas: 2 },
    };

    const findings = runK8sAnalyzers(
      { pods: [crashing, healthy], deployments: [deployment], replicasets: [replicaSet] },
      options,
    );

    assert.deepEqual(
      findings.map((f) => [f.analyzer, f.severity]),
      [
        ["crash-loop", "critical"],
        ["oom-killed", "critical"],
        ["replica-mismatch", "warning"],
      ],
    );
    assert.ok(findings.every((f) => f.service === "checkout"));
  });
});
