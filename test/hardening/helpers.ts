import { readFileSync } from "node:fs";
import { request } from "node:http";
import type { DaemonProcess } from "../harness/daemon.ts";

/** Shared pieces of the hardening suites: payload builders, raw HTTP, child-process probes. */

export function webhookPayload(alerts: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: "4",
    groupKey: '{}:{alertname="Hardening"}',
    status: "firing",
    receiver: "vigil",
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: "http://alertmanager.local",
    alerts,
    ...extra,
  };
}

let counter = 0;
export function firingAlert(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  counter += 1;
  return {
    status: "firing",
    labels: { alertname: "HardeningProbe", service: "checkout", severity: "warning" },
    annotations: { summary: "probe" },
    startsAt: new Date(Date.now() - 120_000).toISOString(),
    endsAt: "0001-01-01T00:00:00Z",
    generatorURL: "http://prometheus.local/graph",
    fingerprint: `hard${process.pid.toString(16)}${(counter++).toString(16).padStart(8, "0")}`,
    ...overrides,
  };
}

export interface RawResponse {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/**
 * POST raw bytes with node:http (fetch would re-encode strings and refuses some headers). `chunked` sends the body
 * without a content-length, in pieces, so the server cannot refuse it from the header alone.
 */
export function rawPost(
  url: string,
  body: Buffer | string,
  headers: Record<string, string> = { "content-type": "application/json" },
  options: { chunked?: boolean; timeoutMs?: number } = {},
): Promise<RawResponse> {
  const payload = typeof body === "string" ? Buffer.from(body, "utf8") : body;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: "POST",
        headers: options.chunked ? headers : { ...headers, "content-length": String(payload.length) },
        timeout: options.timeoutMs ?? 20_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8"), headers: res.headers }),
        );
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer from ${url}`)));
    let answered = false;
    req.on("response", () => {
      answered = true;
    });
    // A reset before any answer (the server died) must reject, not leave the caller waiting forever.
    req.on("close", () => {
      if (!answered) reject(new Error(`connection to ${url} closed without an answer`));
    });
    // The server may answer 413 and close before the whole body is sent: that is an answer, not a failure.
    req.on("error", (error) => {
      if ((error as NodeJS.ErrnoException).code === "EPIPE" || (error as NodeJS.ErrnoException).code === "ECONNRESET")
        return;
      reject(error);
    });
    if (options.chunked) {
      const step = 64 * 1024;
      let offset = 0;
      const pump = () => {
        while (offset < payload.length) {
          const ok = req.write(payload.subarray(offset, offset + step));
          offset += step;
          if (!ok) {
            req.once("drain", pump);
            return;
          }
        }
        req.end();
      };
      pump();
    } else {
      req.end(payload);
    }
  });
}

/** Resident set size of a process in bytes, from /proc (Linux). */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const match = /VmRSS:\s+(\d+)\s+kB/.exec(status);
  if (!match) throw new Error(`no VmRSS for ${pid}`);
  return Number(match[1]) * 1024;
}

/** Log lines a daemon printed about a crash-class event (the handlers in src/main.ts tag them with `event`). */
export function crashLogs(daemon: DaemonProcess): Array<Record<string, unknown>> {
  return daemon.logs.filter((l) => /unhandledRejection|uncaughtException/.test(JSON.stringify(l)));
}

export async function healthz(url: string): Promise<number> {
  const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5_000) });
  await res.body?.cancel();
  return res.status;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
