import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** One request a recording server received, body already read. */
export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage["headers"];
  body: string;
  receivedAt: number;
}

// The return value is ignored; `unknown` lets a handler be a one-liner like `(_req, res) => res.end("ok")`.
export type RecordingHandler = (req: RecordedRequest, res: ServerResponse) => unknown;

export interface RecordingServer {
  url: string;
  port: number;
  /** Every request received so far, in arrival order. */
  requests: RecordedRequest[];
  stop(): Promise<void>;
}

/**
 * A node:http server on 127.0.0.1 with an ephemeral port that records every request before handing it to
 * `handler`; tests assert on `requests`.
 *
 * @example
 * const srv = await startRecordingServer((req, res) => res.end("ok"));
 * await fetch(`${srv.url}/x`);
 * assert.equal(srv.requests[0].path, "/x");
 * await srv.stop();
 */
export async function startRecordingServer(handler: RecordingHandler): Promise<RecordingServer> {
  const requests: RecordedRequest[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const recorded: RecordedRequest = {
      method: req.method ?? "",
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body: Buffer.concat(chunks).toString("utf8"),
      receivedAt: Date.now(),
    };
    requests.push(recorded);
    try {
      await handler(recorded, res);
    } catch (err) {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(err));
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        // A handler that sleeps past a client's timeout keeps its socket open; close it or stop() hangs.
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
