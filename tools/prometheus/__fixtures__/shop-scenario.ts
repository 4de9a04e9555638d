import type { OpenMetricsSeries } from "../../../test/harness/prometheus.ts";

/**
 * A small shop for end-to-end tests, one hour of 15 s samples ending just before `now`: `frontend` and `cart`
 * expose the classic `http_requests_total` / `http_request_duration_seconds` metrics, `payment` the
 * OpenTelemetry ones (`job="shop/payment"`). `payment` degrades in the last 10 minutes: 30 % of its requests
 * fail and its latency moves up two buckets; its container burns 0.9 cores instead of 0.2.
 */
export interface ShopScenario {
  series: OpenMetricsSeries[];
  /** First and last sample time (ms). */
  start: number;
  end: number;
  degradeAt: number;
  stepMs: number;
}

const STEP_MS = 15_000;
const BUCKETS = ["0.05", "0.1", "0.25", "0.5", "1", "+Inf"];
// Cumulative share of requests at or below each bucket bound.
const HEALTHY = [0.5, 0.95, 1, 1, 1, 1];
const SLOW = [0.1, 0.3, 0.6, 0.9, 1, 1];
// Mean latency (s) used for the `_sum` counters.
const HEALTHY_MEAN = 0.06;
const SLOW_MEAN = 0.3;

interface ServiceSpec {
  name: string;
  rps: number;
  errorRatio: number;
  convention: "classic" | "otel";
}

const SERVICES: ServiceSpec[] = [
  { name: "frontend", rps: 10, errorRatio: 0.01, convention: "classic" },
  { name: "cart", rps: 5, errorRatio: 0, convention: "classic" },
  { name: "payment", rps: 2, errorRatio: 0.01, convention: "otel" },
];
const DEGRADED_ERROR_RATIO = 0.3;

/** Builds the scenario with the last sample 30 s before `nowMs`, aligned to the 15 s grid. */
export function buildShopScenario(nowMs: number): ShopScenario {
  const end = Math.floor(nowMs / STEP_MS) * STEP_MS - 2 * STEP_MS;
  const start = end - 60 * 60_000;
  const degradeAt = end - 10 * 60_000;
  const times: number[] = [];
  for (let t = start; t <= end; t += STEP_MS) times.push(t);

  const series = new Map<string, OpenMetricsSeries>();
  function add(name: string, labels: Record<string, string>, t: number, value: number) {
    const key = `${name}${JSON.stringify(labels)}`;
    let s = series.get(key);
    if (!s) {
      s = { name, labels, points: [] };
      series.set(key, s);
    }
    s.points.push([t, value]);
  }

  for (const svc of SERVICES) {
    const total = { ok: 0, err: 0 };
    const buckets = { ok: BUCKETS.map(() => 0), err: BUCKETS.map(() => 0) };
    const sum = { ok: 0, err: 0 };
    for (const [i, t] of times.entries()) {
      const degraded = svc.name === "payment" && t > degradeAt;
      // Counters start at 0 on the first sample, then grow by one step's worth of traffic.
      const requests = i === 0 ? 0 : (svc.rps * STEP_MS) / 1000;
      const ratio = degraded ? DEGRADED_ERROR_RATIO : svc.errorRatio;
      const shares = degraded ? SLOW : HEALTHY;
      const mean = degraded ? SLOW_MEAN : HEALTHY_MEAN;
      const step = { ok: requests * (1 - ratio), err: requests * ratio };
      for (const outcome of ["ok", "err"] as const) {
        total[outcome] += step[outcome];
        sum[outcome] += step[outcome] * mean;
        for (const [b, share] of shares.entries()) buckets[outcome][b] += step[outcome] * share;
      }
      for (const outcome of ["ok", "err"] as const) {
        const code = outcome === "ok" ? "200" : "500";
        // cart never fails: it has no 5xx series at all, as a real service would not.
        if (outcome === "err" && svc.errorRatio === 0) continue;
        if (svc.convention === "classic") {
          const labels = { service: svc.name, status: code };
          add("http_requests_total", labels, t, total[outcome]);
          add("http_request_duration_seconds_count", labels, t, total[outcome]);
          add("http_request_duration_seconds_sum", labels, t, sum[outcome]);
          for (const [b, le] of BUCKETS.entries()) {
            add("http_request_duration_seconds_bucket", { ...labels, le }, t, buckets[outcome][b]);
          }
        } else {
          const labels = { job: `shop/${svc.name}`, http_response_status_code: code };
          add("http_server_request_duration_seconds_count", labels, t, total[outcome]);
          add("http_server_request_duration_seconds_sum", labels, t, sum[outcome]);
          for (const [b, le] of BUCKETS.entries()) {
            add("http_server_request_duration_seconds_bucket", { ...labels, le }, t, buckets[outcome][b]);
          }
        }
      }
      const pod = `${svc.name}-7d9f8c6b5d-x2k4p`;
      const cores = svc.name === "payment" && t > degradeAt ? 0.9 : 0.2;
      const cpuBefore = series.get(`container_cpu_usage_seconds_total${JSON.stringify({ container: svc.name, pod })}`);
      const lastCpu = cpuBefore?.points.at(-1)?.[1] ?? 0;
      add("container_cpu_usage_seconds_total", { container: svc.name, pod }, t, i === 0 ? 0 : lastCpu + cores * 15);
      // The pause container must never be reported as a service.
      add("container_cpu_usage_seconds_total", { container: "POD", pod }, t, i * 0.01);
      add("container_memory_working_set_bytes", { container: svc.name, pod }, t, 200e6 + (i % 4) * 1e6);
    }
  }
  return { series: [...series.values()], start, end, degradeAt, stepMs: STEP_MS };
}
