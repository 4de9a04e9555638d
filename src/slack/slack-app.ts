/**
 * Wires Vigil's Slack side together: the transport (HTTP Events API or Socket Mode), a Bolt App with the router's
 * listeners, and the notifier that posts and edits messages.
 *
 * @example
 * const slack = createSlack({ botToken, signingSecret, channel, logger, onMention, onFeedback });
 * if (slack.httpHandler) routes.post("/slack/events", slack.httpHandler);
 * await slack.start(); // calls auth.test, connects the socket in Socket Mode
 * // ...
 * await slack.stop();
 */
import { App, type webApi } from "@slack/bolt";
import type { Logger } from "pino";
import { boltLoggerFrom } from "./bolt-logger.ts";
import { createSlackNotifier, type SlackNotifier } from "./notifier.ts";
import { registerSlackRouter, type SlackRouterOptions } from "./router.ts";
import { SlackConfigError, selectSlackTransport } from "./transport.ts";
import { HttpEventsReceiver, type SlackHttpHandler } from "./transport-http.ts";
import { createSocketReceiver } from "./transport-socket.ts";

export interface CreateSlackOptions {
  botToken: string; // SLACK_BOT_TOKEN
  signingSecret?: string; // SLACK_SIGNING_SECRET: HTTP Events API
  appToken?: string; // SLACK_APP_TOKEN: Socket Mode (wins over the signing secret)
  apiUrl?: string; // SLACK_API_URL, default https://slack.com/api/
  channel?: string; // SLACK_CHANNEL, where webhook alerts are posted
  logger: Logger;
  onMention: SlackRouterOptions["onMention"];
  onFeedback: SlackRouterOptions["onFeedback"];
  onRealCause?: SlackRouterOptions["onRealCause"]; // the reason / real cause modal; without it no modal opens
  findInvestigationByMessage?: SlackRouterOptions["findInvestigationByMessage"]; // 👍/👎 on summaries
  leaderboard?: SlackRouterOptions["leaderboard"]; // `/vigil strategies [class]`
  slashCommands?: SlackRouterOptions["slashCommands"]; // more `/vigil` subcommands
  claimEvent?: SlackRouterOptions["claimEvent"]; // default in-memory (one replica)
  webUrl?: string; // VIGIL_PUBLIC_URL, for links to the web UI
  retryConfig?: webApi.RetryOptions; // default WebClient's; tests pass { retries: 0 }
}

export interface VigilSlack {
  mode: "http" | "socket";
  notifier: SlackNotifier;
  /** Present in HTTP mode: mount at `POST /slack/events` on the daemon's server. */
  httpHandler?: SlackHttpHandler;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The Bolt app, for tests and later listeners (reactions, slash commands). */
  app: App;
}

export function createSlack(options: CreateSlackOptions): VigilSlack {
  const mode = selectSlackTransport(options);
  if (mode === "none") throw new SlackConfigError("createSlack needs SLACK_BOT_TOKEN");
  const logger = options.logger.child({ component: "slack" });

  const httpReceiver =
    mode === "http" && options.signingSecret
      ? new HttpEventsReceiver({ signingSecret: options.signingSecret, logger })
      : undefined;
  const receiver = httpReceiver ?? createSocketReceiver({ appToken: options.appToken ?? "", logger });

  const clientOptions = {
    ...(options.apiUrl ? { slackApiUrl: options.apiUrl } : {}),
    ...(options.retryConfig ? { retryConfig: options.retryConfig } : {}),
  };
  const app = new App({
    token: options.botToken,
    receiver,
    logger: boltLoggerFrom(logger),
    clientOptions,
    // auth.test runs in start(), not in the constructor, so a bad token or unreachable Slack is a start-up
    // error the daemon can report instead of an unhandled rejection.
    deferInitialization: true,
  });

  registerSlackRouter(app, {
    onMention: options.onMention,
    onFeedback: options.onFeedback,
    onRealCause: options.onRealCause,
    findInvestigationByMessage: options.findInvestigationByMessage,
    leaderboard: options.leaderboard,
    slashCommands: options.slashCommands,
    claimEvent: options.claimEvent,
    logger,
  });

  const notifier = createSlackNotifier({
    token: options.botToken,
    slackApiUrl: options.apiUrl,
    channel: options.channel,
    retryConfig: options.retryConfig,
    webUrl: options.webUrl,
    logger,
  });

  let started = false;
  return {
    mode,
    notifier,
    app,
    ...(httpReceiver ? { httpHandler: httpReceiver.requestHandler } : {}),
    async start() {
      if (started) return;
      await app.init();
      await app.start();
      started = true;
      logger.info({ mode }, "Slack connected");
    },
    async stop() {
      if (!started) return;
      started = false;
      await app.stop();
    },
  };
}
