/**
 * Block Kit rendering for Vigil's Slack messages: the alert post, the "investigating" progress message and the
 * final summary with feedback buttons. Pure functions: they never call Slack.
 *
 * @example
 * const message = renderSummary(result, "inv-42", { webUrl: "https://vigil.example.com" });
 * await client.chat.postMessage({ channel, thread_ts, ...message });
 */

import type { types } from "@slack/bolt";
import type { Alert, Evidence, InvestigationResult } from "../../agents/types.ts";
import { redactDeep } from "../../tools/redact/redact.ts";

export type SlackBlock = types.KnownBlock;

export const FEEDBACK_BLOCK_ID = "vigil_feedback";
export const FEEDBACK_CORRECT_ACTION_ID = "vigil_feedback_correct";
export const FEEDBACK_PARTIAL_ACTION_ID = "vigil_feedback_partial";
export const FEEDBACK_WRONG_ACTION_ID = "vigil_feedback_wrong";
export const FEEDBACK_ACTION_IDS = [
  FEEDBACK_CORRECT_ACTION_ID,
  FEEDBACK_PARTIAL_ACTION_ID,
  FEEDBACK_WRONG_ACTION_ID,
] as const;

/** `metadata.event_type` of the alert messages Vigil posts, so it can recover the alert from its own message. */
export const ALERT_METADATA_EVENT_TYPE = "vigil_alert";
/** `metadata.event_type` of the progress message in a thread, so a retried attempt finds the one it already posted. */
export const INVESTIGATION_METADATA_EVENT_TYPE = "vigil_investigation";

/** Slack's documented limits; exceeding them makes chat.postMessage fail with invalid_blocks. */
export const SLACK_LIMITS = {
  sectionText: 3000,
  headerText: 150,
  contextElementText: 2000,
  blocks: 50,
  // Slack truncates `text` beyond 40k, but notifications and screen readers show the start: keep it short.
  fallbackText: 3000,
} as const;

const MAX_EVIDENCE_BULLETS = 5;
const MIN_EVIDENCE_BULLETS = 2;
const MAX_LIST_ITEMS = 6;

export interface SlackMessage {
  text: string;
  blocks: SlackBlock[];
  metadata?: { event_type: string; event_payload: Record<string, string | number | boolean | Record<string, string>> };
}

export interface InvestigationProgress {
  strategiesDone: number;
  strategiesTotal: number;
  note?: string;
}

export interface RenderSummaryOptions {
  /** Public base URL of Vigil's web UI; the summary links to `${webUrl}/investigations/${id}`. */
  webUrl?: string;
}

/** The alert as Vigil posts it into the channel when it came from the webhook. */
export function renderAlertMessage(unsafe: Alert): SlackMessage {
  // Alert text comes from anywhere (annotations can hold a connection string): nothing unredacted reaches Slack.
  const alert = redactDeep(unsafe);
  const status = alert.status === "firing" ? "FIRING" : "RESOLVED";
  const icon = alert.status === "firing" ? "🔥" : "✅";
  const summary = alert.annotations.summary ?? alert.annotations.description ?? "";
  const fields = compactFields([
    ["Service", alert.service],
    ["Severity", alert.labels.severity],
    ["Namespace", alert.labels.namespace],
    ["Started", slackDate(alert.startsAt)],
  ]);
  const blocks: SlackBlock[] = [header(`${icon} [${status}] ${alert.alertname}`)];
  if (summary) blocks.push(section(escapeMrkdwn(summary)));
  if (alert.annotations.description && alert.annotations.description !== summary) {
    blocks.push(section(escapeMrkdwn(alert.annotations.description)));
  }
  if (fields.length > 0) blocks.push({ type: "section", fields });
  blocks.push(context(labelsLine(alert.labels)));
  if (alert.generatorURL) blocks.push(context(`<${escapeUrl(alert.generatorURL)}|Source query>`));
  return {
    text: truncate(`[${status}] ${alert.alertname}${summary ? ` — ${summary}` : ""}`, SLACK_LIMITS.fallbackText),
    blocks,
    metadata: {
      event_type: ALERT_METADATA_EVENT_TYPE,
      event_payload: {
        fingerprint: alert.fingerprint,
        alertname: alert.alertname,
        status: alert.status,
        labels: alert.labels,
        // Annotations can be long; the payload is for recovering the alert, the blocks carry the full text.
        annotations: Object.fromEntries(Object.entries(alert.annotations).map(([k, v]) => [k, truncate(v, 500)])),
        startsAt: alert.startsAt,
        ...(alert.service ? { service: alert.service } : {}),
        ...(alert.generatorURL ? { generatorURL: alert.generatorURL } : {}),
      },
    },
  };
}

