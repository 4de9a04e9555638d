import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import type { Alert } from "../agents/types.ts";
import type { RecordedResult } from "../tools/envelope.ts";
import type {
  ChangeEvent,
  K8sObject,
  LogRecord,
  MetricSeries,
  SpanRecord,
  TimeRange,
  Topology,
} from "../tools/interfaces.ts";

export interface Recording {
  now: number;
  window: TimeRange;
  results: RecordedResult[];
}

export interface ExportInput {
  investigationId: string;
  alert: Alert;
  recording: Recording;
  stepMs?: number;
  /** Applied to every value written (names, lines, labels): e.g. the anonymizer's deep pseudonymization. */
  transform?: <T>(value: T) => T;
}

function jsonl(rows: unknown[]): string {
  return rows.map((r) => JSON.stringify(r)).join("\n") + (rows.length > 0 ? "\n" : "");
}

function gz(text: string): Buffer {
  return gzipSync(Buffer.from(text, "utf8"), { level: 9 });
}

/**
 * Turn what an investigation saw into an incident fixture (`shared/fixtures/FORMAT.md`), so a production
 * investigation becomes a replayable test: `vigil investigate --fixture OUTDIR` then reproduces its ranking.
 */
export function exportFixture(input: ExportInput, outDir: string): { files: string[] } {
  const t = input.transform ?? (<T>(v: T) => v);
  const { recording } = input;
  const series = new Map<string, MetricSeries>();
  const logs = new Map<string, LogRecord>();
  const spans = new Map<string, SpanRecord>();
  const objects = new Map<string, K8sObject>();
  const events = new Map<string, K8sObject>();
  const changes = new Map<string, ChangeEvent>();
  let topology: Topology | undefined;

  for (const r of recording.results) {
    if (r.operation === "query_signal" && Array.isArray(r.data)) {
      for (const s of r.data as MetricSeries[]) series.set(`${s.ref}|${s.kind}`, s);
    } else if (r.operation === "query_logs" && Array.isArray(r.data)) {
      for (const l of r.data as LogRecord[]) logs.set(`${l.t}|${l.service}|${l.line}`, l);
    } else if (r.operation === "get_trace" && Array.isArray(r.data)) {
      for (const s of r.data as SpanRecord[]) spans.set(`${s.traceId}|${s.spanId}`, s);
    } else if (r.operation === "list_events" && Array.isArray(r.data)) {
      for (const e of r.data as K8sObject[]) events.set(`${e.metadata.namespace}/${e.metadata.name}`, e);
    } else if (r.operation.startsWith("list_") && r.operation !== "list_changes" && Array.isArray(r.data)) {
      for (const o of r.data as K8sObject[]) objects.set(`${o.kind}/${o.metadata.namespace}/${o.metadata.name}`, o);
    } else if (r.operation === "list_changes" && Array.isArray(r.data)) {
      for (const c of r.data as ChangeEvent[]) changes.set(`${c.t}|${c.entity.kind}|${c.entity.name}`, c);
    } else if (r.operation === "topology" && r.data && typeof r.data === "object") {
      topology = r.data as Topology;
    }
  }

  const modalities: string[] = [];
  const files: string[] = [];
  mkdirSync(outDir, { recursive: true });
  const write = (name: string, content: string | Buffer) => {
    const path = join(outDir, name);
    mkdirSync(join(path, ".."), { recursive: true });
    writeFileSync(path, content);
    files.push(name);
  };
  const now = recording.now;
  if (series.size > 0) {
    modalities.push("metrics");
    write(
      "metrics.jsonl.gz",
      gz(
        jsonl(
          [...series.values()].map((s) =>
            t({
              name: s.name,
              kind: s.kind,
              labels: s.labels,
              points: s.points.filter(([ts]) => ts <= now),
              ...(s.unit ? { unit: s.unit } : {}),
            }),
          ),
        ),
      ),
    );
  }
  if (logs.size > 0) {
    modalities.push("logs");
    const rows = [...logs.values()]
      .filter((l) => l.t <= now)
      .sort((a, b) => a.t - b.t)
      .map((l) =>
        t({
          t: l.t,
          labels: { ...l.labels, ...(l.service ? { service: l.service } : {}) },
          line: l.line,
          ...(l.traceId ? { traceId: l.traceId } : {}),
        }),
      );
    write("logs.jsonl.gz", gz(jsonl(rows)));
  }
  if (spans.size > 0) {
    modalities.push("traces");
    write(
      "spans.jsonl.gz",
      gz(jsonl([...spans.values()].filter((s) => s.startMs + s.durationMs <= now).map((s) => t(s)))),
    );
  }
  if (topology) {
    modalities.push("topology");
    write("topology.json", `${JSON.stringify(t(topology))}\n`);
  }
  if (changes.size > 0) {
    modalities.push("changes");
    const rows = [...changes.values()]
      .filter((c) => c.t <= now)
      .sort((a, b) => a.t - b.t)
      .map((c) => t({ t: c.t, entity: c.entity, type: c.type, description: c.description }));
    write("changes.jsonl", jsonl(rows));
  }
  if (objects.size > 0 || events.size > 0) {
    modalities.push("k8s");
    write("k8s/objects.json", `${JSON.stringify([...objects.values()].map((o) => t(o)))}\n`);
    write("k8s/events.jsonl", jsonl([...events.values()].map((e) => t(e))));
  }
  const alert = t(input.alert);
  write(
    "alert.json",
    `${JSON.stringify(
      {
        status: alert.status,
        labels: alert.labels,
        annotations: alert.annotations,
        startsAt: new Date(alert.startsAt).toISOString(),
        fingerprint: alert.fingerprint,
      },
      null,
      2,
    )}\n`,
  );
  write(
    "manifest.json",
    `${JSON.stringify(
      {
        version: 1,
        id: `c-${input.investigationId.replace(/-/g, "").slice(0, 8)}`,
        system: "exported",
        source: { dataset: "vigil-export", investigationId: input.investigationId },
        window: { start: recording.window.from, end: recording.window.to },
        now,
        stepMs: input.stepMs ?? 60_000,
        modalities,
      },
      null,
      2,
    )}\n`,
  );
  return { files };
}
