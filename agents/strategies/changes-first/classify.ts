import type { ChangeEvent } from "../../../tools/interfaces.ts";
import type { FaultClass } from "../../types.ts";

export interface ChangeKind {
  faultClass: FaultClass;
  mechanism: string;
  /** How likely a change of this kind is to break its component at all (metadata edits rarely do). */
  prior: number;
}

function quantity(text: string): number | undefined {
  const m = /^([\d.]+)\s*([a-zA-Z]*)$/.exec(text.trim());
  if (!m) return undefined;
  const units: Record<string, number> = {
    "": 1,
    m: 1e-3,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    K: 1e3,
    M: 1e6,
    G: 1e9,
  };
  const unit = units[m[2]];
  return unit === undefined ? undefined : Number(m[1]) * unit;
}

/** `a -> b` in a description, as numbers when both sides parse (`512Mi -> 128Mi`, `replicas 4 -> 2`). */
function fromTo(description: string): { from: number; to: number } | undefined {
  const m = /([\d.]+\s*[a-zA-Z]*)\s*(?:->|→|to)\s*([\d.]+\s*[a-zA-Z]*)/.exec(description);
  if (!m) return undefined;
  const from = quantity(m[1]);
  const to = quantity(m[2]);
  return from === undefined || to === undefined ? undefined : { from, to };
}

/**
 * What kind of fault a change would cause if it were the culprit: config edits → config_change, new images and
 * rollouts → code_error, capacity taken away (scale-down, lower limits, bigger requests) → capacity / mem / cpu.
 */
export function classifyChange(change: Pick<ChangeEvent, "type" | "description" | "entity">): ChangeKind {
  const type = change.type.toLowerCase();
  const text = `${type} ${change.entity.kind} ${change.description}`;
  // Metadata-only edits do not restart or reconfigure anything.
  if (
    /no pod template change|annotation|label/i.test(`${type} ${change.description}`) &&
    !/image/i.test(change.description)
  )
    return { faultClass: "config_change", mechanism: "metadata change", prior: 0.3 };
  if (/config|secret|env|flag/i.test(`${type} ${change.entity.kind}`))
    return { faultClass: "config_change", mechanism: `config change: ${change.description}`, prior: 1 };
  const delta = fromTo(change.description);
  if (/scale|replica/i.test(type) || /^replicas\b/i.test(change.description)) {
    if (delta && delta.to < delta.from)
      return { faultClass: "capacity", mechanism: `scaled down: ${change.description}`, prior: 1 };
    return { faultClass: "capacity", mechanism: `scaled: ${change.description}`, prior: 0.6 };
  }
  if (/resource|limits?\.|requests?\./i.test(text)) {
    if (/limits?\.memory/i.test(change.description) && delta && delta.to < delta.from)
      return { faultClass: "mem", mechanism: `memory limit lowered: ${change.description}`, prior: 1 };
    if (/limits?\.cpu/i.test(change.description) && delta && delta.to < delta.from)
      return { faultClass: "cpu", mechanism: `CPU limit lowered: ${change.description}`, prior: 1 };
    if (/requests?\./i.test(change.description) && delta && delta.to > delta.from)
      return { faultClass: "capacity", mechanism: `resource requests raised: ${change.description}`, prior: 1 };
    return { faultClass: "config_change", mechanism: `resources changed: ${change.description}`, prior: 0.8 };
  }
  if (/image|rollout|deploy|release|revision/i.test(text))
    return { faultClass: "code_error", mechanism: `rollout: ${change.description}`, prior: 1 };
  if (/restart/i.test(type)) return { faultClass: "code_error", mechanism: "restart", prior: 0.5 };
  return { faultClass: "config_change", mechanism: change.description, prior: 0.6 };
}
