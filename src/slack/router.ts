/**
 * Routes Slack events to Vigil: an `@vigil` mention becomes an investigation request for the alert of its thread,
 * a feedback button click or a 👍/👎 on a summary becomes a verdict, the "Not quite"/"Wrong" modal adds a reason
 * and the real cause, and `/vigil strategies [class]` prints the strategy leaderboard. The router never knows how
 * an investigation runs or how feedback is stored: it calls the injected callbacks and only talks to Slack.
 *
 * @example
 * registerSlackRouter(app, {
 *   logger,
 *   onMention: async ({ alert, channel, threadTs }) => intake.fromSlack(alert, { channel, threadTs }),
 *   onFeedback: feedback.onFeedback,
 *   onRealCause: feedback.onRealCause,
 *   findInvestigationByMessage: feedback.findInvestigationByMessage,
 *   leaderboard: feedback.leaderboard,
 * });
 */
import type { App, webApi } from "@slack/bolt";
import type { Logger } from "pino";
import { z } from "zod";
import type { Alert } from "../../agents/types.ts";
import {
  FEEDBACK_CORRECT_ACTION_ID,
  FEEDBACK_MODAL_ACTION_ID,
  FEEDBACK_MODAL_BLOCKS,
  FEEDBACK_MODAL_CALLBACK_ID,
  FEEDBACK_PARTIAL_ACTION_ID,
  FEEDBACK_WRONG_ACTION_ID,
  renderFeedbackModal,
} from "./blocks.ts";
import { platformError } from "./notifier.ts";
import { alertFromSlackMessage } from "./parse-alert-message.ts";

export interface MentionRequest {
  alert: Alert;
  channel: string;
  /** The thread the summary goes into: the alert message's ts, or the mention's own ts outside a thread. */
  threadTs: string;
  mentionTs: string;
  user?: string;
  eventId?: string;
}

export type FeedbackVerdict = "correct" | "partial" | "wrong";

export interface FeedbackRequest {
  investigationId: string;
  verdict: FeedbackVerdict;
  user: string;
  channel?: string;
  messageTs?: string;
  /** "button" for the summary's buttons, "reaction" for 👍/👎 on the summary. */
  source: "button" | "reaction";
}

/** What the reason / real cause modal submitted. */
export interface RealCauseRequest {
  investigationId: string;
  verdict: FeedbackVerdict;
  user: string;
  reason?: string;
  realCause?: { service: string; description?: string };
  channel?: string;
  messageTs?: string;
}

/** What the feedback handler may tell the router, so the confirmation can say it will not be learned from. */
export interface FeedbackAck {
  authorized?: boolean;
}

/** A `/vigil <name> args…` subcommand: returns the (ephemeral) text to answer with. */
export type SlashSubcommand = (args: string, context: { user: string; channel: string }) => Promise<string>;

/** Resolves true the first time an event id is seen, false for replays (Slack retries, duplicate deliveries). */
export type ClaimEvent = (eventId: string) => Promise<boolean>;

export interface SlackRouterOptions {
  onMention(request: MentionRequest): Promise<void>;
  /** May resolve a FeedbackAck; anything else (e.g. void) is a plain "recorded". */
  onFeedback(request: FeedbackRequest): Promise<unknown>;
  /** The modal's reason and real cause; without it "Not quite"/"Wrong" open no modal. */
  onRealCause?(request: RealCauseRequest): Promise<unknown>;
  /** Maps a summary message to its investigation, for 👍/👎; without it reactions are ignored. */
  findInvestigationByMessage?(channel: string, messageTs: string): Promise<string | undefined>;
  /** The leaderboard text for `/vigil strategies [class]`. */
  leaderboard?(alertClass?: string): Promise<string>;
  /** More `/vigil` subcommands (e.g. patterns), by name. */
  slashCommands?: Record<string, SlashSubcommand>;
  claimEvent?: ClaimEvent; // default createMemoryEventClaim(): one process only; use the store with replicas
  logger: Logger;
}

