/**
 * The HTTP Events API transport: a Bolt `Receiver` whose `requestHandler` Vigil's own node:http server mounts at
 * `POST /slack/events`. It never listens itself (the daemon owns the port, beside webhooks, UI and /metrics).
 *
 * Every request is verified before anything else happens: the v0 signature over the raw body, and a timestamp
 * no more than five minutes from now in either direction (replay protection). Then it answers url_verification,
 * acknowledges within Slack's 3 s, and hands the event to `app.processEvent`.
 *
 * @example
 * const receiver = new HttpEventsReceiver({ signingSecret, logger });
 * const app = new App({ token, receiver });
 * createServer((req, res) => (req.url === "/slack/events" ? receiver.requestHandler(req, res) : notFound(res)));
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { parse as parseQuery } from "node:querystring";
import {
  type App,
  HTTPModuleFunctions,
  HTTPResponseAck,
  type Receiver,
  type ReceiverEvent,
  verifySlackRequest,
} from "@slack/bolt";
import type { Logger } from "pino";
import { z } from "zod";
import { boltLoggerFrom } from "./bolt-logger.ts";

export interface HttpEventsReceiverOptions {
  signingSecret: string;
  logger: Logger;
  bodyLimit?: number; // default 1 MiB; Slack's payloads are far smaller
  maxClockSkewSeconds?: number; // default 300, Slack's documented replay window
  /** Milliseconds after which an unacknowledged request gets a 404, as Bolt's HTTPReceiver does. */
  unhandledRequestTimeoutMillis?: number; // default 3001
  now?: () => number; // default Date.now; tests pin the clock
}

