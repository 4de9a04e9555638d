import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ChangeEvent, ChangesSource } from "../interfaces.ts";
import {
  MemoryChangesSource,
  mergeChangeSources,
  webhookChangeSchema,
  webhookChangesBodySchema,
} from "./webhook-changes.ts";

function change(t: number, name: string, source = "webhook"): ChangeEvent {
  return {
    t,
    entity: { kind: "Deployment", name },
    type: "rollout",
    description: name,
    service: name,
    source,
    ref: `${source}:${name}@${t}`,
  };
}

describe("tools/changes/webhook-changes", () => {
  it("parses a CI/CD post with an ISO time into a ChangeEvent", () => {
    const parsed = webhookChangeSchema.parse({
      time: "2024-05-01T10:00:00Z",
      service: "checkout",
      kind: "Deployment",
      name: "checkout",
      namespace: "shop",
      type: "rollout",
      description: "deploy 1.5.0 by ci",
      url: "https://ci.example.com/runs/42",
    });

    assert.deepEqual(parsed, {
      t: Date.parse("2024-05-01T10:00:00Z"),
      entity: { kind: "Deployment", namespace: "shop", name: "checkout" },
      type: "rollout",
      description: "deploy 1.5.0 by ci",
      service: "checkout",
      source: "webhook",
      ref: "https://ci.example.com/runs/42",
    });
  });

  it("accepts t in ms or seconds, maps unknown types to other, and builds a ref without a url", () => {
    const base = { service: "cart", kind: "Job", name: "migrate", description: "db migration" };

    const inMs = webhookChangeSchema.parse({ ...base, t: 1714557600000, type: "migration" });
    const inSeconds = webhookChangeSchema.parse({ ...base, t: 1714557600, type: "config" });

    assert.equal(inMs.t, 1714557600000);
    assert.equal(inSeconds.t, 1714557600000);
    assert.equal(inMs.type, "other");
    assert.equal(inSeconds.type, "config");
    assert.equal(inMs.ref, "webhook:cart/Job/migrate@2024-05-01T10:00:00.000Z");
  });

  it("rejects a post without a time, service or with a bad time", () => {
    const base = { service: "cart", kind: "Job", name: "m", type: "other", description: "" };

    assert.equal(webhookChangeSchema.safeParse(base).success, false);
    assert.equal(webhookChangeSchema.safeParse({ ...base, time: "yesterday" }).success, false);
    assert.equal(webhookChangeSchema.safeParse({ ...base, service: "", t: 1 }).success, false);
  });

  it("accepts one change, an array, or {changes: [...]} as the body", () => {
    const one = { t: 1714557600000, service: "a", kind: "Deployment", name: "a", type: "rollout", description: "" };

    assert.equal(webhookChangesBodySchema.parse(one).length, 1);
    assert.equal(webhookChangesBodySchema.parse([one, one]).length, 2);
    assert.equal(webhookChangesBodySchema.parse({ changes: [one] }).length, 1);
  });

  it("merges sources in time order, drops duplicates, and keeps only the range", async () => {
    const webhook = new MemoryChangesSource([change(300, "c"), change(100, "a")]);
    const other = new MemoryChangesSource(
      [change(200, "b", "kubernetes"), change(100, "a"), change(900, "late")],
      "kubernetes",
    );

    const merged = mergeChangeSources(webhook, other);
    const result = await merged.listChanges({ from: 0, to: 500 });

    assert.equal(merged.backend, "webhook+kubernetes");
    assert.ok(result.ok);
    assert.deepEqual(result.ok && result.data.map((c) => c.entity.name), ["a", "b", "c"]);
  });

  it("marks a merge truncated when one source fails and fails when all do", async () => {
    const broken: ChangesSource = {
      backend: "broken",
      listChanges: async () => ({ ok: false, error: { backend: "broken", kind: "network", message: "down" } }),
    };
    const throwing: ChangesSource = {
      backend: "throwing",
      listChanges: async () => {
        throw new Error("bug");
      },
    };

    const partial = await mergeChangeSources(new MemoryChangesSource([change(1, "a")]), broken).listChanges({
      from: 0,
      to: 10,
    });
    const none = await mergeChangeSources(broken, throwing).listChanges({ from: 0, to: 10 });

    assert.equal(partial.ok && partial.truncated, true);
    assert.equal(partial.ok && partial.data.length, 1);
    assert.equal(none.ok, false);
    assert.equal(!none.ok && none.error.kind, "network");
  });
});
