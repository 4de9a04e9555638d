import { appendFileSync } from "node:fs";

/**
 * Every fake backend server reports each request here. When the test runner sets VIGIL_FAKE_AUDIT_FILE, the
 * requests are appended to it as JSON lines, and `scripts/run-tests.mjs` fails the whole run if any fake ever saw a
 * non-read request or a request for a Secret — the suite-wide guarantee that Vigil is read-only.
 */
export interface AuditedRequest {
  backend: string; // "kubernetes" | "loki" | "tempo" | "jaeger" | …
  method: string;
  path: string;
}

/** Requests that are reads although they are POSTs (query endpoints that accept a form body). */
const READ_POSTS: Record<string, RegExp[]> = {
  prometheus: [/^\/api\/v1\/(query|query_range|series|labels)$/],
  loki: [/^\/loki\/api\/v1\/(query|query_range|series|labels)$/],
};

export function isReadRequest(request: AuditedRequest): boolean {
  if (request.method === "GET" || request.method === "HEAD") return true;
  if (request.method === "POST") return (READ_POSTS[request.backend] ?? []).some((p) => p.test(request.path));
  return false;
}

export function isSecretPath(path: string): boolean {
  return /\/secrets(\/|$|\?)/i.test(path);
}

export function auditRequest(request: AuditedRequest): void {
  const file = process.env.VIGIL_FAKE_AUDIT_FILE;
  if (!file) return;
  appendFileSync(file, `${JSON.stringify({ ...request, path: request.path.split("?")[0] })}\n`);
}
