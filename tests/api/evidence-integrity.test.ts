/**
 * Evidence as it is served: a stored original whose bytes no longer hash to
 * the SHA-256 the records give it (changed on disk, rotted) must never reach
 * a client as a complete download under that hash, and the attempt is
 * recorded in the audit trail. Real HTTP on a listening server (the failure
 * shows as a broken-off body, which only a real connection shows), a real
 * SQLite file and the folder object store.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Capture, Specimen } from '@exemplar/specimens-schema';
import { systemActor } from '../../server/src/services/actor';
import { objectKeys } from '../../server/src/stores/objects.port';
import { buildTestApp, makeTestImage, MINIMAL_SPECIMEN, multipartBody, type TestApp } from '../../server/src/test-helpers';

// Uploads go through the real ingest (decode, derivatives, identification descriptor) on a shared machine: slowness is not a failure.
jest.setTimeout(300_000);

let t: TestApp;
let base: string;
beforeAll(async () => {
  t = await buildTestApp();
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await t.close();
});

interface Download {
  status: number;
  contentLength: number;
  received: Buffer;
  /** The connection ended before Content-Length bytes arrived. */
  brokenOff: boolean;
}

function download(url: string, headers: Record<string, string>): Promise<Download> {
  return new Promise((resolve, reject) => {
    const req = http.get(base + url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      let settled = false;
      const done = (brokenOff: boolean) => {
        if (settled) return;
        settled = true;
        const received = Buffer.concat(chunks);
        const contentLength = Number(res.headers['content-length']);
        resolve({ status: res.statusCode ?? 0, contentLength, received, brokenOff: brokenOff || received.length !== contentLength });
      };
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done(!res.complete));
      res.on('aborted', () => done(true));
      res.on('error', () => done(true));
      res.on('close', () => done(!res.complete));
    });
    req.on('error', reject);
  });
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function uploadedOriginal(seed: number): Promise<{ specimen: Specimen; sha: string; bytes: Buffer }> {
  const examiner = await t.login('examiner');
  const created = await examiner.inject({ method: 'POST', url: '/api/specimens', payload: MINIMAL_SPECIMEN });
  expect(created.statusCode).toBe(201);
  const specimen = created.json<Specimen>();
  const bytes = await makeTestImage({ seed });
  const { payload, headers } = multipartBody([
    { name: 'capture', value: JSON.stringify({ page: 'data-page' }) },
    { name: 'white', filename: 'white.jpg', data: bytes, contentType: 'image/jpeg' },
  ]);
  const res = await examiner.inject({ method: 'POST', url: `/api/specimens/${specimen.id}/captures`, payload, headers });
  expect(res.statusCode).toBe(201);
  const sha = res.json<Capture>().images[0]!.sha256;
  expect(sha).toBe(sha256(bytes));
  return { specimen, sha, bytes };
}

describe('originals served whole are checked against their SHA-256', () => {
  it('sends an intact original complete and byte-exact', async () => {
    const { sha, bytes } = await uploadedOriginal(11);
    const got = await download(`/api/images/${sha}`, (await t.login('examiner')).headers);
    expect({ status: got.status, brokenOff: got.brokenOff, sha: sha256(got.received) }).toEqual({ status: 200, brokenOff: false, sha: sha256(bytes) });
  });

  it('breaks off the download of an original changed on disk and records it in the audit trail', async () => {
    const { sha, bytes } = await uploadedOriginal(12);
    const file = path.join(t.config.dataDir, 'objects', objectKeys.original(sha));
    const altered = Buffer.from(bytes);
    const at = Math.floor(altered.length / 2);
    altered[at] = altered[at]! ^ 0xff;
    await fs.writeFile(file, altered);

    const got = await download(`/api/images/${sha}`, (await t.login('prosecutor')).headers);
    expect(got.status).toBe(200);
    expect(got.contentLength).toBe(bytes.length);
    // Never the whole (altered) file under the ETag of the original's hash.
    expect(got.brokenOff).toBe(true);
    expect(got.received.length).toBeLessThan(bytes.length);

    const page = await t.context.services.audit.list(systemActor('test'), { target: `image:${sha}`, action: 'image.integrity-failed' });
    expect(page.items).toHaveLength(1);
    expect(page.items[0]).toMatchObject({ actor: 'prosecutor', hashes: { expected: sha, actual: sha256(altered) } });
  });

  it('checks a byte range that is the whole original (bytes=0-) as it checks a full download', async () => {
    const { sha, bytes } = await uploadedOriginal(13);
    const intact = await download(`/api/images/${sha}`, { ...(await t.login('examiner')).headers, range: 'bytes=0-' });
    expect({ status: intact.status, brokenOff: intact.brokenOff, sha: sha256(intact.received) }).toEqual({ status: 206, brokenOff: false, sha: sha });

    const file = path.join(t.config.dataDir, 'objects', objectKeys.original(sha));
    const altered = Buffer.from(bytes);
    altered[100] = altered[100]! ^ 0xff;
    await fs.writeFile(file, altered);
    const got = await download(`/api/images/${sha}`, { ...(await t.login('prosecutor')).headers, range: 'bytes=0-' });
    expect(got.status).toBe(206);
    expect(got.brokenOff).toBe(true);
    expect(got.received.length).toBeLessThan(bytes.length);
    const page = await t.context.services.audit.list(systemActor('test'), { target: `image:${sha}`, action: 'image.integrity-failed' });
    expect(page.items).toHaveLength(1);
  });
});
