/**
 * Recovers an alert from a Slack message, usually the parent of the thread where someone wrote `@vigil`.
 *
 * Understands Vigil's own alert messages (through their `vigil_alert` metadata) and the notification formats
 * alert bots commonly post: Alertmanager's default `[FIRING:1] AlertName (values…)` title, the popular
 * `*Alert:* … / *Details:* • *name:* \`value\`` templates, Grafana's `Labels: - name = value` lists,
 * `alertname: X` lines, attachment fields and `{name="value"}` label sets. Never throws: unknown shapes give null.
 *
 * @example
 * const alert = alertFromSlackMessage(parentMessage);
 * if (!alert) await say("I could not find an alert in this thread");
 */
import { z } from "zod";
import type { Alert } from "../../agents/types.ts";
import { fingerprintOf, serviceOf } from "../intake/normalize-alert.ts";
import { ALERT_METADATA_EVENT_TYPE } from "./blocks.ts";

const looseString = z.string().optional().catch(undefined);

const fieldSchema = z.looseObject({ title: looseString, value: looseString });

const attachmentSchema = z.looseObject({
  title: looseString,
  title_link: looseString,
  pretext: looseString,
  text: looseString,
  fallback: looseString,
  fields: z.array(z.unknown()).optional().catch(undefined),
});

const messageSchema = z.looseObject({
  ts: z.union([z.string(), z.number()]).optional().catch(undefined),
  text: looseString,
  attachments: z.array(z.unknown()).optional().catch(undefined),
  blocks: z.array(z.unknown()).optional().catch(undefined),
  metadata: z.unknown().optional(),
});

const labelRecord = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String));

const vigilMetadataSchema = z.object({
  event_type: z.literal(ALERT_METADATA_EVENT_TYPE),
  event_payload: z.object({
    fingerprint: z.string().min(1),
    alertname: z.string().min(1),
    status: z.enum(["firing", "resolved"]).optional().catch(undefined),
    labels: labelRecord.optional().catch(undefined),
    annotations: labelRecord.optional().catch(undefined),
    startsAt: z.coerce.number().optional().catch(undefined),
    service: looseString,
    generatorURL: looseString,
  }),
});

/** The shape every recovered alert must have; the last guard before it enters Vigil. */
const alertSchema = z.object({
  fingerprint: z.string().min(1),
  alertname: z.string().min(1).max(300),
  status: z.enum(["firing", "resolved"]),
  labels: z.record(z.string(), z.string()),
  annotations: z.record(z.string(), z.string()),
  startsAt: z.number().finite().positive(),
  service: z.string().optional(),
  generatorURL: z.string().optional(),
});

/** Label names in Prometheus: what a `name = value` line must look like to count as a label. */
const LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Keys that are labels even outside a "Labels:" list. */
const KNOWN_LABEL_KEYS = new Set([
  "alertname",
  "severity",
  "service",
  "service_name",
  "namespace",
  "pod",
  "job",
  "instance",
  "cluster",
  "env",
  "environment",
  "team",
  "container",
  "deployment",
  "priority",
  "app",
  "node",
]);
const ANNOTATION_KEYS: Record<string, string> = {
  summary: "summary",
  description: "description",
  message: "message",
  runbook: "runbook_url",
  runbook_url: "runbook_url",
  dashboard: "dashboard_url",
  impact: "impact",
};
const URL_KEYS = new Set(["graph", "source", "generator_url", "generatorurl", "query"]);
const TIME_KEYS = new Set([
  "starts_at",
  "startsat",
  "started",
  "started_at",
  "since",
  "fired_at",
  "start",
  "firing_since",
]);
const MAX_VALUE_LENGTH = 2000;
const MAX_TEXT_LENGTH = 40_000;
const MAX_LINE_LENGTH = 2000;

type Section = "labels" | "annotations" | undefined;

interface Collected {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  titleAlertname?: string;
  alertHint?: string;
  status?: "firing" | "resolved";
  fingerprint?: string;
  generatorURL?: string;
  startsAt?: number;
}

/**
 * Returns the alert a Slack message describes, or null when no alert name can be found.
 * `message` is whatever Slack returned (conversations.replies / history / an event); it is validated here.
 */
export function alertFromSlackMessage(message: unknown): Alert | null {
  try {
    return parse(message);
  } catch {
    // Hostile or bizarre input must never take the router down; "no alert" is the honest answer.
    return null;
  }
}

