import pino, { type Logger } from "pino";

/** Paths pino blanks out wherever they occur in a log object, so tokens never reach the logs. */
const REDACT_PATHS = [
  "token",
  "*.token",
  "authorization",
  "*.authorization",
  "headers.authorization",
  "password",
  "*.password",
  "botToken",
  "signingSecret",
  "appToken",
  "config.SLACK_BOT_TOKEN",
  "config.SLACK_SIGNING_SECRET",
  "config.SLACK_APP_TOKEN",
  "config.PROMETHEUS_BEARER_TOKEN",
  "config.DATABASE_URL",
];

export type { Logger };

export function createLogger(level = "info", destination?: pino.DestinationStream): Logger {
  return pino({ name: "vigil", level, redact: { paths: REDACT_PATHS, censor: "[redacted]" } }, destination);
}
