import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { SpanRecord } from "../../../tools/interfaces.ts";
import type { StrategyReport } from "../../types.ts";
import { runOnFixture } from "../kubernetes-health/run-on-fixture.ts";
import { buildTracesGraph } from "./graph.ts";

describe("agents/strategies/traces", () => {
  const graph = buildTracesGraph();

  it("blames the service where errors begin, not the callers that pass them on (config rollout)", async () => {
    const report = await runOnFixture(graph, "c-cdf56f97");

    assert.equal(report.hypotheses[0]?.service, "svc-b21e");
    assert.equal(report.hypotheses[0]?.evidence[0]?.type, "trace");
    assert.match(report.hypotheses[0]?.evidence[0]?.ref ?? "", /^trace:[0-9a-f]+$/);
  });

  it("finds a callee whose own time grew (CPU saturation)", async () => {
    const report = await runOnFixture(graph, "c-abc77ebc");

    assert.equal(report.hypotheses[0]?.service, "svc-91d2");
  });

  it("reports what it checked and finds nothing without a trace source", async () => {
    const report = await runOnFixture(graph, "c-cdf56f97", ["traces"]);

    assert.equal(report.hypotheses.length, 0);
    assert.equal(report.checked[0], "traces: no trace source");
  });

  it("names an uninstrumented dependency that a client span's error points at", async () => {
    const { createInvestigationTools } = await import("../../../tools/envelope.ts");
    const spans: SpanRecord[] = [];
    for (let i = 0; i < 6; i++) {
      const traceId = `t${i}`;
      spans.push(
        {
          traceId,
          spanId: `${i}a`,
          parentSpanId: "",
          service: "web",
          name: "GET /",
          startMs: 1_000 + i,
          durationMs: 30,
          status: "error",
          attributes: { "error.message": "upstream orders returned 500" },
        },
        {
          traceId,
          spanId: `${i}b`,
          parentSpanId: `${i}a`,
          service: "orders",
          name: "SELECT",
          startMs: 1_001 + i,
          durationMs: 5,
          status: "error",
          attributes: {
            "db.system": "postgresql",
            "server.address": "postgres",
            "error.message": "connection refused",
          },
        },
      );
    }
    const traces = {
      backend: "test",
      services: async () => ({ ok: true as const, data: ["web", "orders"], truncated: false }),
      searchTraces: async () => ({
        ok: true as const,
        data: [...new Set(spans.map((s) => s.traceId))].map((traceId) => ({
          traceId,
          rootService: "web",
          rootName: "GET /",
          startMs: 1_000,
          durationMs: 30,
          hasError: true,
        })),
        truncated: false,
      }),
      getTrace: async (id: string) => ({
        ok: true as const,
        data: spans.filter((s) => s.traceId === id),
        truncated: false,
      }),
    };
    const topology = {
      backend: "test",
      topology: async () => ({
        ok: true as const,
        data: { nodes: ["web", "orders", "postgres"].map((id) => ({ id, kind: "service" })), edges: [] },
        truncated: false,
      }),
    };
    const tools = createInvestigationTools({ traces, topology, now: 10_000 });
    const frame = {
      alert: {
        fingerprint: "f",
        alertname: "A",
        status: "firing" as const,
        labels: {},
        annotations: {},
        startsAt: 900,
      },
      window: { from: 0, to: 10_000 },
      stepMs: 60_000,
      splitAt: 900,
    };

    const out = (await graph.invoke({ frame }, { configurable: { tools } })) as {
      report: { hypotheses: Array<{ service: string; faultClass: string }> };
    };

    assert.equal(out.report.hypotheses[0]?.service, "postgres");
    assert.equal(out.report.hypotheses[0]?.faultClass, "dependency");
  });

  it("blames the callee after which requests are cut short, sampling the whole incident and not its first seconds", async () => {
    const { mkdtempSync, writeFileSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const { gzipSync } = await import("node:zlib");
    const { createInvestigationTools } = await import("../../../tools/envelope.ts");
    const { loadFixtureCase } = await import("../../../tools/fixture/loader.ts");
    const { FixtureTracesSource } = await import("../../../tools/fixture/more-sources.ts");
    const { frameFor } = await import("../../investigate/investigate.ts");
    // Spans without a status (as many tracers send them): web calls catalog, then cart, then ads. From the fault on,
    // most requests end right after catalog answers. The first minute after the split is still healthy, so a sample
    // of the first traces after the split would see nothing.
    const start = 1_700_000_000_000;
    const split = start + 300_000;
    const fault = split + 60_000;
    const now = split + 180_000;
    const lines: string[] = [];
    for (let t = start, i = 0; t < now - 1_000; t += 1_000, i++) {
      const traceId = i.toString(16).padStart(32, "0");
      const cut = t >= fault && i % 5 !== 0;
      const span = (spanId: string, parentSpanId: string, service: string, name: string, at: number, ms: number) =>
        JSON.stringify({ traceId, spanId, parentSpanId, service, name, startMs: at, durationMs: ms, status: "unset" });
      lines.push(span(`${i}r`, "", "web", "GET /product", t, 40));
      lines.push(span(`${i}a`, `${i}r`, "catalog", "GetProduct", t + 1, 3));
      if (cut) continue;
      lines.push(span(`${i}b`, `${i}r`, "cart", "GetCart", t + 10, 5));
      lines.push(span(`${i}c`, `${i}r`, "ads", "GetAds", t + 20, 5));
    }
    const dir = mkdtempSync(join(tmpdir(), "vigil-cut-short-"));
    writeFileSync(
      join(dir, "manifest.json"),
      JSON.stringify({
        version: 1,
        id: "c-cut",
        window: { start, end: now },
        now,
        stepMs: 60_000,
        modalities: ["traces"],
      }),
    );
    writeFileSync(
      join(dir, "alert.json"),
      JSON.stringify({
        labels: { alertname: "WebErrors", service: "web" },
        startsAt: new Date(split + 60_000).toISOString(),
      }),
    );
    writeFileSync(join(dir, "spans.jsonl.gz"), gzipSync(`${lines.join("\n")}\n`));
    const fixture = loadFixtureCase(dir);
    const tools = createInvestigationTools({ traces: new FixtureTracesSource(fixture), now });
    const frame = frameFor(fixture.alert, tools, { window: { from: start, to: now }, stepMs: 60_000 });
    assert.equal(frame.splitAt, split);

    const out = (await graph.invoke({ frame }, { configurable: { tools } })) as {
      report: StrategyReport;
    };

    const top = out.report.hypotheses[0];
    assert.equal(top?.service, "catalog");
    assert.equal(top?.mechanism, "requests end right after calling it");
    assert.match(
      top?.evidence[0]?.summary ?? "",
      /web GET \/product requests after the onset end right after calling catalog/,
    );
    assert.ok(
      out.report.checked.some((c) => /request paths: \d+ traces after the onset/.test(c)),
      out.report.checked.join("; "),
    );
  });
});
