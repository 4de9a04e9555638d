import type { InvestigationResult } from "../../agents/types.ts";

/** A terminal rendering of an investigation: the same structure as the Slack summary, in plain text. */
export function formatSummary(result: InvestigationResult): string {
  const s = result.summary;
  const lines: string[] = [];
  lines.push(s.headline, "");
  lines.push(s.whatIsGoingOn, "");
  if (s.likelyCause) lines.push(`Likely cause: ${s.likelyCause}`);
  lines.push(
    `Confidence:   ${Math.round(result.confidence * 100)}%${result.abstained ? " (below threshold: no conclusive cause)" : ""}`,
  );
  if (s.whyNotHigher.length > 0) lines.push(`Why not higher: ${s.whyNotHigher.join("; ")}`);
  lines.push("", "Evidence:");
  for (const e of s.evidence)
    lines.push(`  • ${e.text}`, `      [${e.evidenceId}] ${e.link ?? refOf(result, e.evidenceId)}`);
  if (s.evidence.length === 0) lines.push("  (none above the noise)");
  if (result.candidates.length > 0) {
    lines.push("", "Ranking:");
    for (const [i, c] of result.candidates.slice(0, 5).entries()) {
      lines.push(`  ${i + 1}. ${c.service.padEnd(28)} ${c.score.toFixed(2)}  ${c.mechanism} [${c.faultClass}]`);
    }
  }
  if (s.ruledOut.length > 0) {
    lines.push("", "Ruled out / checked:");
    for (const r of s.ruledOut.slice(0, 6)) lines.push(`  - ${r}`);
  }
  lines.push("", "Next steps:");
  for (const n of s.nextSteps) lines.push(`  → ${n}`);
  lines.push(
    "",
    `${result.strategies.length} strategies, ${result.toolCalls.length} tool calls, ${result.durationMs} ms`,
  );
  return lines.join("\n");
}

function refOf(result: InvestigationResult, evidenceId: string): string {
  for (const c of result.candidates) {
    const e = c.evidence.find((x) => x.id === evidenceId);
    if (e) return e.ref;
  }
  return "";
}
