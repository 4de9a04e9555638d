import { createServer, request, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { auditRequest } from "../fakes/audit.ts";

/**
 * A fault-injecting HTTP proxy in front of any backend (a real Prometheus, a fake Loki…): it forwards requests
 * unchanged until told to fail. One proxy per backend lets a test take exactly one source down, slow it past its
 * timeout, make it answer 500/429, malformed or enormous bodies, or fail only after the first N requests.
 */
export type Fault =
  | { kind: "down" } // the connection is reset without an answer
  | { kind: "delay"; ms: number } // answer normally, but late
  | { kind: "status"; status: number; retryAfter?: number }
  | { kind: "malformed" } // 200, content-type JSON, body not JSON
  | { kind: "huge"; bytes: number } // 200, streams `bytes` of JSON-looking data without content-length
  | { kind: "none" };

export interface FaultProxy {
  url: string;
  /** Every request the proxy saw (method and path), forwarded or not. */
  requests: Array<{ method: string; path: string; at: number }>;
  /** Apply `fault` to every request after the first `passFirst` from now on (default 0: all of them). */
  setFault(fault: Fault, passFirst?: number): void;
  close(): Promise<void>;
}

/** `backend` names the proxied system in the read-only audit; pass `audit: false` for Slack, which Vigil writes to. */
export async function startFaultProxy(target: string, backend: string, audit = true): Promise<FaultProxy> {
  const upstream = new URL(target);
  const requests: FaultProxy["requests"] = [];
  let fault: Fault = { kind: "none" };
  let passLeft = 0;
  const sockets = new Set<Socket>();

  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    requests.push({ method: req.method ?? "", path, at: Date.now() });
    if (audit) auditRequest({ backend, method: req.method ?? "", path });
    res.on("error", () => undefined);
    const active = passLeft > 0 ? { kind: "none" as const } : fault;
    if (passLeft > 0) passLeft -= 1;
    const forward = () => {
      const out = request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: `${upstream.pathname.replace(/\/$/, "")}${req.url}`,
          headers: { ...req.headers, host: upstream.host },
          // No keep-alive pool: an idle upstream socket would hold the proxied server open after its close().
          agent: false,
        },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      out.on("error", () => {
        if (!res.headersSent) res.writeHead(502);
        res.end();
      });
      req.pipe(out);
    };
    switch (active.kind) {
      case "none":
        forward();
        return;
      case "down":
        req.socket.destroy();
        return;
      case "delay": {
        const timer = setTimeout(forward, active.ms);
        res.on("close", () => clearTimeout(timer));
        return;
      }
      case "status":
        req.resume();
        res.writeHead(active.status, {
          "content-type": "application/json",
          ...(active.retryAfter !== undefined ? { "retry-after": String(active.retryAfter) } : {}),
        });
        res.end(JSON.stringify({ status: "error", error: `injected ${active.status}`, message: "injected" }));
        return;
      case "malformed":
        req.resume();
        res.writeHead(200, { "content-type": "application/json" });
        res.end('{"status":"success","data":{"resultType":"matrix","result":[{"metric":');
        return;
      case "huge": {
        req.resume();
        res.writeHead(200, { "content-type": "application/json" });
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        let left = active.bytes;
        res.write('{"status":"success","data":');
        const pump = () => {
          while (left > 0 && !res.destroyed) {
            left -= chunk.length;
            if (!res.write(chunk)) {
              res.once("drain", pump);
              return;
            }
          }
          if (!res.destroyed) res.end("}");
        };
        pump();
        return;
      }
    }
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    setFault(next, passFirst = 0) {
      fault = next;
      passLeft = passFirst;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
