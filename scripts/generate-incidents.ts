/**
 * Generates Vigil's public incident scenario suite: a deterministic, synthetic fixture set in the layout of
 * `shared/fixtures/FORMAT.md` (cases/<id>/..., answers/<id>.json, README.md).
 *
 *   npx tsx scripts/generate-incidents.ts [--out examples/incidents] [--seed 42]
 *
 * Same seed => byte-identical output (seeded mulberry32 PRNG, no wall clock, gzip without timestamps).
 */
import { createHash } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";

// ---------------------------------------------------------------------------------------------------------------
// PRNG and small helpers

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const K8S_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

class Rng {
  readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  range(a: number, b: number): number {
    return a + (b - a) * this.next();
  }
  int(a: number, b: number): number {
    return a + Math.floor(this.next() * (b - a + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)] as T;
  }
  normal(): number {
    const u = Math.max(this.next(), 1e-12);
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  /** Multiplicative noise around 1. */
  noise(sd: number): number {
    return Math.max(0.2, 1 + sd * this.normal());
  }
  hex(n: number): string {
    let s = "";
    for (let i = 0; i < n; i++) s += "0123456789abcdef"[Math.floor(this.next() * 16)];
    return s;
  }
  k8s(n: number): string {
    let s = "";
    for (let i = 0; i < n; i++) s += K8S_ALPHABET[Math.floor(this.next() * K8S_ALPHABET.length)];
    return s;
  }
  uuid(): string {
    const h = this.hex(32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }
  poisson(mean: number): number {
    if (mean <= 0) return 0;
    if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * this.normal()));
    const l = Math.exp(-mean);
    let k = 0;
    let p = 1;
    do {
      k++;
      p *= this.next();
    } while (p > l);
    return k - 1;
  }
}

const sha256 = (s: string): string => createHash("sha256").update(s).digest("hex");
const sig = (x: number, digits = 4): number => Number(x.toPrecision(digits));
const fix = (x: number, d: number): number => Number(x.toFixed(d));
/** Kubernetes timestamp (seconds precision, never rounded up). */
const iso = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
const isoMicro = (ms: number): string => `${new Date(Math.floor(ms)).toISOString().slice(0, 23)}000Z`;
const clamp = (x: number, a: number, b: number): number => Math.min(b, Math.max(a, x));

// ---------------------------------------------------------------------------------------------------------------
// Systems

type Role = "web" | "gateway" | "app" | "db" | "cache" | "batch";
type Lang = "nginx" | "go" | "java" | "node" | "python" | "postgres" | "redis";

interface SvcDef {
  name: string;
  workload: "Deployment" | "StatefulSet";
  role: Role;
  lang: Lang;
  replicas: number;
  /** Exclusive p50 time per request, ms. */
  exclMs: number;
  cpuReq: number;
  cpuLimit: number | null;
  memLimitMi: number;
  memBaseMi: number;
  cpuPerRps: number;
  idleCpu: number;
  port: number;
  version: string;
  timeoutMs: number;
  ops: string[];
  hpa?: { min: number; max: number; target: number };
  config?: Record<string, string>;
}

interface CallNode {
  svc: string;
  op: string;
  children?: CallNode[];
}

interface SystemDef {
  name: string;
  namespace: string;
  entry: string;
  entryRps: number;
  services: SvcDef[];
  /** [caller, callee, calls per caller request] */
  calls: Array<[string, string, number]>;
  routes: Array<{ weight: number; root: CallNode }>;
  nodes: Array<{ name: string; cpu: number; memGi: number; zone: string }>;
  neighbour: string;
  podNet: string;
  svcNet: string;
  image: (svc: SvcDef, version: string) => string;
  containerName: (svc: string) => string;
  dbAliases: Record<string, string[]>;
  metricPrefix: string;
}

function svc(partial: Partial<SvcDef> & Pick<SvcDef, "name" | "role" | "lang">): SvcDef {
  return {
    workload: "Deployment",
    replicas: 2,
    exclMs: 5,
    cpuReq: 0.25,
    cpuLimit: 1,
    memLimitMi: 512,
    memBaseMi: 180,
    cpuPerRps: 0.004,
    idleCpu: 0.01,
    port: 8080,
    version: "v1.0.0",
    timeoutMs: 3000,
    ops: ["handle"],
    ...partial,
  };
}

const SHOP: SystemDef = {
  name: "shop",
  namespace: "shop",
  entry: "web",
  entryRps: 140,
  services: [
    svc({
      name: "web",
      role: "web",
      lang: "nginx",
      replicas: 1,
      exclMs: 1.5,
      cpuPerRps: 0.0015,
      memLimitMi: 256,
      memBaseMi: 48,
      port: 80,
      version: "v1.25.4",
      timeoutMs: 10000,
      ops: ["GET /", "GET /cart", "POST /checkout", "GET /orders"],
    }),
    svc({
      name: "api-gateway",
      role: "gateway",
      lang: "go",
      exclMs: 2.5,
      cpuPerRps: 0.003,
      memBaseMi: 96,
      version: "v2.14.1",
      timeoutMs: 5000,
      ops: ["GET /api/products", "GET /api/cart", "POST /api/checkout", "GET /api/orders"],
      hpa: { min: 2, max: 4, target: 70 },
    }),
    svc({
      name: "checkout",
      role: "app",
      lang: "java",
      exclMs: 14,
      cpuReq: 0.5,
      cpuLimit: 1.5,
      cpuPerRps: 0.02,
      memLimitMi: 1024,
      memBaseMi: 610,
      version: "v3.8.2",
      timeoutMs: 5000,
      ops: ["PlaceOrder"],
      hpa: { min: 2, max: 4, target: 75 },
      config: { "payments.timeout": "4s", "orders.retry.max": "2", "feature.express-checkout": "true" },
    }),
    svc({
      name: "payments",
      role: "app",
      lang: "java",
      exclMs: 28,
      cpuReq: 0.5,
      cpuLimit: 1,
      cpuPerRps: 0.018,
      memLimitMi: 1024,
      memBaseMi: 540,
      version: "v5.2.0",
      timeoutMs: 8000,
      ops: ["Charge", "Refund"],
      config: {
        "provider.url": "https://api.payments-provider.example/v2",
        "provider.timeout": "6s",
        "3ds.enabled": "true",
      },
    }),
    svc({
      name: "cart",
      role: "app",
      lang: "node",
      exclMs: 3.5,
      cpuPerRps: 0.004,
      memBaseMi: 140,
      version: "v4.1.7",
      timeoutMs: 2000,
      ops: ["GetCart", "AddItem", "EmptyCart"],
      config: { REDIS_ADDR: "redis:6379", CART_TTL_SECONDS: "86400", LOG_LEVEL: "info" },
    }),
    svc({
      name: "redis",
      workload: "StatefulSet",
      role: "cache",
      lang: "redis",
      replicas: 1,
      exclMs: 0.35,
      cpuPerRps: 0.0006,
      memLimitMi: 2048,
      memBaseMi: 720,
      port: 6379,
      version: "7.2.4",
      ops: ["GET", "SET", "DEL"],
    }),
    svc({
      name: "orders",
      role: "app",
      lang: "go",
      exclMs: 6,
      cpuPerRps: 0.006,
      memBaseMi: 120,
      version: "v2.9.0",
      timeoutMs: 3000,
      ops: ["CreateOrder", "ListOrders"],
      config: { DB_HOST: "postgres", DB_POOL_MAX: "40", ORDERS_PAGE_SIZE: "50" },
    }),
    svc({
      name: "postgres",
      workload: "StatefulSet",
      role: "db",
      lang: "postgres",
      replicas: 1,
      exclMs: 2.2,
      cpuReq: 1,
      cpuLimit: 2,
      cpuPerRps: 0.004,
      memLimitMi: 4096,
      memBaseMi: 1900,
      port: 5432,
      version: "15.6",
      ops: ["SELECT", "INSERT", "UPDATE"],
    }),
    svc({
      name: "inventory",
      role: "app",
      lang: "go",
      exclMs: 5,
      cpuPerRps: 0.005,
      memBaseMi: 110,
      version: "v1.17.3",
      timeoutMs: 3000,
      ops: ["ListProducts", "Reserve"],
      config: { DB_HOST: "postgres", STOCK_CACHE_TTL: "30s", CATALOG_PAGE_SIZE: "24" },
    }),
    svc({
      name: "search-reindexer",
      role: "batch",
      lang: "python",
      replicas: 1,
      exclMs: 0,
      cpuReq: 0.1,
      cpuLimit: null,
      memLimitMi: 3072,
      memBaseMi: 260,
      cpuPerRps: 0,
      idleCpu: 0.03,
      version: "v0.9.4",
      ops: [],
    }),
  ],
  calls: [
    ["web", "api-gateway", 1],
    ["api-gateway", "checkout", 0.12],
    ["api-gateway", "cart", 0.45],
    ["api-gateway", "orders", 0.15],
    ["api-gateway", "inventory", 0.5],
    ["checkout", "payments", 1],
    ["checkout", "orders", 1],
    ["checkout", "cart", 1],
    ["cart", "redis", 1.6],
    ["orders", "postgres", 2.2],
    ["inventory", "postgres", 1.4],
  ],
  routes: [
    {
      weight: 0.4,
      root: {
        svc: "web",
        op: "GET /",
        children: [
          {
            svc: "api-gateway",
            op: "GET /api/products",
            children: [
              { svc: "inventory", op: "ListProducts", children: [{ svc: "postgres", op: "SELECT products" }] },
            ],
          },
        ],
      },
    },
    {
      weight: 0.25,
      root: {
        svc: "web",
        op: "GET /cart",
        children: [
          {
            svc: "api-gateway",
            op: "GET /api/cart",
            children: [{ svc: "cart", op: "GetCart", children: [{ svc: "redis", op: "GET" }] }],
          },
        ],
      },
    },
    {
      weight: 0.2,
      root: {
        svc: "web",
        op: "POST /checkout",
        children: [
          {
            svc: "api-gateway",
            op: "POST /api/checkout",
            children: [
              {
                svc: "checkout",
                op: "PlaceOrder",
                children: [
                  { svc: "cart", op: "GetCart", children: [{ svc: "redis", op: "GET" }] },
                  { svc: "payments", op: "Charge" },
                  { svc: "orders", op: "CreateOrder", children: [{ svc: "postgres", op: "INSERT orders" }] },
                ],
              },
            ],
          },
        ],
      },
    },
    {
      weight: 0.15,
      root: {
        svc: "web",
        op: "GET /orders",
        children: [
          {
            svc: "api-gateway",
            op: "GET /api/orders",
            children: [{ svc: "orders", op: "ListOrders", children: [{ svc: "postgres", op: "SELECT orders" }] }],
          },
        ],
      },
    },
  ],
  nodes: [
    { name: "ip-10-0-1-23.eu-west-1.compute.internal", cpu: 4, memGi: 16, zone: "eu-west-1a" },
    { name: "ip-10-0-2-141.eu-west-1.compute.internal", cpu: 4, memGi: 16, zone: "eu-west-1b" },
    { name: "ip-10-0-3-77.eu-west-1.compute.internal", cpu: 4, memGi: 16, zone: "eu-west-1c" },
  ],
  neighbour: "search-reindexer",
  podNet: "10.0",
  svcNet: "172.20",
  image: (s, v) =>
    s.role === "db"
      ? `postgres:${v}`
      : s.role === "cache"
        ? `redis:${v}`
        : s.lang === "nginx"
          ? `nginx:${v.slice(1)}`
          : `registry.shop.internal/shop/${s.name}:${v}`,
  containerName: (s) => s,
  dbAliases: { postgres: ["postgres", "postgres-0", "postgresql"], redis: ["redis", "redis-0", "cache"] },
  metricPrefix: "http_server",
};

const LEDGER: SystemDef = {
  name: "ledger",
  namespace: "ledger-prod",
  entry: "svc-0e21",
  entryRps: 60,
  services: [
    svc({
      name: "svc-0e21",
      role: "web",
      lang: "go",
      exclMs: 1.2,
      cpuPerRps: 0.002,
      memBaseMi: 70,
      version: "2025.02.3",
      timeoutMs: 15000,
      ops: ["POST /v1/transfers", "GET /v1/accounts/{id}/balance", "GET /v1/statements"],
    }),
    svc({
      name: "svc-7f3a",
      role: "gateway",
      lang: "java",
      replicas: 2,
      exclMs: 6,
      cpuReq: 0.5,
      cpuLimit: 1,
      cpuPerRps: 0.012,
      memLimitMi: 1536,
      memBaseMi: 820,
      version: "2025.02.11",
      timeoutMs: 10000,
      ops: ["rpc-a1/Dispatch"],
      hpa: { min: 2, max: 5, target: 65 },
      config: { "upstream.b21e.timeout": "8s", "auth.cache.ttl": "60s" },
    }),
    svc({
      name: "svc-91d2",
      role: "app",
      lang: "go",
      replicas: 1,
      exclMs: 1.8,
      cpuPerRps: 0.006,
      memBaseMi: 60,
      version: "2025.01.30",
      timeoutMs: 1000,
      ops: ["rpc-c4/Verify"],
      config: { JWKS_REFRESH: "5m", CLOCK_SKEW: "30s" },
    }),
    svc({
      name: "svc-b21e",
      role: "app",
      lang: "java",
      replicas: 2,
      exclMs: 9,
      cpuReq: 0.5,
      cpuLimit: 1,
      cpuPerRps: 0.016,
      memLimitMi: 1536,
      memBaseMi: 760,
      version: "2025.02.14",
      timeoutMs: 8000,
      ops: ["rpc-b2/Post", "rpc-b2/Balance"],
      hpa: { min: 2, max: 4, target: 70 },
      config: { "posting.batch.size": "200", "cache.addr": "svc-c3f8:6379", "posting.validate.strict": "false" },
    }),
    svc({
      name: "svc-c3f8",
      workload: "StatefulSet",
      role: "cache",
      lang: "redis",
      replicas: 1,
      exclMs: 0.3,
      cpuPerRps: 0.0008,
      memLimitMi: 1024,
      memBaseMi: 310,
      port: 6379,
      version: "7.0.15",
      ops: ["GET", "SET"],
    }),
    svc({
      name: "svc-4c90",
      role: "app",
      lang: "go",
      exclMs: 7,
      cpuPerRps: 0.008,
      memBaseMi: 150,
      version: "2025.02.09",
      timeoutMs: 6000,
      ops: ["rpc-d7/Write"],
      config: { WRITE_QUORUM: "2", FLUSH_INTERVAL: "250ms" },
    }),
    svc({
      name: "svc-5a6b",
      role: "app",
      lang: "python",
      replicas: 1,
      exclMs: 3,
      cpuPerRps: 0.01,
      memBaseMi: 210,
      version: "2025.01.22",
      timeoutMs: 2000,
      ops: ["rpc-f0/Notify"],
    }),
    svc({
      name: "svc-e55d",
      role: "app",
      lang: "python",
      exclMs: 11,
      cpuPerRps: 0.02,
      memBaseMi: 230,
      version: "2025.02.02",
      timeoutMs: 5000,
      ops: ["rpc-e9/Lookup"],
      config: { DB_DSN: "postgres://svc-d0b7:5432/l", POOL_SIZE: "20" },
    }),
    svc({
      name: "svc-d0b7",
      workload: "StatefulSet",
      role: "db",
      lang: "postgres",
      replicas: 1,
      exclMs: 3,
      cpuReq: 1,
      cpuLimit: 2,
      cpuPerRps: 0.006,
      memLimitMi: 8192,
      memBaseMi: 3900,
      port: 5432,
      version: "16.2",
      ops: ["SELECT", "INSERT"],
    }),
    svc({
      name: "svc-2b7e",
      role: "batch",
      lang: "python",
      replicas: 1,
      exclMs: 0,
      cpuReq: 0.1,
      cpuLimit: null,
      memLimitMi: 4096,
      memBaseMi: 340,
      cpuPerRps: 0,
      idleCpu: 0.02,
      version: "2025.02.01",
      ops: [],
    }),
  ],
  calls: [
    ["svc-0e21", "svc-7f3a", 1],
    ["svc-7f3a", "svc-91d2", 1],
    ["svc-7f3a", "svc-b21e", 1],
    ["svc-b21e", "svc-c3f8", 2],
    ["svc-b21e", "svc-4c90", 0.7],
    ["svc-4c90", "svc-e55d", 1],
    ["svc-4c90", "svc-5a6b", 0.5],
    ["svc-e55d", "svc-d0b7", 1.5],
  ],
  routes: [
    {
      weight: 0.5,
      root: {
        svc: "svc-0e21",
        op: "POST /v1/transfers",
        children: [
          {
            svc: "svc-7f3a",
            op: "rpc-a1/Dispatch",
            children: [
              { svc: "svc-91d2", op: "rpc-c4/Verify" },
              {
                svc: "svc-b21e",
                op: "rpc-b2/Post",
                children: [
                  { svc: "svc-c3f8", op: "GET" },
                  {
                    svc: "svc-4c90",
                    op: "rpc-d7/Write",
                    children: [
                      { svc: "svc-e55d", op: "rpc-e9/Lookup", children: [{ svc: "svc-d0b7", op: "INSERT" }] },
                      { svc: "svc-5a6b", op: "rpc-f0/Notify" },
                    ],
                  },
                ],
              },
            ],
          },
        ],
      },
    },
    {
      weight: 0.3,
      root: {
        svc: "svc-0e21",
        op: "GET /v1/accounts/{id}/balance",
        children: [
          {
            svc: "svc-7f3a",
            op: "rpc-a1/Dispatch",
            children: [
              { svc: "svc-91d2", op: "rpc-c4/Verify" },
              { svc: "svc-b21e", op: "rpc-b2/Balance", children: [{ svc: "svc-c3f8", op: "GET" }] },
            ],
          },
        ],
      },
    },
    {
      weight: 0.2,
      root: {
        svc: "svc-0e21",
        op: "GET /v1/statements",
        children: [
          {
            svc: "svc-7f3a",
            op: "rpc-a1/Dispatch",
            children: [
              { svc: "svc-91d2", op: "rpc-c4/Verify" },
              {
                svc: "svc-b21e",
                op: "rpc-b2/Post",
                children: [
                  {
                    svc: "svc-4c90",
                    op: "rpc-d7/Write",
                    children: [{ svc: "svc-e55d", op: "rpc-e9/Lookup", children: [{ svc: "svc-d0b7", op: "SELECT" }] }],
                  },
                ],
              },
            ],
          },
        ],
      },
    },
  ],
  nodes: [
    { name: "gke-prod-pool-a-1f3c9d2e-x7k2", cpu: 8, memGi: 32, zone: "europe-west4-a" },
    { name: "gke-prod-pool-a-1f3c9d2e-q2mv", cpu: 8, memGi: 32, zone: "europe-west4-b" },
    { name: "gke-prod-pool-a-1f3c9d2e-9bns", cpu: 8, memGi: 32, zone: "europe-west4-c" },
  ],
  neighbour: "svc-2b7e",
  podNet: "10.8",
  svcNet: "10.96",
  image: (s, v) =>
    s.role === "db"
      ? `postgres:${v}`
      : s.role === "cache"
        ? `redis:${v}`
        : `europe-docker.pkg.dev/ledger-prod/images/${s.name}:${v}`,
  containerName: () => "app",
  dbAliases: { "svc-d0b7": ["svc-d0b7", "svc-d0b7-0"], "svc-c3f8": ["svc-c3f8", "svc-c3f8-0"] },
  metricPrefix: "rpc_server",
};

