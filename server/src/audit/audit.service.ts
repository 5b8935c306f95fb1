/**
 * The audit trail as the services use it: `record` after every write a
 * service makes and every read of a case, exhibit or original; `list` for
 * administrators. Checking the chain is `verifyAuditLog` (audit.verify.ts), run by `exemplar audit verify`.
 *
 * An entry names its actor by id (with the role kept beside it), its target
 * as `<kind>:<id>`, the request it served and the SHA-256s of the objects
 * involved. Its time is this process's clock.
 */
import { assertCan } from '../auth/policy';
import { ExemplarError } from '../errors';
import type { JsonValue } from '../exhibits/chain';
import type { Actor } from '../services/actor';
import { AUDIT_LIST_MAX, auditLimit, type AuditLog, type AuditQuery, type StoredAuditEntry } from './audit.port';

export interface AuditTarget {
  /** `specimen`, `capture`, `image`, `comparison`, `case`, `exhibit`, `user` … */
  kind: string;
  id: string;
}

export interface AuditRecordInput {
  actor: Actor;
  /** `<area>.<verb>`: `specimen.create`, `case.read`, `image.read-original` … */
  action: string;
  target: AuditTarget;
  /**
   * SHA-256s of the objects involved, by role (`original`, `bundle` …). A
   * plain list is accepted too and keyed by position.
   */
  hashes?: Record<string, string> | readonly string[];
  /** JSON-serialisable; stored as JSON would (Dates become ISO strings, undefined fields are dropped). */
  details?: Record<string, unknown>;
}

export interface AuditListQuery {
  /** `<kind>:<id>` */
  target?: string;
  actor?: string;
  action?: string;
  /** ISO 8601; entries at or after. */
  from?: string;
  /** ISO 8601; entries before. */
  to?: string;
  /** From a previous page's `nextCursor`. */
  cursor?: string;
  order?: 'asc' | 'desc';
  limit?: number;
}

export interface AuditListPage {
  items: StoredAuditEntry[];
  /** Pass as `cursor` for the next page; null on the last one. */
  nextCursor: string | null;
}

const ACTION = /^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$/;
const KIND = /^[a-z][a-z0-9-]*$/;
const SHA256 = /^[0-9a-f]{64}$/;

export const auditTargetKey = (target: AuditTarget) => `${target.kind}:${target.id}`;

function isoTime(value: string, field: string): string {
  const ms = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(ms)) throw new ExemplarError('BAD_REQUEST', `${field} must be an ISO 8601 date or time`, { [field]: value });
  return new Date(ms).toISOString();
}

export interface AuditServiceDeps {
  log: AuditLog;
  now?: () => Date;
}

export class AuditService {
  private readonly log: AuditLog;
  private readonly now: () => Date;

  constructor(deps: AuditServiceDeps) {
    this.log = deps.log;
    this.now = deps.now ?? (() => new Date());
  }

  async record(input: AuditRecordInput): Promise<StoredAuditEntry> {
    if (!ACTION.test(input.action)) throw new ExemplarError('INTERNAL', `audit action "${input.action}" is not <area>.<verb>`);
    if (!KIND.test(input.target.kind) || input.target.id.length === 0) {
      throw new ExemplarError('INTERNAL', 'an audit target needs a kind and an id', { target: input.target });
    }
    const hashes: Record<string, string> = Array.isArray(input.hashes)
      ? Object.fromEntries((input.hashes as readonly string[]).map((h, i) => [String(i), h]))
      : { ...(input.hashes as Record<string, string> | undefined) };
    for (const [name, h] of Object.entries(hashes)) {
      if (!SHA256.test(h)) throw new ExemplarError('INTERNAL', `audit hash "${name}" is not a lowercase SHA-256`, { hash: h });
    }
    return this.log.append({
      time: this.now().toISOString(),
      actor: input.actor.id,
      actorRole: input.actor.role,
      action: input.action,
      target: auditTargetKey(input.target),
      ...(input.actor.requestId !== undefined && { requestId: input.actor.requestId }),
      hashes,
      // A JSON round trip: what is hashed now is exactly what is read back later.
      ...(input.details !== undefined && { details: JSON.parse(JSON.stringify(input.details)) as { [key: string]: JsonValue } }),
    });
  }

  /** Entries for administrators (`audit:read`), newest first unless `order: 'asc'`. */
  async list(actor: Actor, query: AuditListQuery = {}): Promise<AuditListPage> {
    assertCan(actor, 'audit:read');
    if (query.limit !== undefined && (!Number.isInteger(query.limit) || query.limit < 1 || query.limit > AUDIT_LIST_MAX)) {
      throw new ExemplarError('BAD_REQUEST', `limit must be an integer from 1 to ${AUDIT_LIST_MAX}`, { limit: query.limit });
    }
    let afterSeq: number | undefined;
    if (query.cursor !== undefined) {
      afterSeq = /^[1-9]\d{0,15}$/.test(query.cursor) ? Number(query.cursor) : NaN;
      if (!Number.isSafeInteger(afterSeq)) throw new ExemplarError('BAD_REQUEST', 'cursor is not one this API gave', { cursor: query.cursor });
    }
    const limit = auditLimit(query.limit);
    const q: AuditQuery = {
      ...(query.target !== undefined && { target: query.target }),
      ...(query.actor !== undefined && { actor: query.actor }),
      ...(query.action !== undefined && { action: query.action }),
      ...(query.from !== undefined && { from: isoTime(query.from, 'from') }),
      ...(query.to !== undefined && { to: isoTime(query.to, 'to') }),
      ...(afterSeq !== undefined && { afterSeq }),
      order: query.order ?? 'desc',
      limit: limit + 1,
    };
    const rows = await this.log.list(q);
    const items = rows.slice(0, limit);
    return { items, nextCursor: rows.length > limit ? String(items[items.length - 1]!.seq) : null };
  }

  /** Every entry about any of `targets` (`<kind>:<id>`), in log order; for custody logs, so no permission check. */
  async entriesFor(targets: readonly string[]): Promise<StoredAuditEntry[]> {
    const out: StoredAuditEntry[] = [];
    for (;;) {
      const page = await this.log.list({ target: targets, order: 'asc', limit: AUDIT_LIST_MAX, ...(out.length && { afterSeq: out[out.length - 1]!.seq }) });
      out.push(...page);
      if (page.length < AUDIT_LIST_MAX) return out;
    }
  }
}
