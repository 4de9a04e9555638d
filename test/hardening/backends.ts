import { LlmClient } from "../../agents/llm/client.ts";
import { parseLlmConfig } from "../../agents/llm/config.ts";
import type { Alert } from "../../agents/types.ts";
import { KubernetesChangesSource } from "../../tools/changes/kubernetes-changes.ts";
import { createInvestigationTools } from "../../tools/envelope.ts";
import type { InvestigationTools } from "../../tools/interfaces.ts";
import { KubernetesClusterSource } from "../../tools/kubernetes/read-only-cluster.ts";
import { LokiClient } from "../../tools/loki/client.ts";
import { LokiLogsSource } from "../../tools/loki/logs-source.ts";
import { PrometheusClient } from "../../tools/prometheus/client.ts";
import { PrometheusMetricsSource } from "../../tools/prometheus/metrics-source.ts";
import { defaultSignalCatalog } from "../../tools/prometheus/signal-catalog.ts";
import { TempoClient } from "../../tools/tempo/client.ts";
import { TempoTracesSource } from "../../tools/tempo/traces-source.ts";
import { type FakeKubernetes, startFakeKubernetes } from "../fakes/k8s-api.ts";
import { type FakeLoki, startFakeLoki } from "../fakes/loki.ts";
import { type FakeOpenAI, type ScriptedResponse, startFakeOpenAI } from "../fakes/openai-server.ts";
import { type FakeTempo, startFakeTempo } from "../fakes/tempo.ts";
import { type RunningProcess, startPrometheus, writeOpenMetrics } from "../harness/prometheus.ts";
import { type FaultProxy, startFaultProxy } from "./fault-proxy.ts";
import type { HardeningScenario } from "./scenario.ts";

/** The four HTTP backends an investigation reads, by the names their tool errors use. */
export const BACKENDS = ["prometheus", "loki", "tempo", "kubernetes"] as const;
export type Backend = (typeof BACKENDS)[number];

export interface Backends {
  prometheus: RunningProcess;
  loki: FakeLoki;
  tempo: FakeTempo;
  kubernetes: FakeKubernetes;
  urls: Record<Backend, string>;
  close(): Promise<void>;
}

/** A real Prometheus backfilled with the scenario, and the Loki, Tempo and Kubernetes fakes serving it. */
export async function startBackends(scenario: HardeningScenario): Promise<Backends> {
  const [prometheus, loki, tempo, kubernetes] = await Promise.all([
    startPrometheus({ openMetrics: writeOpenMetrics(scenario.prometheus.series) }),
    startFakeLoki({ streams: scenario.streams }),
    startFakeTempo({ spans: scenario.spans }),
    startFakeKubernetes({ objects: scenario.objects, events: scenario.events }),
  ]);
  return {
    prometheus,
    loki,
    tempo,
    kubernetes,
    urls: { prometheus: prometheus.url, loki: loki.url, tempo: tempo.url, kubernetes: kubernetes.url },
    async close() {
      await Promise.allSettled([prometheus.stop(), loki.stop(), tempo.close(), kubernetes.close()]);
    },
  };
}

/** One fault proxy per backend, so a test can break exactly one source. */
export async function startProxies(backends: Backends): Promise<Record<Backend, FaultProxy>> {
  const entries = await Promise.all(
    BACKENDS.map(async (b) => [b, await startFaultProxy(backends.urls[b], b)] as const),
  );
  return Object.fromEntries(entries) as Record<Backend, FaultProxy>;
}

export async function closeProxies(proxies: Record<Backend, FaultProxy> | undefined): Promise<void> {
  if (!proxies) return;
  await Promise.allSettled(Object.values(proxies).map((p) => p.close()));
}

/** Short timeouts everywhere: a broken backend must cost about a second, not the default ten. */
export const CLIENT_TIMEOUT_MS = 700;
export const ENVELOPE_TIMEOUT_MS = 1500;

/** `createInvestigationTools` over the live source classes, pointed at `urls`. */
export function liveTools(urls: Record<Backend, string>): InvestigationTools {
  const now = Date.now();
  const retry = { retries: 1, retryBaseMs: 50, maxRetryAfterMs: 500 };
  const cluster = new KubernetesClusterSource({
    connection: { mode: "explicit", server: urls.kubernetes, skipTLSVerify: true },
    timeoutMs: CLIENT_TIMEOUT_MS,
  });
  return createInvestigationTools({
    metrics: new PrometheusMetricsSource({
      client: new PrometheusClient({ baseUrl: urls.prometheus, timeoutMs: CLIENT_TIMEOUT_MS, ...retry }),
      catalog: defaultSignalCatalog,
      now,
    }),
    logs: new LokiLogsSource({
      client: new LokiClient({ baseUrl: urls.loki, timeoutMs: CLIENT_TIMEOUT_MS, ...retry }),
      now,
    }),
    traces: new TempoTracesSource({
      client: new TempoClient({ baseUrl: urls.tempo, timeoutMs: CLIENT_TIMEOUT_MS, ...retry }),
      now,
    }),
    cluster,
    changes: new KubernetesChangesSource({ cluster }),
    now,
    timeoutMs: ENVELOPE_TIMEOUT_MS,
  });
}

export function frontendAlert(scenario: HardeningScenario, fingerprint = "hardening-frontend"): Alert {
  return {
    fingerprint,
    alertname: "FrontendErrorsHigh",
    status: "firing",
    labels: { alertname: "FrontendErrorsHigh", service: "frontend", severity: "critical" },
    annotations: { summary: "frontend error ratio above 5%" },
    startsAt: scenario.alertStartsAt,
    service: "frontend",
  };
}

/**
 * A scripted model that explores every source once (logs, traces, Kubernetes events), then concludes with a
 * hypothesis citing the first record it was given. `fallback` answers everything else (the summary rewrite).
 */
export async function startExplorerModel(
  options: { fallback?: ScriptedResponse; conclusion?: unknown; firstTurn?: ScriptedResponse } = {},
): Promise<FakeOpenAI> {
  return startFakeOpenAI({
    rules: [
      {
        match: /An alert fired/,
        respond: options.firstTurn ?? {
          tool_calls: [
            { name: "search_logs", arguments: { services: ["payment"], contains: ["error"] } },
            { name: "search_traces", arguments: { service: "payment", errorsOnly: true } },
            { name: "list_k8s", arguments: { kind: "events", namespace: "shop" } },
          ],
        },
      },
      { match: /Stop calling tools now/, respond: { json: options.conclusion ?? defaultConclusion() } },
      { match: /returned \d+ records|failed\.|refused/, respond: { content: "I have what I need." } },
    ],
    fallback: options.fallback ?? { status: 400 },
  });
}

function defaultConclusion() {
  return {
    hypotheses: [
      {
        service: "payment",
        faultClass: "dependency",
        mechanism: "card processor timeouts make charges fail",
        score: 0.5,
        evidenceIds: ["llm-1"],
      },
    ],
  };
}

export function llmClient(baseURL: string, timeoutMs = 1500): LlmClient {
  return new LlmClient(parseLlmConfig({ baseURL, model: "vigil-test-model", timeoutMs }));
}