function parse(input: unknown): Alert | null {
  const parsed = messageSchema.safeParse(input);
  if (!parsed.success) return null;
  const message = parsed.data;
  const messageMs = tsToMs(message.ts);

  const own = vigilMetadataSchema.safeParse(message.metadata);
  if (own.success) return fromMetadata(own.data.event_payload, messageMs);

  const collected: Collected = { labels: {}, annotations: {} };
  for (const raw of (message.attachments ?? []).slice(0, 20)) {
    const attachment = attachmentSchema.safeParse(raw);
    if (!attachment.success) continue;
    const { title, title_link, pretext, text, fallback, fields } = attachment.data;
    for (const chunk of [title, pretext, text]) if (chunk) collectText(chunk, collected);
    for (const rawField of fields ?? []) {
      const field = fieldSchema.safeParse(rawField);
      if (field.success && field.data.title && field.data.value)
        collectField(field.data.title, field.data.value, collected);
    }
    if (fallback) collectText(fallback, collected);
    // Alertmanager's title links to itself, not to the query; only keep it when nothing better turns up.
    if (title_link && !collected.generatorURL && /\/graph\?|\/explore|\/alerting\//.test(title_link)) {
      collected.generatorURL = title_link;
    }
  }
  if (message.text) collectText(message.text, collected);
  for (const chunk of blockTexts((message.blocks ?? []).slice(0, 50))) collectText(chunk, collected);

  return build(collected, messageMs);
}

function fromMetadata(payload: z.infer<typeof vigilMetadataSchema>["event_payload"], messageMs: number | undefined) {
  const labels = { ...(payload.labels ?? {}), alertname: payload.labels?.alertname ?? payload.alertname };
  const alert = {
    fingerprint: payload.fingerprint,
    alertname: payload.alertname,
    status: payload.status ?? "firing",
    labels,
    annotations: payload.annotations ?? {},
    startsAt: payload.startsAt && payload.startsAt > 0 ? payload.startsAt : (messageMs ?? Date.now()),
    service: payload.service ?? serviceOf(labels),
    ...(payload.generatorURL ? { generatorURL: payload.generatorURL } : {}),
  };
  return validated(alert);
}

function build(collected: Collected, messageMs: number | undefined): Alert | null {
  const hint = collected.alertHint?.replace(/\s+-\s+\S+$/, "").trim();
  const hintIsName = hint ? LABEL_NAME.test(hint) : false;
  const alertname =
    collected.labels.alertname ??
    (hintIsName ? hint : undefined) ??
    collected.titleAlertname ??
    (hint && hint.length > 0 ? hint : undefined);
  if (!alertname) return null;
  if (hint && !hintIsName && !collected.annotations.summary) collected.annotations.summary = hint;

  const labels = { ...collected.labels, alertname: collected.labels.alertname ?? alertname };
  const alert = {
    fingerprint: collected.fingerprint ?? fingerprintOf(labels),
    alertname,
    status: collected.status ?? "firing",
    labels,
    annotations: collected.annotations,
    startsAt: collected.startsAt ?? messageMs ?? Date.now(),
    service: serviceOf(labels),
    ...(collected.generatorURL ? { generatorURL: collected.generatorURL } : {}),
  };
  return validated(alert);
}

function validated(alert: unknown): Alert | null {
  const result = alertSchema.safeParse(alert);
  if (!result.success) return null;
  const { service, generatorURL, ...rest } = result.data;
  return { ...rest, ...(service ? { service } : {}), ...(generatorURL ? { generatorURL } : {}) };
}

