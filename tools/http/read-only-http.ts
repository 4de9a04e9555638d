import type { ToolError, ToolResult } from "../interfaces.ts";

/**
 * The one way `tools/` reaches an HTTP backend: GET (or a form POST to an endpoint declared read-only) on an
 * allowlist of paths, with a per-call timeout, a response size cap, bounded retries on 429/5xx, and typed errors
 * instead of exceptions. Nothing here can issue PUT, PATCH or DELETE.
 */
export interface ReadOnlyHttpOptions {
  backend: string; // name used in errors and call records, e.g. "loki"
  baseUrl: string; // including any prefix, e.g. http://mimir/prometheus
  /** Paths this client may request; anything else is refused before a request is made. */
  allowedPaths: RegExp[];
  /** Paths that accept a form POST as a read (e.g. Prometheus /api/v1/query for long PromQL). */
  postPaths?: RegExp[];
  timeoutMs?: number; // default 10000; bounds connecting and reading the body
  maxBytes?: number; // default 5 MiB
  retries?: number; // default 2; only 429 and 5xx are retried
  retryBaseMs?: number; // default 250
  maxRetryAfterMs?: number; // default 5000
  tenant?: string; // sent as X-Scope-OrgID (Loki, Tempo, Mimir multi-tenancy)
  bearerToken?: string;
  basicAuth?: { username: string; password: string };
  headers?: Record<string, string>;
}

export interface HttpAnswer {
  status: number;
  json: unknown;
  text: string;
  bytes: number;
}

const DEFAULTS = { timeoutMs: 10_000, maxBytes: 5 * 1024 * 1024, retries: 2, retryBaseMs: 250, maxRetryAfterMs: 5000 };

export function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

type CappedBody =
  | { kind: "ok"; text: string; bytes: number }
  | { kind: "too_large"; bytes: number }
  | { kind: "failed"; bytes: number; cause: unknown };

/** Read at most `maxBytes` of the body; beyond that stop reading and drop the connection. */
export async function readCapped(res: Response, maxBytes: number): Promise<CappedBody> {
  const declared = Number(res.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    return { kind: "too_large", bytes: declared };
  }
  if (!res.body) return { kind: "ok", text: "", bytes: 0 };
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      if (bytes > maxBytes) {
        await reader.cancel().catch(() => undefined);
        return { kind: "too_large", bytes };
      }
      chunks.push(value);
    }
  } catch (cause) {
    return { kind: "failed", bytes, cause };
  }
  return { kind: "ok", text: Buffer.concat(chunks).toString("utf8"), bytes };
}

type ResolvedOptions = Required<
  Omit<ReadOnlyHttpOptions, "tenant" | "bearerToken" | "basicAuth" | "headers" | "postPaths">
> &
  Pick<ReadOnlyHttpOptions, "postPaths">;

export class ReadOnlyHttp {
  readonly backend: string;
  readonly #options: Required<
    Omit<ReadOnlyHttpOptions, "tenant" | "bearerToken" | "basicAuth" | "headers" | "postPaths">
  > &
    Pick<ReadOnlyHttpOptions, "postPaths">;
  readonly #headers: Record<string, string>;

  constructor(options: ReadOnlyHttpOptions) {
    this.backend = options.backend;
    // An option passed as `undefined` must not erase its default.
    const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
    this.#options = { ...DEFAULTS, ...given, baseUrl: options.baseUrl.replace(/\/+$/, "") } as ResolvedOptions;
    this.#headers = { accept: "application/json", "user-agent": "vigil", ...options.headers };
    if (options.tenant) this.#headers["x-scope-orgid"] = options.tenant;
    if (options.bearerToken) this.#headers.authorization = `Bearer ${options.bearerToken}`;
    else if (options.basicAuth) {
      const { username, password } = options.basicAuth;
      this.#headers.authorization = `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
    }
  }

  get timeoutMs(): number {
    return this.#options.timeoutMs;
  }

