import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { buildShopTraces } from "./__fixtures__/shop-traces.ts";
import { spanRecordsToOtlp } from "./encode.ts";
import { normalizeId, otlpToSpanRecords, statusOf } from "./spans.ts";

function sortSpans<T extends { spanId: string }>(spans: T[]): T[] {
  return [...spans].sort((a, b) => a.spanId.localeCompare(b.spanId));
}

describe("tools/otlp/spans", () => {
  it("round-trips SpanRecords through OTLP JSON with hex ids", () => {
    const { spans } = buildShopTraces();

    const back = otlpToSpanRecords(spanRecordsToOtlp(spans));

    assert.deepEqual(sortSpans(back), sortSpans(spans));
  });

  it("reads base64 ids (gogo-protobuf encoders) and enum-name status codes", () => {
    const { spans } = buildShopTraces();

    const back = otlpToSpanRecords(spanRecordsToOtlp(spans, { idEncoding: "base64", statusAsString: true }));

    assert.deepEqual(sortSpans(back), sortSpans(spans));
    const payments = back.find((s) => s.service === "payments");
    assert.equal(payments?.parentSpanId, "b000000000000002");
    assert.equal(payments?.status, "error");
    assert.equal(payments?.attributes["status.message"], "card processor timeout");
  });

  it("converts every AnyValue kind, nanosecond strings and resource attributes", () => {
    const doc = {
      batches: [
        {
          resource: {
            attributes: [
              { key: "service.name", value: { stringValue: "cart" } },
              { key: "k8s.pod.name", value: { stringValue: "cart-7d9f" } },
            ],
          },
          instrumentationLibrarySpans: [
            {
              spans: [
                {
                  traceId: "5B8EFFF798038103D269B633813FC60C",
                  spanId: "EEE19B7EC3C1B174",
                  parentSpanId: "0000000000000000",
                  name: "cart.get",
                  kind: "SPAN_KIND_CLIENT",
                  startTimeUnixNano: "1736935200123456789",
                  endTimeUnixNano: "1736935200623456789",
                  status: { code: "STATUS_CODE_ERROR", message: "boom" },
                  attributes: [
                    { key: "s", value: { stringValue: "x" } },
                    { key: "i", value: { intValue: "42" } },
                    { key: "big", value: { intValue: "9223372036854775807" } },
                    { key: "b", value: { boolValue: true } },
                    { key: "d", value: { doubleValue: 1.5 } },
                    { key: "a", value: { arrayValue: { values: [{ stringValue: "p" }, { intValue: 7 }] } } },
                    { key: "bad", value: "not an AnyValue" },
                  ],
                },
                { spanId: "no trace id", name: "dropped" },
              ],
            },
          ],
        },
      ],
    };

    const [span, ...rest] = otlpToSpanRecords(doc);

    assert.equal(rest.length, 0, "a span without traceId is skipped, not fatal");
    assert.equal(span.traceId, "5b8efff798038103d269b633813fc60c");
    assert.equal(span.parentSpanId, "", "an all-zero parent is a root");
    assert.equal(span.service, "cart");
    assert.equal(span.status, "error");
    assert.equal(span.startMs, 1736935200123.456);
    assert.equal(span.durationMs, 500);
    assert.deepEqual(span.attributes, {
      "resource.k8s.pod.name": "cart-7d9f",
      s: "x",
      i: 42,
      big: "9223372036854775807",
      b: true,
      d: 1.5,
      a: ["p", 7],
      "span.kind": "client",
      "status.message": "boom",
    });
  });

  it("throws on a document that is not OTLP traces", () => {
    assert.throws(() => otlpToSpanRecords({ resourceSpans: "nope" }));
    assert.throws(() => otlpToSpanRecords(null));
  });

  it("tells hex from base64 ids and maps status codes", () => {
    assert.equal(normalizeId("AAAAAAAAAAE="), "0000000000000001");
    assert.equal(normalizeId("a000000000000001"), "a000000000000001");
    assert.equal(normalizeId("W47/95gDgQPSabYzgT/GDA=="), "5b8efff798038103d269b633813fc60c");
    assert.equal(normalizeId(undefined), "");
    assert.deepEqual([0, 1, 2, "STATUS_CODE_OK", "STATUS_CODE_UNSET", "Error"].map(statusOf), [
      "unset",
      "ok",
      "error",
      "ok",
      "unset",
      "error",
    ]);
  });
});
