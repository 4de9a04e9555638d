#!/usr/bin/env node
// Node 20's `node --test` does not expand globs: find every *.test.ts under the code rooms and run them.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { register } from "tsx/esm/api";

const roots = ["src", "agents", "tools", "knowledge", "test"];
const files = [];
function walk(dir) {
  for (const name of readdirSync(dir)) {
    if (name === "node_modules") continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith(".test.ts")) files.push(path);
  }
}
for (const root of roots) {
  try {
    walk(root);
  } catch {
    // a room without tests yet
  }
}
const filter = process.argv[2];
const selected = filter ? files.filter((f) => f.includes(filter)) : files;
files.sort();
// Every fake backend appends the requests it saw here (test/fakes/audit.ts); checked once all files have run.
const auditFile = join(mkdtempSync(join(tmpdir(), "vigil-audit-")), "requests.jsonl");
const result = spawnSync(
  process.execPath,
  ["--test", "--test-reporter=spec", "--test-concurrency=2", "--import", "tsx", ...selected],
  { stdio: "inherit", env: { ...process.env, VIGIL_FAKE_AUDIT_FILE: auditFile } },
);

const requests = existsSync(auditFile)
  ? readFileSync(auditFile, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l))
  : [];
register();
const { isReadRequest, isSecretPath } = await import("../test/fakes/audit.ts");
const writes = requests.filter((r) => !isReadRequest(r));
const secrets = requests.filter((r) => isSecretPath(r.path));
console.log(
  `\nread-only audit: ${requests.length} requests to fake backends, ${writes.length} non-read, ${secrets.length} to Secrets`,
);
if (writes.length > 0 || secrets.length > 0) {
  for (const r of [...writes, ...secrets].slice(0, 20)) console.log(`  violation: ${r.backend} ${r.method} ${r.path}`);
  process.exit(1);
}
process.exit(result.status ?? 1);