export type SlackHttpHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export class HttpEventsReceiver implements Receiver {
  private app?: App;
  private readonly logger: Logger;
  private readonly boltLogger;

  constructor(private readonly options: HttpEventsReceiverOptions) {
    if (!options.signingSecret) throw new Error("HttpEventsReceiver needs a signing secret");
    this.logger = options.logger.child({ component: "slack-http" });
    this.boltLogger = boltLoggerFrom(options.logger);
  }

  init(app: App): void {
    this.app = app;
  }

  // The daemon's HTTP server owns the port, so there is nothing to start or stop here.
  async start(): Promise<void> {}

  async stop(): Promise<void> {}

  /** Mount at `POST /slack/events`. Resolves when the event has been processed (the response is sent at ack). */
  readonly requestHandler: SlackHttpHandler = async (req, res) => {
    if (req.method !== "POST") {
      res.writeHead(405, { allow: "POST" });
      res.end();
      return;
    }

    let raw: string;
    let buffered: Awaited<ReturnType<typeof HTTPModuleFunctions.bufferIncomingMessage>>;
    try {
      buffered = await HTTPModuleFunctions.bufferIncomingMessage(req, this.options.bodyLimit ?? 1024 * 1024);
      raw = buffered.rawBody.toString("utf8");
    } catch (error) {
      const tooLarge = HTTPModuleFunctions.isRawBodyError(error) && error.statusCode === 413;
      this.logger.warn({ tooLarge }, "Could not read a Slack request body");
      HTTPModuleFunctions.buildNoBodyResponse(res, tooLarge ? 413 : 400);
      return;
    }

    const isForm = (req.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded");
    // Slack's SSL check is unsigned and carries nothing to process.
    if (isForm && parseQuery(raw).ssl_check === "1") {
      HTTPModuleFunctions.buildSSLCheckResponse(res);
      return;
    }

    const rejection = this.verify(req, raw);
    if (rejection) {
      this.logger.warn({ reason: rejection }, "Rejected a Slack request");
      HTTPModuleFunctions.buildNoBodyResponse(res, 401);
      return;
    }

    let body: Record<string, unknown>;
    try {
      body = parseBody(raw, isForm);
    } catch {
      this.logger.warn({ bytes: raw.length }, "Malformed Slack request body");
      HTTPModuleFunctions.buildNoBodyResponse(res, 400);
      return;
    }

    if (body.type === "url_verification") {
      HTTPModuleFunctions.buildUrlVerificationResponse(res, body);
      return;
    }

    // Bolt answers a payload it cannot route with a 500; a signed body that is no Slack payload is a bad request.
    if (!slackPayloadSchema.safeParse(body).success) {
      this.logger.warn(
        { type: typeof body.type === "string" ? body.type.slice(0, 40) : undefined },
        "Unknown Slack payload",
      );
      HTTPModuleFunctions.buildNoBodyResponse(res, 400);
      return;
    }

    if (!this.app) {
      this.logger.error({}, "Slack request arrived before the Bolt app was initialised");
      HTTPModuleFunctions.buildNoBodyResponse(res, 503);
      return;
    }

    const ack = new HTTPResponseAck({
      logger: this.boltLogger,
      processBeforeResponse: false,
      unhandledRequestTimeoutMillis: this.options.unhandledRequestTimeoutMillis ?? 3001,
      httpRequest: buffered,
      httpRequestBody: body,
      httpResponse: res,
    });
    const event: ReceiverEvent = {
      body,
      ack: ack.bind(),
      retryNum: HTTPModuleFunctions.extractRetryNumFromHTTPRequest(req),
      retryReason: HTTPModuleFunctions.extractRetryReasonFromHTTPRequest(req),
    };
    try {
      await this.app.processEvent(event);
    } catch (error) {
      // Events are acknowledged before listeners run, so this mostly reports listener errors after the fact.
      const acknowledged = await HTTPModuleFunctions.defaultProcessEventErrorHandler({
        error: error instanceof Error ? error : new Error(String(error)),
        logger: this.boltLogger,
        request: req,
        response: res,
        storedResponse: ack.storedResponse,
      });
      if (acknowledged) ack.ack();
    }
  };

  /** Returns why the request must be rejected, or undefined when it is authentic and fresh. */
  private verify(req: IncomingMessage, raw: string): string | undefined {
    const signature = req.headers["x-slack-signature"];
    const timestampHeader = req.headers["x-slack-request-timestamp"];
    if (typeof signature !== "string" || typeof timestampHeader !== "string") return "missing signature headers";
    if (!/^\d{1,12}$/.test(timestampHeader)) return "malformed timestamp";
    const timestamp = Number(timestampHeader);
    const nowMs = (this.options.now ?? Date.now)();
    const skew = Math.abs(Math.floor(nowMs / 1000) - timestamp);
    // Bolt only rejects old timestamps; a timestamp far in the future is just as replayable.
    if (skew > (this.options.maxClockSkewSeconds ?? 300)) return "stale timestamp";
    try {
      verifySlackRequest({
        signingSecret: this.options.signingSecret,
        body: raw,
        headers: { "x-slack-signature": signature, "x-slack-request-timestamp": timestamp },
        nowMilliseconds: nowMs,
      });
    } catch {
      return "bad signature";
    }
    return undefined;
  }
}

/** Events arrive as JSON; interactivity payloads as a form with a `payload` JSON field. */
const anObject = z.object({}).passthrough();

/**
 * The payloads Bolt can route, each with the fields its routing reads: Events API callbacks, slash commands and the
 * interactive payloads (actions, shortcuts, views, options). Anything else gets a 400 before it reaches Bolt.
 */
const slackPayloadSchema = z.union([
  z
    .object({ type: z.literal("event_callback"), event: z.object({ type: z.string().min(1) }).passthrough() })
    .passthrough(),
  z.object({ type: z.literal("app_rate_limited") }).passthrough(),
  z.object({ command: z.string().min(1) }).passthrough(),
  z.object({ type: z.enum(["block_actions", "interactive_message"]), actions: z.array(anObject).min(1) }).passthrough(),
  z.object({ type: z.enum(["view_submission", "view_closed"]), view: anObject }).passthrough(),
  z.object({ type: z.enum(["shortcut", "message_action"]), callback_id: z.string().min(1) }).passthrough(),
  z.object({ type: z.enum(["block_suggestion", "dialog_suggestion"]) }).passthrough(),
  z.object({ type: z.enum(["dialog_submission", "dialog_cancellation"]), callback_id: z.string() }).passthrough(),
]);

function parseBody(raw: string, isForm: boolean): Record<string, unknown> {
  if (!isForm) return asRecord(JSON.parse(raw));
  const form = parseQuery(raw);
  if (typeof form.payload === "string") return asRecord(JSON.parse(form.payload));
  return asRecord(form);
}

function asRecord(value: unknown): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error("body is not an object");
  return value as Record<string, unknown>;
}
