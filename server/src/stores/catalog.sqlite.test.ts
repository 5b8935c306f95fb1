import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { allPages, describeCatalogContract, expectError } from './catalog.contract';
import { fixtureSpecimens, syntheticSpecimens } from './catalog.fixtures';
import type { ChangeHistoryOptions } from './catalog.port';
import { SqliteCatalogStore } from './catalog.sqlite';
import { jobListSql } from './jobs.sqlite';

const dirs: string[] = [];
async function tempFile(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'exemplar-catalog-sqlite-'));
  dirs.push(dir);
  return path.join(dir, 'catalog.sqlite');
}
afterAll(async () => {
  await Promise.all(dirs.map((d) => fs.rm(d, { recursive: true, force: true })));
});

async function openStore(file: string, changeHistory?: ChangeHistoryOptions): Promise<SqliteCatalogStore> {
  const store = new SqliteCatalogStore({ file, changeHistory });
  await store.init();
  return store;
}

describeCatalogContract('sqlite', async (options) => openStore(await tempFile(), options?.changeHistory));

describe('SqliteCatalogStore on a shared file', () => {
  it('sets WAL, foreign keys and the schema version, and migrates once', async () => {
    const file = await tempFile();
    const a = await openStore(file);
    await a.init();
    const b = await openStore(file);
    const raw = new Database(file, { readonly: true });
    try {
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(raw.pragma('user_version', { simple: true })).toBe(8);
    } finally {
      raw.close();
    }
    await a.specimens.create(fixtureSpecimens()[0]!);
    expect(await b.specimens.count()).toBe(1);
    await a.close();
    await b.close();
  });

  it('asks for a reload when the change log holds entries from before it recorded ids', async () => {
    const file = await tempFile();
    const store = await openStore(file);
    const [a, b] = fixtureSpecimens();
    await store.specimens.create(a!);
    const marker = (await store.specimens.changedSince(-1)).marker;
    await store.specimens.create(b!);
    await store.close();
    // As a file migrated from schema 3 holds them: entries without a specimen id.
    const raw = new Database(file);
    raw.prepare('UPDATE changes SET specimen_id = NULL').run();
    raw.close();
    const again = await openStore(file);
    try {
      expect(await again.specimens.changedSince(marker)).toMatchObject({ reset: true, changes: [] });
      await again.specimens.delete(b!.id);
      const head = await again.specimens.changedSince(-1);
      expect(await again.specimens.changedSince(head.marker - 1)).toEqual({ marker: head.marker, reset: false, changes: [{ id: b!.id, revision: null }] });
    } finally {
      await again.close();
    }
  });

  it("gives the comparison jobs of a file from schema 4 their submitter and questioned keys, from the payload", async () => {
    const file = await tempFile();
    const store = await openStore(file);
    const questioned = { white: { sha256: 'a'.repeat(64), key: `questioned/${'a'.repeat(64)}` }, 'uv-365': { sha256: 'b'.repeat(64), key: `originals/${'b'.repeat(64)}` } };
    await store.jobs.enqueue({ id: 'job-earlier-1', kind: 'comparison', payload: { v: 1, request: {}, questioned, createdBy: 'officer' } });
    await store.jobs.enqueue({ id: 'job-earlier-2', kind: 'comparison', payload: { v: 1, request: {}, questioned: {}, createdBy: 'someone-else' } });
    await store.jobs.enqueue({ id: 'job-earlier-3', kind: 'comparison', payload: 7 });
    await store.jobs.enqueue({ id: 'job-earlier-4', kind: 'comparison', payload: { questioned: ['not', 'an', 'object'], createdBy: 3 } });
    await store.jobs.enqueue({ id: 'job-earlier-5', kind: 'other', payload: { questioned, createdBy: 'officer' } });
    await store.close();
    // As schema 4 wrote them: no submitter column, no inputs table (nor what later schemas added).
    const raw = new Database(file);
    raw.exec('DROP TABLE job_words; DROP INDEX jobs_unindexed; ALTER TABLE jobs DROP COLUMN search_indexed; DROP TABLE job_inputs; DROP INDEX jobs_created_by; ALTER TABLE jobs DROP COLUMN created_by; DROP TABLE evidence_holds; ALTER TABLE specimens DROP COLUMN holds_taken; PRAGMA user_version = 4;');
    raw.close();
    const again = await openStore(file);
    try {
      expect((await again.jobs.list({ createdBy: 'officer' })).map((j) => j.id)).toEqual(['job-earlier-1']);
      expect((await again.jobs.list({ input: questioned['uv-365'].key })).map((j) => j.id)).toEqual(['job-earlier-1']);
      expect(await again.jobs.get('job-earlier-1')).toMatchObject({ createdBy: 'officer', inputs: [questioned['uv-365'].key, questioned.white.key] });
      expect(await again.jobs.get('job-earlier-2')).toMatchObject({ createdBy: 'someone-else', inputs: [] });
      for (const id of ['job-earlier-3', 'job-earlier-4', 'job-earlier-5']) expect(await again.jobs.get(id)).toMatchObject({ createdBy: null, inputs: [] });
      // Found by no text until the comparison service gives them theirs.
      expect((await again.jobs.list({ unindexed: true, kind: 'comparison' })).map((j) => j.id)).toEqual(['job-earlier-4', 'job-earlier-3', 'job-earlier-2', 'job-earlier-1']);
    } finally {
      await again.close();
    }
  });

  it("finds a submitter's jobs and the jobs reading an object, and each page of them, through indexes, not by scanning the queue", async () => {
    const file = await tempFile();
    await (await openStore(file)).close();
    const raw = new Database(file, { readonly: true });
    try {
      const plan = (by: { createdBy: boolean; input: boolean; terms?: number }) =>
        (
          raw
            .prepare(`EXPLAIN QUERY PLAN ${jobListSql({ unindexed: false, terms: 0, ...by })}`)
            .all({ status: null, kind: 'comparison', createdBy: 'officer', input: 'questioned/x', limit: 20, beforeSeq: 1000, t0: 'pass', t0end: 'past', t1: 'nord', t1end: 'nore' }) as { detail: string }[]
        ).map((r) => r.detail);
      // A later page starts where the previous one ended, along the same index.
      expect(plan({ createdBy: false, input: false })).toEqual(['SEARCH jobs USING INTEGER PRIMARY KEY (rowid<?)']);
      expect(plan({ createdBy: true, input: false })).toEqual(['SEARCH jobs USING INDEX jobs_created_by (created_by=? AND seq<?)']);
      for (const createdBy of [false, true]) {
        expect(plan({ createdBy, input: true })).toEqual(['SEARCH job_inputs USING PRIMARY KEY (key=? AND seq<?)', 'SEARCH jobs USING INTEGER PRIMARY KEY (rowid=?)']);
      }
      // A search walks the same listing, each query word a range of the job's own words.
      const word = 'SEARCH w EXISTS USING PRIMARY KEY (seq=? AND word>? AND word<?)';
      expect(plan({ createdBy: true, input: false, terms: 2 })).toEqual(['SEARCH jobs USING INDEX jobs_created_by (created_by=? AND seq<?)', word, word]);
      expect(plan({ createdBy: false, input: false, terms: 1 })).toEqual(['SEARCH jobs USING INTEGER PRIMARY KEY (rowid<?)', word]);
    } finally {
      raw.close();
    }
  });

  it('refuses a file written by a newer schema', async () => {
    const file = await tempFile();
    const raw = new Database(file);
    raw.pragma('user_version = 99');
    raw.close();
    const store = new SqliteCatalogStore({ file });
    await expectError(store.init(), 'INTERNAL');
    await store.close();
  });

  it("sees the other instance's writes in search, facets and deletes", async () => {
    const file = await tempFile();
    const a = await openStore(file);
    const b = await openStore(file);
    const [s1, s2] = fixtureSpecimens();
    await a.specimens.create(s1!);
    expect((await b.specimens.search({})).total).toBe(1);
    await a.specimens.create(s2!);
    await a.specimens.replace(s1!.id, 1, { ...s1!, revision: 2, status: 'specimen', title: 'Renamed specimen' });
    const page = await b.specimens.search({ q: 'renamed' });
    expect(page.items.map((s) => s.id)).toEqual([s1!.id]);
    expect(page.items[0]!.revision).toBe(2);
    expect((await b.specimens.search({})).facets.status).toEqual([
      { value: 'genuine', count: 1 },
      { value: 'specimen', count: 1 },
    ]);
    await b.specimens.delete(s2!.id);
    expect((await a.specimens.search({})).items.map((s) => s.id)).toEqual([s1!.id]);
    await a.close();
    await b.close();
  });

  it('keeps its change log bounded however many specimens come and go', async () => {
    const file = await tempFile();
    const history = { kept: 16, pruneEvery: 4 };
    const store = await openStore(file, history);
    const [a] = fixtureSpecimens();
    for (let i = 0; i < 40; i++) {
      await store.specimens.create({ ...a!, id: `churn${String(i).padStart(8, '0')}` });
      await store.specimens.delete(`churn${String(i).padStart(8, '0')}`);
    }
    const raw = new Database(file, { readonly: true });
    try {
      const { rows, oldest, newest } = raw.prepare('SELECT count(*) AS rows, min(seq) AS oldest, max(seq) AS newest FROM changes').get() as { rows: number; oldest: number; newest: number };
      expect(newest).toBe(80);
      expect(rows).toBeLessThanOrEqual(history.kept + history.pruneEvery);
      expect(oldest).toBeGreaterThan(newest - history.kept - history.pruneEvery);
    } finally {
      raw.close();
      await store.close();
    }
  });

  it('rebuilds its index when the change log it needs was pruned', async () => {
    const file = await tempFile();
    const a = await openStore(file);
    const b = await openStore(file);
    const [s1, s2] = fixtureSpecimens();
    await a.specimens.create(s1!);
    expect((await b.specimens.search({})).total).toBe(1);
    await a.specimens.create(s2!);
    // What pruning does once the log is long: drop old entries and raise the floor past b's position.
    const raw = new Database(file);
    raw.exec(`DELETE FROM changes; UPDATE meta SET value = 1000000 WHERE key = 'changes_floor'; INSERT INTO changes (seq, rid) VALUES (1000001, 1)`);
    raw.close();
    const page = await b.specimens.search({});
    expect(page.items.map((s) => s.id).sort()).toEqual([s1!.id, s2!.id].sort());
    await a.close();
    await b.close();
  });

  it('loads a large index in slices and applies writes made meanwhile', async () => {
    const file = await tempFile();
    const a = new SqliteCatalogStore({ file, synchronous: 'NORMAL' });
    await a.init();
    const library = syntheticSpecimens(450, 21);
    for (const s of library) await a.specimens.create(s);
    const b = new SqliteCatalogStore({ file, indexLoadSlice: 40 });
    await b.init();
    // b's first search loads the index in slices; a writes between them.
    const first = b.specimens.search({ limit: 1 });
    await new Promise((resolve) => setImmediate(resolve));
    await a.specimens.delete(library[10]!.id);
    await a.specimens.delete(library[440]!.id);
    const [extra] = syntheticSpecimens(1, 22, 'extra');
    await a.specimens.create(extra!);
    const page = await first;
    expect(page.total).toBe(450 - 2 + 1);
    const all = await allPages(b, { limit: 200, sort: 'createdAt' });
    expect(all.ids).not.toContain(library[10]!.id);
    expect(all.ids).not.toContain(library[440]!.id);
    expect(all.ids).toContain(extra!.id);
    await a.close();
    await b.close();
  });

  it('lets two instances on one file claim each job exactly once, interleaved', async () => {
    const file = await tempFile();
    const a = await openStore(file);
    const b = await openStore(file);
    for (let i = 0; i < 30; i++) await a.jobs.enqueue({ id: `job-shared-${i}`, kind: 'compare', payload: { i } });
    const claimed: string[] = [];
    for (;;) {
      const [x, y] = await Promise.all([a.jobs.claim('worker-a', 60_000), b.jobs.claim('worker-b', 60_000)]);
      if (!x && !y) break;
      for (const j of [x, y]) if (j) claimed.push(j.id);
    }
    expect(claimed).toHaveLength(30);
    expect(new Set(claimed).size).toBe(30);
    // Each side sees the other's claims.
    expect((await a.jobs.list({ status: 'running', limit: 100 })).length).toBe(30);
    await a.close();
    await b.close();
  });

  it('lets two processes claim each job exactly once', async () => {
    const file = await tempFile();
    const store = await openStore(file);
    const total = 300;
    for (let i = 0; i < total; i++) await store.jobs.enqueue({ id: `job-proc-${String(i).padStart(3, '0')}`, kind: 'compare', payload: i });
    await store.close();
    // A child process loading this adapter's TypeScript source through swc, as jest does.
    // It says "ready" once open and starts claiming on "go", so that both processes contend.
    const child = `
      const swc = require('@swc/core');
      const fs = require('node:fs');
      require.extensions['.ts'] = (m, filename) => {
        const { code } = swc.transformSync(fs.readFileSync(filename, 'utf8'), {
          filename, jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' },
        });
        m._compile(code, filename);
      };
      const { SqliteCatalogStore } = require(${JSON.stringify(path.join(__dirname, 'catalog.sqlite.ts'))});
      (async () => {
        const [file, worker] = process.argv.slice(1);
        const store = new SqliteCatalogStore({ file, busyTimeoutMs: 30000 });
        await store.init();
        process.stdout.write('ready\\n');
        await new Promise((resolve) => process.stdin.once('data', resolve));
        const ids = [];
        for (let job; (job = await store.jobs.claim(worker, 60000)); ) {
          ids.push(job.id);
          // The work itself: a worker that never pauses starves the other one of SQLite's write lock.
          await new Promise((resolve) => setTimeout(resolve, 2));
          await store.jobs.complete(job.id, worker, { by: worker });
        }
        await store.close();
        process.stdout.write(JSON.stringify(ids) + '\\n');
        process.exit(0);
      })().catch((err) => { console.error(err); process.exit(1); });
    `;
    const children = ['proc-a', 'proc-b'].map((worker) =>
      spawn(process.execPath, ['-e', child, file, worker], { cwd: path.join(__dirname, '..', '..', '..'), stdio: ['pipe', 'pipe', 'inherit'] }),
    );
    const outputs = children.map((c) => {
      let out = '';
      c.stdout.on('data', (d: Buffer) => (out += d.toString()));
      return {
        ready: new Promise<void>((resolve) => {
          const check = () => (out.startsWith('ready\n') ? resolve() : c.stdout.once('data', check));
          check();
        }),
        done: new Promise<string>((resolve, reject) => c.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`child exited with ${code}`))))),
      };
    });
    await Promise.all(outputs.map((o) => o.ready));
    for (const c of children) c.stdin.end('go');
    const lists = (await Promise.all(outputs.map((o) => o.done))).map((out) => JSON.parse(out.split('\n')[1]!) as string[]);
    const all = lists.flat();
    expect(all).toHaveLength(total);
    expect(new Set(all).size).toBe(total);
    for (const list of lists) expect(list.length).toBeGreaterThan(0);
    const check = await openStore(file);
    const done = await check.jobs.list({ status: 'done', limit: 1000 });
    expect(done).toHaveLength(total);
    for (const job of done) expect(job.attempts).toBe(1);
    await check.close();
  });
});
