/**
 * Authentication of the web UI and its JSON API. Three modes, any of which may be configured (a request passes when
 * one of the configured modes accepts it):
 *
 * - `VIGIL_UI_TOKEN`: a static token sent as `Authorization: Bearer <token>`, or once as `?token=<token>`, after
 *   which the browser holds it in an HttpOnly, SameSite=Lax cookie (Lax, so a link from a Slack summary opens the
 *   page; the UI only reads, so cross-site top-level GETs can do no harm).
 * - `VIGIL_UI_BASIC_AUTH`: `user:password` for HTTP Basic auth.
 * - `VIGIL_TRUSTED_PROXY_HEADER`: a header (e.g. `X-Forwarded-User`) set by an authenticating reverse proxy. The
 *   proxy MUST strip that header from client requests, or anyone can claim to be anyone.
 *
 * Webhooks, Slack events, /healthz, /readyz and /metrics are not guarded here: they carry their own signatures or
 * tokens, or are meant for probes and scrapers.
 *
 * @example
 * const guard = createAuthGuard(config);
 * const outcome = guard(req);
 * if (!outcome.ok) { res.writeHead(outcome.status, outcome.headers); res.end(); return; }
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Config } from "../config.ts";

export type AuthSettings = Pick<
  Config,
  "HOST" | "VIGIL_UI_TOKEN" | "VIGIL_UI_BASIC_AUTH" | "VIGIL_TRUSTED_PROXY_HEADER"
>;

export const TOKEN_COOKIE = "vigil_ui";
export const TOKEN_QUERY_PARAM = "token";

export interface AuthAccepted {
  ok: true;
  /** Who the request is from: the Basic user, the proxy's user, "token" or "anonymous" when auth is off. */
  user: string;
  mode: "none" | "token" | "basic" | "proxy";
  /** A `Set-Cookie` value to send when the token came in the query string. */
  setCookie?: string;
}

export interface AuthRejected {
  ok: false;
  status: 401 | 403;
  headers: Record<string, string>;
  message: string;
}

export type AuthOutcome = AuthAccepted | AuthRejected;

export type AuthGuard = (req: IncomingMessage) => AuthOutcome;

/** True when at least one way of authenticating the UI is configured. */
export function authConfigured(config: AuthSettings): boolean {
  return Boolean(config.VIGIL_UI_TOKEN || config.VIGIL_UI_BASIC_AUTH || config.VIGIL_TRUSTED_PROXY_HEADER);
}

const LOOPBACK_HOSTS = new Set(["localhost", "::1", "[::1]", "0:0:0:0:0:0:0:1"]);

export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase();
  if (LOOPBACK_HOSTS.has(h)) return true;
  return /^(::ffff:)?127(\.\d{1,3}){3}$/.test(h);
}

/**
 * The address the daemon should bind. An open UI shows alert labels, log lines and queries; without auth it must
 * only be reachable from this machine, so a non-loopback HOST falls back to 127.0.0.1 with a warning.
 */
export function effectiveHost(config: AuthSettings): { host: string; warning?: string } {
  if (authConfigured(config) || isLoopbackHost(config.HOST)) return { host: config.HOST };
  return {
    host: "127.0.0.1",
    warning: `HOST=${config.HOST} ignored: the web UI has no authentication, so Vigil binds 127.0.0.1 only. Set VIGIL_UI_TOKEN, VIGIL_UI_BASIC_AUTH or VIGIL_TRUSTED_PROXY_HEADER to accept remote connections.`,
  };
}

/**
 * Compare secrets in constant time. Both sides are hashed first so that neither the length nor the position of
 * the first differing byte leaks through timing.
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const ha = createHash("sha256").update(a, "utf8").digest();
  const hb = createHash("sha256").update(b, "utf8").digest();
  return timingSafeEqual(ha, hb);
}

/**
 * The cookie holds a value derived from the token, not the token itself: a cookie leaked from a browser profile
 * opens the UI, but cannot be replayed as a bearer token elsewhere the token may be reused.
 */
export function tokenCookieValue(token: string): string {
  return createHmac("sha256", token).update("vigil-ui-cookie-v1").digest("base64url");
}

