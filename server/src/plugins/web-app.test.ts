import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import webApp from './web-app';

let dir: string;
let app: FastifyInstance;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'web-app-'));
  const root = path.join(dir, 'dist');
  await fs.mkdir(path.join(root, 'assets'), { recursive: true });
  await fs.writeFile(path.join(root, 'index.html'), '<!doctype html><div id="root"></div>');
  await fs.writeFile(path.join(root, 'assets', 'index-abc123.js'), 'console.log(1)');
  await fs.writeFile(path.join(root, 'favicon.svg'), '<svg/>');
  await fs.writeFile(path.join(dir, 'secret.txt'), 'not for the web');

  app = Fastify();
  app.get('/api/health', async () => ({ status: 'ok' }));
  await app.register(webApp, { root });
  await app.ready();
});

afterAll(async () => {
  await app.close();
  await fs.rm(dir, { recursive: true, force: true });
});

test('the app page is served at / and at every client-side route', async () => {
  for (const url of ['/', '/specimens/abc123', '/comparisons/job123?mode=swipe', '/specimens/new']) {
    const res = await app.inject({ url });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toContain('<div id="root">');
    expect(res.headers['cache-control']).toBe('no-cache');
  }
});

test('built files are served as themselves; hashed bundles are cached for good', async () => {
  const js = await app.inject({ url: '/assets/index-abc123.js' });
  expect(js.statusCode).toBe(200);
  expect(js.headers['content-type']).toMatch(/javascript/);
  expect(js.headers['cache-control']).toContain('immutable');
  expect(js.body).toBe('console.log(1)');
  const icon = await app.inject({ url: '/favicon.svg' });
  expect(icon.headers['cache-control']).toBe('no-cache');
});

test('the API keeps its routes and its 404s; missing files are 404, not the app page', async () => {
  expect((await app.inject({ url: '/api/health' })).json()).toEqual({ status: 'ok' });
  for (const url of ['/api/nothing-here', '/api', '/assets/missing-123.js', '/logo.png']) {
    const res = await app.inject({ url });
    expect(res.statusCode).toBe(404);
    expect(res.body).not.toContain('<div id="root">');
  }
});

test('nothing outside the built folder is reachable', async () => {
  for (const url of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt']) {
    const res = await app.inject({ url });
    expect(res.body).not.toContain('not for the web');
  }
});

test('without a build, the page says how to build it', async () => {
  const bare = Fastify();
  await bare.register(webApp, { root: path.join(dir, 'no-such-dist') });
  const res = await bare.inject({ url: '/specimens/x' });
  expect(res.statusCode).toBe(503);
  expect(res.body).toContain('npm run build');
  await bare.close();
});
