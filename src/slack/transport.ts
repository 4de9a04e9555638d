/**
 * Which way Slack events reach Vigil, decided from configuration alone:
 * - `http`: the Events API posts signed requests to `POST /slack/events` (bot token + signing secret);
 * - `socket`: Vigil opens a Socket Mode websocket, no public URL needed (bot token + app token);
 * - `none`: Slack is not configured.
 *
 * @example
 * const mode = selectSlackTransport({ botToken: env.SLACK_BOT_TOKEN, signingSecret: env.SLACK_SIGNING_SECRET });
 */

export type SlackTransportMode = "http" | "socket" | "none";

export interface SlackTransportConfig {
  botToken?: string; // SLACK_BOT_TOKEN, xoxb-…
  signingSecret?: string; // SLACK_SIGNING_SECRET
  appToken?: string; // SLACK_APP_TOKEN, xapp-…
}

export class SlackConfigError extends Error {
  override name = "SlackConfigError";
}

/**
 * Picks the transport, or throws a SlackConfigError that says what to set. When both an app token and a signing
 * secret are given, Socket Mode wins: an app token is only ever created to use it.
 */
export function selectSlackTransport(config: SlackTransportConfig): SlackTransportMode {
  const botToken = present(config.botToken);
  const signingSecret = present(config.signingSecret);
  const appToken = present(config.appToken);

  if (!botToken && !signingSecret && !appToken) return "none";
  if (botToken?.startsWith("xapp-")) {
    throw new SlackConfigError(
      "SLACK_BOT_TOKEN holds an app-level token (xapp-…); put it in SLACK_APP_TOKEN and set SLACK_BOT_TOKEN to the bot token (xoxb-…)",
    );
  }
  if (appToken && !appToken.startsWith("xapp-")) {
    throw new SlackConfigError("SLACK_APP_TOKEN must be an app-level token (xapp-…) with the connections:write scope");
  }
  if (!botToken) {
    const given = appToken ? "SLACK_APP_TOKEN" : "SLACK_SIGNING_SECRET";
    throw new SlackConfigError(
      `${given} is set but SLACK_BOT_TOKEN is not; Vigil needs the bot token (xoxb-…) to post and read in Slack`,
    );
  }
  if (appToken) return "socket";
  if (signingSecret) return "http";
  throw new SlackConfigError(
    "SLACK_BOT_TOKEN is set but Vigil has no way to receive events: set SLACK_SIGNING_SECRET for the HTTP Events API (POST /slack/events) or SLACK_APP_TOKEN for Socket Mode",
  );
}

function present(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}
