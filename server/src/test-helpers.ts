/**
 * Test support for the API and services: the real app on a real SQLite file
 * and a real object folder in a fresh temp directory, images made by sharp,
 * and multipart bodies built byte by byte (as a lab script's HTTP client
 * would send them). Nothing here is mocked.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance, type InjectOptions, type LightMyRequestResponse } from 'fastify';
import fp from 'fastify-plugin';
import sharp from 'sharp';
import exemplarApp, { serverOptions } from './app';
import type { Permission } from './auth/policy';
import { loadConfig, type Config } from './config';
import { openContext, type AppContext } from './context';
import { systemActor, type Role } from './services/actor';

export interface TestApp {
  readonly app: FastifyInstance;
  readonly context: AppContext;
  readonly config: Config;
  /** Every route of the app as `METHOD /pattern` (HEAD left out). */
  readonly routes: readonly string[];
  /** The permission each route declares in its config (checked before its body), by `METHOD /pattern`. */
  readonly routePermissions: ReadonlyMap<string, Permission | readonly Permission[]>;
  /** Every key in the object store, sorted. */
  objectKeys(): Promise<string[]>;
  /**
   * Logs in (through POST /api/auth/login) as the test user of that role —
   * user name = the role, created on first use — and gives Bearer headers
   * for `app.inject`, and `inject` that adds them.
   */
  login(role: Role): Promise<LoggedIn>;
  /** As `login`, as a further user of that role named `username` (a second border officer …), created on first use. */
  loginAs(username: string, role: Role): Promise<LoggedIn>;
  /** The test user of that role (created on first use) and its password. */
  credentials(role: Role): Promise<{ username: string; password: string }>;
  /** Closes the app and the stores and removes the data folder. */
  close(): Promise<void>;
}

