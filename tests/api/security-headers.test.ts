/**
 * What every response carries (CSP, nosniff, no framing, no referrer), that
 * stored bytes are never served as something a browser would run, and that
 * passwords and tokens never reach the log.
 */
import { Writable } from 'node:stream';
import Fastify, { type FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import exemplarApp, { serverOptions } from '../../server/src/app';
import type { AppContext } from '../../server/src/context';
import { systemActor } from '../../server/src/services/actor';
import { objectKeys } from '../../server/src/stores/objects.port';
import { MINIMAL_SPECIMEN, openTestContext, sha256 } from '../../server/src/test-helpers';

let app: FastifyInstance;
let context: AppContext;
let logged = '';
let token: string;
const PASSWORD = 'a password that must never be logged';

beforeAll(async () => {
  const opened = await openTestContext({ LOG_LEVEL: 'trace' });
  context = opened.context;
  const options = serverOptions(opened.config);
  const stream = new Writable({ write: (chunk: Buffer, _e, cb) => ((logged += chunk.toString()), cb()) });
  app = Fastify({ ...options, logger: { ...(options.logger as object), stream } });
  await app.register(fp(exemplarApp), { context });
  await app.ready();
  await context.services.auth.createUser({ username: 'headers', role: 'examiner', password: PASSWORD }, systemActor('test'));
  const login = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'headers', password: PASSWORD } });
  token = login.json().token;
}, 120_000);
afterAll(async () => {
  await app.close();
  await context.close();
});

const auth = () => ({ authorization: `Bearer ${token}` });

it('sets the security headers on API answers, errors, the web app and the docs', async () => {
  for (const [url, headers] of [
    ['/api/health', {}],
    ['/api/specimens', auth()],
    ['/api/specimens', {}],
    ['/api/nothing-here', auth()],
    ['/', {}],
    ['/api/docs', {}],
  ] as const) {
    const res = await app.inject({ method: 'GET', url, headers });
    expect({ url, nosniff: res.headers['x-content-type-options'] }).toEqual({ url, nosniff: 'nosniff' });
    expect({ url, frame: res.headers['x-frame-options'] }).toEqual({ url, frame: 'DENY' });
    expect({ url, referrer: res.headers['referrer-policy'] }).toEqual({ url, referrer: 'no-referrer' });
    expect(String(res.headers['content-security-policy'])).toMatch(/frame-ancestors 'none'/);
    expect(res.headers['x-powered-by']).toBeUndefined();
  }
  const api = await app.inject({ method: 'GET', url: '/api/specimens', headers: auth() });
  expect(api.headers['content-security-policy']).toMatch(/^default-src 'none'/);
  expect(api.headers['cache-control']).toBe('private, no-store');
  const page = await app.inject({ method: 'GET', url: '/specimens/x' });
  // The web app may load only its own scripts: nothing inline, nothing from elsewhere.
  expect(page.headers['content-security-policy']).toMatch(/script-src 'self'(;|$)/);
  expect(page.headers['content-security-policy']).not.toMatch(/unsafe-eval|https?:/);
});

it('serves stored bytes that are not a raster image as an inert download', async () => {
  // An HTML file stored under an original's key (as a damaged or hostile store could hold it), referenced by a specimen.
  const html = Buffer.from('<html><script>alert(1)</script></html>');
  const hash = sha256(html);
  await context.objects.put(objectKeys.original(hash), html, { contentType: 'text/html', bytes: html.length, expectedSha256: hash });
  const specimen = await context.services.specimens.create(MINIMAL_SPECIMEN, systemActor('test'));
  const capture = { id: 'htmlCapture1', page: 'front', images: [{ lightSource: 'white', sha256: hash, bytes: html.length, width: 1, height: 1, format: 'png', bitDepth: 8, derivatives: {} }], zones: [] };
  await context.catalog.specimens.replace(specimen.id, 1, { ...specimen, revision: 2, captures: [capture as never] });
  const res = await app.inject({ method: 'GET', url: `/api/images/${hash}`, headers: auth() });
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toBe('application/octet-stream');
  expect(res.headers['content-disposition']).toBe('attachment');
  expect(res.headers['content-security-policy']).toMatch(/sandbox/);
  expect(res.headers['x-content-type-options']).toBe('nosniff');
});

it('never logs passwords or tokens, also from failed logins and token creation', async () => {
  await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'headers', password: `${PASSWORD} but wrong` } });
  const created = await app.inject({ method: 'POST', url: '/api/auth/tokens', headers: auth(), payload: { name: 'log check' } });
  // Without a token the API-token request below would check nothing.
  expect(created.statusCode).toBe(201);
  const apiToken = created.json().token as string;
  await app.inject({ method: 'GET', url: '/api/specimens', headers: { authorization: `Bearer ${apiToken}` } });
  await app.inject({ method: 'GET', url: '/api/specimens', headers: { cookie: `exemplar_session=${token}` } });
  await app.inject({ method: 'POST', url: '/api/users', headers: auth(), payload: { username: 'x', role: 'viewer', password: 'tiny-pw' } });
  expect(logged.length).toBeGreaterThan(1000);
  expect(logged).toContain('/api/auth/login');
  for (const secret of [PASSWORD, token, apiToken, 'tiny-pw']) expect({ secret, found: logged.includes(`"${secret}`) || logged.includes(secret) }).toEqual({ secret, found: false });
});
