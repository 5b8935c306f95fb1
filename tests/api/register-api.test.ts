/**
 * The lost, stolen and revoked register through the API: real HTTP (inject),
 * a real SQLite file, logged-in users of each role; the CSV import with its
 * per-row report in both modes; the automatic check on MRZ parses; and the
 * `exemplar register import` CLI on the same kind of data folder.
 */
import fs from 'node:fs/promises';
import { renderMrzImage } from '@exemplar/image-pipeline';
import path from 'node:path';
import { buildTestApp, makeTestImage, multipartBody, type LoggedIn, type TestApp } from '../../server/src/test-helpers';
import { MAX_IMPORT_BYTES } from '../../server/src/routes/register';
import { runExemplar, tempDir } from '../cli/helpers';
import { loadConfig } from '../../server/src/config';
import { openContext } from '../../server/src/context';
import { systemActor } from '../../server/src/services/actor';

/** The ICAO Doc 9303 specimen passport (issuing state UTO, number L898902C3). */
const TD3 = ['P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<', 'L898902C36UTO7408122F1204159ZE184226B<<<<<10'];

let t: TestApp;
let examiner: LoggedIn;
let officer: LoggedIn;
let viewer: LoggedIn;

beforeAll(async () => {
  // Comparisons are only queued here: the register check needs the submission, not the work.
  t = await buildTestApp({ EXEMPLAR_SERVER_COMPARISONS: '0' });
  examiner = await t.login('examiner');
  officer = await t.login('border-officer');
  viewer = await t.login('viewer');
});

afterAll(async () => {
  await t?.close();
});

const entry = (overrides: Record<string, unknown> = {}) => ({ issuingState: 'UTO', documentNumber: 'l898 902c3<', status: 'stolen', source: 'Utopia police report 2026/1142', ...overrides });

async function auditActions(targetKind: string, id: string): Promise<string[]> {
  const page = await t.context.services.audit.list(systemActor('test'), { target: `${targetKind}:${id}` });
  // Newest first; the tests read them in the order they happened.
  return page.items.map((e: { action: string }) => e.action).reverse();
}

