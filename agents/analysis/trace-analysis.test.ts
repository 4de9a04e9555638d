import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { SpanRecord } from "../../tools/interfaces.ts";
import {
  buildTraceTrees,
  cutShortTraces,
  errorOrigins,
  errorSpans,
  exclusiveTimeShifts,
  exclusiveTimes,
  operationLatency,
  operationShifts,
  serviceDependencies,
} from "./trace-analysis.ts";

function span(
  traceId: string,
  spanId: string,
  parentSpanId: string,
  service: string,
  startMs: number,
  durationMs: number,
  status: SpanRecord["status"] = "ok",
  name = `${service}.op`,
): SpanRecord {
  return { traceId, spanId, parentSpanId, service, name, startMs, durationMs, status, attributes: {} };
}

/** frontend → api → db, where db's own time grows after t=1000 and api only waits on it. */
function slowDbTraces(): SpanRecord[] {
  const spans: SpanRecord[] = [];
  for (let i = 0; i < 10; i++) {
    const after = i >= 5;
    const t = after ? 1_000 + i * 100 : i * 100;
    const db = after ? 250 : 50;
    const id = `t${i}`;
    spans.push(span(id, "1", "", "frontend", t, 20 + 50 + db + 10));
    spans.push(span(id, "2", "1", "api", t + 10, 50 + db));
    spans.push(span(id, "3", "2", "db", t + 35, db));
  }
  return spans;
}

