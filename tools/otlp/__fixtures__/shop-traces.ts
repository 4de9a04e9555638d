import type { SpanRecord } from "../../interfaces.ts";

/**
 * A small shop: frontend → cart → redis, frontend → checkout → payments. Shared by the Tempo and Jaeger tests.
 * `now` is the investigation clock: one trace starts after it, and one trace's root ends after it.
 */
export interface ShopTraces {
  spans: SpanRecord[];
  start: number;
  now: number;
  ids: { ok: string; error: string; slow: string; future: string; straddling: string };
}

function span(
  traceId: string,
  spanId: string,
  parentSpanId: string,
  service: string,
  name: string,
  startMs: number,
  durationMs: number,
  status: SpanRecord["status"] = "ok",
  attributes: Record<string, unknown> = {},
): SpanRecord {
  return { traceId, spanId, parentSpanId, service, name, startMs, durationMs, status, attributes };
}

export function buildShopTraces(start = Date.UTC(2025, 0, 15, 10, 0, 0)): ShopTraces {
  const ids = {
    ok: "0af7651916cd43dd8448eb211c80319c",
    error: "1bf7651916cd43dd8448eb211c80319d",
    slow: "2cf7651916cd43dd8448eb211c80319e",
    future: "3df7651916cd43dd8448eb211c80319f",
    straddling: "4ef7651916cd43dd8448eb211c8031a0",
  };
  const now = start + 60_000;
  const t1 = start + 1_000;
  const t2 = start + 2_000;
  const t3 = start + 3_000;
  const t5 = now - 200;
  const spans: SpanRecord[] = [
    span(ids.ok, "a000000000000001", "", "frontend", "GET /cart", t1, 120, "ok", {
      "span.kind": "server",
      "http.status_code": 200,
    }),
    span(ids.ok, "a000000000000002", "a000000000000001", "cart", "cart.get", t1 + 10, 90, "unset", {
      "span.kind": "server",
    }),
    span(ids.ok, "a000000000000003", "a000000000000002", "redis", "GET", t1 + 20, 5, "unset", { "db.system": "redis" }),

    span(ids.error, "b000000000000001", "", "frontend", "POST /checkout", t2, 800, "error", {
      "span.kind": "server",
      "http.status_code": 500,
    }),
    span(ids.error, "b000000000000002", "b000000000000001", "checkout", "PlaceOrder", t2 + 10, 780, "error", {
      "span.kind": "server",
    }),
    span(ids.error, "b000000000000003", "b000000000000002", "payments", "Charge", t2 + 20, 700, "error", {
      "span.kind": "server",
      "http.status_code": 500,
      "status.message": "card processor timeout",
    }),

    span(ids.slow, "c000000000000001", "", "frontend", "GET /cart", t3, 900, "ok", {
      "span.kind": "server",
      "http.status_code": 200,
    }),
    span(ids.slow, "c000000000000002", "c000000000000001", "cart", "cart.get", t3 + 5, 880, "unset", {
      "span.kind": "server",
    }),

    span(ids.future, "d000000000000001", "", "frontend", "GET /cart", now + 500, 50, "error", {
      "span.kind": "server",
    }),

    span(ids.straddling, "e000000000000001", "", "frontend", "GET /cart", t5, 400, "ok", { "span.kind": "server" }),
    span(ids.straddling, "e000000000000002", "e000000000000001", "cart", "cart.get", t5 + 10, 50, "error", {
      "span.kind": "server",
    }),
  ];
  return { spans, start, now, ids };
}
