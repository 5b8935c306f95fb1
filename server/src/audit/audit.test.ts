/**
 * The audit log contract (audit.contract.ts) on every adapter: SQLite on a
 * real catalog file (tampered with through a second connection, triggers
 * dropped as someone editing the file would), the MongoDB adapter on the
 * mingo stand-in always (MongoDB cannot run here; the stand-in checks the
 * adapter's logic, including the duplicate-key retry, not a server's
 * concurrency), and on a real server when MONGODB_URI is set.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MongoClient, type Collection, type Document } from 'mongodb';
import { SqliteCatalogStore } from '../stores/catalog.sqlite';
import { MingoCollection } from '../stores/mongo-standin';
import { describeAuditContract, newEntry, type AuditTamper } from './audit.contract';
import { MongoAuditLog, type AuditDocument } from './audit.mongo';
import { AuditService } from './audit.service';

const SQL_COLUMNS: Record<string, string> = {
  time: 'time',
  actor: 'actor',
  actorRole: 'actor_role',
  action: 'action',
  target: 'target',
  requestId: 'request_id',
  hashes: 'hashes',
  details: 'details',
  prevHash: 'prev_hash',
  hash: 'hash',
};

describeAuditContract('sqlite', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'exemplar-audit-'));
  const file = path.join(dir, 'catalog.sqlite');
  const stores = [new SqliteCatalogStore({ file })];
  await stores[0]!.init();
  const withRaw = (fn: (db: Database.Database) => void) => {
    const db = new Database(file);
    try {
      db.exec('DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete;');
      fn(db);
    } finally {
      db.close();
    }
  };
  const tamper: AuditTamper = {
    setField: async (seq, field, value) =>
      withRaw((db) => {
        const column = SQL_COLUMNS[field];
        if (!column) throw new Error(`no column for ${field}`);
        db.prepare(`UPDATE audit_log SET ${column} = ? WHERE seq = ?`).run(typeof value === 'string' ? value : JSON.stringify(value), seq);
      }),
    remove: async (seq) => withRaw((db) => db.prepare('DELETE FROM audit_log WHERE seq = ?').run(seq)),
    swap: async (a, b) =>
      withRaw((db) => {
        db.transaction(() => {
          db.prepare('UPDATE audit_log SET seq = -1 WHERE seq = ?').run(a);
          db.prepare('UPDATE audit_log SET seq = ? WHERE seq = ?').run(a, b);
          db.prepare('UPDATE audit_log SET seq = ? WHERE seq = -1').run(b);
        })();
      }),
  };
  return {
    log: stores[0]!.audit,
    openAnother: async () => {
      const other = new SqliteCatalogStore({ file });
      await other.init();
      stores.push(other);
      return other.audit;
    },
    tamper,
    close: async () => {
      for (const s of stores) await s.close();
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
});

/** Tampering through the collection API, which both the stand-in and a real server offer. */
function collectionTamper(coll: Collection<AuditDocument>): AuditTamper {
  const doc = async (seq: number) => {
    const d = await coll.findOne({ _id: seq });
    if (!d) throw new Error(`no entry ${seq}`);
    return d as Document;
  };
  return {
    setField: async (seq, field, value) => {
      const d = await doc(seq);
      await coll.replaceOne({ _id: seq }, { ...d, [field]: value } as AuditDocument);
    },
    remove: async (seq) => {
      await coll.deleteOne({ _id: seq });
    },
    swap: async (a, b) => {
      const [da, db] = [await doc(a), await doc(b)];
      await coll.replaceOne({ _id: a }, { ...db, _id: a, seq: a } as AuditDocument);
      await coll.replaceOne({ _id: b }, { ...da, _id: b, seq: b } as AuditDocument);
    },
  };
}

describeAuditContract('mongodb adapter on a mingo stand-in', async () => {
  const coll = new MingoCollection() as unknown as Collection<AuditDocument>;
  return {
    log: await MongoAuditLog.open({ collection: () => coll } as never),
    // A second adapter on the same collection: its appends race the first one's, as another process's would.
    openAnother: async () => new MongoAuditLog(coll),
    tamper: collectionTamper(coll),
    close: async () => undefined,
  };
});

