/**
 * `exemplar users`: the first admin made from the console can log in over
 * HTTP; role changes, disabling and new passwords take effect; a password is
 * only ever read from stdin.
 */
import fs from 'node:fs/promises';
import { Readable, Writable } from 'node:stream';
import Fastify from 'fastify';
import fp from 'fastify-plugin';
import exemplarApp, { serverOptions } from '../../server/src/app';
import { runCli } from '../../server/src/cli/program';
import type { CliIo } from '../../server/src/cli/output';
import { loadConfig } from '../../server/src/config';
import { openContext } from '../../server/src/context';
import { tempDir } from './helpers';

// The CLI reads its settings from the environment: hashes at the lowest cost, as the API tests make them (the default costs over a second of shared CPU each, and this test hashes a dozen times).
process.env.EXEMPLAR_PASSWORD_COST = '10';

let dataDir: string;
beforeAll(async () => {
  dataDir = await tempDir('users');
});
afterAll(async () => {
  await fs.rm(dataDir, { recursive: true, force: true });
});

async function users(args: string[], stdinText = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const sink = (append: (s: string) => void) => new Writable({ write: (c: Buffer, _e, cb) => (append(c.toString()), cb()) });
  const io: CliIo = { stdout: sink((s) => (stdout += s)), stderr: sink((s) => (stderr += s)), stdin: Readable.from([Buffer.from(stdinText)]) };
  const code = await runCli(['node', 'exemplar', '--data-dir', dataDir, 'users', ...args], io);
  return { code, stdout, stderr };
}

async function login(username: string, password: string): Promise<number> {
  const config = loadConfig({ EXEMPLAR_DATA_DIR: dataDir, LOG_LEVEL: 'silent', EXEMPLAR_SEED_DEMO: 'never', EXEMPLAR_PASSWORD_COST: '10' });
  const context = await openContext(config);
  const app = Fastify(serverOptions(config));
  try {
    await app.register(fp(exemplarApp), { context });
    await app.ready();
    return (await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password } })).statusCode;
  } finally {
    await app.close();
    await context.close();
  }
}

it('creates the first admin from stdin, who can then log in', async () => {
  const added = await users(['add', '--username', 'Alice', '--role', 'admin', '--password-stdin'], 'correct horse battery\n');
  expect(added).toMatchObject({ code: 0, stdout: 'Created alice (admin).\n' });
  expect(await login('alice', 'correct horse battery')).toBe(200);
  expect(await login('alice', 'correct horse battery\n')).toBe(401);

  const listed = await users(['list', '--json']);
  expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ username: 'alice', role: 'admin', disabled: false })]);
  expect(listed.stdout).not.toContain('scrypt');
});

it('refuses a password on the command line, a missing or short one, a taken name and an unknown role', async () => {
  const noFlag = await users(['add', '--username', 'bob', '--role', 'viewer'], 'a long enough password\n');
  expect(noFlag.code).not.toBe(0);
  expect(noFlag.stderr).toMatch(/--password-stdin/);
  expect((await users(['add', '--username', 'bob', '--role', 'viewer', '--password-stdin'], '')).code).not.toBe(0);
  expect((await users(['add', '--username', 'bob', '--role', 'viewer', '--password-stdin'], 'short\n')).stderr).toMatch(/VALIDATION_FAILED/);
  expect((await users(['add', '--username', 'bob', '--role', 'wizard', '--password-stdin'], 'a long enough password\n')).stderr).toMatch(/role/);
  expect((await users(['add', '--username', 'alice', '--role', 'viewer', '--password-stdin'], 'a long enough password\n')).stderr).toMatch(/CONFLICT/);
});

it('changes roles, disables and sets passwords; the last admin stays', async () => {
  expect((await users(['add', '--username', 'bob', '--role', 'viewer', '--password-stdin'], 'bob first password\n')).code).toBe(0);
  expect((await users(['set-role', 'bob', 'examiner'])).stdout).toBe('bob is now examiner.\n');
  expect((await users(['disable', 'bob'])).code).toBe(0);
  expect(await login('bob', 'bob first password')).toBe(401);
  expect((await users(['enable', 'bob'])).code).toBe(0);
  expect((await users(['passwd', 'bob', '--password-stdin'], 'bob second password\n')).code).toBe(0);
  expect(await login('bob', 'bob first password')).toBe(401);
  expect(await login('bob', 'bob second password')).toBe(200);
  const demote = await users(['set-role', 'alice', 'viewer']);
  expect(demote.code).not.toBe(0);
  expect(demote.stderr).toMatch(/last enabled admin/);
  const listed = (await users(['list'])).stdout;
  expect(listed).toContain('bob\texaminer\tenabled');
});
