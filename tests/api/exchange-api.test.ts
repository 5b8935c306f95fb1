/**
 * Exchange between labs through the real apps of three separate labs (each
 * its own data folder, SQLite file, object folder and key): partner keys,
 * a signed export, dry run, import, re-import, conflicts, and refusals of
 * untrusted, revoked, tampered and re-signed packages — each refusal
 * leaving the importing library exactly as it was.
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { PartnerKey, Specimen } from '@exemplar/specimens-schema';
import yauzl from 'yauzl';
import { ZipFile } from 'yazl';
import { exchangeSpecimen } from '../../server/src/exchange/package';
import { systemActor } from '../../server/src/services/actor';
import type { ImportReport } from '../../server/src/services/exchange.service';
import { buildTestApp, makeTestImage, MINIMAL_SPECIMEN, multipartBody, sha256, type TestApp } from '../../server/src/test-helpers';

const actor = systemActor('test');
// Ingest does real image work in worker threads; on a shared, loaded machine set-up takes a while.
jest.setTimeout(600_000);
let labA: TestApp;
let labB: TestApp;
let genuine: Specimen;
let fraud: Specimen;
let pkg: Buffer;
let keyA: { labId: string; publicKey: string; fingerprint: string };

async function addCapture(t: TestApp, specimenId: string, seeds: Record<string, number>, zones: unknown[] = []): Promise<void> {
  await fs.mkdir(t.config.tmpDir, { recursive: true });
  const files = [];
  for (const [lightSource, seed] of Object.entries(seeds)) {
    const file = path.join(t.config.tmpDir, `${specimenId}-${lightSource}.png`);
    await fs.writeFile(file, await makeTestImage({ width: 240, height: 160, format: 'png', seed }));
    files.push({ lightSource, path: file, originalName: `scan-${lightSource}.png` });
  }
  await t.context.services.ingest.addCapture(specimenId, { page: 'data-page', dpi: 600, zones }, files, actor);
  for (const f of files) await fs.rm(f.path);
}

async function stored(t: TestApp, id: string): Promise<Specimen> {
  const s = await t.context.catalog.specimens.get(id);
  if (!s) throw new Error(`no specimen ${id}`);
  return s;
}

async function count(t: TestApp): Promise<number> {
  return (await t.context.catalog.specimens.search({ limit: 100 })).total;
}

async function trust(t: TestApp, name: string, publicKey: string): Promise<PartnerKey> {
  const admin = await t.login('admin');
  const res = await admin.inject({ method: 'POST', url: '/api/partners', payload: { name, publicKey } });
  expect(res.statusCode).toBe(201);
  return res.json<PartnerKey>();
}

async function upload(t: TestApp, zip: Buffer, query = '') {
  const examiner = await t.login('examiner');
  const body = multipartBody([{ name: 'package', filename: 'package.zip', data: zip, contentType: 'application/zip' }]);
  return examiner.inject({ method: 'POST', url: `/api/exchange/import${query}`, payload: body.payload, headers: body.headers });
}

/** The zip's members, in order. */
async function unzip(zip: Buffer): Promise<Array<[string, Buffer]>> {
  const file = await yauzl.fromBufferPromise(zip, { lazyEntries: true });
  const out: Array<[string, Buffer]> = [];
  await new Promise<void>((resolve, reject) => {
    file.on('entry', (entry: yauzl.Entry) => {
      file
        .openReadStreamPromise(entry)
        .then(async (stream) => {
          const chunks: Buffer[] = [];
          for await (const c of stream as AsyncIterable<Buffer>) chunks.push(c);
          out.push([entry.fileName, Buffer.concat(chunks)]);
          file.readEntry();
        })
        .catch(reject);
    });
    file.on('end', () => resolve());
    file.on('error', reject);
    file.readEntry();
  });
  return out;
}