/** A data folder of its own; settings as environment variables (e.g. a small EXEMPLAR_MAX_UPLOAD_BYTES). */
export async function openTestContext(env: Record<string, string> = {}): Promise<{ context: AppContext; config: Config; dataDir: string }> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'exemplar-test-'));
  // Password hashes at the lowest cost: real scrypt, without a second of CPU per test login on a shared machine.
  const config = loadConfig({ EXEMPLAR_DATA_DIR: dataDir, LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent', EXEMPLAR_SEED_DEMO: 'never', EXEMPLAR_PASSWORD_COST: '10', ...env });
  const context = await openContext(config);
  return { context, config, dataDir };
}

export interface LoggedIn {
  readonly username: string;
  readonly role: Role;
  /** `{ authorization: 'Bearer …' }` */
  readonly headers: Record<string, string>;
  readonly token: string;
  readonly csrfToken: string;
  /** `app.inject` with the user's headers merged under the request's own. */
  inject(options: InjectOptions): Promise<LightMyRequestResponse>;
}

/** `inject` with default headers (the request's own win). */
export function injectWith(app: FastifyInstance, headers: Record<string, string>) {
  return (options: InjectOptions) => app.inject({ ...options, headers: { ...headers, ...(options.headers as Record<string, string> | undefined) } });
}

export async function buildTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const { context, config, dataDir } = await openTestContext(env);
  const app = Fastify(serverOptions(config));
  const routes: string[] = [];
  const routePermissions = new Map<string, Permission | readonly Permission[]>();
  app.addHook('onRoute', (route) => {
    // HEAD twins of GET routes share the handler.
    for (const method of [route.method].flat()) {
      if (method === 'HEAD') continue;
      routes.push(`${method} ${route.url}`);
      const permission = route.config?.permission;
      if (permission !== undefined) routePermissions.set(`${method} ${route.url}`, permission);
    }
  });
  await app.register(fp(exemplarApp), { context });
  await app.ready();
  // By user name.
  const users = new Map<string, Promise<{ username: string; password: string }>>();
  const sessions = new Map<string, Promise<LoggedIn>>();
  const account = (username: string, role: Role) => {
    let made = users.get(username);
    if (!made) {
      const password = randomBytes(12).toString('base64url');
      made = context.services.auth.createUser({ username, role, password }, systemActor('test')).then(() => ({ username, password }));
      users.set(username, made);
    }
    return made;
  };
  const loginAs = (username: string, role: Role) => {
    let session = sessions.get(username);
    if (!session) {
      session = (async () => {
        const res = await app.inject({ method: 'POST', url: '/api/auth/login', payload: await account(username, role) });
        if (res.statusCode !== 200) throw new Error(`test login as ${username} (${role}) failed: ${res.statusCode} ${res.body}`);
        const { token, csrfToken } = res.json<{ token: string; csrfToken: string }>();
        const headers = { authorization: `Bearer ${token}` };
        return { username, role, headers, token, csrfToken, inject: injectWith(app, headers) };
      })();
      sessions.set(username, session);
    }
    return session;
  };
  const credentials = (role: Role) => account(role, role);
  const login = (role: Role) => loginAs(role, role);
  return {
    app,
    context,
    config,
    routes: [...new Set(routes)],
    routePermissions,
    login,
    loginAs,
    credentials,
    objectKeys: () => listObjectKeys(context),
    close: async () => {
      await app.close();
      await context.close();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}

export async function listObjectKeys(context: AppContext): Promise<string[]> {
  const keys: string[] = [];
  for await (const stat of context.objects.list()) keys.push(stat.key);
  return keys.sort();
}

export const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** The minimal create body of the API contract (issue 2). */
export const MINIMAL_SPECIMEN = Object.freeze({
  status: 'genuine',
  issuingState: 'UTO',
  documentCategory: 'passport',
  documentCode: 'P',
  series: '2019',
  title: 'Utopia passport, 2019 series',
  classification: 'public',
  tags: ['demo'],
});

export interface TestImageOptions {
  width?: number;
  height?: number;
  format?: 'jpeg' | 'png' | 'tiff' | 'webp';
  /** Varies the pixels so that images of the same size differ byte-wise. */
  seed?: number;
  bitDepth?: 8 | 16;
}

/**
 * A document-like test image: a coloured field with stripes and noise, so
 * encoders cannot collapse it and differently seeded images differ.
 */
export async function makeTestImage(options: TestImageOptions = {}): Promise<Buffer> {
  const { width = 640, height = 420, format = 'jpeg', seed = 1, bitDepth = 8 } = options;
  const channels = 3;
  const raw = Buffer.alloc(width * height * channels);
  let state = (seed * 2654435761) >>> 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      state = (state * 1664525 + 1013904223) >>> 0;
      const noise = state >>> 27;
      const i = (y * width + x) * channels;
      raw[i] = (x * 255) / width + noise;
      raw[i + 1] = ((x + y + seed * 37) % 64) * 4;
      raw[i + 2] = (y * 255) / height;
    }
  }
  let image = sharp(raw, { raw: { width, height, channels } });
  if (bitDepth === 16) image = image.toColourspace('rgb16');
  switch (format) {
    case 'jpeg':
      return image.jpeg({ quality: 90 }).toBuffer();
    case 'png':
      return image.png().toBuffer();
    case 'tiff':
      return image.tiff({ compression: 'lzw' }).toBuffer();
    case 'webp':
      return image.webp({ quality: 90 }).toBuffer();
  }
}

export type MultipartPart =
  | { name: string; value: string; contentType?: string }
  | { name: string; filename: string; data: Buffer; contentType?: string };

/** A multipart/form-data body as a browser or curl sends it. */
export function multipartBody(parts: readonly MultipartPart[]): { payload: Buffer; headers: Record<string, string> } {
  const boundary = `----exemplar-test-${randomBytes(8).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const part of parts) {
    if ('data' in part) {
      chunks.push(
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"; filename="${part.filename}"\r\nContent-Type: ${part.contentType ?? 'application/octet-stream'}\r\n\r\n`,
        ),
        part.data,
        Buffer.from('\r\n'),
      );
    } else {
      const type = part.contentType ? `Content-Type: ${part.contentType}\r\n` : '';
      chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"\r\n${type}\r\n${part.value}\r\n`));
    }
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  const payload = Buffer.concat(chunks);
  return { payload, headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(payload.length) } };
}