function collectText(text: string, into: Collected): void {
  let section: Section;
  // Alert notifications are short; the caps bound the regex work a hostile message can cause.
  for (const fullLine of text.slice(0, MAX_TEXT_LENGTH).split(/\r?\n/)) {
    const rawLine = fullLine.slice(0, MAX_LINE_LENGTH);
    const title = /\[(FIRING|RESOLVED)(?::\s*\d+)?\]\s*([^\s(|]+)/i.exec(decode(rawLine));
    if (title?.[1] && title[2]) {
      into.status ??= title[1].toUpperCase() === "FIRING" ? "firing" : "resolved";
      into.titleAlertname ??= title[2].replace(/[.,:;]+$/, "");
    }

    for (const [name, value] of braceLabels(rawLine)) setOnce(into.labels, name, value);

    const isItem = /^\s+\S|^\s*[-•*◦▪]\s/.test(rawLine);
    const line = normalizeLine(rawLine);
    if (!line) continue;
    const heading = /^(labels|common labels|details|annotations|common annotations)\s*:?$/i.exec(line);
    if (heading?.[1]) {
      section = heading[1].toLowerCase().includes("annotation") ? "annotations" : "labels";
      continue;
    }
    // A list ends at the first line that is neither a bullet nor indented.
    if (section && !isItem) section = undefined;

    const pairs = tokenPairs(line);
    if (pairs.length >= 2) {
      for (const [name, value] of pairs) setOnce(into.labels, name, value);
      continue;
    }
    const kv = keyValue(line);
    if (kv) route(kv.key, kv.value, kv.separator, section, into, rawLine);
  }
}

function collectField(title: string, value: string, into: Collected): void {
  const key = normalizeLine(title).replace(/:$/, "");
  if (/^(labels|common labels|details)$/i.test(key)) {
    collectList(value, "labels", into);
    return;
  }
  if (/^(annotations|common annotations)$/i.test(key)) {
    collectList(value, "annotations", into);
    return;
  }
  route(key, normalizeLine(value.slice(0, MAX_LINE_LENGTH)), ":", undefined, into, value.slice(0, MAX_LINE_LENGTH));
}

// A field's value is a list without a heading line: every line belongs to the section.
function collectList(value: string, section: Section, into: Collected): void {
  for (const fullLine of value.slice(0, MAX_TEXT_LENGTH).split(/\r?\n/)) {
    const rawLine = fullLine.slice(0, MAX_LINE_LENGTH);
    const kv = keyValue(normalizeLine(rawLine));
    if (kv) route(kv.key, kv.value, kv.separator, section, into, rawLine);
  }
}

function route(key: string, value: string, separator: string, section: Section, into: Collected, rawLine: string) {
  const trimmed = value.slice(0, MAX_VALUE_LENGTH).trim();
  if (!trimmed) return;
  if (section === "labels") {
    if (LABEL_NAME.test(key)) setOnce(into.labels, key, trimmed);
    return;
  }
  if (section === "annotations") {
    setOnce(into.annotations, key, trimmed);
    return;
  }
  const name = key.toLowerCase().replace(/[\s-]+/g, "_");
  // `name = value` is Prometheus label syntax wherever it appears.
  if (separator === "=" && LABEL_NAME.test(key)) {
    setOnce(into.labels, key, trimmed);
    return;
  }
  if (name === "alertname" || name === "alert_name") return setOnce(into.labels, "alertname", firstToken(trimmed));
  if (name === "alert") {
    into.alertHint ??= trimmed;
    return;
  }
  if (name === "status" || name === "state") {
    const status = /resolved|ok|normal/i.test(trimmed)
      ? "resolved"
      : /firing|alerting|pending/i.test(trimmed)
        ? "firing"
        : undefined;
    if (status) into.status ??= status;
    return;
  }
  if (name === "fingerprint") {
    if (/^[0-9a-f]{8,64}$/i.test(trimmed)) into.fingerprint ??= trimmed.toLowerCase();
    return;
  }
  if (URL_KEYS.has(name)) {
    into.generatorURL ??= firstUrl(rawLine) ?? (trimmed.startsWith("http") ? trimmed : undefined);
    return;
  }
  if (TIME_KEYS.has(name)) {
    const ms = parseTime(trimmed);
    if (ms !== undefined) into.startsAt ??= ms;
    return;
  }
  const annotation = ANNOTATION_KEYS[name];
  if (annotation) return setOnce(into.annotations, annotation, trimmed);
  if (KNOWN_LABEL_KEYS.has(name)) setOnce(into.labels, name, firstToken(trimmed));
}

/** Strips Slack markup so "• *service:* `checkout`" reads "service: checkout". */
function normalizeLine(line: string): string {
  return decode(line)
    .replace(/^\s*[-•*◦▪]\s+/, "")
    .replace(/\*([^*\n]+?)\*/g, "$1")
    .replace(/(^|\s)_([^_\n]+?)_(?=\s|$)/g, "$1$2")
    .replace(/`/g, "")
    .trim();
}

/** Slack's control sequences: links become their text, mentions vanish, entities are decoded. */
function decode(text: string): string {
  return text
    .replace(/<(https?:\/\/[^|>]+)\|([^>]*)>/g, "$2")
    .replace(/<(https?:\/\/[^>]+)>/g, "$1")
    .replace(/<[@#!][^>]*>/g, "")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

function keyValue(line: string): { key: string; value: string; separator: string } | undefined {
  const equals = /^([A-Za-z_][A-Za-z0-9_.\-/]*)\s*=\s*(.+)$/.exec(line);
  if (equals?.[1] && equals[2]) return { key: equals[1], value: unquote(equals[2]), separator: "=" };
  // The space after ":" keeps URLs ("http://…") from reading as keys.
  const colon = /^([A-Za-z][A-Za-z0-9_ .\-/]{0,40}?)\s*:\s+(.+)$/.exec(line);
  if (colon?.[1] && colon[2]) return { key: colon[1].trim(), value: colon[2], separator: ":" };
  return undefined;
}

/** `alertname=HighLatency service=checkout` on one line, as someone might type after @vigil. */
function tokenPairs(line: string): Array<[string, string]> {
  // Pairs separated by whitespace, values without "=": keeps the check linear on hostile input.
  if (!/^[A-Za-z_]\w*=(?:"[^"]*"|[^\s"=]+)(?:\s+[A-Za-z_]\w*=(?:"[^"]*"|[^\s"=]+))*$/.test(line)) return [];
  return [...line.matchAll(/([A-Za-z_]\w*)=("[^"]*"|[^\s"=]+)/g)].map((m) => [m[1] ?? "", unquote(m[2] ?? "")]);
}

/** `{alertname="X", service="y"}`: the label-set notation Prometheus and Alertmanager print. */
function braceLabels(line: string): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (const set of decode(line).matchAll(/\{([^{}]*=\s*"[^{}]*)\}/g)) {
    for (const m of (set[1] ?? "").matchAll(/([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"/g)) {
      if (m[1]) pairs.push([m[1], m[2] ?? ""]);
    }
  }
  return pairs;
}

function blockTexts(blocks: unknown[]): string[] {
  const texts: string[] = [];
  for (const block of blocks) {
    if (!isRecord(block)) continue;
    if (block.type === "rich_text") {
      texts.push(richText(block.elements));
      continue;
    }
    if (isRecord(block.text) && typeof block.text.text === "string") texts.push(block.text.text);
    for (const list of [block.fields, block.elements]) {
      if (!Array.isArray(list)) continue;
      for (const item of list) if (isRecord(item) && typeof item.text === "string") texts.push(item.text);
    }
  }
  return texts;
}

function richText(elements: unknown): string {
  if (!Array.isArray(elements)) return "";
  let text = "";
  for (const element of elements) {
    if (!isRecord(element)) continue;
    if (typeof element.text === "string") text += element.text;
    else if (element.type === "link" && typeof element.url === "string") text += element.url;
    if (Array.isArray(element.elements)) text += `${richText(element.elements)}\n`;
  }
  return text;
}

function setOnce(target: Record<string, string>, key: string, value: string): void {
  // The first alert of a grouped notification wins; later ones would otherwise blend into a label set no alert had.
  if (target[key] === undefined && value) target[key] = value.slice(0, MAX_VALUE_LENGTH);
}

function firstToken(value: string): string {
  return value.split(/\s+/)[0] ?? value;
}

function firstUrl(line: string): string | undefined {
  return /<(https?:\/\/[^|>]+)[|>]/.exec(line)?.[1] ?? /(https?:\/\/\S+)/.exec(decode(line))?.[1];
}

function unquote(value: string): string {
  const trimmed = value.trim();
  return /^".*"$/.test(trimmed) ? trimmed.slice(1, -1) : trimmed;
}

function parseTime(value: string): number | undefined {
  const ms = Date.parse(value.replace(/ \+0000 UTC$/, "Z").replace(/ UTC$/, "Z"));
  if (Number.isNaN(ms)) return undefined;
  // The same sanity window intake uses: anything else is a clock bug or hostile input.
  const year = new Date(ms).getUTCFullYear();
  return year >= 2000 && year <= 2200 ? ms : undefined;
}

function tsToMs(ts: string | number | undefined): number | undefined {
  const seconds = typeof ts === "number" ? ts : Number.parseFloat(ts ?? "");
  if (!Number.isFinite(seconds) || seconds <= 0) return undefined;
  return Math.round(seconds * 1000);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
