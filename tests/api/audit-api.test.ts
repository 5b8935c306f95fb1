/**
 * GET /api/audit (admins only) over the real app, and `exemplar audit
 * verify` as the built binary (`node server/dist/cli.js`) on the same kind
 * of catalog file: intact → exit 0 with count and head; each kind of
 * tampering with the file → exit 1 naming the first bad entry.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import { loadConfig } from '../../server/src/config';
import { openContext } from '../../server/src/context';
import { buildTestApp, makeTestImage, MINIMAL_SPECIMEN, multipartBody, sha256, type TestApp } from '../../server/src/test-helpers';
import { spawnExemplar, tempDir } from '../cli/helpers';

jest.setTimeout(120_000);

describe('GET /api/audit', () => {
  let t: TestApp;
  beforeAll(async () => {
    // Comparisons are submitted and cancelled here, never run.
    t = await buildTestApp({ EXEMPLAR_SERVER_COMPARISONS: '0' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers admins only; others 403, no credential 401', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/api/audit' })).statusCode).toBe(401);
    for (const role of ['examiner', 'border-officer', 'prosecutor', 'viewer'] as const) {
      const res = await (await t.login(role)).inject({ method: 'GET', url: '/api/audit' });
      expect(res.statusCode).toBe(403);
      expect(res.json().code).toBe('FORBIDDEN');
    }
    expect((await (await t.login('admin')).inject({ method: 'GET', url: '/api/audit' })).statusCode).toBe(200);
  });

  it('lists what services recorded, filters, and pages with a cursor', async () => {
    const audit = t.context.services.audit;
    const actor = { id: 'examiner', role: 'examiner' as const, requestId: 'req-audit-1' };
    const start = new Date().toISOString();
    for (let i = 0; i < 5; i++) await audit.record({ actor, action: 'case.read', target: { kind: 'case', id: `case-audit-${i % 2}` }, details: { i } });
    const admin = await t.login('admin');

    const byTarget = await admin.inject({ method: 'GET', url: '/api/audit?target=case:case-audit-1&order=asc' });
    expect(byTarget.statusCode).toBe(200);
    expect(byTarget.json().items.map((e: { details: { i: number } }) => e.details.i)).toEqual([1, 3]);
    const entry = byTarget.json().items[0];
    expect(entry).toMatchObject({ actor: 'examiner', actorRole: 'examiner', action: 'case.read', target: 'case:case-audit-1', requestId: 'req-audit-1', hashes: {} });
    expect(entry.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(entry.prevHash).toMatch(/^[0-9a-f]{64}$/);

    const page1 = await admin.inject({ method: 'GET', url: `/api/audit?action=case.read&from=${encodeURIComponent(start)}&limit=2` });
    expect(page1.json().items.map((e: { details: { i: number } }) => e.details.i)).toEqual([4, 3]);
    const page2 = await admin.inject({ method: 'GET', url: `/api/audit?action=case.read&from=${encodeURIComponent(start)}&limit=2&cursor=${page1.json().nextCursor}` });
    expect(page2.json().items.map((e: { details: { i: number } }) => e.details.i)).toEqual([2, 1]);
    const future = await admin.inject({ method: 'GET', url: `/api/audit?from=2999-01-01T00:00:00Z` });
    expect(future.json()).toEqual({ items: [], nextCursor: null });

    const bad = await admin.inject({ method: 'GET', url: '/api/audit?from=last-week' });
    expect(bad.statusCode).toBe(400);
    expect((await admin.inject({ method: 'GET', url: '/api/audit?limit=5000' })).statusCode).toBe(400);
  });

  it('records every write and every read of an original, with the objects hashes', async () => {
    const examiner = await t.login('examiner');
    const specimen = (await examiner.inject({ method: 'POST', url: '/api/specimens', payload: MINIMAL_SPECIMEN })).json();
    const white = await makeTestImage({ width: 320, height: 200, format: 'png', seed: 5 });
    const upload = multipartBody([
      { name: 'capture', value: JSON.stringify({ page: 'data-page' }) },
      { name: 'white', filename: 'white.png', data: white, contentType: 'image/png' },
    ]);
    const captured = await examiner.inject({ method: 'POST', url: `/api/specimens/${specimen.id}/captures`, payload: upload.payload, headers: upload.headers });
    expect(captured.statusCode).toBe(201);
    const capture = captured.json();
    const sha = sha256(white);
    const prosecutor = await t.login('prosecutor');
    expect((await prosecutor.inject({ method: 'GET', url: `/api/images/${sha}` })).statusCode).toBe(200);
    let revision = (await examiner.inject({ method: 'GET', url: `/api/specimens/${specimen.id}` })).json().revision as number;
    const patched = await examiner.inject({ method: 'PATCH', url: `/api/specimens/${specimen.id}`, payload: { revision, title: 'Renamed' } });
    expect(patched.statusCode).toBe(200);
    revision = patched.json().revision;
    const zones = await examiner.inject({
      method: 'PUT',
      url: `/api/specimens/${specimen.id}/captures/${capture.id}/zones`,
      payload: { revision, zones: [{ type: 'photo', polygon: [[1, 1], [50, 1], [50, 50], [1, 50]], lightSources: ['white'], personalised: true }] },
    });
    expect(zones.statusCode).toBe(200);
    const submitted = await examiner.inject({ method: 'POST', url: '/api/comparisons', payload: { reference: { specimenId: specimen.id, captureId: capture.id }, questioned: { images: { white: sha } } } });
    expect(submitted.statusCode).toBe(202);
    const comparisonId = submitted.json().id as string;
    expect((await examiner.inject({ method: 'DELETE', url: `/api/comparisons/${comparisonId}` })).statusCode).toBe(200);
    expect((await examiner.inject({ method: 'DELETE', url: `/api/specimens/${specimen.id}` })).statusCode).toBe(204);

    const admin = await t.login('admin');
    const list = async (target: string) =>
      (await admin.inject({ method: 'GET', url: `/api/audit?order=asc&target=${encodeURIComponent(target)}` })).json().items as Array<Record<string, unknown>>;
    const onSpecimen = await list(`specimen:${specimen.id}`);
    expect(onSpecimen.map((e) => e.action)).toEqual(['specimen.create', 'capture.create', 'specimen.update', 'zone.replace', 'specimen.delete']);
    expect(onSpecimen.every((e) => e.actor === 'examiner')).toBe(true);
    expect(onSpecimen[1]).toMatchObject({ hashes: { [`${capture.id}/white`]: sha }, details: { captureId: capture.id } });
    expect(onSpecimen[2]).toMatchObject({ hashes: {}, details: { fields: ['title'] } });
    expect(onSpecimen[4]).toMatchObject({ hashes: { [`${capture.id}/white`]: sha } });
    expect(await list(`image:${sha}`)).toEqual([expect.objectContaining({ action: 'image.read-original', actor: 'prosecutor', actorRole: 'prosecutor', hashes: { original: sha } })]);
    expect((await list(`comparison:${comparisonId}`)).map((e) => [e.action, e.hashes])).toEqual([
      ['comparison.submit', { 'questioned/white': sha }],
      ['comparison.cancel', {}],
    ]);
  });

  it('records a read of an original only when its bytes are sent: a conditional GET answered 304, or a HEAD, records nothing', async () => {
    const examiner = await t.login('examiner');
    const officer = await t.login('border-officer');
    const admin = await t.login('admin');
    const png = (seed: number) => makeTestImage({ width: 300, height: 200, format: 'png', seed });
    const post = (who: typeof examiner, url: string, fields: { name: string; value?: string; data?: Buffer }[]) => {
      const { payload, headers } = multipartBody(fields.map((f) => (f.data ? { name: f.name, filename: `${f.name}.png`, data: f.data, contentType: 'image/png' } : { name: f.name, value: f.value! })));
      return who.inject({ method: 'POST', url, payload, headers });
    };
    const specimen = (await examiner.inject({ method: 'POST', url: '/api/specimens', payload: MINIMAL_SPECIMEN })).json();
    const original = await png(31);
    const capture = await post(examiner, `/api/specimens/${specimen.id}/captures`, [{ name: 'capture', value: JSON.stringify({ page: 'data-page' }) }, { name: 'white', data: original }]);
    expect(capture.statusCode).toBe(201);
    const seized = await png(32);
    const comparison = await post(examiner, '/api/comparisons', [{ name: 'comparison', value: JSON.stringify({ reference: { specimenId: specimen.id, captureId: capture.json().id } }) }, { name: 'white', data: seized }]);
    expect(comparison.statusCode).toBe(202);
    const atBorder = await png(33);
    const request = await post(officer, '/api/verification-requests', [{ name: 'request', value: JSON.stringify({ urgency: 'routine' }) }, { name: 'white', data: atBorder }]);
    expect(request.statusCode).toBe(201);

    const downloads = [
      { url: `/api/images/${sha256(original)}`, target: `image:${sha256(original)}`, bytes: original },
      { url: `/api/comparisons/${comparison.json().id}/questioned/white`, target: `image:${sha256(seized)}`, bytes: seized },
      { url: `/api/verification-requests/${request.json().id}/questioned/white`, target: `verification-request:${request.json().id}`, bytes: atBorder },
    ];
    const reads = async (target: string) =>
      ((await admin.inject({ method: 'GET', url: `/api/audit?order=asc&target=${encodeURIComponent(target)}` })).json().items as Array<Record<string, unknown>>).filter((e) => e.action === 'image.read-original');
    const readsOfEach = async () => Object.fromEntries(await Promise.all(downloads.map(async (d) => [d.url, (await reads(d.target)).length] as const)));

    for (const { url, bytes } of downloads) {
      const notModified = await examiner.inject({ method: 'GET', url, headers: { 'if-none-match': `"${sha256(bytes)}"` } });
      expect(notModified.statusCode).toBe(304);
      expect(notModified.rawPayload.length).toBe(0);
      const head = await examiner.inject({ method: 'HEAD', url });
      expect(head.statusCode).toBe(200);
      expect(head.rawPayload.length).toBe(0);
    }
    expect(await readsOfEach()).toEqual(Object.fromEntries(downloads.map((d) => [d.url, 0])));

    for (const { url, target, bytes } of downloads) {
      const got = await examiner.inject({ method: 'GET', url });
      expect(got.statusCode).toBe(200);
      expect(got.rawPayload.equals(bytes)).toBe(true);
      expect(await reads(target)).toEqual([expect.objectContaining({ actor: 'examiner', actorRole: 'examiner' })]);
      expect((await examiner.inject({ method: 'GET', url, headers: { range: 'bytes=0-9' } })).statusCode).toBe(206);
    }
    expect(await readsOfEach()).toEqual(Object.fromEntries(downloads.map((d) => [d.url, 2])));
  });

  it('records specimen writes made through the API, by the user who made them', async () => {
    const examiner = await t.login('examiner');
    const created = await examiner.inject({ method: 'POST', url: '/api/specimens', payload: MINIMAL_SPECIMEN });
    expect(created.statusCode).toBe(201);
    const id = created.json().id as string;
    const admin = await t.login('admin');
    const res = await admin.inject({ method: 'GET', url: `/api/audit?target=specimen:${id}` });
    expect(res.json().items).toEqual([expect.objectContaining({ action: 'specimen.create', actor: 'examiner', actorRole: 'examiner', requestId: created.headers['x-request-id'] })]);
  });
});

describe('when the audit trail cannot be written', () => {
  it('answers 500 after a committed capture upload but keeps its images (the record refers to them)', async () => {
    const t = await buildTestApp({ EXEMPLAR_SERVER_COMPARISONS: '0' });
    try {
      const examiner = await t.login('examiner');
      const specimen = (await examiner.inject({ method: 'POST', url: '/api/specimens', payload: MINIMAL_SPECIMEN })).json();
      // A failure of the audit table itself (as a full disk would give), through a second connection to the catalog file.
      const db = new Database(path.join(t.config.dataDir, 'catalog.sqlite'));
      db.exec("CREATE TRIGGER audit_log_refuse BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'disk full'); END;");
      db.close();
      const white = await makeTestImage({ width: 300, height: 200, format: 'png', seed: 9 });
      const upload = multipartBody([
        { name: 'capture', value: JSON.stringify({ page: 'data-page' }) },
        { name: 'white', filename: 'white.png', data: white, contentType: 'image/png' },
      ]);
      const res = await examiner.inject({ method: 'POST', url: `/api/specimens/${specimen.id}/captures`, payload: upload.payload, headers: upload.headers });
      expect(res.statusCode).toBe(500);
      const stored = await t.context.catalog.specimens.get(specimen.id);
      expect(stored!.captures.map((c) => c.images.map((i) => i.sha256))).toEqual([[sha256(white)]]);
      expect(await t.objectKeys()).toContain(`originals/${sha256(white).slice(0, 2)}/${sha256(white)}`);
    } finally {
      await t.close();
    }
  });

  it('refuses a download of an original whose read cannot be recorded: 500, none of its bytes sent', async () => {
    const t = await buildTestApp({ EXEMPLAR_SERVER_COMPARISONS: '0' });
    try {
      const examiner = await t.login('examiner');
      const specimen = (await examiner.inject({ method: 'POST', url: '/api/specimens', payload: MINIMAL_SPECIMEN })).json();
      const white = await makeTestImage({ width: 300, height: 200, format: 'png', seed: 34 });
      const upload = multipartBody([
        { name: 'capture', value: JSON.stringify({ page: 'data-page' }) },
        { name: 'white', filename: 'white.png', data: white, contentType: 'image/png' },
      ]);
      expect((await examiner.inject({ method: 'POST', url: `/api/specimens/${specimen.id}/captures`, payload: upload.payload, headers: upload.headers })).statusCode).toBe(201);
      const db = new Database(path.join(t.config.dataDir, 'catalog.sqlite'));
      db.exec("CREATE TRIGGER audit_log_refuse BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'disk full'); END;");
      db.close();
      const res = await examiner.inject({ method: 'GET', url: `/api/images/${sha256(white)}` });
      expect(res.statusCode).toBe(500);
      expect(res.rawPayload.includes(white.subarray(0, 64))).toBe(false);
    } finally {
      await t.close();
    }
  });
});

describe('exemplar audit verify (built binary)', () => {
  let dir: string;
  let file: string;
  beforeAll(async () => {
    dir = await tempDir('audit-verify');
    file = path.join(dir, 'catalog.sqlite');
  });
  afterAll(() => fs.rm(dir, { recursive: true, force: true }));

  /** A fresh data folder whose audit trail holds `n` entries written by the real services. */
  async function seeded(n: number): Promise<void> {
    await fs.rm(dir, { recursive: true, force: true });
    await fs.mkdir(dir, { recursive: true });
    const context = await openContext(loadConfig({ EXEMPLAR_DATA_DIR: dir, LOG_LEVEL: 'silent', EXEMPLAR_SEED_DEMO: 'never' }));
    try {
      for (let i = 0; i < n; i++) {
        await context.services.audit.record({ actor: { id: 'cli-test', role: 'system' }, action: 'specimen.update', target: { kind: 'specimen', id: `s${i}` }, details: { i } });
      }
    } finally {
      await context.close();
    }
  }

  const verify = () => spawnExemplar(['--data-dir', dir, 'audit', 'verify']);
  /** Edits the catalog file directly, as someone with access to it would (the append-only triggers dropped first). */
  function tamper(sql: string, ...params: unknown[]) {
    const db = new Database(file);
    try {
      db.exec('DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;');
      if (params.length) db.prepare(sql).run(...params);
      else db.exec(sql);
    } finally {
      db.close();
    }
  }

  it('exits 0 on an intact chain, printing the count and the head hash', async () => {
    await seeded(6);
    const run = await verify();
    expect(run.code).toBe(0);
    const db = new Database(file, { readonly: true });
    const head = db.prepare('SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1').pluck().get() as string;
    db.close();
    expect(run.stdout).toBe(`audit log intact: 6 entries, head ${head} (seq 6)\n`);

    const json = await spawnExemplar(['--data-dir', dir, 'audit', 'verify', '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, entries: 6, head, headSeq: 6 });
  });

  it.each([
    ['a modified field', 'UPDATE audit_log SET actor = ? WHERE seq = 4', ['mallory'], 4, /hash-mismatch/],
    ['a deleted middle entry', 'DELETE FROM audit_log WHERE seq = 3', [], 4, /entries 3\.\.3 are missing/],
    ['two entries swapped', 'UPDATE audit_log SET seq = -1 WHERE seq = 2; UPDATE audit_log SET seq = 2 WHERE seq = 5; UPDATE audit_log SET seq = 5 WHERE seq = -1;', [], 2, /hash-mismatch/],
    ['a changed hash', `UPDATE audit_log SET hash = '${'c'.repeat(64)}' WHERE seq = 5`, [], 5, /hash-mismatch/],
  ])('exits 1 naming the first bad entry after %s', async (_what, sql, params, seq, kind) => {
    await seeded(6);
    expect((await verify()).code).toBe(0);
    tamper(sql, ...params);
    const run = await verify();
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`^audit log BROKEN: first bad entry seq ${seq} `));
    expect(run.stderr).toMatch(kind);
  });
});
