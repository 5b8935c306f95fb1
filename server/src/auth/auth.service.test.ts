/**
 * AuthService on a real SQLite catalog: lock-out after repeated failures
 * (per user name and per address, surviving a restart because it lives in
 * the store), its expiry, session expiry, and user administration rules.
 */
import fs from 'node:fs/promises';
import type { AppContext } from '../context';
import { ExemplarError } from '../errors';
import { systemActor, type Actor } from '../services/actor';
import type { CollectionSpec, RecordCollection, RecordStore, StoredRecord } from '../stores/records.port';
import { openTestContext } from '../test-helpers';
import { AuthService, SESSION_LIFETIME_MS, SESSION_SWEEP_INTERVAL_MS } from './auth.service';

let context: AppContext;
let dataDir: string;
let clock: Date;
const OPERATOR = systemActor('test');
const limits = { userFailures: 3, addressFailures: 5, windowMs: 60_000, lockMs: 120_000 };

/** A new service on the same store: what a restarted server sees. */
const restarted = (passwordCost = 10) => new AuthService({ records: context.catalog.records, limits, now: () => clock, passwordCost });

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    if (err instanceof ExemplarError) return err.code;
    throw err;
  }
}

beforeAll(async () => {
  ({ context, dataDir } = await openTestContext());
  clock = new Date('2026-01-01T08:00:00Z');
  const auth = restarted();
  await auth.createUser({ username: 'carol', role: 'examiner', password: 'carol password 1' }, OPERATOR);
  await auth.createUser({ username: 'dave', role: 'viewer', password: 'dave password 1' }, OPERATOR);
  await auth.createUser({ username: 'root', role: 'admin', password: 'root password 1' }, OPERATOR);
});
afterAll(async () => {
  await context.close();
  await fs.rm(dataDir, { recursive: true, force: true });
});

it('locks a user name after repeated failures, across a restart, even for the right password, until the lock ends', async () => {
  const ip = '192.0.2.10';
  for (let i = 0; i < limits.userFailures; i++) expect(await codeOf(restarted().login({ username: 'carol', password: 'wrong' }, { ip }))).toBe('UNAUTHENTICATED');
  const locked = restarted().login({ username: 'carol', password: 'carol password 1' }, { ip: '192.0.2.11' });
  await expect(locked).rejects.toMatchObject({ code: 'RATE_LIMITED', details: { retryAfterSeconds: limits.lockMs / 1000 } });
  // Another user from another address is not affected.
  expect(await codeOf(restarted().login({ username: 'dave', password: 'dave password 1' }, { ip: '192.0.2.12' }))).toBe('ok');
  clock = new Date(clock.getTime() + limits.lockMs + 1000);
  expect(await codeOf(restarted().login({ username: 'carol', password: 'carol password 1' }, { ip: '192.0.2.11' }))).toBe('ok');
});

it('locks an address that tries many names', async () => {
  const ip = '198.51.100.7';
  for (let i = 0; i < limits.addressFailures; i++) await codeOf(restarted().login({ username: `nobody${i}`, password: 'guess' }, { ip }));
  expect(await codeOf(restarted().login({ username: 'dave', password: 'dave password 1' }, { ip }))).toBe('RATE_LIMITED');
  expect(await codeOf(restarted().login({ username: 'dave', password: 'dave password 1' }, { ip: '198.51.100.8' }))).toBe('ok');
});

it('failures spread over more than the window do not add up', async () => {
  const ip = '203.0.113.5';
  for (let i = 0; i < limits.userFailures + 2; i++) {
    expect(await codeOf(restarted().login({ username: 'dave', password: 'wrong' }, { ip: `${ip}${i}` }))).toBe('UNAUTHENTICATED');
    clock = new Date(clock.getTime() + limits.windowMs / 2 + 1);
  }
  expect(await codeOf(restarted().login({ username: 'dave', password: 'dave password 1' }, { ip }))).toBe('ok');
});

it('sessions end after their lifetime and when the user is disabled; role changes apply at once', async () => {
  const auth = restarted();
  const { token } = await auth.login({ username: 'dave', password: 'dave password 1' }, { ip: '192.0.2.50' });
  expect((await auth.authenticate(token))?.user.role).toBe('viewer');
  await auth.updateUser('dave', { role: 'border-officer' }, OPERATOR);
  expect((await auth.authenticate(token))?.user.role).toBe('border-officer');
  clock = new Date(clock.getTime() + SESSION_LIFETIME_MS + 1);
  expect(await auth.authenticate(token)).toBeNull();

  const again = await auth.login({ username: 'dave', password: 'dave password 1' }, { ip: '192.0.2.50' });
  await auth.updateUser('dave', { disabled: true }, OPERATOR);
  expect(await auth.authenticate(again.token)).toBeNull();
  expect(await codeOf(auth.login({ username: 'dave', password: 'dave password 1' }, { ip: '192.0.2.50' }))).toBe('UNAUTHENTICATED');
  await auth.updateUser('dave', { disabled: false }, OPERATOR);
});

