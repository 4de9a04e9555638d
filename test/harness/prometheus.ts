/**
 * End-to-end helpers that run the real Prometheus and Alertmanager binaries (Debian packages `prometheus` and
 * `prometheus-alertmanager`) on 127.0.0.1 with ephemeral ports and temp directories (docs/testing.md §4.1).
 *
 * @example
 * const om = writeOpenMetrics([{ name: "up", labels: { service: "cart" }, points: [[Date.now() - 60_000, 1]] }]);
 * const prom = await startPrometheus({ openMetrics: om });
 * // ... query `${prom.url}/api/v1/query_range` ...
 * await prom.stop();
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

/** How long a binary may take to answer `/-/ready` before the start is reported as failed. */
const READY_TIMEOUT_MS = 20_000;
/** How long `stop()` waits after SIGTERM before it sends SIGKILL. */
const STOP_GRACE_MS = 5_000;
/** Lines of process output kept for error messages. */
const LOG_TAIL_LINES = 40;

export interface OpenMetricsSeries {
  name: string;
  labels: Record<string, string>;
  /** `[timeMs, value]`; written in ascending time order whatever the input order. */
  points: Array<[number, number]>;
}

export interface RunningProcess {
  url: string;
  port: number;
  /** The temp directory holding config and data; removed by `stop()`. */
  dir: string;
  /** The last lines the process printed, for diagnosing a failing test. */
  logs(): string;
  /** Kills the process (SIGTERM, then SIGKILL) and removes the temp directory. Safe to call twice. */
  stop(): Promise<void>;
}

export interface StartPrometheusOptions {
  /** OpenMetrics text (see `writeOpenMetrics`), backfilled with promtool before Prometheus starts. */
  openMetrics?: string;
  /** A Prometheus rule file (YAML), loaded as the only rule file. */
  rulesYaml?: string;
  /** Alertmanager base URL that firing alerts are sent to. */
  alertmanagerUrl?: string;
  evaluationInterval?: string; // default "1s"
  scrapeInterval?: string; // default "15s"
  extraArgs?: string[];
}

export interface StartAlertmanagerOptions {
  /** Every notification is POSTed here (`send_resolved: false`). */
  webhookUrl: string;
  groupWait?: string; // default "0s"
  groupInterval?: string; // default "1s"
  repeatInterval?: string; // default "1h"
  groupBy?: string[]; // default ["alertname"]
  extraArgs?: string[];
}

/** An alert as Alertmanager's `POST /api/v2/alerts` takes it. */
export interface PostableAlert {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  startsAt?: string;
  endsAt?: string;
  generatorURL?: string;
}

// Children still running; killed on exit so a crashed test file never leaves Prometheus behind.
const liveChildren = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of liveChildren) child.kill("SIGKILL");
});

/** The absolute path of an executable on PATH, or null when it is not installed. */
export function findBinary(name: string): string | null {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return null;
}

/** Like `findBinary`, but throws a message that says how to install the binary; tests fail loudly, never skip. */
export function requireBinary(name: string): string {
  const path = findBinary(name);
  if (path) return path;
  throw new Error(
    `${name} not found on PATH: install the Debian packages (apt-get install -y prometheus prometheus-alertmanager); CI installs them`,
  );
}

/** A port that was free a moment ago: listen on port 0, read the port, close. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("could not read a free port");
  return address.port;
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(value);
}

function formatLabels(labels: Record<string, string>): string {
  const pairs = Object.entries(labels).map(
    ([k, v]) => `${k}="${v.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n")}"`,
  );
  return pairs.length === 0 ? "" : `{${pairs.join(",")}}`;
}

/**
 * Renders series as OpenMetrics text for `promtool tsdb create-blocks-from openmetrics`: `# TYPE name gauge`
 * before each family, a family's samples together (the parser rejects a family that reappears), timestamps in
 * seconds, `# EOF` last.
 */
export function writeOpenMetrics(series: OpenMetricsSeries[]): string {
  const families = new Map<string, OpenMetricsSeries[]>();
  for (const s of series) {
    const list = families.get(s.name) ?? [];
    list.push(s);
    families.set(s.name, list);
  }
  const lines: string[] = [];
  for (const [name, members] of families) {
    lines.push(`# TYPE ${name} gauge`);
    for (const s of members) {
      const labels = formatLabels(s.labels);
      const points = [...s.points].sort(([a], [b]) => a - b);
      for (const [t, v] of points) lines.push(`${name}${labels} ${formatValue(v)} ${t / 1000}`);
    }
  }
  lines.push("# EOF");
  return `${lines.join("\n")}\n`;
}

interface StartedProcess {
  proc: RunningProcess;
  hasExited(): boolean;
}

function startProcess(binary: string, args: string[], dir: string, url: string, port: number): StartedProcess {
  const child = spawn(binary, args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  liveChildren.add(child);
  const tail: string[] = [];
  const keep = (chunk: Buffer) => {
    tail.push(...chunk.toString("utf8").split("\n").filter(Boolean));
    tail.splice(0, Math.max(0, tail.length - LOG_TAIL_LINES));
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.once("exit", () => liveChildren.delete(child));
  let stopping: Promise<void> | undefined;

  async function stop(): Promise<void> {
    stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    })();
    return stopping;
  }

  return {
    proc: { url, port, dir, logs: () => tail.join("\n"), stop },
    hasExited: () => child.exitCode !== null || child.signalCode !== null,
  };
}

