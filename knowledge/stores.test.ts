import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Db, openDb } from "../src/store/db.ts";
import { migrate } from "../src/store/migrate.ts";
import { Anonymizer } from "./anonymizer.ts";
import { CustomerContextStore, parseRunbook } from "./customer-context.ts";
import { LearnedPatternStore } from "./learned-patterns.ts";
import { exportPatterns, importPatterns, PatternExchangeError } from "./pattern-exchange.ts";
import { PatternLeakError, proposePattern } from "./propose-pattern.ts";
import { sampleResult } from "./sample-investigation.ts";

let db: Db;

before(async () => {
  db = await openDb({ dataDir: "memory://" });
  await migrate(db);
});
after(async () => {
  await db.close();
});

describe("knowledge/customer-context", () => {
  it("parses runbook front matter without a YAML library", () => {
    const runbook = parseRunbook(
      [
        "---",
        "id: checkout-latency",
        "title: 'Checkout is slow'",
        "services: [checkout, payments]",
        "alerts:",
        "  - HighLatency",
        "  - ServiceErrorRateHigh  # both",
        "---",
        "# Checkout is slow",
        "",
        "1. Look at the payments dashboard.",
      ].join("\n"),
    );

    assert.equal(runbook.id, "checkout-latency");
    assert.equal(runbook.title, "Checkout is slow");
    assert.deepEqual(runbook.services, ["checkout", "payments"]);
    assert.deepEqual(runbook.alerts, ["HighLatency", "ServiceErrorRateHigh"]);
    assert.match(runbook.body, /^# Checkout is slow/);
  });

  it("collects known terms and persists pseudonyms so reveal survives a restart", async () => {
    const ctx = new CustomerContextStore(db);
    await ctx.upsertService("acme", { name: "checkout", team: "storefront", hosts: ["db1.acme.internal"] });
    await ctx.setTopology("acme", { nodes: [{ id: "pricing", kind: "service" }], edges: [] });

    const anonymizer = await ctx.anonymizerFor("acme", "key");
    const p = anonymizer.pseudonym("service", "checkout");
    await ctx.flushPseudonyms(anonymizer);
    const restarted = await ctx.anonymizerFor("acme", "key");

    assert.deepEqual(
      new Set(await ctx.knownTerms("acme")),
      new Set(["checkout", "storefront", "db1.acme.internal", "pricing"]),
    );
    assert.equal(restarted.reveal(p), "checkout");
    assert.ok(!restarted.text("storefront paged").includes("storefront"));
  });

  it("deletes a tenant whole, leaving other tenants and the patterns alone", async () => {
    const ctx = new CustomerContextStore(db);
    const anonymizer = new Anonymizer({ key: "k" });
    const patterns = new LearnedPatternStore(db, { anonymizer });
    await ctx.upsertService("gone", { name: "billing" });
    await ctx.upsertRunbook("gone", "---\nid: rb1\nservices: billing\n---\nrestart it");
    await ctx.addIncident("gone", { id: "i1", occurredAt: Date.now(), service: "billing", title: "billing down" });
    await ctx.upsertSignalOverride("gone", { signal: "latency", query: "histogram_quantile(0.9, x)" });
    await ctx.savePseudonyms("gone", [{ pseudonym: "svc-abcdef", kind: "service", original: "billing" }]);
    await ctx.upsertService("stays", { name: "ledger" });
    const { pattern } = await patterns.propose(
      proposePattern(sampleResult(), { service: "pricing-db" }, { anonymizer }),
    );

    const counts = await ctx.deleteTenant("gone");

    assert.equal(counts.ctx_services, 1);
    assert.equal(counts.ctx_pseudonyms, 1);
    assert.deepEqual(await ctx.services("gone"), []);
    assert.deepEqual(await ctx.runbooks("gone"), []);
    assert.deepEqual(await ctx.incidents("gone"), []);
    assert.deepEqual(await ctx.pseudonyms("gone"), []);
    assert.equal((await ctx.services("stays")).length, 1);
    assert.ok(await patterns.get(pattern.id));
  });

  it("keeps the patterns table free of any tenant column", async () => {
    const { rows } = await db.query<{ column_name: string }>(
      "SELECT column_name FROM information_schema.columns WHERE table_schema = 'vigil' AND table_name IN ('patterns', 'pattern_reviews')",
    );

    assert.ok(rows.length > 0);
    assert.ok(!rows.some((r) => /tenant|original/.test(r.column_name)));
  });
});

describe("knowledge/learned-patterns", () => {
  it("uses only approved patterns", async () => {
    const anonymizer = new Anonymizer({ key: "k2" });
    const store = new LearnedPatternStore(db, { anonymizer });
    const result = sampleResult("gateway", "cache");
    result.alert.alertname = "OnlyApprovedMatch";
    result.alert.labels.alertname = "OnlyApprovedMatch";
    const { pattern } = await store.propose(proposePattern(result, { service: "cache" }, { anonymizer }));
    const signature = { alertname: "OnlyApprovedMatch", labelKeys: ["namespace", "service", "severity"] };

    const beforeApproval = await store.matching(signature);
    await store.approve(pattern.id, "U0123ABCD");
    const afterApproval = await store.matching(signature);
    await store.reject(pattern.id, "U0123ABCD", "too generic for bob@acme.io");
    const afterRejection = await store.matching(signature);

    assert.deepEqual(beforeApproval, []);
    assert.deepEqual(
      afterApproval.map((m) => m.pattern.id),
      [pattern.id],
    );
    assert.deepEqual(afterRejection, []);
    const reviews = await store.reviews(pattern.id);
    assert.deepEqual(
      reviews.map((r) => r.action),
      ["propose", "approve", "reject"],
    );
    assert.equal(anonymizer.reveal(reviews[1]?.reviewer ?? ""), "U0123ABCD");
    assert.equal(reviews[2]?.reason, "too generic for <email>");
  });

  it("counts the same pattern proposed twice once", async () => {
    const anonymizer = new Anonymizer({ key: "k3" });
    const store = new LearnedPatternStore(db, { anonymizer });
    const result = sampleResult("a-svc", "b-svc");
    result.alert.alertname = "Twice";
    result.alert.labels.alertname = "Twice";

    const first = await store.propose(proposePattern(result, { service: "b-svc" }, { anonymizer }));
    const second = await store.propose(
      proposePattern(sampleResult("c-svc", "d-svc"), { service: "d-svc" }, { anonymizer }),
    );
    const again = await store.propose(proposePattern(result, { service: "b-svc" }, { anonymizer }));

    assert.equal(first.created, true);
    assert.notEqual(second.pattern.id, first.pattern.id);
    assert.equal(again.created, false);
    assert.equal(again.pattern.id, first.pattern.id);
    assert.equal(again.pattern.occurrences, 2);
  });

  it("anonymizes an edit and refuses a pattern with a leak at the store boundary", async () => {
    const anonymizer = new Anonymizer({ key: "k4", knownTerms: ["acmecorp"] });
    const store = new LearnedPatternStore(db, { anonymizer });
    const draft = proposePattern(sampleResult("e-svc", "f-svc"), { service: "f-svc" }, { anonymizer });
    const { pattern } = await store.propose({ ...draft, description: "edit me" });

    const edited = await store.edit(pattern.id, { description: "acmecorp db at 10.2.3.4 was slow" }, "alice");

    assert.ok(!edited.description.includes("acmecorp") && !edited.description.includes("10.2.3.4"), edited.description);
    await assert.rejects(store.propose({ ...draft, description: "seen at acmecorp" }), PatternLeakError);
  });
});

describe("knowledge/pattern-exchange", () => {
  it("exports approved patterns only, without local pseudonyms, and imports them elsewhere", async () => {
    const source = await openDb({ dataDir: "memory://" });
    const target = await openDb({ dataDir: "memory://" });
    await migrate(source);
    await migrate(target);
    const here = new Anonymizer({ key: "here" });
    const there = new Anonymizer({ key: "there" });
    const from = new LearnedPatternStore(source, { anonymizer: here });
    const to = new LearnedPatternStore(target, { anonymizer: there });
    const approved = await from.propose(
      proposePattern(sampleResult(), { service: "pricing-db" }, { anonymizer: here }),
    );
    await from.propose(proposePattern(sampleResult("x", "y"), { service: "x" }, { anonymizer: here }));
    await from.approve(approved.pattern.id, "bob");

    const json = await exportPatterns(from, here, { now: new Date(0) });
    const result = await importPatterns(to, there, json);
    const again = await importPatterns(to, there, json);

    const envelope = JSON.parse(json);
    assert.equal(envelope.format, "vigil.learned-patterns");
    assert.equal(envelope.version, 1);
    assert.equal(envelope.patterns.length, 1);
    assert.ok(!json.includes("origin") && !json.includes("svc-"), json);
    assert.equal(result.imported.length, 1);
    assert.equal(again.duplicates.length, 1);
    assert.equal((await to.list({ status: "proposed" })).length, 1);
    await source.close();
    await target.close();
  });

  it("refuses to export when a customer term is planted in an approved pattern", async () => {
    const anonymizer = new Anonymizer({ key: "k5" });
    const store = new LearnedPatternStore(db, { anonymizer });
    const result = sampleResult("g-svc", "h-svc");
    result.alert.alertname = "PlantedTerm";
    result.alert.labels.alertname = "PlantedTerm";
    const draft = proposePattern(result, { service: "h-svc" }, { anonymizer });
    const { pattern } = await store.propose({ ...draft, description: "Planted: the zanzibar-ledger service fails" });
    await store.approve(pattern.id, "bob");
    // The term becomes known after the pattern was stored (the customer context grew): export must still catch it.
    anonymizer.addKnownTerms(["zanzibar-ledger"]);

    await assert.rejects(
      exportPatterns(store, anonymizer),
      (error: unknown) =>
        error instanceof PatternExchangeError &&
        /export refused/.test(error.message) &&
        /zanzibar-ledger/.test(error.message),
    );
  });

  it("refuses to import a file that carries one of our customer terms or an address", async () => {
    const anonymizer = new Anonymizer({ key: "k6", knownTerms: ["zanzibar-ledger"] });
    const store = new LearnedPatternStore(db, { anonymizer });
    const draft = proposePattern(
      sampleResult(),
      { service: "pricing-db" },
      { anonymizer: new Anonymizer({ key: "x" }) },
    );
    const { origin: _origin, ...content } = draft;
    const file = {
      format: "vigil.learned-patterns",
      version: 1,
      exportedAt: new Date(0).toISOString(),
      patterns: [
        { ...content, description: "zanzibar-ledger is slow" },
        { ...content, description: "callee at 192.168.7.7 is slow" },
      ],
    };

    await assert.rejects(importPatterns(store, anonymizer, JSON.stringify(file)), (error: unknown) => {
      assert.ok(error instanceof PatternExchangeError);
      assert.match(error.message, /import refused/);
      assert.match(error.message, /pattern #1: known-term "zanzibar-ledger"/);
      assert.match(error.message, /pattern #2: ip "192.168.7.7"/);
      return true;
    });
    await assert.rejects(importPatterns(store, anonymizer, "{"), /not JSON/);
    await assert.rejects(
      importPatterns(store, anonymizer, { format: "other" }),
      /not a vigil.learned-patterns v1 file/,
    );
  });
});
