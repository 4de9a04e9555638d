import type { K8sObject } from "../../interfaces.ts";

/**
 * A small `kubectl get -o json`-shaped cluster: checkout rolled out revision 2 (image 1.4.0 → 1.5.0) at 10:00, the new
 * pod is OOM-killed and crash-looping, the deployment was scaled, and a config map changed at 09:50.
 */
export const T = {
  rev1: "2024-05-01T08:00:00Z",
  configChange: "2024-05-01T09:50:00Z",
  rev2: "2024-05-01T10:00:00Z",
  scaleUp: "2024-05-01T10:00:05Z",
  scaleDown: "2024-05-01T10:01:10Z",
  oom: "2024-05-01T10:04:30Z",
  now: "2024-05-01T10:05:00Z",
};

const checkoutLabels = { "app.kubernetes.io/name": "checkout", "pod-template-hash": "5c6b7d9f8" };

function checkoutTemplate(image: string, hash: string): Record<string, unknown> {
  return {
    metadata: { labels: { "app.kubernetes.io/name": "checkout", "pod-template-hash": hash } },
    spec: { containers: [{ name: "checkout", image, resources: { limits: { memory: "256Mi", cpu: "500m" } } }] },
  };
}

export const deployment: K8sObject = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: {
    name: "checkout",
    namespace: "shop",
    uid: "d-1",
    labels: { "app.kubernetes.io/name": "checkout" },
    annotations: { "deployment.kubernetes.io/revision": "2" },
    creationTimestamp: "2024-04-01T00:00:00Z",
  },
  spec: { replicas: 3, selector: { matchLabels: { "app.kubernetes.io/name": "checkout" } } },
  status: { replicas: 3, readyReplicas: 1, availableReplicas: 1, updatedReplicas: 1 },
};

export const replicaSetRev1: K8sObject = {
  apiVersion: "apps/v1",
  kind: "ReplicaSet",
  metadata: {
    name: "checkout-7f8c6b5d4",
    namespace: "shop",
    uid: "rs-1",
    labels: { "app.kubernetes.io/name": "checkout", "pod-template-hash": "7f8c6b5d4" },
    annotations: { "deployment.kubernetes.io/revision": "1" },
    creationTimestamp: T.rev1,
    ownerReferences: [{ kind: "Deployment", name: "checkout", uid: "d-1" }],
  },
  spec: { replicas: 2, template: checkoutTemplate("registry.example.com/shop/checkout:1.4.0", "7f8c6b5d4") },
  status: { replicas: 2, readyReplicas: 2 },
};

export const replicaSetRev2: K8sObject = {
  apiVersion: "apps/v1",
  kind: "ReplicaSet",
  metadata: {
    name: "checkout-5c6b7d9f8",
    namespace: "shop",
    uid: "rs-2",
    labels: checkoutLabels,
    annotations: { "deployment.kubernetes.io/revision": "2" },
    creationTimestamp: T.rev2,
    ownerReferences: [{ kind: "Deployment", name: "checkout", uid: "d-1" }],
  },
  spec: { replicas: 1, template: checkoutTemplate("registry.example.com/shop/checkout:1.5.0", "5c6b7d9f8") },
  status: { replicas: 1, readyReplicas: 0 },
};

export const crashingPod: K8sObject = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: {
    name: "checkout-5c6b7d9f8-x2k4q",
    namespace: "shop",
    uid: "p-1",
    labels: checkoutLabels,
    creationTimestamp: T.rev2,
    ownerReferences: [{ kind: "ReplicaSet", name: "checkout-5c6b7d9f8", uid: "rs-2" }],
    managedFields: [
      { manager: "kube-controller-manager", operation: "Update", time: T.rev2, fieldsV1: { "f:metadata": {} } },
    ],
  },
  spec: {
    nodeName: "node-a",
    containers: [
      {
        name: "checkout",
        image: "registry.example.com/shop/checkout:1.5.0",
        resources: { limits: { memory: "256Mi" } },
      },
    ],
  },
  status: {
    phase: "Running",
    conditions: [
      { type: "PodScheduled", status: "True" },
      { type: "Ready", status: "False", reason: "ContainersNotReady" },
    ],
    containerStatuses: [
      {
        name: "checkout",
        ready: false,
        restartCount: 4,
        image: "registry.example.com/shop/checkout:1.5.0",
        state: { waiting: { reason: "CrashLoopBackOff", message: "back-off 1m20s restarting failed container" } },
        lastState: {
          terminated: { reason: "OOMKilled", exitCode: 137, startedAt: "2024-05-01T10:04:00Z", finishedAt: T.oom },
        },
      },
    ],
  },
};

export const oldPod: K8sObject = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: {
    name: "checkout-7f8c6b5d4-9hq2m",
    namespace: "shop",
    uid: "p-2",
    labels: { "app.kubernetes.io/name": "checkout", "pod-template-hash": "7f8c6b5d4" },
    creationTimestamp: T.rev1,
    ownerReferences: [{ kind: "ReplicaSet", name: "checkout-7f8c6b5d4", uid: "rs-1" }],
  },
  spec: { nodeName: "node-a", containers: [{ name: "checkout", image: "registry.example.com/shop/checkout:1.4.0" }] },
  status: {
    phase: "Running",
    conditions: [{ type: "Ready", status: "True" }],
    containerStatuses: [
      { name: "checkout", ready: true, restartCount: 0, state: { running: { startedAt: "2024-05-01T08:00:10Z" } } },
    ],
  },
};

