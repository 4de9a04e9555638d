import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import type { Locator, Page } from "playwright-core";
import { buildShopScenario } from "../../tools/prometheus/__fixtures__/shop-scenario.ts";
import { type LaunchedBrowser, launchBrowser } from "../harness/browser.ts";
import { type DaemonProcess, eventually, startDaemon } from "../harness/daemon.ts";
import { type RunningProcess, startPrometheus, writeOpenMetrics } from "../harness/prometheus.ts";

const TOKEN = "e2e-web-ui-token-0123456789";
const SCREENSHOTS = "test-output/screenshots";
const XSS_LABEL = "<script>alert(1)</script>";

function webhookPayload(alert: Record<string, unknown>) {
  return {
    version: "4",
    groupKey: "{}:{}",
    status: "firing",
    receiver: "vigil",
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: "http://alertmanager.local",
    alerts: [alert],
  };
}

async function postAlert(url: string, alert: Record<string, unknown>): Promise<string> {
  const res = await fetch(`${url}/webhooks/alertmanager`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(webhookPayload(alert)),
  });
  assert.equal(res.status, 202, "the webhook is not behind the UI auth");
  const body = (await res.json()) as { alerts: Array<{ investigationId: string }> };
  return body.alerts[0]?.investigationId ?? "";
}

/** The text a reader sees: markup from data would show up here as an element, not as text. */
async function visibleText(locator: Locator): Promise<string> {
  return (await locator.allInnerTexts()).join("\n");
}

