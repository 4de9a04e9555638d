import { type RecordingServer, startRecordingServer } from "../harness/recording-server.ts";

/**
 * A tiny OTLP/HTTP JSON receiver (docs/testing.md §4.7): accepts `POST /v1/traces`, records every export body
 * (raw text, so a test can search it for anything that must not leave the process) and the parsed
 * `resourceSpans`, and answers `{}` as a collector does. `failNext` answers the next exports with a status.
 */
export interface OtlpReceiver {
  url: string;
  /** Raw request bodies of every export, in order. */
  bodies: string[];
  resourceSpans: unknown[];
  failNext(status: number, times?: number): void;
  stop(): Promise<void>;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const bodies: string[] = [];
  const resourceSpans: unknown[] = [];
  let failures: Array<number> = [];
  const server: RecordingServer = await startRecordingServer((req, res) => {
    if (req.method !== "POST" || req.path !== "/v1/traces") {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: `no route ${req.method} ${req.path}` }));
      return;
    }
    bodies.push(req.body);
    const status = failures.shift();
    if (status) {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify({ code: status, message: "injected" }));
      return;
    }
    try {
      const parsed = JSON.parse(req.body) as { resourceSpans?: unknown[] };
      resourceSpans.push(...(parsed.resourceSpans ?? []));
    } catch {
      res.writeHead(400, { "content-type": "application/json" });
      res.end(JSON.stringify({ code: 400, message: "body is not OTLP JSON" }));
      return;
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end("{}");
  });
  return {
    url: server.url,
    bodies,
    resourceSpans,
    failNext(status, times = 1) {
      failures = [...failures, ...Array.from({ length: times }, () => status)];
    },
    stop: () => server.stop(),
  };
}