describe("agents/analysis/trace-analysis", () => {
  it("builds trees with orphans as roots, ordered children and depths", () => {
    const spans = [
      span("a", "3", "1", "c", 30, 5),
      span("a", "2", "1", "b", 10, 5),
      span("a", "1", "", "a", 0, 100),
      span("a", "4", "missing", "d", 50, 5),
      span("b", "x", "y", "e", 0, 1),
      span("b", "y", "x", "f", 0, 1), // a parent cycle must not hang or lose spans
    ];

    const [a, b] = buildTraceTrees(spans);

    assert.deepEqual(
      a.roots.map((r) => r.span.spanId),
      ["1", "4"],
    );
    assert.deepEqual(
      a.roots[0].children.map((c) => [c.span.spanId, c.depth]),
      [
        ["2", 1],
        ["3", 1],
      ],
    );
    assert.equal(a.endMs, 100);
    assert.equal(b.nodes.size, 2);
    assert.equal(b.roots.length, 1);
  });

  it("computes per-operation latency in a window", () => {
    const spans = [10, 20, 30, 40, 100].map((d, i) =>
      span(`t${i}`, "1", "", "api", i * 10, d, i === 4 ? "error" : "ok", "GET /x"),
    );

    const [stats] = operationLatency(spans, { from: 0, to: 40 });
    const all = operationLatency(spans);

    assert.deepEqual(stats, { service: "api", name: "GET /x", count: 5, errorCount: 1, p50: 30, p90: 76, mean: 40 });
    assert.equal(operationLatency(spans, { from: 0, to: 15 })[0].count, 2);
    assert.equal(all.length, 1);
  });

  it("ranks operations by how much their p90 grew across the split", () => {
    const unchanged = [span("u1", "1", "", "auth", 0, 40), span("u2", "1", "", "auth", 1_500, 40)];
    const shifts = operationShifts([...slowDbTraces(), ...unchanged], 1_000);

    // Every hop of the slow chain grew by 200 ms at p90 (ties by name); the unchanged operation ranks last.
    assert.deepEqual(
      shifts.map((s) => [s.service, s.p90DeltaMs]),
      [
        ["api", 200],
        ["db", 200],
        ["frontend", 200],
        ["auth", 0],
      ],
    );
    const db = shifts.find((s) => s.service === "db");
    assert.equal(db?.before?.p50, 50);
    assert.equal(db?.after?.p50, 250);
    assert.equal(db?.p50Ratio, 5);
    assert.equal(db?.p90DeltaMs, 200);
  });

  it("finds the deepest erroring service as origin and its ancestors as propagation", () => {
    const spans = [
      // t1: frontend(err) → checkout(err) → payments(err, origin); checkout → inventory(ok)
      span("t1", "1", "", "frontend", 0, 100, "error"),
      span("t1", "2", "1", "checkout", 5, 90, "error"),
      span("t1", "3", "2", "payments", 10, 50, "error"),
      span("t1", "4", "2", "inventory", 70, 10, "ok"),
      // t2: same chain
      span("t2", "1", "", "frontend", 0, 100, "error"),
      span("t2", "2", "1", "checkout", 5, 90, "error"),
      span("t2", "3", "2", "payments", 10, 50, "error"),
      // t3: checkout fails on its own; its callee is fine
      span("t3", "1", "", "frontend", 0, 100, "error"),
      span("t3", "2", "1", "checkout", 5, 90, "error"),
      span("t3", "3", "2", "payments", 10, 50, "ok"),
      // t4: no errors
      span("t4", "1", "", "frontend", 0, 100),
    ];

    const analysis = errorOrigins(spans);

    assert.equal(errorSpans(spans).length, 8);
    assert.deepEqual(
      analysis.traces.map((t) => [t.traceId, t.deepest.service]),
      [
        ["t1", "payments"],
        ["t2", "payments"],
        ["t3", "checkout"],
      ],
    );
    assert.deepEqual(
      analysis.traces[0].propagation.map((s) => s.service),
      ["checkout", "frontend"],
    );
    const byService = Object.fromEntries(analysis.services.map((s) => [s.service, s]));
    assert.equal(analysis.services[0].service, "payments");
    assert.equal(byService.payments.originTraces, 2);
    assert.deepEqual(byService.payments.exampleTraceIds, ["t1", "t2"]);
    assert.equal(byService.checkout.originTraces, 1);
    assert.equal(byService.checkout.propagatedTraces, 2);
    assert.equal(byService.frontend.originTraces, 0);
    assert.equal(byService.frontend.propagatedTraces, 3);
  });

  it("computes exclusive time from the union of children clipped to the span", () => {
    const spans = [
      span("t", "p", "", "api", 0, 100),
      span("t", "c1", "p", "db", 10, 30), // 10–40
      span("t", "c2", "p", "db", 20, 30), // 20–50, overlaps c1
      span("t", "c3", "p", "cache", 90, 30), // 90–120, clipped to 90–100
    ];

    const exclusive = Object.fromEntries(exclusiveTimes(spans).map((e) => [e.span.spanId, e.exclusiveMs]));

    assert.deepEqual(exclusive, { p: 100 - 40 - 10, c1: 30, c2: 30, c3: 30 });
  });

  it("blames the callee whose exclusive time grew, not the caller whose total grew", () => {
    const spans = slowDbTraces();

    const shifts = exclusiveTimeShifts(spans, 1_000);
    const byService = Object.fromEntries(shifts.map((s) => [s.service, s]));
    const latency = Object.fromEntries(operationShifts(spans, 1_000).map((s) => [s.service, s]));

    // The caller's total latency grew by 200 ms...
    assert.equal(latency.api.p50Ratio, 3);
    // ...but its own time did not; the callee's did, and ranks first.
    assert.equal(byService.api.deltaPerTraceMs, 0);
    assert.equal(byService.frontend.deltaPerTraceMs, 0);
    assert.equal(byService.db.deltaPerTraceMs, 200);
    assert.equal(shifts[0].service, "db");
    assert.equal(byService.db.before?.meanPerTraceMs, 50);
    assert.equal(byService.db.after?.meanPerTraceMs, 250);
    assert.equal(exclusiveTimeShifts(spans, 1_000, { by: "operation" })[0].name, "db.op");
  });

  it("derives caller → callee edges with call and error counts", () => {
    const spans = [
      span("t1", "1", "", "frontend", 0, 100),
      span("t1", "2", "1", "cart", 5, 50),
      span("t1", "3", "1", "cart", 60, 20, "error"),
      span("t1", "4", "2", "cart", 10, 5), // same service: not an edge
      span("t1", "5", "2", "redis", 20, 5),
      span("t2", "1", "", "frontend", 0, 100),
      span("t2", "2", "1", "cart", 5, 50),
    ];

    assert.deepEqual(serviceDependencies(spans), [
      { caller: "frontend", callee: "cart", calls: 3, errors: 1, traces: 2 },
      { caller: "cart", callee: "redis", calls: 1, errors: 0, traces: 1 },
    ]);
  });

  // Timing of this size is measured by `npm run bench`; the test pins that a large sample is analysed correctly.
  it("finds the error origin in a sample of 50k spans", () => {
    const spans: SpanRecord[] = [];
    for (let t = 0; t < 5_000; t++) {
      const id = `trace-${t}`;
      spans.push(span(id, "0", "", "frontend", t, 100, t % 50 === 0 ? "error" : "ok", "GET /"));
      for (let c = 1; c < 10; c++) {
        spans.push(
          span(
            id,
            String(c),
            String(c > 5 ? c - 5 : 0),
            `svc-${c % 4}`,
            t + c,
            10 + (c % 3),
            t % 50 === 0 && c === 6 ? "error" : "ok",
          ),
        );
      }
    }
    const origins = errorOrigins(spans);
    const dependencies = serviceDependencies(spans);

    assert.equal(spans.length, 50_000);
    assert.equal(origins.services[0]?.service, "svc-2", "the erroring callee, not the frontend it propagates to");
    assert.equal(origins.services[0]?.originTraces, 100);
    assert.ok(dependencies.length > 0);
  });

  it("reuses the trees of one span array and rebuilds them when the array grew", () => {
    const spans = [span("a", "1", "", "web", 0, 10), span("a", "2", "1", "api", 1, 5)];

    const first = buildTraceTrees(spans);
    const again = buildTraceTrees(spans);
    spans.push(span("b", "1", "", "web", 20, 10));
    const grown = buildTraceTrees(spans);

    assert.equal(again, first);
    assert.notEqual(grown, first);
    assert.equal(grown.length, 2);
  });

  describe("cutShortTraces", () => {
    /**
     * One request path of web: catalog, then cart, then ads. `cut` traces stop right after the catalog call, where
     * every other request goes on; `direct` traces end after ads, the natural last call.
     */
    function requests(count: number, t0: number, cut: (i: number) => boolean, prefix: string): SpanRecord[] {
      const spans: SpanRecord[] = [];
      for (let i = 0; i < count; i++) {
        const id = `${prefix}${i}`;
        const t = t0 + i * 10;
        spans.push(span(id, "root", "", "web", t, 9, "unset", "GET /product"));
        spans.push(span(id, "c1", "root", "catalog", t + 1, 2, "unset", "GetProduct"));
        spans.push(span(id, "c1db", "c1", "catalog", t + 1.5, 1, "unset", "sql.query"));
        if (cut(i)) continue;
        spans.push(span(id, "c2", "root", "cart", t + 4, 2, "unset", "GetCart"));
        spans.push(span(id, "c3", "root", "ads", t + 7, 1, "unset", "GetAds"));
      }
      return spans;
    }

    it("names the callee after which requests now stop, where before they went on", () => {
      const spans = [...requests(30, 0, () => false, "b"), ...requests(40, 10_000, (i) => i % 4 !== 0, "a")];

      const result = cutShortTraces(spans, 10_000);

      assert.equal(result.tracesBefore, 30);
      assert.equal(result.tracesAfter, 40);
      const [top] = result.callees;
      assert.equal(top?.service, "catalog");
      assert.equal(top?.caller, "web");
      assert.equal(top?.cutShort, 30);
      assert.ok(top && top.share > 0.6, `share ${top?.share}`);
      assert.ok(top?.exampleTraceIds[0]?.startsWith("a"), "examples come from after the split");
      assert.ok(
        !result.callees.some((c) => c.service === "ads"),
        "the natural last call of every request is not a place requests were cut short",
      );
    });

    it("follows a mid-tier service's own requests, through its internal spans, and shares them over that operation", () => {
      // web → checkout (PlaceOrder) → [client span] → payments, then shipping. After the split most orders stop after
      // payments; they are a small share of all traces, a large one of checkout's own requests.
      const spans: SpanRecord[] = [];
      const add = (i: number, t: number, order: boolean, cut: boolean) => {
        const id = `${t < 10_000 ? "b" : "a"}${i}`;
        spans.push(span(id, "r", "", "web", t, 9, "unset", "GET /"));
        spans.push(span(id, "c", "r", "catalog", t + 1, 1, "unset", "List"));
        if (!order) return;
        spans.push(span(id, "o", "r", "checkout", t + 2, 6, "unset", "PlaceOrder"));
        spans.push(span(id, "oc", "o", "checkout", t + 2.5, 2, "unset", "client Charge"));
        spans.push(span(id, "p", "oc", "payments", t + 3, 1, "unset", "Charge"));
        if (!cut) spans.push(span(id, "s", "o", "shipping", t + 5, 1, "unset", "Ship"));
      };
      for (let i = 0; i < 100; i++) add(i, i * 10, i % 10 === 0, false);
      for (let i = 0; i < 100; i++) add(i, 10_000 + i * 10, i % 10 === 0, i % 20 === 0);

      const result = cutShortTraces(spans, 10_000);

      const top = result.callees[0];
      assert.equal(top?.service, "payments");
      assert.equal(top?.caller, "checkout");
      assert.equal(top?.operation, "PlaceOrder");
      assert.equal(top?.requestsAfter, 10);
      assert.equal(top?.cutShort, 5);
      assert.ok(top && top.share >= 0.4, `share ${top?.share}`);
    });

    it("finds nothing when requests end where they always ended", () => {
      const sometimes = (i: number) => i % 5 === 0;
      const spans = [...requests(40, 0, sometimes, "b"), ...requests(40, 10_000, sometimes, "a")];

      const result = cutShortTraces(spans, 10_000);

      const catalog = result.callees.find((c) => c.service === "catalog");
      assert.ok(!catalog || catalog.share < 0.1, `share ${catalog?.share}`);
    });

    it("needs someone to have gone on: a point no request ever passed is a natural end, baseline or not", () => {
      const spans = requests(40, 10_000, () => true, "a");

      const result = cutShortTraces(spans, 10_000);

      assert.equal(result.tracesAfter, 40);
      assert.deepEqual(result.callees, []);
    });

    it("ignores traces whose root is missing: their call path is incomplete", () => {
      const spans = requests(20, 10_000, () => true, "a").filter((s) => s.spanId !== "root");

      assert.equal(cutShortTraces(spans, 10_000).tracesAfter, 0);
    });
  });
});