/** 👍/👎 and their aliases; skin tones arrive as "+1::skin-tone-3". */
export const VERDICT_BY_REACTION: Record<string, FeedbackVerdict> = {
  "+1": "correct",
  thumbsup: "correct",
  "-1": "wrong",
  thumbsdown: "wrong",
};

export const VERDICT_LABELS: Record<FeedbackVerdict, string> = {
  correct: "Correct",
  partial: "Not quite",
  wrong: "Wrong",
};

export const SLASH_COMMAND = "/vigil";

export const VERDICT_BY_ACTION_ID: Record<string, FeedbackVerdict> = {
  [FEEDBACK_CORRECT_ACTION_ID]: "correct",
  [FEEDBACK_PARTIAL_ACTION_ID]: "partial",
  [FEEDBACK_WRONG_ACTION_ID]: "wrong",
};

export const NO_ALERT_REPLY =
  "I couldn't find an alert to investigate here. Mention me in the thread of an alert notification " +
  "(Alertmanager or Grafana), or name the alert in your message, e.g. " +
  "`@vigil alertname=HighLatency service=checkout`.";

export const MENTION_FAILED_REPLY =
  "Something went wrong while starting the investigation. The details are in Vigil's logs; try again in a minute.";

export interface MemoryEventClaimOptions {
  ttlMs?: number; // default 1 hour: Slack gives up retrying long before that
  maxEntries?: number; // default 10 000
}

/** In-memory event dedupe for a single process. */
export function createMemoryEventClaim(options: MemoryEventClaimOptions = {}): ClaimEvent {
  const ttlMs = options.ttlMs ?? 60 * 60 * 1000;
  const maxEntries = options.maxEntries ?? 10_000;
  const seen = new Map<string, number>();
  return async (eventId) => {
    const now = Date.now();
    // Map iterates in insertion order, so the oldest entries are first.
    for (const [id, at] of seen) {
      if (now - at < ttlMs && seen.size < maxEntries) break;
      seen.delete(id);
    }
    if (seen.has(eventId)) return false;
    seen.set(eventId, now);
    return true;
  };
}