export const cartPod: K8sObject = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: {
    name: "cart-6d5f7c8b9-abcde",
    namespace: "shop",
    uid: "p-3",
    labels: { app: "cart" },
    creationTimestamp: "2024-04-20T00:00:00Z",
  },
  spec: { nodeName: "node-b", containers: [{ name: "cart", image: "registry.example.com/shop/cart:2.0.1" }] },
  status: {
    phase: "Running",
    containerStatuses: [{ name: "cart", ready: true, restartCount: 0, state: { running: {} } }],
  },
};

export const paymentsPod: K8sObject = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "payments-0", namespace: "payments", uid: "p-4", labels: { app: "payments" } },
  spec: { containers: [{ name: "payments", image: "payments:1" }] },
  status: { phase: "Running" },
};

export const checkoutConfig: K8sObject = {
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: {
    name: "checkout-config",
    namespace: "shop",
    uid: "cm-1",
    labels: { "app.kubernetes.io/name": "checkout" },
    creationTimestamp: "2024-04-01T00:00:00Z",
    annotations: {
      "kubectl.kubernetes.io/last-applied-configuration":
        '{"apiVersion":"v1","data":{"DATABASE_URL":"postgres://checkout:hunter2@db:5432/shop"},"kind":"ConfigMap"}',
    },
    managedFields: [
      { manager: "kubectl-client-side-apply", operation: "Update", time: "2024-04-01T00:00:00Z", fieldsV1: {} },
      { manager: "argocd-controller", operation: "Update", time: T.configChange, fieldsV1: { "f:data": {} } },
    ],
  },
  data: { DATABASE_URL: "postgres://checkout:hunter2@db:5432/shop", POOL_SIZE: "5" },
  binaryData: { "cert.der": "AAEC" },
};

export const publicFlags: K8sObject = {
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name: "feature-flags", namespace: "shop", uid: "cm-2", creationTimestamp: "2024-03-01T00:00:00Z" },
  data: { NEW_CHECKOUT: "on" },
};

export const nodeA: K8sObject = {
  apiVersion: "v1",
  kind: "Node",
  metadata: { name: "node-a", uid: "n-1", labels: { "kubernetes.io/hostname": "node-a" } },
  status: { conditions: [{ type: "Ready", status: "True" }] },
};

export const hpa: K8sObject = {
  apiVersion: "autoscaling/v2",
  kind: "HorizontalPodAutoscaler",
  metadata: { name: "checkout", namespace: "shop", uid: "h-1", creationTimestamp: "2024-04-01T00:00:00Z" },
  spec: {
    minReplicas: 1,
    maxReplicas: 3,
    scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "checkout" },
  },
  status: { currentReplicas: 3, desiredReplicas: 3 },
};

function event(name: string, fields: Record<string, unknown>): K8sObject {
  return {
    apiVersion: "v1",
    kind: "Event",
    metadata: { name, namespace: "shop", uid: `e-${name}`, creationTimestamp: fields.lastTimestamp as string },
    ...fields,
  };
}

export const events: K8sObject[] = [
  event("checkout.17c1", {
    involvedObject: { kind: "Deployment", namespace: "shop", name: "checkout", apiVersion: "apps/v1" },
    reason: "ScalingReplicaSet",
    message: "Scaled up replica set checkout-5c6b7d9f8 from 0 to 1",
    type: "Normal",
    source: { component: "deployment-controller" },
    firstTimestamp: T.scaleUp,
    lastTimestamp: T.scaleUp,
    count: 1,
  }),
  event("checkout.17c2", {
    involvedObject: { kind: "Deployment", namespace: "shop", name: "checkout", apiVersion: "apps/v1" },
    reason: "ScalingReplicaSet",
    message: "Scaled down replica set checkout-7f8c6b5d4 from 3 to 2",
    type: "Normal",
    source: { component: "deployment-controller" },
    firstTimestamp: T.scaleDown,
    lastTimestamp: T.scaleDown,
    count: 1,
  }),
  event("checkout-5c6b7d9f8-x2k4q.17c3", {
    involvedObject: { kind: "Pod", namespace: "shop", name: "checkout-5c6b7d9f8-x2k4q", apiVersion: "v1" },
    reason: "BackOff",
    message: "Back-off restarting failed container checkout in pod checkout-5c6b7d9f8-x2k4q",
    type: "Warning",
    source: { component: "kubelet", host: "node-a" },
    firstTimestamp: "2024-05-01T10:02:00Z",
    lastTimestamp: T.now,
    count: 7,
  }),
  event("cart-6d5f7c8b9-abcde.17c4", {
    involvedObject: { kind: "Pod", namespace: "shop", name: "cart-6d5f7c8b9-abcde", apiVersion: "v1" },
    reason: "Pulled",
    message: 'Container image "registry.example.com/shop/cart:2.0.1" already present on machine',
    type: "Normal",
    source: { component: "kubelet", host: "node-b" },
    firstTimestamp: "2024-04-20T00:00:05Z",
    lastTimestamp: "2024-04-20T00:00:05Z",
    count: 1,
  }),
];

export const objects: K8sObject[] = [
  deployment,
  replicaSetRev1,
  replicaSetRev2,
  crashingPod,
  oldPod,
  cartPod,
  paymentsPod,
  checkoutConfig,
  publicFlags,
  nodeA,
  hpa,
];

export const podLogs: Record<string, string> = {
  "shop/checkout-5c6b7d9f8-x2k4q": "starting checkout 1.5.0\nwarming cache\n",
  "shop/checkout-5c6b7d9f8-x2k4q:previous":
    "starting checkout 1.5.0\nwarming cache\nloaded 120000 products\njava.lang.OutOfMemoryError: Java heap space\n",
};
