/**
 * Builds Slack Events API and interactivity requests exactly as Slack sends them, signs them with the v0 scheme
 * (HMAC-SHA256 over `v0:{timestamp}:{body}`), and POSTs them to a daemon's `/slack/events`.
 *
 * @example
 * const event = appMentionEvent({ channel: "C0ALERTS", ts: "1700000000.000200", threadTs: parent.ts });
 * const res = await sendSlackEvent(`${base}/slack/events`, SIGNING_SECRET, event);
 * assert.equal(res.status, 200);
 */
import { createHmac, randomBytes } from "node:crypto";

export const TEST_TEAM_ID = "T0VIGIL";
export const TEST_APP_ID = "A0VIGIL";
export const TEST_BOT_USER_ID = "U0VIGIL";

export interface EventCallbackEnvelope {
  token: string;
  team_id: string;
  api_app_id: string;
  event: Record<string, unknown>;
  type: "event_callback";
  event_id: string;
  event_time: number;
  authorizations: Array<Record<string, unknown>>;
  is_ext_shared_channel: boolean;
  event_context: string;
}

export interface EnvelopeOptions {
  eventId?: string;
  teamId?: string;
  botUserId?: string;
}

export interface AppMentionOptions extends EnvelopeOptions {
  channel: string;
  ts: string;
  /** Set for a mention inside a thread: the thread parent's ts. */
  threadTs?: string;
  user?: string; // default "U0ALICE"
  text?: string; // default "<@U0VIGIL> investigate"
}

export interface ThreadMessageOptions extends EnvelopeOptions {
  channel: string;
  ts: string;
  threadTs: string;
  user?: string;
  text?: string;
}

export interface ReactionAddedOptions extends EnvelopeOptions {
  channel: string;
  /** ts of the message that got the reaction. */
  itemTs: string;
  reaction: string; // e.g. "+1", "-1", "eyes"
  user?: string;
  itemUser?: string;
}

export interface BlockActionOptions {
  actionId: string;
  value: string;
  channel: string;
  messageTs: string;
  blockId?: string; // default "vigil_feedback"
  user?: string;
  teamId?: string;
  responseUrl?: string;
  /** The message the button sits on, as Slack includes it. */
  message?: Record<string, unknown>;
}

export interface SendOptions {
  /** Unix seconds; default now. Use an old value to test staleness checks. */
  timestamp?: number;
  /** Sign with the wrong secret. */
  badSignature?: boolean;
  /** Sets `x-slack-retry-num` (and `x-slack-retry-reason: http_timeout`), as Slack does when it redelivers. */
  retryNum?: number;
}

export interface SentEventResponse {
  status: number;
  body: string;
  headers: Headers;
}

export function randomEventId(): string {
  return `Ev${randomBytes(5).toString("hex").toUpperCase()}`;
}

function envelope(event: Record<string, unknown>, options: EnvelopeOptions): EventCallbackEnvelope {
  const teamId = options.teamId ?? TEST_TEAM_ID;
  const eventTs = String(event.event_ts ?? event.ts ?? `${Math.floor(Date.now() / 1000)}.000000`);
  return {
    token: "legacy-verification-token",
    team_id: teamId,
    api_app_id: TEST_APP_ID,
    event,
    type: "event_callback",
    event_id: options.eventId ?? randomEventId(),
    event_time: Math.floor(Number(eventTs)),
    authorizations: [
      {
        enterprise_id: null,
        team_id: teamId,
        user_id: options.botUserId ?? TEST_BOT_USER_ID,
        is_bot: true,
        is_enterprise_install: false,
      },
    ],
    is_ext_shared_channel: false,
    event_context: `4-${randomBytes(8).toString("hex")}`,
  };
}

export function appMentionEvent(options: AppMentionOptions): EventCallbackEnvelope {
  const botUserId = options.botUserId ?? TEST_BOT_USER_ID;
  const text = options.text ?? `<@${botUserId}> investigate`;
  return envelope(
    {
      type: "app_mention",
      user: options.user ?? "U0ALICE",
      text,
      ts: options.ts,
      team: options.teamId ?? TEST_TEAM_ID,
      channel: options.channel,
      event_ts: options.ts,
      ...(options.threadTs ? { thread_ts: options.threadTs } : {}),
      blocks: [
        {
          type: "rich_text",
          block_id: "mention",
          elements: [{ type: "rich_text_section", elements: [{ type: "text", text }] }],
        },
      ],
    },
    options,
  );
}

