import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SlackConfigError, selectSlackTransport } from "./transport.ts";

describe("slack/transport selectSlackTransport", () => {
  it("is none when nothing is configured", () => {
    assert.equal(selectSlackTransport({}), "none");
    assert.equal(selectSlackTransport({ botToken: "  ", signingSecret: "" }), "none");
  });

  it("uses the HTTP Events API with a bot token and a signing secret", () => {
    assert.equal(selectSlackTransport({ botToken: "xoxb-1", signingSecret: "s3cret" }), "http");
  });

  it("uses Socket Mode with a bot token and an app token, even when a signing secret is also set", () => {
    assert.equal(selectSlackTransport({ botToken: "xoxb-1", appToken: "xapp-1" }), "socket");
    assert.equal(selectSlackTransport({ botToken: "xoxb-1", appToken: "xapp-1", signingSecret: "s" }), "socket");
  });

  it("explains that a bot token alone cannot receive events", () => {
    assert.throws(
      () => selectSlackTransport({ botToken: "xoxb-1" }),
      (error: unknown) =>
        error instanceof SlackConfigError &&
        /SLACK_SIGNING_SECRET/.test(error.message) &&
        /SLACK_APP_TOKEN/.test(error.message),
    );
  });

  it("explains that a signing secret or app token needs the bot token", () => {
    assert.throws(
      () => selectSlackTransport({ signingSecret: "s" }),
      /SLACK_SIGNING_SECRET is set but SLACK_BOT_TOKEN is not/,
    );
    assert.throws(
      () => selectSlackTransport({ appToken: "xapp-1" }),
      /SLACK_APP_TOKEN is set but SLACK_BOT_TOKEN is not/,
    );
  });

  it("catches swapped tokens", () => {
    assert.throws(() => selectSlackTransport({ botToken: "xapp-1", signingSecret: "s" }), /app-level token/);
    assert.throws(() => selectSlackTransport({ botToken: "xoxb-1", appToken: "xoxb-2" }), /SLACK_APP_TOKEN must be/);
  });
});
