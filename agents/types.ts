import type { MetricKind, TimeRange, ToolCallRecord } from "../tools/interfaces.ts";
import type { InvestigationTrace } from "./trace/types.ts";

/** A normalized alert, whatever it came from (Alertmanager, Slack, CLI, fixture). */
export interface Alert {
  fingerprint: string;
  alertname: string;
  status: "firing" | "resolved";
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Unix ms. */
  startsAt: number;
  /** The service the alert names, when a label gives one. */
  service?: string;
  generatorURL?: string;
}

export interface Evidence {
  /** Stable within one investigation, e.g. "ev-3". Claims cite it. */
  id: string;
  type: "metric" | "log" | "trace" | "k8s" | "change";
  /** Reopens the evidence: a query, a series selector, a trace id, an object reference. */
  ref: string;
  from: number;
  to: number;
  /** One line a person can read, e.g. "p90 latency of cartservice 0.41 s vs baseline 0.02 s (score 18.2)". */
  summary: string;
  /** Deep link when base URLs are configured. */
  link?: string;
  service?: string;
  kind?: MetricKind;
  score?: number;
  baseline?: number;
  observed?: number;
}

/** The fault classes of the fixture format (`shared/fixtures/FORMAT.md`). */
export const FAULT_CLASSES = [
  "cpu",
  "mem",
  "disk",
  "network_delay",
  "network_loss",
  "socket",
  "code_error",
  "config_change",
  "capacity",
  "dependency",
  "none",
] as const;
export type FaultClass = (typeof FAULT_CLASSES)[number];

export interface Hypothesis {
  service: string;
  entity?: string;
  faultClass: FaultClass;
  /** Short mechanism, e.g. "cpu saturation", "latency increase". */
  mechanism: string;
  /** Strength in [0, 1] as judged by the strategy. */
  score: number;
  strategy: string;
  evidence: Evidence[];
  /**
   * Services this one crowds on a shared node (a noisy neighbour): their own resource trouble is its doing, so
   * synthesis ranks them below it.
   */
  crowds?: string[];
  /**
   * It names a cause that explains the symptoms (a change, the cluster's state, a resource at its limit), not a symptom
   * itself (slower, failing, its callers time out): synthesis reports a candidate's fault class from it.
   */
  explains?: boolean;
}

export interface StrategyReport {
  name: string;
  durationMs: number;
  toolCalls: number;
  /** What the strategy looked at, even when it found nothing. */
  checked: string[];
  hypotheses: Hypothesis[];
  /** Sources it could not read. */
  errors: string[];
}

export interface Candidate {
  service: string;
  entity?: string;
  faultClass: FaultClass;
  mechanism: string;
  score: number;
  strategies: string[];
  evidence: Evidence[];
}

export interface Summary {
  headline: string;
  whatIsGoingOn: string;
  likelyCause?: string;
  confidence: number;
  whyNotHigher: string[];
  evidence: Array<{ text: string; evidenceId: string; link?: string }>;
  ruledOut: string[];
  nextSteps: string[];
}

export interface InvestigationResult {
  caseId?: string;
  alert: Alert;
  abstained: boolean;
  confidence: number;
  candidates: Candidate[];
  strategies: Array<{
    name: string;
    durationMs: number;
    toolCalls: number;
    topCandidate?: string;
    checked: string[];
    errors: string[];
  }>;
  summary: Summary;
  durationMs: number;
  toolCalls: ToolCallRecord[];
  llm: { used: boolean; promptTokens: number; completionTokens: number; costUsd?: number };
  window: TimeRange;
  /** Every path the investigation took, as spans. */
  trace?: InvestigationTrace;
}