export function registerSlackRouter(app: App, options: SlackRouterOptions): void {
  const logger = options.logger.child({ component: "slack-router" });
  const claimEvent = options.claimEvent ?? createMemoryEventClaim();

  // Slack redelivers an event when it did not see a 200 within 3 s (x-slack-retry-num), and occasionally twice
  // anyway: the event id is the only reliable key.
  app.use(async ({ body, context, next }) => {
    const eventId = eventIdOf(body);
    if (!eventId) return next();
    let first = true;
    try {
      first = await claimEvent(eventId);
    } catch (error) {
      // Fail open: a duplicate investigation is deduped by fingerprint downstream; a lost mention is not recovered.
      logger.warn({ eventId, err: describe(error) }, "Event dedupe store failed; processing the event");
    }
    if (!first) {
      logger.info({ eventId, retryNum: context.retryNum }, "Ignoring a Slack event already handled");
      return;
    }
    await next();
  });

  app.event("app_mention", async ({ event, body, client }) => {
    const channel = event.channel;
    const mentionTs = event.ts;
    const inThread = Boolean(event.thread_ts && event.thread_ts !== event.ts);
    const threadTs = event.thread_ts ?? event.ts;
    const eventId = eventIdOf(body);
    const log = logger.child({ channel, threadTs, eventId });

    await addEyes(client, channel, mentionTs, log);

    let alert: Alert | null = null;
    let readError: string | undefined;
    if (inThread) {
      const parent = await readThreadParent(client, channel, threadTs);
      readError = parent.error;
      alert = alertFromSlackMessage(parent.message);
    }
    // Outside a thread, or when the parent is not an alert, the mention itself may name one.
    alert ??= alertFromSlackMessage(event);

    if (!alert) {
      log.info({ readError }, "No alert found for a mention");
      const why = readError
        ? ` (I could not read this thread: Slack said \`${readError}\`; is Vigil in the channel?)`
        : "";
      await replyInThread(client, channel, threadTs, `${NO_ALERT_REPLY}${why}`, log);
      return;
    }

    try {
      await options.onMention({ alert, channel, threadTs, mentionTs, user: event.user, eventId });
      log.info({ fingerprint: alert.fingerprint, alertname: alert.alertname }, "Mention accepted for investigation");
    } catch (error) {
      log.error({ err: describe(error), fingerprint: alert.fingerprint }, "Mention handler failed");
      await replyInThread(client, channel, threadTs, MENTION_FAILED_REPLY, log);
    }
  });

  app.action(
    { type: "block_actions", action_id: /^vigil_feedback_(correct|partial|wrong)$/ },
    async ({ ack, body, action, client }) => {
      await ack();
      const verdict = VERDICT_BY_ACTION_ID[action.action_id];
      const investigationId = action.type === "button" ? action.value : undefined;
      if (!verdict || !investigationId) {
        logger.warn({ actionId: action.action_id }, "Feedback action without a verdict or investigation id");
        return;
      }
      const request: FeedbackRequest = {
        investigationId,
        verdict,
        user: body.user.id,
        channel: body.channel?.id ?? body.container?.channel_id,
        messageTs: body.message?.ts ?? body.container?.message_ts,
        source: "button",
      };
      const outcome = await deliverFeedback(options, request, logger);
      if (!outcome.ok) {
        await postEphemeral(client, request, FEEDBACK_FAILED_REPLY, logger);
        return;
      }
      // The trigger id expires 3 s after the click: open the modal before anything slower than the record.
      if (verdict !== "correct" && options.onRealCause && body.trigger_id) {
        await openModal(client, body.trigger_id, { ...request, verdict }, logger);
      }
      await postEphemeral(client, request, feedbackConfirmation(verdict, outcome.ack), logger);
    },
  );

  app.view(FEEDBACK_MODAL_CALLBACK_ID, async ({ ack, body, view, client }) => {
    const context = modalContextSchema.safeParse(parseJson(view.private_metadata));
    if (!context.success) {
      await ack();
      logger.warn({}, "Feedback modal without its context");
      return;
    }
    const values = modalValues(view.state.values);
    if (values.description && !values.service) {
      // Slack shows the message under the field and keeps the modal open.
      await ack({
        response_action: "errors",
        errors: { [FEEDBACK_MODAL_BLOCKS.causeService]: "Name the service the real cause was in." },
      });
      return;
    }
    await ack();
    if (!options.onRealCause) return;
    const request: RealCauseRequest = {
      investigationId: context.data.investigationId,
      verdict: context.data.verdict,
      user: body.user.id,
      ...(values.reason ? { reason: values.reason } : {}),
      ...(values.service ? { realCause: { service: values.service, description: values.description ?? "" } } : {}),
      channel: context.data.channel,
      messageTs: context.data.messageTs,
    };
    try {
      await options.onRealCause(request);
      logger.info(
        { investigationId: request.investigationId, withCause: Boolean(request.realCause) },
        "Feedback details received",
      );
    } catch (error) {
      logger.error({ err: describe(error), investigationId: request.investigationId }, "Real cause handler failed");
      await postEphemeral(client, request, FEEDBACK_FAILED_REPLY, logger);
      return;
    }
    if (request.realCause) {
      await postEphemeral(
        client,
        request,
        `Thanks: recorded *${escapeText(request.realCause.service)}* as the real cause.`,
        logger,
      );
    }
  });

  app.event("reaction_added", async ({ event }) => {
    const verdict = VERDICT_BY_REACTION[event.reaction.split("::")[0] ?? ""];
    if (!verdict || event.item.type !== "message" || !options.findInvestigationByMessage) return;
    const { channel, ts } = event.item;
    let investigationId: string | undefined;
    try {
      investigationId = await options.findInvestigationByMessage(channel, ts);
    } catch (error) {
      logger.warn({ err: describe(error), channel, ts }, "Could not look up the message of a reaction");
      return;
    }
    // Reactions on anything but a summary (the alert, a colleague's message) are not feedback.
    if (!investigationId) return;
    await deliverFeedback(
      options,
      { investigationId, verdict, user: event.user, channel, messageTs: ts, source: "reaction" },
      logger,
    );
  });

  app.command(SLASH_COMMAND, async ({ command, ack }) => {
    const [name = "", ...rest] = command.text.trim().split(/\s+/);
    const args = rest.join(" ");
    const subcommands: Record<string, SlashSubcommand> = { ...options.slashCommands };
    if (options.leaderboard) {
      const leaderboard = options.leaderboard;
      subcommands.strategies = async (alertClass) => `\`\`\`\n${await leaderboard(alertClass || undefined)}\n\`\`\``;
    }
    const handler = subcommands[name.toLowerCase()];
    if (!handler) {
      await ack({ response_type: "ephemeral", text: slashUsage(Object.keys(subcommands)) });
      return;
    }
    try {
      const text = await handler(args, { user: command.user_id, channel: command.channel_id });
      await ack({ response_type: "ephemeral", text: truncateText(text, SLASH_REPLY_MAX) });
    } catch (error) {
      logger.error({ err: describe(error), subcommand: name }, "Slash command failed");
      await ack({ response_type: "ephemeral", text: `\`/vigil ${name}\` failed; the details are in Vigil's logs.` });
    }
  });

  registerUnknownActionAck(app, logger);
}