/** The message Vigil posts in the thread as soon as it starts, edited in place as strategies report. */
export function renderRunning(unsafe: Alert, progress: InvestigationProgress, investigationId?: string): SlackMessage {
  const alert = redactDeep(unsafe);
  const total = Math.max(0, Math.floor(progress.strategiesTotal));
  const done = Math.min(total, Math.max(0, Math.floor(progress.strategiesDone)));
  const target = alert.service ? ` on *${escapeMrkdwn(alert.service)}*` : "";
  const counter = total > 0 ? `${progressBar(done, total)}  ${done}/${total} strategies done` : "planning strategies…";
  const blocks: SlackBlock[] = [
    section(`:mag: Investigating *${escapeMrkdwn(alert.alertname)}*${target}`),
    context(counter),
  ];
  if (progress.note) blocks.push(context(escapeMrkdwn(progress.note)));
  return {
    text: truncate(`Investigating ${alert.alertname}: ${done}/${total} strategies done`, SLACK_LIMITS.fallbackText),
    blocks,
    ...(investigationId
      ? {
          metadata: {
            event_type: INVESTIGATION_METADATA_EVENT_TYPE,
            event_payload: { investigation_id: investigationId },
          },
        }
      : {}),
  };
}

/**
 * The final thread message. Follows DESIGN.md: what is going on, the likely cause with a confidence and why it is
 * not higher, 2–5 evidence bullets that each open the evidence, what was ruled out, next steps, feedback buttons.
 * An abstained result renders quietly: no conclusive cause, the strongest lead and what was checked.
 */
export function renderSummary(
  unsafe: InvestigationResult,
  investigationId: string,
  options: RenderSummaryOptions = {},
): SlackMessage {
  const result = redactDeep(unsafe);
  const message = result.abstained
    ? renderAbstained(result, investigationId, options)
    : renderConclusive(result, investigationId, options);
  // Defensive: the block count is bounded by construction, but the limit is a hard API error.
  const blocks =
    message.blocks.length > SLACK_LIMITS.blocks
      ? [...message.blocks.slice(0, SLACK_LIMITS.blocks - 1), message.blocks[message.blocks.length - 1] as SlackBlock]
      : message.blocks;
  return { ...message, blocks };
}

function renderConclusive(result: InvestigationResult, id: string, options: RenderSummaryOptions): SlackMessage {
  const { summary } = result;
  const confidence = percent(summary.confidence);
  const blocks: SlackBlock[] = [header(summary.headline || `${result.alert.alertname}: likely cause found`)];
  if (summary.whatIsGoingOn) blocks.push(section(`*What is going on*\n${escapeMrkdwn(summary.whatIsGoingOn)}`));

  const cause = summary.likelyCause ?? strongestLead(result) ?? "unclear";
  const whyNot =
    summary.whyNotHigher.length > 0 ? `\n_Why not higher:_ ${summary.whyNotHigher.map(escapeMrkdwn).join("; ")}` : "";
  blocks.push(section(`*Likely cause* (confidence ${confidence})\n${escapeMrkdwn(cause)}${whyNot}`));

  const evidence = evidenceBullets(result);
  if (evidence.length > 0) blocks.push(section(bulletSection("Evidence", evidence)));
  if (summary.ruledOut.length > 0) blocks.push(section(bulletSection("Ruled out", summary.ruledOut.map(escapeMrkdwn))));
  if (summary.nextSteps.length > 0)
    blocks.push(section(bulletSection("Next steps", summary.nextSteps.map(escapeMrkdwn))));
  blocks.push(context(footer(result, id, options)), feedbackActions(id));

  const text = `${summary.headline || result.alert.alertname} — likely cause: ${cause} (confidence ${confidence})`;
  return { text: truncate(text, SLACK_LIMITS.fallbackText), blocks };
}

function renderAbstained(result: InvestigationResult, id: string, options: RenderSummaryOptions): SlackMessage {
  const { summary } = result;
  const lead = summary.likelyCause ?? strongestLead(result);
  const leadLine = lead
    ? `Strongest lead: ${escapeMrkdwn(lead)} (confidence ${percent(summary.confidence)}, below the threshold).`
    : "No lead stood out.";
  const blocks: SlackBlock[] = [
    section(
      `:grey_question: *No conclusive cause* for *${escapeMrkdwn(result.alert.alertname)}* yet.\n${leadLine}` +
        (summary.whatIsGoingOn ? `\n${escapeMrkdwn(summary.whatIsGoingOn)}` : ""),
    ),
  ];
  const checked = checkedItems(result);
  if (checked.length > 0) blocks.push(section(bulletSection("What I checked", checked)));
  const evidence = evidenceBullets(result);
  if (evidence.length > 0) blocks.push(section(bulletSection("Closest evidence", evidence)));
  if (summary.nextSteps.length > 0)
    blocks.push(section(bulletSection("Next steps", summary.nextSteps.map(escapeMrkdwn))));
  blocks.push(context(footer(result, id, options)), feedbackActions(id));
  const text = `No conclusive cause for ${result.alert.alertname}. ${lead ? `Strongest lead: ${lead}.` : "No lead stood out."}`;
  return { text: truncate(text, SLACK_LIMITS.fallbackText), blocks };
}

