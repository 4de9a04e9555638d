import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { SpanRecord } from "../../../tools/interfaces.ts";
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
});