export const FEEDBACK_FAILED_REPLY =
  "Sorry, I could not record your feedback. The details are in Vigil's logs; try again in a minute.";
const SLASH_REPLY_MAX = 3900;

export function feedbackConfirmation(verdict: FeedbackVerdict, ack: FeedbackAck | undefined): string {
  const base = `Thanks: recorded *${VERDICT_LABELS[verdict]}* for this investigation.`;
  if (ack?.authorized === false) {
    return `${base} You are not on Vigil's feedback allowlist, so it is kept but not learned from.`;
  }
  return verdict === "correct" ? base : `${base} If you know the real cause, add it in the form.`;
}

function slashUsage(subcommands: string[]): string {
  const lines = ["Usage:"];
  if (subcommands.includes("strategies")) {
    lines.push("`/vigil strategies [alert class]`: which strategies find real causes, per alert class");
  }
  for (const name of subcommands.filter((n) => n !== "strategies").sort()) lines.push(`\`/vigil ${name} …\``);
  return lines.join("\n");
}

async function deliverFeedback(
  options: SlackRouterOptions,
  request: FeedbackRequest,
  logger: Logger,
): Promise<{ ok: true; ack?: FeedbackAck } | { ok: false }> {
  try {
    const answer = await options.onFeedback(request);
    const ack = isFeedbackAck(answer) ? answer : undefined;
    logger.info(
      {
        investigationId: request.investigationId,
        verdict: request.verdict,
        user: request.user,
        source: request.source,
      },
      "Feedback received",
    );
    return { ok: true, ...(ack ? { ack } : {}) };
  } catch (error) {
    logger.error(
      { err: describe(error), investigationId: request.investigationId, verdict: request.verdict },
      "Feedback handler failed",
    );
    return { ok: false };
  }
}

function isFeedbackAck(value: unknown): value is FeedbackAck {
  return typeof value === "object" && value !== null && "authorized" in value;
}

const modalContextSchema = z.object({
  investigationId: z.string().min(1),
  verdict: z.enum(["partial", "wrong"]),
  channel: z.string().optional(),
  messageTs: z.string().optional(),
});

