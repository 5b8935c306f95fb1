/**
 * The AuditLog contract, run on every adapter (audit.test.ts): appends chain
 * and number entries, queries filter and page, concurrent writers never fork
 * the chain, and each kind of tampering with the stored rows — a modified
 * field, a deleted middle entry, two entries swapped, a changed hash — is
 * caught by `verifyAuditLog`, naming the first bad entry. Tampering goes
 * straight to the table or collection, as someone with access to the files
 * or the database would.
 */
import { AUDIT_GENESIS_HASH, auditEntryHash } from '../exhibits/chain';
import type { AuditLog, NewAuditEntry, StoredAuditEntry } from './audit.port';
import { AuditService } from './audit.service';
import { verifyAuditLog } from './audit.verify';

/** Raw access to the stored entries, bypassing the adapter. */
export interface AuditTamper {
  /** Sets one stored field of the entry at `seq` (names as in the entry: `actor`, `details`, `hash` …). */
  setField(seq: number, field: string, value: unknown): Promise<void>;
  remove(seq: number): Promise<void>;
  /** Exchanges the positions of two entries: the row at `a` now holds what was at `b` and vice versa. */
  swap(a: number, b: number): Promise<void>;
}

export interface AuditHarness {
  log: AuditLog;
  /** A second adapter on the same storage (another process), when the adapter can share it. */
  openAnother?: () => Promise<AuditLog>;
  tamper: AuditTamper;
  close(): Promise<void>;
}

const SHA_A = 'a'.repeat(64);

export function newEntry(i: number, over: Partial<NewAuditEntry> = {}): NewAuditEntry {
  return {
    time: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
    actor: i % 2 ? 'alice' : 'bob',
    actorRole: i % 2 ? 'examiner' : 'admin',
    action: i % 3 ? 'specimen.update' : 'case.read',
    target: `specimen:s${i % 4}`,
    requestId: `req-${i}`,
    hashes: i % 2 ? { original: SHA_A } : {},
    details: { i, nested: { list: [1, 'two', null, true], note: 'ünïcode ✓' } },
    ...over,
  };
}

