import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { ConfigError, ENV_DOCS, loadConfig } from "./config.ts";
import { HELP } from "./main.ts";

function issuesOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  return [];
}

describe("src/config", () => {
  it("has working defaults with nothing set", () => {
    const config = loadConfig({});

    assert.equal(config.PORT, 8080);
    assert.equal(config.HOST, "127.0.0.1");
    assert.equal(config.DATABASE_URL, undefined);
    assert.equal(config.VIGIL_ABSTAIN_THRESHOLD, 0.35);
  });

  it("names the variable of every bad value", () => {
    const issues = issuesOf({
      PORT: "eighty",
      PROMETHEUS_URL: "not a url",
      DATABASE_URL: "mysql://x",
      VIGIL_ABSTAIN_THRESHOLD: "2",
    });

    assert.ok(
      issues.some((i) => i.startsWith("PORT ")),
      issues.join("\n"),
    );
    assert.ok(issues.some((i) => i.startsWith("PROMETHEUS_URL ")));
    assert.ok(issues.some((i) => i.startsWith("DATABASE_URL ")));
    assert.ok(issues.some((i) => i.startsWith("VIGIL_ABSTAIN_THRESHOLD ")));
  });

  it("refuses an incomplete Slack configuration", () => {
    assert.ok(issuesOf({ SLACK_BOT_TOKEN: "xoxb-1" }).some((i) => i.startsWith("SLACK_SIGNING_SECRET ")));
    assert.ok(issuesOf({ SLACK_SIGNING_SECRET: "s" }).some((i) => i.startsWith("SLACK_BOT_TOKEN ")));
    assert.deepEqual(issuesOf({ SLACK_BOT_TOKEN: "xoxb-1", SLACK_APP_TOKEN: "xapp-1" }), []);
  });

  it("documents every variable it reads in --help", () => {
    for (const { name } of ENV_DOCS) assert.ok(HELP.includes(name), `${name} missing from --help`);
  });

  it("makes `vigil serve` exit with a message naming the bad variable", () => {
    const run = spawnSync(process.execPath, ["bin/vigil.mjs", "serve"], {
      env: { ...process.env, PORT: "99999", LOG_LEVEL: "silent" },
      encoding: "utf8",
      timeout: 30_000,
    });

    assert.equal(run.status, 78);
    assert.match(run.stderr, /PORT must be at most 65535/);
  });
});

describe("README", () => {
  it("documents every environment variable in its configuration table", async () => {
    const { readFileSync } = await import("node:fs");
    const readme = readFileSync("README.md", "utf8");

    for (const { name } of ENV_DOCS) assert.ok(readme.includes(`\`${name}\``), `${name} missing from README`);
  });
});
