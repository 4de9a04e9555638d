/**
 * A protocol-faithful fake of the Slack Web API on node:http, for offline tests.
 *
 * It answers the methods Vigil uses the way slack.com does (HTTP 200 with `{ ok, ... }`, form or JSON bodies,
 * `blocks`/`attachments` as JSON strings inside a form), records every request, keeps the messages it was sent
 * so `conversations.replies`/`conversations.history` can return them, and can inject rate limiting.
 * Any other method answers `{ ok: false, error: "unknown_method" }` so unexpected calls are loud.
 * As on slack.com, reactions.add, chat.update and conversations.replies need the message to exist: seed the
 * messages (alert notifications, the @vigil mention itself) with `seedMessage` before sending events about them.
 * Channels and users need no seeding.
 *
 * @example
 * const slack = await startFakeSlack();
 * const parent = slack.seedMessage("C0ALERTS", { text: "", attachments: [{ title: "[FIRING:1] HighLatency" }] });
 * // point the code under test at slack.url, then:
 * const call = await slack.waitFor((c) => c.method === "reactions.add");
 * await slack.close();
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { parse as parseQuery } from "node:querystring";

export interface FakeSlackCall {
  method: string;
  /** Form or JSON arguments, with `blocks`, `attachments` and `metadata` JSON-parsed when they came as strings. */
  args: Record<string, unknown>;
  /** From `Authorization: Bearer …`, or the `token` argument. */
  token?: string;
  contentType?: string;
  /** HTTP status and body the fake answered with. */
  status: number;
  response: Record<string, unknown>;
  at: number;
}

export interface FakeSlackMessage {
  type: "message";
  channel: string;
  ts: string;
  text?: string;
  user?: string;
  bot_id?: string;
  subtype?: string;
  thread_ts?: string;
  blocks?: unknown[];
  attachments?: unknown[];
  metadata?: { event_type: string; event_payload: Record<string, unknown> };
  reactions?: Array<{ name: string; users: string[]; count: number }>;
  edited?: { user: string; ts: string };
  [key: string]: unknown;
}

export interface FailureInjection {
  /** How many of the next calls to fail (default 1). */
  times?: number;
  /** 429 answers with `Retry-After` and `{ ok: false, error: "ratelimited" }`; 200 (default) answers `error`. */
  status?: 200 | 429 | 500;
  /** Seconds, sent as `Retry-After` with a 429 (default 1). */
  retryAfter?: number;
  /** The Slack error code for a 200 failure (default "ratelimited"). */
  error?: string;
}

export interface FakeSlackOptions {
  /** Tokens the fake accepts; any non-empty token when omitted. */
  tokens?: string[];
  botUserId?: string; // default "U0VIGIL"
  botId?: string; // default "B0VIGIL"
  teamId?: string; // default "T0VIGIL"
}

export interface FakeSlack {
  /** Base URL to pass as `slackApiUrl`, e.g. `http://127.0.0.1:PORT/api/`. */
  url: string;
  calls: FakeSlackCall[];
  callsTo(method: string): FakeSlackCall[];
  /** Resolves with the first recorded call (past or future) matching the predicate; rejects after timeoutMs. */
  waitFor(predicate: (call: FakeSlackCall) => boolean, timeoutMs?: number): Promise<FakeSlackCall>;
  /** Stores a message as if someone had posted it; `ts` is assigned when missing. */
  seedMessage(channel: string, message: Partial<FakeSlackMessage>): FakeSlackMessage;
  seedUser(user: { id: string; name: string; real_name?: string }): void;
  /** Members of a user group (`S…`), as `usergroups.users.list` returns them; unknown groups answer no_such_subteam. */
  seedUserGroup(groupId: string, userIds: string[]): void;
  getMessage(channel: string, ts: string): FakeSlackMessage | undefined;
  messages(channel: string): FakeSlackMessage[];
  failNext(method: string, injection?: FailureInjection): void;
  clearCalls(): void;
  close(): Promise<void>;
}

const BASE_EPOCH_SECONDS = 1_700_000_000;

