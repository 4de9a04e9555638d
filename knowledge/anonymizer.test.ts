import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Anonymizer, type PseudonymEntry } from "./anonymizer.ts";

const TERMS = ["cartservice", "storefront", "db17.acme-corp.internal", "acme-payments"];

function anonymizer(key = "install-key-1", onRegister?: (e: PseudonymEntry) => void): Anonymizer {
  return new Anonymizer({ key, knownTerms: TERMS, onRegister });
}

describe("knowledge/anonymizer pseudonyms", () => {
  it("gives the same pseudonym for the same name, across instances with the same key", () => {
    const a = anonymizer();
    const b = anonymizer();

    assert.equal(a.pseudonym("service", "cartservice"), b.pseudonym("service", "cartservice"));
    assert.match(a.pseudonym("service", "cartservice"), /^svc-[0-9a-f]{6}$/);
    assert.match(a.pseudonym("namespace", "shop"), /^ns-[0-9a-f]{6}$/);
    assert.match(a.pseudonym("node", "ip-10-0-1-23"), /^node-[0-9a-f]{6}$/);
  });

  it("gives unrelated pseudonyms under another key", () => {
    assert.notEqual(
      anonymizer("key-a").pseudonym("service", "cartservice"),
      anonymizer("key-b").pseudonym("service", "cartservice"),
    );
  });

  it("keeps a pod's owner: <service pseudonym>-<hash>", () => {
    const a = anonymizer();

    const pod = a.pseudonym("pod", "cartservice-7d9f4bc5d-abcde");

    assert.ok(pod.startsWith(`${a.pseudonym("service", "cartservice")}-`), pod);
    assert.notEqual(pod, a.pseudonym("pod", "cartservice-7d9f4bc5d-fghij"));
  });

  it("reveals pseudonyms it issued, and only those", () => {
    const a = anonymizer();
    const p = a.pseudonym("host", "db17.acme-corp.internal");

    assert.equal(a.reveal(p), "db17.acme-corp.internal");
    assert.equal(anonymizer("another-install").reveal(p), undefined);
  });

  it("round-trips through the persisted map", () => {
    const persisted: PseudonymEntry[] = [];
    const a = anonymizer("k", (e) => persisted.push(e));
    const p = a.pseudonym("service", "checkout");

    const restarted = new Anonymizer({ key: "k", entries: persisted });

    assert.equal(restarted.reveal(p), "checkout");
    assert.equal(restarted.text("checkout is slow"), `${p} is slow`);
  });

  it("refuses an empty key", () => {
    assert.throws(() => new Anonymizer({ key: "" }), /non-empty key/);
  });
});