export function threadMessageEvent(options: ThreadMessageOptions): EventCallbackEnvelope {
  return envelope(
    {
      type: "message",
      user: options.user ?? "U0ALICE",
      text: options.text ?? "",
      ts: options.ts,
      thread_ts: options.threadTs,
      channel: options.channel,
      channel_type: "channel",
      event_ts: options.ts,
      team: options.teamId ?? TEST_TEAM_ID,
    },
    options,
  );
}

export function reactionAddedEvent(options: ReactionAddedOptions): EventCallbackEnvelope {
  const eventTs = `${Math.floor(Date.now() / 1000)}.000100`;
  return envelope(
    {
      type: "reaction_added",
      user: options.user ?? "U0ALICE",
      reaction: options.reaction,
      item_user: options.itemUser ?? TEST_BOT_USER_ID,
      item: { type: "message", channel: options.channel, ts: options.itemTs },
      event_ts: eventTs,
    },
    options,
  );
}

export function urlVerificationBody(challenge = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"): {
  token: string;
  challenge: string;
  type: "url_verification";
} {
  return { token: "legacy-verification-token", challenge, type: "url_verification" };
}

/** The `block_actions` payload as Slack posts it: `payload=<json>` in an urlencoded form. Returns the form string. */
export function blockActionsBody(options: BlockActionOptions): string {
  const user = options.user ?? "U0ALICE";
  const teamId = options.teamId ?? TEST_TEAM_ID;
  const actionTs = `${Math.floor(Date.now() / 1000)}.${String(Date.now() % 1_000_000).padStart(6, "0")}`;
  const payload = {
    type: "block_actions",
    user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: teamId },
    api_app_id: TEST_APP_ID,
    token: "legacy-verification-token",
    container: { type: "message", message_ts: options.messageTs, channel_id: options.channel, is_ephemeral: false },
    trigger_id: `${Date.now()}.${randomBytes(4).toString("hex")}`,
    team: { id: teamId, domain: "vigil-test" },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: options.channel, name: options.channel.toLowerCase() },
    message: options.message ?? { type: "message", ts: options.messageTs, user: TEST_BOT_USER_ID, text: "" },
    state: { values: {} },
    response_url: options.responseUrl ?? "https://hooks.slack.com/actions/T0VIGIL/1/fake",
    actions: [
      {
        action_id: options.actionId,
        block_id: options.blockId ?? "vigil_feedback",
        text: { type: "plain_text", text: options.actionId, emoji: true },
        value: options.value,
        type: "button",
        action_ts: actionTs,
      },
    ],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/** `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{body}`, as Slack computes it. */
export function signSlackRequest(signingSecret: string, timestamp: number, body: string): string {
  return `v0=${createHmac("sha256", signingSecret).update(`v0:${timestamp}:${body}`).digest("hex")}`;
}

/**
 * POSTs a signed request. A string body is sent as an urlencoded form (interactivity payloads);
 * anything else is sent as JSON (Events API).
 */
export async function sendSlackEvent(
  url: string,
  signingSecret: string,
  body: unknown,
  options: SendOptions = {},
): Promise<SentEventResponse> {
  const isForm = typeof body === "string";
  const raw = isForm ? body : JSON.stringify(body);
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const secret = options.badSignature ? `${signingSecret}-wrong` : signingSecret;
  const headers: Record<string, string> = {
    "content-type": isForm ? "application/x-www-form-urlencoded" : "application/json",
    "x-slack-request-timestamp": String(timestamp),
    "x-slack-signature": signSlackRequest(secret, timestamp, raw),
    "user-agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
  };
  if (options.retryNum !== undefined) {
    headers["x-slack-retry-num"] = String(options.retryNum);
    headers["x-slack-retry-reason"] = "http_timeout";
  }
  const response = await fetch(url, { method: "POST", headers, body: raw, signal: AbortSignal.timeout(10_000) });
  return { status: response.status, body: await response.text(), headers: response.headers };
}