describe('register entries', () => {
  let id: string;
  let revision: number;

  it('an examiner adds an entry; the number is stored normalised and the write is audited', async () => {
    const res = await examiner.inject({ method: 'POST', url: '/api/register', payload: entry({ notes: 'reported at the embassy' }) });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({ issuingState: 'UTO', documentNumber: 'L898902C3', status: 'stolen', createdBy: 'examiner', revision: 1, notes: 'reported at the embassy' });
    expect(res.headers.location).toBe(`/api/register/${body.id}`);
    id = body.id;
    revision = body.revision;
    expect(await auditActions('register-entry', id)).toEqual(['register.create']);
  });

  it('a border officer looks the document up however the number is typed; another state does not match', async () => {
    const hit = await officer.inject({ method: 'GET', url: '/api/register?issuingState=UTO&documentNumber=l898%20902%3Cc3' });
    expect(hit.statusCode).toBe(200);
    expect(hit.json()).toMatchObject({ total: 1, items: [{ id, documentNumber: 'L898902C3' }] });
    const miss = await officer.inject({ method: 'GET', url: '/api/register?issuingState=D&documentNumber=L898902C3' });
    expect(miss.json()).toMatchObject({ total: 0, items: [] });
  });

  it('the same state and number again is a 409 naming the existing entry', async () => {
    const res = await examiner.inject({ method: 'POST', url: '/api/register', payload: entry({ documentNumber: 'L898902C3', status: 'lost' }) });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: 'CONFLICT', details: { existingId: id } });
  });

  it('refuses writes by border officers (403) and every access by viewers (403)', async () => {
    expect((await officer.inject({ method: 'POST', url: '/api/register', payload: entry({ documentNumber: 'X1' }) })).statusCode).toBe(403);
    expect((await officer.inject({ method: 'PATCH', url: `/api/register/${id}`, payload: { revision, status: 'revoked' } })).statusCode).toBe(403);
    expect((await officer.inject({ method: 'DELETE', url: `/api/register/${id}` })).statusCode).toBe(403);
    expect((await viewer.inject({ method: 'GET', url: '/api/register' })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'GET', url: '/api/register' })).statusCode).toBe(401);
  });

  it('refuses an invalid entry with the field named', async () => {
    const res = await examiner.inject({ method: 'POST', url: '/api/register', payload: entry({ issuingState: 'XYZ', status: 'found' }) });
    expect(res.statusCode).toBe(400);
    expect(res.json().details.errors.map((e: { path: string }) => e.path).sort()).toEqual(['/issuingState', '/status']);
  });

  it('changes an entry at the revision read (null clears a field); a stale revision is a 409', async () => {
    const res = await examiner.inject({ method: 'PATCH', url: `/api/register/${id}`, payload: { revision, status: 'revoked', notes: null, date: '2026-11-01' } });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ status: 'revoked', date: '2026-11-01', revision: revision + 1 });
    expect(body.notes).toBeUndefined();
    const stale = await examiner.inject({ method: 'PATCH', url: `/api/register/${id}`, payload: { revision, status: 'lost' } });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().code).toBe('REVISION_CONFLICT');
    revision = body.revision;
  });

  it('MRZ parses carry the register hits for the document (and an empty list when there is none)', async () => {
    const res = await officer.inject({ method: 'POST', url: '/api/mrz/parse', payload: { lines: TD3 } });
    expect(res.statusCode).toBe(200);
    expect(res.json().registerHits).toEqual([expect.objectContaining({ id, issuingState: 'UTO', documentNumber: 'L898902C3', status: 'revoked' })]);
    const other = await officer.inject({ method: 'POST', url: '/api/mrz/parse', payload: { lines: [TD3[0], TD3[1]!.replace('L898902C3', 'L898902C4')] } });
    expect(other.statusCode).toBe(200);
    expect(other.json().registerHits).toEqual([]);
  });

  it('an MRZ read from a photo carries the register hits too', async () => {
    const jpeg = await renderMrzImage(TD3, { pitch: 17, rotateDeg: 1.5, noiseSigma: 4, jpegQuality: 85, seed: 3 });
    const { payload, headers } = multipartBody([{ name: 'image', filename: 'passport.jpg', data: jpeg, contentType: 'image/jpeg' }]);
    const res = await officer.inject({ method: 'POST', url: '/api/mrz/read', payload, headers });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ found: true, parse: { lines: TD3 } });
    expect(res.json().registerHits).toEqual([expect.objectContaining({ id, documentNumber: 'L898902C3' })]);
  });

  it('a comparison submitted with the MRZ carries the register hits; MRZ lines that are not one are refused before anything is stored', async () => {
    const image = await makeTestImage({ width: 320, height: 220, seed: 5 });
    const upload = (request: unknown) => {
      const { payload, headers } = multipartBody([
        { name: 'comparison', value: JSON.stringify(request) },
        { name: 'white', filename: 'q.jpg', data: image, contentType: 'image/jpeg' },
      ]);
      return officer.inject({ method: 'POST', url: '/api/comparisons', payload, headers });
    };
    const keys = await t.objectKeys();
    const bad = await upload({ reference: 'auto', mrz: { lines: ['P<UTO', 'L898'] } });
    expect(bad.statusCode).toBe(400);
    expect(await t.objectKeys()).toEqual(keys);

    const res = await upload({ reference: 'auto', mrz: { lines: TD3 } });
    expect(res.statusCode).toBe(202);
    expect(res.json().request.mrz).toEqual({ lines: TD3 });
    expect(res.json().registerHits).toEqual([expect.objectContaining({ id, status: 'revoked' })]);
    const again = await officer.inject({ method: 'GET', url: `/api/comparisons/${res.json().id}` });
    expect(again.json().registerHits).toEqual([expect.objectContaining({ id })]);
    // Without an MRZ there is nothing to check.
    const plain = await upload({ reference: 'auto' });
    expect(plain.statusCode).toBe(202);
    expect(plain.json().registerHits).toBeUndefined();
  });

  it('deletes an entry (at its revision) and says so in the audit trail', async () => {
    expect((await examiner.inject({ method: 'DELETE', url: `/api/register/${id}?revision=${revision - 1}` })).statusCode).toBe(409);
    expect((await examiner.inject({ method: 'DELETE', url: `/api/register/${id}?revision=${revision}` })).statusCode).toBe(204);
    expect((await officer.inject({ method: 'GET', url: `/api/register/${id}` })).statusCode).toBe(404);
    expect(await auditActions('register-entry', id)).toEqual(['register.create', 'register.update', 'register.delete']);
  });
});