const SYSTEMS: Record<string, SystemDef> = { shop: SHOP, ledger: LEDGER };

// ---------------------------------------------------------------------------------------------------------------
// Case plan

type Scenario =
  | "db-down"
  | "config-rollout"
  | "bad-image-rollout"
  | "oom-after-limit-change"
  | "crashloop"
  | "image-pull-backoff"
  | "unschedulable-pods"
  | "failing-readiness"
  | "blocked-callee"
  | "hpa-at-max"
  | "noisy-neighbour"
  | "cpu-saturation"
  | "network-delay"
  | "silent-callee-failure"
  | "control";

export const SCENARIOS: readonly Scenario[] = [
  "db-down",
  "config-rollout",
  "bad-image-rollout",
  "oom-after-limit-change",
  "crashloop",
  "image-pull-backoff",
  "unschedulable-pods",
  "failing-readiness",
  "blocked-callee",
  "hpa-at-max",
  "noisy-neighbour",
  "cpu-saturation",
  "network-delay",
  "silent-callee-failure",
];

interface CaseSpec {
  scenario: Scenario;
  system: "shop" | "ledger";
  /** Root-cause service (for noisy-neighbour: the neighbour; the victim is `victim`). */
  cause?: string;
  victim?: string;
  stepMs: number;
  short?: boolean;
  traces?: boolean;
  variant?: string;
}

const S15 = 15_000;
const S60 = 60_000;
const S300 = 300_000;

const PLAN: CaseSpec[] = [
  { scenario: "db-down", system: "shop", cause: "postgres", stepMs: S60, traces: true },
  { scenario: "config-rollout", system: "shop", cause: "payments", stepMs: S60 },
  { scenario: "config-rollout", system: "ledger", cause: "svc-b21e", stepMs: S15, traces: true },
  { scenario: "config-rollout", system: "shop", cause: "inventory", stepMs: S300, short: true },
  { scenario: "bad-image-rollout", system: "shop", cause: "checkout", stepMs: S60, traces: true },
  { scenario: "bad-image-rollout", system: "ledger", cause: "svc-4c90", stepMs: S300 },
  { scenario: "bad-image-rollout", system: "shop", cause: "cart", stepMs: S15 },
  { scenario: "oom-after-limit-change", system: "shop", cause: "orders", stepMs: S60 },
  { scenario: "oom-after-limit-change", system: "ledger", cause: "svc-7f3a", stepMs: S300 },
  { scenario: "crashloop", system: "shop", cause: "payments", stepMs: S15, traces: true, variant: "poison" },
  { scenario: "crashloop", system: "ledger", cause: "svc-e55d", stepMs: S60, short: true, variant: "rollout" },
  { scenario: "image-pull-backoff", system: "shop", cause: "inventory", stepMs: S60 },
  { scenario: "image-pull-backoff", system: "ledger", cause: "svc-b21e", stepMs: S15 },
  { scenario: "unschedulable-pods", system: "shop", cause: "checkout", stepMs: S60, variant: "scale-up" },
  { scenario: "unschedulable-pods", system: "ledger", cause: "svc-7f3a", stepMs: S300, variant: "requests" },
  { scenario: "failing-readiness", system: "shop", cause: "cart", stepMs: S60, traces: true, variant: "rollout" },
  { scenario: "failing-readiness", system: "ledger", cause: "svc-4c90", stepMs: S15, variant: "timeout" },
  { scenario: "db-down", system: "shop", cause: "redis", stepMs: S15, traces: true },
  { scenario: "db-down", system: "ledger", cause: "svc-d0b7", stepMs: S60, traces: true },
  { scenario: "blocked-callee", system: "shop", cause: "payments", stepMs: S60, traces: true, variant: "socket" },
  { scenario: "blocked-callee", system: "ledger", cause: "svc-e55d", stepMs: S15, traces: true, variant: "dependency" },
  { scenario: "hpa-at-max", system: "shop", cause: "api-gateway", stepMs: S60 },
  { scenario: "hpa-at-max", system: "ledger", cause: "svc-b21e", stepMs: S300, short: true },
  {
    scenario: "noisy-neighbour",
    system: "shop",
    cause: "search-reindexer",
    victim: "checkout",
    stepMs: S60,
    traces: true,
  },
  { scenario: "noisy-neighbour", system: "ledger", cause: "svc-2b7e", victim: "svc-b21e", stepMs: S15 },
  { scenario: "cpu-saturation", system: "shop", cause: "orders", stepMs: S300 },
  { scenario: "cpu-saturation", system: "ledger", cause: "svc-91d2", stepMs: S60, traces: true },
  { scenario: "network-delay", system: "shop", cause: "cart", stepMs: S60, traces: true },
  { scenario: "network-delay", system: "ledger", cause: "svc-4c90", stepMs: S300, short: true },
  { scenario: "config-rollout", system: "shop", cause: "api-gateway", stepMs: S15 },
  { scenario: "control", system: "shop", stepMs: S60, traces: true },
  { scenario: "control", system: "shop", stepMs: S15 },
  { scenario: "control", system: "shop", stepMs: S300 },
  { scenario: "control", system: "ledger", stepMs: S15, traces: true },
  { scenario: "control", system: "ledger", stepMs: S300, short: true },
  { scenario: "control", system: "shop", stepMs: S60, short: true, variant: "benign-deploy" },
  // Appended after the original 36 cases: every case is seeded from its own index, so these leave the others intact.
  { scenario: "silent-callee-failure", system: "shop", cause: "cart", stepMs: S60, traces: true },
  { scenario: "silent-callee-failure", system: "ledger", cause: "svc-91d2", stepMs: S15, traces: true },
];

const FAULT_CLASS: Record<Scenario, string> = {
  "db-down": "dependency",
  "config-rollout": "config_change",
  "bad-image-rollout": "code_error",
  "oom-after-limit-change": "mem",
  crashloop: "code_error",
  "image-pull-backoff": "config_change",
  "unschedulable-pods": "capacity",
  "failing-readiness": "code_error",
  "blocked-callee": "dependency",
  "hpa-at-max": "capacity",
  "noisy-neighbour": "cpu",
  "cpu-saturation": "cpu",
  "network-delay": "network_delay",
  "silent-callee-failure": "code_error",
  control: "none",
};

const INDICATOR: Record<Scenario, string | null> = {
  "db-down": "restarts",
  "config-rollout": "error_rate",
  "bad-image-rollout": "error_rate",
  "oom-after-limit-change": "mem",
  crashloop: "restarts",
  "image-pull-backoff": "latency_p90",
  "unschedulable-pods": "cpu",
  "failing-readiness": "error_rate",
  "blocked-callee": "latency_p90",
  "hpa-at-max": "cpu",
  "noisy-neighbour": "cpu",
  "cpu-saturation": "cpu",
  "network-delay": "latency_p90",
  // Errors the cause does not count itself: they show in its callers' error rates and in the traces' request paths.
  "silent-callee-failure": "error_rate",
  control: null,
};

// ---------------------------------------------------------------------------------------------------------------
// Case state

interface Effect {
  onset: number;
  ramp: number[];
  latRel: number;
  err: number;
  rateMul: number;
  cpuMul: number;
  throttle: number;
  socket: number;
  /** Service-level latency/error series have gaps (the service is down). */
  down?: boolean;
  /** What callers experience, when different from the service's own numbers. */
  errOut?: number;
  latOut?: number;
  /** Only the p90/p99 of the service move fully (p50 by half): a share of the pods is affected. */
  partial?: boolean;
  /** Traces: probability (at full intensity) that a call blocks for a long time. */
  stall?: number;
  /** The service's instrumentation does not count its failures: it has no error-ratio series at all. */
  errUncounted?: boolean;
}

interface PodState {
  name: string;
  svc: string;
  node: string;
  ip: string;
  rs: string;
  revision: number;
  image: string;
  from: number;
  to: number;
  createdAt: number;
  /** Serves traffic at step i. */
  serving: (i: number) => boolean;
  emitsMetrics: boolean;
  restartsAt: number[];
  restartTimes: number[];
  mem?: (i: number) => number;
  cpuBoost?: (i: number) => number;
  phase: "Running" | "Pending";
  ready: boolean;
  waiting?: { reason: string; message: string };
  lastTerminated?: { reason: string; exitCode: number };
  unschedulable?: string;
  memLimitMi?: number;
  cpuReq?: number;
}

interface DeployState {
  svc: SvcDef;
  revision: number;
  rsHashes: Array<{ hash: string; revision: number; image: string; createdAt: number }>;
  desired: number;
  image: string;
  memLimitMi: number;
  cpuReq: number;
  maxUnavailable: string;
  hpaCurrent?: number;
  hpaDesired?: number;
  hpaCpu?: number;
  readinessPath: string;
  configChecksum: string;
}

interface LogRec {
  t: number;
  labels: Record<string, string>;
  line: string;
  traceId?: string;
}

interface Change {
  t: number;
  entity: { kind: string; namespace: string; name: string };
  type: string;
  description: string;
}

type Json = Record<string, unknown>;

interface VictimInfo {
  depth: number;
  next: string;
}

class CaseBuilder {
  readonly rng: Rng;
  readonly sys: SystemDef;
  readonly ns: string;
  readonly step: number;
  readonly t0: number;
  readonly nowIdx: number;
  readonly alertIdx: number;
  readonly causeOnset: number;
  readonly now: number;
  readonly injectedAt: number;
  readonly svcs: Map<string, SvcDef>;
  readonly callers = new Map<string, string[]>();
  readonly callees = new Map<string, string[]>();
  readonly pods: PodState[] = [];
  readonly deploys = new Map<string, DeployState>();
  readonly effects = new Map<string, Effect>();
  readonly victims = new Map<string, VictimInfo>();
  readonly changes: Change[] = [];
  readonly events: Json[] = [];
  readonly extraLogs: LogRec[] = [];
  readonly svcIp = new Map<string, string>();
  traffic: (i: number) => number = () => 1;
  victimKind: "timeout" | "refused" | "5xx" | "reset" | "unavailable" = "5xx";
  causeLogs: Array<{ svc: string; level: string; lines: string[]; perStep: number; fromIdx: number; pods?: string[] }> =
    [];
  hpaLimited?: string;
  configMapChanged?: { svc: string; key: string; from: string; to: string };
  victimsLouder: boolean;
  entity: string | null = null;
  aliases: string[] = [];
  noisyNode?: string;
  alertSpike = 1;
  readonly baseLatMs = new Map<string, number>();
  readonly baseRps = new Map<string, number>();
  readonly baseErr = new Map<string, number>();
  private podIpCounter = 10;

  constructor(
    readonly id: string,
    readonly index: number,
    readonly spec: CaseSpec,
    seed: number,
  ) {
    this.rng = new Rng(seed);
    const sys = SYSTEMS[spec.system] as SystemDef;
    this.sys = sys;
    this.ns = sys.namespace;
    this.step = spec.stepMs;
    this.svcs = new Map(sys.services.map((s) => [s.name, s]));
    for (const [a, b] of sys.calls) {
      this.callees.set(a, [...(this.callees.get(a) ?? []), b]);
      this.callers.set(b, [...(this.callers.get(b) ?? []), a]);
    }
    const rng = this.rng;
    const step = this.step;
    // Points before the alert.
    const before = spec.short
      ? rng.int(3, 4)
      : step === S15
        ? rng.int(32, 40)
        : step === S60
          ? rng.int(18, 26)
          : rng.int(10, 14);
    this.alertIdx = before;
    const origin = spec.scenario === "noisy-neighbour" ? (spec.victim as string) : (spec.cause ?? sys.entry);
    const depthEntry = this.depthTo(origin, sys.entry) + (spec.scenario === "noisy-neighbour" ? 1 : 0);
    const lagEntry = this.lag(depthEntry);
    const alertDelay = spec.short ? 0 : step === S15 ? rng.int(2, 4) : step === S60 ? rng.int(0, 1) : 0;
    this.causeOnset = Math.max(spec.short ? 2 : 4, this.alertIdx - alertDelay - lagEntry);
    this.nowIdx = this.alertIdx + rng.int(2, 4);
    const day = Date.UTC(2025, 2, 3) + index * 9 * 3_600_000 + rng.int(0, 300) * 60_000;
    this.t0 = Math.floor(day / step) * step;
    this.now = this.T(this.nowIdx);
    this.injectedAt = Math.round(this.T(this.causeOnset) - rng.range(0.2, 0.8) * step);
    this.victimsLouder = rng.chance(0.8);
    // Baselines.
    const order = this.topo();
    for (const s of order) {
      const def = this.svc(s);
      let lat = def.exclMs;
      for (const c of this.callees.get(s) ?? []) {
        const per = sys.calls.find(([a, b]) => a === s && b === c)?.[2] ?? 1;
        lat += Math.min(1, per) * (this.baseLatMs.get(c) ?? 1) * 0.85;
      }
      this.baseLatMs.set(s, lat * rng.range(0.9, 1.1));
      this.baseErr.set(s, def.role === "db" || def.role === "cache" ? rng.range(0, 0.0004) : rng.range(0.0005, 0.004));
    }
    for (const s of [...order].reverse()) {
      if (s === sys.entry) this.baseRps.set(s, sys.entryRps * rng.range(0.85, 1.15));
      else {
        let r = 0;
        for (const c of this.callers.get(s) ?? []) {
          const per = sys.calls.find(([a, b]) => a === c && b === s)?.[2] ?? 1;
          r += (this.baseRps.get(c) ?? 0) * per;
        }
        this.baseRps.set(s, r);
      }
    }
    this.baseRps.set(sys.neighbour, 0);
    this.baseLatMs.set(sys.neighbour, 0);
    this.baseErr.set(sys.neighbour, 0);
    // Cluster objects: deployments and pods.
    let ipSvc = 10;
    for (const def of sys.services) {
      this.svcIp.set(def.name, `${sys.svcNet}.${rng.int(1, 250)}.${ipSvc++}`);
      const dep: DeployState = {
        svc: def,
        revision: rng.int(3, 40),
        rsHashes: [],
        desired: def.replicas,
        image: sys.image(def, def.version),
        memLimitMi: def.memLimitMi,
        cpuReq: def.cpuReq,
        maxUnavailable: def.replicas >= 3 ? "25%" : "1",
        readinessPath:
          def.role === "db" || def.role === "cache"
            ? ""
            : def.lang === "java"
              ? "/actuator/health/readiness"
              : "/ready",
        configChecksum: rng.hex(12),
      };
      if (def.name === sys.neighbour) dep.desired = 1;
      const hash = def.workload === "Deployment" ? rng.k8s(rng.int(9, 10)) : "";
      dep.rsHashes.push({
        hash,
        revision: dep.revision,
        image: dep.image,
        createdAt: this.t0 - rng.int(2, 20) * 86_400_000,
      });
      this.deploys.set(def.name, dep);
      const created = dep.rsHashes[0]?.createdAt ?? this.t0;
      for (let k = 0; k < dep.desired; k++)
        this.addPod(def.name, hash, dep.revision, dep.image, 0, created + rng.int(0, 3600) * 1000, k);
    }
  }

  T(i: number): number {
    return this.t0 + i * this.step;
  }
  idxOf(t: number): number {
    return Math.ceil((t - this.t0) / this.step);
  }
  svc(name: string): SvcDef {
    const s = this.svcs.get(name);
    if (!s) throw new Error(`unknown service ${name}`);
    return s;
  }
  lag(d: number): number {
    if (d <= 0) return 0;
    return this.step <= S15 ? Math.min(d, 2) : this.step <= S60 ? 1 : 0;
  }
  depthTo(from: string, to: string): number {
    // Distance along reverse call edges from `from` up to `to`.
    const seen = new Map<string, number>([[from, 0]]);
    const queue = [from];
    while (queue.length) {
      const cur = queue.shift() as string;
      if (cur === to) return seen.get(cur) as number;
      for (const c of this.callers.get(cur) ?? []) {
        if (!seen.has(c)) {
          seen.set(c, (seen.get(cur) as number) + 1);
          queue.push(c);
        }
      }
    }
    return 0;
  }
  topo(): string[] {
    // Callees before callers.
    const out: string[] = [];
    const seen = new Set<string>();
    const visit = (s: string) => {
      if (seen.has(s)) return;
      seen.add(s);
      for (const c of this.callees.get(s) ?? []) visit(c);
      out.push(s);
    };
    for (const s of this.sys.services) if (s.name !== this.sys.neighbour) visit(s.name);
    return out;
  }

  addPod(
    svcName: string,
    hash: string,
    revision: number,
    image: string,
    from: number,
    createdAt: number,
    ordinal: number,
  ): PodState {
    const def = this.svc(svcName);
    const name = def.workload === "StatefulSet" ? `${svcName}-${ordinal}` : `${svcName}-${hash}-${this.rng.k8s(5)}`;
    const nodes = this.sys.nodes;
    const existing = this.pods.filter((p) => p.svc === svcName).length;
    const node = (nodes[(this.sys.services.indexOf(def) + existing + this.index) % nodes.length] as { name: string })
      .name;
    const nodeIdx = nodes.findIndex((n) => n.name === node);
    const pod: PodState = {
      name,
      svc: svcName,
      node,
      ip: `${this.sys.podNet}.${nodeIdx * 64 + this.rng.int(1, 60)}.${this.podIpCounter++}`,
      rs: hash,
      revision,
      image,
      from,
      to: Number.POSITIVE_INFINITY,
      createdAt: Math.min(createdAt, this.now - 1000),
      serving: () => true,
      emitsMetrics: true,
      restartsAt: [],
      restartTimes: [],
      phase: "Running",
      ready: true,
    };
    this.pods.push(pod);
    return pod;
  }