it('deletes expired sessions at most once per sweep interval, and an expired session never authenticates meanwhile', async () => {
  const auth = restarted();
  const sessions = context.catalog.records.collection<{ id: string; revision: number; expiresAt: string }>({ name: 'sessions' });
  const stored = async () => new Set((await sessions.find({ limit: 10_000 })).map((s) => s.id));
  await auth.createUser({ username: 'frank', role: 'viewer', password: 'frank password 1' }, OPERATOR);
  const login = () => auth.login({ username: 'frank', password: 'frank password 1' }, { ip: '192.0.2.60' });
  const sessionIdOf = async (token: string) => (await auth.authenticate(token))!.sessionId!;

  const first = await login();
  const firstId = await sessionIdOf(first.token);
  // Just before the first session ends: a login sweeps (an interval has passed), nothing has expired yet.
  clock = new Date(clock.getTime() + SESSION_LIFETIME_MS - 60_000);
  await login();
  expect(await stored()).toContain(firstId);

  // The first session has ended; the next login comes within the interval of the last sweep.
  clock = new Date(clock.getTime() + 2 * 60_000);
  expect(await auth.authenticate(first.token)).toBeNull();
  await login();
  expect(await stored()).toContain(firstId);
  expect(await auth.authenticate(first.token)).toBeNull();

  // Once the interval has passed, a login deletes it.
  clock = new Date(clock.getTime() + SESSION_SWEEP_INTERVAL_MS);
  const last = await login();
  expect(await stored()).not.toContain(firstId);
  expect((await auth.authenticate(last.token))?.user.username).toBe('frank');
});

it('only admins manage users; users change their own password with the current one', async () => {
  const auth = restarted();
  const carol: Actor = { id: 'carol', role: 'examiner' };
  expect(await codeOf(auth.listUsers(carol))).toBe('FORBIDDEN');
  expect(await codeOf(auth.createUser({ username: 'eve', role: 'admin', password: 'eve password 12' }, carol))).toBe('FORBIDDEN');
  expect(await codeOf(auth.updateUser('carol', { role: 'admin' }, carol))).toBe('FORBIDDEN');
  expect(await codeOf(auth.getUser('dave', carol))).toBe('FORBIDDEN');
  expect((await auth.getUser('carol', carol)).username).toBe('carol');
  expect(await codeOf(auth.setPassword('carol', { password: 'carol password 2', currentPassword: 'wrong' }, carol))).toBe('FORBIDDEN');
  expect(await codeOf(auth.setPassword('carol', { password: 'carol password 2', currentPassword: 'carol password 1' }, carol))).toBe('ok');
  expect(await codeOf(auth.setPassword('dave', { password: 'dave password 2' }, carol))).toBe('FORBIDDEN');
  const root: Actor = { id: 'root', role: 'admin' };
  expect(await codeOf(auth.updateUser('root', { disabled: true }, root))).toBe('CONFLICT');
  expect(await codeOf(auth.createUser({ username: 'Not Valid!', role: 'viewer', password: 'long enough pw' }, root))).toBe('VALIDATION_FAILED');
});

/**
 * A RecordStore whose `collection` write `insert` first runs `meanwhile` once:
 * what another request does between a check and its write, made to happen
 * there every time.
 */
function interleaved(records: RecordStore, collection: string, meanwhile: () => Promise<unknown>): RecordStore {
  let pending: (() => Promise<unknown>) | null = meanwhile;
  return {
    collection<T extends StoredRecord>(spec: CollectionSpec): RecordCollection<T> {
      const real = records.collection<T>(spec);
      if (spec.name !== collection) return real;
      return Object.assign(Object.create(real) as RecordCollection<T>, {
        insert: async (record: T) => {
          const run = pending;
          pending = null;
          if (run) await run();
          return real.insert(record);
        },
      });
    },
  };
}

describe('a password change while a session or token is being issued', () => {
  it('a login that checked the old password but wrote its session after an administrator reset it never authenticates', async () => {
    const auth = restarted();
    await auth.createUser({ username: 'grace', role: 'examiner', password: 'grace password 1' }, OPERATOR);
    const racing = new AuthService({ records: interleaved(context.catalog.records, 'sessions', () => auth.setPassword('grace', { password: 'grace password 2' }, OPERATOR)), limits, now: () => clock, passwordCost: 10 });
    const late = await racing.login({ username: 'grace', password: 'grace password 1' }, { ip: '192.0.2.70' });
    expect(await auth.authenticate(late.token)).toBeNull();
    expect((await auth.authenticate((await auth.login({ username: 'grace', password: 'grace password 2' }, { ip: '192.0.2.70' })).token))?.user.username).toBe('grace');
  });

  it('a token made through a session that a reset is ending never authenticates', async () => {
    const auth = restarted();
    await auth.createUser({ username: 'heidi', role: 'examiner', password: 'heidi password 1' }, OPERATOR);
    const { token: session } = await auth.login({ username: 'heidi', password: 'heidi password 1' }, { ip: '192.0.2.71' });
    const authentication = (await auth.authenticate(session))!;
    const racing = new AuthService({ records: interleaved(context.catalog.records, 'api-tokens', () => auth.setPassword('heidi', { password: 'heidi password 2' }, OPERATOR)), limits, now: () => clock, passwordCost: 10 });
    const made = await racing.createToken({ name: 'slipped in' }, { id: 'heidi', role: 'examiner' }, authentication);
    expect(await auth.authenticate(made.token)).toBeNull();
    expect(await auth.authenticate(session)).toBeNull();
  });
});

it('keeps the scrypt parameters with each hash and upgrades a weaker one at the next login', async () => {
  const users = context.catalog.records.collection<{ id: string; revision: number; password: { N: number; r: number; p: number } }>({ name: 'users' });
  expect((await users.get('root'))!.password).toMatchObject({ N: 2 ** 10, r: 8, p: 1 });
  // A server configured with a higher cost still verifies the old hash, then stores a stronger one.
  await restarted(11).login({ username: 'root', password: 'root password 1' }, { ip: '192.0.2.99' });
  expect((await users.get('root'))!.password.N).toBe(2 ** 11);
  expect(await codeOf(restarted(10).login({ username: 'root', password: 'root password 1' }, { ip: '192.0.2.99' }))).toBe('ok');
});
