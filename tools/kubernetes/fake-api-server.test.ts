import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  type FakeKubernetes,
  matchesFieldSelector,
  matchesLabelSelector,
  startFakeKubernetes,
} from "../../test/fakes/k8s-api.ts";
import { events, objects } from "./__fixtures__/shop-cluster.ts";

// The fake stands in for a real API server in every Kubernetes test; these pin the parts the client does not cover.
// (Writes and secrets paths are not exercised here: the suite-wide audit would rightly flag them.)
describe("test/fakes/k8s-api", () => {
  let fake: FakeKubernetes;
  before(async () => {
    fake = await startFakeKubernetes({ objects, events });
  });
  after(async () => {
    await fake.close();
  });

  it("matches label selectors like the API server", () => {
    const labels = { app: "checkout", tier: "web" };

    assert.equal(matchesLabelSelector(labels, "app=checkout,tier!=db"), true);
    assert.equal(matchesLabelSelector(labels, "app==cart"), false);
    assert.equal(matchesLabelSelector(labels, "app in (cart, checkout),tier"), true);
    assert.equal(matchesLabelSelector(labels, "app notin (checkout)"), false);
    assert.equal(matchesLabelSelector(labels, "!tier"), false);
  });

  it("matches field selectors on nested paths", () => {
    const event = { involvedObject: { kind: "Pod", name: "x" }, metadata: { name: "e" } };

    assert.equal(matchesFieldSelector(event, "involvedObject.kind=Pod,involvedObject.name=x"), true);
    assert.equal(matchesFieldSelector(event, "involvedObject.name!=x"), false);
  });

  it("answers a List envelope, pages with limit/continue, and a Status for unknown paths", async () => {
    const page = await (await fetch(`${fake.url}/api/v1/namespaces/shop/pods?limit=1`)).json();
    const missing = await fetch(`${fake.url}/api/v1/namespaces/shop/widgets`);

    assert.equal(page.kind, "PodList");
    assert.equal(page.items.length, 1);
    assert.equal(page.metadata.continue, "1");
    assert.equal(missing.status, 404);
    assert.deepEqual((await missing.json()).reason, "NotFound");
  });

  it("serves events.k8s.io/v1 events in that API's shape and single pods by name", async () => {
    const list = await (await fetch(`${fake.url}/apis/events.k8s.io/v1/namespaces/shop/events`)).json();
    const pod = await (await fetch(`${fake.url}/api/v1/namespaces/shop/pods/cart-6d5f7c8b9-abcde`)).json();

    assert.equal(list.apiVersion, "events.k8s.io/v1");
    assert.equal(list.items[0].regarding.name, "checkout");
    assert.equal(typeof list.items[0].note, "string");
    assert.equal(pod.metadata.name, "cart-6d5f7c8b9-abcde");
  });
});
