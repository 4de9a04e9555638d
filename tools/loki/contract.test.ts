import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { type FakeLoki, type FakeLokiStream, startFakeLoki } from "../../test/fakes/loki.ts";
import type { TimeRange } from "../interfaces.ts";
import { LokiClient, toNs } from "./client.ts";

/**
 * The same assertions against the fake and, when LOKI_URL is set, against a real Loki: the guard that stops
 * test/fakes/loki.ts drifting from the real API. The real half pushes its fixture lines (test setup only, with a
 * unique `vigil_contract` label so runs never see each other) and then reads them back through LokiClient.
 */

interface ContractTarget {
  client: LokiClient;
  run: string;
  range: TimeRange;
  lines: ContractLine[];
  stop(): Promise<void>;
}

interface ContractLine {
  service: "checkout" | "cart";
  t: number;
  line: string;
}

function fixture(base: number): ContractLine[] {
  const lines: ContractLine[] = [];
  for (let i = 0; i < 20; i++) {
    const service = i % 2 === 0 ? "checkout" : "cart";
    const kind = i % 5 === 0 ? "timeout calling payments" : i % 3 === 0 ? "Exception in handler" : "request ok";
    lines.push({ service, t: base + i * 1_000, line: `level=info service=${service} seq=${i} msg="${kind}"` });
  }
  return lines;
}

function toStreams(run: string, lines: ContractLine[]): FakeLokiStream[] {
  return (["checkout", "cart"] as const).map((service) => ({
    labels: { vigil_contract: run, service_name: service, env: "test" },
    values: lines.filter((l) => l.service === service).map((l): [string, string] => [toNs(l.t), l.line]),
  }));
}

function defineContract(name: string, skip: string | false, setup: () => Promise<ContractTarget>): void {
  describe(`tools/loki contract: ${name}`, { skip }, () => {
    let target: ContractTarget;
    const sel = (extra = "") => `{vigil_contract="${target.run}"${extra}}`;

    before(async () => {
      target = await setup();
    });
    after(async () => {
      await target?.stop();
    });

    it("labels lists the label names of the fixture streams", async () => {
      const res = await target.client.labels(target.range);

      assert.ok(res.ok, JSON.stringify(res));
      for (const label of ["vigil_contract", "service_name", "env"]) assert.ok(res.data.includes(label), label);
    });

    it("labelValues scoped by a selector lists exactly the fixture services", async () => {
      const res = await target.client.labelValues("service_name", target.range, sel());

      assert.ok(res.ok, JSON.stringify(res));
      assert.deepEqual([...res.data].sort(), ["cart", "checkout"]);
    });

    it("query_range with a selector and a line filter returns only matching lines, oldest first when forward", async () => {
      const res = await target.client.queryRange(`${sel(', service_name="checkout"')} |= "timeout"`, target.range, {
        limit: 100,
        direction: "forward",
      });

      assert.ok(res.ok, JSON.stringify(res));
      assert.equal(res.data.resultType, "streams");
      assert.ok(res.data.resultType === "streams");
      const got = res.data.streams.flatMap((s) => s.entries.map((e) => ({ t: Math.round(e.t), line: e.line })));
      const want = target.lines
        .filter((l) => l.service === "checkout" && l.line.includes("timeout"))
        .map((l) => ({ t: l.t, line: l.line }));
      assert.deepEqual(got, want);
      assert.ok(want.length >= 2, "the fixture must have several matching lines for the order check to mean something");
      assert.equal(res.truncated, false);
    });

    it("regex and negative filters combine: |~ case-insensitive, != excludes", async () => {
      const res = await target.client.queryRange(`${sel()} |~ "(?i)exception|TIMEOUT" != "seq=15"`, target.range, {
        limit: 100,
        direction: "forward",
      });

      assert.ok(res.ok && res.data.resultType === "streams", JSON.stringify(res));
      const got = res.data.streams.flatMap((s) => s.entries.map((e) => e.line)).sort();
      const want = target.lines
        .map((l) => l.line)
        .filter((l) => /exception|timeout/i.test(l) && !l.includes("seq=15"))
        .sort();
      assert.deepEqual(got, want);
    });

    it("limit and direction pick the newest lines (backward) or the oldest (forward), and mark truncation", async () => {
      const backward = await target.client.queryRange(sel(), target.range, { limit: 3, direction: "backward" });
      const forward = await target.client.queryRange(sel(), target.range, { limit: 3, direction: "forward" });

      assert.ok(backward.ok && backward.data.resultType === "streams", JSON.stringify(backward));
      assert.ok(forward.ok && forward.data.resultType === "streams", JSON.stringify(forward));
      const times = (r: typeof backward) =>
        r.ok && r.data.resultType === "streams"
          ? r.data.streams.flatMap((s) => s.entries.map((e) => Math.round(e.t))).sort((a, b) => a - b)
          : [];
      const all = target.lines.map((l) => l.t).sort((a, b) => a - b);
      assert.deepEqual(times(backward), all.slice(-3));
      assert.deepEqual(times(forward), all.slice(0, 3));
      assert.equal(backward.truncated, true);
      // Within a stream, entries come in the direction asked for.
      for (const s of backward.data.streams) {
        assert.deepEqual(
          s.entries.map((e) => e.t),
          [...s.entries.map((e) => e.t)].sort((a, b) => b - a),
        );
      }
    });

    it("series lists the label sets of matching streams", async () => {
      const res = await target.client.series([sel(', service_name="cart"')], target.range);

      assert.ok(res.ok, JSON.stringify(res));
      assert.equal(res.data.length, 1);
      assert.equal(res.data[0]?.service_name, "cart");
      assert.equal(res.data[0]?.vigil_contract, target.run);
    });

    it("an instant count_over_time by service counts the matching lines", async () => {
      const at = target.range.to;
      const windowSec = Math.ceil((at - target.range.from) / 1000) + 1;

      const res = await target.client.query(
        `sum by (service_name) (count_over_time(${sel()} |= "timeout" [${windowSec}s]))`,
        at,
      );

      assert.ok(res.ok, JSON.stringify(res));
      assert.equal(res.data.resultType, "vector");
      assert.ok(res.data.resultType === "vector");
      const counts = Object.fromEntries(res.data.series.map((s) => [s.metric.service_name, s.points[0]?.[1]]));
      const want = (service: string) =>
        target.lines.filter((l) => l.service === service && l.line.includes("timeout")).length;
      assert.deepEqual(counts, { checkout: want("checkout"), cart: want("cart") });
    });

    it("bad LogQL is a typed http error carrying Loki's parse message", async () => {
      const res = await target.client.queryRange(`{vigil_contract="${target.run}"`, target.range, { limit: 10 });

      assert.ok(!res.ok);
      assert.equal(res.error.kind, "http");
      assert.equal(res.error.backend, "loki");
      assert.match(res.error.message, /HTTP 400/);
      assert.match(res.error.message, /parse error/);
    });
  });
}

