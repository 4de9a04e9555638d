import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { alertClassOf, alertnameOfClass, parseClassLabels } from "./alert-class.ts";

describe("src/ranking/alert-class", () => {
  it("keys on the alert name and the sorted label keys, never the values", () => {
    const cart = alertClassOf({
      alertname: "HighLatency",
      labels: { alertname: "HighLatency", severity: "page", service: "cart" },
    });
    const checkout = alertClassOf({
      alertname: "HighLatency",
      labels: { service: "checkout", alertname: "HighLatency", severity: "ticket" },
    });

    assert.equal(cart, "HighLatency{service,severity}");
    assert.equal(checkout, cart);
  });

  it("tells apart alerts with a different label shape", () => {
    const perPod = alertClassOf({ alertname: "HighLatency", labels: { service: "cart", pod: "cart-1" } });

    assert.equal(perPod, "HighLatency{pod,service}");
  });

  it("ignores labels that only say which replica evaluated the rule", () => {
    const a = alertClassOf({ alertname: "Down", labels: { job: "api", prometheus: "mon/k8s" } });
    const b = alertClassOf({ alertname: "Down", labels: { job: "api", prometheus_replica: "prometheus-k8s-1" } });

    assert.equal(a, "Down{job}");
    assert.equal(b, a);
  });

  it("uses only the configured label keys when VIGIL_ALERT_CLASS_LABELS is set", () => {
    const labels = parseClassLabels(" service , namespace ");
    const key = alertClassOf(
      { alertname: "HighLatency", labels: { service: "cart", pod: "cart-1", severity: "page" } },
      { labels },
    );

    assert.deepEqual(labels, ["service", "namespace"]);
    assert.equal(key, "HighLatency{service}");
    assert.equal(parseClassLabels(""), undefined);
    assert.equal(parseClassLabels("*"), undefined);
  });

  it("splits the alert name back out of a key", () => {
    assert.equal(alertnameOfClass("HighLatency{service}"), "HighLatency");
    assert.equal(alertnameOfClass("Bare"), "Bare");
  });
});
