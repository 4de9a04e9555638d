import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface DaemonProcess {
  url: string;
  child: ChildProcess;
  /** Every pino log line the daemon printed, parsed. */
  logs: Array<Record<string, unknown>>;
  dataDir: string;
  waitForLog(
    predicate: (line: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Spawn `vigil serve` as a child process (Probot-style e2e) on an ephemeral port and a fresh PGlite data dir,
 * and resolve once it logs the URL it listens on.
 */
export async function startDaemon(env: Record<string, string> = {}, timeoutMs = 60_000): Promise<DaemonProcess> {
  const dataDir = env.VIGIL_DATA_DIR ?? mkdtempSync(join(tmpdir(), "vigil-e2e-"));
  const child = spawn(process.execPath, ["bin/vigil.mjs", "serve"], {
    env: { ...process.env, PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "info", VIGIL_DATA_DIR: dataDir, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: Array<Record<string, unknown>> = [];
  const waiters: Array<{
    predicate: (l: Record<string, unknown>) => boolean;
    resolve: (l: Record<string, unknown>) => void;
  }> = [];
  let stderr = "";
  let buffer = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    buffer += chunk.toString("utf8");
    let newline = buffer.indexOf("\n");
    while (newline >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      newline = buffer.indexOf("\n");
      try {
        const parsed = JSON.parse(line) as Record<string, unknown>;
        logs.push(parsed);
        for (const w of [...waiters]) {
          if (w.predicate(parsed)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(parsed);
          }
        }
      } catch {
        // not a log line
      }
    }
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });

  function waitForLog(predicate: (l: Record<string, unknown>) => boolean, wait = 30_000) {
    const existing = logs.find(predicate);
    if (existing) return Promise.resolve(existing);
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new Error(
            `daemon log not seen within ${wait} ms; stderr:\n${stderr}\nlast logs:\n${logs
              .slice(-5)
              .map((l) => JSON.stringify(l))
              .join("\n")}`,
          ),
        );
      }, wait);
      waiters.push({
        predicate,
        resolve: (l) => {
          clearTimeout(timer);
          resolve(l);
        },
      });
    });
  }

  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const listening = await Promise.race([
    waitForLog((l) => l.msg === "Vigil listening", timeoutMs),
    exited.then((code) => {
      throw new Error(`daemon exited with ${code} before listening:\n${stderr}`);
    }),
  ]);
  return {
    url: String(listening.url),
    child,
    logs,
    dataDir,
    waitForLog,
    async stop(signal: NodeJS.Signals = "SIGTERM") {
      if (child.exitCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      const code = await exited;
      clearTimeout(timer);
      if (!env.VIGIL_DATA_DIR) rmSync(dataDir, { recursive: true, force: true });
      return code;
    },
  };
}

/** Poll `check` until it returns a value (not undefined) or the time is up. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 30_000,
  intervalMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`condition not met within ${timeoutMs} ms${lastError ? `: ${(lastError as Error).message}` : ""}`);
}