describe("knowledge/anonymizer text", () => {
  const cases: Array<{ name: string; line: string; gone: string[]; kept?: string[] }> = [
    {
      name: "IPv4 with port and IPv6",
      line: "dial tcp 10.0.3.7:6379: i/o timeout; peer 2001:db8::8a2e:370:7334 reset",
      gone: ["10.0.3.7", "2001:db8::8a2e:370:7334"],
      kept: ["dial tcp", "i/o timeout"],
    },
    {
      name: "emails",
      line: "password reset sent to jane.doe+ops@example.co.uk by admin@acme.io",
      gone: ["jane.doe", "example.co.uk", "admin@acme.io"],
    },
    {
      name: "URL with credentials and a query",
      line: "connecting to postgres://app:s3cr3tP4ss@db17.acme-corp.internal:5432/orders?sslmode=require",
      gone: ["s3cr3tP4ss", "db17.acme-corp.internal", "sslmode", "app:"],
      kept: ["postgres://"],
    },
    {
      name: "URL host and ids in the path",
      line: "GET https://api.acme.com/v1/users/8812731/orders?token=abc returned 500",
      gone: ["api.acme.com", "8812731", "token=abc"],
      kept: ["https://", "/v1/users/", "returned 500"],
    },
    {
      name: "JWT and bearer header",
      line: "auth Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U ok",
      gone: ["eyJhbGciOiJIUzI1NiJ9", "dozjgNryP4J3jVmNHl0w5N"],
    },
    {
      name: "known terms in the middle of a log line",
      line: 'level=error msg="cartservice-7d9f4bc5d-x2k9p: upstream acme-payments refused" team=storefront',
      gone: ["cartservice", "acme-payments", "storefront", "x2k9p"],
      kept: ["level=error", "upstream", "refused"],
    },
    {
      name: "UUIDs, AWS keys and opaque tokens",
      line: "req 123e4567-e89b-12d3-a456-426614174000 key AKIAIOSFODNN7EXAMPLE trace 4bf92f3577b34da6a3ce929d0e0e4736",
      gone: ["123e4567", "AKIAIOSFODNN7EXAMPLE", "4bf92f3577b34da6a3ce929d0e0e4736"],
    },
    {
      name: "cloud node names",
      line: "Successfully assigned shop/orders-htnflf9wh5-cx6bg to ip-10-0-1-23.eu-west-1.compute.internal",
      gone: ["ip-10-0-1-23", "htnflf9wh5-cx6bg", "compute.internal"],
      kept: ["Successfully assigned"],
    },
    {
      name: "private keys",
      line: "loaded -----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAxyz\n-----END RSA PRIVATE KEY----- from disk",
      gone: ["MIIEowIBAAKCAQEAxyz"],
    },
  ];

  for (const c of cases) {
    it(`anonymizes ${c.name}`, () => {
      const a = anonymizer();

      const out = a.text(c.line);

      for (const value of c.gone) assert.ok(!out.includes(value), `"${value}" remains in: ${out}`);
      for (const value of c.kept ?? []) assert.ok(out.includes(value), `"${value}" was lost in: ${out}`);
      assert.deepEqual(a.detectors(out), [], `detectors fire on: ${out}`);
    });
  }

  it("replaces a known term only as a whole word", () => {
    const a = new Anonymizer({ key: "k", knownTerms: ["cart"] });

    const out = a.text("cart calls cartography and cart-items; scart stays");

    assert.match(out, /^svc-|^term-/);
    assert.ok(out.includes("cartography"), out);
    assert.ok(out.includes("scart"), out);
  });

  it("replaces every name registered so far, longest first", () => {
    const a = new Anonymizer({ key: "k" });
    const long = a.pseudonym("service", "api-gateway");
    const short = a.pseudonym("service", "api");

    assert.equal(a.text("api-gateway calls api"), `${long} calls ${short}`);
  });

  it("is deterministic for a key", () => {
    const line = "cartservice at 10.1.2.3 for bob@example.com via https://db17.acme-corp.internal/x";

    assert.equal(anonymizer().text(line), anonymizer().text(line));
  });
});

describe("knowledge/anonymizer fields", () => {
  it("pseudonymizes labels by kind and other strings as text", () => {
    const a = anonymizer();

    const out = a.fields({
      service: "checkout",
      pod: "checkout-6fjg2c5vh-mncph",
      namespace: "shop",
      node: "ip-10-0-2-141.eu-west-1.compute.internal",
      instance: "10.0.2.141:9100",
      cluster: "prod-eu-1",
      message: "checkout failed for bob@example.com",
      count: 3,
    });

    assert.equal(out.service, a.pseudonym("service", "checkout"));
    assert.ok(out.pod.startsWith(`${out.service}-`), out.pod);
    assert.equal(out.namespace, a.pseudonym("namespace", "shop"));
    assert.match(out.node, /^node-/);
    assert.equal(out.instance, "<ip>");
    assert.match(out.cluster, /^cluster-/);
    assert.equal(out.message, `${out.service} failed for <email>`);
    assert.equal(out.count, 3);
  });
});

describe("knowledge/anonymizer detectors", () => {
  it("lists what identifies", () => {
    const a = anonymizer();

    const kinds = a
      .detectors("storefront at 10.0.0.1 mail ops@acme.io see https://x.acme.io/a?b=1 password=hunter2")
      .map((h) => h.kind);

    for (const kind of ["known-term", "ip", "email", "url", "secret"]) assert.ok(kinds.includes(kind as never), kind);
  });

  it("does not flag its own pseudonyms and placeholders", () => {
    const a = anonymizer();
    const s = `${a.pseudonym("service", "cartservice")} ${a.pseudonym("pod", "cartservice-7d9f4bc5d-x2k9p")} <ip> <email> [redacted]`;

    assert.deepEqual(a.detectors(s), []);
  });
});
