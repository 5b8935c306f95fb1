/**
 * Verifies a whole audit log, page by page (the log may not fit in memory):
 * each page is checked with `verifyAuditChain` (exhibits/chain.ts) together
 * with the last entry of the page before, so every link is checked once; the
 * log must start at the genesis hash and `seq`s must run without gaps.
 *
 * What it proves: no stored entry was modified, deleted (gap, or a broken
 * link where later entries were renumbered), reordered or re-hashed without
 * re-hashing everything after it. Removing entries at the very end leaves a
 * shorter, intact chain: compare the head hash printed with one kept
 * elsewhere (an exhibit's custody log holds the head of its time).
 */
import { verifyAuditChain, type ChainProblem } from '../exhibits/chain';
import type { AuditLog } from './audit.port';

export interface AuditLogVerification {
  ok: boolean;
  entries: number;
  /** Hash of the last entry; null when the log is empty or its last row is unreadable. */
  head: string | null;
  headSeq: number | null;
  /** The first problem in log order: the entry `audit verify` names. */
  firstBad: ChainProblem | null;
  /** At most `maxProblems` of them. */
  problems: ChainProblem[];
}

const PAGE = 1000;

export async function verifyAuditLog(log: AuditLog, options: { maxProblems?: number } = {}): Promise<AuditLogVerification> {
  const maxProblems = options.maxProblems ?? 100;
  const problems: ChainProblem[] = [];
  let entries = 0;
  let head: string | null = null;
  let headSeq: number | null = null;
  let carry: unknown = undefined;
  let page: unknown[] = [];

  const check = () => {
    if (page.length === 0) return;
    const first = carry === undefined;
    const list = first ? page : [carry, ...page];
    const offset = first ? 0 : 1;
    const result = verifyAuditChain(list, { complete: first });
    for (const p of result.problems) {
      // The carried entry was checked with the page before.
      if (p.index < offset) continue;
      problems.push({ ...p, index: entries - page.length + p.index - offset });
    }
    if (!first) {
      // Without `complete` a gap is only reported in `gaps`; over the whole log it is a deletion.
      for (const gap of result.gaps) {
        const index = list.findIndex((e) => (e as { seq?: unknown }).seq === gap.before);
        problems.push({
          kind: 'gap',
          index: entries - page.length + index - offset,
          seq: gap.before,
          message: `entries ${gap.after + 1}..${gap.before - 1} are missing`,
        });
      }
    }
    head = result.head;
    const last = page[page.length - 1] as { seq?: unknown };
    headSeq = typeof last.seq === 'number' ? last.seq : null;
    carry = page[page.length - 1];
    page = [];
  };

  for await (const raw of log.scan()) {
    page.push(raw);
    entries++;
    if (page.length === PAGE) check();
    if (problems.length >= maxProblems) break;
  }
  check();
  problems.sort((a, b) => a.index - b.index);
  const kept = problems.slice(0, maxProblems);
  return { ok: kept.length === 0, entries, head, headSeq, firstBad: kept[0] ?? null, problems: kept };
}
