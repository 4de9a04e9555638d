import assert from "node:assert/strict";
import type { IncomingMessage } from "node:http";
import { describe, it } from "node:test";
import {
  type AuthSettings,
  authConfigured,
  constantTimeEqual,
  createAuthGuard,
  effectiveHost,
  parseCookies,
  TOKEN_COOKIE,
  tokenCookieValue,
} from "./auth.ts";

const TOKEN = "s3cret-token-0123456789";

function settings(overrides: Partial<AuthSettings> = {}): AuthSettings {
  return { HOST: "127.0.0.1", ...overrides };
}

function request(url = "/ui/investigations", headers: Record<string, string> = {}): IncomingMessage {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { url, headers: lower, socket: {} } as unknown as IncomingMessage;
}

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
}

describe("src/server/auth", () => {
  describe("no auth configured", () => {
    it("lets every request in as anonymous", () => {
      const guard = createAuthGuard(settings());

      const outcome = guard(request());

      assert.equal(authConfigured(settings()), false);
      assert.deepEqual(outcome, { ok: true, user: "anonymous", mode: "none" });
    });

    it("keeps a loopback HOST and forces a remote HOST back to 127.0.0.1 with a warning", () => {
      assert.deepEqual(effectiveHost(settings({ HOST: "127.0.0.1" })), { host: "127.0.0.1" });
      assert.deepEqual(effectiveHost(settings({ HOST: "::1" })), { host: "::1" });
      assert.deepEqual(effectiveHost(settings({ HOST: "localhost" })), { host: "localhost" });

      const remote = effectiveHost(settings({ HOST: "0.0.0.0" }));

      assert.equal(remote.host, "127.0.0.1");
      assert.match(remote.warning ?? "", /HOST=0\.0\.0\.0 ignored.*VIGIL_UI_TOKEN/);
    });

    it("binds the configured HOST once any auth mode is configured", () => {
      assert.deepEqual(effectiveHost(settings({ HOST: "0.0.0.0", VIGIL_UI_TOKEN: TOKEN })), { host: "0.0.0.0" });
      assert.deepEqual(effectiveHost(settings({ HOST: "::", VIGIL_UI_BASIC_AUTH: "a:b" })), { host: "::" });
      assert.deepEqual(effectiveHost(settings({ HOST: "0.0.0.0", VIGIL_TRUSTED_PROXY_HEADER: "X-User" })), {
        host: "0.0.0.0",
      });
    });
  });

  describe("token", () => {
    const guard = createAuthGuard(settings({ VIGIL_UI_TOKEN: TOKEN }));

    it("accepts the bearer token and rejects a wrong or missing one with a Bearer challenge", () => {
      const good = guard(request("/api/investigations", { authorization: `Bearer ${TOKEN}` }));
      const wrong = guard(request("/api/investigations", { authorization: `Bearer ${TOKEN}x` }));
      const missing = guard(request("/api/investigations"));

      assert.equal(good.ok, true);
      assert.equal(wrong.ok, false);
      assert.equal(missing.ok, false);
      if (missing.ok) return;
      assert.equal(missing.status, 401);
      assert.match(missing.headers["www-authenticate"] ?? "", /^Bearer realm="vigil"/);
    });

    it("accepts ?token= once and answers with an HttpOnly SameSite=Lax cookie that then suffices", () => {
      const viaQuery = guard(request(`/ui/investigations?token=${encodeURIComponent(TOKEN)}`));

      assert.equal(viaQuery.ok, true);
      if (!viaQuery.ok) return;
      const cookie = viaQuery.setCookie ?? "";
      assert.match(cookie, new RegExp(`^${TOKEN_COOKIE}=`));
      assert.match(cookie, /HttpOnly/);
      assert.match(cookie, /SameSite=Lax/);
      assert.match(cookie, /Path=\//);
      assert.ok(!cookie.includes(TOKEN), "the cookie does not hold the token itself");

      const value = cookie.split(";")[0] ?? "";
      const withCookie = guard(request("/ui/strategies", { cookie: `other=1; ${value}` }));
      assert.equal(withCookie.ok, true);
      assert.equal(withCookie.ok && withCookie.setCookie, undefined, "no new cookie when one is presented");
    });

    it("marks the cookie Secure behind an https proxy", () => {
      const outcome = guard(request(`/?token=${TOKEN}`, { "x-forwarded-proto": "https" }));

      assert.ok(outcome.ok && outcome.setCookie?.includes("; Secure"));
    });

    it("rejects a wrong query token and a forged cookie", () => {
      assert.equal(guard(request("/ui?token=nope")).ok, false);
      assert.equal(
        guard(request("/ui", { cookie: `${TOKEN_COOKIE}=${tokenCookieValue("another-token-123456")}` })).ok,
        false,
      );
      assert.equal(guard(request("/ui", { cookie: `${TOKEN_COOKIE}=${TOKEN}` })).ok, false);
    });
  });

  describe("basic", () => {
    const guard = createAuthGuard(settings({ VIGIL_UI_BASIC_AUTH: "oncall:pa:ss word" }));

    it("accepts the configured user and password (the password may hold colons)", () => {
      const outcome = guard(request("/", { authorization: basic("oncall", "pa:ss word") }));

      assert.deepEqual(outcome, { ok: true, user: "oncall", mode: "basic" });
    });

    it("answers a wrong user, a wrong password or no credentials with 401 and a Basic challenge", () => {
      for (const authorization of [basic("root", "pa:ss word"), basic("oncall", "pass"), undefined]) {
        const outcome = guard(request("/", authorization ? { authorization } : {}));

        assert.equal(outcome.ok, false);
        if (outcome.ok) continue;
        assert.equal(outcome.status, 401);
        assert.equal(outcome.headers["www-authenticate"], 'Basic realm="vigil", charset="UTF-8"');
      }
    });
  });

  describe("trusted proxy header", () => {
    const guard = createAuthGuard(settings({ VIGIL_TRUSTED_PROXY_HEADER: "X-Forwarded-User" }));

    it("authenticates a request carrying the header as that user", () => {
      const outcome = guard(request("/", { "X-Forwarded-User": "alice@example.com" }));

      assert.deepEqual(outcome, { ok: true, user: "alice@example.com", mode: "proxy" });
    });

    it("refuses a request without the header or with an empty one", () => {
      const missing = guard(request("/"));
      const empty = guard(request("/", { "X-Forwarded-User": "  " }));

      assert.equal(missing.ok, false);
      assert.equal(!missing.ok && missing.status, 403);
      assert.equal(empty.ok, false);
    });
  });

  it("accepts any configured mode when several are set, and challenges with Basic", () => {
    const guard = createAuthGuard(
      settings({ VIGIL_UI_TOKEN: TOKEN, VIGIL_UI_BASIC_AUTH: "a:b", VIGIL_TRUSTED_PROXY_HEADER: "X-User" }),
    );

    assert.equal(guard(request("/", { authorization: `Bearer ${TOKEN}` })).ok, true);
    assert.equal(guard(request("/", { authorization: basic("a", "b") })).ok, true);
    assert.equal(guard(request("/", { "x-user": "bob" })).ok, true);
    const none = guard(request("/"));
    assert.equal(!none.ok && none.headers["www-authenticate"]?.startsWith("Basic"), true);
  });

  describe("constantTimeEqual", () => {
    it("compares by value, whatever the lengths", () => {
      assert.equal(constantTimeEqual("abc", "abc"), true);
      assert.equal(constantTimeEqual("abc", "abd"), false);
      assert.equal(constantTimeEqual("abc", "abcd"), false);
      assert.equal(constantTimeEqual("", ""), true);
      assert.equal(constantTimeEqual("", "a"), false);
    });
  });

  it("parses cookies and keeps the first of duplicate names", () => {
    assert.deepEqual(parseCookies("a=1; b=2=3; a=9; junk"), { a: "1", b: "2=3" });
    assert.deepEqual(parseCookies(undefined), {});
  });
});