const modalStateSchema = z.record(
  z.string(),
  z.record(z.string(), z.object({ value: z.string().nullish() }).passthrough()),
);

function modalValues(state: unknown): { reason?: string; service?: string; description?: string } {
  const parsed = modalStateSchema.safeParse(state);
  if (!parsed.success) return {};
  const read = (block: string) => parsed.data[block]?.[FEEDBACK_MODAL_ACTION_ID]?.value?.trim() || undefined;
  return {
    reason: read(FEEDBACK_MODAL_BLOCKS.reason),
    service: read(FEEDBACK_MODAL_BLOCKS.causeService),
    description: read(FEEDBACK_MODAL_BLOCKS.causeDescription),
  };
}

async function openModal(
  client: webApi.WebClient,
  triggerId: string,
  request: FeedbackRequest & { verdict: "partial" | "wrong" },
  logger: Logger,
): Promise<void> {
  try {
    await client.views.open({
      trigger_id: triggerId,
      view: renderFeedbackModal({
        investigationId: request.investigationId,
        verdict: request.verdict,
        channel: request.channel,
        messageTs: request.messageTs,
      }),
    });
  } catch (error) {
    logger.warn({ err: describe(error), investigationId: request.investigationId }, "Could not open the feedback form");
  }
}

async function postEphemeral(
  client: webApi.WebClient,
  target: { channel?: string; user: string; messageTs?: string },
  text: string,
  logger: Logger,
): Promise<void> {
  if (!target.channel) return;
  try {
    await client.chat.postEphemeral({ channel: target.channel, user: target.user, text });
  } catch (error) {
    logger.warn({ err: describe(error) }, "Could not post an ephemeral reply");
  }
}

function parseJson(text: string | undefined): unknown {
  try {
    return JSON.parse(text ?? "");
  } catch {
    return undefined;
  }
}

function escapeText(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function truncateText(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 4)}\n…`;
}

/**
 * Acknowledges any other button on Vigil's messages (older message versions, future buttons): an unanswered
 * action shows the clicking user an error after 3 s.
 */
function registerUnknownActionAck(app: App, logger: Logger): void {
  app.action(
    { type: "block_actions", action_id: /^(?!vigil_feedback_(correct|partial|wrong)$)/ },
    async ({ ack, action }) => {
      await ack();
      logger.info({ actionId: action.action_id }, "Acknowledged a Slack action Vigil does not handle");
    },
  );
}

async function addEyes(client: webApi.WebClient, channel: string, ts: string, log: Logger): Promise<void> {
  try {
    await client.reactions.add({ channel, timestamp: ts, name: "eyes" });
  } catch (error) {
    if (platformError(error) === "already_reacted") return;
    log.warn({ err: describe(error) }, "Could not add the eyes reaction");
  }
}

async function readThreadParent(
  client: webApi.WebClient,
  channel: string,
  threadTs: string,
): Promise<{ message?: unknown; error?: string }> {
  try {
    // include_all_metadata: without it Slack drops the `vigil_alert` metadata of Vigil's own alert messages.
    const response = await client.conversations.replies({
      channel,
      ts: threadTs,
      limit: 1,
      inclusive: true,
      include_all_metadata: true,
    });
    return { message: response.messages?.[0] };
  } catch (error) {
    return { error: platformError(error) ?? "request_failed" };
  }
}

async function replyInThread(
  client: webApi.WebClient,
  channel: string,
  threadTs: string,
  text: string,
  log: Logger,
): Promise<void> {
  try {
    await client.chat.postMessage({ channel, thread_ts: threadTs, text });
  } catch (error) {
    log.warn({ err: describe(error) }, "Could not reply in the thread");
  }
}

function eventIdOf(body: object): string | undefined {
  return "event_id" in body && typeof body.event_id === "string" ? body.event_id : undefined;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
