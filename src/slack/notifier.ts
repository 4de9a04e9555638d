/**
 * Posts Vigil's messages to Slack: the alert (for webhook alerts), the 👀 acknowledgement, the progress message
 * and the summary that replaces it. Knows nothing about how an investigation works; it renders and posts.
 *
 * @example
 * const notifier = createSlackNotifier({ token: process.env.SLACK_BOT_TOKEN, channel: "C0ALERTS", logger });
 * const { channel, ts } = await notifier.postAlert(alert);
 * const progress = await notifier.postProgress({ channel, threadTs: ts }, alert, { strategiesDone: 0, strategiesTotal: 6 });
 * await notifier.postOrUpdateSummary({ channel, threadTs: ts }, progress.ts, result, "inv-42");
 */
import { webApi } from "@slack/bolt";
import type { Logger } from "pino";
import type { Alert, InvestigationResult } from "../../agents/types.ts";
import {
  ALERT_METADATA_EVENT_TYPE,
  INVESTIGATION_METADATA_EVENT_TYPE,
  type InvestigationProgress,
  renderAlertMessage,
  renderRunning,
  renderSummary,
  type SlackMessage,
} from "./blocks.ts";
import { boltLoggerFrom } from "./bolt-logger.ts";

export interface SlackThread {
  channel: string;
  threadTs: string;
}

export interface SlackNotifier {
  /** Posts the alert into the configured channel; its ts is the thread for the investigation. */
  postAlert(alert: Alert): Promise<{ channel: string; ts: string }>;
  /**
   * The alert's message if an earlier attempt already posted it (found by its metadata in recent channel history):
   * a worker killed between posting and recording the ts must not post the alert twice.
   */
  findAlertMessage(alert: Alert): Promise<{ channel: string; ts: string } | undefined>;
  /** Adds 👀 to a message. Already reacted is fine; other failures are logged, never thrown. */
  acknowledge(channel: string, ts: string): Promise<void>;
  /** Posts the progress message into the thread, tagged with the investigation id. */
  postProgress(
    thread: SlackThread,
    alert: Alert,
    progress: InvestigationProgress,
    investigationId?: string,
  ): Promise<{ ts: string }>;
  /**
   * The progress message an earlier attempt already posted in the thread (found by its metadata): a worker killed
   * between posting and recording its ts must not leave two messages in the thread.
   */
  findProgressMessage(thread: SlackThread, investigationId: string): Promise<{ ts: string } | undefined>;
  updateProgress(thread: SlackThread, messageTs: string, alert: Alert, progress: InvestigationProgress): Promise<void>;
  /** Edits the progress message into the summary when its ts is known, otherwise posts the summary in the thread. */
  postOrUpdateSummary(
    thread: SlackThread,
    messageTs: string | undefined,
    result: InvestigationResult,
    investigationId: string,
  ): Promise<{ ts: string }>;
}

export interface SlackNotifierOptions {
  token: string;
  slackApiUrl?: string; // default https://slack.com/api/
  /** Channel id for postAlert; the other methods take the channel from the thread. */
  channel?: string;
  /** WebClient transport retries for network errors and 5xx; tests pass { retries: 0 }. */
  retryConfig?: webApi.RetryOptions; // default: WebClient's tenRetriesInAboutThirtyMinutes
  /** How many times a rate-limited call is retried after waiting (default 3). */
  rateLimitRetries?: number;
  /** Longest Retry-After Vigil honours before giving up on a call, in seconds (default 60). */
  maxRetryAfterSeconds?: number;
  webUrl?: string;
  logger: Logger;
  /** Injected client, e.g. Bolt's app.client; a new WebClient is built when omitted. */
  client?: webApi.WebClient;
}

export class SlackNotifierError extends Error {}

/** When Slack answers `{ ok: false, error: "ratelimited" }` without a Retry-After header. */
const DEFAULT_RATE_LIMIT_WAIT_SECONDS = 1;