async function waitReady(name: string, { proc, hasExited }: StartedProcess): Promise<RunningProcess> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    // A bad flag or config makes the binary exit at once; report its output instead of waiting out the deadline.
    if (hasExited()) break;
    try {
      const res = await fetch(`${proc.url}/-/ready`, { signal: AbortSignal.timeout(1_000) });
      await res.body?.cancel();
      if (res.ok) return proc;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const logs = proc.logs();
  await proc.stop();
  throw new Error(`${name} did not become ready on ${proc.url}\n${logs}`);
}

/**
 * Backfills `openMetrics` into a fresh TSDB with promtool, then starts Prometheus on it and waits for
 * `/-/ready`. Backfill happens before the start because Prometheus only loads blocks it finds at start-up.
 * Keep samples in the recent past (e.g. the last hour) and before now; the 100y retention keeps older ones.
 */
export async function startPrometheus(options: StartPrometheusOptions = {}): Promise<RunningProcess> {
  const prometheus = requireBinary("prometheus");
  const dir = mkdtempSync(join(tmpdir(), "vigil-prom-"));
  const tsdb = join(dir, "data");
  try {
    if (options.openMetrics) {
      const promtool = requireBinary("promtool");
      const omFile = join(dir, "backfill.om");
      writeFileSync(omFile, options.openMetrics);
      await execFileAsync(promtool, ["tsdb", "create-blocks-from", "openmetrics", omFile, tsdb], {
        timeout: 60_000,
      });
    }
    const config: string[] = [
      "global:",
      `  scrape_interval: ${options.scrapeInterval ?? "15s"}`,
      `  evaluation_interval: ${options.evaluationInterval ?? "1s"}`,
    ];
    if (options.rulesYaml) {
      writeFileSync(join(dir, "rules.yml"), options.rulesYaml);
      config.push("rule_files:", `  - ${JSON.stringify(join(dir, "rules.yml"))}`);
    }
    if (options.alertmanagerUrl) {
      const am = new URL(options.alertmanagerUrl);
      config.push(
        "alerting:",
        "  alertmanagers:",
        `    - scheme: ${am.protocol.replace(":", "")}`,
        `      path_prefix: ${JSON.stringify(am.pathname)}`,
        "      static_configs:",
        `        - targets: [${JSON.stringify(am.host)}]`,
      );
    }
    writeFileSync(join(dir, "prometheus.yml"), `${config.join("\n")}\n`);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  const port = await freePort();
  const started = startProcess(
    prometheus,
    [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${tsdb}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--storage.tsdb.retention.time=100y",
      "--rules.alert.resend-delay=1s",
      ...(options.extraArgs ?? []),
    ],
    dir,
    `http://127.0.0.1:${port}`,
    port,
  );
  return waitReady("prometheus", started);
}

/**
 * Starts Alertmanager with one route that sends every alert to `webhookUrl` (`send_resolved: false`, small
 * group_wait/group_interval so a POSTed alert is delivered in about a second), gossip disabled.
 */
export async function startAlertmanager(options: StartAlertmanagerOptions): Promise<RunningProcess> {
  const binary = requireBinary("prometheus-alertmanager");
  const dir = mkdtempSync(join(tmpdir(), "vigil-am-"));
  const config = [
    "route:",
    "  receiver: webhook",
    `  group_by: ${JSON.stringify(options.groupBy ?? ["alertname"])}`,
    `  group_wait: ${options.groupWait ?? "0s"}`,
    `  group_interval: ${options.groupInterval ?? "1s"}`,
    `  repeat_interval: ${options.repeatInterval ?? "1h"}`,
    "receivers:",
    "  - name: webhook",
    "    webhook_configs:",
    `      - url: ${JSON.stringify(options.webhookUrl)}`,
    "        send_resolved: false",
  ];
  writeFileSync(join(dir, "alertmanager.yml"), `${config.join("\n")}\n`);
  const port = await freePort();
  const started = startProcess(
    binary,
    [
      `--config.file=${join(dir, "alertmanager.yml")}`,
      `--storage.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--cluster.listen-address=",
      ...(options.extraArgs ?? []),
    ],
    dir,
    `http://127.0.0.1:${port}`,
    port,
  );
  return waitReady("prometheus-alertmanager", started);
}

/** POSTs alerts to Alertmanager's `/api/v2/alerts`; throws with the response text on a non-2xx answer. */
export async function postAlerts(alertmanagerUrl: string, alerts: PostableAlert[]): Promise<void> {
  const res = await fetch(`${alertmanagerUrl.replace(/\/+$/, "")}/api/v2/alerts`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(alerts),
    signal: AbortSignal.timeout(5_000),
  });
  if (!res.ok) throw new Error(`Alertmanager rejected alerts: HTTP ${res.status} ${await res.text()}`);
  await res.body?.cancel();
}