async function rezip(members: Array<[string, Buffer]>): Promise<Buffer> {
  const zip = new ZipFile();
  for (const [name, data] of members) zip.addBuffer(data, name);
  zip.end();
  const chunks: Buffer[] = [];
  for await (const c of zip.outputStream as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

async function tampered(change: (name: string, data: Buffer) => Buffer): Promise<Buffer> {
  return rezip((await unzip(pkg)).map(([name, data]) => [name, change(name, data)]));
}

/** Nothing of a refused package reached the library. */
async function expectUntouched(t: TestApp, specimens: number, objects: string[]): Promise<void> {
  expect(await count(t)).toBe(specimens);
  expect(await t.objectKeys()).toEqual(objects);
}

beforeAll(async () => {
  // One after the other: two apps starting at once on a busy machine can overrun Fastify's plugin timeout.
  labA = await buildTestApp({ EXEMPLAR_LAB_ID: 'lab-a' });
  labB = await buildTestApp({ EXEMPLAR_LAB_ID: 'lab-b' });
  genuine = await labA.context.services.specimens.create({ ...MINIMAL_SPECIMEN, status: 'genuine' }, actor);
  await addCapture(labA, genuine.id, { white: 1, 'uv-365': 2 }, [{ type: 'watermark', polygon: [[5, 5], [60, 5], [60, 40]], lightSources: ['white'], personalised: false }]);
  fraud = await labA.context.services.specimens.create({ ...MINIMAL_SPECIMEN, status: 'counterfeit', title: 'Counterfeit of the 2019 series', imitates: genuine.id }, actor);
  // The counterfeit's white image is byte-identical to the genuine's: one original in the package.
  await addCapture(labA, fraud.id, { white: 1, 'ir-870': 3 });
  genuine = await stored(labA, genuine.id);
  fraud = await stored(labA, fraud.id);
  const key = await (await labA.login('admin')).inject({ method: 'GET', url: '/api/exchange/key' });
  expect(key.statusCode).toBe(200);
  keyA = key.json();
});
afterAll(async () => {
  for (const t of [labA, labB]) await t?.close();
});

describe('lab key', () => {
  it('is created once, mode 0600, and answered the same afterwards', async () => {
    expect(keyA).toMatchObject({ labId: 'lab-a', fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(keyA.publicKey).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    const stat = await fs.stat(labA.config.exchange.keyFile);
    expect(stat.mode & 0o777).toBe(0o600);
    const again = await (await labA.login('examiner')).inject({ method: 'GET', url: '/api/exchange/key' });
    expect(again.json()).toEqual(keyA);
    expect((await (await labA.login('viewer')).inject({ method: 'GET', url: '/api/exchange/key' })).statusCode).toBe(403);
  });
});

describe('export', () => {
  it('is for examiners and administrators', async () => {
    for (const role of ['viewer', 'border-officer', 'prosecutor'] as const) {
      const res = await (await labA.login(role)).inject({ method: 'POST', url: '/api/exchange/export', payload: { specimenIds: [fraud.id] } });
      expect(res.statusCode).toBe(403);
    }
    const unknown = await (await labA.login('examiner')).inject({ method: 'POST', url: '/api/exchange/export', payload: { specimenIds: ['NoSuchSpecimen'] } });
    expect(unknown.statusCode).toBe(404);
  });

  it('writes a signed zip: manifest, signature, one file per original; the imitated specimen comes along', async () => {
    const res = await (await labA.login('examiner')).inject({ method: 'POST', url: '/api/exchange/export', payload: { specimenIds: [fraud.id] } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/zip');
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="exemplar-lab-a-\d{4}-\d{2}-\d{2}\.zip"$/);
    pkg = res.rawPayload;
    const members = new Map(await unzip(pkg));
    const shas = [...new Set([...genuine.captures, ...fraud.captures].flatMap((c) => c.images.map((i) => i.sha256)))].sort();
    expect(shas).toHaveLength(3);
    expect([...members.keys()].sort()).toEqual(['manifest.json', 'manifest.sig', ...shas.map((s) => `originals/${s}`)].sort());
    for (const s of shas) expect(sha256(members.get(`originals/${s}`)!)).toBe(s);
    const manifest = JSON.parse(members.get('manifest.json')!.toString());
    expect(manifest).toMatchObject({ format: 'exemplar-exchange', version: 1, lab: { id: 'lab-a', fingerprint: keyA.fingerprint } });
    expect(manifest.specimens.map((s: { id: string }) => s.id).sort()).toEqual([genuine.id, fraud.id].sort());
    // Local-only fields stay home.
    const text = members.get('manifest.json')!.toString();
    for (const field of ['"revision"', '"createdBy"', '"updatedAt"', '"derivatives"', '"identification"']) expect(text).not.toContain(field);
    const audit = await labA.context.services.audit.list(actor, { action: 'exchange.export' });
    expect(audit.items).toHaveLength(1);
  });
});

describe('import', () => {
  it('refuses a package whose signer is not a trusted partner, writing nothing', async () => {
    const res = await upload(labB, pkg);
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ code: 'UNTRUSTED_SIGNER', details: { fingerprint: keyA.fingerprint, labId: 'lab-a', revoked: false } });
    await expectUntouched(labB, 0, []);
  });

  it('refuses the lab\'s own package as its own (not as an unknown signer), writing nothing; a changed copy of it fails its signature', async () => {
    const specimensBefore = await count(labA);
    const keysBefore = await labA.objectKeys();
    const res = await upload(labA, pkg);
    expect(res.statusCode).toBe(422);
    const body = res.json<{ code: string; message: string; details: Record<string, unknown> }>();
    expect(body).toMatchObject({ code: 'UNTRUSTED_SIGNER', details: { fingerprint: keyA.fingerprint, labId: 'lab-a', own: true, revoked: false } });
    expect(body.message).toMatch(/made by this lab/);
    expect(body.message).not.toMatch(/trusted partner/);
    // Only a package this lab's key really signed is called its own.
    const changed = await tampered((name, data) => (name === 'manifest.json' ? Buffer.from(data.toString().replace('Counterfeit of the 2019 series', 'Counterfeit of the 2020 series')) : data));
    const forged = await upload(labA, changed);
    expect(forged.statusCode).toBe(422);
    expect(forged.json().code).toBe('SIGNATURE_INVALID');
    await expectUntouched(labA, specimensBefore, keysBefore);
  });

  it('trusts partner keys added by an administrator only; duplicates and non-Ed25519 keys are refused', async () => {
    const examiner = await labB.login('examiner');
    expect((await examiner.inject({ method: 'POST', url: '/api/partners', payload: { name: 'Lab A', publicKey: keyA.publicKey } })).statusCode).toBe(403);
    expect((await examiner.inject({ method: 'GET', url: '/api/partners' })).statusCode).toBe(403);

    const added = await trust(labB, 'Lab A', keyA.publicKey);
    expect(added).toMatchObject({ name: 'Lab A', fingerprint: keyA.fingerprint, revoked: false, addedBy: 'admin' });
    const admin = await labB.login('admin');
    const dup = await admin.inject({ method: 'POST', url: '/api/partners', payload: { name: 'Lab A again', publicKey: keyA.publicKey } });
    expect(dup.statusCode).toBe(409);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const bad = await admin.inject({ method: 'POST', url: '/api/partners', payload: { name: 'RSA lab', publicKey: rsa } });
    expect(bad.statusCode).toBe(400);
    const list = await admin.inject({ method: 'GET', url: '/api/partners' });
    expect(list.json<{ items: PartnerKey[] }>().items.map((p) => p.name)).toEqual(['Lab A']);
  });

  describe('from a trusted partner, refuses, writing nothing,', () => {
    it('a changed manifest', async () => {
      const zip = await tampered((name, data) => (name === 'manifest.json' ? Buffer.from(data.toString().replace('Counterfeit of the 2019 series', 'Counterfeit of the 2020 series')) : data));
      const res = await upload(labB, zip);
      expect(res.statusCode).toBe(422);
      expect(res.json().code).toBe('SIGNATURE_INVALID');
      await expectUntouched(labB, 0, []);
    });

    it('a changed original', async () => {
      const zip = await tampered((name, data) => {
        if (!name.startsWith('originals/')) return data;
        const copy = Buffer.from(data);
        copy[copy.length >> 1]! ^= 0xff;
        return copy;
      });
      const res = await upload(labB, zip);
      expect(res.statusCode).toBe(422);
      expect(res.json()).toMatchObject({ code: 'PACKAGE_INVALID', details: { sha256: expect.stringMatching(/^[0-9a-f]{64}$/) } });
      await expectUntouched(labB, 0, []);
    });

    it('a missing original', async () => {
      let dropped = false;
      const members = (await unzip(pkg)).filter(([name]) => {
        if (dropped || !name.startsWith('originals/')) return true;
        dropped = true;
        return false;
      });
      const res = await upload(labB, await rezip(members));
      expect(res.statusCode).toBe(422);
      expect(res.json().code).toBe('PACKAGE_INVALID');
      await expectUntouched(labB, 0, []);
    });

    it('a changed signature, and the manifest re-signed with another key', async () => {
      const flipped = await tampered((name, data) => {
        if (name !== 'manifest.sig') return data;
        const sig = Buffer.from(data.toString().trim(), 'base64');
        sig[0]! ^= 0x01;
        return Buffer.from(sig.toString('base64'));
      });
      const res = await upload(labB, flipped);
      expect(res.statusCode).toBe(422);
      expect(res.json().code).toBe('SIGNATURE_INVALID');

      const other = generateKeyPairSync('ed25519');
      const manifestBytes = new Map(await unzip(pkg)).get('manifest.json')!;
      const resigned = await tampered((name, data) => (name === 'manifest.sig' ? Buffer.from(sign(null, manifestBytes, other.privateKey).toString('base64')) : data));
      const res2 = await upload(labB, resigned);
      expect(res2.statusCode).toBe(422);
      expect(res2.json().code).toBe('SIGNATURE_INVALID');
      await expectUntouched(labB, 0, []);
    });

    it('an import by a role without exchange:import', async () => {
      const body = multipartBody([{ name: 'package', filename: 'p.zip', data: pkg }]);
      const res = await (await labB.login('border-officer')).inject({ method: 'POST', url: '/api/exchange/import', payload: body.payload, headers: body.headers });
      expect(res.statusCode).toBe(403);
      await expectUntouched(labB, 0, []);
    });
  });

  it('a dry run reports what would be imported and writes nothing', async () => {
    const res = await upload(labB, pkg, '?dryRun=true');
    expect(res.statusCode).toBe(200);
    const report = res.json<ImportReport>();
    expect(report).toMatchObject({ dryRun: true, signer: { name: 'Lab A', labId: 'lab-a', fingerprint: keyA.fingerprint }, skipped: [], conflicts: [], errors: [] });
    expect(report.imported.map((i) => i.sourceId).sort()).toEqual([genuine.id, fraud.id].sort());
    await expectUntouched(labB, 0, []);
  });

  it('imports every specimen with its id, records, zones and byte-exact originals (shared ones once)', async () => {
    const res = await upload(labB, pkg);
    expect(res.statusCode).toBe(200);
    const report = res.json<ImportReport>();
    expect(report.errors).toEqual([]);
    expect(report.imported.map((i) => [i.id, i.sourceId, i.images]).sort()).toEqual(
      [
        [genuine.id, genuine.id, 2],
        [fraud.id, fraud.id, 2],
      ].sort(),
    );
    for (const original of [genuine, fraud]) {
      const copy = await stored(labB, original.id);
      expect(exchangeSpecimen(copy)).toEqual(exchangeSpecimen(original));
      expect(copy.captures[0]!.images.every((i) => i.derivatives.thumbnail)).toBe(true);
    }
    expect((await stored(labB, fraud.id)).imitates).toBe(genuine.id);
    const originals = (await labB.objectKeys()).filter((k) => k.startsWith('originals/'));
    expect(originals).toHaveLength(3);
    for (const key of originals) {
      const sha = key.split('/').pop()!;
      const chunks: Buffer[] = [];
      for await (const c of await labB.context.objects.get(key)) chunks.push(c as Buffer);
      expect(sha256(Buffer.concat(chunks))).toBe(sha);
    }
    const audit = await labB.context.services.audit.list(actor, { action: 'exchange.import' });
    expect(audit.items).toHaveLength(1);
  });

  it('a second import of the same package skips every specimen', async () => {
    const keys = await labB.objectKeys();
    const res = await upload(labB, pkg);
    expect(res.statusCode).toBe(200);
    const report = res.json<ImportReport>();
    expect(report.imported).toEqual([]);
    expect(report.skipped.map((s) => s.id).sort()).toEqual([genuine.id, fraud.id].sort());
    await expectUntouched(labB, 2, keys);
  });

  it('reports a specimen changed locally as a conflict; imports it under a new id only when asked', async () => {
    const local = await stored(labB, genuine.id);
    await labB.context.services.specimens.patch(genuine.id, { revision: local.revision, title: 'Utopia passport (our notes)' }, actor);
    const res = await upload(labB, pkg);
    const report = res.json<ImportReport>();
    expect(report.conflicts).toEqual([{ id: genuine.id, reason: expect.stringContaining('different') }]);
    expect(report.skipped.map((s) => s.id)).toEqual([fraud.id]);
    expect(await count(labB)).toBe(2);

    const again = (await upload(labB, pkg, '?onConflict=new-id')).json<ImportReport>();
    expect(again.imported).toHaveLength(1);
    const newId = again.imported[0]!.id;
    expect(newId).not.toBe(genuine.id);
    expect(again.imported[0]!.sourceId).toBe(genuine.id);
    expect(again.conflicts).toEqual([{ id: genuine.id, reason: expect.any(String), newId }]);
    expect((await stored(labB, newId)).title).toBe(genuine.title);
    expect((await stored(labB, genuine.id)).title).toBe('Utopia passport (our notes)');
    // Originals are shared by hash: the copy added no object.
    expect((await labB.objectKeys()).filter((k) => k.startsWith('originals/'))).toHaveLength(3);
  });

  it('refuses packages signed by a revoked key, writing nothing', async () => {
    const specimensBefore = await count(labB);
    const keysBefore = await labB.objectKeys();
    const admin = await labB.login('admin');
    const partner = (await admin.inject({ method: 'GET', url: '/api/partners' })).json<{ items: PartnerKey[] }>().items[0]!;
    const revoked = await admin.inject({ method: 'POST', url: `/api/partners/${partner.id}/revoke`, payload: {} });
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json<PartnerKey>()).toMatchObject({ revoked: true, revokedBy: 'admin' });
    const res = await upload(labB, pkg);
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ code: 'UNTRUSTED_SIGNER', details: { revoked: true } });
    await expectUntouched(labB, specimensBefore, keysBefore);
  });
});

