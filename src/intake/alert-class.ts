import type { Alert } from "../../agents/types.ts";

/** Labels that vary per instance and never define what kind of alert it is. */
const INSTANCE_LABELS = new Set(["instance", "pod", "pod_name", "container_id", "endpoint", "uid", "__name__"]);

/**
 * The class of an alert: its name plus the shape of its labels (keys, not values), e.g.
 * `HighLatency{namespace,service,severity}`. Alerts of one class behave alike across services and days.
 */
export function alertClassOf(alert: Pick<Alert, "alertname" | "labels">, onlyLabels?: string[]): string {
  const keys = Object.keys(alert.labels)
    .filter((k) => k !== "alertname" && !INSTANCE_LABELS.has(k))
    .filter((k) => !onlyLabels || onlyLabels.includes(k))
    .sort();
  return `${alert.alertname}{${keys.join(",")}}`;
}
