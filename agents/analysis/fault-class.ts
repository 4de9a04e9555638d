import type { MetricKind } from "../../tools/interfaces.ts";
import type { FaultClass } from "../types.ts";

/** The fault class a metric anomaly points to on its own, before other evidence refines it. */
export function faultClassOfKind(kind: MetricKind): FaultClass {
  switch (kind) {
    case "cpu":
    case "cpu_throttle":
      return "cpu";
    case "mem":
      return "mem";
    case "disk_io":
    case "disk_usage":
      return "disk";
    case "net_drop":
      return "network_loss";
    case "socket":
      return "socket";
    case "latency_p50":
    case "latency_p90":
    case "latency_p99":
    case "latency_avg":
    case "net_rx":
    case "net_tx":
      return "network_delay";
    case "error_rate":
    case "success_rate":
    case "restarts":
      return "code_error";
    case "request_rate":
      return "capacity";
    default:
      return "dependency";
  }
}

export function mechanismOfKind(kind: MetricKind, deviation: number): string {
  const dir = deviation >= 0 ? "up" : "down";
  const label: Record<MetricKind, string> = {
    cpu: "CPU usage",
    cpu_throttle: "CPU throttling",
    mem: "memory usage",
    disk_io: "disk I/O",
    disk_usage: "disk usage",
    net_rx: "network receive",
    net_tx: "network transmit",
    net_drop: "dropped packets",
    socket: "socket usage",
    latency_p50: "p50 latency",
    latency_p90: "p90 latency",
    latency_p99: "p99 latency",
    latency_avg: "average latency",
    error_rate: "error rate",
    success_rate: "success rate",
    request_rate: "request rate",
    restarts: "container restarts",
    other: "metric",
  };
  return `${label[kind] ?? kind} ${dir}`;
}