describe('import over EXEMPLAR_MAX_PACKAGE_BYTES (a listening server)', () => {
  const MAX = 4096;
  let small: TestApp;
  afterAll(async () => {
    await small?.close();
  });

  it('answers 413 PAYLOAD_TOO_LARGE, writes nothing and leaves no spool', async () => {
    small = await buildTestApp({ EXEMPLAR_LAB_ID: 'lab-small', EXEMPLAR_MAX_PACKAGE_BYTES: String(MAX) });
    const base = await small.app.listen({ host: '127.0.0.1', port: 0 });
    const tmpEntries = async () => (await fs.readdir(small.config.tmpDir).catch(() => [] as string[])).sort();
    const before = await tmpEntries();
    // The real package from the export above, larger than this lab accepts.
    expect(pkg.length).toBeGreaterThan(MAX);
    const examiner = await small.login('examiner');
    const { payload, headers } = multipartBody([{ name: 'package', filename: 'package.zip', data: pkg, contentType: 'application/zip' }]);
    const res = await fetch(`${base}/api/exchange/import`, { method: 'POST', headers: { ...examiner.headers, ...headers }, body: payload });
    const body = (await res.json()) as { code: string; details: { maxBytes: number } };
    expect({ status: res.status, code: body.code, maxBytes: body.details.maxBytes }).toEqual({ status: 413, code: 'PAYLOAD_TOO_LARGE', maxBytes: MAX });
    expect(await tmpEntries()).toEqual(before);
    await expectUntouched(small, 0, []);
  });

  it('still refuses a part that is not the package (400) through the shared upload helper', async () => {
    const examiner = await small.login('examiner');
    const { payload, headers } = multipartBody([{ name: 'other', filename: 'p.zip', data: Buffer.from('zip'), contentType: 'application/zip' }]);
    const res = await examiner.inject({ method: 'POST', url: '/api/exchange/import', payload, headers });
    expect({ status: res.statusCode, code: res.json().code }).toEqual({ status: 400, code: 'VALIDATION_FAILED' });
    const none = await examiner.inject({ method: 'POST', url: '/api/exchange/import', ...multipartBody([]) });
    expect({ status: none.statusCode, code: none.json().code }).toEqual({ status: 400, code: 'VALIDATION_FAILED' });
  });
});