export function parseCookies(header: string | undefined): Record<string, string> {
  const cookies: Record<string, string> = {};
  if (!header) return cookies;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (name && !(name in cookies)) cookies[name] = value;
  }
  return cookies;
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  if (Array.isArray(value)) return value[0];
  return value;
}

function isHttps(req: IncomingMessage): boolean {
  const socket = req.socket as { encrypted?: boolean };
  return socket.encrypted === true || headerValue(req, "x-forwarded-proto")?.split(",")[0]?.trim() === "https";
}

function tokenCookie(token: string, req: IncomingMessage): string {
  const secure = isHttps(req) ? "; Secure" : "";
  return `${TOKEN_COOKIE}=${tokenCookieValue(token)}; Path=/; HttpOnly; SameSite=Lax; Max-Age=2592000${secure}`;
}

function checkToken(req: IncomingMessage, token: string): AuthAccepted | undefined {
  const authorization = headerValue(req, "authorization");
  if (authorization?.toLowerCase().startsWith("bearer ")) {
    if (constantTimeEqual(authorization.slice(7).trim(), token)) return { ok: true, user: "token", mode: "token" };
  }
  const cookie = parseCookies(headerValue(req, "cookie"))[TOKEN_COOKIE];
  if (cookie && constantTimeEqual(cookie, tokenCookieValue(token))) return { ok: true, user: "token", mode: "token" };
  const query = new URL(req.url ?? "/", "http://localhost").searchParams.get(TOKEN_QUERY_PARAM);
  if (query && constantTimeEqual(query, token)) {
    return { ok: true, user: "token", mode: "token", setCookie: tokenCookie(token, req) };
  }
  return undefined;
}

function checkBasic(req: IncomingMessage, credentials: string): AuthAccepted | undefined {
  const authorization = headerValue(req, "authorization");
  if (!authorization?.toLowerCase().startsWith("basic ")) return undefined;
  const decoded = Buffer.from(authorization.slice(6).trim(), "base64").toString("utf8");
  const sep = decoded.indexOf(":");
  if (sep < 0) return undefined;
  const [expectedUser, expectedPassword] = splitCredentials(credentials);
  const user = decoded.slice(0, sep);
  // Both comparisons always run, so a right user name with a wrong password takes as long as a wrong user name.
  const userOk = constantTimeEqual(user, expectedUser);
  const passwordOk = constantTimeEqual(decoded.slice(sep + 1), expectedPassword);
  return userOk && passwordOk ? { ok: true, user, mode: "basic" } : undefined;
}

function splitCredentials(credentials: string): [string, string] {
  const sep = credentials.indexOf(":");
  return [credentials.slice(0, sep), credentials.slice(sep + 1)];
}

function checkProxy(req: IncomingMessage, header: string): AuthAccepted | undefined {
  const user = headerValue(req, header)?.trim();
  return user ? { ok: true, user: user.slice(0, 200), mode: "proxy" } : undefined;
}

/** Build the guard for the UI and API routes from the configuration. */
export function createAuthGuard(config: AuthSettings): AuthGuard {
  const { VIGIL_UI_TOKEN: token, VIGIL_UI_BASIC_AUTH: basic, VIGIL_TRUSTED_PROXY_HEADER: proxyHeader } = config;
  if (!authConfigured(config)) {
    // Open only because effectiveHost() keeps the daemon on loopback in this case.
    return () => ({ ok: true, user: "anonymous", mode: "none" });
  }
  return (req): AuthOutcome => {
    const accepted =
      (proxyHeader ? checkProxy(req, proxyHeader) : undefined) ??
      (basic ? checkBasic(req, basic) : undefined) ??
      (token ? checkToken(req, token) : undefined);
    if (accepted) return accepted;
    if (basic) {
      return {
        ok: false,
        status: 401,
        headers: { "www-authenticate": 'Basic realm="vigil", charset="UTF-8"' },
        message: "authentication required",
      };
    }
    if (token) {
      return {
        ok: false,
        status: 401,
        headers: { "www-authenticate": 'Bearer realm="vigil"' },
        message: "authentication required: send Authorization: Bearer <VIGIL_UI_TOKEN> or open the UI with ?token=",
      };
    }
    // Only the proxy header is configured: the request did not come through the authenticating proxy.
    return { ok: false, status: 403, headers: {}, message: "request did not come through the authenticating proxy" };
  };
}
