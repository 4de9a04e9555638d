import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { servicesNamedIn } from "../../analysis/evidence-refs.ts";
import { runOnFixture } from "../kubernetes-health/run-on-fixture.ts";
import { buildErrorsFirstGraph, ERRORS_FIRST, namedTargets } from "./graph.ts";

const graph = buildErrorsFirstGraph();

describe("agents/strategies/errors-first", () => {
  it("blames the database its callers cannot reach, not the loud callers", async () => {
    const report = await runOnFixture(graph, "c-547345ca");

    assert.equal(report.name, ERRORS_FIRST);
    assert.equal(report.hypotheses[0]?.service, "postgres");
    assert.equal(report.hypotheses[0].evidence[0]?.type, "log");
    assert.match(report.hypotheses[0].evidence[0].ref, /^log\{service=/);
  });

  it("blames the service whose own new errors came first after a bad rollout", async () => {
    const report = await runOnFixture(graph, "c-720b4b48");

    assert.equal(report.hypotheses[0]?.service, "checkout");
  });

  it("makes no claim when no error template is new or spiking", async () => {
    const report = await runOnFixture(graph, "c-d061ae12");

    assert.deepEqual(report.hypotheses, []);
    assert.match(report.checked.join("\n"), /error\/warn templates of \d+ services/);
  });

  it("reports the missing logs source", async () => {
    const report = await runOnFixture(graph, "c-547345ca", ["logs"]);

    assert.deepEqual(report.hypotheses, []);
    assert.match(report.checked.join("\n"), /no source/);
  });

  it("finds the services a line names, by name or by their cluster IP", () => {
    const known = ["postgres", "orders", "cart", "cartservice"];

    assert.deepEqual(namedTargets("query failed: connection refused (host=postgres port=5432)", "orders", known), [
      "postgres",
    ]);
    assert.deepEqual(
      namedTargets("dial tcp 10.0.0.7:5432: connect: connection refused", "orders", known, { "10.0.0.7": "postgres" }),
      ["postgres"],
    );
    assert.deepEqual(namedTargets("upstream orders timed out", "orders", known), []);
  });

  it("matches whole service names only", () => {
    const known = ["cart", "cartservice"];

    assert.deepEqual(servicesNamedIn("upstream cartservice timed out", known), ["cartservice"]);
    assert.deepEqual(servicesNamedIn("GET /api/cart failed", known), []);
    assert.deepEqual(servicesNamedIn("dial cart.shop.svc:6379", known), ["cart"]);
  });
});
