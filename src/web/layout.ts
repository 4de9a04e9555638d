/**
 * The page frame of the web UI (header, navigation, CSS) and the security headers every UI response carries.
 * The CSS is inline under a per-response nonce; no `style=""` attributes are used anywhere, so the CSP needs no
 * 'unsafe-inline' for styles either.
 */
import { randomBytes } from "node:crypto";
import type { ServerResponse } from "node:http";
import { html, render, type SafeHtml, unsafeRaw } from "./html.ts";

export function newNonce(): string {
  return randomBytes(16).toString("base64");
}

export function securityHeaders(nonce: string): Record<string, string> {
  return {
    "content-security-policy": [
      "default-src 'self'",
      `script-src 'nonce-${nonce}'`,
      `style-src 'nonce-${nonce}'`,
      "img-src 'self' data:",
      "connect-src 'self'",
      "object-src 'none'",
      "base-uri 'none'",
      "form-action 'self'",
      "frame-ancestors 'none'",
    ].join("; "),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cache-control": "no-store",
  };
}

export function sendHtml(
  res: ServerResponse,
  status: number,
  page: SafeHtml,
  nonce: string,
  extraHeaders: Record<string, string> = {},
): void {
  if (res.headersSent) return;
  const body = render(page);
  res.writeHead(status, {
    ...securityHeaders(nonce),
    ...extraHeaders,
    "content-type": "text/html; charset=utf-8",
    "content-length": Buffer.byteLength(body),
  });
  res.end(body);
}

export interface LayoutOptions {
  title: string;
  nonce: string;
  active?: "investigations" | "strategies" | "insights";
  /** Extra markup for <head> (e.g. a meta refresh). */
  head?: SafeHtml;
  user?: string;
}

