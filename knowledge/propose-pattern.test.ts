import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Candidate } from "../agents/types.ts";
import { Anonymizer } from "./anonymizer.ts";
import {
  alertSignatureOf,
  describeSignature,
  matchPattern,
  matchPatternDetail,
  PatternLeakError,
  proposePattern,
  symptomSignature,
} from "./propose-pattern.ts";
import { sampleResult } from "./sample-investigation.ts";

describe("knowledge/propose-pattern", () => {
  it("derives a typed symptom signature: entry latency up, callee CPU up, no error templates", () => {
    const signature = symptomSignature(sampleResult(), "pricing-db");

    assert.deepEqual(
      new Set(signature.map((f) => `${f.signal}:${f.where}:${f.direction ?? f.present}`)),
      new Set(["latency:entry:up", "cpu:callee:up", "error-templates:entry:false"]),
    );
    assert.equal(describeSignature(signature).includes("no error templates"), true);
  });

  it("tells callee from caller and unrelated services with a topology", () => {
    const topology = {
      nodes: [],
      edges: [
        { from: "frontend", to: "api", kind: "calls" },
        { from: "api", to: "pricing-db", kind: "calls" },
      ],
    };

    const pattern = proposePattern(
      sampleResult(),
      { service: "pricing-db" },
      { anonymizer: new Anonymizer({ key: "k" }), topology },
    );
    const unrelated = proposePattern(
      sampleResult("frontend", "batch-job"),
      { service: "batch-job" },
      { anonymizer: new Anonymizer({ key: "k" }), topology },
    );

    assert.equal(pattern.rootCause.where, "callee");
    assert.equal(unrelated.rootCause.where, "other");
  });

  it("proposes a pattern with no customer identifier left", () => {
    const anonymizer = new Anonymizer({ key: "k", knownTerms: ["frontend", "pricing-db", "shop"] });

    const pattern = proposePattern(sampleResult(), { service: "pricing-db", faultClass: "cpu" }, { anonymizer });

    const text = JSON.stringify(pattern);
    for (const leaked of ["frontend", "pricing-db", "shop", "10.0.0.7", "ops@acme.io", "2025-03-03"]) {
      assert.ok(!text.includes(leaked), `${leaked} leaked: ${text}`);
    }
    assert.equal(pattern.rootCause.faultClass, "cpu");
    assert.deepEqual(pattern.foundBy.strategies, ["golden-signals"]);
    assert.deepEqual(pattern.alertClass, { alertname: "HighLatency", labelKeys: ["namespace", "service", "severity"] });
    assert.equal(anonymizer.reveal(pattern.origin?.causeService ?? ""), "pricing-db");
    assert.match(pattern.description, /HighLatency on the entry service, caused by cpu in a callee service/);
  });

  it("pseudonymizes an alert name that spells a customer term", () => {
    const anonymizer = new Anonymizer({ key: "k", knownTerms: ["acmepay"] });
    const result = sampleResult();
    result.alert.alertname = "AcmepayCheckoutDown";
    result.alert.labels.alertname = "AcmepayCheckoutDown";

    const pattern = proposePattern(result, { service: "pricing-db" }, { anonymizer });

    assert.match(pattern.alertClass.alertname, /^term-[0-9a-f]{6}$/);
  });

  it("refuses, listing the hits, when something identifying survives", () => {
    const anonymizer = new Anonymizer({ key: "k" });
    const result = sampleResult();
    // A name glued inside a label key is not a word the anonymizer can replace; the verification must catch it.
    result.alert.labels = { ...result.alert.labels, acmecorptier: "1" };
    anonymizer.addKnownTerms(["acmecorp"]);

    assert.throws(
      () => proposePattern(result, { service: "pricing-db" }, { anonymizer }),
      (error: unknown) => error instanceof PatternLeakError && /acmecorp/.test(error.message),
    );
  });

  it("matches an investigation with the same shape better than a different one", () => {
    const anonymizer = new Anonymizer({ key: "k" });
    const pattern = proposePattern(sampleResult(), { service: "pricing-db" }, { anonymizer });
    const same = sampleResult("web", "orders-db");
    const different = sampleResult("web", "orders-db");
    different.alert.alertname = "DiskFull";
    different.alert.labels = { alertname: "DiskFull", instance: "x" };
    different.candidates[0] = { ...(different.candidates[0] as Candidate), faultClass: "disk", evidence: [] };

    const detail = matchPatternDetail(pattern, same, { anonymizer });

    assert.ok(detail.score > 0.8, String(detail.score));
    assert.equal(detail.service, "orders-db");
    assert.ok(matchPattern(pattern, different) < detail.score);
    assert.ok(matchPattern(pattern, different) >= 0 && detail.score <= 1);
  });

  it("reads the alert signature as name and label keys", () => {
    assert.deepEqual(alertSignatureOf({ alertname: "X", labels: { alertname: "X", b: "1", a: "2", pod: "p" } }), {
      alertname: "X",
      labelKeys: ["a", "b"],
    });
  });
});
