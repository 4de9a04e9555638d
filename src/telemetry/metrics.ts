import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/** The daemon's own Prometheus metrics, served at `/metrics`. One registry per daemon so tests stay isolated. */
export interface DaemonMetrics {
  registry: Registry;
  alertsReceived: Counter<"source" | "result">;
  investigations: Counter<"outcome" | "alert_class">;
  investigationDuration: Histogram<"outcome">;
  strategyDuration: Histogram<"strategy">;
  toolCalls: Counter<"backend" | "result">;
  toolCallDuration: Histogram<"backend">;
  llmTokens: Counter<"direction">;
  llmCostUsd: Counter;
  queueDepth: Gauge;
  oldestJobAge: Gauge;
}

export function createDaemonMetrics(): DaemonMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "vigil_process_" });
  return {
    registry,
    alertsReceived: new Counter({
      name: "vigil_alerts_received_total",
      help: "Alerts received, by source and what happened to them (created, duplicate, invalid, resolved)",
      labelNames: ["source", "result"],
      registers: [registry],
    }),
    investigations: new Counter({
      name: "vigil_investigations_total",
      help: "Finished investigations by outcome (cause, abstained, failed) and alert class",
      labelNames: ["outcome", "alert_class"],
      registers: [registry],
    }),
    investigationDuration: new Histogram({
      name: "vigil_investigation_duration_seconds",
      help: "Wall time of an investigation, from start to final summary",
      labelNames: ["outcome"],
      buckets: [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300],
      registers: [registry],
    }),
    strategyDuration: new Histogram({
      name: "vigil_strategy_duration_seconds",
      help: "Wall time of one strategy within an investigation",
      labelNames: ["strategy"],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
      registers: [registry],
    }),
    toolCalls: new Counter({
      name: "vigil_tool_calls_total",
      help: "Backend calls made by investigations, by backend and result (ok, error, cache_hit)",
      labelNames: ["backend", "result"],
      registers: [registry],
    }),
    toolCallDuration: new Histogram({
      name: "vigil_tool_call_duration_seconds",
      help: "Latency of backend calls made by investigations (cache hits excluded), by backend",
      labelNames: ["backend"],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
      registers: [registry],
    }),
    llmTokens: new Counter({
      name: "vigil_llm_tokens_total",
      help: "LLM tokens used by investigations, by direction (input, output)",
      labelNames: ["direction"],
      registers: [registry],
    }),
    llmCostUsd: new Counter({
      name: "vigil_llm_cost_usd_total",
      help: "LLM cost of investigations in USD, from the configured prices",
      registers: [registry],
    }),
    queueDepth: new Gauge({
      name: "vigil_queue_depth",
      help: "Investigation jobs waiting in the queue",
      registers: [registry],
    }),
    oldestJobAge: new Gauge({
      name: "vigil_queue_oldest_job_age_seconds",
      help: "Age of the oldest investigation still queued (0 when none)",
      registers: [registry],
    }),
  };
}
