import { prometheusLink } from "../evidence.ts";
import type { Alert, Candidate, Evidence, StrategyReport, Summary } from "../types.ts";
import type { ConfidenceAssessment } from "./confidence.ts";

const MIN_BULLETS = 2;
const MAX_BULLETS = 5;

export interface SummaryLinks {
  prometheusUrl?: string;
}

/** Deep link for an evidence record, when its backend has a configured base URL. */
export function evidenceLink(evidence: Evidence, links: SummaryLinks = {}): string | undefined {
  if (evidence.type === "metric" && links.prometheusUrl && !evidence.ref.startsWith("fixture:")) {
    return prometheusLink(links.prometheusUrl, evidence.ref, evidence.from, evidence.to);
  }
  return undefined;
}

function pct(confidence: number): string {
  return `${Math.round(confidence * 100)}%`;
}

function alertSubject(alert: Alert): string {
  return alert.service ? `${alert.alertname} on ${alert.service}` : alert.alertname;
}

/** Evidence bullets: the top candidate's strongest records first, then corroborating ones from the runners-up. */
function pickEvidence(candidates: Candidate[], links: SummaryLinks): Summary["evidence"] {
  const ordered: Evidence[] = [];
  for (const c of candidates.slice(0, 3)) ordered.push(...c.evidence);
  const bullets: Summary["evidence"] = [];
  const seen = new Set<string>();
  for (const e of ordered) {
    if (bullets.length >= MAX_BULLETS) break;
    if (seen.has(e.id)) continue;
    if (bullets.length >= MIN_BULLETS && e.service !== candidates[0]?.service) continue;
    seen.add(e.id);
    bullets.push({ text: e.summary, evidenceId: e.id, link: evidenceLink(e, links) });
  }
  return bullets;
}

/**
 * The deterministic summary, built only from evidence records. An LLM may later rephrase it, never add to it.
 */
export function buildSummary(input: {
  alert: Alert;
  candidates: Candidate[];
  reports: StrategyReport[];
  assessment: ConfidenceAssessment;
  links?: SummaryLinks;
}): Summary {
  const { alert, candidates, reports, assessment } = input;
  const top = candidates[0];
  const checked = reports.flatMap((r) => r.checked.map((c) => `${r.name}: ${c}`));
  const errors = reports.flatMap((r) => r.errors.map((e) => `${r.name} could not read: ${e}`));
  const evidence = pickEvidence(candidates, input.links ?? {});

  if (assessment.abstained || !top) {
    const lead = top ? `Strongest lead: ${top.service} (${top.mechanism}, ${pct(assessment.confidence)}).` : "";
    return {
      headline: `No conclusive cause found for ${alertSubject(alert)}`,
      whatIsGoingOn:
        `${alertSubject(alert)} is firing; no service stands out clearly from its baseline. ${lead}`.trim(),
      likelyCause: undefined,
      confidence: assessment.confidence,
      whyNotHigher: assessment.whyNotHigher,
      evidence,
      ruledOut: [...checked, ...errors],
      nextSteps: top
        ? [
            `Look at ${top.service} first: ${top.mechanism}.`,
            `Check recent deploys and config changes around ${new Date(alert.startsAt).toISOString()}.`,
          ]
        : [`Check recent deploys and config changes around ${new Date(alert.startsAt).toISOString()}.`],
    };
  }

  const others = candidates.slice(1, 4).map((c) => `${c.service} (${c.mechanism}; ranked below ${top.service})`);
  const victims = candidates
    .slice(1)
    .filter((c) => c.score < top.score * 0.7)
    .map((c) => c.service);
  const nextSteps = [
    `Inspect ${top.service}${top.entity ? ` (${top.entity})` : ""}: ${top.mechanism} began around the alert.`,
    `Check what changed in ${top.service} before ${new Date(alert.startsAt).toISOString()} (deploys, config, load).`,
  ];
  if (victims.length > 0)
    nextSteps.push(`Treat ${victims.slice(0, 3).join(", ")} as likely victims until ${top.service} recovers.`);
  return {
    headline: `${alertSubject(alert)}: likely caused by ${top.service} (${top.mechanism})`,
    whatIsGoingOn: `${alertSubject(alert)} fired at ${new Date(alert.startsAt).toISOString()}. ${top.service} deviates most from its baseline${top.strategies.length > 1 ? `, corroborated by ${top.strategies.join(", ")}` : ""}.`,
    likelyCause: `${top.service}${top.entity ? ` (${top.entity})` : ""}: ${top.mechanism} [${top.faultClass}]`,
    confidence: assessment.confidence,
    whyNotHigher: assessment.whyNotHigher,
    evidence,
    ruledOut: [...others, ...errors],
    nextSteps,
  };
}
