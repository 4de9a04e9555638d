import { createHash } from "node:crypto";
import type { Alert } from "../../agents/types.ts";
import type { WebhookAlert } from "../../tools/alertmanager/schema.ts";

/** Labels that name the service an alert is about, in order of preference. */
const SERVICE_LABELS = ["service", "service_name", "app", "app_kubernetes_io_name", "job", "container", "deployment"];

/** Alertmanager's own fingerprint when given; otherwise a stable hash of the label set. */
export function fingerprintOf(labels: Record<string, string>): string {
  const canonical = Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join("\u0000");
  return createHash("sha256").update(canonical).digest("hex").slice(0, 16);
}

export function serviceOf(labels: Record<string, string>): string | undefined {
  for (const key of SERVICE_LABELS) if (labels[key]) return labels[key];
  return undefined;
}

export class AlertValidationError extends Error {}

/** A NUL, or a UTF-16 surrogate without its pair (JSON allows both; Postgres text and jsonb refuse them). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching NUL is the point.
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Replace what Postgres cannot store with U+FFFD, so a strange label costs a character instead of the alert. */
export function storableText(text: string): string {
  return text.replace(UNSTORABLE, "\ufffd");
}

function storableRecord(record: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(record)) out[storableText(key)] = storableText(value);
  return out;
}

/** The alert with every string made storable (whatever its source: webhook, Slack, CLI). */
export function storableAlert(alert: Alert): Alert {
  return {
    ...alert,
    fingerprint: storableText(alert.fingerprint),
    alertname: storableText(alert.alertname),
    labels: storableRecord(alert.labels),
    annotations: storableRecord(alert.annotations),
    service: alert.service === undefined ? undefined : storableText(alert.service),
    generatorURL: alert.generatorURL === undefined ? undefined : storableText(alert.generatorURL),
  };
}

/** Turn one webhook alert into Vigil's alert; an unparseable start time is a validation error, not a crash. */
export function normalizeWebhookAlert(alert: WebhookAlert): Alert {
  const startsAt = Date.parse(alert.startsAt);
  if (Number.isNaN(startsAt))
    throw new AlertValidationError(`startsAt is not a valid time: ${alert.startsAt.slice(0, 64)}`);
  // Years outside 2000..2200 are clock bugs or hostile input; they would make every query range absurd.
  const year = new Date(startsAt).getUTCFullYear();
  if (year < 2000 || year > 2200) throw new AlertValidationError(`startsAt is out of range: ${alert.startsAt}`);
  // The fingerprint comes from the labels as sent, so dedupe holds; Intake redacts and sanitizes before storing.
  return {
    fingerprint: alert.fingerprint || fingerprintOf(alert.labels),
    alertname: alert.labels.alertname ?? "unnamed",
    status: alert.status,
    labels: alert.labels,
    annotations: alert.annotations,
    startsAt,
    service: serviceOf(alert.labels),
    generatorURL: alert.generatorURL,
  };
}
