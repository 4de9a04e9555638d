import type { K8sObject, SpanRecord } from "../../tools/interfaces.ts";
import { buildShopScenario, type ShopScenario } from "../../tools/prometheus/__fixtures__/shop-scenario.ts";
import type { FakeLokiStream } from "../fakes/loki.ts";

/**
 * One incident seen by every source: the shop scenario's `payment` degrades 10 minutes before now (metrics in a
 * real Prometheus), and the same story is told by Loki lines, Tempo spans and Kubernetes events. `extraText` is
 * planted in a log line, an event message, a span attribute and a label: the secrets and prompt-injection suites
 * put their payloads there.
 */
export interface HardeningScenario {
  prometheus: ShopScenario;
  streams: FakeLokiStream[];
  spans: SpanRecord[];
  objects: K8sObject[];
  events: K8sObject[];
  /** An alert on frontend that fired after payment broke. */
  alertStartsAt: number;
}

export function buildHardeningScenario(now: number, extraText: string[] = []): HardeningScenario {
  const prometheus = buildShopScenario(now);
  const { degradeAt, end } = prometheus;
  const ns = (t: number) => `${BigInt(Math.round(t)) * 1_000_000n}`;
  const paymentLines: Array<[string, string]> = [];
  const frontendLines: Array<[string, string]> = [];
  for (let t = degradeAt - 30 * 60_000; t < end; t += 30_000) {
    frontendLines.push([ns(t), `GET /checkout 200 ${t > degradeAt ? 310 : 60}ms`]);
    if (t > degradeAt) {
      paymentLines.push([ns(t), "ERROR charge failed: upstream card processor timeout after 2000ms"]);
      frontendLines.push([ns(t + 1), "WARN payment call failed, retrying"]);
    } else paymentLines.push([ns(t), "INFO charge ok"]);
  }
  for (const [i, text] of extraText.entries()) paymentLines.push([ns(end - 60_000 + i * 1000), text]);
  const streams: FakeLokiStream[] = [
    { labels: { service_name: "payment", namespace: "shop" }, values: paymentLines },
    { labels: { service_name: "frontend", namespace: "shop" }, values: frontendLines },
  ];

  const spans: SpanRecord[] = [];
  let n = 0;
  for (let t = degradeAt - 20 * 60_000; t < end; t += 60_000) {
    n += 1;
    const traceId = n.toString(16).padStart(32, "0");
    const bad = t > degradeAt;
    const attributes: Record<string, unknown> = { "http.route": "/checkout" };
    if (bad) {
      for (const [i, text] of extraText.entries()) attributes[`note.${i}`] = text;
    }
    spans.push(
      {
        traceId,
        spanId: `${n.toString(16).padStart(12, "0")}0001`,
        parentSpanId: "",
        service: "frontend",
        name: "GET /checkout",
        startMs: t,
        durationMs: bad ? 2100 : 60,
        status: bad ? "error" : "ok",
        attributes: { "http.route": "/checkout" },
      },
      {
        traceId,
        spanId: `${n.toString(16).padStart(12, "0")}0002`,
        parentSpanId: `${n.toString(16).padStart(12, "0")}0001`,
        service: "payment",
        name: "charge",
        startMs: t + 5,
        durationMs: bad ? 2050 : 40,
        status: bad ? "error" : "ok",
        attributes,
      },
    );
  }

  const iso = (t: number) => new Date(t).toISOString();
  const labels: Record<string, string> = { app: "payment" };
  for (const [i, text] of extraText.entries()) labels[`note-${i}`] = text.slice(0, 63);
  const objects: K8sObject[] = [
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "payment", namespace: "shop", labels, creationTimestamp: iso(end - 86_400_000) },
      spec: { replicas: 2, template: { spec: { containers: [{ name: "payment", image: "shop/payment:2.3.0" }] } } },
      status: { replicas: 2, readyReplicas: 2, updatedReplicas: 2, availableReplicas: 2 },
    } as K8sObject,
    {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name: "payment-7d4b9c-abcde",
        namespace: "shop",
        labels: { ...labels },
        creationTimestamp: iso(end - 86_400_000),
      },
      spec: { nodeName: "node-a", containers: [{ name: "payment", image: "shop/payment:2.3.0" }] },
      status: {
        phase: "Running",
        containerStatuses: [{ name: "payment", ready: true, restartCount: 0, state: { running: {} } }],
      },
    } as K8sObject,
  ];
  const events: K8sObject[] = [
    {
      apiVersion: "v1",
      kind: "Event",
      metadata: { name: "payment.1", namespace: "shop", creationTimestamp: iso(degradeAt + 60_000) },
      involvedObject: { kind: "Pod", name: "payment-7d4b9c-abcde", namespace: "shop" },
      reason: "Unhealthy",
      message: "Readiness probe failed: HTTP probe failed with statuscode: 503",
      type: "Warning",
      count: 4,
      firstTimestamp: iso(degradeAt + 60_000),
      lastTimestamp: iso(end - 60_000),
    } as K8sObject,
    ...extraText.map(
      (text, i) =>
        ({
          apiVersion: "v1",
          kind: "Event",
          metadata: { name: `payment.x${i}`, namespace: "shop", creationTimestamp: iso(end - 120_000) },
          involvedObject: { kind: "Pod", name: "payment-7d4b9c-abcde", namespace: "shop" },
          reason: "BackOff",
          message: text,
          type: "Warning",
          count: 1,
          firstTimestamp: iso(end - 120_000),
          lastTimestamp: iso(end - 120_000),
        }) as K8sObject,
    ),
  ];
  return { prometheus, streams, spans, objects, events, alertStartsAt: degradeAt + 60_000 };
}
