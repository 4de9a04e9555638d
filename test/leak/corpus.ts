/**
 * The leak corpus: copies of a few incident fixtures with secrets and customer identifiers seeded through their
 * logs, Kubernetes events and objects, metric labels and alert — and their services renamed to customer-looking
 * names — so a test can investigate them and prove none of the seeds reaches what Vigil learns or shares.
 *
 * Deterministic: the same seed gives the same corpus (a seeded mulberry32), so a failure can be replayed.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";

export interface Seed {
  /** What kind of value, e.g. "jwt", "email", "customer-service". */
  kind: string;
  /** The exact string that must never appear where it does not belong. */
  value: string;
  /** Secrets must not appear even in the customer's own Slack; identifiers may (it is their workspace). */
  secret: boolean;
  caseId: string;
  /** Where it was planted: "logs", "k8s-events", "k8s-objects", "metrics", "alert". */
  where: string;
}

export interface CorpusCase {
  id: string;
  dir: string;
  /** The confirmed cause under its customer name. */
  causeService: string;
  faultClass: string;
}

export interface LeakCorpus {
  cases: CorpusCase[];
  seeds: Seed[];
  /** Customer names the customer context would know: services, hosts, teams. */
  knownTerms: string[];
}

export interface BuildCorpusOptions {
  /** The fixture set with cases/ and answers/. */
  setDir: string;
  caseIds: string[];
  outDir: string;
  seed?: number;
  /** Seeds planted per case (the total is what the test counts). */
  perCase?: number;
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const HEX = "0123456789abcdef";
const B64URL = `${ALNUM}-_`;
const NAMES = ["zeta", "quill", "marlin", "orca", "tundra", "vesper", "kestrel", "nimbus", "sable", "juniper"];

/** A customer's names for the fixture services: distinctive, so any leak is unambiguous. */
function customerName(rand: () => number, role: string, i: number): string {
  const word = NAMES[Math.floor(rand() * NAMES.length)] ?? "zeta";
  return `${word}corp-${role}-${i}`;
}

interface Planter {
  kind: string;
  secret: boolean;
  /** The value to watch, and the text to plant around it. */
  make(rand: () => number, i: number, r: (alphabet: string, n: number) => string): { value: string; text: string };
}

const PLANTERS: Planter[] = [
  {
    kind: "stripe-key",
    secret: true,
    make: (_rand, _i, r) => {
      const v = `sk_live_${r(ALNUM, 28)}`;
      return { value: v, text: `charging with key ${v}` };
    },
  },
  {
    kind: "openai-key",
    secret: true,
    make: (_rand, _i, r) => {
      const v = `sk-proj-${r(ALNUM, 40)}`;
      return { value: v, text: `llm client configured with ${v}` };
    },
  },
  {
    kind: "github-token",
    secret: true,
    make: (_rand, _i, r) => {
      const v = `ghp_${r(ALNUM, 36)}`;
      return { value: v, text: `git clone https://${v}@github.com/org/repo.git` };
    },
  },
  {
    kind: "slack-token",
    secret: true,
    make: (_rand, _i, r) => {
      const v = `xoxb-${r("0123456789", 12)}-${r("0123456789", 13)}-${r(ALNUM, 24)}`;
      return { value: v, text: `notifier token=${v}` };
    },
  },
  {
    kind: "google-api-key",
    secret: true,
    make: (_rand, _i, r) => {
      const v = `AIza${r(`${ALNUM}_-`, 35)}`;
      return { value: v, text: `maps lookup with key ${v} failed` };
    },
  },
  {
    kind: "aws-access-key",
    secret: true,
    make: (_rand, _i, r) => {
      const v = `AKIA${r(UPPER, 16)}`;
      return { value: v, text: `s3 upload as ${v} denied` };
    },
  },
  {
    kind: "aws-secret-key",
    secret: true,
    make: (_rand, _i, r) => {
      const v = r(`${ALNUM}/+`, 40);
      return { value: v, text: `aws_secret_access_key=${v}` };
    },
  },
  {
    kind: "gcp-private-key-id",
    secret: true,
    make: (_rand, i, r) => {
      const v = r(HEX, 40);
      return {
        value: v,
        text: `loaded credentials {"type": "service_account", "private_key_id": "${v}", "project_id": "proj-${i}"}`,
      };
    },
  },
  {
    kind: "jwt",
    secret: true,
    make: (_rand, _i, r) => {
      const v = `eyJ${r(B64URL, 20)}.eyJ${r(B64URL, 40)}.${r(B64URL, 43)}`;
      return { value: v, text: `session cookie ${v} expired` };
    },
  },
  {
    kind: "bearer",
    secret: true,
    make: (_rand, _i, r) => {
      const v = r(`${ALNUM}._-`, 40);
      return { value: v, text: `upstream 401 for request with Authorization: Bearer ${v}` };
    },
  },
  {
    kind: "url-password",
    secret: true,
    make: (_rand, i, r) => {
      const v = `Pw${r(ALNUM, 14)}`;
      return { value: v, text: `cannot connect to postgres://app_${i}:${v}@10.9.${i % 250}.4:5432/app` };
    },
  },
  {
    kind: "password-kv",
    secret: true,
    make: (_rand, _i, r) => {
      const v = `Hx${r(ALNUM, 12)}!`;
      return { value: v, text: `retrying login user=svc password=${v}` };
    },
  },
  {
    kind: "private-key",
    secret: true,
    make: (_rand, _i, r) => {
      const v = `MIIE${r(`${ALNUM}+/`, 60)}`;
      return { value: v, text: `tls: -----BEGIN PRIVATE KEY-----\n${v}\n-----END PRIVATE KEY----- rejected` };
    },
  },
  {
    kind: "email",
    secret: false,
    make: (rand, i) => {
      const v = `${NAMES[Math.floor(rand() * NAMES.length)]}.oncall${i}@customer-${i}.example`;
      return { value: v, text: `paging ${v} about the failure` };
    },
  },
  {
    kind: "ipv4",
    secret: false,
    make: (_rand, i) => {
      const v = `172.31.${(i * 7) % 250}.${(i * 13) % 250}`;
      return { value: v, text: `connection reset by peer ${v}:8443` };
    },
  },
  {
    kind: "ipv6",
    secret: false,
    make: (_rand, _i, r) => {
      const v = `fd12:${r(HEX, 4)}:${r(HEX, 4)}::${r(HEX, 4)}`;
      return { value: v, text: `dial [${v}]:443 timed out` };
    },
  },
  {
    kind: "customer-host",
    secret: false,
    make: (rand, i) => {
      const v = `db-${i}.${NAMES[Math.floor(rand() * NAMES.length)]}-corp.internal`;
      return { value: v, text: `replica lag on ${v} is 40s` };
    },
  },
  {
    kind: "customer-team",
    secret: false,
    make: (rand, i) => {
      const v = `team-${NAMES[Math.floor(rand() * NAMES.length)]}owls-${i}`;
      return { value: v, text: `escalating to ${v}` };
    },
  },
];

function rewriteFile(path: string, rewrite: (text: string) => string): void {
  if (!existsSync(path)) return;
  const gz = path.endsWith(".gz");
  const raw = readFileSync(path);
  const text = (gz ? gunzipSync(raw) : raw).toString("utf8");
  const out = rewrite(text);
  writeFileSync(path, gz ? gzipSync(Buffer.from(out, "utf8")) : out);
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...filesUnder(path));
    else out.push(path);
  }
  return out;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Rename a service everywhere in a case: labels, pods, topology, objects, events, log text. */