  livePods(svcName: string, i = this.nowIdx): PodState[] {
    return this.pods.filter((p) => p.svc === svcName && p.from <= i && p.to >= i);
  }

  /** Roll a deployment to a new revision at step `idx`. Returns the new pods. */
  rollout(
    svcName: string,
    idx: number,
    t: number,
    opts: {
      image?: string;
      description?: string;
      newCount?: number;
      oldKeep?: number;
      memLimitMi?: number;
      cpuReq?: number;
      type?: string;
    } = {},
  ): PodState[] {
    const dep = this.deploys.get(svcName) as DeployState;
    const rng = this.rng;
    const def = dep.svc;
    const oldImage = dep.image;
    const image = opts.image ?? oldImage;
    dep.image = image;
    dep.revision += 1;
    const hash = rng.k8s(rng.int(9, 10));
    const oldHash = dep.rsHashes[dep.rsHashes.length - 1]?.hash ?? "";
    dep.rsHashes.push({ hash, revision: dep.revision, image, createdAt: t });
    if (opts.memLimitMi) dep.memLimitMi = opts.memLimitMi;
    if (opts.cpuReq) dep.cpuReq = opts.cpuReq;
    const old = this.livePods(svcName, idx).filter((p) => p.rs === oldHash);
    const newCount = opts.newCount ?? dep.desired;
    const oldKeep = opts.oldKeep ?? 0;
    old.slice(oldKeep).forEach((p) => {
      p.to = idx - 1;
    });
    const fresh: PodState[] = [];
    for (let k = 0; k < newCount; k++) {
      const p = this.addPod(svcName, hash, dep.revision, image, idx, t + rng.int(1, 20) * 1000, k);
      if (opts.memLimitMi) p.memLimitMi = opts.memLimitMi;
      if (opts.cpuReq) p.cpuReq = opts.cpuReq;
      fresh.push(p);
    }
    this.changes.push({
      t,
      entity: { kind: "Deployment", namespace: this.ns, name: svcName },
      type: opts.type ?? "rollout",
      description:
        opts.description ??
        `image ${oldImage.split("/").pop()} -> ${image.split("/").pop()} (revision ${dep.revision})`,
    });
    const rsNew = `${svcName}-${hash}`;
    const rsOld = `${svcName}-${oldHash}`;
    this.event(
      "Deployment",
      svcName,
      "Normal",
      "ScalingReplicaSet",
      `Scaled up replica set ${rsNew} to ${newCount} from 0`,
      t + 200,
      "deployment-controller",
    );
    if (old.length > oldKeep)
      this.event(
        "Deployment",
        svcName,
        "Normal",
        "ScalingReplicaSet",
        `Scaled down replica set ${rsOld} to ${oldKeep} from ${old.length}`,
        t + rng.int(5, 40) * 1000,
        "deployment-controller",
      );
    for (const p of fresh) {
      this.event(
        "ReplicaSet",
        rsNew,
        "Normal",
        "SuccessfulCreate",
        `Created pod: ${p.name}`,
        p.createdAt,
        "replicaset-controller",
      );
      this.event(
        "Pod",
        p.name,
        "Normal",
        "Scheduled",
        `Successfully assigned ${this.ns}/${p.name} to ${p.node}`,
        p.createdAt + 50,
        "default-scheduler",
      );
    }
    for (const p of old.slice(oldKeep))
      this.event(
        "Pod",
        p.name,
        "Normal",
        "Killing",
        `Stopping container ${this.sys.containerName(def.name)}`,
        t + rng.int(5, 40) * 1000,
        "kubelet",
        p.node,
      );
    return fresh;
  }

  startedEvents(p: PodState, at: number): void {
    const c = this.sys.containerName(p.svc);
    this.event(
      "Pod",
      p.name,
      "Normal",
      "Pulled",
      `Successfully pulled image "${p.image}" in ${fix(this.rng.range(0.8, 6), 3)}s`,
      at + 4000,
      "kubelet",
      p.node,
    );
    this.event("Pod", p.name, "Normal", "Started", `Started container ${c}`, at + 4500, "kubelet", p.node);
  }

  event(
    kind: string,
    name: string,
    type: "Normal" | "Warning",
    reason: string,
    message: string,
    first: number,
    component: string,
    host?: string,
    count = 1,
    last?: number,
    fieldPath?: string,
  ): void {
    const lastT = Math.min(last ?? first, this.now);
    if (first > this.now) return;
    const apiVersion =
      kind === "Pod" || kind === "Node" || kind === "Service"
        ? "v1"
        : kind === "HorizontalPodAutoscaler"
          ? "autoscaling/v2"
          : "apps/v1";
    const scheduler = component === "default-scheduler";
    this.events.push({
      apiVersion: "v1",
      kind: "Event",
      metadata: {
        name: `${name}.${this.rng.hex(16)}`,
        namespace: kind === "Node" ? "default" : this.ns,
        creationTimestamp: iso(first),
      },
      involvedObject: {
        kind,
        namespace: kind === "Node" ? undefined : this.ns,
        name,
        apiVersion,
        ...(fieldPath
          ? { fieldPath }
          : kind === "Pod" && component === "kubelet"
            ? {
                fieldPath: `spec.containers{${this.sys.containerName(name.replace(/-[a-z0-9]+-[a-z0-9]{5}$|-\d+$/, ""))}}`,
              }
            : {}),
      },
      reason,
      message,
      source: host ? { component, host } : { component },
      firstTimestamp: iso(first),
      lastTimestamp: iso(lastT),
      count,
      type,
      eventTime: scheduler ? isoMicro(first) : null,
      reportingComponent: scheduler ? "default-scheduler" : component,
    });
  }

  /** Victims: every service upstream of `origin` (BFS over callers). */
  propagate(origin: string, depthOffset = 0): void {
    const o = this.effects.get(origin) as Effect;
    const rng = this.rng;
    const latOut = o.latOut ?? o.latRel;
    const errOut = o.errOut ?? o.err;
    const queue: Array<[string, number, string]> = (this.callers.get(origin) ?? []).map((c) => [c, 1, origin]);
    const seen = new Set<string>([origin]);
    while (queue.length) {
      const [s, d, next] = queue.shift() as [string, number, string];
      if (seen.has(s)) continue;
      seen.add(s);
      this.victims.set(s, { depth: d + depthOffset, next });
      const vr = this.victimsLouder ? rng.range(1.25, 1.9) : rng.range(0.45, 0.85);
      const decay = 0.93 ** (d - 1);
      const latencyDriven = latOut >= 0.6;
      const latRel = latencyDriven ? latOut * vr * decay : rng.range(0.25, 0.7) * (this.victimsLouder ? 1.5 : 1);
      let err = Math.min(0.9, errOut * vr * decay);
      if (latencyDriven && latOut > 2)
        err = Math.min(0.9, err + rng.range(0.03, 0.12) * (this.victimsLouder ? 1.6 : 0.8));
      this.effects.set(s, {
        onset: o.onset + this.lag(d + depthOffset) - this.lag(depthOffset),
        ramp: [rng.range(0.5, 0.8)],
        latRel,
        err,
        rateMul: 1,
        cpuMul: err > 0.3 ? 0.85 : 1.05,
        throttle: 0,
        socket: latencyDriven ? 1 + Math.min(3, latRel * 0.4) : 1.1,
      });
      for (const c of this.callers.get(s) ?? []) queue.push([c, d + 1, s]);
    }
  }

  intensity(e: Effect | undefined, i: number): number {
    if (!e || i < e.onset) return 0;
    return e.ramp[i - e.onset] ?? 1;
  }

  setCause(name: string, e: Partial<Effect>): Effect {
    const full: Effect = {
      onset: this.causeOnset,
      ramp: [this.rng.range(0.6, 0.85)],
      latRel: 0,
      err: 0,
      rateMul: 1,
      cpuMul: 1,
      throttle: 0,
      socket: 1,
      ...e,
    };
    this.effects.set(name, full);
    return full;
  }

  pushCauseLogs(level: string, lines: string[], perStep: number, fromIdx = this.causeOnset, pods?: string[]): void {
    this.causeLogs.push({ svc: this.spec.cause as string, level, lines, perStep, fromIdx, pods });
  }

  pushCauseLogsFor(
    svcName: string,
    level: string,
    lines: string[],
    perStep: number,
    fromIdx: number,
    pods?: string[],
  ): void {
    this.causeLogs.push({ svc: svcName, level, lines, perStep, fromIdx, pods });
  }

  /** Kubelet restart back-off (10 s doubling, capped at 5 min) after a crash at `first`: restart times up to `now`. */
  crashSchedule(p: PodState, first: number): void {
    let t = first;
    let backoff = 10_000;
    while (t <= this.now - 1000) {
      p.restartTimes.push(t);
      p.restartsAt.push(this.idxOf(t));
      t += backoff + this.rng.int(4, 20) * 1000;
      backoff = Math.min(backoff * 2, 300_000);
    }
  }

  short(): boolean {
    return this.spec.short === true;
  }