function feedbackActions(investigationId: string): SlackBlock {
  return {
    type: "actions",
    block_id: FEEDBACK_BLOCK_ID,
    elements: [
      button(FEEDBACK_CORRECT_ACTION_ID, "✅ Correct", investigationId, "primary"),
      button(FEEDBACK_PARTIAL_ACTION_ID, "🤏 Not quite", investigationId),
      button(FEEDBACK_WRONG_ACTION_ID, "❌ Wrong", investigationId, "danger"),
    ],
  };
}

function button(actionId: string, text: string, value: string, style?: "primary" | "danger") {
  return {
    type: "button" as const,
    action_id: actionId,
    text: { type: "plain_text" as const, text, emoji: true },
    // Slack caps button values at 2000 characters; investigation ids are far shorter.
    value: truncate(value, 2000),
    ...(style ? { style } : {}),
  };
}

/** Summary evidence first (it is what the claims cite), then the top candidate's, up to five bullets. */
function evidenceBullets(result: InvestigationResult): string[] {
  const byId = new Map<string, Evidence>();
  for (const candidate of result.candidates) {
    for (const evidence of candidate.evidence) byId.set(evidence.id, evidence);
  }
  const items: Array<{ text: string; link?: string; ref?: string }> = result.summary.evidence.map((item) => {
    const record = byId.get(item.evidenceId);
    return { text: item.text, link: item.link ?? record?.link, ref: record?.ref };
  });
  // DESIGN.md asks for at least two bullets when there is evidence to show.
  const cited = new Set(result.summary.evidence.map((item) => item.evidenceId));
  for (const evidence of result.candidates[0]?.evidence ?? []) {
    if (items.length >= MIN_EVIDENCE_BULLETS) break;
    if (cited.has(evidence.id)) continue;
    items.push({ text: evidence.summary, link: evidence.link, ref: evidence.ref });
  }
  return items.slice(0, MAX_EVIDENCE_BULLETS).map(({ text, link, ref }) => {
    if (link) return `<${escapeUrl(link)}|${escapeLinkText(text)}>`;
    if (ref) return `${escapeMrkdwn(text)} ${code(ref)}`;
    return escapeMrkdwn(text);
  });
}

function checkedItems(result: InvestigationResult): string[] {
  const items: string[] = [];
  for (const strategy of result.strategies) {
    const checked = strategy.checked.slice(0, 3).map(escapeMrkdwn).join(", ");
    const errors =
      strategy.errors.length > 0 ? ` _(could not read: ${strategy.errors.map(escapeMrkdwn).join(", ")})_` : "";
    items.push(`*${escapeMrkdwn(strategy.name)}*${checked ? `: ${checked}` : ""}${errors}`);
  }
  if (items.length <= MAX_LIST_ITEMS) return items;
  return [...items.slice(0, MAX_LIST_ITEMS), `…and ${items.length - MAX_LIST_ITEMS} more strategies`];
}

function strongestLead(result: InvestigationResult): string | undefined {
  const top = result.candidates[0];
  if (!top) return undefined;
  return `${top.mechanism} in ${top.entity ?? top.service}`;
}

function footer(result: InvestigationResult, id: string, options: RenderSummaryOptions): string {
  const idText = options.webUrl
    ? `<${escapeUrl(`${options.webUrl.replace(/\/+$/, "")}/investigations/${encodeURIComponent(id)}`)}|${escapeLinkText(id)}>`
    : code(id);
  const seconds = (result.durationMs / 1000).toFixed(1);
  return `Investigation ${idText} · ${result.strategies.length} strategies · ${result.toolCalls.length} queries · ${seconds} s${result.llm.used ? " · LLM-assisted" : ""}`;
}

/** Adds bullets until the section would exceed Slack's limit, then says how many were left out. */
function bulletSection(title: string, items: string[]): string {
  let text = `*${title}*`;
  for (const [index, item] of items.entries()) {
    const line = `\n• ${item}`;
    const remaining = items.length - index;
    if (text.length + line.length > SLACK_LIMITS.sectionText - 40) {
      return `${text}\n…and ${remaining} more`;
    }
    text += line;
  }
  return text;
}

