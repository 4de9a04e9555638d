import { webApi } from "@slack/bolt";
import type { Logger } from "pino";

/**
 * Adapts pino to the `@slack/logger` interface Bolt and WebClient expect. Their messages are dynamic strings, so
 * they go into a field under one static message, keeping Vigil's logs groupable.
 */
export function boltLoggerFrom(logger: Logger): webApi.Logger {
  const log = logger.child({ component: "slack-sdk" });
  const join = (parts: unknown[]) =>
    parts.map((p) => (typeof p === "string" ? p : String(p instanceof Error ? p.message : p))).join(" ");
  let level = webApi.LogLevel.INFO;
  return {
    debug: (...msg) => log.debug({ detail: join(msg) }, "Slack SDK log"),
    info: (...msg) => log.info({ detail: join(msg) }, "Slack SDK log"),
    warn: (...msg) => log.warn({ detail: join(msg) }, "Slack SDK log"),
    error: (...msg) => log.error({ detail: join(msg) }, "Slack SDK log"),
    // pino's level is the one that filters; the SDK only asks for these to be present.
    setLevel: (next) => {
      level = next;
    },
    getLevel: () => level,
    setName: () => {},
  };
}