export function createSlackNotifier(options: SlackNotifierOptions): SlackNotifier {
  const logger = options.logger.child({ component: "slack-notifier" });
  const client =
    options.client ??
    new webApi.WebClient(options.token, {
      ...(options.slackApiUrl ? { slackApiUrl: options.slackApiUrl } : {}),
      ...(options.retryConfig ? { retryConfig: options.retryConfig } : {}),
      // Vigil waits for Retry-After itself (below): WebClient's own wait only retries when retryConfig allows
      // retries, so with { retries: 0 } it would wait and then fail anyway.
      rejectRateLimitedCalls: true,
      logger: boltLoggerFrom(logger),
    });
  const rateLimitRetries = options.rateLimitRetries ?? 3;
  const maxRetryAfter = options.maxRetryAfterSeconds ?? 60;

  async function call<T>(method: string, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await fn();
      } catch (error) {
        const wait = rateLimitWaitSeconds(error);
        if (wait === undefined || attempt >= rateLimitRetries || wait > maxRetryAfter) throw error;
        logger.warn({ method, retryAfterSeconds: wait, attempt: attempt + 1 }, "Slack rate limited a call; waiting");
        await sleep(wait * 1000);
      }
    }
  }

  async function post(channel: string, message: SlackMessage, threadTs?: string): Promise<string> {
    const response = await call("chat.postMessage", () =>
      client.chat.postMessage({
        channel,
        text: message.text,
        blocks: message.blocks,
        ...(threadTs ? { thread_ts: threadTs } : {}),
        ...(message.metadata ? { metadata: message.metadata } : {}),
        unfurl_links: false,
        unfurl_media: false,
      }),
    );
    if (!response.ts) throw new SlackNotifierError("chat.postMessage returned no ts");
    return response.ts;
  }

  async function update(channel: string, ts: string, message: SlackMessage): Promise<void> {
    await call("chat.update", () => client.chat.update({ channel, ts, text: message.text, blocks: message.blocks }));
  }

  return {
    async postAlert(alert) {
      if (!options.channel) {
        throw new SlackNotifierError("No Slack channel configured for alerts: set SLACK_CHANNEL to a channel id");
      }
      const ts = await post(options.channel, renderAlertMessage(alert));
      logger.info({ channel: options.channel, ts, fingerprint: alert.fingerprint }, "Posted alert to Slack");
      return { channel: options.channel, ts };
    },

    async findAlertMessage(alert) {
      if (!options.channel) return undefined;
      const channel = options.channel;
      const history = await call("conversations.history", () =>
        client.conversations.history({ channel, limit: 100, include_all_metadata: true }),
      );
      const found = (history.messages ?? []).find((m) => {
        const meta = (m as { metadata?: { event_type?: string; event_payload?: Record<string, unknown> } }).metadata;
        return (
          meta?.event_type === ALERT_METADATA_EVENT_TYPE &&
          meta.event_payload?.fingerprint === alert.fingerprint &&
          meta.event_payload?.startsAt === alert.startsAt
        );
      });
      return found?.ts ? { channel, ts: found.ts } : undefined;
    },

    async acknowledge(channel, ts) {
      try {
        await call("reactions.add", () => client.reactions.add({ channel, timestamp: ts, name: "eyes" }));
      } catch (error) {
        if (platformError(error) === "already_reacted") return;
        // The acknowledgement is a courtesy; the investigation must go on without it.
        logger.warn({ channel, ts, err: describe(error) }, "Could not add the eyes reaction");
      }
    },

    async postProgress(thread, alert, progress, investigationId) {
      const ts = await post(thread.channel, renderRunning(alert, progress, investigationId), thread.threadTs);
      return { ts };
    },

    async findProgressMessage(thread, investigationId) {
      const replies = await call("conversations.replies", () =>
        client.conversations.replies({
          channel: thread.channel,
          ts: thread.threadTs,
          limit: 200,
          include_all_metadata: true,
        }),
      );
      const found = (replies.messages ?? []).find((m) => {
        const meta = (m as { metadata?: { event_type?: string; event_payload?: Record<string, unknown> } }).metadata;
        return (
          meta?.event_type === INVESTIGATION_METADATA_EVENT_TYPE &&
          meta?.event_payload?.investigation_id === investigationId
        );
      });
      return found?.ts ? { ts: found.ts } : undefined;
    },

    async updateProgress(thread, messageTs, alert, progress) {
      await update(thread.channel, messageTs, renderRunning(alert, progress));
    },

    async postOrUpdateSummary(thread, messageTs, result, investigationId) {
      const message = renderSummary(result, investigationId, { webUrl: options.webUrl });
      if (messageTs) {
        try {
          await update(thread.channel, messageTs, message);
          return { ts: messageTs };
        } catch (error) {
          // Someone deleted the progress message: the summary still has to reach the thread.
          if (platformError(error) !== "message_not_found") throw error;
          logger.warn(
            { channel: thread.channel, messageTs, investigationId },
            "Progress message is gone; posting summary",
          );
        }
      }
      const ts = await post(thread.channel, message, thread.threadTs);
      return { ts };
    },
  };
}

/** Seconds to wait when the error is a rate limit (HTTP 429 with Retry-After, or the `ratelimited` error code). */
export function rateLimitWaitSeconds(error: unknown): number | undefined {
  if (error instanceof webApi.WebAPIRateLimitedError) return Math.max(0, error.retryAfter);
  if (platformError(error) === "ratelimited") return DEFAULT_RATE_LIMIT_WAIT_SECONDS;
  return undefined;
}

export function platformError(error: unknown): string | undefined {
  if (error instanceof webApi.WebAPIPlatformError) return error.data.error;
  return undefined;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
