import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { testAlert, testResult } from "../slack/test-fixtures.ts";
import type { InvestigationRecord } from "../store/investigations.ts";
import { escapeHtml, externalLink, html, render, safeHttpUrl, unsafeRaw } from "./html.ts";
import { renderInvestigationPage } from "./investigation-page.ts";
import { renderInvestigationsPage } from "./investigations-page.ts";

const XSS = "<script>alert(1)</script>";

function record(overrides: Partial<InvestigationRecord> = {}): InvestigationRecord {
  const alert = testAlert({
    labels: { alertname: "HighLatency", service: "checkout", team: XSS },
    annotations: { summary: `"><img src=x onerror=alert(1)>` },
  });
  return {
    id: "inv-1",
    dedupeKey: "k",
    fingerprint: alert.fingerprint,
    alertname: alert.alertname,
    service: "checkout",
    source: "alertmanager",
    status: "done",
    alert,
    result: testResult({ alert }),
    error: null,
    attempts: 1,
    slackChannel: null,
    slackThreadTs: null,
    slackMessageTs: null,
    createdAt: new Date("2026-01-01T00:00:00Z"),
    startedAt: new Date("2026-01-01T00:00:01Z"),
    finishedAt: new Date("2026-01-01T00:00:05Z"),
    ...overrides,
  };
}

describe("src/web/html", () => {
  it("escapes every interpolation by default", () => {
    const out = render(html`<td title="${`" onmouseover="x`}">${XSS}</td>`);

    assert.equal(out, '<td title="&quot; onmouseover=&quot;x">&lt;script&gt;alert(1)&lt;/script&gt;</td>');
  });

  it("keeps nested html fragments and joins arrays, escaping their items", () => {
    const items = ["a<b", "c&d"].map((v) => html`<li>${v}</li>`);

    assert.equal(render(html`<ul>${items}</ul>`), "<ul><li>a&lt;b</li><li>c&amp;d</li></ul>");
    assert.equal(render(html`${null}${undefined}${false}${0}`), "0");
    assert.equal(render(html`${unsafeRaw("<br>")}`), "<br>");
  });

  it("escapes quotes and backticks", () => {
    assert.equal(escapeHtml(`'"\`&`), "&#39;&quot;&#96;&amp;");
  });

  it("links only http(s) URLs", () => {
    assert.equal(
      safeHttpUrl("https://grafana.example/explore?x=1&y=<2>"),
      "https://grafana.example/explore?x=1&y=%3C2%3E",
    );
    for (const bad of [
      "javascript:alert(1)",
      "JavaScript:alert(1)",
      " javascript:alert(1)",
      "java\tscript:alert(1)",
      "data:text/html,<script>alert(1)</script>",
      "vbscript:msgbox(1)",
      "//evil.example",
      "/relative",
      "",
    ]) {
      assert.equal(safeHttpUrl(bad), undefined, bad);
    }
  });

  it("renders a javascript: link as inert text", () => {
    const out = render(externalLink("javascript:alert(1)", "open"));

    assert.equal(out, "open");
    assert.ok(!out.includes("href"));
  });

  it("renders the investigation page with hostile labels, annotations, queries and links inert", () => {
    const base = record();
    const result = base.result ?? testResult();
    const hostile = record({
      alertname: XSS,
      alert: { ...base.alert, alertname: XSS, generatorURL: "javascript:alert(1)" },
      result: {
        ...result,
        candidates: result.candidates.map((c) => ({
          ...c,
          mechanism: XSS,
          evidence: c.evidence.map((e) => ({ ...e, link: "javascript:alert(document.cookie)", ref: `{x="${XSS}"}` })),
        })),
        summary: { ...result.summary, headline: XSS, nextSteps: [`<img src=x onerror=alert(1)>`] },
      },
    });

    const out = render(renderInvestigationPage(hostile, "nonce123"));

    assert.ok(!out.includes("<script>alert"), "no script tag from data");
    assert.ok(!out.includes("<img"), "no img tag from data");
    assert.ok(!/href="javascript:/i.test(out), "no javascript: href");
    assert.ok(out.includes("&lt;script&gt;alert(1)&lt;/script&gt;"), "the payload is shown as text");
    const scripts = out.match(/<script[^>]*>/g) ?? [];
    assert.deepEqual(scripts, [], "a finished investigation has no script at all");
  });

  it("gives the only inline script of a running investigation the response's nonce", () => {
    const out = render(renderInvestigationPage(record({ status: "running", result: null }), "n0nce"));

    assert.deepEqual(out.match(/<script[^>]*>/g), ['<script nonce="n0nce">']);
    assert.match(out, /\/api\/investigations\/inv-1\/events/);
  });

  it("renders list rows with hostile values as text", () => {
    const out = render(
      renderInvestigationsPage({
        page: {
          items: [
            {
              id: `"><script>alert(1)</script>`,
              alertname: XSS,
              service: XSS,
              status: "done",
              labels: { team: XSS },
              likelyCause: XSS,
              confidence: 0.5,
              abstained: false,
              feedback: null,
              durationMs: 1200,
              error: null,
              createdAt: "2026-01-01T00:00:00.000Z",
              startedAt: null,
              finishedAt: null,
            },
          ],
          total: 1,
          page: 1,
          pageSize: 25,
          pages: 1,
        },
        query: { page: 1, pageSize: 25, service: XSS },
        filters: { services: [XSS], alertnames: [] },
      }),
    );

    assert.ok(!out.includes("<script>"));
    assert.ok(out.includes("/ui/investigations/%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E"));
  });
});
