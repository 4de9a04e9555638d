import type { Alert } from "../agents/types.ts";
import { KubernetesChangesSource } from "../tools/changes/kubernetes-changes.ts";
import { mergeChangeSources } from "../tools/changes/webhook-changes.ts";
import { createInvestigationTools } from "../tools/envelope.ts";
import type { ChangesSource, ClusterSource, InvestigationTools, ToolCallRecord } from "../tools/interfaces.ts";
import { JaegerClient } from "../tools/jaeger/client.ts";
import { JaegerTracesSource } from "../tools/jaeger/traces-source.ts";
import { KubernetesClusterSource, type KubernetesConnection } from "../tools/kubernetes/read-only-cluster.ts";
import { LokiClient } from "../tools/loki/client.ts";
import { LokiLogsSource } from "../tools/loki/logs-source.ts";
import { PrometheusClient } from "../tools/prometheus/client.ts";
import { PrometheusMetricsSource } from "../tools/prometheus/metrics-source.ts";
import { defaultSignalCatalog, loadSignalCatalog, type SignalCatalog } from "../tools/prometheus/signal-catalog.ts";
import { TempoClient } from "../tools/tempo/client.ts";
import { TempoTracesSource } from "../tools/tempo/traces-source.ts";
import type { Config } from "./config.ts";

export type LiveToolsFactory = (alert: Alert) => InvestigationTools;

/** Which Kubernetes connection the configuration asks for, if any. */
export function kubernetesConnection(config: Config): KubernetesConnection | undefined {
  const mode =
    config.KUBERNETES_MODE === "auto"
      ? config.KUBERNETES_SERVICE_HOST
        ? "in-cluster"
        : config.KUBECONFIG
          ? "kubeconfig"
          : "off"
      : config.KUBERNETES_MODE;
  switch (mode) {
    case "in-cluster":
      return { mode: "in-cluster" };
    case "kubeconfig":
      return { mode: "kubeconfig", path: config.KUBECONFIG, context: config.KUBERNETES_CONTEXT };
    case "explicit":
      return {
        mode: "explicit",
        server: config.KUBERNETES_SERVER ?? "",
        token: config.KUBERNETES_TOKEN,
        skipTLSVerify: config.KUBERNETES_SKIP_TLS_VERIFY === "true",
      };
    default:
      return undefined;
  }
}

/** The backends a configuration connects, for the start-up log. */
export function configuredSources(config: Config): string[] {
  return [
    config.PROMETHEUS_URL && "prometheus",
    config.LOKI_URL && "loki",
    config.TEMPO_URL ? "tempo" : config.JAEGER_URL && "jaeger",
    kubernetesConnection(config) && "kubernetes",
  ].filter(Boolean) as string[];
}

/**
 * Build the factory that gives each live investigation its own tools (own call log and query cache) over the
 * configured backends. Configuration files are read once, at start-up, so a broken one stops the daemon early.
 */
export async function createLiveToolsFactory(
  config: Config,
  extra: { webhookChanges?: ChangesSource; onCall?: (record: ToolCallRecord) => void } = {},
): Promise<LiveToolsFactory> {
  const catalog: SignalCatalog = config.VIGIL_SIGNAL_CATALOG
    ? await loadSignalCatalog(config.VIGIL_SIGNAL_CATALOG)
    : defaultSignalCatalog;
  const namespaces = config.VIGIL_NAMESPACES?.split(",")
    .map((n) => n.trim())
    .filter(Boolean);
  const connection = kubernetesConnection(config);
  // One cluster client for the process: it holds no per-investigation state.
  const cluster: ClusterSource | undefined = connection
    ? new KubernetesClusterSource({ connection, namespaces })
    : undefined;

  return () => {
    const now = Date.now();
    const metrics = config.PROMETHEUS_URL
      ? new PrometheusMetricsSource({
          client: new PrometheusClient({
            baseUrl: config.PROMETHEUS_URL,
            bearerToken: config.PROMETHEUS_BEARER_TOKEN,
            tenant: config.PROMETHEUS_TENANT,
          }),
          catalog,
          now,
        })
      : undefined;
    const logs = config.LOKI_URL
      ? new LokiLogsSource({
          client: new LokiClient({
            baseUrl: config.LOKI_URL,
            tenant: config.LOKI_TENANT,
            bearerToken: config.LOKI_BEARER_TOKEN,
          }),
          now,
        })
      : undefined;
    const traces = config.TEMPO_URL
      ? new TempoTracesSource({
          client: new TempoClient({ baseUrl: config.TEMPO_URL, tenant: config.TEMPO_TENANT }),
          now,
        })
      : config.JAEGER_URL
        ? new JaegerTracesSource({ client: new JaegerClient({ baseUrl: config.JAEGER_URL }), now })
        : undefined;
    const changeSources: ChangesSource[] = [];
    if (cluster) changeSources.push(new KubernetesChangesSource({ cluster, namespaces }));
    if (extra.webhookChanges) changeSources.push(extra.webhookChanges);
    return createInvestigationTools({
      metrics,
      logs,
      traces,
      cluster,
      changes: changeSources.length > 0 ? mergeChangeSources(...changeSources) : undefined,
      now,
      links: { prometheusUrl: config.PROMETHEUS_URL, grafanaUrl: config.GRAFANA_URL },
      onCall: extra.onCall,
    });
  };
}
