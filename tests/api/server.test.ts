/**
 * The server on a real socket: what a lab script with an ordinary HTTP
 * client sees, including an oversized upload refused while it streams, and
 * what never leaves the server (internals of a 500, undeclared fields).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Specimen } from '@exemplar/specimens-schema';
import { loadConfig } from '../../server/src/config';
import { systemActor } from '../../server/src/services/actor';
import { startServer, type RunningServer } from '../../server/src/server';
import { makeTestImage, MINIMAL_SPECIMEN, sha256 } from '../../server/src/test-helpers';

let server: RunningServer;
let dataDir: string;
let authorization: string;

beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'exemplar-server-'));
  const config = loadConfig({ EXEMPLAR_DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'silent', EXEMPLAR_MAX_UPLOAD_BYTES: '200000' });
  server = await startServer(config, { handleSignals: false });
  await server.context.services.auth.createUser({ username: 'lab-script', role: 'examiner', password: 'a long test password' }, systemActor('test'));
  const login = await fetch(`${server.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'lab-script', password: 'a long test password' }),
  });
  expect(login.status).toBe(200);
  authorization = `Bearer ${((await login.json()) as { token: string }).token}`;
});

/** `fetch` as the logged-in lab script (Bearer token). */
function authedFetch(url: string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { ...init, headers: { authorization, ...(init.headers as Record<string, string> | undefined) } });
}
afterAll(async () => {
  await server.close();
  await fs.rm(dataDir, { recursive: true, force: true });
});

async function createSpecimen(): Promise<Specimen> {
  const res = await authedFetch(`${server.url}/api/specimens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(MINIMAL_SPECIMEN),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as Specimen;
}

async function uploadsLeftInTmp(): Promise<string[]> {
  return (await fs.readdir(server.context.config.tmpDir)).filter((n) => n.startsWith('upload-') || n.startsWith('derivatives-'));
}

it('listens on the configured host and answers health', async () => {
  expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  const res = await fetch(`${server.url}/api/health`);
  expect(res.status).toBe(200);
  expect(await res.json()).toMatchObject({ status: 'ok', catalog: 'sqlite', objects: 'fs' });
});

it('takes a capture from a standard multipart client and serves the original back byte-exact', async () => {
  const specimen = await createSpecimen();
  const white = await makeTestImage({ width: 400, height: 260, seed: 31 });
  const form = new FormData();
  form.append('capture', JSON.stringify({ page: 'data-page', dpi: 600 }));
  form.append('white', new Blob([white], { type: 'image/jpeg' }), 'white.jpg');
  const res = await authedFetch(`${server.url}/api/specimens/${specimen.id}/captures`, { method: 'POST', body: form });
  expect(res.status).toBe(201);
  const capture = (await res.json()) as Specimen['captures'][number];
  expect(capture.images[0]?.sha256).toBe(sha256(white));

  const original = await authedFetch(`${server.url}/api/images/${sha256(white)}`);
  expect(original.status).toBe(200);
  expect(sha256(Buffer.from(await original.arrayBuffer()))).toBe(sha256(white));
  const head = await authedFetch(`${server.url}/api/images/${sha256(white)}`, { method: 'HEAD' });
  expect(head.status).toBe(200);
  expect(head.headers.get('content-length')).toBe(String(white.length));
  expect(await uploadsLeftInTmp()).toEqual([]);
});

it('refuses an upload over the byte limit while it streams, and keeps nothing', async () => {
  const specimen = await createSpecimen();
  const big = await makeTestImage({ width: 700, height: 700, format: 'png', seed: 32 });
  expect(big.length).toBeGreaterThan(200000);
  const form = new FormData();
  form.append('capture', JSON.stringify({ page: 'front' }));
  form.append('white', new Blob([big], { type: 'image/png' }), 'big.png');
  const res = await authedFetch(`${server.url}/api/specimens/${specimen.id}/captures`, { method: 'POST', body: form });
  expect(res.status).toBe(413);
  expect(await res.json()).toMatchObject({ code: 'IMAGE_TOO_LARGE', details: { lightSource: 'white', maxBytes: 200000 } });
  expect(await uploadsLeftInTmp()).toEqual([]);
  const stored = (await (await authedFetch(`${server.url}/api/specimens/${specimen.id}`)).json()) as Specimen;
  expect(stored.captures).toEqual([]);
});

it('hides the internals of a failure and logs them instead', async () => {
  const specimen = await createSpecimen();
  const get = jest.spyOn(server.context.catalog.specimens, 'get').mockRejectedValueOnce(new Error('SQLITE_CORRUPT: /var/lib/exemplar/secret.sqlite'));
  try {
    const res = await authedFetch(`${server.url}/api/specimens/${specimen.id}`);
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toMatch(/SQLITE|secret|\.ts:|\.js:/);
    expect(JSON.parse(text)).toEqual({ code: 'INTERNAL', message: expect.any(String), details: { requestId: res.headers.get('x-request-id') } });
  } finally {
    get.mockRestore();
  }
});

it('sends only the fields the response schema declares', async () => {
  const specimen = await createSpecimen();
  const get = jest.spyOn(server.context.catalog.specimens, 'get').mockResolvedValueOnce({ ...specimen, internalNote: 'not for clients' } as Specimen);
  try {
    const res = await authedFetch(`${server.url}/api/specimens/${specimen.id}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).not.toHaveProperty('internalNote');
    expect(body.id).toBe(specimen.id);
  } finally {
    get.mockRestore();
  }
});
