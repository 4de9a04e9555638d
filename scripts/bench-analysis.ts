/**
 * Speed of the analysis building blocks on large inputs (targets: 10k log lines mined in < 100 ms, 50k spans
 * analysed in < 500 ms). Printed by `npm run bench`; tests check correctness only.
 */
import { mineTemplates } from "../agents/analysis/log-templates.ts";
import {
  cutShortTraces,
  errorOrigins,
  exclusiveTimeShifts,
  operationShifts,
  serviceDependencies,
} from "../agents/analysis/trace-analysis.ts";
import type { SpanRecord } from "../tools/interfaces.ts";

function time(fn: () => void, runs = 5): { median: number; max: number } {
  fn(); // warm the JIT
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    fn();
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  return { median: samples[Math.floor(runs / 2)], max: samples[runs - 1] };
}

const templates = ["GET /api/cart/{id} 200 in {n}ms", "user {id} added item {sku} qty {n}", "cache miss for key {id}"];
const lines = Array.from({ length: 10_000 }, (_, i) => ({
  t: i * 100,
  service: `svc-${i % 5}`,
  line: templates[i % 3]
    .replace("{id}", String(1000 + i))
    .replace("{n}", String(i % 97))
    .replace("{sku}", `SKU-${i % 31}`),
}));
const spans: SpanRecord[] = [];
for (let t = 0; t < 5_000; t++) {
  spans.push({
    traceId: `t${t}`,
    spanId: "0",
    parentSpanId: "",
    service: "frontend",
    name: "GET /",
    startMs: t,
    durationMs: 100,
    status: t % 50 === 0 ? "error" : "ok",
    attributes: {},
  });
  for (let c = 1; c < 10; c++) {
    spans.push({
      traceId: `t${t}`,
      spanId: String(c),
      parentSpanId: String(c > 5 ? c - 5 : 0),
      service: `svc-${c % 4}`,
      name: "rpc",
      startMs: t + c,
      durationMs: 10 + (c % 3),
      status: t % 50 === 0 && c === 6 ? "error" : "ok",
      attributes: {},
    });
  }
}
const mining = time(() => mineTemplates(lines));
const traces = time(() => {
  // A fresh array per run, as each investigation has: trees are reused within one analysis round, not across runs.
  const sample = spans.slice();
  operationShifts(sample, 2_500);
  errorOrigins(sample);
  exclusiveTimeShifts(sample, 2_500);
  serviceDependencies(sample);
  cutShortTraces(sample, 2_500);
});
console.log("Analysis building blocks (median / max of 5 runs)");
console.log(
  `  log template mining, 10k lines: ${mining.median.toFixed(1)} / ${mining.max.toFixed(1)} ms (target < 100 ms)`,
);
console.log(
  `  trace analysis, 50k spans:      ${traces.median.toFixed(1)} / ${traces.max.toFixed(1)} ms (target < 500 ms)`,
);