  #error(kind: ToolError["kind"], message: string): { ok: false; error: ToolError } {
    return { ok: false, error: { backend: this.backend, kind, message } };
  }

  /** GET `path?params`; JSON-parses the answer. Non-2xx answers are `http` errors carrying the body's start. */
  get(
    path: string,
    params: Record<string, string | number | undefined> | URLSearchParams = {},
  ): Promise<ToolResult<HttpAnswer>> {
    return this.#request("GET", path, params);
  }

  /** Form POST to a path declared read-only (`postPaths`); refused for any other path. */
  postForm(path: string, params: URLSearchParams): Promise<ToolResult<HttpAnswer>> {
    return this.#request("POST", path, params);
  }

  async #request(
    method: "GET" | "POST",
    path: string,
    params: Record<string, string | number | undefined> | URLSearchParams,
  ): Promise<ToolResult<HttpAnswer>> {
    if (!this.#options.allowedPaths.some((p) => p.test(path)) || path.includes("..")) {
      return this.#error("denied", `path not allowed for ${this.backend}: ${path}`);
    }
    if (method === "POST" && !this.#options.postPaths?.some((p) => p.test(path))) {
      return this.#error("denied", `POST is not a read on ${path}`);
    }
    const search =
      params instanceof URLSearchParams
        ? params
        : new URLSearchParams(
            Object.entries(params)
              .filter(([, v]) => v !== undefined)
              .map(([k, v]) => [k, String(v)]),
          );
    const encoded = search.toString();
    let last: ToolResult<HttpAnswer> = this.#error("unavailable", "not attempted");
    for (let attempt = 0; attempt <= this.#options.retries; attempt++) {
      const { result, retryAfterMs, retryable } = await this.#attempt(method, path, encoded);
      last = result;
      if (!retryable || attempt === this.#options.retries) return last;
      const backoff = this.#options.retryBaseMs * 2 ** attempt * (0.5 + Math.random() / 2);
      const wait = retryAfterMs === undefined ? backoff : Math.min(retryAfterMs, this.#options.maxRetryAfterMs);
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
    return last;
  }

  async #attempt(
    method: "GET" | "POST",
    path: string,
    encoded: string,
  ): Promise<{ result: ToolResult<HttpAnswer>; retryable: boolean; retryAfterMs?: number }> {
    const url =
      method === "POST" || encoded === ""
        ? `${this.#options.baseUrl}${path}`
        : `${this.#options.baseUrl}${path}?${encoded}`;
    // One signal bounds both connecting and reading the body, so a slow trickle also times out.
    const signal = AbortSignal.timeout(this.#options.timeoutMs);
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers:
          method === "POST" ? { ...this.#headers, "content-type": "application/x-www-form-urlencoded" } : this.#headers,
        body: method === "POST" ? encoded : undefined,
        signal,
        redirect: "error",
      });
    } catch (err) {
      return { result: { ok: false, error: this.#fetchError(err) }, retryable: false };
    }
    const body = await readCapped(res, this.#options.maxBytes);
    if (body.kind === "failed") return { result: { ok: false, error: this.#fetchError(body.cause) }, retryable: false };
    if (body.kind === "too_large") {
      return {
        result: this.#error("denied", `response exceeds the ${this.#options.maxBytes}-byte cap; narrow the query`),
        retryable: false,
      };
    }
    if (res.status === 429 || res.status >= 500) {
      return {
        result: this.#error("http", `HTTP ${res.status} from ${path}: ${body.text.slice(0, 300).trim()}`),
        retryable: true,
        retryAfterMs: parseRetryAfter(res.headers.get("retry-after")),
      };
    }
    if (res.status === 401 || res.status === 403) {
      return {
        result: this.#error("denied", `HTTP ${res.status} from ${path}: ${body.text.slice(0, 300).trim()}`),
        retryable: false,
      };
    }
    if (res.status >= 300) {
      return {
        result: this.#error("http", `HTTP ${res.status} from ${path}: ${body.text.slice(0, 300).trim()}`),
        retryable: false,
      };
    }
    let json: unknown;
    try {
      json = body.text === "" ? undefined : JSON.parse(body.text);
    } catch {
      return { result: this.#error("parse", `response from ${path} is not JSON`), retryable: false };
    }
    return {
      result: { ok: true, data: { status: res.status, json, text: body.text, bytes: body.bytes }, truncated: false },
      retryable: false,
    };
  }

  #fetchError(err: unknown): ToolError {
    if (err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError")) {
      return { backend: this.backend, kind: "timeout", message: `no answer within ${this.#options.timeoutMs} ms` };
    }
    // undici hides the socket error (ECONNREFUSED, ENOTFOUND…) in `cause`.
    const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : "";
    return { backend: this.backend, kind: "network", message: `${(err as Error)?.message ?? String(err)}${cause}` };
  }
}