  benignChanges(causeName: string | undefined): void {
    const rng = this.rng;
    const candidates = this.sys.services.filter(
      (s) => s.name !== causeName && s.workload === "Deployment" && s.role !== "batch" && s.name !== this.spec.victim,
    );
    const latest = Math.max(1, this.causeOnset - 2);
    const n = rng.int(1, 2);
    for (let k = 0; k < n; k++) {
      const s = rng.pick(candidates);
      const idx = rng.int(1, Math.max(1, latest));
      const t = this.T(idx) - rng.int(5, Math.floor(this.step / 1000) - 1) * 1000;
      if (t < this.t0) continue;
      if (
        rng.chance(0.6) &&
        this.livePods(s.name, idx).length > 0 &&
        !this.changes.some((c) => c.entity.name === s.name)
      ) {
        const parts = s.version.split(".");
        const bumped = [...parts.slice(0, -1), String(Number(parts[parts.length - 1]) + 1)].join(".");
        const fresh = this.rollout(s.name, idx, t, { image: this.sys.image(s, bumped) });
        for (const p of fresh) this.startedEvents(p, p.createdAt);
      } else if (s.config) {
        const key = rng.pick(Object.keys(s.config));
        this.changes.push({
          t,
          entity: { kind: "ConfigMap", namespace: this.ns, name: `${s.name}-config` },
          type: "config_change",
          description: `data.LOG_LEVEL info -> debug; ${key} unchanged (annotation owner=platform-team)`,
        });
      } else {
        this.changes.push({
          t,
          entity: { kind: "Deployment", namespace: this.ns, name: s.name },
          type: "annotation",
          description: 'metadata.annotations["oncall"] updated (no pod template change)',
        });
      }
    }
    // A benign change on a victim, shortly before the fault (red herring).
    if (causeName && rng.chance(0.45)) {
      const vs = [...(this.callers.get(causeName) ?? [])].filter((v) => this.svc(v).workload === "Deployment");
      const v = vs.length ? rng.pick(vs) : undefined;
      if (v && !this.changes.some((c) => c.entity.name === v)) {
        const idx = Math.max(1, this.causeOnset - rng.int(1, 2));
        const t = this.T(idx) - rng.int(2, Math.max(3, Math.floor(this.step / 1000) - 2)) * 1000;
        const vd = this.svc(v);
        if (rng.chance(0.5)) {
          this.changes.push({
            t,
            entity: { kind: "ConfigMap", namespace: this.ns, name: `${v}-config` },
            type: "config_change",
            description: "data.LOG_LEVEL info -> debug",
          });
        } else {
          const parts = vd.version.split(".");
          const bumped = [...parts.slice(0, -1), String(Number(parts[parts.length - 1]) + 1)].join(".");
          const fresh = this.rollout(v, idx, t, { image: this.sys.image(vd, bumped) });
          for (const p of fresh) this.startedEvents(p, p.createdAt);
        }
      }
    }
    // An HPA adjusting a little, unrelated.
    if (rng.chance(0.4)) {
      const hs = this.sys.services.filter((s) => s.hpa && s.name !== causeName);
      if (hs.length) {
        const s = rng.pick(hs);
        const t = this.T(rng.int(1, Math.max(1, latest))) - 7000;
        if (t >= this.t0)
          this.event(
            "HorizontalPodAutoscaler",
            s.name,
            "Normal",
            "SuccessfulRescale",
            `New size: ${s.replicas}; reason: All metrics below target`,
            t,
            "horizontal-pod-autoscaler",
          );
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Scenarios

function bump(version: string, rng: Rng): string {
  const parts = version.split(".");
  const last = Number(parts[parts.length - 1]);
  return [...parts.slice(0, -1), String(last + rng.int(1, 3))].join(".");
}

function langError(lang: Lang, svcName: string, rng: Rng): string[] {
  switch (lang) {
    case "java":
      return [
        `ERROR [http-nio-8080-exec-${rng.int(1, 200)}] o.a.c.c.C.[.[.[/].[dispatcherServlet] - Servlet.service() threw exception: java.lang.NullPointerException: Cannot invoke "java.math.BigDecimal.scale()" because "amount" is null`,
        `ERROR [http-nio-8080-exec-${rng.int(1, 200)}] c.${svcName.replace(/-/g, "")}.api.Handler - request failed: java.lang.IllegalStateException: currency code must not be empty`,
        "\tat com.internal.core.Pricing.normalize(Pricing.java:118)",
      ];
    case "go":
      return [
        "panic: runtime error: invalid memory address or nil pointer dereference [signal SIGSEGV: segmentation violation code=0x1 addr=0x28 pc=0x8a1f3c]",
        `level=error msg="handler panicked, recovered" err="runtime error: index out of range [3] with length 3" svc=${svcName}`,
      ];
    case "node":
      return [
        `{"level":"error","msg":"unhandled error in request","err":"TypeError: Cannot read properties of undefined (reading 'quantity')","svc":"${svcName}"}`,
        `{"level":"error","msg":"request failed","status":500,"err":"TypeError: items.map is not a function"}`,
      ];
    case "python":
      return [
        "ERROR handler: Traceback (most recent call last): ... KeyError: 'rate_source'",
        "ERROR handler: unhandled exception in rpc: TypeError: unsupported operand type(s) for *: 'Decimal' and 'NoneType'",
      ];
    default:
      return [`[error] request failed in ${svcName}`];
  }
}

function fmt(lang: Lang, level: string, msg: string): string {
  switch (lang) {
    case "java":
      return `${level.toUpperCase().padEnd(5)} [http-nio-8080-exec-${(msg.length * 7) % 97}] c.app.Service - ${msg}`;
    case "go":
      return `level=${level} msg=${JSON.stringify(msg)}`;
    case "node":
      return JSON.stringify({ level, msg });
    case "python":
      return `${level.toUpperCase()} app: ${msg}`;
    case "nginx":
      return `[${level === "error" ? "error" : level === "warn" ? "warn" : "notice"}] 31#31: ${msg}`;
    case "postgres":
      return `${level === "error" ? "FATAL" : "LOG"}:  ${msg}`;
    case "redis":
      return `1:M # ${msg}`;
  }
}

function applyScenario(b: CaseBuilder): void {
  const { rng, spec, sys } = b;
  const sc = spec.scenario;
  if (sc === "control") {
    b.benignChanges(undefined);
    if (spec.variant === "benign-deploy" || rng.chance(0.5)) {
      const s = rng.pick(sys.services.filter((x) => x.workload === "Deployment" && x.role === "app"));
      if (!b.changes.some((c) => c.entity.name === s.name)) {
        const idx = Math.max(1, b.alertIdx - rng.int(1, 3));
        const fresh = b.rollout(s.name, idx, b.T(idx) - rng.int(3, 40) * 1000, {
          image: sys.image(s, bump(s.version, rng)),
        });
        for (const p of fresh) b.startedEvents(p, p.createdAt);
      }
    }
    // One benign warning that resolves by itself.
    const p = rng.pick(b.pods.filter((x) => x.from === 0 && x.to > b.nowIdx && b.svc(x.svc).role === "app"));
    if (p)
      b.event(
        "Pod",
        p.name,
        "Warning",
        "Unhealthy",
        `Readiness probe failed: Get "http://${p.ip}:8080/ready": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
        b.T(rng.int(1, b.alertIdx)) - 9000,
        "kubelet",
        p.node,
      );
    b.alertSpike = rng.range(1.7, 2.2);
    return;
  }
  const cause = spec.cause as string;
  const def = b.svc(cause);
  const dep = b.deploys.get(cause) as DeployState;
  const onset = b.causeOnset;
  const tInj = b.injectedAt;
  const cname = sys.containerName(cause);
  b.entity = cause;
  b.aliases = [cause];
  b.benignChanges(cause);

  switch (sc) {
    case "config-rollout": {
      const cfg = def.config ?? { "app.mode": "default" };
      const key = rng.pick(Object.keys(cfg));
      const from = cfg[key] as string;
      const to = /url|addr|HOST|DSN/i.test(key)
        ? from.replace(/:\d+|\.example|postgres|svc-/, (m) => (m.startsWith(":") ? ":16379" : `${m}-v2`))
        : /timeout|TTL|INTERVAL|REFRESH/i.test(key)
          ? "0s"
          : /^\d+$/.test(from)
            ? "0"
            : from === "true"
              ? "strict"
              : `${from}x`;
      b.configMapChanged = { svc: cause, key, from, to };
      b.changes.push({
        t: tInj,
        entity: { kind: "ConfigMap", namespace: b.ns, name: `${cause}-config` },
        type: "config_change",
        description: `data.${key}: ${JSON.stringify(from)} -> ${JSON.stringify(to)}`,
      });
      b.entity = `${cause}-config`;
      b.aliases = [cause, `${cause}-config`];
      b.setCause(cause, { err: rng.range(0.25, 0.55), latRel: rng.range(0.15, 0.5), cpuMul: 0.9, errOut: undefined });
      b.pushCauseLogs(
        "info",
        [`config reloaded from /etc/${cause}/config.yaml (checksum ${dep.configChecksum} -> ${rng.hex(12)})`],
        0.2,
        onset,
      );
      b.pushCauseLogs(
        "error",
        [
          `invalid configuration value for ${key}=${JSON.stringify(to)}: request rejected`,
          `failed to handle ${rng.pick(def.ops)}: config ${key} is invalid (${JSON.stringify(to)})`,
          /url|addr|HOST|DSN/i.test(key)
            ? `dial tcp: lookup ${to.replace(/^.*\/\//, "").split(/[:/]/)[0]}: no such host`
            : `validation failed: ${key} must be > 0, got ${JSON.stringify(to)}`,
        ],
        rng.range(6, 10),
      );
      b.victimKind = "5xx";
      break;
    }
    case "bad-image-rollout": {
      const v = bump(def.version, rng);
      const fresh = b.rollout(cause, onset, tInj, { image: sys.image(def, v) });
      for (const p of fresh) b.startedEvents(p, p.createdAt);
      b.entity = cause;
      b.aliases = [cause, ...fresh.map((p) => p.name)];
      b.setCause(cause, { err: rng.range(0.2, 0.45), latRel: rng.range(0.3, 0.9), cpuMul: 1.15 });
      b.pushCauseLogs("info", [`starting ${cause} ${v} (build ${rng.hex(7)})`], 0.3, onset);
      b.pushCauseLogs("error", langError(def.lang, cause, rng), rng.range(6, 11));
      b.victimKind = "5xx";
      break;
    }
    case "oom-after-limit-change": {
      const newLimit = Math.round((def.memBaseMi * rng.range(1.05, 1.2)) / 32) * 32;
      const rIdx = Math.max(1, onset - (b.step === S300 ? 0 : 1));
      const rT = b.step === S300 ? tInj : b.T(rIdx) - rng.int(3, 20) * 1000;
      const fresh = b.rollout(cause, rIdx, rT, {
        memLimitMi: newLimit,
        type: "resources_change",
        description: `resources.limits.memory ${def.memLimitMi}Mi -> ${newLimit}Mi (revision ${dep.revision + 1}, "right-size memory")`,
      });
      for (const p of fresh) b.startedEvents(p, p.createdAt);
      const per = b.step === S300 ? 0.5 : b.step === S60 ? 2 : 6; // steps between kills
      fresh.forEach((p, k) => {
        let next = onset + (k % 2) * Math.max(1, Math.floor(per / 2));
        while (next <= b.nowIdx) {
          const n = b.step === S300 ? rng.int(1, 2) : 1;
          for (let r = 0; r < n; r++) {
            p.restartsAt.push(next);
            p.restartTimes.push(b.T(next) - rng.int(2, Math.floor(b.step / 1000) - 1) * 1000);
          }
          next += Math.max(1, Math.round(per * rng.range(0.8, 1.4)));
        }
        p.memLimitMi = newLimit;
        p.mem = (i) => {
          if (i < p.from) return def.memBaseMi;
          const last = [...p.restartsAt].reverse().find((r) => r <= i);
          const since = last === undefined ? i - p.from : i - last;
          const frac =
            b.step === S300
              ? rng.range(0.8, 0.98)
              : last === i
                ? 0.55
                : Math.min(0.985, 0.62 + 0.14 * since + rng.range(0, 0.05));
          return newLimit * frac;
        };
        p.lastTerminated = p.restartsAt.length ? { reason: "OOMKilled", exitCode: 137 } : undefined;
        if (p.restartsAt.length >= 3 && k === 0)
          p.waiting = {
            reason: "CrashLoopBackOff",
            message: `back-off 40s restarting failed container=${cname} pod=${p.name}_${b.ns}(${rng.uuid()})`,
          };
        const down = new Set(b.step === S300 ? [] : p.restartsAt);
        p.serving = (i) => !down.has(i);
      });
      const first = fresh[0] as PodState;
      b.entity = first.name;
      b.aliases = [cause, ...fresh.map((p) => p.name)];
      b.setCause(cause, {
        err: rng.range(0.08, 0.2),
        latRel: rng.range(0.6, 1.4),
        cpuMul: 1.35,
        errOut: rng.range(0.12, 0.3),
        latOut: rng.range(0.8, 1.6),
      });
      for (const p of fresh) {
        for (let k = 0; k < p.restartTimes.length; k++) {
          const rt = p.restartTimes[k] as number;
          b.extraLogs.push({
            t: rt - rng.int(2000, 9000),
            labels: { service: cause, pod: p.name, level: "warn" },
            line: fmt(
              def.lang,
              "warn",
              `heap/rss at ${rng.int(93, 99)}% of container limit ${newLimit}Mi, GC pause ${rng.int(300, 1400)}ms`,
            ),
          });
          b.extraLogs.push({
            t: rt + rng.int(4000, 12000),
            labels: { service: cause, pod: p.name, level: "info" },
            line: fmt(
              def.lang,
              "info",
              `starting ${cause} ${def.version} (pid 1), previous container exited with code 137`,
            ),
          });
        }
        if (p.restartTimes.length) {
          const firstT = Math.min(...p.restartTimes);
          const lastT = Math.max(...p.restartTimes);
          b.event(
            "Node",
            p.node,
            "Warning",
            "OOMKilling",
            `Memory cgroup out of memory: Killed process ${rng.int(2000, 40000)} (${def.lang === "java" ? "java" : cause}) total-vm:${rng.int(2, 6)}123456kB, anon-rss:${newLimit * 1024 - rng.int(100, 3000)}kB, file-rss:${rng.int(10000, 40000)}kB, shmem-rss:0kB, UID:1000 pgtables:${rng.int(1000, 4000)}kB oom_score_adj:${rng.int(900, 999)}`,
            firstT,
            "kernel-monitor",
            p.node,
            p.restartTimes.length,
            lastT,
          );
          if (p.restartTimes.length >= 2)
            b.event(
              "Pod",
              p.name,
              "Warning",
              "BackOff",
              `Back-off restarting failed container ${cname} in pod ${p.name}_${b.ns}(${rng.uuid()})`,
              firstT + 15000,
              "kubelet",
              p.node,
              p.restartTimes.length - 1,
              lastT + 15000,
            );
        }
      }
      b.victimKind = "reset";
      break;
    }
    case "crashloop": {
      let crashing: PodState[];
      if (spec.variant === "rollout") {
        const v = bump(def.version, rng);
        crashing = b.rollout(cause, onset, tInj, {
          image: sys.image(def, v),
          newCount: 1,
          oldKeep: Math.max(1, dep.desired - 1),
        });
        b.pushCauseLogs(
          "info",
          [`starting ${cause} ${v}`],
          0.5,
          onset,
          crashing.map((p) => p.name),
        );
      } else {
        crashing = b.livePods(cause, onset);
      }
      for (const p of crashing) {
        b.crashSchedule(p, Math.max(tInj, p.createdAt) + rng.int(3, 12) * 1000);
        p.waiting = {
          reason: "CrashLoopBackOff",
          message: `back-off ${rng.pick(["1m20s", "2m40s", "5m0s"])} restarting failed container=${cname} pod=${p.name}_${b.ns}(${rng.uuid()})`,
        };
        p.lastTerminated = { reason: "Error", exitCode: def.lang === "go" ? 2 : 1 };
        p.ready = false;
        p.serving = (i) => i < onset;
        const ft = Math.min(...p.restartTimes);
        const lt = Math.max(...p.restartTimes);
        b.event(
          "Pod",
          p.name,
          "Warning",
          "BackOff",
          `Back-off restarting failed container ${cname} in pod ${p.name}_${b.ns}(${rng.uuid()})`,
          ft + 10000,
          "kubelet",
          p.node,
          Math.max(1, p.restartTimes.length * 3),
          lt + 10000,
        );
        b.event(
          "Pod",
          p.name,
          "Normal",
          "Pulled",
          `Container image "${p.image}" already present on machine`,
          ft + 2000,
          "kubelet",
          p.node,
          p.restartTimes.length,
          lt + 2000,
        );
      }
      b.entity = (crashing[0] as PodState).name;
      b.aliases = [cause, ...crashing.map((p) => p.name)];
      const fatal =
        def.lang === "python"
          ? [
              "Traceback (most recent call last):",
              '  File "/app/rates/loader.py", line 88, in load_snapshot',
              "KeyError: 'eur_chf'",
              "worker exited with code 1",
            ]
          : def.lang === "java"
            ? [
                `ERROR [main] c.${cause}.Application - Application run failed: java.lang.ArrayIndexOutOfBoundsException: Index 3 out of bounds for length 3`,
                "\tat com.payments.settlement.BatchParser.parse(BatchParser.java:212)",
                `ERROR [kafka-consumer-1] c.${cause}.SettlementConsumer - poison message at offset ${rng.int(100000, 999999)} on topic settlements-v2, aborting`,
              ]
            : langError(def.lang, cause, rng);
      b.pushCauseLogs(
        "error",
        fatal,
        rng.range(4, 8),
        onset,
        crashing.map((p) => p.name),
      );
      b.setCause(cause, {
        err: rng.range(0.15, 0.35),
        latRel: rng.range(0.8, 1.8),
        rateMul: 0.8,
        cpuMul: 1.4,
        errOut: rng.range(0.2, 0.4),
      });
      b.victimKind = spec.variant === "rollout" ? "5xx" : "reset";
      break;
    }
    case "image-pull-backoff": {
      const v = `${bump(def.version, rng)}-rc${rng.int(1, 3)}`;
      const badImage = sys.image(def, v);
      const oldCount = b.livePods(cause, onset).length;
      const fresh = b.rollout(cause, onset, tInj, {
        image: badImage,
        newCount: Math.min(2, oldCount),
        oldKeep: oldCount - 1,
      });
      for (const p of fresh) {
        p.phase = "Pending";
        p.ready = false;
        p.emitsMetrics = false;
        p.serving = () => false;
        p.waiting = rng.chance(0.5)
          ? { reason: "ImagePullBackOff", message: `Back-off pulling image "${badImage}"` }
          : {
              reason: "ErrImagePull",
              message: `rpc error: code = NotFound desc = failed to pull and unpack image "${badImage}": not found`,
            };
        const t = p.createdAt + 1500;
        const n = Math.max(2, Math.round((b.now - t) / 40000));
        b.event(
          "Pod",
          p.name,
          "Normal",
          "Pulling",
          `Pulling image "${badImage}"`,
          t,
          "kubelet",
          p.node,
          n,
          b.now - 20000,
        );
        b.event(
          "Pod",
          p.name,
          "Warning",
          "Failed",
          `Failed to pull image "${badImage}": rpc error: code = NotFound desc = failed to pull and unpack image "${badImage}": failed to resolve reference "${badImage}": ${badImage.split(":")[0]}: not found`,
          t + 900,
          "kubelet",
          p.node,
          n,
          b.now - 19000,
        );
        b.event(
          "Pod",
          p.name,
          "Warning",
          "Failed",
          "Error: ErrImagePull",
          t + 950,
          "kubelet",
          p.node,
          n,
          b.now - 19000,
        );
        b.event(
          "Pod",
          p.name,
          "Normal",
          "BackOff",
          `Back-off pulling image "${badImage}"`,
          t + 2000,
          "kubelet",
          p.node,
          n * 2,
          b.now - 5000,
        );
        b.event(
          "Pod",
          p.name,
          "Warning",
          "Failed",
          "Error: ImagePullBackOff",
          t + 2000,
          "kubelet",
          p.node,
          n * 2,
          b.now - 5000,
        );
      }
      b.entity = cause;
      b.aliases = [cause, ...fresh.map((p) => p.name)];
      b.setCause(cause, {
        latRel: rng.range(1.0, 2.2),
        err: rng.range(0.02, 0.07),
        cpuMul: 1.25,
        throttle: rng.range(0.2, 0.4),
        latOut: rng.range(1.2, 2.5),
        errOut: rng.range(0.05, 0.15),
      });
      b.pushCauseLogs(
        "warn",
        [
          `request queue depth ${rng.int(80, 400)} exceeds soft limit 64`,
          `slow request: ${rng.pick(def.ops)} took ${rng.int(900, 3000)}ms`,
        ],
        rng.range(2, 5),
      );
      b.victimKind = "timeout";
      break;
    }
    case "unschedulable-pods": {
      b.entity = cause;
      let pending: PodState[];
      const msg = `0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.`;
      const surgeIdx = Math.max(1, onset - (b.short() ? 1 : rng.int(2, 3)));
      if (spec.variant === "scale-up") {
        const surge = rng.range(1.6, 2.1);
        b.traffic = (i) => (i < surgeIdx ? 1 : i === surgeIdx ? 1 + (surge - 1) * 0.5 : surge);
        const hash = dep.rsHashes[dep.rsHashes.length - 1]?.hash ?? "";
        const newDesired = dep.desired + rng.int(2, 3);
        pending = [];
        for (let k = dep.desired; k < newDesired; k++)
          pending.push(b.addPod(cause, hash, dep.revision, dep.image, onset, tInj + rng.int(1, 5) * 1000, k));
        b.changes.push({
          t: tInj,
          entity: { kind: "Deployment", namespace: b.ns, name: cause },
          type: "scale",
          description: `replicas ${dep.desired} -> ${newDesired} (manual scale-up for traffic spike)`,
        });
        dep.desired = newDesired;
        b.event(
          "Deployment",
          cause,
          "Normal",
          "ScalingReplicaSet",
          `Scaled up replica set ${cause}-${hash} to ${newDesired} from ${newDesired - pending.length}`,
          tInj + 300,
          "deployment-controller",
        );
      } else {
        const newReq = Math.max(2, Math.round(def.cpuReq * 6));
        const oldCount = b.livePods(cause, onset).length;
        pending = b.rollout(cause, onset, tInj, {
          cpuReq: newReq,
          newCount: 2,
          oldKeep: oldCount - 1,
          type: "resources_change",
          description: `resources.requests.cpu ${def.cpuReq * 1000}m -> ${newReq * 1000}m (revision ${dep.revision + 1})`,
        });
        b.traffic = (i) => (i < surgeIdx ? 1 : rng.range(1.15, 1.25));
      }
      for (const p of pending) {
        p.phase = "Pending";
        p.ready = false;
        p.emitsMetrics = false;
        p.serving = () => false;
        p.unschedulable = msg;
        b.event(
          "Pod",
          p.name,
          "Warning",
          "FailedScheduling",
          msg,
          p.createdAt + 100,
          "default-scheduler",
          undefined,
          Math.max(1, Math.round((b.now - p.createdAt) / 30000)),
          b.now - 3000,
        );
      }
      b.aliases = [cause, ...pending.map((p) => p.name)];
      b.setCause(cause, {
        cpuMul: spec.variant === "scale-up" ? 1.1 : 1.5,
        throttle: rng.range(0.25, 0.5),
        latRel: rng.range(1.0, 2.0),
        err: rng.range(0.01, 0.05),
        errOut: rng.range(0.04, 0.12),
      });
      b.pushCauseLogs(
        "warn",
        [
          `worker saturation: ${rng.int(95, 100)}% busy, request queue ${rng.int(100, 500)}`,
          `slow request ${rng.pick(def.ops)} ${rng.int(800, 4000)}ms`,
        ],
        rng.range(2, 5),
      );
      b.victimKind = "timeout";
      break;
    }
    case "failing-readiness": {
      let bad: PodState[];
      if (spec.variant === "rollout") {
        const v = bump(def.version, rng);
        const oldCount = b.livePods(cause, onset).length;
        bad = b.rollout(cause, onset, tInj, { image: sys.image(def, v), newCount: oldCount, oldKeep: 0 });
        for (const p of bad) b.startedEvents(p, p.createdAt);
        bad = bad.slice(0, Math.max(1, bad.length - 1));
        for (const p of bad) {
          p.ready = false;
          p.serving = () => false;
          b.event(
            "Pod",
            p.name,
            "Warning",
            "Unhealthy",
            `Readiness probe failed: HTTP probe failed with statuscode: 404`,
            p.createdAt + 15000,
            "kubelet",
            p.node,
            Math.max(1, Math.round((b.now - p.createdAt) / 10000)),
            b.now - 2000,
          );
        }
        b.pushCauseLogs(
          "warn",
          [`GET ${dep.readinessPath} 404 0ms (route not registered)`],
          rng.range(3, 6),
          onset,
          bad.map((p) => p.name),
        );
        b.setCause(cause, {
          latRel: rng.range(1.0, 2.0),
          err: rng.range(0.06, 0.18),
          cpuMul: 1.3,
          throttle: rng.range(0.1, 0.3),
          errOut: rng.range(0.15, 0.35),
        });
      } else {
        const live = b.livePods(cause, onset);
        bad = live.slice(0, Math.max(1, live.length - 1));
        for (const p of bad) {
          p.ready = false;
          p.serving = (i) => i < onset;
          p.cpuBoost = (i) => (i >= onset ? 2.5 : 1);
          b.event(
            "Pod",
            p.name,
            "Warning",
            "Unhealthy",
            `Readiness probe failed: Get "http://${p.ip}:${def.port}${dep.readinessPath}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
            tInj + 10000,
            "kubelet",
            p.node,
            Math.max(1, Math.round((b.now - tInj) / 10000)),
            b.now - 1000,
          );
        }
        b.pushCauseLogs(
          "error",
          [
            `readiness handler blocked: event loop lag ${rng.int(1500, 5000)}ms`,
            `goroutine pool exhausted in flush loop (${rng.int(512, 1024)} waiting)`,
          ],
          rng.range(3, 6),
          onset,
          bad.map((p) => p.name),
        );
        b.setCause(cause, {
          latRel: rng.range(1.2, 2.4),
          err: rng.range(0.08, 0.2),
          cpuMul: 1.2,
          errOut: rng.range(0.2, 0.4),
        });
      }
      b.entity = (bad[0] as PodState).name;
      b.aliases = [cause, ...bad.map((p) => p.name)];
      b.victimKind = "unavailable";
      break;
    }
    case "db-down": {
      const pod = b.livePods(cause, onset)[0] as PodState;
      b.crashSchedule(pod, tInj);
      pod.ready = false;
      pod.serving = (i) => i < onset;
      pod.waiting = {
        reason: "CrashLoopBackOff",
        message: `back-off 1m20s restarting failed container=${cname} pod=${pod.name}_${b.ns}(${rng.uuid()})`,
      };
      pod.lastTerminated = { reason: "Error", exitCode: def.role === "db" ? 1 : 139 };
      pod.mem = (i) => (i < onset ? def.memBaseMi * rng.noise(0.005) : def.memBaseMi * rng.range(0.05, 0.2));
      pod.cpuBoost = (i) => (i < onset ? 1 : 0.05);
      b.entity = pod.name;
      b.aliases = [...(sys.dbAliases[cause] ?? [cause, pod.name])];
      b.setCause(cause, {
        down: true,
        rateMul: 0.02,
        err: 0,
        latRel: 0,
        cpuMul: 0.05,
        errOut: rng.range(0.55, 0.85),
        latOut: 0.3,
      });
      const ft = Math.min(...pod.restartTimes);
      const probe =
        def.role === "db"
          ? `Readiness probe failed: command "pg_isready -U app -h 127.0.0.1" returned 2: 127.0.0.1:5432 - no response`
          : "Readiness probe failed: Could not connect to Redis at 127.0.0.1:6379: Connection refused";
      b.event(
        "Pod",
        pod.name,
        "Warning",
        "Unhealthy",
        probe,
        ft + 3000,
        "kubelet",
        pod.node,
        pod.restartTimes.length * 4,
        b.now - 4000,
      );
      b.event(
        "Pod",
        pod.name,
        "Warning",
        "BackOff",
        `Back-off restarting failed container ${cname} in pod ${pod.name}_${b.ns}(${rng.uuid()})`,
        ft + 20000,
        "kubelet",
        pod.node,
        pod.restartTimes.length * 2,
        b.now - 8000,
      );
      b.event(
        "StatefulSet",
        cause,
        "Warning",
        "RecreatingFailedPod",
        `StatefulSet ${b.ns}/${cause} is recreating failed Pod ${pod.name}`,
        ft + 500,
        "statefulset-controller",
      );
      const lines =
        def.role === "db"
          ? [
              `server process (PID ${rng.int(100, 9000)}) was terminated by signal 9: Killed`,
              "terminating any other active server processes",
              "the database system is in recovery mode",
              `database system was interrupted; last known up at ${iso(ft - 60000)}`,
            ]
          : [
              "Error accepting a client connection: Too many open files",
              "Fatal error loading the DB: Invalid argument. Exiting.",
              "Redis is starting oO0OoO0OoO0Oo",
            ];
      b.pushCauseLogs("error", lines, rng.range(1.5, 3));
      b.victimKind = "refused";
      break;
    }
    case "blocked-callee": {
      const poolMax = rng.pick([20, 32, 50, 200]);
      b.setCause(cause, {
        latRel: rng.range(9, 20),
        err: rng.range(0.03, 0.08),
        cpuMul: 0.7,
        socket: rng.range(3, 5),
        errOut: rng.range(0.15, 0.3),
        stall: rng.range(0.25, 0.45),
      });
      b.pushCauseLogs(
        "warn",
        def.lang === "java"
          ? [
              `HikariPool-1 - Connection is not available, request timed out after 30000ms (total=${poolMax}, active=${poolMax}, idle=0, waiting=${rng.int(40, 300)})`,
              `worker pool exhausted (${poolMax}/${poolMax} busy), queueing request`,
            ]
          : [
              `connection pool exhausted: ${poolMax}/${poolMax} in use, ${rng.int(40, 300)} waiters`,
              `lock wait on table rates exceeded 5s (pid ${rng.int(1000, 9000)})`,
            ],
        rng.range(3, 6),
      );
      b.victimKind = "timeout";
      break;
    }
    case "hpa-at-max": {
      const hpa = def.hpa ?? { min: 2, max: 4, target: 70 };
      const surgeIdx = Math.max(1, onset - (b.short() ? 1 : rng.int(2, 4)));
      const surge = rng.range(1.9, 2.4);
      b.traffic = (i) => (i < surgeIdx ? 1 : i === surgeIdx ? 1 + (surge - 1) * 0.6 : surge);
      const hash = dep.rsHashes[dep.rsHashes.length - 1]?.hash ?? "";
      let cur = dep.desired;
      const stepsToMax = Math.max(1, onset - surgeIdx);
      for (let k = 0; k < stepsToMax && cur < hpa.max; k++) {
        const idx = surgeIdx + k;
        const next = k === stepsToMax - 1 ? hpa.max : Math.min(hpa.max, cur + Math.ceil((hpa.max - cur) / 2));
        const t = b.T(idx) + rng.int(5, Math.floor(b.step / 1000) - 5) * 1000;
        for (let r = cur; r < next; r++) {
          const p = b.addPod(cause, hash, dep.revision, dep.image, idx + 1, t + rng.int(1, 4) * 1000, r);
          b.startedEvents(p, p.createdAt);
        }
        b.changes.push({
          t,
          entity: { kind: "HorizontalPodAutoscaler", namespace: b.ns, name: cause },
          type: "scale",
          description: `replicas ${cur} -> ${next} (cpu utilization ${rng.int(hpa.target + 15, hpa.target + 40)}% of request, target ${hpa.target}%)`,
        });
        b.event(
          "HorizontalPodAutoscaler",
          cause,
          "Normal",
          "SuccessfulRescale",
          `New size: ${next}; reason: cpu resource utilization (percentage of request) above target`,
          t,
          "horizontal-pod-autoscaler",
        );
        b.event(
          "Deployment",
          cause,
          "Normal",
          "ScalingReplicaSet",
          `Scaled up replica set ${cause}-${hash} to ${next} from ${cur}`,
          t + 300,
          "deployment-controller",
        );
        cur = next;
      }
      dep.desired = hpa.max;
      dep.hpaCurrent = hpa.max;
      dep.hpaDesired = hpa.max;
      dep.hpaCpu = rng.int(140, 190);
      b.hpaLimited = cause;
      b.setCause(cause, {
        cpuMul: 1.5,
        throttle: rng.range(0.3, 0.55),
        latRel: rng.range(1.3, 2.5),
        err: rng.range(0.01, 0.04),
        errOut: rng.range(0.04, 0.1),
      });
      b.pushCauseLogs(
        "warn",
        [
          `request queue saturated: ${rng.int(200, 900)} pending`,
          `slow request ${rng.pick(def.ops)} ${rng.int(700, 2500)}ms (cpu throttled)`,
        ],
        rng.range(2, 4),
      );
      b.victimKind = "timeout";
      break;
    }
    case "noisy-neighbour": {
      const victim = spec.victim as string;
      const vpod = b.livePods(victim, 0)[0] as PodState;
      const npod = b.livePods(cause, 0)[0] as PodState;
      npod.node = vpod.node;
      const nodeDef = sys.nodes.find((n) => n.name === vpod.node) as { cpu: number };
      const burn = nodeDef.cpu * rng.range(0.72, 0.85);
      npod.cpuBoost = (i) => (i < onset ? 1 : i === onset ? (burn / 0.03) * 0.7 : burn / 0.03);
      npod.mem = (i) => (i < onset ? b.svc(cause).memBaseMi : b.svc(cause).memBaseMi * rng.range(4, 6));
      if (sys.name === "ledger") {
        b.changes.push({
          t: tInj,
          entity: { kind: "Deployment", namespace: b.ns, name: cause },
          type: "scale",
          description: "replicas 0 -> 1",
        });
        npod.from = onset;
        npod.createdAt = tInj + 2000;
        b.startedEvents(npod, npod.createdAt);
        b.event(
          "Deployment",
          cause,
          "Normal",
          "ScalingReplicaSet",
          `Scaled up replica set ${cause}-${npod.rs} to 1 from 0`,
          tInj + 200,
          "deployment-controller",
        );
      }
      b.pushCauseLogs(
        "info",
        [
          `reindex batch ${rng.int(1, 999)} committed: ${rng.int(5000, 20000)} docs, ${rng.int(900, 3000)} docs/s`,
          `spawned ${rng.int(8, 16)} worker processes`,
        ],
        rng.range(1, 3),
        onset,
        [npod.name],
      );
      b.pushCauseLogs(
        "info",
        [`starting full reindex of ${rng.int(2, 9)}.${rng.int(1, 9)}M documents (workers=auto)`],
        0.3,
        onset,
        [npod.name],
      );
      b.entity = npod.name;
      b.aliases = [cause, npod.name];
      b.setCause(cause, { onset });
      // The victim is the origin of the latency that callers see.
      b.effects.set(victim, {
        onset: onset + b.lag(1),
        ramp: [rng.range(0.6, 0.85)],
        latRel: rng.range(1.3, 2.6),
        err: rng.range(0.005, 0.02),
        rateMul: 1,
        cpuMul: 1.1,
        throttle: rng.range(0.25, 0.45),
        socket: 1.4,
        partial: b.livePods(victim, 0).length > 1,
      });
      b.noisyNode = vpod.node;
      b.pushCauseLogsFor(
        victim,
        "warn",
        [`slow request ${rng.pick(b.svc(victim).ops)} ${rng.int(400, 2500)}ms`],
        rng.range(1, 3),
        onset + b.lag(1),
        [vpod.name],
      );
      b.propagate(victim, 1);
      b.victimKind = "timeout";
      return;
    }
    case "cpu-saturation": {
      b.setCause(cause, {
        cpuMul: 3.5,
        throttle: rng.range(0.35, 0.6),
        latRel: rng.range(1.5, 3),
        err: rng.range(0.01, 0.04),
        errOut: rng.range(0.03, 0.1),
      });
      b.pushCauseLogs(
        "warn",
        [
          `slow request ${rng.pick(def.ops)} took ${rng.int(600, 3000)}ms (cpu-bound: ${rng.pick(["regex evaluation", "json canonicalization", "signature verification"])})`,
        ],
        rng.range(2, 5),
      );
      b.victimKind = "timeout";
      break;
    }
    case "network-delay": {
      const delay = rng.int(200, 600);
      const lr = (delay / (b.baseLatMs.get(cause) as number)) * 0.9;
      b.setCause(cause, {
        latRel: Math.min(lr, 30),
        err: rng.range(0.0, 0.01),
        cpuMul: 0.95,
        socket: 1.8,
        latOut: Math.min(lr * 0.6, 12),
      });
      b.pushCauseLogs("warn", [`slow write to client socket: ${delay + rng.int(0, 80)}ms`], rng.range(0.5, 1.5));
      b.victimKind = "timeout";
      break;
    }
    case "silent-callee-failure": {
      // A feature flag flipped at runtime (no change feed records it; no rollout, no restart) makes the cause answer
      // most requests with an error that its own instrumentation does not count and that it does not log. Its callers
      // give up right after the call, skip the calls they would have made next, and answer 5xx. Every span has
      // status "unset": only the request paths in the traces and the metrics around the cause point at it.
      const share = rng.range(0.75, 0.9);
      b.victimsLouder = true;
      const ce = b.setCause(cause, { err: share, errUncounted: true, latRel: rng.range(0.04, 0.15), cpuMul: 0.95 });
      // Calls made after the cause's in the same request are skipped: those callees, and what they call, lose that
      // share of the traffic they got from there.
      const cut = new Set<string>();
      const mark = (node: CallNode): void => {
        const kids = node.children ?? [];
        const k = kids.findIndex((c) => c.svc === cause);
        if (k >= 0) for (const c of kids.slice(k + 1)) cut.add(`${node.svc}>${c.svc}`);
        kids.forEach(mark);
      };
      for (const r of sys.routes) mark(r.root);
      const rps = new Map<string, number>();
      for (const s of [...b.topo()].reverse()) {
        let r = s === sys.entry ? (b.baseRps.get(s) as number) : 0;
        for (const [c, callee, per] of sys.calls)
          if (callee === s) r += (rps.get(c) ?? 0) * per * (cut.has(`${c}>${s}`) ? 1 - share : 1);
        rps.set(s, r);
      }
      for (const [s, r] of rps) {
        const base = b.baseRps.get(s) as number;
        if (s === cause || base <= 0 || r >= base * 0.99) continue;
        const mul = r / base;
        b.effects.set(s, {
          onset: ce.onset,
          ramp: [...ce.ramp],
          latRel: 0,
          err: 0,
          rateMul: mul,
          cpuMul: 1,
          throttle: 0,
          socket: 0.5 + 0.5 * mul,
        });
      }
      b.victimKind = "5xx";
      b.propagate(cause);
      // Only requests whose path reaches the cause fail, and a caller that gives up early answers faster, not slower.
      const reaches = (n: CallNode): boolean => n.svc === cause || (n.children ?? []).some(reaches);
      const nodesOf = (n: CallNode, name: string): CallNode[] => [
        ...(n.svc === name ? [n] : []),
        ...(n.children ?? []).flatMap((c) => nodesOf(c, name)),
      ];
      for (const v of b.victims.keys()) {
        let all = 0;
        let hit = 0;
        for (const r of sys.routes) {
          const mine = nodesOf(r.root, v);
          if (mine.length === 0) continue;
          all += r.weight;
          if (mine.some(reaches)) hit += r.weight;
        }
        const frac = all > 0 ? hit / all : 1;
        const ve = b.effects.get(v) as Effect;
        ve.err = Math.min(0.9, share * frac * rng.range(0.92, 1.05));
        ve.latRel = -share * frac * rng.range(0.1, 0.3);
        ve.cpuMul = 1 - 0.3 * share * frac;
      }
      return;
    }
  }
  b.propagate(cause);
}

// ---------------------------------------------------------------------------------------------------------------
// Emission: metrics

interface Series {
  name: string;
  kind: string;
  labels: Record<string, string>;
  points: Array<[number, number | null]>;
}

function metricNames(def: SvcDef, sys: SystemDef): { prefix: string } {
  if (def.role === "db") return { prefix: "db_query" };
  if (def.role === "cache") return { prefix: "redis_command" };
  return { prefix: sys.metricPrefix };
}

function buildMetrics(b: CaseBuilder): {
  series: Series[];
  entry: { p90: number[]; err: number[]; baseP90: number; baseErr: number };
} {
  const { rng, sys } = b;
  const series: Series[] = [];
  const svcRate = new Map<string, number[]>();
  const entryP90: number[] = [];
  const entryErr: number[] = [];
  for (const def of sys.services) {
    if (def.role === "batch") continue;
    const e = b.effects.get(def.name);
    const L = (b.baseLatMs.get(def.name) as number) / 1000;
    const be = b.baseErr.get(def.name) as number;
    const br = b.baseRps.get(def.name) as number;
    const p50: Array<[number, number | null]> = [];
    const p90: Array<[number, number | null]> = [];
    const p99: Array<[number, number | null]> = [];
    const er: Array<[number, number | null]> = [];
    const rr: Array<[number, number | null]> = [];
    const so: Array<[number, number | null]> = [];
    const rates: number[] = [];
    const sockBase = 4 + br * 0.04;
    for (let i = 0; i <= b.nowIdx; i++) {
      const t = b.T(i);
      const I = b.intensity(e, i);
      const tr = b.traffic(i);
      const lr = (e?.latRel ?? 0) * I;
      const part = e?.partial ? 0.5 : 1;
      const tl = 1 + 0.06 * (tr - 1);
      let spike = 1;
      if (b.spec.scenario === "control" && def.name === sys.entry) {
        if (i === b.alertIdx) spike = b.alertSpike;
        else if (i === b.alertIdx - 1 || i === b.alertIdx + 1) spike = 1 + (b.alertSpike - 1) * rng.range(0.2, 0.45);
      }
      const rate = br * tr * (1 + ((e?.rateMul ?? 1) - 1) * I) * rng.noise(0.03);
      rates.push(rate);
      rr.push([t, sig(rate)]);
      if (e?.down && I > 0) {
        p50.push([t, null]);
        p90.push([t, null]);
        p99.push([t, null]);
        er.push([t, null]);
      } else {
        const v90 = L * 2.1 * (1 + lr) * tl * spike * rng.noise(0.07);
        p50.push([t, sig(L * (1 + 0.6 * lr * part) * tl * rng.noise(0.05))]);
        p90.push([t, sig(v90)]);
        p99.push([t, sig(L * 4.3 * (1 + 1.3 * lr) * tl * spike * rng.noise(0.1))]);
        const ev = clamp(be * rng.noise(0.35) + (e?.err ?? 0) * I * rng.noise(0.08), 0, 1);
        er.push([t, sig(ev, 3)]);
        if (def.name === sys.entry) {
          entryP90[i] = v90;
          entryErr[i] = ev;
        }
      }
      so.push([t, Math.round(sockBase * (1 + ((e?.socket ?? 1) - 1) * I) * rng.noise(0.08))]);
    }
    svcRate.set(def.name, rates);
    const { prefix } = metricNames(def, sys);
    const labels = { service: def.name, namespace: b.ns };
    series.push({ name: `${prefix}_duration_seconds_p50`, kind: "latency_p50", labels, points: p50 });
    series.push({ name: `${prefix}_duration_seconds_p90`, kind: "latency_p90", labels, points: p90 });
    series.push({ name: `${prefix}_duration_seconds_p99`, kind: "latency_p99", labels, points: p99 });
    if (!e?.errUncounted) series.push({ name: `${prefix}_error_ratio`, kind: "error_rate", labels, points: er });
    series.push({ name: `${prefix}_requests_per_second`, kind: "request_rate", labels, points: rr });
    if ((b.callees.get(def.name)?.length ?? 0) > 0 || def.role === "db")
      series.push({
        name: def.role === "db" ? "pg_stat_activity_count" : "client_pool_connections_in_use",
        kind: "socket",
        labels,
        points: so,
      });
  }
  // Pods.
  const nodeCpu = new Map<string, number[]>();
  const nodeMem = new Map<string, number[]>();
  for (const p of b.pods) {
    if (!p.emitsMetrics) continue;
    const def = b.svc(p.svc);
    const e = b.effects.get(p.svc);
    const last = Math.min(p.to, b.nowIdx);
    if (last < p.from) continue;
    const cpu: Array<[number, number | null]> = [];
    const mem: Array<[number, number | null]> = [];
    const thr: Array<[number, number | null]> = [];
    const rst: Array<[number, number | null]> = [];
    const lim: Array<[number, number | null]> = [];
    const limit = p.memLimitMi ?? def.memLimitMi;
    const drift = rng.range(-0.0008, 0.0015);
    for (let i = p.from; i <= last; i++) {
      const t = b.T(i);
      const I = b.intensity(e, i);
      const serving = b.pods.filter(
        (q) => q.svc === p.svc && q.emitsMetrics && q.from <= i && q.to >= i && q.serving(i),
      ).length;
      const podRps = p.serving(i) ? (svcRate.get(p.svc)?.[i] ?? 0) / Math.max(1, serving) : 0;
      const onNoisy = !e?.partial || p.node === b.noisyNode;
      let c =
        (def.idleCpu + def.cpuPerRps * podRps) *
        (1 + ((e?.cpuMul ?? 1) - 1) * I * (onNoisy ? 1 : 0.3)) *
        (p.cpuBoost?.(i) ?? 1) *
        rng.noise(0.06);
      if (def.cpuLimit) c = Math.min(c, def.cpuLimit * rng.range(0.95, 0.99));
      const util = def.cpuLimit ? c / def.cpuLimit : 0;
      const th = clamp(
        0.004 * rng.noise(0.5) +
          Math.max(0, util - 0.75) * 1.2 +
          (e?.throttle ?? 0) * I * (onNoisy ? 1 : 0.15) * rng.noise(0.1),
        0,
        1,
      );
      const m = p.mem ? p.mem(i) : def.memBaseMi * (1 + drift * (i - p.from)) * rng.noise(0.01);
      const restarts = p.restartsAt.filter((r) => r <= i).length;
      cpu.push([t, sig(c)]);
      mem.push([t, sig(m)]);
      thr.push([t, sig(th, 3)]);
      rst.push([t, restarts]);
      lim.push([t, limit]);
      const nc = nodeCpu.get(p.node) ?? [];
      nc[i] = (nc[i] ?? 0) + c;
      nodeCpu.set(p.node, nc);
      const nm = nodeMem.get(p.node) ?? [];
      nm[i] = (nm[i] ?? 0) + m;
      nodeMem.set(p.node, nm);
    }
    const labels = {
      service: p.svc,
      namespace: b.ns,
      pod: p.name,
      node: p.node,
      container: b.sys.containerName(p.svc),
    };
    series.push({ name: "container_cpu_usage_cores", kind: "cpu", labels, points: cpu });
    series.push({ name: "container_memory_working_set_mib", kind: "mem", labels, points: mem });
    series.push({ name: "container_spec_memory_limit_mib", kind: "other", labels, points: lim });
    series.push({ name: "container_cpu_cfs_throttled_ratio", kind: "cpu_throttle", labels, points: thr });
    series.push({ name: "kube_pod_container_status_restarts_total", kind: "restarts", labels, points: rst });
  }
  for (const n of sys.nodes) {
    const cpu: Array<[number, number | null]> = [];
    const mem: Array<[number, number | null]> = [];
    const sysCpu = rng.range(0.2, 0.4);
    for (let i = 0; i <= b.nowIdx; i++) {
      const c = ((nodeCpu.get(n.name)?.[i] ?? 0) + sysCpu * rng.noise(0.1)) / n.cpu;
      const m = ((nodeMem.get(n.name)?.[i] ?? 0) + 2200 * rng.noise(0.02)) / (n.memGi * 1024);
      cpu.push([b.T(i), sig(clamp(c, 0, 1), 3)]);
      mem.push([b.T(i), sig(clamp(m, 0, 1), 3)]);
    }
    series.push({ name: "node_cpu_utilisation_ratio", kind: "cpu", labels: { node: n.name }, points: cpu });
    series.push({ name: "node_memory_utilisation_ratio", kind: "mem", labels: { node: n.name }, points: mem });
  }
  const baseIdx = Array.from({ length: Math.max(1, b.causeOnset) }, (_, i) => i);
  const med = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] ?? 0;
  return {
    series,
    entry: {
      p90: entryP90,
      err: entryErr,
      baseP90: med(baseIdx.map((i) => entryP90[i] ?? 0)),
      baseErr: med(baseIdx.map((i) => entryErr[i] ?? 0)),
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Emission: logs

function infoLine(b: CaseBuilder, def: SvcDef): { level: string; line: string } {
  const rng = b.rng;
  const r = rng.next();
  const callee = rng.pick(b.callees.get(def.name) ?? ["self"]);
  const ms = Math.max(1, Math.round((b.baseLatMs.get(def.name) ?? 5) * rng.noise(0.5)));
  if (def.role === "web" && def.lang === "nginx") {
    if (r < 0.97) {
      const path = rng.pick([
        "/",
        "/cart",
        "/checkout",
        "/orders",
        "/static/app.js",
        `/product/${rng.int(1000, 9999)}`,
      ]);
      const code = rng.chance(0.02) ? 404 : 200;
      return {
        level: "info",
        line: `10.0.${rng.int(0, 3)}.${rng.int(2, 250)} - - "${path === "/checkout" ? "POST" : "GET"} ${path} HTTP/1.1" ${code} ${rng.int(200, 40000)} "-" "Mozilla/5.0" rt=${(ms / 1000).toFixed(3)} upstream="api-gateway"`,
      };
    }
    return {
      level: "warn",
      line: `[warn] 31#31: *${rng.int(1000, 99999)} an upstream response is buffered to a temporary file /var/cache/nginx/proxy_temp/${rng.int(1, 9)}/00/${rng.int(100000, 999999)} while reading upstream`,
    };
  }
  if (def.role === "db") {
    const msgs = [
      "checkpoint starting: time",
      `checkpoint complete: wrote ${rng.int(50, 3000)} buffers (${rng.range(0.1, 4).toFixed(1)}%); 0 WAL file(s) added, 0 removed, ${rng.int(0, 2)} recycled; write=${rng.range(1, 30).toFixed(3)} s, sync=0.00${rng.int(1, 9)} s, total=${rng.range(1, 30).toFixed(3)} s`,
      `automatic vacuum of table "app.public.${rng.pick(["orders", "order_items", "products", "entries", "accounts"])}": index scans: ${rng.int(0, 2)}`,
      `duration: ${rng.int(100, 900)}.${rng.int(100, 999)} ms  statement: SELECT * FROM ${rng.pick(["orders", "products", "entries"])} WHERE id = $1`,
      `connection authorized: user=app database=app application_name=${rng.pick(b.callers.get(def.name) ?? ["app"])}`,
    ];
    return { level: "info", line: `LOG:  ${rng.pick(msgs)}` };
  }
  if (def.role === "cache") {
    const msgs = [
      `${rng.int(100, 10000)} changes in 60 seconds. Saving...`,
      `Background saving started by pid ${rng.int(100, 9999)}`,
      "DB saved on disk",
      "Background saving terminated with success",
      `Fork CoW for RDB: current ${rng.int(1, 9)} MB, peak ${rng.int(1, 9)} MB, average ${rng.int(1, 5)} MB`,
    ];
    return { level: "info", line: `1:M * ${rng.pick(msgs)}` };
  }
  if (def.role === "batch") {
    return {
      level: "info",
      line: fmt(
        def.lang,
        "info",
        rng.pick([
          `idle: next scheduled run in ${rng.int(10, 300)}m`,
          `heartbeat ok (queue depth ${rng.int(0, 3)})`,
          "checking for pending reindex requests: none",
        ]),
      ),
    };
  }
  const op = rng.pick(def.ops);
  let msg: string;
  let level = "info";
  if (r < 0.55) msg = `request completed op=${op} status=${def.role === "gateway" ? 200 : "OK"} dur_ms=${ms}`;
  else if (r < 0.7) msg = `${callee !== "self" ? `call ${callee}` : "handler"} ok in ${ms}ms`;
  else if (r < 0.8)
    msg = `connection pool stats: active=${rng.int(1, 8)} idle=${rng.int(4, 20)} max=${rng.pick([20, 32, 50])}`;
  else if (r < 0.88)
    msg =
      def.lang === "java"
        ? `GC pause (G1 Evacuation Pause) ${rng.int(3, 40)}ms, heap ${rng.int(200, 700)}M->${rng.int(150, 500)}M`
        : `cache refresh done: ${rng.int(100, 5000)} keys in ${rng.int(5, 200)}ms`;
  else if (r < 0.96) msg = `health check ok (${rng.int(1, 9)}ms)`;
  else if (r < 0.985) {
    level = "warn";
    msg =
      callee !== "self"
        ? `retrying ${callee} ${op} (attempt 2/3): ${rng.pick(["connection reset by peer", "EOF", "unexpected EOF"])}`
        : `slow request ${op} ${rng.int(300, 900)}ms`;
  } else {
    level = "error";
    msg = rng.pick([
      `client closed request before response (op=${op})`,
      `request validation failed: missing field "${rng.pick(["sku", "account_id", "currency"])}"`,
    ]);
  }
  return { level, line: fmt(def.lang, level, msg) };
}

function victimLine(b: CaseBuilder, def: SvcDef, v: VictimInfo): string {
  const rng = b.rng;
  const callee = b.svc(v.next);
  const ip = b.svcIp.get(callee.name) as string;
  const tmo = def.timeoutMs;
  const route = rng.pick(def.ops);
  let msg: string;
  if (v.depth <= 1 || b.spec.scenario === "noisy-neighbour") {
    switch (b.victimKind) {
      case "timeout":
        msg = rng.pick([
          `upstream ${callee.name} timed out after ${tmo}ms`,
          `request to http://${callee.name}.${b.ns}.svc.cluster.local:${callee.port}/${rng.pick(callee.ops)} failed: context deadline exceeded`,
          `call ${callee.name} failed after 3 attempts: deadline exceeded (timeout ${tmo}ms)`,
          `circuit breaker "${callee.name}" is OPEN after ${rng.int(20, 100)} consecutive failures`,
        ]);
        break;
      case "refused":
        msg =
          callee.role === "db"
            ? rng.pick([
                `dial tcp ${ip}:${callee.port}: connect: connection refused`,
                `failed to acquire connection from pool: dial tcp ${ip}:${callee.port}: connect: connection refused`,
                `pq: the database system is in recovery mode`,
                `query failed on ${route}: connection refused (host=${callee.name} port=${callee.port})`,
              ])
            : rng.pick([
                `dial tcp ${ip}:${callee.port}: connect: connection refused`,
                `redis: connection pool: failed to dial after 5 attempts: dial tcp ${ip}:${callee.port}: connect: connection refused`,
                `Error: connect ECONNREFUSED ${ip}:${callee.port}`,
              ]);
        break;
      case "reset":
        msg = rng.pick([
          `read tcp 10.0.${rng.int(0, 3)}.${rng.int(2, 250)}:${rng.int(30000, 60000)}->${ip}:${callee.port}: read: connection reset by peer`,
          `upstream ${callee.name} returned 502 Bad Gateway`,
          `EOF while reading response from ${callee.name}`,
        ]);
        break;
      case "unavailable":
        msg = rng.pick([
          `upstream ${callee.name} returned 503: no healthy upstream`,
          `no endpoints available for service "${callee.name}"`,
          `upstream ${callee.name} timed out after ${tmo}ms`,
        ]);
        break;
      default:
        msg = rng.pick([
          `upstream ${callee.name} returned 500 Internal Server Error`,
          `call to ${callee.name} ${rng.pick(callee.ops)} failed: status 500`,
          `rpc error: code = Internal desc = ${callee.name}: internal error`,
        ]);
    }
  } else {
    msg = rng.pick([
      `upstream ${callee.name} returned 504 Gateway Timeout`,
      `upstream ${callee.name} returned 503 Service Unavailable`,
      `request ${route} failed: upstream ${callee.name} error (status 5xx)`,
      `upstream ${callee.name} timed out after ${tmo}ms`,
    ]);
  }
  if (def.lang === "nginx")
    return `[error] 31#31: *${rng.int(1000, 99999)} ${msg.includes("timed out") ? "upstream timed out (110: Connection timed out) while reading response header from upstream" : `upstream prematurely closed connection (${msg})`}, client: 10.0.${rng.int(0, 3)}.${rng.int(2, 250)}, server: shop, request: "${rng.pick(["GET /cart", "POST /checkout", "GET /orders", "GET /"])} HTTP/1.1", upstream: "http://${ip}:${callee.port}/"`;
  return fmt(def.lang, "error", msg);
}

function buildLogs(b: CaseBuilder): LogRec[] {
  const { rng, sys } = b;
  const out: LogRec[] = [...b.extraLogs];
  const windowMin = (b.now - b.t0) / 60_000;
  const stepMin = b.step / 60_000;
  const budget = rng.int(320, 480);
  const weights = sys.services.map((d) =>
    d.role === "web" ? 2.2 : d.role === "gateway" ? 1.6 : d.role === "batch" ? 0.25 : 1,
  );
  const wsum = weights.reduce((a, x) => a + x, 0);
  const faultMin = Math.max(stepMin, (b.now - b.T(b.causeOnset)) / 60_000);
  const volScale = clamp(10 / faultMin, 0.25, 3);
  const podFor = (svcName: string, i: number, only?: string[]): PodState | undefined => {
    const live = b.pods.filter(
      (p) =>
        p.svc === svcName &&
        p.from <= i &&
        p.to >= i &&
        p.emitsMetrics &&
        (only ? only.includes(p.name) : p.serving(i) || true),
    );
    return live.length ? rng.pick(live) : undefined;
  };
  const causeTotal = b.causeLogs.filter((c) => c.level !== "info").reduce((a, c) => a + c.perStep, 0) || 4;
  const victimPerMin = new Map<string, number>();
  for (const [s, v] of b.victims)
    victimPerMin.set(
      s,
      causeTotal * (b.victimsLouder ? rng.range(1.8, 3.2) : rng.range(0.4, 0.8)) * (v.depth <= 1 ? 1.2 : 1),
    );
  sys.services.forEach((def, k) => {
    const perMin = (budget * (weights[k] as number)) / wsum / windowMin;
    for (let i = 0; i < b.nowIdx; i++) {
      const slot0 = b.T(i);
      const n = rng.poisson(perMin * stepMin);
      for (let j = 0; j < n; j++) {
        const pod = podFor(def.name, i + 1);
        if (!pod || (!pod.serving(i + 1) && def.role !== "batch")) continue;
        const { level, line } = infoLine(b, def);
        // The cause of a silent failure logs nothing at error level, not even background noise.
        if (level === "error" && b.spec.scenario === "silent-callee-failure" && def.name === b.spec.cause) continue;
        out.push({ t: slot0 + rng.int(0, b.step - 1), labels: { service: def.name, pod: pod.name, level }, line });
      }
      const v = b.victims.get(def.name);
      const e = b.effects.get(def.name);
      if (v && e) {
        const I = b.intensity(e, i + 1);
        const m = rng.poisson((victimPerMin.get(def.name) ?? 0) * stepMin * I * volScale);
        for (let j = 0; j < m; j++) {
          const pod = podFor(def.name, i + 1);
          if (!pod) continue;
          out.push({
            t: slot0 + rng.int(0, b.step - 1),
            labels: { service: def.name, pod: pod.name, level: "error" },
            line: victimLine(b, def, v),
          });
        }
      }
    }
  });
  for (const c of b.causeLogs) {
    const def = b.svc(c.svc);
    const e = b.effects.get(c.svc);
    for (let i = Math.max(0, c.fromIdx - 1); i < b.nowIdx; i++) {
      const I =
        c.level === "info"
          ? i + 1 >= c.fromIdx
            ? 1
            : 0
          : Math.max(b.intensity(e, i + 1), i + 1 >= c.fromIdx ? 0.6 : 0);
      const n =
        c.level === "info" && c.perStep < 1
          ? i + 1 === c.fromIdx
            ? 1
            : 0
          : rng.poisson(c.perStep * stepMin * I * volScale);
      for (let j = 0; j < n; j++) {
        const pod = podFor(c.svc, i + 1, c.pods);
        if (!pod) continue;
        const raw = rng.pick(c.lines);
        const line =
          /^(ERROR|WARN|INFO|level=|\{|LOG:|FATAL:|panic|\t|Traceback|\s+File|KeyError|1:M|\[)/.test(raw) ||
          (def.lang === "python" && /^[A-Z][a-zA-Z]+Error/.test(raw))
            ? raw
            : fmt(def.lang, c.level, raw);
        out.push({
          t: b.T(i) + rng.int(0, b.step - 1),
          labels: { service: c.svc, pod: pod.name, level: c.level },
          line,
        });
      }
    }
  }
  return out
    .filter((l) => l.t >= b.t0 && l.t <= b.now)
    .sort((x, y) => x.t - y.t || (x.line < y.line ? -1 : x.line > y.line ? 1 : 0));
}

// ---------------------------------------------------------------------------------------------------------------
// Emission: spans

interface SpanRec {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  service: string;
  name: string;
  startMs: number;
  durationMs: number;
  status: "ok" | "error" | "unset";
  attributes: Record<string, unknown>;
}

function buildSpans(b: CaseBuilder, logs: LogRec[]): SpanRec[] {
  const { rng, sys } = b;
  /** A tracer that sets no span status and records no response codes; callers give up after a failed call. */
  const silent = b.spec.scenario === "silent-callee-failure";
  // A silent failure shows only in the request paths, so its cases keep a denser sample (like the demo case).
  const n = b.index === 0 ? 260 : silent ? rng.int(220, 280) : rng.int(60, 90);
  const out: SpanRec[] = [];
  const origins = new Set<string>([...b.effects.keys()].filter((s) => !b.victims.has(s)));
  let linked = 0;
  const routeW = sys.routes.reduce((a, r) => a + r.weight, 0);
  for (let k = 0; k < n; k++) {
    const start = b.t0 + rng.range(0, b.now - b.t0 - 20_000);
    let x = rng.range(0, routeW);
    let route = sys.routes[0] as { root: CallNode };
    for (const r of sys.routes) {
      x -= r.weight;
      if (x <= 0) {
        route = r;
        break;
      }
    }
    const traceId = rng.hex(32);
    const spans: SpanRec[] = [];
    const visit = (node: CallNode, t: number, parent: string): { dur: number; error: boolean; refused: boolean } => {
      const def = b.svc(node.svc);
      const i = b.idxOf(t);
      const e = b.effects.get(node.svc);
      const I = b.intensity(e, i);
      if (e?.down && I > 0) return { dur: rng.range(0.3, 2), error: true, refused: true };
      const spanId = rng.hex(16);
      let excl = def.exclMs * Math.exp(0.35 * rng.normal());
      let error = rng.chance((b.baseErr.get(node.svc) ?? 0) * 0.5);
      let errMsg = "";
      if (e && origins.has(node.svc) && I > 0) {
        excl *= 1 + e.latRel * I * rng.noise(0.3);
        if (e.stall && rng.chance(e.stall * I)) excl += rng.range(2000, 12000);
        if (rng.chance(e.err * I)) {
          error = true;
          errMsg = b.victimKind === "5xx" ? "internal error" : "request failed";
        }
      }
      let cursor = t + excl * 0.3;
      for (const child of node.children ?? []) {
        const res = visit(child, cursor, spanId);
        if (res.refused) {
          cursor += res.dur;
          error = true;
          errMsg = `dial tcp ${b.svcIp.get(child.svc)}:${b.svc(child.svc).port}: connect: connection refused`;
        } else if (res.dur > def.timeoutMs) {
          cursor += def.timeoutMs;
          error = true;
          errMsg = `upstream ${child.svc} timed out after ${def.timeoutMs}ms`;
        } else {
          cursor += res.dur;
          if (res.error && (silent || rng.chance(0.85))) {
            error = true;
            errMsg ||= `upstream ${child.svc} returned 500`;
          }
        }
        if (silent && res.error) break;
      }
      const end = cursor + excl * 0.7;
      const attrs: Record<string, unknown> = {};
      if (def.role === "db") attrs["db.system"] = "postgresql";
      else if (def.role === "cache") attrs["db.system"] = "redis";
      else if (node.op.includes(" ")) {
        attrs["http.method"] = node.op.split(" ")[0];
        attrs["http.route"] = node.op.split(" ")[1];
        if (!silent) attrs["http.status_code"] = error ? (errMsg.includes("timed out") ? 504 : 500) : 200;
      } else {
        attrs["rpc.system"] = "grpc";
        if (!silent) attrs["rpc.grpc.status_code"] = error ? (errMsg.includes("timed out") ? 4 : 13) : 0;
      }
      const podNames = b
        .livePods(node.svc, Math.min(i, b.nowIdx))
        .filter((p) => p.emitsMetrics)
        .map((p) => p.name);
      attrs["k8s.pod.name"] = podNames.length ? rng.pick(podNames) : node.svc;
      if (errMsg && !silent) attrs["error.message"] = errMsg;
      spans.push({
        traceId,
        spanId,
        parentSpanId: parent,
        service: node.svc,
        name: node.op,
        startMs: fix(t, 3),
        durationMs: fix(end - t, 3),
        status: silent ? "unset" : error ? "error" : "ok",
        attributes: attrs,
      });
      // The cause of a silent failure does not log it; its callers do.
      const unlogged = silent && node.svc === b.spec.cause;
      if (error && errMsg && linked < 80 && !unlogged && rng.chance(0.35) && end <= b.now) {
        linked++;
        logs.push({
          t: Math.round(end),
          labels: { service: node.svc, pod: String(attrs["k8s.pod.name"]), level: "error" },
          line: fmt(def.lang === "nginx" ? "go" : def.lang, "error", `${node.op} failed: ${errMsg}`),
          traceId,
        });
      }
      return { dur: end - t, error, refused: false };
    };
    visit(route.root, start, "");
    if (spans.every((s) => s.startMs + s.durationMs <= b.now)) out.push(...spans.sort((x, y) => x.startMs - y.startMs));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Emission: Kubernetes objects

const cpuQ = (c: number): string => (Number.isInteger(c) ? String(c) : `${Math.round(c * 1000)}m`);

function buildK8s(b: CaseBuilder): Json[] {
  const { rng, sys, ns } = b;
  const objs: Json[] = [];
  const created = (t: number) => iso(Math.min(t, b.now));
  const uidOf = new Map<string, string>();
  const uid = (k: string) => {
    let u = uidOf.get(k);
    if (!u) {
      u = rng.uuid();
      uidOf.set(k, u);
    }
    return u;
  };
  for (const n of sys.nodes) {
    const hb = b.now - rng.int(5, 40) * 1000;
    const since = b.t0 - rng.int(5, 60) * 86_400_000;
    const cond = (type: string, status: string, reason: string, message: string) => ({
      type,
      status,
      lastHeartbeatTime: iso(hb),
      lastTransitionTime: iso(since),
      reason,
      message,
    });
    objs.push({
      apiVersion: "v1",
      kind: "Node",
      metadata: {
        name: n.name,

        creationTimestamp: iso(since),
        labels: {
          "kubernetes.io/hostname": n.name,
          "kubernetes.io/os": "linux",
          "topology.kubernetes.io/zone": n.zone,
          "node.kubernetes.io/instance-type": sys.name === "shop" ? "m6i.xlarge" : "n2-standard-8",
        },
      },
      spec:
        sys.name === "shop"
          ? { providerID: `aws:///${n.zone}/i-0${rng.hex(16)}` }
          : { providerID: `gce://ledger-prod/${n.zone}/${n.name}` },
      status: {
        capacity: { cpu: String(n.cpu), memory: `${n.memGi * 1024 * 1024 - 262144}Ki`, pods: "110" },
        allocatable: {
          cpu: `${n.cpu * 1000 - 80 - n.cpu * 10}m`,
          memory: `${n.memGi * 1024 * 1024 - 1_500_000}Ki`,
          pods: "110",
        },
        conditions: [
          cond("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
          cond("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
          cond("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
        ],
        nodeInfo: {
          kubeletVersion: sys.name === "shop" ? "v1.29.3-eks-ae9a62a" : "v1.29.6-gke.1326000",
          containerRuntimeVersion: "containerd://1.7.13",
        },
      },
    });
  }
  const containerSpec = (def: SvcDef, image: string, memLimit: number, cpuReq: number, dep: DeployState) => {
    const c: Json = {
      name: sys.containerName(def.name),
      image,
      ports: [{ containerPort: def.port, protocol: "TCP" }],
      resources: {
        requests: { cpu: cpuQ(cpuReq), memory: `${Math.min(memLimit, Math.round(def.memBaseMi * 1.1))}Mi` },
        limits: def.cpuLimit ? { cpu: cpuQ(def.cpuLimit), memory: `${memLimit}Mi` } : { memory: `${memLimit}Mi` },
      },
    };
    if (dep.readinessPath)
      c.readinessProbe = { httpGet: { path: dep.readinessPath, port: def.port }, periodSeconds: 10 };
    else if (def.role === "db")
      c.readinessProbe = { exec: { command: ["pg_isready", "-U", "app", "-h", "127.0.0.1"] }, periodSeconds: 10 };
    else c.readinessProbe = { exec: { command: ["redis-cli", "ping"] }, periodSeconds: 10 };
    if (def.config) c.envFrom = [{ configMapRef: { name: `${def.name}-config` } }];
    return c;
  };
  const labelsOf = (svcName: string) => ({ app: svcName });
  for (const def of sys.services) {
    const dep = b.deploys.get(def.name) as DeployState;
    const live = b.livePods(def.name);
    const latest = dep.rsHashes[dep.rsHashes.length - 1] as {
      hash: string;
      revision: number;
      image: string;
      createdAt: number;
    };
    const ready = live.filter((p) => p.ready && !p.waiting && p.phase === "Running").length;
    const updated = live.filter((p) => p.rs === latest.hash).length;
    const wlCreated = b.t0 - rng.int(60, 400) * 86_400_000;
    const memLimit = dep.memLimitMi;
    const template = {
      metadata: { labels: labelsOf(def.name) },
      spec: { containers: [containerSpec(def, dep.image, memLimit, dep.cpuReq, dep)] },
    };
    if (def.workload === "Deployment") {
      const maxUnav = dep.maxUnavailable === "25%" ? Math.floor(dep.desired * 0.25) : 1;
      const available = ready >= dep.desired - maxUnav;
      const progressingOk =
        updated === dep.desired && live.every((p) => p.rs !== latest.hash || (p.ready && !p.waiting));
      const stalled = !progressingOk && b.now - latest.createdAt > 600_000;
      objs.push({
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: {
          name: def.name,
          namespace: ns,
          generation: dep.revision + rng.int(0, 3),
          creationTimestamp: iso(wlCreated),
          labels: labelsOf(def.name),
          annotations: { "deployment.kubernetes.io/revision": String(dep.revision) },
        },
        spec: {
          replicas: dep.desired,
          selector: { matchLabels: { app: def.name } },
          strategy: {
            type: "RollingUpdate",
            rollingUpdate: {
              maxSurge: dep.maxUnavailable === "25%" ? "25%" : 1,
              maxUnavailable: dep.maxUnavailable === "25%" ? "25%" : 1,
            },
          },
          template,
        },
        status: {
          observedGeneration: dep.revision,
          replicas: live.length,
          updatedReplicas: updated,
          readyReplicas: ready,
          availableReplicas: ready,
          ...(live.length - ready > 0 ? { unavailableReplicas: Math.max(0, dep.desired - ready) } : {}),
          conditions: [
            available
              ? {
                  type: "Available",
                  status: "True",
                  lastUpdateTime: iso(wlCreated),
                  lastTransitionTime: iso(wlCreated),
                  reason: "MinimumReplicasAvailable",
                  message: "Deployment has minimum availability.",
                }
              : {
                  type: "Available",
                  status: "False",
                  lastUpdateTime: created(b.T(b.causeOnset)),
                  lastTransitionTime: created(b.T(b.causeOnset)),
                  reason: "MinimumReplicasUnavailable",
                  message: "Deployment does not have minimum availability.",
                },
            progressingOk
              ? {
                  type: "Progressing",
                  status: "True",
                  lastUpdateTime: created(latest.createdAt + 60_000),
                  lastTransitionTime: created(latest.createdAt),
                  reason: "NewReplicaSetAvailable",
                  message: `ReplicaSet "${def.name}-${latest.hash}" has successfully progressed.`,
                }
              : stalled
                ? {
                    type: "Progressing",
                    status: "False",
                    lastUpdateTime: created(latest.createdAt + 600_000),
                    lastTransitionTime: created(latest.createdAt + 600_000),
                    reason: "ProgressDeadlineExceeded",
                    message: `ReplicaSet "${def.name}-${latest.hash}" has timed out progressing.`,
                  }
                : {
                    type: "Progressing",
                    status: "True",
                    lastUpdateTime: created(latest.createdAt + 1000),
                    lastTransitionTime: created(latest.createdAt),
                    reason: "ReplicaSetUpdated",
                    message: `ReplicaSet "${def.name}-${latest.hash}" is progressing.`,
                  },
          ],
        },
      });
      // The current ReplicaSet, and the previous one when the rollout happened inside the window.
      const rsList = latest.createdAt >= b.t0 ? dep.rsHashes.slice(-2) : [latest];
      for (const rs of rsList) {
        const mine = live.filter((p) => p.rs === rs.hash);
        const rsReady = mine.filter((p) => p.ready && !p.waiting && p.phase === "Running").length;
        objs.push({
          apiVersion: "apps/v1",
          kind: "ReplicaSet",
          metadata: {
            name: `${def.name}-${rs.hash}`,
            namespace: ns,

            creationTimestamp: created(rs.createdAt),
            labels: { ...labelsOf(def.name), "pod-template-hash": rs.hash },
            annotations: {
              "deployment.kubernetes.io/revision": String(rs.revision),
              "deployment.kubernetes.io/desired-replicas": String(dep.desired),
              "deployment.kubernetes.io/max-replicas": String(dep.desired + 1),
            },
            ownerReferences: [{ apiVersion: "apps/v1", kind: "Deployment", name: def.name, controller: true }],
          },
          spec: {
            replicas: mine.length,
            selector: { matchLabels: { app: def.name, "pod-template-hash": rs.hash } },
            template: { spec: { containers: [{ name: sys.containerName(def.name), image: rs.image }] } },
          },
          status: { replicas: mine.length, readyReplicas: rsReady, availableReplicas: rsReady },
        });
      }
    } else {
      objs.push({
        apiVersion: "apps/v1",
        kind: "StatefulSet",
        metadata: {
          name: def.name,
          namespace: ns,
          generation: dep.revision,
          creationTimestamp: iso(wlCreated),
          labels: labelsOf(def.name),
        },
        spec: {
          replicas: dep.desired,
          serviceName: def.name,
          selector: { matchLabels: { app: def.name } },
          template,
          podManagementPolicy: "OrderedReady",
          updateStrategy: { type: "RollingUpdate" },
        },
        status: {
          observedGeneration: dep.revision,
          replicas: live.length,
          readyReplicas: ready,
          currentReplicas: live.length,
          updatedReplicas: live.length,
          availableReplicas: ready,
          currentRevision: `${def.name}-${rng.k8s(10)}`,
        },
      });
    }
    for (const p of live) {
      const cname = sys.containerName(def.name);
      const restarts = p.restartsAt.filter((r) => r <= b.nowIdx).length;
      const lastRestart = p.restartTimes.length ? Math.min(Math.max(...p.restartTimes), b.now - 1000) : undefined;
      const start = p.createdAt + 3000;
      const running = p.phase === "Running" && !p.waiting;
      const cs: Json | undefined =
        p.unschedulable !== undefined
          ? undefined
          : {
              name: cname,
              image: p.image,
              imageID: p.phase === "Pending" ? "" : `${p.image.split(":")[0]}@sha256:${rng.hex(64)}`,
              ready: p.ready && running,
              started: running,
              restartCount: restarts,
              state: p.waiting
                ? { waiting: { reason: p.waiting.reason, message: p.waiting.message } }
                : { running: { startedAt: created(lastRestart !== undefined ? lastRestart + 4000 : start) } },
              lastState:
                p.lastTerminated && lastRestart !== undefined
                  ? {
                      terminated: {
                        exitCode: p.lastTerminated.exitCode,
                        reason: p.lastTerminated.reason,
                        startedAt: created(Math.max(start, lastRestart - rng.int(20, 120) * 1000)),
                        finishedAt: created(lastRestart),
                      },
                    }
                  : {},
            };
      const readyStatus = p.ready && running ? "True" : "False";
      const cond = (type: string, status: string, t: number, extra: Json = {}) => ({
        type,
        status,
        lastTransitionTime: created(t),
        ...extra,
      });
      const notReady =
        readyStatus === "False"
          ? { reason: "ContainersNotReady", message: `containers with unready status: [${cname}]` }
          : {};
      const becameNotReady = lastRestart ?? (p.from > 0 ? p.createdAt + 5000 : b.T(b.causeOnset));
      const conditions = p.unschedulable
        ? [cond("PodScheduled", "False", p.createdAt, { reason: "Unschedulable", message: p.unschedulable })]
        : [
            cond("Initialized", "True", p.createdAt + 1000),
            cond("Ready", readyStatus, readyStatus === "True" ? start + 6000 : becameNotReady, notReady),
            cond("ContainersReady", readyStatus, readyStatus === "True" ? start + 6000 : becameNotReady, notReady),
            cond("PodScheduled", "True", p.createdAt),
          ];
      const owner =
        def.workload === "Deployment"
          ? { apiVersion: "apps/v1", kind: "ReplicaSet", name: `${def.name}-${p.rs}`, controller: true }
          : { apiVersion: "apps/v1", kind: "StatefulSet", name: def.name, controller: true };
      const memLimit2 = p.memLimitMi ?? (p.rs === latest.hash ? memLimit : def.memLimitMi);
      objs.push({
        apiVersion: "v1",
        kind: "Pod",
        metadata: {
          name: p.name,
          namespace: ns,
          uid: uid(`pod/${p.name}`),
          creationTimestamp: created(p.createdAt),
          labels:
            def.workload === "Deployment"
              ? { ...labelsOf(def.name), "pod-template-hash": p.rs }
              : { ...labelsOf(def.name), "statefulset.kubernetes.io/pod-name": p.name },
          ownerReferences: [owner],
        },
        spec: {
          ...(p.unschedulable ? {} : { nodeName: p.node }),
          containers: [
            containerSpec(def, p.image, memLimit2, p.cpuReq ?? (p.rs === latest.hash ? dep.cpuReq : def.cpuReq), dep),
          ],
          restartPolicy: "Always",
        },
        status: {
          phase: p.phase,
          conditions,
          qosClass: def.cpuLimit ? "Burstable" : "BestEffort",
          ...(p.unschedulable
            ? {}
            : {
                hostIP: `${sys.podNet}.${sys.nodes.findIndex((n) => n.name === p.node) * 64}.1`,
                podIP: p.ip,
                startTime: created(p.createdAt + 500),
              }),
          ...(cs ? { containerStatuses: [cs] } : {}),
        },
      });
    }
    if (def.role !== "batch") {
      const svcIp = b.svcIp.get(def.name) as string;
      objs.push({
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: def.name, namespace: ns, creationTimestamp: iso(wlCreated), labels: labelsOf(def.name) },
        spec: {
          type: "ClusterIP",
          clusterIP: svcIp,
          clusterIPs: [svcIp],
          selector: { app: def.name },
          ports: [
            {
              name: def.role === "db" ? "postgres" : def.role === "cache" ? "redis" : "http",
              port: def.port,
              targetPort: def.port,
              protocol: "TCP",
            },
          ],
        },
        status: { loadBalancer: {} },
      });
      const addr = (p: PodState) => ({ ip: p.ip, nodeName: p.node, targetRef: { kind: "Pod", name: p.name } });
      const withIp = live.filter((p) => !p.unschedulable && !(p.phase === "Pending" && p.waiting));
      const readyP = withIp.filter((p) => p.ready && !p.waiting);
      const notReadyP = withIp.filter((p) => !(p.ready && !p.waiting));
      objs.push({
        apiVersion: "v1",
        kind: "Endpoints",
        metadata: { name: def.name, namespace: ns, creationTimestamp: iso(wlCreated), labels: labelsOf(def.name) },
        subsets: [
          {
            ...(readyP.length ? { addresses: readyP.map(addr) } : {}),
            ...(notReadyP.length ? { notReadyAddresses: notReadyP.map(addr) } : {}),
            ports: [
              {
                name: def.role === "db" ? "postgres" : def.role === "cache" ? "redis" : "http",
                port: def.port,
                protocol: "TCP",
              },
            ],
          },
        ],
      });
    }
    if (def.config) {
      const data: Record<string, string> = { ...def.config };
      if (b.configMapChanged?.svc === def.name) data[b.configMapChanged.key] = b.configMapChanged.to;
      const changedAt = b.changes
        .filter((c) => c.entity.kind === "ConfigMap" && c.entity.name === `${def.name}-config`)
        .map((c) => c.t);
      objs.push({
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: {
          name: `${def.name}-config`,
          namespace: ns,

          resourceVersion: String(rng.int(1_000_000, 99_999_999)),
          creationTimestamp: iso(wlCreated),
          labels: labelsOf(def.name),
          ...(changedAt.length
            ? {
                managedFields: [
                  {
                    manager: "kubectl-client-side-apply",
                    operation: "Update",
                    apiVersion: "v1",
                    time: created(Math.max(...changedAt)),
                    fieldsType: "FieldsV1",
                  },
                ],
              }
            : {}),
        },
        data,
      });
    }
    if (def.hpa) {
      const h = def.hpa;
      const limited = b.hpaLimited === def.name;
      const cur = limited ? h.max : live.length;
      const util = limited ? (dep.hpaCpu as number) : rng.int(Math.round(h.target * 0.55), Math.round(h.target * 0.9));
      objs.push({
        apiVersion: "autoscaling/v2",
        kind: "HorizontalPodAutoscaler",
        metadata: { name: def.name, namespace: ns, creationTimestamp: iso(wlCreated) },
        spec: {
          scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: def.name },
          minReplicas: h.min,
          maxReplicas: h.max,
          metrics: [
            {
              type: "Resource",
              resource: { name: "cpu", target: { type: "Utilization", averageUtilization: h.target } },
            },
          ],
        },
        status: {
          currentReplicas: cur,
          desiredReplicas: cur,
          ...(limited
            ? {
                lastScaleTime: created(
                  b.changes
                    .filter((c) => c.entity.kind === "HorizontalPodAutoscaler")
                    .reduce((a, c) => Math.max(a, c.t), b.t0),
                ),
              }
            : {}),
          currentMetrics: [
            {
              type: "Resource",
              resource: {
                name: "cpu",
                current: { averageUtilization: util, averageValue: cpuQ(fix((util / 100) * def.cpuReq, 3)) },
              },
            },
          ],
          conditions: [
            {
              type: "AbleToScale",
              status: "True",
              lastTransitionTime: iso(wlCreated),
              reason: "ReadyForNewScale",
              message: "recommended size matches current size",
            },
            {
              type: "ScalingActive",
              status: "True",
              lastTransitionTime: iso(wlCreated),
              reason: "ValidMetricFound",
              message:
                "the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)",
            },
            limited
              ? {
                  type: "ScalingLimited",
                  status: "True",
                  lastTransitionTime: created(b.T(b.causeOnset) - 20_000),
                  reason: "TooManyReplicas",
                  message: "the desired replica count is more than the maximum replica count",
                }
              : {
                  type: "ScalingLimited",
                  status: "False",
                  lastTransitionTime: iso(wlCreated),
                  reason: "DesiredWithinRange",
                  message: "the desired count is within the acceptable range",
                },
          ],
        },
      });
    }
  }
  return objs;
}

// ---------------------------------------------------------------------------------------------------------------
// Case assembly

interface CaseSummary {
  id: string;
  index: number;
  scenario: Scenario;
  system: string;
  stepMs: number;
  short: boolean;
  faultClass: string;
  cause: string | null;
  modalities: string[];
  baselinePoints: number;
  alertname: string;
}

const gz = (lines: unknown[]): Buffer =>
  gzipSync(Buffer.from(lines.map((l) => JSON.stringify(l)).join("\n") + (lines.length ? "\n" : "")), { level: 9 });
const json = (x: unknown): string => `${JSON.stringify(x, null, 2)}\n`;

function caseIdOf(seed: number, index: number): string {
  return `c-${sha256(`${seed}:${index}`).slice(0, 8)}`;
}

function buildCase(seed: number, index: number, spec: CaseSpec, outDir: string): CaseSummary {
  const id = caseIdOf(seed, index);
  const caseSeed = Number.parseInt(sha256(`case:${seed}:${index}`).slice(0, 8), 16);
  const b = new CaseBuilder(id, index, spec, caseSeed);
  applyScenario(b);
  const { series, entry } = buildMetrics(b);
  let logs = buildLogs(b);
  const spans = spec.traces ? buildSpans(b, logs) : [];
  logs = logs
    .filter((l) => l.t >= b.t0 && l.t <= b.now)
    .sort((x, y) => x.t - y.t || (x.line < y.line ? -1 : x.line > y.line ? 1 : 0));
  const k8s = buildK8s(b);
  const dir = join(outDir, "cases", id);
  mkdirSync(join(dir, "k8s"), { recursive: true });

  // Alert.
  const sys = b.sys;
  const rng = b.rng;
  const entryEff = b.effects.get(sys.entry);
  const errorAlert =
    spec.scenario !== "control" &&
    (entryEff?.err ?? 0) >= 0.08 &&
    (entry.err[b.alertIdx] ?? 0) > 10 * Math.max(entry.baseErr, 0.001);
  const v90 = entry.p90[b.alertIdx] ?? entry.baseP90;
  const ve = entry.err[b.alertIdx] ?? 0;
  let alertSvc = sys.entry;
  // A silent callee failure alerts on the entry service: nothing closer to the cause counts the errors.
  if (spec.scenario !== "control" && spec.scenario !== "silent-callee-failure" && rng.chance(0.15)) {
    const direct = [...b.victims].filter(([s, v]) => v.depth === 1 && s !== sys.entry).map(([s]) => s);
    if (direct.length) alertSvc = rng.pick(direct);
  }
  const alertname =
    sys.name === "shop" ? (errorAlert ? "ServiceErrorRateHigh" : "ServiceLatencyP90High") : "SLOFastBurn";
  const startsAt = b.T(b.alertIdx);
  const alert = {
    status: "firing",
    labels: {
      alertname,
      severity: sys.name === "shop" ? "critical" : "page",
      service: alertSvc,
      namespace: b.ns,
      ...(sys.name === "ledger" ? { slo: errorAlert ? "availability" : "latency" } : { team: "storefront" }),
    },
    annotations:
      sys.name === "shop"
        ? errorAlert
          ? {
              summary: `error ratio of ${alertSvc} above 5% for 2m`,
              description: `${alertSvc} error ratio is ${(ve * 100).toFixed(1)}% (baseline ${(entry.baseErr * 100).toFixed(2)}%)`,
              runbook_url: "https://runbooks.shop.internal/service-errors",
            }
          : {
              summary: `p90 latency of ${alertSvc} above 2x baseline for 2m`,
              description: `${alertSvc} p90 is ${v90.toFixed(3)}s (baseline ${entry.baseP90.toFixed(3)}s)`,
              runbook_url: "https://runbooks.shop.internal/service-latency",
            }
        : {
            summary: `${errorAlert ? "availability" : "latency"} SLO of ${alertSvc} burning error budget at ${rng.range(10, 20).toFixed(1)}x (5m/1h windows)`,
            description: "fast-burn multiwindow alert",
          },
    startsAt: new Date(startsAt).toISOString().replace(".000Z", "Z"),
    endsAt: "0001-01-01T00:00:00Z",
    generatorURL:
      sys.name === "shop"
        ? "http://prometheus.monitoring.svc:9090/graph?g0.expr=..."
        : "https://monitoring.ledger.internal/alerting/slo",
    fingerprint: sha256(`${id}:${alertname}:${alertSvc}`).slice(0, 16),
  };

  const changes = b.changes.filter((c) => c.t >= b.t0 && c.t <= b.now).sort((x, y) => x.t - y.t);
  const events = b.events
    .filter(
      (e) => Date.parse(String(e.firstTimestamp)) <= b.now && Date.parse(String(e.firstTimestamp)) >= b.t0 - 60_000,
    )
    .sort(
      (x, y) =>
        Date.parse(String(x.lastTimestamp)) - Date.parse(String(y.lastTimestamp)) ||
        String((x.metadata as Json).name).localeCompare(String((y.metadata as Json).name)),
    );

  // Topology: services, pods that exist now or have metrics, nodes.
  const topoPods = b.pods.filter((p) => p.to >= b.nowIdx || (p.emitsMetrics && p.from <= Math.min(p.to, b.nowIdx)));
  const topology = {
    nodes: [
      ...sys.services.map((s) => ({ id: s.name, kind: "service" })),
      ...topoPods.map((p) => ({ id: p.name, kind: "pod" })),
      ...sys.nodes.map((n) => ({ id: n.name, kind: "node" })),
    ],
    edges: [
      ...sys.calls.map(([a, c]) => ({ from: a, to: c, kind: "calls" })),
      ...topoPods.map((p) => ({ from: p.svc, to: p.name, kind: "owns" })),
      ...topoPods.filter((p) => !p.unschedulable).map((p) => ({ from: p.name, to: p.node, kind: "runs_on" })),
    ],
  };

  const modalities = ["metrics", "logs", ...(spans.length ? ["traces"] : []), "topology", "changes", "k8s"];
  const manifest = {
    version: 1,
    id,
    system: sys.name,
    source: { dataset: "vigil-synthetic", license: "MIT", generator: "scripts/generate-incidents.ts", seed },
    window: { start: b.t0, end: b.now },
    now: b.now,
    stepMs: b.step,
    modalities,
    signals: {
      latency_p50: { unit: "s" },
      latency_p90: { unit: "s" },
      latency_p99: { unit: "s" },
      error_rate: { unit: "ratio" },
      request_rate: { unit: "req/s" },
      cpu: { unit: "cores", byName: { container_cpu_usage_cores: "cores", node_cpu_utilisation_ratio: "ratio" } },
      mem: { unit: "MiB", byName: { container_memory_working_set_mib: "MiB", node_memory_utilisation_ratio: "ratio" } },
      cpu_throttle: { unit: "ratio" },
      restarts: { unit: "count" },
      socket: { unit: "connections" },
      other: { unit: "MiB", byName: { container_spec_memory_limit_mib: "MiB" } },
    },
  };
  writeFileSync(join(dir, "manifest.json"), json(manifest));
  writeFileSync(join(dir, "alert.json"), json(alert));
  writeFileSync(join(dir, "metrics.jsonl.gz"), gz(series));
  writeFileSync(
    join(dir, "logs.jsonl.gz"),
    gz(
      logs.map((l) =>
        l.traceId
          ? { t: l.t, labels: l.labels, line: l.line, traceId: l.traceId }
          : { t: l.t, labels: l.labels, line: l.line },
      ),
    ),
  );
  if (spans.length) writeFileSync(join(dir, "spans.jsonl.gz"), gz(spans));
  writeFileSync(
    join(dir, "topology.json"),
    `{"nodes": [\n${topology.nodes.map((x) => JSON.stringify(x)).join(",\n")}\n],\n"edges": [\n${topology.edges.map((x) => JSON.stringify(x)).join(",\n")}\n]}\n`,
  );
  writeFileSync(
    join(dir, "changes.jsonl"),
    changes.map((c) => JSON.stringify(c)).join("\n") + (changes.length ? "\n" : ""),
  );
  writeFileSync(join(dir, "k8s", "objects.json"), `[\n${k8s.map((o) => JSON.stringify(o)).join(",\n")}\n]\n`);
  writeFileSync(
    join(dir, "k8s", "events.jsonl"),
    events.map((e) => JSON.stringify(e)).join("\n") + (events.length ? "\n" : ""),
  );

  const isControl = spec.scenario === "control";
  const faultClass =
    spec.scenario === "blocked-callee" && spec.variant === "socket" ? "socket" : FAULT_CLASS[spec.scenario];
  const answer = {
    caseId: id,
    rootCause: isControl
      ? { service: null, entity: null, faultClass: "none", indicator: null }
      : { service: spec.cause as string, entity: b.entity, faultClass, indicator: INDICATOR[spec.scenario] },
    aliases: isControl ? [] : [...new Set(b.aliases)],
    injectedAt: isControl ? null : b.injectedAt,
    noFault: isControl,
    scenario: spec.scenario,
    ...(spec.victim ? { victim: spec.victim } : {}),
    alertService: alertSvc,
  };
  mkdirSync(join(outDir, "answers"), { recursive: true });
  writeFileSync(join(outDir, "answers", `${id}.json`), json(answer));
  return {
    id,
    index,
    scenario: spec.scenario,
    system: sys.name,
    stepMs: b.step,
    short: spec.short === true,
    faultClass,
    cause: spec.cause ?? null,
    modalities,
    baselinePoints: b.alertIdx,
    alertname,
  };
}

function readme(seed: number, cases: CaseSummary[]): string {
  const faults = cases.filter((c) => c.scenario !== "control");
  const controls = cases.filter((c) => c.scenario === "control");
  const count = <K extends string>(xs: CaseSummary[], key: (c: CaseSummary) => K) => {
    const m = new Map<K, number>();
    for (const c of xs) m.set(key(c), (m.get(key(c)) ?? 0) + 1);
    return [...m].sort((a, b2) => (a[0] < b2[0] ? -1 : 1));
  };
  const step = (ms: number) => (ms >= 60_000 ? `${ms / 60_000} min` : `${ms / 1000} s`);
  const demo = cases[0] as CaseSummary;
  const lines = [
    "# Vigil incident scenario suite (synthetic)",
    "",
    "A public, synthetic set of incident fixtures in the layout of `shared/fixtures/FORMAT.md` (version 1). Every file",
    "here is generated: no data comes from a real system. The set exercises the investigation end to end: metrics, logs,",
    "traces, Kubernetes objects and events, and change events, with faults that propagate along the call graph so that",
    "the loudest service is usually a victim rather than the cause.",
    "",
    "## Provenance",
    "",
    `- Generator: \`scripts/generate-incidents.ts\`, seed \`${seed}\`.`,
    `- Command: \`npx tsx scripts/generate-incidents.ts --out examples/incidents --seed ${seed}\`.`,
    "- Deterministic: the same seed gives byte-identical files (seeded mulberry32, gzip without timestamps);",
    "  `test/incidents-suite.test.ts` regenerates the set and fails if the committed tree drifted.",
    "- Licence: MIT (same as the repository). Case ids are `c-` + 8 hex digits of sha256(`<seed>:<index>`).",
    `- Bundled demo: \`cases/${demo.id}\` (system \`${demo.system}\`, scenario \`${demo.scenario}\`, root cause \`${demo.cause}\`).`,
    "",
    "## Systems",
    "",
    "- `shop` (namespace `shop`): web -> api-gateway -> {checkout, cart, orders, inventory}; checkout -> {payments, orders, cart};",
    "  cart -> redis; orders -> postgres; inventory -> postgres. Plus a batch workload `search-reindexer` outside the call graph.",
    "- `ledger` (namespace `ledger-prod`), anonymised names: svc-0e21 -> svc-7f3a -> {svc-91d2, svc-b21e};",
    "  svc-b21e -> {svc-c3f8 (cache), svc-4c90}; svc-4c90 -> {svc-e55d, svc-5a6b}; svc-e55d -> svc-d0b7 (database).",
    "  Plus a batch workload `svc-2b7e` outside the call graph.",
    "",
    `## Cases: ${faults.length} fault cases, ${controls.length} fault-free controls (${cases.length} in all)`,
    "",
    "| case | scenario | faultClass | system | root cause | step | baseline points | modalities |",
    "|---|---|---|---|---|---|---|---|",
    ...cases.map(
      (c) =>
        `| ${c.id} | ${c.scenario} | ${c.faultClass} | ${c.system} | ${c.cause ?? "(none)"} | ${step(c.stepMs)} | ${c.baselinePoints} | ${c.modalities.join(", ")} |`,
    ),
    "",
    "| scenario | faultClass | cases |",
    "|---|---|---|",
    ...count(cases, (c) => `${c.scenario} | ${c.faultClass}`).map(([k, n]) => `| ${k} | ${n} |`),
    "",
    "| system | step | cases |",
    "|---|---|---|",
    ...count(cases, (c) => `${c.system} | ${step(c.stepMs)}`).map(([k, n]) => `| ${k} | ${n} |`),
    "",
    "Modalities per case: every case has metrics, logs, topology, changes and k8s (objects and events); traces",
    `(spans.jsonl.gz) are present in ${cases.filter((c) => c.modalities.includes("traces")).length} cases.`,
    "",
    "## How the data is shaped",
    "",
    "- Sampling: 15 s, 60 s and 300 s steps; some cases have a short baseline (3-4 points before the alert). `now` is the",
    "  alert start + 2-4 steps; no file holds anything after `now`; `window` = [first point, `now`].",
    "- Metrics: per service p50/p90/p99 latency, error ratio, request rate and (for callers) connection-pool use; per pod",
    "  cpu, memory (working set and limit), cpu throttling, restarts and request rate; per node cpu and memory utilisation.",
    "  Baselines are flat with noise (no diurnal pattern).",
    "- Propagation: the cause's anomaly starts first (one step ahead at 15 s and 60 s resolution), callers follow;",
    "  in most cases callers move more in relative terms than the cause and log more, louder errors",
    '  ("upstream X timed out after 5000ms", "connection refused").',
    "- Alerts are Alertmanager entries and usually name the entry service's symptom; in controls the alert fired on a",
    "  noise crossing of the entry service's p90.",
    "- Changes include the faulty change (when there is one) and unrelated benign changes, sometimes a benign change on a",
    "  victim shortly before the fault.",
    "- Answers (`answers/<id>.json`) carry `rootCause {service, entity, faultClass, indicator}`, `aliases`, `injectedAt`,",
    "  `noFault`, plus `scenario` and `alertService`. For a noisy neighbour the root cause is the neighbour workload and",
    "  `victim` names the service it slowed down. For a database or cache outage the aliases name the database pod.",
    "- `silent-callee-failure`: a runtime feature-flag flip that no change feed recorded makes a callee fail requests",
    "  without counting or logging it (no error-ratio series of its own) and every span has status `unset`; its caller",
    "  gives up right after the call, so after the onset requests end there and the callees after it lose traffic.",
    "",
  ];
  return lines.join("\n");
}

export function generateIncidents(opts: { out: string; seed: number }): CaseSummary[] {
  const out = resolve(opts.out);
  rmSync(join(out, "cases"), { recursive: true, force: true });
  rmSync(join(out, "answers"), { recursive: true, force: true });
  mkdirSync(join(out, "cases"), { recursive: true });
  const cases = PLAN.map((spec, index) => buildCase(opts.seed, index, spec, out));
  writeFileSync(join(out, "README.md"), readme(opts.seed, cases));
  return cases;
}

function main(): void {
  const args = process.argv.slice(2);
  let out = "examples/incidents";
  let seed = 42;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--out") out = args[++i] ?? out;
    else if (args[i] === "--seed") seed = Number(args[++i]);
  }
  if (!Number.isFinite(seed)) throw new Error("--seed must be a number");
  const cases = generateIncidents({ out, seed });
  const faults = cases.filter((c) => c.scenario !== "control").length;
  process.stdout.write(
    `wrote ${cases.length} cases (${faults} fault, ${cases.length - faults} control) to ${out}; demo case ${cases[0]?.id}\n`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
