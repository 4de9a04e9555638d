/**
 * Routes Slack events to Vigil: an `@vigil` mention becomes an investigation request for the alert of its thread,
 * a feedback button click becomes a verdict. The router never knows how an investigation runs: it calls the
 * injected `onMention` / `onFeedback` and replies in the thread only to explain what it needs.
 *
 * @example
 * registerSlackRouter(app, {
 *   logger,
 *   onMention: async ({ alert, channel, threadTs }) => intake.fromSlack(alert, { channel, threadTs }),
 *   onFeedback: async ({ investigationId, verdict, user }) => feedback.record(investigationId, verdict, user),
 * });
 */
import type { App, webApi } from "@slack/bolt";
import type { Logger } from "pino";
import type { Alert } from "../../agents/types.ts";
import { FEEDBACK_CORRECT_ACTION_ID, FEEDBACK_PARTIAL_ACTION_ID, FEEDBACK_WRONG_ACTION_ID } from "./blocks.ts";
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
}

/** Resolves true the first time an event id is seen, false for replays (Slack retries, duplicate deliveries). */
export type ClaimEvent = (eventId: string) => Promise<boolean>;

export interface SlackRouterOptions {
  onMention(request: MentionRequest): Promise<void>;
  onFeedback(request: FeedbackRequest): Promise<void>;
  claimEvent?: ClaimEvent; // default createMemoryEventClaim(): one process only; use the store with replicas
  logger: Logger;
}

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
    async ({ ack, body, action }) => {
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
      };
      try {
        await options.onFeedback(request);
        logger.info({ investigationId, verdict, user: request.user }, "Feedback received");
      } catch (error) {
        logger.error({ err: describe(error), investigationId, verdict }, "Feedback handler failed");
      }
    },
  );

  registerUnknownActionAck(app, logger);
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
