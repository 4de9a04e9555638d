import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  compareTemplates,
  logLevelOf,
  type MinerLine,
  mineTemplates,
  splitTemplates,
  tokenize,
} from "./log-templates.ts";

const T0 = Date.UTC(2026, 0, 15, 10, 0, 0);
const MIN = 60_000;

function steadyTraffic(from: number, to: number, everyMs: number): MinerLine[] {
  const lines: MinerLine[] = [];
  let i = 0;
  for (let t = from; t < to; t += everyMs, i++) {
    lines.push({
      t,
      service: "frontend",
      line: `10.0.${i % 250}.${(i * 7) % 250} - - "GET /api/products/${1000 + i} HTTP/1.1" 200 ${300 + (i % 90)} ${i % 40}ms`,
    });
    lines.push({
      t: t + 1,
      service: "checkout",
      line: `level=info ts=2026-01-15T10:${String(i % 60).padStart(2, "0")}:00Z msg="order placed" order_id=${50_000 + i} amount=${(i % 17) + 0.99}`,
    });
  }
  return lines;
}

describe("agents/analysis/log-templates", () => {
  describe("tokenize masks variable parts", () => {
    it("masks timestamps, IPs, ports, durations, numbers, UUIDs, hex, ids and quoted strings", () => {
      assert.deepEqual(
        tokenize(
          '2026-01-15T10:00:00.123Z ERROR pool exhausted host=10.0.3.4:5432 after 1.5s waited=250ms req=8f1e2d3c-1111-2222-3333-444455556666 user "alice" sha=4bf92f3577b34da6 pod=checkout-7f9c8d6b5-x2x4z addr=0x7ffe attempts=3',
        ),
        [
          "<*>",
          "ERROR",
          "pool",
          "exhausted",
          "host=<*>",
          "after",
          "<*>",
          "waited=<*>",
          "req=<*>",
          "user",
          "<*>",
          "sha=<*>",
          "pod=<*>",
          "addr=<*>",
          "attempts=<*>",
        ],
      );
    });

    it("keeps the text of message-like keys and words with digits such as http2 or /v1/", () => {
      assert.deepEqual(tokenize('level=error msg="upstream connect error" proto=http2 path=/api/v1/users/42'), [
        "level=error",
        "msg=upstream",
        "connect",
        "error",
        "proto=http2",
        "path=/api/v1/users/<*>",
      ]);
    });

    it("flattens JSON lines to key=value tokens and drops their timestamps", () => {
      assert.deepEqual(
        tokenize('{"ts":"2026-01-15T10:00:00Z","level":"error","msg":"redis timeout","attempt":3,"ctx":{"a":1}}'),
        ["level=error", "msg=redis", "timeout", "attempt=<*>", "ctx=<*>"],
      );
    });
  });

  describe("mineTemplates", () => {
    it("groups lines that differ only in variables and keeps different messages apart", () => {
      const lines: MinerLine[] = [
        {
          t: T0 + 3,
          service: "checkout",
          line: "ERROR payment failed for order 1001: connection refused to 10.0.0.7:5432",
        },
        {
          t: T0 + 1,
          service: "checkout",
          line: "ERROR payment failed for order 1002: connection refused to 10.0.0.8:5432",
        },
        {
          t: T0 + 2,
          service: "billing",
          line: "ERROR payment failed for order 1003: connection refused to 10.0.0.9:5432",
        },
        {
          t: T0 + 4,
          service: "checkout",
          line: "ERROR payment failed for order 1004: connection refused to 10.0.0.7:5432",
        },
        { t: T0 + 5, service: "cart", line: "WARN cache miss ratio 0.93 above 0.8" },
        { t: T0 + 6, service: "cart", line: "INFO cart 77 updated by user 12" },
      ];

      const templates = mineTemplates(lines);

      assert.equal(templates.length, 3);
      const payment = templates[0];
      assert.equal(payment?.template, "ERROR payment failed for order <*> connection refused to <*>");
      assert.equal(payment?.count, 4);
      assert.deepEqual(payment?.services, ["billing", "checkout"]);
      assert.deepEqual(payment?.serviceCounts, { billing: 1, checkout: 3 });
      assert.equal(payment?.firstSeen, T0 + 1);
      assert.equal(payment?.lastSeen, T0 + 4);
      assert.equal(payment?.firstService, "checkout");
      assert.equal(payment?.examples.length, 3);
      assert.equal(payment?.examples[0], lines[0]?.line);
      assert.match(payment?.id ?? "", /^tpl-[0-9a-f]{8}$/);
    });

    it("turns differing words into wildcards once a cluster is similar enough", () => {
      const templates = mineTemplates([
        { t: 1, line: "user alice logged in from web" },
        { t: 2, line: "user bob logged in from mobile" },
        { t: 3, line: "disk sda1 is almost full" },
      ]);

      assert.deepEqual(
        templates.map((t) => [t.template, t.count]),
        [
          ["user <*> logged in from <*>", 2],
          ["disk sda1 is almost full", 1],
        ],
      );
    });

    it("is deterministic: same input, same templates and ids", () => {
      const lines = steadyTraffic(T0, T0 + 10 * MIN, 1_000);

      assert.deepEqual(mineTemplates(lines), mineTemplates(lines));
    });

    // Its speed is measured by `npm run bench`; here: 10k lines collapse into their two templates.
    it("mines 10k realistic lines into their templates", () => {
      const lines = steadyTraffic(T0, T0 + 5_000 * 1_000, 1_000);
      assert.equal(lines.length, 10_000);

      const templates = mineTemplates(lines);

      assert.equal(templates.length, 2);
      assert.equal(
        templates.reduce((sum, t) => sum + t.count, 0),
        10_000,
      );
    });
  });

  describe("splitTemplates", () => {
    it("finds the template that is new after the split and the service that emitted it first", () => {
      const split = T0 + 30 * MIN;
      const lines = steadyTraffic(T0, T0 + 40 * MIN, 10_000);
      for (let i = 0; i < 30; i++) {
        const t = split + 60_000 + i * 10_000;
        lines.push({
          t: i === 0 ? t - 30_000 : t,
          service: i === 0 ? "postgres-proxy" : "checkout",
          line: `level=error msg="could not obtain connection" pool=primary waited=${1000 + i}ms active=${50 + (i % 3)}`,
        });
      }
      // A warning that exists before and spikes after.
      for (let i = 0; i < 5; i++)
        lines.push({ t: T0 + i * 5 * MIN, service: "checkout", line: `WARN slow query took ${400 + i}ms` });
      for (let i = 0; i < 40; i++)
        lines.push({ t: split + i * 15_000, service: "checkout", line: `WARN slow query took ${900 + i}ms` });

      const shifts = splitTemplates(lines, split, { range: { from: T0, to: T0 + 40 * MIN } });

      const top = shifts[0];
      assert.equal(top?.isNew, true);
      assert.match(top?.template ?? "", /could not obtain connection/);
      assert.equal(top?.before, 0);
      assert.equal(top?.after, 30);
      assert.equal(top?.firstServiceAfter, "postgres-proxy");
      assert.equal(top?.firstSeenAfter, split + 30_000);
      const slow = shifts.find((s) => s.template.startsWith("WARN slow query"));
      assert.equal(slow?.isNew, false);
      assert.ok((slow?.spikeRatio ?? 0) > 10, `slow query spike ${slow?.spikeRatio}`);
      const steady = shifts.find((s) => s.template.includes("order placed"));
      assert.ok(steady && steady.spikeRatio > 0.8 && steady.spikeRatio < 1.25, `steady ratio ${steady?.spikeRatio}`);
      assert.ok(shifts.indexOf(steady) > shifts.indexOf(slow as never));
    });
  });

  describe("compareTemplates", () => {
    it("matches templates mined separately and flags new and spiking ones", () => {
      const baseline = mineTemplates([
        { t: 1, service: "api", line: "GET /health 200 1ms" },
        { t: 2, service: "api", line: "GET /health 200 2ms" },
        { t: 3, service: "api", line: "ERROR timeout calling inventory after 5s" },
      ]);
      const after = mineTemplates([
        { t: 10, service: "api", line: "GET /health 200 1ms" },
        { t: 11, service: "api", line: "GET /health 200 3ms" },
        ...Array.from({ length: 12 }, (_, i) => ({
          t: 12 + i,
          service: "api",
          line: `ERROR timeout calling inventory after ${5 + i}s`,
        })),
        { t: 30, service: "inventory", line: "FATAL out of memory: killed process 4242" },
      ]);

      const shifts = compareTemplates(baseline, after);

      assert.equal(shifts[0]?.isNew, true);
      assert.match(shifts[0]?.template ?? "", /out of memory/);
      assert.equal(shifts[0]?.firstServiceAfter, "inventory");
      const timeout = shifts.find((s) => s.template.includes("timeout calling inventory"));
      assert.equal(timeout?.before, 1);
      assert.equal(timeout?.after, 12);
      assert.ok((timeout?.spikeRatio ?? 0) > 5);
      const health = shifts.find((s) => s.template.startsWith("GET /health"));
      assert.equal(health?.spikeRatio, 1);
    });
  });

  describe("logLevelOf", () => {
    it("prefers a level or severity label", () => {
      assert.equal(logLevelOf("everything is fine", { level: "ERROR" }), "error");
      assert.equal(logLevelOf("ERROR but labelled", { severity: "warning" }), "warn");
      assert.equal(logLevelOf("x", { detected_level: "debug" }), "debug");
    });

    it("reads JSON level and severity fields, including pino's numeric levels", () => {
      assert.equal(logLevelOf('{"level":"warn","msg":"retrying"}'), "warn");
      assert.equal(logLevelOf('{"severity":"CRITICAL","message":"disk full"}'), "error");
      assert.equal(logLevelOf('{"level":50,"msg":"request failed"}'), "error");
      assert.equal(logLevelOf('{"level":30,"msg":"listening"}'), "info");
    });

    it("reads logfmt level= and leading level words", () => {
      assert.equal(logLevelOf('ts=2026-01-15T10:00:00Z level=error msg="boom"'), "error");
      assert.equal(logLevelOf("2026-01-15 10:00:00,123 WARNING [main] low memory"), "warn");
      assert.equal(logLevelOf("[ERROR] 2026/01/15 10:00:00 handler.go:42: nil pointer"), "error");
      assert.equal(logLevelOf("E0115 10:00:00.123456       1 reflector.go:138] failed to list"), "error");
      assert.equal(logLevelOf("DEBUG cache warmup done"), "debug");
      assert.equal(logLevelOf("FATAL could not bind :8080"), "error");
    });

    it("says nothing when nothing says the level, even if the text mentions one", () => {
      assert.equal(logLevelOf("GET /api/errors 200 3ms"), undefined);
      assert.equal(logLevelOf("retrying after an error in the upstream"), undefined);
    });
  });
});
