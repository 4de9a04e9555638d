/**
 * A headless Debian Chromium driven by playwright-core, for end-to-end tests of the web UI. Each launch gets a
 * fresh user data directory, so no cookie or cache leaks between tests.
 *
 * @example
 * const browser = await launchBrowser();
 * const page = await browser.context.newPage();
 * await page.goto(`${daemon.url}/ui/investigations?token=${token}`);
 * await browser.close();
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium } from "playwright-core";

/** Debian's `chromium` package; CI installs it. Override with VIGIL_CHROMIUM_PATH. */
export const CHROMIUM_PATH = process.env.VIGIL_CHROMIUM_PATH ?? "/usr/bin/chromium";

const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface LaunchedBrowser {
  context: BrowserContext;
  userDataDir: string;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<LaunchedBrowser> {
  // A missing browser is a broken test environment, not a reason to skip: the UI would go untested silently.
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium not found at ${CHROMIUM_PATH}: install Debian chromium: apt-get install chromium`);
  }
  const userDataDir = mkdtempSync(join(tmpdir(), "vigil-chromium-"));
  // launchPersistentContext is how Playwright takes a user data dir (launch() refuses --user-data-dir in args).
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1360, height: 900 },
  });
  return {
    context,
    userDataDir,
    async close() {
      await context.close().catch(() => undefined);
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
