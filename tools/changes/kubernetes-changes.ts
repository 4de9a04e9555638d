import type {
  ChangeEvent,
  ChangesSource,
  ClusterKind,
  ClusterListOptions,
  ClusterSource,
  K8sObject,
  TimeRange,
  ToolError,
  ToolResult,
} from "../interfaces.ts";

const REVISION = "deployment.kubernetes.io/revision";
/** Config maps that change on their own and say nothing about a deploy. */
const NOISY_CONFIGMAPS = new Set(["kube-root-ca.crt", "istio-ca-root-cert"]);
const LEADER_ANNOTATION = "control-plane.alpha.kubernetes.io/leader";

export interface KubernetesChangesOptions {
  cluster: ClusterSource;
  /** Namespaces to read; absent reads all namespaces (the cluster source may still restrict them). */
  namespaces?: string[];
}

interface Snapshot {
  replicasets: K8sObject[];
  scalingEvents: K8sObject[];
  rescaleEvents: K8sObject[];
  configmaps: K8sObject[];
  deployments: K8sObject[];
  statefulsets: K8sObject[];
  hpas: K8sObject[];
}

function time(value: unknown): number | undefined {
  if (typeof value !== "string" && !(value instanceof Date)) return undefined;
  const t = new Date(value).getTime();
  return Number.isFinite(t) ? t : undefined;
}

function within(t: number | undefined, range: TimeRange): t is number {
  return t !== undefined && t >= range.from && t <= range.to;
}

function labelService(object: K8sObject | undefined): string | undefined {
  const labels = object?.metadata.labels ?? {};
  return labels["app.kubernetes.io/name"] ?? labels.app;
}

function ref(apiVersion: string, resource: string, object: { namespace?: string; name: string }): string {
  return object.namespace
    ? `${apiVersion}/namespaces/${object.namespace}/${resource}/${object.name}`
    : `${apiVersion}/${resource}/${object.name}`;
}

function containerImages(rs: K8sObject): Map<string, string> {
  const template = rs.spec?.template as
    | { spec?: { containers?: Array<{ name?: string; image?: string }> } }
    | undefined;
  const images = new Map<string, string>();
  for (const c of template?.spec?.containers ?? []) if (c.name && c.image) images.set(c.name, c.image);
  return images;
}

function revision(rs: K8sObject): number {
  const value = Number(rs.metadata.annotations?.[REVISION]);
  return Number.isFinite(value) ? value : 0;
}

/**
 * Deploys, image changes, scaling and config changes read from the cluster itself: ReplicaSet revisions (with the image
 * diff against the previous revision), `ScalingReplicaSet` and HPA `SuccessfulRescale` events, and ConfigMap writes.
 * Pod restarts are symptoms, not changes, and are left to the analyzers.
 *
 * @example
 * const changes = new KubernetesChangesSource({ cluster, namespaces: ["shop"] });
 * const res = await changes.listChanges({ from: alertAt - 3_600_000, to: alertAt });
 */
export class KubernetesChangesSource implements ChangesSource {
  readonly backend = "kubernetes";
  readonly #cluster: ClusterSource;
  readonly #namespaces?: string[];

  constructor(options: KubernetesChangesOptions) {
    this.#cluster = options.cluster;
    this.#namespaces = options.namespaces?.length ? options.namespaces : undefined;
  }

