/**
 * The audit log in the SQLite catalog file: table `audit_log`, one row per
 * entry with `seq` as its rowid. Every field of an entry is a column and the
 * entry is rebuilt from the columns, so a change to any column shows in the
 * entry's hash. Triggers refuse UPDATE and DELETE: the application cannot
 * rewrite history by mistake; someone editing the file can drop them, which
 * is what verification is for.
 *
 * An append reads the head and inserts `seq + 1` in one IMMEDIATE
 * transaction, which holds the file's write lock: processes sharing the file
 * append one after the other.
 */
import type { Database, Statement } from 'better-sqlite3';
import { chainAuditEntry } from '../exhibits/chain';
import { auditLimit, auditTargets, type AuditLog, type AuditQuery, type NewAuditEntry, type StoredAuditEntry } from './audit.port';

export const AUDIT_SCHEMA_V1 = `
CREATE TABLE audit_log (
  seq INTEGER PRIMARY KEY,
  time TEXT NOT NULL,
  actor TEXT NOT NULL,
  actor_role TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  request_id TEXT,
  hashes TEXT NOT NULL,
  details TEXT,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
) STRICT;
CREATE INDEX audit_log_target ON audit_log (target, seq);
CREATE INDEX audit_log_actor ON audit_log (actor, seq);
CREATE INDEX audit_log_action ON audit_log (action, seq);
CREATE INDEX audit_log_time ON audit_log (time);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
`;

interface AuditRow {
  seq: number;
  time: string;
  actor: string;
  actor_role: string;
  action: string;
  target: string;
  request_id: string | null;
  hashes: string;
  details: string | null;
  prev_hash: string;
  hash: string;
}

const SCAN_PAGE = 500;

/** JSON text as its value; text that is not JSON is returned as the string read, so that verification reports it. */
function parsed(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** The entry a row holds (no validation: a tampered row gives whatever it now says). */
function entryOf(row: AuditRow): StoredAuditEntry {
  const entry: Record<string, unknown> = {
    seq: row.seq,
    time: row.time,
    actor: row.actor,
    actorRole: row.actor_role,
    action: row.action,
    target: row.target,
    hashes: parsed(row.hashes),
    prevHash: row.prev_hash,
    hash: row.hash,
  };
  if (row.request_id !== null) entry.requestId = row.request_id;
  if (row.details !== null) entry.details = parsed(row.details);
  return entry as unknown as StoredAuditEntry;
}

export class SqliteAuditLog implements AuditLog {
  private readonly stmts: {
    head: Statement<[], AuditRow>;
    insert: Statement<Record<string, unknown>>;
    scan: Statement<[number, number], AuditRow>;
    count: Statement<[], number>;
  };

  constructor(private readonly db: Database) {
    this.stmts = {
      head: db.prepare<[], AuditRow>('SELECT * FROM audit_log ORDER BY seq DESC LIMIT 1'),
      insert: db.prepare(`INSERT INTO audit_log (seq, time, actor, actor_role, action, target, request_id, hashes, details, prev_hash, hash)
        VALUES (@seq, @time, @actor, @actorRole, @action, @target, @requestId, @hashes, @details, @prevHash, @hash)`),
      scan: db.prepare<[number, number], AuditRow>('SELECT * FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?'),
      count: db.prepare<[], number>('SELECT count(*) FROM audit_log').pluck(),
    };
  }

  async append(input: NewAuditEntry): Promise<StoredAuditEntry> {
    return this.db
      .transaction(() => {
        const head = this.stmts.head.get();
        const entry = chainAuditEntry({ ...input, seq: (head?.seq ?? 0) + 1 }, head ?? null) as StoredAuditEntry;
        this.stmts.insert.run({
          seq: entry.seq,
          time: entry.time,
          actor: entry.actor,
          actorRole: entry.actorRole,
          action: entry.action,
          target: entry.target,
          requestId: entry.requestId ?? null,
          hashes: JSON.stringify(entry.hashes),
          details: entry.details === undefined ? null : JSON.stringify(entry.details),
          prevHash: entry.prevHash,
          hash: entry.hash,
        });
        return entry;
      })
      .immediate();
  }

  async head(): Promise<StoredAuditEntry | null> {
    const row = this.stmts.head.get();
    return row ? entryOf(row) : null;
  }

  async list(query: AuditQuery = {}): Promise<StoredAuditEntry[]> {
    const where: string[] = [];
    const params: Array<string | number> = [];
    const targets = auditTargets(query.target);
    if (targets) {
      if (targets.length === 0) return [];
      where.push(`target IN (SELECT value FROM json_each(?))`);
      params.push(JSON.stringify(targets));
    }
    if (query.actor !== undefined) {
      where.push('actor = ?');
      params.push(query.actor);
    }
    if (query.action !== undefined) {
      where.push('action = ?');
      params.push(query.action);
    }
    if (query.from !== undefined) {
      where.push('time >= ?');
      params.push(query.from);
    }
    if (query.to !== undefined) {
      where.push('time < ?');
      params.push(query.to);
    }
    const desc = query.order !== 'asc';
    if (query.afterSeq !== undefined) {
      where.push(desc ? 'seq < ?' : 'seq > ?');
      params.push(query.afterSeq);
    }
    const sql = `SELECT * FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq ${desc ? 'DESC' : 'ASC'} LIMIT ?`;
    params.push(auditLimit(query.limit));
    return this.db.prepare<unknown[], AuditRow>(sql).all(...params).map(entryOf);
  }

  async *scan(afterSeq = 0): AsyncIterable<unknown> {
    let after = afterSeq;
    for (;;) {
      const rows = this.stmts.scan.all(after, SCAN_PAGE);
      for (const row of rows) yield entryOf(row);
      if (rows.length < SCAN_PAGE) return;
      after = rows[rows.length - 1]!.seq;
    }
  }

  async count(): Promise<number> {
    return this.stmts.count.get()!;
  }
}