async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${SCREENSHOTS}/${name}.png`, fullPage: true });
}

/**
 * The web UI in a real browser against the daemon as a child process, with a real Prometheus holding a shop in
 * which `payment` breaks, so the pages show real strategies, tool calls and traces.
 */
describe("test/e2e/web-ui: the web UI in a browser", () => {
  let prometheus: RunningProcess;
  let daemon: DaemonProcess;
  let browser: LaunchedBrowser;
  let page: Page;
  const dialogs: string[] = [];
  const scenario = buildShopScenario(Date.now());
  const ids = { frontend: "", xss: "" };

  before(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    browser = await launchBrowser();
    prometheus = await startPrometheus({ openMetrics: writeOpenMetrics(scenario.series) });
    daemon = await startDaemon({
      PROMETHEUS_URL: prometheus.url,
      VIGIL_UI_TOKEN: TOKEN,
      VIGIL_BASELINE_MINUTES: "40",
      VIGIL_STEP_SECONDS: "60",
    });
    const startsAt = new Date(scenario.degradeAt + 60_000).toISOString();
    ids.frontend = await postAlert(daemon.url, {
      status: "firing",
      labels: { alertname: "FrontendErrorsHigh", service: "frontend", severity: "critical" },
      annotations: { summary: "frontend error ratio above 5%" },
      startsAt,
      endsAt: "0001-01-01T00:00:00Z",
      generatorURL: "http://prometheus.local/graph",
      fingerprint: "webui000000000001",
    });
    ids.xss = await postAlert(daemon.url, {
      status: "firing",
      labels: { alertname: "CartLatencyHigh", service: "cart", severity: "warning", team: XSS_LABEL },
      annotations: { summary: `<img src=x onerror="alert(2)"> cart is slow` },
      startsAt,
      endsAt: "0001-01-01T00:00:00Z",
      generatorURL: "javascript:alert(3)",
      fingerprint: "webui000000000002",
    });
    for (const id of [ids.frontend, ids.xss]) {
      await eventually(
        async () => {
          const res = await fetch(`${daemon.url}/api/investigations/${id}`, {
            headers: { authorization: `Bearer ${TOKEN}` },
          });
          const record = (await res.json()) as { status: string };
          return record.status === "done" || record.status === "failed" ? record : undefined;
        },
        90_000,
        250,
      );
    }
    page = await browser.context.newPage();
    page.on("dialog", (dialog) => {
      dialogs.push(dialog.message());
      dialog.dismiss().catch(() => undefined);
    });
  });

  after(async () => {
    await browser?.close();
    await daemon?.stop();
    await prometheus?.stop();
  });

  it("refuses unauthenticated requests to the UI and the API, but not to webhooks and probes", async () => {
    const ui = await fetch(`${daemon.url}/ui/investigations`);
    const api = await fetch(`${daemon.url}/api/strategies`);
    const events = await fetch(`${daemon.url}/api/investigations/${ids.frontend}/events`);
    const wrong = await fetch(`${daemon.url}/api/strategies`, { headers: { authorization: "Bearer wrong" } });
    const health = await fetch(`${daemon.url}/healthz`);

    assert.equal(ui.status, 401);
    assert.equal(api.status, 401);
    assert.equal(events.status, 401);
    assert.equal(wrong.status, 401);
    assert.match(ui.headers.get("www-authenticate") ?? "", /^Bearer realm="vigil"/);
    assert.equal(health.status, 200);
  });

  it("opens the list with the token, then keeps it in a cookie and out of the URL", async () => {
    const response = await page.goto(`${daemon.url}/ui/investigations?token=${TOKEN}`);

    assert.equal(response?.status(), 200);
    assert.equal(new URL(page.url()).pathname, "/ui/investigations");
    assert.equal(new URL(page.url()).searchParams.get("token"), null, "the token left the address bar");
    const headers = response?.headers() ?? {};
    assert.match(headers["content-security-policy"] ?? "", /default-src 'self'; script-src 'nonce-/);
    assert.equal(headers["x-content-type-options"], "nosniff");
    assert.equal(headers["referrer-policy"], "no-referrer");
    const cookies = await browser.context.cookies(daemon.url);
    const session = cookies.find((c) => c.name === "vigil_ui");
    assert.ok(session?.httpOnly, "the session cookie is HttpOnly");
    assert.equal(session?.sameSite, "Lax");

    const row = page.locator(`tr[data-id="${ids.frontend}"]`);
    await row.waitFor();
    assert.match(await visibleText(row), /FrontendErrorsHigh/);
    assert.match(await visibleText(row), /frontend/);
    await screenshot(page, "investigations-list");
  });

  it("filters by status", async () => {
    await page.goto(`${daemon.url}/ui/investigations`);
    await page.selectOption('select[name="status"]', "done");
    await Promise.all([page.waitForURL(/status=done/), page.click('form.filters button[type="submit"]')]);

    const statuses = await page.locator("tbody tr td:nth-child(3)").allInnerTexts();
    assert.ok(statuses.length >= 1);
    assert.ok(
      statuses.every((s) => /done|no conclusive cause/.test(s)),
      statuses.join(", "),
    );
    await screenshot(page, "investigations-filtered");

    await page.selectOption('select[name="status"]', "failed");
    await Promise.all([page.waitForURL(/status=failed/), page.click('form.filters button[type="submit"]')]);
    assert.match(await visibleText(page.locator(".empty")), /No investigation matches these filters/);
  });

  it("shows an investigation: summary, candidates, strategies with their tool calls, and the trace", async () => {
    await page.goto(`${daemon.url}/ui/investigations?status=done`);
    await Promise.all([
      page.waitForURL(/\/ui\/investigations\/.+/),
      page.click(`a[href="/ui/investigations/${ids.frontend}"]`),
    ]);

    const summary = await visibleText(page.locator('section[aria-label="Summary"]'));
    // What the analysis concludes is pinned by the analysis tests; here the page must show whichever it was.
    assert.match(summary, /Likely cause|No conclusive cause/, summary);
    const cards = page.locator("article.card");
    assert.ok((await cards.count()) >= 1, "one card per strategy");

    // Expand the first strategy that made tool calls.
    const withCalls = page.locator("article.card details", { hasText: /Tool calls \([1-9]/ }).first();
    await withCalls.locator("summary").click();
    const calls = withCalls.locator("table.tool-calls tbody tr");
    await calls.first().waitFor({ state: "visible" });
    assert.ok((await calls.count()) >= 1);
    // Backend, operation, query, range, duration: which strategy comes first depends on the ranking.
    assert.match(
      await visibleText(calls.first()),
      /^(prometheus|webhook|loki|tempo|jaeger|kubernetes)\t\w+\t.+\t\d+ ms\t/,
    );
    await withCalls
      .locator("xpath=ancestor::article[1]")
      .screenshot({ path: `${SCREENSHOTS}/strategy-tool-calls.png` });

    const spans = page.locator(".trace .row:not(.head)");
    assert.ok((await spans.count()) >= 3, "the trace shows the investigation, its strategies and tool calls");
    assert.ok((await page.locator(".trace svg.bar rect").count()) >= 3, "each span has a waterfall bar");
    await page.locator(".trace").screenshot({ path: `${SCREENSHOTS}/trace-waterfall.png` });
    await page.locator('section[aria-label="Summary"]').screenshot({ path: `${SCREENSHOTS}/summary.png` });
    await screenshot(page, "investigation-detail");
  });

  it("shows hostile alert labels and annotations as text and links no javascript: URL", async () => {
    await page.goto(`${daemon.url}/ui/investigations/${ids.xss}`);

    const labels = await visibleText(page.locator("p.labels"));
    assert.ok(labels.includes(`team=${XSS_LABEL}`), labels);
    assert.ok((await visibleText(page.locator("body"))).includes(`<img src=x onerror="alert(2)"> cart is slow`));
    assert.equal(await page.locator('a[href^="javascript:"]').count(), 0);
    assert.equal(await page.locator("main img").count(), 0);
    await screenshot(page, "investigation-xss");
    await page.goto(`${daemon.url}/ui/investigations`);
    await page.locator(`tr[data-id="${ids.xss}"]`).waitFor();

    assert.deepEqual(dialogs, [], "no script from the alert ran");
  });

  it("shows the strategy leaderboard per alert class", async () => {
    await page.goto(`${daemon.url}/ui/investigations`);
    await Promise.all([page.waitForURL(/\/ui\/strategies/), page.click('header nav a[href="/ui/strategies"]')]);

    const section = page.locator('section[data-alert-class="FrontendErrorsHigh{service,severity}"]');
    await section.waitFor();
    const rows = section.locator("tbody tr");
    assert.ok((await rows.count()) >= 1);
    assert.match(await visibleText(rows.first()), /\d/);
    assert.ok(
      (await page.locator('section[data-alert-class="CartLatencyHigh{service,severity,team}"]').count()) === 1,
      "each alert class gets its own board",
    );
    await screenshot(page, "strategies");
  });

  it("streams the status of a finished investigation once and ends the stream", async () => {
    const res = await fetch(`${daemon.url}/api/investigations/${ids.frontend}/events`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });

    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /text\/event-stream/);
    const text = await res.text();
    assert.match(text, /^event: status\ndata: \{.*"status":"done"/);
  });
});
