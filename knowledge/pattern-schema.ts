/**
 * The shape of a learned pattern: generalized, anonymized content only. Closed vocabularies (signals, roles, fault
 * classes) are enums in the schema, so those fields cannot carry a customer's words; the free-form fields
 * (description, checks, alert class) are the ones the anonymizer guards.
 */
import { z } from "zod";
import { FAULT_CLASSES } from "../agents/types.ts";

export { FAULT_CLASSES };

export const SIGNALS = [
  "latency",
  "errors",
  "traffic",
  "cpu",
  "cpu-throttle",
  "mem",
  "disk",
  "network",
  "packet-loss",
  "socket",
  "restarts",
  "error-templates",
  "trace-errors",
  "k8s-events",
  "recent-change",
  "other",
] as const;
export type Signal = (typeof SIGNALS)[number];

/** Where a symptom shows, relative to the alerted (entry) service. */
export const WHERES = ["entry", "callee", "caller", "other"] as const;
export type Where = (typeof WHERES)[number];

export const PATTERN_STATUSES = ["proposed", "approved", "rejected"] as const;
export type PatternStatus = (typeof PATTERN_STATUSES)[number];

export const symptomFeatureSchema = z.object({
  signal: z.enum(SIGNALS),
  where: z.enum(WHERES),
  direction: z.enum(["up", "down"]).optional(),
  /** `false` pins an absence that was checked ("no error templates"). */
  present: z.boolean().optional(),
});
export type SymptomFeature = z.infer<typeof symptomFeatureSchema>;

export const alertClassSchema = z.object({
  alertname: z.string().min(1).max(200),
  /** Label keys of the alert (not values), sorted, `alertname` excluded. */
  labelKeys: z.array(z.string().max(100)).max(50),
});
export type AlertClass = z.infer<typeof alertClassSchema>;

export const patternContentSchema = z.object({
  alertClass: alertClassSchema,
  signature: z.array(symptomFeatureSchema).max(50),
  rootCause: z.object({
    faultClass: z.enum(FAULT_CLASSES),
    where: z.enum(WHERES),
    mechanism: z.string().max(200).optional(),
  }),
  foundBy: z.object({
    strategies: z.array(z.string().max(100)).max(20),
    checks: z.array(z.string().max(300)).max(30),
  }),
  description: z.string().min(1).max(1000),
  /** Pseudonyms of the services involved, for display within this install; never exported. */
  origin: z
    .object({
      entryService: z.string().max(100).optional(),
      causeService: z.string().max(100).optional(),
    })
    .optional(),
});
export type PatternContent = z.infer<typeof patternContentSchema>;

export interface LearnedPattern extends PatternContent {
  id: string;
  status: PatternStatus;
  /** How many confirmed investigations proposed this same pattern. */
  occurrences: number;
  createdAt: Date;
  updatedAt: Date;
  /** Pseudonym of the reviewer (reveal it within the install). */
  reviewedBy?: string;
  reviewedAt?: Date;
}

/** What an incoming alert is matched on: its name and the shape of its labels. */
export interface AlertSignature {
  alertname: string;
  labelKeys: string[];
}