describe('POST /api/register/import', () => {
  const header = 'issuingState,documentNumber,documentCode,status,date,source,notes';

  function upload(csv: string, mode?: string, who: LoggedIn = examiner) {
    const { payload, headers } = multipartBody([{ name: 'file', filename: 'register.csv', data: Buffer.from(csv), contentType: 'text/csv' }]);
    return who.inject({ method: 'POST', url: `/api/register/import${mode ? `?mode=${mode}` : ''}`, payload, headers });
  }

  it('imports the valid rows and reports every refused one with its row, fields and duplicates', async () => {
    await examiner.inject({ method: 'POST', url: '/api/register', payload: entry({ issuingState: 'GBR', documentNumber: '123456789' }) });
    const csv = [
      header,
      'UTO,AB 100001,P,lost,2026-01-02,Utopia MFA,',
      'UTO,AB100002,,stolen-blank,,Utopia MFA,"blank booklet, series AB"',
      'XXQ,AB100003,P,lost,,Utopia MFA,',
      'UTO,AB100004,P,misplaced,02/01/2026,Utopia MFA,',
      'GBR,123 456 789,P,stolen,,HMPO,',
      'UTO,ab100001,P,stolen,,Utopia police,',
      '',
      'D,C01X00T47,P,revoked,2026-10-01,,',
    ].join('\r\n');
    const res = await upload(csv);
    expect(res.statusCode).toBe(200);
    const report = res.json();
    expect(report).toMatchObject({ mode: 'valid-rows', ok: false, imported: 2, refused: 5, duplicates: 2 });
    const byRow = new Map(report.rows.map((r: { row: number }) => [r.row, r]));
    expect(byRow.get(2)).toMatchObject({ ok: true, errors: [] });
    expect(byRow.get(3)).toMatchObject({ ok: true, errors: [] });
    expect(byRow.get(4)).toMatchObject({ ok: false, errors: [expect.objectContaining({ field: 'issuingState' })] });
    expect((byRow.get(5) as { errors: { field: string }[] }).errors.map((e) => e.field).sort()).toEqual(['date', 'status']);
    expect(byRow.get(6)).toMatchObject({ ok: false, duplicate: true, errors: [expect.objectContaining({ field: 'documentNumber' })] });
    expect(byRow.get(7)).toMatchObject({ ok: false, duplicate: true, errors: [{ field: 'documentNumber', message: 'repeats row 2' }] });
    // A blank line keeps the numbering of the file.
    expect(byRow.get(9)).toMatchObject({ ok: false, errors: [expect.objectContaining({ field: 'source' })] });

    const list = await officer.inject({ method: 'GET', url: '/api/register?issuingState=UTO' });
    expect(list.json().items.map((e: { documentNumber: string }) => e.documentNumber).sort()).toEqual(['AB100001', 'AB100002']);
  });

  it('all-or-nothing: one bad row → 422 with the report and nothing imported; all valid → every row imported', async () => {
    const before = (await officer.inject({ method: 'GET', url: '/api/register' })).json().total;
    const bad = await upload([header, 'UTO,CD200001,P,lost,,MFA,', 'UTO,CD200002,P,lost,,,'].join('\n'), 'all-or-nothing');
    expect(bad.statusCode).toBe(422);
    expect(bad.json()).toMatchObject({ code: 'UNPROCESSABLE', details: { mode: 'all-or-nothing', ok: false, imported: 0, refused: 2 } });
    expect((await officer.inject({ method: 'GET', url: '/api/register' })).json().total).toBe(before);

    const good = await upload([header, 'UTO,CD200001,P,lost,,MFA,', 'UTO,CD200002,P,invalid,,MFA,'].join('\n'), 'all-or-nothing');
    expect(good.statusCode).toBe(200);
    expect(good.json()).toMatchObject({ ok: true, imported: 2, refused: 0 });
    expect((await officer.inject({ method: 'GET', url: '/api/register' })).json().total).toBe(before + 2);
  });

  it('takes the CSV as a text/csv body too', async () => {
    const res = await examiner.inject({ method: 'POST', url: '/api/register/import', headers: { 'content-type': 'text/csv' }, payload: `documentNumber,issuingState,status,source\nEF300001,UTO,stolen,MFA\n` });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ ok: true, imported: 1 });
  });

  it('refuses a CSV that is not UTF-8, as a file part or a text/csv body, naming the line, and imports nothing', async () => {
    const before = (await officer.inject({ method: 'GET', url: '/api/register' })).json().total;
    // A Latin-1 export: "Ministère" with è as the single byte 0xE8, which read leniently would be stored as U+FFFD.
    const latin1 = Buffer.concat([Buffer.from(`${header}\nUTO,EF300090,P,lost,,Minist`), Buffer.from([0xe8]), Buffer.from('re,\n')]);
    const { payload, headers } = multipartBody([{ name: 'file', filename: 'register.csv', data: latin1, contentType: 'text/csv' }]);
    for (const res of [
      await examiner.inject({ method: 'POST', url: '/api/register/import', payload, headers }),
      await examiner.inject({ method: 'POST', url: '/api/register/import', headers: { 'content-type': 'text/csv' }, payload: latin1 }),
    ]) {
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({ code: 'VALIDATION_FAILED', message: 'The CSV is not UTF-8 text (line 2); save it as UTF-8', details: { line: 2 } });
    }
    expect((await officer.inject({ method: 'GET', url: '/api/register' })).json().total).toBe(before);
  });

  it('refuses a file without the expected header (400) and imports by border officers (403)', async () => {
    const res = await upload('state,number\nUTO,1\n');
    expect(res.statusCode).toBe(400);
    expect(res.json().details).toMatchObject({ unknown: ['state', 'number'], missing: ['issuingState', 'documentNumber', 'status', 'source'] });
    expect((await upload([header, 'UTO,GH1,P,lost,,MFA,'].join('\n'), undefined, officer)).statusCode).toBe(403);
    expect((await officer.inject({ method: 'GET', url: '/api/register?documentNumber=GH1' })).json().total).toBe(0);
  });
});