export async function startFakeSlack(options: FakeSlackOptions = {}): Promise<FakeSlack> {
  const botUserId = options.botUserId ?? "U0VIGIL";
  const botId = options.botId ?? "B0VIGIL";
  const teamId = options.teamId ?? "T0VIGIL";
  const calls: FakeSlackCall[] = [];
  const waiters: Array<{ predicate: (call: FakeSlackCall) => boolean; resolve: (call: FakeSlackCall) => void }> = [];
  const messagesByChannel = new Map<string, FakeSlackMessage[]>();
  const users = new Map<string, { id: string; name: string; real_name?: string }>();
  const userGroups = new Map<string, string[]>();
  const failures = new Map<string, Required<FailureInjection>[]>();
  let sequence = 0;

  // Slack's ts is "seconds.micros" and unique per channel; strictly increasing keeps ordering assertions simple.
  function nextTs(): string {
    sequence += 1;
    const micros = sequence * 100;
    const seconds = BASE_EPOCH_SECONDS + Math.floor(micros / 1_000_000);
    return `${seconds}.${String(micros % 1_000_000).padStart(6, "0")}`;
  }

  function channelMessages(channel: string): FakeSlackMessage[] {
    let list = messagesByChannel.get(channel);
    if (!list) {
      list = [];
      messagesByChannel.set(channel, list);
    }
    return list;
  }

  function findMessage(channel: string, ts: string): FakeSlackMessage | undefined {
    return messagesByChannel.get(channel)?.find((m) => m.ts === ts);
  }

  function store(channel: string, message: Partial<FakeSlackMessage>): FakeSlackMessage {
    const stored: FakeSlackMessage = { ...message, type: "message", channel, ts: message.ts ?? nextTs() };
    const list = channelMessages(channel);
    list.push(stored);
    list.sort((a, b) => compareTs(a.ts, b.ts));
    return stored;
  }

  // Slack only returns message metadata when the caller asks for it with include_all_metadata.
  function present(message: FakeSlackMessage, includeMetadata: boolean): Record<string, unknown> {
    const { channel: _channel, metadata, ...rest } = message;
    const replies = message.thread_ts === message.ts ? threadReplies(message).length : 0;
    return {
      ...rest,
      ...(includeMetadata && metadata ? { metadata } : {}),
      ...(replies > 0 ? { reply_count: replies } : {}),
    };
  }

  function threadReplies(parent: FakeSlackMessage): FakeSlackMessage[] {
    return channelMessages(parent.channel).filter((m) => m.thread_ts === parent.ts && m.ts !== parent.ts);
  }

  function postMessage(args: Record<string, unknown>): Record<string, unknown> {
    const channel = str(args.channel);
    if (!channel) return { ok: false, error: "channel_not_found" };
    if (!str(args.text) && !Array.isArray(args.blocks) && !Array.isArray(args.attachments)) {
      return { ok: false, error: "no_text" };
    }
    const threadTs = str(args.thread_ts);
    if (threadTs) {
      const parent = findMessage(channel, threadTs);
      if (!parent) return { ok: false, error: "thread_not_found" };
      // Replying makes the parent a thread parent, as Slack does.
      parent.thread_ts = parent.thread_ts ?? parent.ts;
    }
    const message = store(channel, {
      text: str(args.text) ?? "",
      user: botUserId,
      bot_id: botId,
      ...(threadTs ? { thread_ts: threadTs } : {}),
      ...(Array.isArray(args.blocks) ? { blocks: args.blocks } : {}),
      ...(Array.isArray(args.attachments) ? { attachments: args.attachments } : {}),
      ...(isMetadata(args.metadata) ? { metadata: args.metadata } : {}),
    });
    return { ok: true, channel, ts: message.ts, message: present(message, true) };
  }

  function handle(method: string, args: Record<string, unknown>): Record<string, unknown> {
    switch (method) {
      case "api.test":
        return { ok: true, args };
      case "auth.test":
        return {
          ok: true,
          url: "https://vigil-test.slack.com/",
          team: "Vigil Test",
          user: "vigil",
          team_id: teamId,
          user_id: botUserId,
          bot_id: botId,
          is_enterprise_install: false,
        };
      case "chat.postMessage":
        return postMessage(args);
      case "chat.update": {
        const channel = str(args.channel);
        const ts = str(args.ts);
        const message = channel && ts ? findMessage(channel, ts) : undefined;
        if (!channel || !ts || !message) return { ok: false, error: "message_not_found" };
        if (message.user !== botUserId) return { ok: false, error: "cant_update_message" };
        if (args.text !== undefined) message.text = str(args.text) ?? "";
        if (Array.isArray(args.blocks)) message.blocks = args.blocks;
        if (Array.isArray(args.attachments)) message.attachments = args.attachments;
        if (isMetadata(args.metadata)) message.metadata = args.metadata;
        message.edited = { user: botUserId, ts: nextTs() };
        return { ok: true, channel, ts, text: message.text, message: present(message, true) };
      }
      case "chat.postEphemeral": {
        const channel = str(args.channel);
        if (!channel) return { ok: false, error: "channel_not_found" };
        if (!str(args.user)) return { ok: false, error: "user_not_in_channel" };
        return { ok: true, message_ts: nextTs() };
      }
      case "views.open": {
        // Slack accepts a trigger id for 3 s after the interaction; the fake only checks that one was sent.
        if (!str(args.trigger_id)) return { ok: false, error: "invalid_trigger_id" };
        const view = args.view;
        if (!view || typeof view !== "object" || (view as { type?: unknown }).type !== "modal") {
          return { ok: false, error: "invalid_arguments" };
        }
        return { ok: true, view: { ...(view as Record<string, unknown>), id: `V${nextTs().replace(".", "")}` } };
      }
      case "usergroups.users.list": {
        const group = str(args.usergroup);
        const members = group ? userGroups.get(group) : undefined;
        if (!members) return { ok: false, error: "no_such_subteam" };
        return { ok: true, users: [...members] };
      }
      case "reactions.add": {
        const channel = str(args.channel);
        const ts = str(args.timestamp);
        const name = str(args.name);
        if (!name) return { ok: false, error: "invalid_name" };
        const message = channel && ts ? findMessage(channel, ts) : undefined;
        if (!message) return { ok: false, error: "message_not_found" };
        message.reactions = message.reactions ?? [];
        const existing = message.reactions.find((r) => r.name === name);
        if (existing?.users.includes(botUserId)) return { ok: false, error: "already_reacted" };
        if (existing) {
          existing.users.push(botUserId);
          existing.count += 1;
        } else {
          message.reactions.push({ name, users: [botUserId], count: 1 });
        }
        return { ok: true };
      }
      case "conversations.replies": {
        const channel = str(args.channel);
        const ts = str(args.ts);
        if (!channel) return { ok: false, error: "channel_not_found" };
        const parent = ts ? findMessage(channel, ts) : undefined;
        if (!parent) return { ok: false, error: "thread_not_found" };
        const thread = [parent, ...threadReplies(parent)];
        return page(thread, args, truthy(args.include_all_metadata));
      }
      case "conversations.history": {
        const channel = str(args.channel);
        if (!channel) return { ok: false, error: "channel_not_found" };
        // History lists top-level messages newest first; thread replies stay in their thread.
        const topLevel = channelMessages(channel)
          .filter((m) => !m.thread_ts || m.thread_ts === m.ts)
          .filter((m) => inRange(m.ts, args))
          .reverse();
        return page(topLevel, args, truthy(args.include_all_metadata));
      }
      case "conversations.info": {
        const channel = str(args.channel);
        if (!channel) return { ok: false, error: "channel_not_found" };
        return {
          ok: true,
          channel: { id: channel, name: channel.toLowerCase(), is_channel: true, is_private: false, is_member: true },
        };
      }
      case "users.info": {
        const id = str(args.user);
        if (!id) return { ok: false, error: "user_not_found" };
        const user = users.get(id) ?? { id, name: id.toLowerCase() };
        return {
          ok: true,
          user: {
            id: user.id,
            team_id: teamId,
            name: user.name,
            real_name: user.real_name ?? user.name,
            is_bot: false,
            tz: "Etc/UTC",
            profile: { display_name: user.name, real_name: user.real_name ?? user.name },
          },
        };
      }
      default:
        return { ok: false, error: "unknown_method" };
    }
  }

  function page(messages: FakeSlackMessage[], args: Record<string, unknown>, includeMetadata: boolean) {
    const limit = Number(args.limit ?? 100) > 0 ? Number(args.limit ?? 100) : 100;
    const selected = messages.slice(0, limit);
    return {
      ok: true,
      messages: selected.map((m) => present(m, includeMetadata)),
      has_more: messages.length > limit,
      response_metadata: { next_cursor: "" },
    };
  }

  function takeFailure(method: string): Required<FailureInjection> | undefined {
    const queue = failures.get(method);
    const next = queue?.[0];
    if (!queue || !next) return undefined;
    next.times -= 1;
    if (next.times <= 0) queue.shift();
    return next;
  }

  function record(call: FakeSlackCall): void {
    calls.push(call);
    for (const waiter of [...waiters]) {
      if (!waiter.predicate(call)) continue;
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(call);
    }
  }

  function reply(res: ServerResponse, status: number, body: Record<string, unknown>, headers = {}): void {
    res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
    res.end(JSON.stringify(body));
  }

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const match = /^\/api\/([A-Za-z0-9_.]+)$/.exec(url.pathname);
    if (!match?.[1]) {
      reply(res, 404, { ok: false, error: "unknown_method" });
      return;
    }
    const method = match[1];
    const raw = await readBody(req);
    const contentType = req.headers["content-type"];
    let args: Record<string, unknown>;
    try {
      args = { ...Object.fromEntries(url.searchParams), ...parseArgs(raw, contentType) };
    } catch {
      const response = { ok: false, error: "invalid_json" };
      record({ method, args: {}, contentType, status: 200, response, at: Date.now() });
      reply(res, 200, response);
      return;
    }
    const token = bearer(req.headers.authorization) ?? str(args.token);
    const base = { method, args, token, contentType, at: Date.now() };

    const failure = takeFailure(method);
    if (failure) {
      const response = { ok: false, error: failure.status === 429 ? "ratelimited" : failure.error };
      const headers = failure.status === 429 ? { "retry-after": String(failure.retryAfter) } : {};
      record({ ...base, status: failure.status, response });
      reply(res, failure.status, response, headers);
      return;
    }

    let response: Record<string, unknown>;
    if (!token) response = { ok: false, error: "not_authed" };
    else if (options.tokens && !options.tokens.includes(token)) response = { ok: false, error: "invalid_auth" };
    else response = handle(method, args);
    record({ ...base, status: 200, response });
    reply(res, 200, response);
  }

  const server = createServer((req, res) => {
    onRequest(req, res).catch(() => {
      if (!res.headersSent) reply(res, 500, { ok: false, error: "fake_internal_error" });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/api/`,
    calls,
    callsTo: (method) => calls.filter((c) => c.method === method),
    waitFor(predicate, timeoutMs = 2000) {
      const seen = calls.find(predicate);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const waiter = {
          predicate,
          resolve: (call: FakeSlackCall) => {
            clearTimeout(timer);
            resolve(call);
          },
        };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          const seenMethods = calls.map((c) => c.method).join(", ") || "none";
          reject(new Error(`fake Slack: no matching call within ${timeoutMs} ms (calls so far: ${seenMethods})`));
        }, timeoutMs);
        waiters.push(waiter);
      });
    },
    seedMessage: (channel, message) => store(channel, message),
    seedUser: (user) => {
      users.set(user.id, user);
    },
    seedUserGroup: (groupId, userIds) => {
      userGroups.set(groupId, [...userIds]);
    },
    getMessage: findMessage,
    messages: (channel) => [...channelMessages(channel)],
    failNext(method, injection = {}) {
      const queue = failures.get(method) ?? [];
      queue.push({
        times: injection.times ?? 1,
        status: injection.status ?? 200,
        retryAfter: injection.retryAfter ?? 1,
        error: injection.error ?? "ratelimited",
      });
      failures.set(method, queue);
    },
    clearCalls() {
      calls.length = 0;
    },
    close() {
      server.closeAllConnections();
      return new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}

const JSON_ARGS = ["blocks", "attachments", "metadata", "view"];

function parseArgs(raw: string, contentType: string | undefined): Record<string, unknown> {
  if (!raw) return {};
  if (contentType?.startsWith("application/json")) {
    const parsed: unknown = JSON.parse(raw);
    return parsed && typeof parsed === "object" ? (parsed as Record<string, unknown>) : {};
  }
  const args: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(parseQuery(raw))) {
    const single = Array.isArray(value) ? value[0] : value;
    // Slack sends structured arguments as JSON strings inside the form.
    args[key] = JSON_ARGS.includes(key) && typeof single === "string" ? JSON.parse(single) : single;
  }
  return args;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function bearer(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? "");
  return match?.[1];
}

function str(value: unknown): string | undefined {
  if (typeof value === "string" && value.length > 0) return value;
  if (typeof value === "number") return String(value);
  return undefined;
}

function truthy(value: unknown): boolean {
  return value === true || value === "true" || value === "1" || value === 1;
}

function isMetadata(value: unknown): value is FakeSlackMessage["metadata"] {
  return Boolean(
    value && typeof value === "object" && typeof (value as { event_type?: unknown }).event_type === "string",
  );
}

function compareTs(a: string, b: string): number {
  return Number(a) - Number(b) || a.localeCompare(b);
}

function inRange(ts: string, args: Record<string, unknown>): boolean {
  const latest = str(args.latest);
  const oldest = str(args.oldest);
  const inclusive = truthy(args.inclusive);
  if (latest && (inclusive ? Number(ts) > Number(latest) : Number(ts) >= Number(latest))) return false;
  if (oldest && (inclusive ? Number(ts) < Number(oldest) : Number(ts) <= Number(oldest))) return false;
  return true;
}
