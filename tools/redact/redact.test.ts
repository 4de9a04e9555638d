import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { containsSecret, REDACTED, type RedactionStats, redactDeep, redactText } from "./redact.ts";

const SECRETS: Array<[string, string]> = [
  ["jwt", "auth ok token=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"],
  ["bearer", "GET /api Authorization: Bearer abcDEF123456.ghiJKL789"],
  ["url password", "connecting to postgres://app:s3cr3tP4ss@db.internal:5432/orders"],
  ["aws key", "using AKIAIOSFODNN7EXAMPLE for s3"],
  ["aws secret", "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"],
  ["slack", "posting with xoxb-123456789012-1234567890123-abcdefABCDEF"],
  ["github", "clone with ghp_abcdefghijklmnopqrstuvwxyz0123456789"],
  ["private key", "key: -----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----"],
  ["password kv", 'config {"password": "hunter2", "user": "bob"}'],
  ["api key kv", "api_key=0123456789abcdef retries=3"],
];

describe("tools/redact", () => {
  for (const [name, text] of SECRETS) {
    it(`redacts ${name}`, () => {
      const out = redactText(text);

      assert.ok(out.includes(REDACTED), out);
      assert.equal(containsSecret(out), false, `still leaks: ${out}`);
    });
  }

  it("keeps what is not secret readable", () => {
    const line = "upstream checkout timed out after 5000ms (status=504, user=bob)";

    assert.equal(redactText(line), line);
    assert.equal(redactText("postgres://db.internal:5432/orders"), "postgres://db.internal:5432/orders");
  });

  it("keeps the key and the URL user so the line still makes sense", () => {
    assert.equal(redactText("password=hunter2 next"), `password=${REDACTED} next`);
    assert.equal(redactText("redis://cache:pw123@redis:6379"), `redis://cache:${REDACTED}@redis:6379`);
  });

  it("redacts deep structures and values under sensitive keys, counting what it did", () => {
    const stats: RedactionStats = { count: 0, rules: {} };
    const out = redactDeep(
      { labels: { token: "abc", service: "cart" }, lines: ["Bearer zzzzzzzzzzzz"], n: 3, nested: { apiKey: "k-1" } },
      stats,
    );

    assert.deepEqual(out, {
      labels: { token: REDACTED, service: "cart" },
      lines: [`Bearer ${REDACTED}`],
      n: 3,
      nested: { apiKey: REDACTED },
    });
    assert.equal(stats.count, 3);
  });

  it("is idempotent", () => {
    const once = redactText(SECRETS.map(([, t]) => t).join("\n"));

    assert.equal(redactText(once), once);
  });
});
