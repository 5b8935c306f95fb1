/** The readable form of a bundle verification (what `exemplar exhibit verify` prints). */
import type { BundleVerification } from './verify-bundle';

export function formatBundleVerification(r: BundleVerification): string {
  const lines = [`Exhibit bundle ${r.bundle}`];
  if (r.case) lines.push(`  case ${r.case.reference} (${r.case.id}): ${r.case.title}`);
  if (r.generatedAt) lines.push(`  generated ${r.generatedAt}`);
  lines.push(`  ${r.files.present} file(s) present, ${r.files.listed} listed, ${r.files.bytesHashed} bytes re-hashed`);
  if (r.entriesSha256) lines.push(`  entries sha256 ${r.entriesSha256}`);
  if (r.reportSha256) lines.push(`  report sha256  ${r.reportSha256}`);
  if (r.custodyLog) {
    lines.push(`  custody log    ${r.custodyLog.entries} entr${r.custodyLog.entries === 1 ? 'y' : 'ies'}, head ${r.custodyLog.head ?? '(empty)'}`);
    if (r.custodyLog.gaps.length) lines.push(`                 not in this case's log: seq ${r.custodyLog.gaps.map((g) => `${g.after + 1}..${g.before - 1}`).join(', ')}`);
  }
  lines.push('');
  for (const c of r.checks) {
    lines.push(`${c.ok ? 'ok    ' : 'FAILED'}  ${c.title}`);
    for (const p of r.problems.filter((p) => p.check === c.check)) lines.push(`          - ${p.message}`);
  }
  lines.push('', r.ok ? 'INTACT' : `NOT INTACT: ${r.problems.length} problem(s)`);
  return lines.join('\n') + '\n';
}
