import type { K8sObject, MetricSeries } from "../../../tools/interfaces.ts";

/** Parses a Kubernetes quantity: CPU in cores (`500m` → 0.5), memory in bytes (`256Mi` → 268435456). */
export function parseQuantity(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const m = /^([\d.]+)([a-zA-Z]*)$/.exec(text.trim());
  if (!m) return undefined;
  const units: Record<string, number> = {
    "": 1,
    m: 1e-3,
    k: 1e3,
    K: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
  };
  const unit = units[m[2]];
  return unit === undefined ? undefined : Number(m[1]) * unit;
}

/** Bytes per unit of a memory series, from its name (`_mib`, `_bytes`), else from its magnitude. */
export function memoryUnit(series: Pick<MetricSeries, "name" | "points">): number {
  const name = series.name.toLowerCase();
  if (/gib|_gb\b/.test(name)) return 2 ** 30;
  if (/mib|_mb\b|megabytes/.test(name)) return 2 ** 20;
  if (/kib|_kb\b/.test(name)) return 2 ** 10;
  if (/bytes/.test(name)) return 1;
  // No unit in the name: working sets of real containers are above 100 kB, so small numbers are MiB.
  const values = series.points.map(([, v]) => v).filter((v): v is number => typeof v === "number");
  const typical = values.length ? values[Math.floor(values.length / 2)] : 0;
  return typical > 1e5 ? 1 : 2 ** 20;
}

export interface ContainerLimits {
  cpuCores?: number;
  memoryBytes?: number;
}

/** Limits per `pod/container` (and per pod, the first container's, for series without a container label). */
export function limitsFromPods(pods: K8sObject[]): Map<string, ContainerLimits> {
  const out = new Map<string, ContainerLimits>();
  for (const pod of pods) {
    const spec = pod.spec as
      | { containers?: Array<{ name?: string; resources?: { limits?: Record<string, string> } }> }
      | undefined;
    for (const [i, c] of (spec?.containers ?? []).entries()) {
      const limits = {
        cpuCores: parseQuantity(c.resources?.limits?.cpu),
        memoryBytes: parseQuantity(c.resources?.limits?.memory),
      };
      out.set(`${pod.metadata.name}/${c.name}`, limits);
      if (i === 0) out.set(pod.metadata.name, limits);
    }
  }
  return out;
}

/** The limit series that goes with a usage series: same pod and container, a name that says limit. */
export function matchingLimitSeries(usage: MetricSeries, candidates: MetricSeries[]): MetricSeries | undefined {
  return candidates.find(
    (c) =>
      /limit/i.test(c.name) &&
      c.labels.pod === usage.labels.pod &&
      (c.labels.container ?? "") === (usage.labels.container ?? "") &&
      (c.labels.service ?? "") === (usage.labels.service ?? ""),
  );
}