export function describeAuditContract(name: string, open: () => Promise<AuditHarness>): void {
  describe(`AuditLog contract: ${name}`, () => {
    let h: AuditHarness;
    beforeEach(async () => {
      h = await open();
    });
    afterEach(async () => {
      await h.close();
    });

    async function appendMany(n: number): Promise<StoredAuditEntry[]> {
      const out: StoredAuditEntry[] = [];
      for (let i = 1; i <= n; i++) out.push(await h.log.append(newEntry(i)));
      return out;
    }

    it('numbers entries from 1 and chains each to the one before', async () => {
      expect(await h.log.head()).toBeNull();
      expect(await verifyAuditLog(h.log)).toMatchObject({ ok: true, entries: 0, head: null });
      const entries = await appendMany(5);
      expect(entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
      expect(entries[0]!.prevHash).toBe(AUDIT_GENESIS_HASH);
      for (let i = 1; i < entries.length; i++) expect(entries[i]!.prevHash).toBe(entries[i - 1]!.hash);
      for (const e of entries) expect(e.hash).toBe(auditEntryHash(e, e.prevHash));
      expect(await h.log.head()).toEqual(entries[4]);
      expect(await h.log.count()).toBe(5);
      const verified = await verifyAuditLog(h.log);
      expect(verified).toMatchObject({ ok: true, entries: 5, head: entries[4]!.hash, headSeq: 5, firstBad: null });
    });

    it('gives back exactly what was appended', async () => {
      const [first, second] = [await h.log.append(newEntry(1)), await h.log.append(newEntry(2, { requestId: undefined, details: undefined }))];
      const listed = await h.log.list({ order: 'asc' });
      expect(listed).toEqual([first, second]);
      expect(listed[1]).not.toHaveProperty('requestId');
      expect(listed[1]).not.toHaveProperty('details');
      expect(listed[0]!.details).toEqual({ i: 1, nested: { list: [1, 'two', null, true], note: 'ünïcode ✓' } });
      const scanned: unknown[] = [];
      for await (const e of h.log.scan()) scanned.push(e);
      expect(scanned).toEqual([first, second]);
    });

    it('stores text UTF-8 cannot carry as it hashes it: the entry reads back as appended and the chain verifies', async () => {
      // A lone surrogate, as a JSON body's "\ud800" escape gives it (in a partner's name, a case reference …).
      const entry = await h.log.append(newEntry(1, { details: { name: 'lab \ud800 north', ['key \udc00']: 'x\udbff' } }));
      expect(await h.log.list({ order: 'asc' })).toEqual([entry]);
      expect(await verifyAuditLog(h.log)).toMatchObject({ ok: true, entries: 1 });
    });

    it('filters by target, actor, action and time, and pages by seq both ways', async () => {
      await appendMany(12);
      const all = await h.log.list({ order: 'asc' });
      expect(all.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
      expect((await h.log.list()).map((e) => e.seq)).toEqual([12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
      const bySpec = (t: string) => all.filter((e) => e.target === t).map((e) => e.seq);
      expect((await h.log.list({ target: 'specimen:s1', order: 'asc' })).map((e) => e.seq)).toEqual(bySpec('specimen:s1'));
      expect((await h.log.list({ target: ['specimen:s1', 'specimen:s2'], order: 'asc' })).map((e) => e.seq)).toEqual(
        all.filter((e) => e.target === 'specimen:s1' || e.target === 'specimen:s2').map((e) => e.seq),
      );
      expect(await h.log.list({ target: [] })).toEqual([]);
      expect((await h.log.list({ actor: 'bob', order: 'asc' })).map((e) => e.seq)).toEqual([2, 4, 6, 8, 10, 12]);
      expect((await h.log.list({ action: 'case.read', order: 'asc' })).map((e) => e.seq)).toEqual([3, 6, 9, 12]);
      const from = all[3]!.time;
      const to = all[7]!.time;
      expect((await h.log.list({ from, to, order: 'asc' })).map((e) => e.seq)).toEqual([4, 5, 6, 7]);
      expect((await h.log.list({ order: 'asc', afterSeq: 10 })).map((e) => e.seq)).toEqual([11, 12]);
      expect((await h.log.list({ afterSeq: 3 })).map((e) => e.seq)).toEqual([2, 1]);
      expect((await h.log.list({ actor: 'alice', action: 'specimen.update', limit: 2, order: 'asc' })).map((e) => e.seq)).toEqual([1, 5]);
    });

    it('pages a log longer than one scan page', async () => {
      const service = new AuditService({ log: h.log });
      const actor = { id: 'tool', role: 'system' as const };
      for (let i = 0; i < 1203; i++) await service.record({ actor, action: 'specimen.update', target: { kind: 'specimen', id: `s${i % 7}` } });
      const verified = await verifyAuditLog(h.log);
      expect(verified).toMatchObject({ ok: true, entries: 1203, headSeq: 1203 });
      expect((await service.entriesFor(['specimen:s3'])).length).toBe(Math.ceil((1203 - 3) / 7));
      // Problems at a page boundary of the verifier: a deletion right after it, an edit right before it.
      await h.tamper.remove(1001);
      await h.tamper.setField(1000, 'actor', 'mallory');
      const broken = await verifyAuditLog(h.log);
      expect(broken.problems.map((p) => [p.seq, p.kind])).toEqual([
        [1000, 'hash-mismatch'],
        [1002, 'gap'],
      ]);
    });

    it('never forks the chain under concurrent appends', async () => {
      const other = h.openAnother ? await h.openAnother() : h.log;
      const writes: Promise<StoredAuditEntry>[] = [];
      for (let i = 1; i <= 20; i++) writes.push((i % 2 ? h.log : other).append(newEntry(i)));
      const entries = await Promise.all(writes);
      expect(entries.map((e) => e.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      expect(await verifyAuditLog(h.log)).toMatchObject({ ok: true, entries: 20 });
    });

    describe('tampering', () => {
      beforeEach(async () => {
        await appendMany(6);
        expect((await verifyAuditLog(h.log)).ok).toBe(true);
      });

      it.each([
        ['actor', 'mallory'],
        ['action', 'specimen.read'],
        ['target', 'specimen:other'],
        ['time', '2020-01-01T00:00:00.000Z'],
        ['details', { i: 4, nested: { list: [], note: 'edited' } }],
        ['hashes', { original: 'b'.repeat(64) }],
      ])('detects a modified %s and names that entry', async (field, value) => {
        await h.tamper.setField(4, field, value);
        const verified = await verifyAuditLog(h.log);
        expect(verified.ok).toBe(false);
        expect(verified.firstBad).toMatchObject({ seq: 4, kind: 'hash-mismatch' });
      });

      it('detects a deleted middle entry', async () => {
        await h.tamper.remove(3);
        const verified = await verifyAuditLog(h.log);
        expect(verified.ok).toBe(false);
        expect(verified.firstBad).toMatchObject({ seq: 4, kind: 'gap' });
        expect(verified.firstBad!.message).toContain('3..3');
      });

      it('detects a deleted first entry', async () => {
        await h.tamper.remove(1);
        const verified = await verifyAuditLog(h.log);
        expect(verified.firstBad).toMatchObject({ seq: 2, kind: 'bad-start' });
      });

      it('detects two entries swapped', async () => {
        await h.tamper.swap(2, 5);
        const verified = await verifyAuditLog(h.log);
        expect(verified.ok).toBe(false);
        expect(verified.firstBad?.seq).toBe(2);
      });

      it('detects a changed hash (and the broken link after it)', async () => {
        await h.tamper.setField(3, 'hash', 'c'.repeat(64));
        const verified = await verifyAuditLog(h.log);
        expect(verified.firstBad).toMatchObject({ seq: 3, kind: 'hash-mismatch' });
        expect(verified.problems.map((p) => [p.seq, p.kind])).toContainEqual([4, 'broken-link']);
      });

      it('detects an entry re-hashed to hide an edit (its successor no longer links)', async () => {
        const [e3] = await h.log.list({ afterSeq: 2, order: 'asc', limit: 1 });
        const edited = { ...e3!, actor: 'mallory' };
        await h.tamper.setField(3, 'actor', 'mallory');
        await h.tamper.setField(3, 'hash', auditEntryHash(edited, e3!.prevHash));
        const verified = await verifyAuditLog(h.log);
        expect(verified.firstBad).toMatchObject({ seq: 4, kind: 'broken-link' });
      });

      it('detects a row that is no longer an entry', async () => {
        await h.tamper.setField(5, 'prevHash', 'not a hash');
        const verified = await verifyAuditLog(h.log);
        expect(verified.firstBad).toMatchObject({ seq: 5, kind: 'invalid-entry' });
      });
    });
  });
}