describe('POST /api/register/import over its size limit (a listening server)', () => {
  let base: string;
  beforeAll(async () => {
    base = await t.app.listen({ host: '127.0.0.1', port: 0 });
  });

  /** What the app's temp folder holds (upload spools live there while a request runs). */
  const tmpEntries = async () => (await fs.readdir(t.config.tmpDir).catch(() => [] as string[])).sort();

  async function post(body: Buffer, headers: Record<string, string>) {
    const res = await fetch(`${base}/api/register/import`, { method: 'POST', headers: { ...examiner.headers, ...headers }, body });
    return { status: res.status, body: (await res.json()) as { code: string; message: string; details: { maxBytes?: number } } };
  }

  // A valid header and rows, so that only the size is wrong.
  const oversizeCsv = () => {
    const header = 'issuingState,documentNumber,status,source\n';
    const row = 'UTO,ZZ000001,lost,MFA\n';
    return Buffer.from(header + row.repeat(Math.ceil((MAX_IMPORT_BYTES + 1 - header.length) / row.length)));
  };

  it('a file part over the CSV limit → 413 CSV_TOO_LARGE, nothing imported and no spool left', async () => {
    const before = await tmpEntries();
    const total = (await officer.inject({ method: 'GET', url: '/api/register' })).json().total;
    const csv = oversizeCsv();
    expect(csv.length).toBeGreaterThan(MAX_IMPORT_BYTES);
    const { payload, headers } = multipartBody([{ name: 'file', filename: 'register.csv', data: csv, contentType: 'text/csv' }]);
    const res = await post(payload, headers);
    expect({ status: res.status, code: res.body.code, maxBytes: res.body.details.maxBytes }).toEqual({ status: 413, code: 'CSV_TOO_LARGE', maxBytes: MAX_IMPORT_BYTES });
    expect(res.body.message).toMatch(/CSV/);
    expect(await tmpEntries()).toEqual(before);
    expect((await officer.inject({ method: 'GET', url: '/api/register' })).json().total).toBe(total);
  });

  it('a text/csv body over the limit → the same 413 CSV_TOO_LARGE', async () => {
    const res = await post(oversizeCsv(), { 'content-type': 'text/csv' });
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 413, code: 'CSV_TOO_LARGE' });
  });
});

describe('exemplar register import', () => {
  it('imports a CSV, prints the JSON report, and exits non-zero when a row is refused', async () => {
    const dir = await tempDir('register-cli');
    try {
      const dataDir = path.join(dir, 'data');
      const file = path.join(dir, 'register.csv');
      await fs.writeFile(file, 'issuingState,documentNumber,status,source\nUTO,JK400001,lost,MFA\nUTO,JK400002,gone,MFA\n');
      const run = await runExemplar(dataDir, 'register', 'import', file, '--json');
      expect(run.code).toBe(2);
      const report = JSON.parse(run.stdout);
      expect(report).toMatchObject({ ok: false, imported: 1, refused: 1, rows: [{ row: 2, ok: true }, { row: 3, ok: false, errors: [expect.objectContaining({ field: 'status' })] }] });

      await fs.writeFile(file, 'issuingState,documentNumber,status,source\nUTO,JK400003,lost,MFA\n');
      const ok = await runExemplar(dataDir, 'register', 'import', file);
      expect(ok.code).toBe(0);
      expect(ok.stdout).toContain('1 imported, 0 refused');

      const context = await openContext(loadConfig({ EXEMPLAR_DATA_DIR: dataDir, LOG_LEVEL: 'silent', EXEMPLAR_SEED_DEMO: 'never' }));
      try {
        const page = await context.services.register.find(systemActor('test'), { issuingState: 'UTO' });
        expect(page.items.map((e) => e.documentNumber).sort()).toEqual(['JK400001', 'JK400003']);
      } finally {
        await context.close();
      }
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
