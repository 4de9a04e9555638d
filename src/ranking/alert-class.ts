/**
 * An alert class is what two firings have in common when the same strategies should be tried first: the alert
 * name and the shape of its labels (which keys it carries), never their values. `HighLatency` on checkout and on
 * cart is one class; `HighLatency` with a `pod` label (a per-pod rule) is another.
 *
 * @example
 * alertClassOf({ alertname: "HighLatency", labels: { alertname: "HighLatency", service: "cart", severity: "page" } });
 * // "HighLatency{service,severity}"
 * alertClassOf(alert, { labels: ["service"] }); // "HighLatency{service}"
 */
import type { Alert } from "../../agents/types.ts";

/**
 * Keys that say where the alert was evaluated rather than what it is about: HA pairs and remote-write relays
 * add them to some deliveries and not others, which would split one class in two.
 */
export const IGNORED_CLASS_LABELS = ["alertname", "prometheus", "prometheus_replica", "replica", "receive", "__name__"];

export interface AlertClassOptions {
  /** Only these label keys count towards the shape (VIGIL_ALERT_CLASS_LABELS); default every key but the ignored. */
  labels?: string[];
}

/** Parses VIGIL_ALERT_CLASS_LABELS: comma-separated keys; empty or `*` means every key. */
export function parseClassLabels(value: string | undefined): string[] | undefined {
  const keys = (value ?? "")
    .split(",")
    .map((k) => k.trim())
    .filter(Boolean);
  if (keys.length === 0 || keys.includes("*")) return undefined;
  return keys;
}

export function alertClassOf(alert: Pick<Alert, "alertname" | "labels">, options: AlertClassOptions = {}): string {
  const name = (alert.alertname || alert.labels.alertname || "unknown").trim();
  const allowed = options.labels ? new Set(options.labels) : undefined;
  const keys = Object.keys(alert.labels)
    .map((k) => k.trim())
    .filter((k) => k && !IGNORED_CLASS_LABELS.includes(k) && (!allowed || allowed.has(k)));
  const shape = [...new Set(keys)].sort();
  return `${name}{${shape.join(",")}}`;
}

/** The alert name part of a class key, for matching `/vigil strategies HighLatency` against full keys. */
export function alertnameOfClass(alertClass: string): string {
  const brace = alertClass.indexOf("{");
  return brace < 0 ? alertClass : alertClass.slice(0, brace);
}
