import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkPromQL } from "./promql.ts";
import { defaultSignalCatalog, renderSignalQuery } from "./signal-catalog.ts";

describe("tools/prometheus/promql", () => {
  it("accepts valid PromQL, including every default catalog query", () => {
    assert.deepEqual(checkPromQL('sum by (service) (rate(http_requests_total{status=~"5.."}[5m]))'), { ok: true });
    for (const entry of defaultSignalCatalog) {
      assert.deepEqual(checkPromQL(renderSignalQuery(entry.query, 60_000)), { ok: true }, entry.query);
    }
  });

  it("refuses broken or empty queries before they are sent", () => {
    for (const bad of ["sum(rate(x[5m])", 'up{job="a"', "rate(x[5m]) +", "", "   "]) {
      const result = checkPromQL(bad);
      assert.equal(result.ok, false, bad);
    }
  });
});
