/**
 * The audit hash chain, shared by the audit log (which writes it) and the
 * exhibit bundle (whose custody log is a slice of it), so that both compute
 * the same hash for the same entry.
 *
 * An entry's hash is `sha256(canonicalJson(content) + prevHash)`, hex,
 * where `content` is every own property of the entry except `hash` and
 * `prevHash`, and `prevHash` is the previous entry's hash
 * (`AUDIT_GENESIS_HASH` for the first entry of the log). The entry stores its
 * `prevHash` so that a slice of the log (a case's custody log) can still be
 * checked entry by entry; links are checked wherever two consecutive `seq`s
 * are both present.
 */
import { createHash } from 'node:crypto';

/** The `prevHash` of the very first entry of an audit log. */
export const AUDIT_GENESIS_HASH = '0'.repeat(64);

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** What an audit entry holds besides its chain fields. Extra properties are hashed too. */
export interface AuditEntryContent {
  /** Position in the whole audit log, 1-based, without gaps in the full log. */
  seq: number;
  /** ISO 8601 UTC timestamp. */
  time: string;
  /** User id (or `system`) that acted. */
  actor: string;
  /** What was done: `case.read`, `exhibit.retrieve`, `specimen.update` … */
  action: string;
  /** What it was done to: `case:<id>`, `exhibit:<id>`, `original:<sha256>` … */
  target: string;
  requestId?: string;
  /** Hashes of the objects involved, by name (`original`, `report`, `bundle` …). */
  hashes: Record<string, string>;
  details?: { [key: string]: JsonValue };
}

export interface AuditEntry extends AuditEntryContent {
  /** `hash` of the entry with `seq - 1`, or `AUDIT_GENESIS_HASH`. */
  prevHash: string;
  /** `auditEntryHash(this, prevHash)`. */
  hash: string;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * JSON with object keys sorted by UTF-16 code units at every level and no
 * white space. Properties whose value is `undefined` are left out (as
 * JSON.stringify does); anything JSON cannot represent faithfully — non-finite
 * numbers, Dates, Buffers, class instances, functions — is refused, so that
 * two writers can never disagree about how a value is spelled.
 */
export function canonicalJson(value: unknown): string {
  return canonical(value, '$');
}

function canonical(value: unknown, at: string): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: ${at} is not a finite number`);
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((v, i) => (v === undefined ? 'null' : canonical(v, `${at}[${i}]`))).join(',')}]`;
      // Compared by shape, not identity: objects from another realm (a vm, structuredClone under jest) have their own Object.prototype.
      const proto = Object.getPrototypeOf(value) as object | null;
      if (proto !== null && Object.getPrototypeOf(proto) !== null) throw new TypeError(`canonicalJson: ${at} is not a plain object (convert Dates to ISO strings)`);
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record)
        .filter((k) => record[k] !== undefined)
        .sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(record[k], `${at}.${k}`)}`).join(',')}}`;
    }
    default:
      throw new TypeError(`canonicalJson: ${at} has unsupported type ${typeof value}`);
  }
}

/** The entry's content as hashed: every own property except `hash` and `prevHash`. */
export function auditEntryContent(entry: AuditEntryContent | AuditEntry): Record<string, unknown> {
  const content: Record<string, unknown> = { ...entry };
  delete content.hash;
  delete content.prevHash;
  return content;
}

/** `sha256(canonicalJson(content) + prevHash)` as lowercase hex. */
export function auditEntryHash(entry: AuditEntryContent | AuditEntry, prevHash: string): string {
  if (!SHA256_HEX.test(prevHash)) throw new TypeError('auditEntryHash: prevHash must be 64 lowercase hex digits');
  return createHash('sha256')
    .update(canonicalJson(auditEntryContent(entry)) + prevHash, 'utf8')
    .digest('hex');
}

/** Appends `content` after `prev` (or as the first entry when `prev` is null). */
export function chainAuditEntry(content: AuditEntryContent, prev: Pick<AuditEntry, 'hash'> | null): AuditEntry {
  const prevHash = prev ? prev.hash : AUDIT_GENESIS_HASH;
  return { ...content, prevHash, hash: auditEntryHash(content, prevHash) };
}

export type ChainProblemKind = 'invalid-entry' | 'hash-mismatch' | 'broken-link' | 'out-of-order' | 'gap' | 'bad-start';

