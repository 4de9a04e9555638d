#!/usr/bin/env node
// Node 20's `node --test` does not expand globs: find every *.test.ts under the code rooms and run them.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

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
const result = spawnSync(
  process.execPath,
  ["--test", "--test-reporter=spec", "--test-concurrency=2", "--import", "tsx", ...selected],
  { stdio: "inherit" },
);
process.exit(result.status ?? 1);
