import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { gunzipSync } from "node:zlib";
import { buildShopScenario } from "../../tools/prometheus/__fixtures__/shop-scenario.ts";
import { type DaemonProcess, eventually, startDaemon } from "../harness/daemon.ts";
import { type RunningProcess, startPrometheus, writeOpenMetrics } from "../harness/prometheus.ts";

function vigil(args: string[], env: Record<string, string>) {
  return spawnSync(process.execPath, ["bin/vigil.mjs", ...args], {
    env: { ...process.env, ...env, LOG_LEVEL: "silent" },
    encoding: "utf8",
    timeout: 120_000,
  });
}

function readTree(dir: string): string {
  let text = "";
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const path = join(dir, name);
    try {
      const raw = readFileSync(path);
      text += name.endsWith(".gz") ? gunzipSync(raw).toString("utf8") : raw.toString("utf8");
    } catch {
      // a directory
    }
  }
  return text;
}

/**
 * A live investigation (real Prometheus) becomes a fixture with `vigil fixture export`, and investigating that
 * fixture reproduces the live ranking: a production investigation turned into a regression test in one command.
 */
describe("test/e2e/fixture-export: a live investigation replays as a fixture", () => {
  let prometheus: RunningProcess;
  let daemon: DaemonProcess;
  const dataDir = mkdtempSync(join(tmpdir(), "vigil-export-"));
  const outDir = mkdtempSync(join(tmpdir(), "vigil-fixture-"));
  const scenario = buildShopScenario(Date.now());
  const env = { VIGIL_DATA_DIR: dataDir, VIGIL_BASELINE_MINUTES: "40", VIGIL_STEP_SECONDS: "60" };
  let investigationId = "";
  let liveRanking: string[] = [];

  before(async () => {
    prometheus = await startPrometheus({ openMetrics: writeOpenMetrics(scenario.series) });
    daemon = await startDaemon({ ...env, PROMETHEUS_URL: prometheus.url });
    const res = await fetch(`${daemon.url}/webhooks/alertmanager`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        version: "4",
        status: "firing",
        receiver: "vigil",
        alerts: [
          {
            status: "firing",
            labels: { alertname: "FrontendErrorsHigh", service: "frontend" },
            annotations: {},
            startsAt: new Date(scenario.degradeAt + 60_000).toISOString(),
            fingerprint: "export0000000001",
          },
        ],
      }),
    });
    investigationId = ((await res.json()) as { alerts: Array<{ investigationId: string }> }).alerts[0].investigationId;
    const record = await eventually(async () => {
      const r = (await (await fetch(`${daemon.url}/api/investigations/${investigationId}`)).json()) as {
        status: string;
        result?: { candidates: Array<{ service: string }> };
      };
      return r.status === "done" ? r : undefined;
    }, 60_000);
    liveRanking = (record.result?.candidates ?? []).map((c) => c.service);
    await daemon.stop();
  });
  after(async () => {
    await daemon?.stop();
    await prometheus?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(outDir, { recursive: true, force: true });
  });

  it("exports a fixture whose investigation reproduces the live ranking", () => {
    assert.equal(liveRanking[0], "payment", "the live investigation found the broken service");

    const exported = vigil(["fixture", "export", investigationId, outDir], env);
    assert.equal(exported.status, 0, exported.stderr);
    const replay = vigil(["investigate", "--fixture", outDir, "--json"], env);
    assert.equal(replay.status, 0, replay.stderr);

    const replayed = JSON.parse(replay.stdout) as { candidates: Array<{ service: string }> };
    assert.deepEqual(
      replayed.candidates.map((c) => c.service),
      liveRanking,
    );
  });

  it("anonymizes names with keyed pseudonyms and keeps the ranking's shape", () => {
    const anonymized = join(outDir, "anonymized");
    const exported = vigil(["fixture", "export", investigationId, anonymized, "--anonymize"], {
      ...env,
      VIGIL_ANONYMIZER_KEY: "test-install-secret",
    });
    assert.equal(exported.status, 0, exported.stderr);
    const text = readTree(anonymized);
    for (const name of ["payment", "frontend", "cart"])
      assert.ok(!text.includes(`"${name}"`), `${name} left the export`);

    const replay = vigil(["investigate", "--fixture", anonymized, "--json"], env);
    assert.equal(replay.status, 0, replay.stderr);
    const replayed = JSON.parse(replay.stdout) as { candidates: Array<{ service: string }> };
    assert.equal(replayed.candidates.length, liveRanking.length);
    assert.ok(!liveRanking.includes(replayed.candidates[0].service), "the top candidate is a pseudonym");
  });

  it("refuses without the anonymizer key and names what is missing", () => {
    const refused = vigil(["fixture", "export", investigationId, join(outDir, "x"), "--anonymize"], env);

    assert.notEqual(refused.status, 0);
    assert.match(refused.stderr, /VIGIL_ANONYMIZER_KEY/);
  });
});