function renameService(dir: string, from: string, to: string): void {
  const re = new RegExp(`(?<![A-Za-z0-9_])${escapeRegExp(from)}(?![A-Za-z0-9_])`, "g");
  for (const file of filesUnder(dir)) {
    if (file.endsWith("manifest.json")) continue;
    rewriteFile(file, (text) => text.replace(re, to));
  }
}

function parseLines(text: string): Array<Record<string, unknown>> {
  return text
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

function toLines(rows: unknown[]): string {
  return `${rows.map((r) => JSON.stringify(r)).join("\n")}\n`;
}

/** Build the corpus on disk; returns the cases, every seed and the customer's known terms. */
export function buildLeakCorpus(options: BuildCorpusOptions): LeakCorpus {
  const rand = mulberry32(options.seed ?? 7);
  const r = (alphabet: string, n: number) => {
    let s = "";
    for (let k = 0; k < n; k += 1) s += alphabet[Math.floor(rand() * alphabet.length)];
    return s;
  };
  const perCase = options.perCase ?? 72;
  const seeds: Seed[] = [];
  const knownTerms: string[] = [];
  const cases: CorpusCase[] = [];
  let counter = 0;
  mkdirSync(options.outDir, { recursive: true });

  for (const caseId of options.caseIds) {
    const src = join(options.setDir, "cases", caseId);
    const dir = join(options.outDir, caseId);
    cpSync(src, dir, { recursive: true });
    const answer = JSON.parse(readFileSync(join(options.setDir, "answers", `${caseId}.json`), "utf8")) as {
      rootCause: { service: string; faultClass: string };
      alertService: string;
    };

    // The customer's own names for the cause and the alerted service: seeds too (they must not reach patterns).
    const causeName = customerName(rand, "core", counter);
    const entryName = customerName(rand, "edge", counter);
    renameService(dir, answer.rootCause.service, causeName);
    if (answer.alertService !== answer.rootCause.service) renameService(dir, answer.alertService, entryName);
    for (const [value, where] of [
      [causeName, "renamed-service"],
      [entryName, "renamed-service"],
    ] as const) {
      seeds.push({ kind: "customer-service", value, secret: false, caseId, where });
      knownTerms.push(value);
    }

    const planted: Array<{ seed: Seed; text: string }> = [];
    for (let k = 0; k < perCase; k += 1) {
      const planter = PLANTERS[k % PLANTERS.length] as Planter;
      const { value, text } = planter.make(rand, counter, r);
      counter += 1;
      const where = ["logs", "k8s-events", "logs", "k8s-objects", "logs", "metrics", "alert"][k % 7] as string;
      const seed: Seed = { kind: planter.kind, value, secret: planter.secret, caseId, where };
      seeds.push(seed);
      planted.push({ seed, text });
      if (planter.kind === "customer-host" || planter.kind === "customer-team") knownTerms.push(value);
    }

    plantLogs(
      dir,
      planted.filter((p) => p.seed.where === "logs"),
      rand,
    );
    plantEvents(
      dir,
      planted.filter((p) => p.seed.where === "k8s-events"),
      rand,
    );
    plantObjects(
      dir,
      planted.filter((p) => p.seed.where === "k8s-objects"),
    );
    plantMetricLabels(
      dir,
      planted.filter((p) => p.seed.where === "metrics"),
    );
    plantAlert(
      dir,
      planted.filter((p) => p.seed.where === "alert"),
    );
    cases.push({ id: caseId, dir, causeService: causeName, faultClass: answer.rootCause.faultClass });
  }
  return { cases, seeds, knownTerms };
}

function plantLogs(dir: string, planted: Array<{ seed: Seed; text: string }>, rand: () => number): void {
  rewriteFile(join(dir, "logs.jsonl.gz"), (text) => {
    const rows = parseLines(text);
    if (rows.length === 0) return text;
    for (const [k, p] of planted.entries()) {
      const row = rows[Math.floor(rand() * rows.length)] as { line: string; labels: Record<string, string> };
      // Half inside an existing line (the middle of real text), half as an error line of its own.
      if (k % 2 === 0) {
        row.line = `${row.line} ${p.text}`;
        continue;
      }
      rows.push({
        t: (row as unknown as { t: number }).t + 1,
        labels: { ...row.labels, level: "error", ...(p.seed.kind === "customer-host" ? { host: p.seed.value } : {}) },
        line: `level=error msg="${p.text.replaceAll('"', '\\"')}"`,
      });
    }
    rows.sort((a, b) => Number(a.t) - Number(b.t));
    return toLines(rows);
  });
}

function plantEvents(dir: string, planted: Array<{ seed: Seed; text: string }>, rand: () => number): void {
  rewriteFile(join(dir, "k8s", "events.jsonl"), (text) => {
    const rows = parseLines(text);
    if (rows.length === 0) return text;
    for (const p of planted) {
      const base = rows[Math.floor(rand() * rows.length)] as Record<string, unknown>;
      rows.push({
        ...base,
        metadata: { ...(base.metadata as object), name: `leak.${rows.length}` },
        type: "Warning",
        reason: "BackOff",
        message: `Back-off restarting failed container: ${p.text}`,
      });
    }
    return toLines(rows);
  });
}

function plantObjects(dir: string, planted: Array<{ seed: Seed; text: string }>): void {
  const path = join(dir, "k8s", "objects.json");
  if (!existsSync(path)) return;
  const objects = JSON.parse(readFileSync(path, "utf8")) as Array<{
    metadata: { labels?: Record<string, string>; annotations?: Record<string, string> };
  }>;
  for (const [k, p] of planted.entries()) {
    const object = objects[k % objects.length];
    if (!object) continue;
    object.metadata.annotations = { ...object.metadata.annotations, [`customer.example/note-${k}`]: p.text };
    if (p.seed.kind === "customer-team") object.metadata.labels = { ...object.metadata.labels, team: p.seed.value };
  }
  writeFileSync(path, JSON.stringify(objects));
}

function plantMetricLabels(dir: string, planted: Array<{ seed: Seed; text: string }>): void {
  rewriteFile(join(dir, "metrics.jsonl.gz"), (text) => {
    const rows = parseLines(text) as Array<{ labels: Record<string, string> }>;
    for (const [k, p] of planted.entries()) {
      const row = rows[(k * 11) % rows.length];
      if (!row) continue;
      // Labels carry identifiers in real systems (instance, host, team); a secret in a label goes in as a note.
      const key = p.seed.kind === "ipv4" ? "instance" : p.seed.kind === "customer-host" ? "host" : `note_${k}`;
      row.labels = { ...row.labels, [key]: p.seed.kind === "ipv4" ? `${p.seed.value}:9100` : p.text };
    }
    return toLines(rows);
  });
}

function plantAlert(dir: string, planted: Array<{ seed: Seed; text: string }>): void {
  const path = join(dir, "alert.json");
  const alert = JSON.parse(readFileSync(path, "utf8")) as {
    labels: Record<string, string>;
    annotations: Record<string, string>;
  };
  for (const [k, p] of planted.entries()) {
    if (p.seed.kind === "customer-team") alert.labels.team = p.seed.value;
    else alert.annotations[`note_${k}`] = p.text;
  }
  writeFileSync(path, JSON.stringify(alert, null, 2));
}