defineContract("fake", false, async () => {
  const base = Date.now() - 10 * 60_000;
  const run = randomUUID();
  const lines = fixture(base);
  const fake: FakeLoki = await startFakeLoki({ streams: toStreams(run, lines), tenant: "contract" });
  const client = new LokiClient({ baseUrl: fake.url, tenant: "contract", retries: 0 });
  return {
    client,
    run,
    lines,
    range: { from: base - 1_000, to: base + 30_000 },
    stop: async () => {
      // The read-only guarantee: nothing but GET reached the fake.
      assert.deepEqual([...new Set(fake.requests.map((r) => r.method))], ["GET"]);
      await fake.stop();
    },
  };
});

const lokiUrl = process.env.LOKI_URL;
defineContract(
  "real Loki",
  lokiUrl ? false : "LOKI_URL is not set: set LOKI_URL (and LOKI_TENANT) to run the contract against a real Loki",
  async () => {
    const baseUrl = (lokiUrl as string).replace(/\/+$/, "");
    const tenant = process.env.LOKI_TENANT;
    const base = Date.now() - 2 * 60_000;
    const run = randomUUID();
    const lines = fixture(base);
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (tenant) headers["x-scope-orgid"] = tenant;
    // Test setup writes its own fixture; the client under test stays read-only.
    const push = await fetch(`${baseUrl}/loki/api/v1/push`, {
      method: "POST",
      headers,
      body: JSON.stringify({ streams: toStreams(run, lines).map((s) => ({ stream: s.labels, values: s.values })) }),
    });
    assert.ok(push.status < 300, `push failed: ${push.status} ${await push.text()}`);
    const client = new LokiClient({ baseUrl, tenant, timeoutMs: 15_000 });
    const range = { from: base - 1_000, to: base + 30_000 };
    // Ingestion is asynchronous: wait until every pushed line is queryable.
    const deadline = Date.now() + 20_000;
    for (;;) {
      const res = await client.queryRange(`{vigil_contract="${run}"}`, range, { limit: 100 });
      if (res.ok && res.data.resultType === "streams" && res.data.lines === lines.length) break;
      if (Date.now() > deadline) throw new Error(`pushed lines not visible: ${JSON.stringify(res).slice(0, 300)}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    return { client, run, lines, range, stop: async () => undefined };
  },
);