export interface ChainProblem {
  kind: ChainProblemKind;
  /** Position in the list checked, 0-based. */
  index: number;
  /** The entry's `seq` when it has one. */
  seq: number | null;
  message: string;
}

export interface ChainVerification {
  ok: boolean;
  entries: number;
  /** Hash of the last entry, null for an empty list. */
  head: string | null;
  /** The first problem in log order (what `audit verify` names), null when intact. */
  firstBad: ChainProblem | null;
  problems: ChainProblem[];
  /** Missing `seq` ranges; problems only when `complete` is set. */
  gaps: { after: number; before: number }[];
}

/**
 * Checks a list of audit entries in the order given: each hash matches its
 * content and `prevHash`, `seq` strictly increases, and consecutive `seq`s are
 * linked. With `complete` (the whole audit log, not a case's slice) the list
 * must also start at the genesis hash and have no gaps, so that a deleted
 * entry is caught even when the remaining ones were re-hashed.
 */
export function verifyAuditChain(entries: readonly unknown[], options: { complete?: boolean } = {}): ChainVerification {
  const problems: ChainProblem[] = [];
  const gaps: ChainVerification['gaps'] = [];
  let prev: AuditEntry | null = null;
  entries.forEach((raw, index) => {
    const invalid = entryProblem(raw);
    const seqOf = (v: unknown) => (typeof (v as { seq?: unknown })?.seq === 'number' ? (v as { seq: number }).seq : null);
    if (invalid) {
      problems.push({ kind: 'invalid-entry', index, seq: seqOf(raw), message: invalid });
      prev = null;
      return;
    }
    const entry = raw as AuditEntry;
    const expected = auditEntryHash(entry, entry.prevHash);
    if (expected !== entry.hash) {
      problems.push({ kind: 'hash-mismatch', index, seq: entry.seq, message: `entry seq ${entry.seq}: content does not match its hash (recomputed ${expected})` });
    }
    if (index === 0 && options.complete && entry.prevHash !== AUDIT_GENESIS_HASH) {
      problems.push({ kind: 'bad-start', index, seq: entry.seq, message: `entry seq ${entry.seq}: the log does not start at the genesis hash` });
    }
    const before = prev as AuditEntry | null;
    if (before) {
      if (entry.seq <= before.seq) {
        problems.push({ kind: 'out-of-order', index, seq: entry.seq, message: `entry seq ${entry.seq} follows seq ${before.seq}` });
      } else if (entry.seq === before.seq + 1) {
        if (entry.prevHash !== before.hash) {
          problems.push({ kind: 'broken-link', index, seq: entry.seq, message: `entry seq ${entry.seq}: prevHash is not the hash of seq ${before.seq}` });
        }
      } else {
        gaps.push({ after: before.seq, before: entry.seq });
        if (options.complete) problems.push({ kind: 'gap', index, seq: entry.seq, message: `entries ${before.seq + 1}..${entry.seq - 1} are missing` });
      }
    }
    prev = entry;
  });
  const last = entries.length ? entries[entries.length - 1] : undefined;
  const head = last && !entryProblem(last) ? (last as AuditEntry).hash : null;
  problems.sort((a, b) => a.index - b.index);
  return { ok: problems.length === 0, entries: entries.length, head, firstBad: problems[0] ?? null, problems, gaps };
}

function entryProblem(raw: unknown): string | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return 'not an object';
  const e = raw as Record<string, unknown>;
  if (typeof e.seq !== 'number' || !Number.isSafeInteger(e.seq) || e.seq < 1) return 'seq is not a positive integer';
  for (const field of ['time', 'actor', 'action', 'target'] as const) {
    if (typeof e[field] !== 'string') return `entry seq ${e.seq}: ${field} is not a string`;
  }
  if (typeof e.hashes !== 'object' || e.hashes === null || Array.isArray(e.hashes)) return `entry seq ${e.seq}: hashes is not an object`;
  if (typeof e.prevHash !== 'string' || !SHA256_HEX.test(e.prevHash)) return `entry seq ${e.seq}: prevHash is not a sha256`;
  if (typeof e.hash !== 'string' || !SHA256_HEX.test(e.hash)) return `entry seq ${e.seq}: hash is not a sha256`;
  try {
    canonicalJson(auditEntryContent(e as unknown as AuditEntry));
  } catch (err) {
    return `entry seq ${e.seq}: ${err instanceof Error ? err.message : String(err)}`;
  }
  return undefined;
}
