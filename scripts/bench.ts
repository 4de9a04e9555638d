/**
 * `npm run bench`: run `vigil eval` on every fixture set it is given (default: the bundled suite and the sets in
 * ../shared/fixtures/) and print the tables. Targets are reported here, never asserted in tests.
 *
 *   npm run bench [-- SETDIR...] [--runs N]
 */
import { existsSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { formatEvalReport, runEval } from "../src/eval/run-eval.ts";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { runs: { type: "string", default: "1" } },
});

function defaultSets(): string[] {
  const sets = [resolve("examples/incidents")];
  const shared = resolve("../shared/fixtures");
  if (existsSync(shared)) {
    for (const name of readdirSync(shared).sort()) {
      if (existsSync(join(shared, name, "cases"))) sets.push(join(shared, name));
    }
  }
  return sets;
}

const sets = positionals.length > 0 ? positionals : defaultSets();
const runs = Math.max(1, Number(values.runs) || 1);
for (const set of sets) {
  const rankings: string[] = [];
  for (let run = 1; run <= runs; run++) {
    const report = await runEval({ setDir: set });
    rankings.push(JSON.stringify(report.outcomes.map((o) => [o.caseId, o.top, o.vigilRank, o.abstained])));
    if (run === 1) console.log(`${formatEvalReport(report)}\n`);
  }
  if (runs > 1) {
    const identical = rankings.every((r) => r === rankings[0]);
    console.log(`Repeatability: ${runs} runs, rankings ${identical ? "identical" : "DIFFER"}\n`);
  }
}