export function layout(options: LayoutOptions, body: SafeHtml): SafeHtml {
  const nav = (key: LayoutOptions["active"], href: string, label: string) =>
    html`<a href="${href}"${options.active === key ? unsafeRaw(' aria-current="page"') : ""}>${label}</a>`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${options.title} · Vigil</title>
<style nonce="${options.nonce}">${unsafeRaw(CSS)}</style>
${options.head}
</head>
<body>
<header class="top">
  <a class="brand" href="/ui/investigations">Vigil</a>
  <nav>${nav("investigations", "/ui/investigations", "Investigations")}${nav("strategies", "/ui/strategies", "Strategies")}${nav("insights", "/ui/insights", "Insights")}</nav>
  ${options.user && options.user !== "anonymous" ? html`<span class="user">${options.user}</span>` : ""}
</header>
<main>
${body}
</main>
</body>
</html>`;
}

const CSS = `
:root {
  --bg: #f6f7f9; --panel: #fff; --text: #1d2330; --muted: #5d6675; --border: #dde1e7; --accent: #2f5bd3;
  --ok: #1d7a46; --warn: #a4660a; --bad: #b3261e; --code-bg: #f1f3f6; --bar: #6f8fe6; --bar-tool: #4aa38a;
  --bar-llm: #a66fd6; --bar-error: #d9534f;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; font-size: 14px; line-height: 1.45;
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text); }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
code { background: var(--code-bg); padding: 1px 4px; border-radius: 3px; overflow-wrap: anywhere; }
header.top { display: flex; align-items: center; gap: 24px; padding: 10px 24px; background: #1d2330; color: #fff; }
header.top .brand { color: #fff; font-weight: 700; font-size: 16px; letter-spacing: .02em; }
header.top nav { display: flex; gap: 16px; }
header.top nav a { color: #c9d2e3; padding: 4px 0; border-bottom: 2px solid transparent; }
header.top nav a[aria-current="page"] { color: #fff; border-bottom-color: #8fb0ff; }
header.top .user { margin-left: auto; color: #c9d2e3; font-size: 12px; }
main { max-width: 1280px; margin: 0 auto; padding: 20px 24px 48px; }
h1 { font-size: 20px; margin: 0 0 4px; }
h2 { font-size: 16px; margin: 28px 0 10px; }
h3 { font-size: 14px; margin: 0 0 6px; }
.muted { color: var(--muted); }
.panel { background: var(--panel); border: 1px solid var(--border); border-radius: 6px; padding: 14px 16px; margin: 12px 0; }
.panel > h2:first-child { margin-top: 0; }
.empty { background: var(--panel); border: 1px dashed var(--border); border-radius: 6px; padding: 24px; color: var(--muted); text-align: center; }
table { width: 100%; border-collapse: collapse; background: var(--panel); border: 1px solid var(--border); border-radius: 6px; }
th, td { text-align: left; padding: 7px 10px; border-bottom: 1px solid var(--border); vertical-align: top; }
th { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); background: #fafbfc; }
tr:last-child td { border-bottom: 0; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.wrap { overflow-wrap: anywhere; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; background: #e8ebf0; color: var(--muted); white-space: nowrap; }
.badge.done { background: #e3f3ea; color: var(--ok); }
.badge.running, .badge.queued { background: #fdf1dc; color: var(--warn); }
.badge.failed, .badge.error { background: #fbe4e2; color: var(--bad); }
.badge.abstained { background: #eceff3; color: var(--muted); }
form.filters { display: flex; flex-wrap: wrap; gap: 10px; align-items: end; margin: 14px 0; }
form.filters label { display: flex; flex-direction: column; font-size: 12px; color: var(--muted); gap: 3px; }
select, input, button { font: inherit; padding: 5px 8px; border: 1px solid var(--border); border-radius: 4px; background: #fff; color: var(--text); }
button { background: var(--accent); color: #fff; border-color: var(--accent); cursor: pointer; }
a.button-link { padding: 5px 8px; }
.pagination { display: flex; gap: 12px; align-items: center; margin: 12px 0; }
.headline { font-size: 18px; font-weight: 600; margin: 0 0 6px; }
.summary-grid { display: grid; grid-template-columns: 1fr; gap: 4px; }
.summary-grid dt { font-weight: 600; margin-top: 10px; }
.summary-grid dd { margin: 2px 0 0; }
ul.tight { margin: 4px 0; padding-left: 20px; }
ul.tight li { margin: 2px 0; }
.meta { display: flex; flex-wrap: wrap; gap: 6px 18px; color: var(--muted); font-size: 13px; margin: 6px 0 0; }
.labels code { margin-right: 4px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(360px, 1fr)); gap: 12px; }
.card { background: var(--panel); border: 1px solid var(--border); border-radius: 6px; padding: 12px 14px; }
.card.has-error { border-left: 3px solid var(--bad); }
/* An expanded strategy takes the whole row: its tool-call table needs the width. */
.card:has(details[open]) { grid-column: 1 / -1; }
.table-scroll { overflow-x: auto; }
.card .stats { display: flex; gap: 14px; color: var(--muted); font-size: 13px; margin: 2px 0 6px; }
details summary { cursor: pointer; color: var(--accent); margin-top: 6px; }
details table { margin-top: 8px; font-size: 12.5px; }
tr.error td { background: #fdf0ef; }
.error-text { color: var(--bad); }
.trace { background: var(--panel); border: 1px solid var(--border); border-radius: 6px; font-size: 12.5px; }
.trace .row { display: grid; grid-template-columns: 92px minmax(240px, 36%) 70px 1fr; gap: 8px; align-items: center; padding: 2px 10px; border-bottom: 1px solid #f0f2f5; }
.trace .row:last-child { border-bottom: 0; }
.trace .row.head { font-size: 11px; text-transform: uppercase; color: var(--muted); background: #fafbfc; }
.trace .name { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.trace .kind { font-size: 10.5px; color: var(--muted); text-transform: uppercase; }
.trace .dur { text-align: right; font-variant-numeric: tabular-nums; color: var(--muted); }
.trace svg.bar { width: 100%; height: 12px; display: block; background: #f5f6f8; border-radius: 2px; }
.trace rect { fill: var(--bar); }
.trace rect.tool { fill: var(--bar-tool); }
.trace rect.llm { fill: var(--bar-llm); }
.trace rect.error { fill: var(--bar-error); }
.trace .row.error .name { color: var(--bad); }
.indent-0 { padding-left: 0; } .indent-1 { padding-left: 14px; } .indent-2 { padding-left: 28px; } .indent-3 { padding-left: 42px; }
.indent-4 { padding-left: 56px; } .indent-5 { padding-left: 70px; } .indent-6 { padding-left: 84px; } .indent-7 { padding-left: 98px; }
.live { display: inline-flex; gap: 8px; align-items: center; background: #fdf1dc; color: var(--warn); padding: 6px 12px; border-radius: 4px; margin: 10px 0; }
.candidate { margin: 10px 0; }
.candidate h3 .score { color: var(--muted); font-weight: 400; }
pre.block { background: var(--code-bg); padding: 10px; border-radius: 4px; overflow-x: auto; white-space: pre-wrap; overflow-wrap: anywhere; }
`;