  async listChanges(range: TimeRange): Promise<ToolResult<ChangeEvent[]>> {
    const errors: ToolError[] = [];
    let truncated = false;
    const read = async (kind: ClusterKind, extra: ClusterListOptions = {}): Promise<K8sObject[]> => {
      const scopes = this.#namespaces ?? [undefined];
      const answers = await Promise.all(scopes.map((namespace) => this.#cluster.list(kind, { ...extra, namespace })));
      const out: K8sObject[] = [];
      for (const answer of answers) {
        if (!answer.ok) {
          errors.push(answer.error);
          continue;
        }
        truncated ||= answer.truncated;
        out.push(...answer.data);
      }
      return out;
    };
    const [replicasets, scalingEvents, rescaleEvents, configmaps, deployments, statefulsets, hpas] = await Promise.all([
      read("replicasets"),
      // Filtered on the server: a busy namespace has far more events than the item cap.
      read("events", { fieldSelector: "reason=ScalingReplicaSet" }),
      read("events", { fieldSelector: "reason=SuccessfulRescale" }),
      read("configmaps"),
      read("deployments"),
      read("statefulsets"),
      read("horizontalpodautoscalers"),
    ]);
    const reads = 7 * (this.#namespaces?.length ?? 1);
    if (errors.length === reads) return { ok: false, error: errors[0] };

    const snapshot: Snapshot = {
      replicasets,
      scalingEvents,
      rescaleEvents,
      configmaps,
      deployments,
      statefulsets,
      hpas,
    };
    const changes = [
      ...rolloutChanges(snapshot, range),
      ...eventChanges(snapshot, range),
      ...configChanges(snapshot.configmaps, range),
    ].sort((a, b) => a.t - b.t || a.ref.localeCompare(b.ref));
    // A failed read means changes may be missing: say so rather than fail the whole answer.
    return { ok: true, data: changes, truncated: truncated || errors.length > 0 };
  }
}

/** The service of a workload: its labels, else its own name. */
function serviceOf(snapshot: Snapshot, kind: string, namespace: string | undefined, name: string): string {
  const pool = kind === "Deployment" ? snapshot.deployments : kind === "StatefulSet" ? snapshot.statefulsets : [];
  const found = pool.find((o) => o.metadata.name === name && o.metadata.namespace === namespace);
  return labelService(found) ?? name;
}

function rolloutChanges(snapshot: Snapshot, range: TimeRange): ChangeEvent[] {
  const byOwner = new Map<string, K8sObject[]>();
  for (const rs of snapshot.replicasets) {
    const owner = rs.metadata.ownerReferences?.find((o) => o.kind === "Deployment");
    // A bare ReplicaSet is not a rollout of anything.
    if (!owner) continue;
    const key = `${rs.metadata.namespace}/${owner.name}`;
    byOwner.set(key, [...(byOwner.get(key) ?? []), rs]);
  }
  const changes: ChangeEvent[] = [];
  for (const [key, sets] of byOwner) {
    const deployment = key.slice(key.indexOf("/") + 1);
    sets.sort((a, b) => revision(a) - revision(b));
    for (const [i, rs] of sets.entries()) {
      const t = time(rs.metadata.creationTimestamp);
      if (!within(t, range)) continue;
      const { namespace, name } = rs.metadata;
      const service = labelService(rs) ?? serviceOf(snapshot, "Deployment", namespace, deployment);
      const entity = { kind: "ReplicaSet", namespace, name };
      const rsRef = ref("apps/v1", "replicasets", rs.metadata);
      const rev = revision(rs);
      changes.push({
        t,
        entity,
        type: "rollout",
        description: `deployment ${deployment} rolled out revision ${rev || "?"} (replica set ${name})`,
        service,
        source: "kubernetes",
        ref: rsRef,
      });
      const previous = sets[i - 1];
      if (!previous) continue;
      const before = containerImages(previous);
      for (const [container, image] of containerImages(rs)) {
        const old = before.get(container);
        if (old === image) continue;
        changes.push({
          t,
          entity,
          type: "image",
          description: old
            ? `deployment ${deployment} container ${container} image ${old} → ${image} (revision ${revision(previous)} → ${rev})`
            : `deployment ${deployment} added container ${container} with image ${image} (revision ${rev})`,
          service,
          source: "kubernetes",
          ref: rsRef,
        });
      }
    }
  }
  return changes;
}

interface EventFields {
  involvedObject?: { kind?: string; name?: string; namespace?: string };
  message?: string;
  firstTimestamp?: string;
  lastTimestamp?: string;
  eventTime?: string;
}

/** The latest occurrence of an event inside the range (an event with count > 1 spans first..last). */
function eventTime(event: K8sObject, range: TimeRange): number | undefined {
  const e = event as K8sObject & EventFields;
  const candidates = [e.lastTimestamp, e.eventTime, e.firstTimestamp, event.metadata.creationTimestamp].map(time);
  return candidates.find((t) => within(t, range));
}

function eventChanges(snapshot: Snapshot, range: TimeRange): ChangeEvent[] {
  const changes: ChangeEvent[] = [];
  for (const event of [...snapshot.scalingEvents, ...snapshot.rescaleEvents]) {
    const e = event as K8sObject & EventFields;
    const t = eventTime(event, range);
    const target = e.involvedObject;
    if (t === undefined || !target?.name || !target.kind) continue;
    const namespace = target.namespace ?? event.metadata.namespace;
    let service = serviceOf(snapshot, target.kind, namespace, target.name);
    if (target.kind === "HorizontalPodAutoscaler") {
      // An HPA scales its target; the change belongs to the target's service.
      const hpa = snapshot.hpas.find((h) => h.metadata.name === target.name && h.metadata.namespace === namespace);
      const scaleTarget = hpa?.spec?.scaleTargetRef as { kind?: string; name?: string } | undefined;
      if (scaleTarget?.name)
        service = serviceOf(snapshot, scaleTarget.kind ?? "Deployment", namespace, scaleTarget.name);
    }
    changes.push({
      t,
      entity: { kind: target.kind, namespace, name: target.name },
      type: "scale",
      description: `${target.kind.toLowerCase()} ${target.name}: ${e.message ?? "scaled"}`,
      service,
      source: "kubernetes",
      ref: ref("v1", "events", event.metadata),
    });
  }
  return changes;
}

function configChanges(configmaps: K8sObject[], range: TimeRange): ChangeEvent[] {
  const changes: ChangeEvent[] = [];
  for (const cm of configmaps) {
    const { name, namespace } = cm.metadata;
    if (NOISY_CONFIGMAPS.has(name) || cm.metadata.annotations?.[LEADER_ANNOTATION]) continue;
    const managed = Array.isArray(cm.metadata.managedFields)
      ? (cm.metadata.managedFields as Array<{ manager?: string; time?: string }>)
      : [];
    const writes = managed
      .map((m) => ({ manager: m.manager, t: time(m.time) }))
      .filter((m): m is { manager: string | undefined; t: number } => m.t !== undefined)
      .sort((a, b) => b.t - a.t);
    const created = time(cm.metadata.creationTimestamp);
    const last = writes[0];
    const t = last && (created === undefined || last.t > created) ? last.t : created;
    if (!within(t, range)) continue;
    const updated = t !== created;
    const by = updated && last?.manager ? ` by ${last.manager}` : "";
    changes.push({
      t,
      entity: { kind: "ConfigMap", namespace, name },
      type: "config",
      description: `config map ${name} ${updated ? "updated" : "created"}${by}`,
      service: labelService(cm) ?? cm.metadata.ownerReferences?.[0]?.name,
      source: "kubernetes",
      ref: ref("v1", "configmaps", cm.metadata),
    });
  }
  return changes;
}
