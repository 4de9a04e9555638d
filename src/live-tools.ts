import type { Alert } from "../agents/types.ts";
import { createInvestigationTools } from "../tools/envelope.ts";
import type { InvestigationTools } from "../tools/interfaces.ts";
import { PrometheusClient } from "../tools/prometheus/client.ts";
import { PrometheusMetricsSource } from "../tools/prometheus/metrics-source.ts";
import { defaultSignalCatalog, loadSignalCatalog, type SignalCatalog } from "../tools/prometheus/signal-catalog.ts";
import type { Config } from "./config.ts";

export type LiveToolsFactory = (alert: Alert) => InvestigationTools;

/**
 * Build the factory that gives each live investigation its own tools (own call log and query cache) over the
 * configured backends. Configuration files are read once, at start-up, so a broken one stops the daemon early.
 */
export async function createLiveToolsFactory(config: Config): Promise<LiveToolsFactory> {
  const catalog: SignalCatalog = config.VIGIL_SIGNAL_CATALOG
    ? await loadSignalCatalog(config.VIGIL_SIGNAL_CATALOG)
    : defaultSignalCatalog;
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
    return createInvestigationTools({
      metrics,
      now,
      links: { prometheusUrl: config.PROMETHEUS_URL },
    });
  };
}
