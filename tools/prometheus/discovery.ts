import type { MetricKind } from "../interfaces.ts";
import type { PrometheusClient } from "./client.ts";
import { quantile, rateBy, type SignalCatalog, type SignalCatalogEntry, withServiceLabel } from "./signal-catalog.ts";

/** Labels that name a service, tried in this order (the same order as the catalog's conventions). */
const SERVICE_SOURCES = ["service", "service_name", "app", "job", "container"];
/** Discovered entries are capped: discovery is a fallback, not a crawl of every metric. */
const MAX_DISCOVERED = 40;

interface Rule {
  pattern: RegExp;
  build(name: string): SignalCatalogEntry[];
}

const RULES: Rule[] = [
  {
    pattern: /_(duration|latency|response_time)_seconds_bucket$/,
    build: (name) => [
      { kind: "latency_p90", name: `${name}:p90`, query: quantile(0.9, name, SERVICE_SOURCES) },
      { kind: "latency_p99", name: `${name}:p99`, query: quantile(0.99, name, SERVICE_SOURCES) },
    ],
  },
  {
    pattern: /_(errors?|failures?|failed)(_requests)?_total$/,
    build: (name) => [{ kind: "error_rate", name: `${name}:rate`, query: rateBy(name, SERVICE_SOURCES) }],
  },
  {
    pattern: /_requests?_total$/,
    build: (name) => [{ kind: "request_rate", name: `${name}:rps`, query: rateBy(name, SERVICE_SOURCES) }],
  },
  {
    pattern: /cpu.*_seconds_total$/,
    build: (name) => [{ kind: "cpu", name: `${name}:rate`, unit: "cores", query: rateBy(name, SERVICE_SOURCES) }],
  },
  {
    pattern: /(memory|mem)_.*bytes$/,
    build: (name) => [{ kind: "mem", name, query: `max by (service) (${withServiceLabel(name, SERVICE_SOURCES)})` }],
  },
];

/**
 * When the catalog's conventions find nothing, look at the metric names Prometheus actually has and build
 * entries for the ones whose names say what they measure (`*_duration_seconds_bucket`, `*_requests_total`, …),
 * attributed to a service through the usual service labels. Names the catalog already queries are skipped.
 */
export async function discoverSignalCatalog(client: PrometheusClient, known: SignalCatalog): Promise<SignalCatalog> {
  const names = await client.labelValues("__name__");
  if (!names.ok) return [];
  const out: SignalCatalogEntry[] = [];
  for (const name of names.data) {
    if (known.some((e) => e.query.includes(name))) continue;
    const rule = RULES.find((r) => r.pattern.test(name));
    if (!rule) continue;
    out.push(...rule.build(name));
    if (out.length >= MAX_DISCOVERED) break;
  }
  return out;
}

export function kindsOf(catalog: SignalCatalog): MetricKind[] {
  return [...new Set(catalog.map((e) => e.kind))];
}