function header(text: string): SlackBlock {
  return { type: "header", text: { type: "plain_text", text: truncate(text, SLACK_LIMITS.headerText), emoji: true } };
}

function section(text: string): SlackBlock {
  return { type: "section", text: { type: "mrkdwn", text: truncate(text, SLACK_LIMITS.sectionText) } };
}

function context(text: string): SlackBlock {
  return { type: "context", elements: [{ type: "mrkdwn", text: truncate(text, SLACK_LIMITS.contextElementText) }] };
}

function compactFields(pairs: Array<[string, string | undefined]>) {
  return pairs
    .filter((pair): pair is [string, string] => Boolean(pair[1]))
    .map(([name, value]) => ({ type: "mrkdwn" as const, text: truncate(`*${name}*\n${value}`, 2000) }));
}

function labelsLine(labels: Record<string, string>): string {
  const pairs = Object.keys(labels)
    .sort()
    .map((key) => code(`${key}=${labels[key]}`));
  return pairs.length > 0 ? pairs.join(" ") : "_no labels_";
}

function slackDate(ms: number): string | undefined {
  if (!Number.isFinite(ms) || ms <= 0) return undefined;
  const seconds = Math.floor(ms / 1000);
  return `<!date^${seconds}^{date_short_pretty} {time_secs}|${new Date(ms).toISOString()}>`;
}

function progressBar(done: number, total: number): string {
  const width = 10;
  const filled = total === 0 ? 0 : Math.round((done / total) * width);
  return `${"▰".repeat(filled)}${"▱".repeat(width - filled)}`;
}

function percent(value: number): string {
  if (!Number.isFinite(value)) return "n/a";
  return `${Math.round(Math.min(1, Math.max(0, value)) * 100)}%`;
}

/** Slack mrkdwn treats &, < and > as control characters; everything else is shown as typed. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

// A "|" or ">" inside link text would end the link early.
function escapeLinkText(text: string): string {
  return escapeMrkdwn(text).replace(/\|/g, "¦");
}

function escapeUrl(url: string): string {
  return url.replace(/\|/g, "%7C").replace(/>/g, "%3E").replace(/</g, "%3C");
}

// A backtick inside inline code would close it; a lookalike keeps the ref readable.
function code(text: string): string {
  return `\`${escapeMrkdwn(truncate(text, 500)).replace(/`/g, "ˋ")}\``;
}

export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, Math.max(0, max - 1))}…`;
}

export const FEEDBACK_MODAL_CALLBACK_ID = "vigil_feedback_modal";
export const FEEDBACK_MODAL_BLOCKS = {
  reason: "vigil_reason",
  causeService: "vigil_cause_service",
  causeDescription: "vigil_cause_description",
} as const;
/** Every input of the modal uses this action id; the block id says which field it is. */
export const FEEDBACK_MODAL_ACTION_ID = "value";

export interface FeedbackModalContext {
  investigationId: string;
  verdict: "partial" | "wrong";
  channel?: string;
  messageTs?: string;
}

/**
 * The modal opened after "Not quite" / "Wrong": an optional reason and "Add the real cause" (service and a short
 * description). Every field is optional, so closing it loses nothing: the verdict is already recorded.
 * `private_metadata` carries the context back in the view_submission (Slack caps it at 3000 characters).
 */
export function renderFeedbackModal(ctx: FeedbackModalContext): types.ModalView {
  const title = ctx.verdict === "wrong" ? "Wrong: what was it?" : "Not quite: tell Vigil";
  const input = (blockId: string, label: string, placeholder: string, multiline: boolean, maxLength: number) => ({
    type: "input" as const,
    block_id: blockId,
    optional: true,
    label: { type: "plain_text" as const, text: label },
    element: {
      type: "plain_text_input" as const,
      action_id: FEEDBACK_MODAL_ACTION_ID,
      multiline,
      max_length: maxLength,
      placeholder: { type: "plain_text" as const, text: placeholder },
    },
  });
  return {
    type: "modal",
    callback_id: FEEDBACK_MODAL_CALLBACK_ID,
    private_metadata: JSON.stringify(ctx),
    title: { type: "plain_text", text: truncate(title, 24) },
    submit: { type: "plain_text", text: "Save" },
    close: { type: "plain_text", text: "Skip" },
    blocks: [
      input(FEEDBACK_MODAL_BLOCKS.reason, "Reason (optional)", "What did Vigil miss or get wrong?", true, 1000),
      { type: "header", text: { type: "plain_text", text: "Add the real cause" } },
      input(FEEDBACK_MODAL_BLOCKS.causeService, "Service", "e.g. payments", false, 200),
      input(FEEDBACK_MODAL_BLOCKS.causeDescription, "Short description", "e.g. connection pool exhausted", true, 500),
    ],
  };
}
