import { z } from "zod";
import type { ChangeEvent, ChangesSource, TimeRange, ToolError, ToolResult } from "../interfaces.ts";

export const CHANGE_TYPES = ["rollout", "image", "config", "scale", "restart", "other"] as const;

/** Below this a numeric time is taken as Unix seconds (CI systems send both); 1e11 ms is 1973. */
const SECONDS_BELOW = 1e11;

const timeSchema = z.union([
  z.number().finite().positive(),
  z
    .string()
    .min(1)
    .refine((s) => Number.isFinite(Date.parse(s)), "not an ISO 8601 time"),
]);

function toMs(value: number | string): number {
  if (typeof value === "string") return Date.parse(value);
  return value < SECONDS_BELOW ? value * 1000 : value;
}

/**
 * One change a CI/CD system posts: `{t|time, service, kind, name, namespace?, type, description, url?}`. `t` is Unix
 * ms (or seconds), `time` an ISO string; one of them is required. An unknown `type` becomes `other`.
 */
export const webhookChangeSchema = z
  .object({
    t: timeSchema.optional(),
    time: timeSchema.optional(),
    service: z.string().trim().min(1).max(200),
    kind: z.string().trim().min(1).max(100),
    name: z.string().trim().min(1).max(300),
    namespace: z.string().trim().min(1).max(253).optional(),
    type: z
      .string()
      .trim()
      .transform((t) => ((CHANGE_TYPES as readonly string[]).includes(t) ? t : "other")),
    description: z.string().max(2000),
    url: z.string().url().optional(),
  })
  .refine((c) => c.t !== undefined || c.time !== undefined, { message: "t or time is required", path: ["t"] })
  .transform((c): ChangeEvent => {
    const t = toMs((c.t ?? c.time) as number | string);
    return {
      t,
      entity: { kind: c.kind, ...(c.namespace ? { namespace: c.namespace } : {}), name: c.name },
      type: c.type,
      description: c.description,
      service: c.service,
      source: "webhook",
      ref: c.url ?? `webhook:${c.service}/${c.kind}/${c.name}@${new Date(t).toISOString()}`,
    };
  });

/** The webhook body: one change, an array of them, or `{ changes: [...] }`. */
export const webhookChangesBodySchema = z.union([
  webhookChangeSchema.transform((c) => [c]),
  z.array(webhookChangeSchema).max(1000),
  z.object({ changes: z.array(webhookChangeSchema).max(1000) }).transform((b) => b.changes),
]);

/** Changes held in memory (webhook posts until the daemon persists them, fixtures, tests). */
export class MemoryChangesSource implements ChangesSource {
  readonly backend: string;
  readonly #changes: ChangeEvent[] = [];

  constructor(changes: ChangeEvent[] = [], backend = "webhook") {
    this.backend = backend;
    this.add(changes);
  }

  add(changes: ChangeEvent[]): void {
    this.#changes.push(...changes);
  }

  async listChanges(range: TimeRange): Promise<ToolResult<ChangeEvent[]>> {
    const data = this.#changes.filter((c) => c.t >= range.from && c.t <= range.to).sort((a, b) => a.t - b.t);
    return { ok: true, data, truncated: false };
  }
}

/**
 * One `ChangesSource` over several: answers are merged, de-duplicated (same source, ref and time) and sorted by time.
 * A source that fails makes the answer `truncated`; only when every source fails is the first error returned.
 */
export function mergeChangeSources(...sources: ChangesSource[]): ChangesSource {
  return {
    backend: sources.map((s) => s.backend).join("+") || "none",
    async listChanges(range: TimeRange): Promise<ToolResult<ChangeEvent[]>> {
      const answers = await Promise.all(
        sources.map((s) =>
          s.listChanges(range).catch(
            (error: unknown): ToolResult<ChangeEvent[]> => ({
              ok: false,
              error: { backend: s.backend, kind: "unavailable", message: String((error as Error)?.message ?? error) },
            }),
          ),
        ),
      );
      const errors: ToolError[] = [];
      const seen = new Set<string>();
      const data: ChangeEvent[] = [];
      let truncated = false;
      for (const answer of answers) {
        if (!answer.ok) {
          errors.push(answer.error);
          continue;
        }
        truncated ||= answer.truncated;
        for (const change of answer.data) {
          const key = `${change.source}\u0000${change.ref}\u0000${change.t}\u0000${change.type}`;
          if (seen.has(key)) continue;
          seen.add(key);
          data.push(change);
        }
      }
      if (sources.length > 0 && errors.length === sources.length) return { ok: false, error: errors[0] };
      data.sort((a, b) => a.t - b.t);
      return { ok: true, data, truncated: truncated || errors.length > 0 };
    },
  };
}