const uri = process.env['MONGODB_URI'];
if (uri) {
  describeAuditContract('mongodb', async () => {
    const client = new MongoClient(uri);
    await client.connect();
    const db = client.db(`exemplar_audit_${randomBytes(6).toString('hex')}`);
    const log = await MongoAuditLog.open(db);
    return {
      log,
      openAnother: async () => MongoAuditLog.open(db),
      tamper: collectionTamper(db.collection<AuditDocument>('audit')),
      close: async () => {
        await db.dropDatabase();
        await client.close();
      },
    };
  });
}

describe('SQLite audit table', () => {
  it('refuses updates and deletes through SQL (append-only triggers)', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'exemplar-audit-'));
    const file = path.join(dir, 'catalog.sqlite');
    const store = new SqliteCatalogStore({ file });
    await store.init();
    try {
      await store.audit.append(newEntry(1));
      const db = new Database(file);
      try {
        expect(() => db.prepare("UPDATE audit_log SET actor = 'x'").run()).toThrow(/append-only/);
        expect(() => db.prepare('DELETE FROM audit_log').run()).toThrow(/append-only/);
      } finally {
        db.close();
      }
    } finally {
      await store.close();
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

describe('AuditService', () => {
  const actor = { id: 'alice', role: 'examiner' as const, requestId: 'req-1' };
  const admin = { id: 'root', role: 'admin' as const };

  it('records actor, role, request id, target, hashes and JSON-normalised details', async () => {
    const service = new AuditService({ log: new MongoAuditLog(new MingoCollection() as unknown as Collection<AuditDocument>), now: () => new Date('2026-05-01T10:00:00Z') });
    const entry = await service.record({
      actor,
      action: 'image.read-original',
      target: { kind: 'image', id: 'f'.repeat(64) },
      hashes: { original: 'f'.repeat(64) },
      details: { at: new Date('2026-01-01T00:00:00Z'), skipped: undefined },
    });
    expect(entry).toMatchObject({
      seq: 1,
      time: '2026-05-01T10:00:00.000Z',
      actor: 'alice',
      actorRole: 'examiner',
      requestId: 'req-1',
      action: 'image.read-original',
      target: `image:${'f'.repeat(64)}`,
      hashes: { original: 'f'.repeat(64) },
      details: { at: '2026-01-01T00:00:00.000Z' },
    });
    const listed = await service.record({ actor, action: 'case.read', target: { kind: 'case', id: 'c1' }, hashes: ['e'.repeat(64)] });
    expect(listed.hashes).toEqual({ 0: 'e'.repeat(64) });
  });

  it('refuses malformed actions, targets and hashes', async () => {
    const service = new AuditService({ log: new MongoAuditLog(new MingoCollection() as unknown as Collection<AuditDocument>) });
    await expect(service.record({ actor, action: 'Read', target: { kind: 'case', id: 'c' } })).rejects.toMatchObject({ code: 'INTERNAL' });
    await expect(service.record({ actor, action: 'case.read', target: { kind: 'Case!', id: 'c' } })).rejects.toMatchObject({ code: 'INTERNAL' });
    await expect(service.record({ actor, action: 'case.read', target: { kind: 'case', id: 'c' }, hashes: { x: 'ABC' } })).rejects.toMatchObject({ code: 'INTERNAL' });
  });

  it('lists for admins only, newest first, with a cursor', async () => {
    const service = new AuditService({ log: new MongoAuditLog(new MingoCollection() as unknown as Collection<AuditDocument>) });
    for (let i = 0; i < 5; i++) await service.record({ actor, action: 'specimen.update', target: { kind: 'specimen', id: `s${i}` } });
    await expect(service.list(actor, {})).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const first = await service.list(admin, { limit: 2 });
    expect(first.items.map((e) => e.seq)).toEqual([5, 4]);
    expect(first.nextCursor).toBe('4');
    const second = await service.list(admin, { limit: 2, cursor: first.nextCursor! });
    expect(second.items.map((e) => e.seq)).toEqual([3, 2]);
    const last = await service.list(admin, { limit: 2, cursor: second.nextCursor! });
    expect(last).toEqual({ items: [expect.objectContaining({ seq: 1 })], nextCursor: null });
    await expect(service.list(admin, { cursor: 'abc' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(service.list(admin, { from: 'yesterday' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(service.list(admin, { limit: 0 })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });
});
