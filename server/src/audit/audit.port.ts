/**
 * AuditLog port: the append-only, hash-chained audit trail, stored in the
 * catalog (a table in the SQLite file, a collection in MongoDB) so that it is
 * backed up, replicated and opened with the catalog it describes.
 *
 * An adapter gives each entry the next `seq` after the current head and
 * chains it to the head's hash (`chainAuditEntry`, exhibits/chain.ts) in one
 * atomic step, so concurrent writers — several server and worker processes —
 * never fork the chain. Nothing updates or removes an entry; tampering with
 * the stored rows is what `verifyAuditLog` (audit.verify.ts) detects.
 *
 * Stored entries are `AuditEntry`s of the chain module: `actor` is the actor's
 * id and `target` is `<kind>:<id>`; the actor's role is kept as `actorRole`
 * (hashed with the rest).
 */
import type { AuditEntry, JsonValue } from '../exhibits/chain';

export type { AuditEntry } from '../exhibits/chain';

/** Everything of an entry but the chain fields the adapter sets (seq, prevHash, hash). */
export interface NewAuditEntry {
  /** ISO 8601 UTC (`Date#toISOString`), so that times compare as strings. */
  time: string;
  actor: string;
  actorRole: string;
  action: string;
  /** `<kind>:<id>`, e.g. `case:c-123`, `image:<sha256>`. */
  target: string;
  requestId?: string;
  hashes: Record<string, string>;
  details?: { [key: string]: JsonValue };
}

/** A stored entry as the audit service writes it (the chain's entry plus the actor's role). */
export type StoredAuditEntry = AuditEntry & { actorRole: string };

export const AUDIT_LIST_MAX = 1000;
export const AUDIT_LIST_DEFAULT = 100;

export interface AuditQuery {
  /** Exact `<kind>:<id>`; several = any of them. */
  target?: string | readonly string[];
  actor?: string;
  action?: string;
  /** Entries with `time >= from` (ISO 8601 UTC). */
  from?: string;
  /** Entries with `time < to` (ISO 8601 UTC). */
  to?: string;
  /** Keyset paging: entries after this seq in the order asked. */
  afterSeq?: number;
  /** `asc` (log order) or `desc` (newest first, the default). */
  order?: 'asc' | 'desc';
  /** 1..AUDIT_LIST_MAX, default AUDIT_LIST_DEFAULT. */
  limit?: number;
}

export interface AuditLog {
  /** Appends after the current head; returns the stored entry (seq, prevHash and hash set). */
  append(entry: NewAuditEntry): Promise<StoredAuditEntry>;
  /** The last entry, null for an empty log. */
  head(): Promise<StoredAuditEntry | null>;
  /** Entries matching the query, in the order asked. */
  list(query?: AuditQuery): Promise<StoredAuditEntry[]>;
  /**
   * Every stored row in seq order, as stored — a row that was tampered with
   * into something that is no longer an entry is still yielded (as the raw
   * values read), so that verification can name it.
   */
  scan(afterSeq?: number): AsyncIterable<unknown>;
  count(): Promise<number>;
}

/** The query's limit within bounds (BAD_REQUEST is the caller's job; the stores clamp). */
export const auditLimit = (limit: number | undefined) => Math.max(1, Math.min(AUDIT_LIST_MAX, Math.floor(limit ?? AUDIT_LIST_DEFAULT)));

export const auditTargets = (target: AuditQuery['target']): readonly string[] | undefined =>
  target === undefined ? undefined : typeof target === 'string' ? [target] : target;
