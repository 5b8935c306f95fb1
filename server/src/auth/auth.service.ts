/**
 * Users, sessions and personal API tokens, on the RecordStore (collections
 * `users`, `sessions`, `api-tokens`, `login-attempts`).
 *
 * - Passwords: scrypt with a per-user salt (passwords.ts).
 * - Sessions and API tokens: 32 random bytes handed out once; the store holds
 *   only their SHA-256 (as the record id), so a copy of the catalog cannot be
 *   replayed as credentials.
 * - Every request resolves its credential to the user record again, so a role
 *   change or a disabled account takes effect at the next request.
 * - A new password revokes what the old one opened: an administrator's reset
 *   (or the operator's) ends every session and revokes every API token of the
 *   user; a user's own change ends their other sessions and revokes their API
 *   tokens (a changed password usually means a suspected compromise, and a
 *   token made by whoever knew the old one must not outlive it), keeping only
 *   the session that made the change. Each session and token carries the
 *   user's `passwordVersion` at issue and is refused once it differs, so one
 *   issued while the password was being changed (a login that checked the old
 *   password, a token made through a session being ended) cannot slip past
 *   the deletion.
 * - Failed logins are counted per user name and per client address in the
 *   store (a restart does not reset them); past a threshold the name or the
 *   address is locked for a while and login answers RATE_LIMITED. Each
 *   attempt is counted before its password is checked (and given back when
 *   it succeeds), so concurrent attempts cannot outrun the count.
 */
import { randomBytes } from 'node:crypto';
import { ExemplarError } from '../errors';
import { ROLES, systemActor, type Actor, type Role } from '../services/actor';
import { timestamp } from '../services/common';
import type { RecordCollection, RecordStore, StoredRecord } from '../stores/records.port';
import { assertCan } from './policy';
import { decoyHash, DEFAULT_PASSWORD_COST, hashPassword, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, needsRehash, verifyPassword, type PasswordHash } from './passwords';
import { API_TOKEN_PREFIX, newSecret, SECRET_SHAPE, secretDigest, SESSION_TOKEN_PREFIX } from './tokens';

export interface UserRecord extends StoredRecord {
  /** The user name (also the record id). */
  readonly username: string;
  readonly role: Role;
  readonly displayName: string;
  readonly disabled: boolean;
  readonly password: PasswordHash;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly updatedAt: string;
  readonly passwordChangedAt: string;
  /** Counts password changes (absent: none since this was recorded); sessions and tokens issued under another are refused. */
  readonly passwordVersion?: number;
}

/** What the API shows of a user. */
export interface User {
  readonly username: string;
  readonly role: Role;
  readonly displayName: string;
  readonly disabled: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface SessionRecord extends StoredRecord {
  /** SHA-256 of the session token. */
  readonly id: string;
  readonly username: string;
  /** Sent back by the browser in `x-csrf-token` with cookie-authenticated writes. */
  readonly csrfToken: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  /** The user's passwordVersion when the session was opened (absent on sessions opened before it was recorded). */
  readonly passwordVersion?: number;
}

export interface ApiTokenRecord extends StoredRecord {
  /** SHA-256 of the token. */
  readonly id: string;
  /** Public handle (listing, revoking); not a credential. */
  readonly tokenId: string;
  readonly username: string;
  readonly name: string;
  readonly createdAt: string;
  readonly expiresAt: string | null;
  /** The user's passwordVersion when the token was made (absent on tokens made before it was recorded). */
  readonly passwordVersion?: number;
}

/** What the API shows of an API token (never the secret after creation). */
export interface ApiTokenInfo {
  readonly id: string;
  readonly name: string;
  readonly createdAt: string;
  readonly expiresAt: string | null;
}

interface LoginAttemptsRecord extends StoredRecord {
  /** `user:<name>` or `ip:<address>`. */
  readonly id: string;
  readonly failures: number;
  readonly windowStart: string;
  readonly lockedUntil: string | null;
}

/** The credential a request presented, resolved. */
export interface Authentication {
  readonly user: User;
  readonly via: 'session' | 'api-token';
  /** The session's record id (digest) when via session. */
  readonly sessionId?: string;
  readonly csrfToken?: string;
  readonly tokenId?: string;
  /** The user's password version the credential was issued under (what a token made with it carries). */
  readonly passwordVersion: number;
}

export interface LoginResult {
  /** The session token: the cookie value, or a Bearer token. */
  readonly token: string;
  readonly csrfToken: string;
  readonly user: User;
  readonly expiresAt: string;
}

export interface LoginLimits {
  /** Failures of one user name within `windowMs` before it is locked. */
  readonly userFailures: number;
  /** Failures from one address within `windowMs` before it is locked. */
  readonly addressFailures: number;
  readonly windowMs: number;
  readonly lockMs: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = Object.freeze({ userFailures: 5, addressFailures: 20, windowMs: 15 * 60_000, lockMs: 15 * 60_000 });

/** A working day; the browser logs in again after that. */
export const SESSION_LIFETIME_MS = 12 * 60 * 60_000;
/**
 * Expired sessions are deleted by a login at most this often per process:
 * they never authenticate anyway (authenticate checks the expiry), so the
 * sweep only keeps the collection small and need not cost every login a scan.
 */
export const SESSION_SWEEP_INTERVAL_MS = 10 * 60_000;
/** Personal API tokens live at most a year. */
export const MAX_TOKEN_DAYS = 366;

const USERNAME = /^[a-z0-9][a-z0-9._@-]{0,63}$/;
const MAX_DISPLAY_NAME = 120;
const MAX_TOKEN_NAME = 80;
const MAX_TOKENS_PER_USER = 50;
/** Writes of one login-attempts entry that lose a race are retried this often before the login is refused. */
const ATTEMPT_WRITE_RETRIES = 50;
/** Names shown in lists and logs stay on one line and print as typed. */
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

export interface AuditSink {
  record(entry: { actor: Actor; action: string; target: { kind: string; id: string }; details?: Record<string, unknown> }): Promise<unknown>;
}

export interface AuthServiceDeps {
  records: RecordStore;
  limits?: LoginLimits;
  /** log2 of scrypt's N for new hashes (config EXEMPLAR_PASSWORD_COST). */
  passwordCost?: number;
  now?: () => Date;
  /** The audit trail, once wired (context.ts); user and token changes and logins are recorded. */
  audit?: () => AuditSink | undefined;
}

export function normaliseUsername(raw: unknown): string {
  const name = typeof raw === 'string' ? raw.trim().toLowerCase() : '';
  if (!USERNAME.test(name)) {
    throw new ExemplarError('VALIDATION_FAILED', 'a user name is 1 to 64 characters: lower-case letters, digits, ".", "_", "@", "-" (starting with a letter or digit)', {
      field: 'username',
    });
  }
  return name;
}

export function checkPassword(password: unknown): asserts password is string {
  if (typeof password !== 'string' || password.length < MIN_PASSWORD_LENGTH || password.length > MAX_PASSWORD_LENGTH) {
    throw new ExemplarError('VALIDATION_FAILED', `a password has ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters`, { field: 'password' });
  }
}

function checkRole(role: unknown): asserts role is Role {
  if (!ROLES.includes(role as Role)) throw new ExemplarError('VALIDATION_FAILED', `role must be one of ${ROLES.join(', ')}`, { field: 'role' });
}

function checkDisplayName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length > MAX_DISPLAY_NAME || CONTROL_CHARACTER.test(name)) {
    throw new ExemplarError('VALIDATION_FAILED', `a display name is at most ${MAX_DISPLAY_NAME} characters without control characters`, { field: 'displayName' });
  }
}

export const publicUser = (u: UserRecord): User => ({
  username: u.username,
  role: u.role,
  displayName: u.displayName,
  disabled: u.disabled,
  createdAt: u.createdAt,
  updatedAt: u.updatedAt,
});

const tokenInfo = (t: ApiTokenRecord): ApiTokenInfo => ({ id: t.tokenId, name: t.name, createdAt: t.createdAt, expiresAt: t.expiresAt });

const LOGIN_ACTOR = systemActor('login');

const invalidCredentials = () => new ExemplarError('UNAUTHENTICATED', 'wrong user name or password');

export class AuthService {
  private readonly users: RecordCollection<UserRecord>;
  private readonly sessions: RecordCollection<SessionRecord>;
  private readonly tokens: RecordCollection<ApiTokenRecord>;
  private readonly attempts: RecordCollection<LoginAttemptsRecord>;
  private readonly limits: LoginLimits;
  private readonly passwordCost: number;
  private readonly now: () => Date;
  private readonly audit: () => AuditSink | undefined;
  /** When (ms, by `now`) a login next deletes expired sessions. */
  private nextSessionSweep = -Infinity;

  constructor(deps: AuthServiceDeps) {
    this.users = deps.records.collection<UserRecord>({ name: 'users', indexes: [{ fields: ['username'], unique: true }, { fields: ['role'] }] });
    this.sessions = deps.records.collection<SessionRecord>({ name: 'sessions', indexes: [{ fields: ['username'] }, { fields: ['expiresAt'] }] });
    this.tokens = deps.records.collection<ApiTokenRecord>({ name: 'api-tokens', indexes: [{ fields: ['tokenId'], unique: true }, { fields: ['username'] }] });
    this.attempts = deps.records.collection<LoginAttemptsRecord>({ name: 'login-attempts' });
    this.limits = deps.limits ?? DEFAULT_LOGIN_LIMITS;
    this.passwordCost = deps.passwordCost ?? DEFAULT_PASSWORD_COST;
    this.now = deps.now ?? (() => new Date());
    this.audit = deps.audit ?? (() => undefined);
  }

  // ------------------------------------------------------------------ users

  async createUser(
    input: { username: unknown; role: unknown; password: unknown; displayName?: unknown },
    actor: Actor,
  ): Promise<User> {
    assertCan(actor, 'users:manage');
    const username = normaliseUsername(input.username);
    checkRole(input.role);
    checkPassword(input.password);
    const displayName = input.displayName ?? username;
    checkDisplayName(displayName);
    const at = timestamp(this.now());
    const record: UserRecord = {
      id: username,
      revision: 1,
      username,
      role: input.role,
      displayName,
      disabled: false,
      password: await hashPassword(input.password, this.passwordCost),
      createdAt: at,
      createdBy: actor.id,
      updatedAt: at,
      passwordChangedAt: at,
    };
    try {
      await this.users.insert(record);
    } catch (err) {
      if (err instanceof ExemplarError && err.code === 'CONFLICT') throw new ExemplarError('CONFLICT', `user ${username} already exists`, { username });
      throw err;
    }
    await this.record(actor, 'user.create', username, { role: record.role });
    return publicUser(record);
  }

  async listUsers(actor: Actor): Promise<User[]> {
    assertCan(actor, 'users:manage');
    return (await this.users.find({ sort: [{ field: 'username', direction: 1 }], limit: 10_000 })).map(publicUser);
  }

  async getUser(username: string, actor: Actor): Promise<User> {
    if (actor.id !== username) assertCan(actor, 'users:manage');
    return publicUser(await this.requireUser(username));
  }

  /** Role, disabled flag, display name. Disabling ends the user's sessions. The last enabled admin cannot be demoted or disabled. */
  async updateUser(username: string, patch: { role?: unknown; disabled?: unknown; displayName?: unknown }, actor: Actor): Promise<User> {
    assertCan(actor, 'users:manage');
    if (patch.role !== undefined) checkRole(patch.role);
    if (patch.disabled !== undefined && typeof patch.disabled !== 'boolean') throw new ExemplarError('VALIDATION_FAILED', 'disabled must be true or false', { field: 'disabled' });
    if (patch.displayName !== undefined) checkDisplayName(patch.displayName);
    const current = await this.requireUser(username);
    const next: UserRecord = {
      ...current,
      ...(patch.role !== undefined && { role: patch.role }),
      ...(patch.disabled !== undefined && { disabled: patch.disabled }),
      ...(patch.displayName !== undefined && { displayName: patch.displayName }),
      updatedAt: timestamp(this.now()),
    };
    const losesAdmin = current.role === 'admin' && !current.disabled && (next.role !== 'admin' || next.disabled);
    if (losesAdmin && (await this.users.count({ role: 'admin', disabled: false })) <= 1) {
      throw new ExemplarError('CONFLICT', 'this is the last enabled admin; make another admin first', { username });
    }
    const saved = await this.users.replace(current.id, current.revision, next);
    if (saved.disabled) await this.sessions.deleteMany({ username });
    await this.record(actor, 'user.update', username, {
      ...(patch.role !== undefined && { role: saved.role }),
      ...(patch.disabled !== undefined && { disabled: saved.disabled }),
      ...(patch.displayName !== undefined && { displayName: saved.displayName }),
    });
    return publicUser(saved);
  }

  /**
   * Sets a password: admins for anyone, a user for themselves with their
   * current password (a wrong one counts as a failed login of the name, so
   * the lock-out holds here too: RATE_LIMITED). Revokes the user's API tokens
   * and ends their sessions, all of them after a reset by someone else, all
   * but `keepSessionId` (the session making the change) when users change
   * their own. Recorded as user.set-password (how many sessions ended, which
   * tokens were revoked) and one token.revoke per token.
   */
  async setPassword(username: string, input: { password: unknown; currentPassword?: unknown }, actor: Actor, options: { keepSessionId?: string } = {}): Promise<void> {
    const self = actor.id === username && actor.role !== 'system';
    if (!self) assertCan(actor, 'users:manage');
    checkPassword(input.password);
    const current = await this.requireUser(username);
    if (self && !(actor.role === 'admin')) {
      // Guesses of the current password count against the name as failed logins do: a session is not a licence to try passwords.
      const keys = [`user:${username}`];
      await this.assertNotLocked(keys);
      await this.reserveAttempt(keys);
      if (typeof input.currentPassword !== 'string' || !(await verifyPassword(input.currentPassword, current.password))) {
        await this.record(actor, 'user.password-check-failed', username);
        throw new ExemplarError('FORBIDDEN', 'the current password is wrong');
      }
      await this.attempts.delete(keys[0]!);
    }
    const at = timestamp(this.now());
    const passwordVersion = (current.passwordVersion ?? 0) + 1;
    await this.users.replace(current.id, current.revision, { ...current, password: await hashPassword(input.password, this.passwordCost), passwordChangedAt: at, passwordVersion, updatedAt: at });
    // From here every session and token issued under the old password is refused (authenticate); what follows deletes them.
    const kept = self ? await this.keepSession(options.keepSessionId, username, passwordVersion) : null;
    const sessionsEnded = await this.sessions.deleteMany({ username, ...(kept && { id: { $ne: kept } }) });
    const revoked = await this.tokens.find({ filter: { username }, sort: [{ field: 'createdAt', direction: 1 }], limit: 10_000 });
    for (const token of revoked) await this.tokens.delete(token.id);
    const reason = self ? 'password-change' : 'password-reset';
    await this.record(actor, 'user.set-password', username, { sessionsEnded, sessionKept: kept !== null, apiTokensRevoked: revoked.map((t) => t.tokenId) });
    for (const token of revoked) await this.record(actor, 'token.revoke', token.tokenId, { owner: username, reason });
  }

  /** The session making a user's own password change goes on under the new password; null when there is none (an API token made the change). */
  private async keepSession(sessionId: string | undefined, username: string, passwordVersion: number): Promise<string | null> {
    const session = sessionId === undefined ? null : await this.sessions.get(sessionId);
    if (!session || session.username !== username) return null;
    await this.sessions.replace(session.id, session.revision, { ...session, passwordVersion });
    return session.id;
  }

  async countUsers(): Promise<number> {
    return this.users.count();
  }

  // ------------------------------------------------------------------ login and sessions

  /**
   * Checks a user name and password and opens a session. Locked names and
   * addresses answer RATE_LIMITED (details.retryAfterSeconds) without looking
   * at the password; a wrong name, a wrong password and a disabled account
   * all answer the same UNAUTHENTICATED.
   */
  async login(input: { username: unknown; password: unknown }, client: { ip: string; requestId?: string }): Promise<LoginResult> {
    const raw = typeof input.username === 'string' ? input.username.trim().toLowerCase() : '';
    const password = typeof input.password === 'string' ? input.password : '';
    if (raw === '' || password === '' || password.length > MAX_PASSWORD_LENGTH) throw invalidCredentials();
    const username = USERNAME.test(raw) ? raw : undefined;
    const keys = [`ip:${attemptKeyPart(client.ip)}`, ...(username ? [`user:${username}`] : [])];
    await this.assertNotLocked(keys);
    const reserved = await this.reserveAttempt(keys);

    const user = username ? await this.users.get(username) : null;
    const ok = user ? await verifyPassword(password, user.password) : (await verifyPassword(password, await decoyHash(this.passwordCost)), false);
    if (!ok || !user || user.disabled) {
      // The failure was counted by reserveAttempt.
      // Nobody is authenticated: the server's login check is the actor, the claimed name the target.
      const checker: Actor = { ...LOGIN_ACTOR, ...(client.requestId && { requestId: client.requestId }) };
      await this.record(checker, 'user.login-failed', username ?? '(invalid name)', { ip: client.ip, ...(user?.disabled && { disabled: true }) });
      throw invalidCredentials();
    }
    const actor: Actor = { id: user.username, role: user.role, ...(client.requestId && { requestId: client.requestId }) };
    await this.attempts.delete(`user:${user.username}`);
    await this.releaseAttempt(keys[0]!, reserved.get(keys[0]!) ?? null);
    if (needsRehash(user.password, this.passwordCost)) {
      await this.users.replace(user.id, user.revision, { ...user, password: await hashPassword(password, this.passwordCost) }).catch(() => undefined);
    }
    const nowDate = this.now();
    await this.sweepExpiredSessions(nowDate);
    const token = newSecret(SESSION_TOKEN_PREFIX);
    const session: SessionRecord = {
      id: secretDigest(token),
      revision: 1,
      username: user.username,
      csrfToken: randomBytes(32).toString('base64url'),
      createdAt: timestamp(nowDate),
      expiresAt: timestamp(new Date(nowDate.getTime() + SESSION_LIFETIME_MS)),
      // The version whose password was checked: if it changed meanwhile, this session never authenticates.
      passwordVersion: user.passwordVersion ?? 0,
    };
    await this.sessions.insert(session);
    await this.record(actor, 'user.login', user.username, { ip: client.ip });
    return { token, csrfToken: session.csrfToken, user: publicUser(user), expiresAt: session.expiresAt };
  }

  private async sweepExpiredSessions(now: Date): Promise<void> {
    if (now.getTime() < this.nextSessionSweep) return;
    // Moved on first, so that logins arriving during the sweep do not start another.
    this.nextSessionSweep = now.getTime() + SESSION_SWEEP_INTERVAL_MS;
    await this.sessions.deleteMany({ expiresAt: { $lt: timestamp(now) } });
  }

  /** Resolves a session token or an API token; null when it is unknown, expired, or its user is disabled. */
  async authenticate(secret: string): Promise<Authentication | null> {
    if (!SECRET_SHAPE.test(secret)) return null;
    const id = secretDigest(secret);
    const now = timestamp(this.now());
    if (secret.startsWith(SESSION_TOKEN_PREFIX)) {
      const session = await this.sessions.get(id);
      if (!session || session.expiresAt <= now) return null;
      const user = await this.users.get(session.username);
      if (!user || user.disabled || !issuedUnderCurrentPassword(session, user)) return null;
      return { user: publicUser(user), via: 'session', sessionId: session.id, csrfToken: session.csrfToken, passwordVersion: user.passwordVersion ?? 0 };
    }
    if (secret.startsWith(API_TOKEN_PREFIX)) {
      const token = await this.tokens.get(id);
      if (!token || (token.expiresAt !== null && token.expiresAt <= now)) return null;
      const user = await this.users.get(token.username);
      if (!user || user.disabled || !issuedUnderCurrentPassword(token, user)) return null;
      return { user: publicUser(user), via: 'api-token', tokenId: token.tokenId, passwordVersion: user.passwordVersion ?? 0 };
    }
    return null;
  }

  async logout(sessionId: string, actor: Actor): Promise<void> {
    await this.sessions.delete(sessionId);
    await this.record(actor, 'user.logout', actor.id);
  }

  // ------------------------------------------------------------------ personal API tokens

  /**
   * A new token for the actor; the secret is in the answer and nowhere else.
   * It carries the password version of the credential that asked for it
   * (`issuedUnder`, else the user's current one), so a token made through a
   * session that a password change is ending does not outlive the change.
   */
  async createToken(input: { name: unknown; expiresInDays?: unknown }, actor: Actor, issuedUnder?: Pick<Authentication, 'passwordVersion'>): Promise<ApiTokenInfo & { token: string }> {
    if (actor.role === 'system') throw new ExemplarError('FORBIDDEN', 'API tokens belong to users');
    const name = typeof input.name === 'string' ? input.name.trim() : '';
    if (name === '' || name.length > MAX_TOKEN_NAME || CONTROL_CHARACTER.test(name)) {
      throw new ExemplarError('VALIDATION_FAILED', `a token name is 1 to ${MAX_TOKEN_NAME} characters`, { field: 'name' });
    }
    const days = input.expiresInDays ?? 90;
    if (typeof days !== 'number' || !Number.isInteger(days) || days < 1 || days > MAX_TOKEN_DAYS) {
      throw new ExemplarError('VALIDATION_FAILED', `expiresInDays is a whole number from 1 to ${MAX_TOKEN_DAYS}`, { field: 'expiresInDays' });
    }
    if ((await this.tokens.count({ username: actor.id })) >= MAX_TOKENS_PER_USER) {
      throw new ExemplarError('CONFLICT', `a user has at most ${MAX_TOKENS_PER_USER} API tokens; revoke one first`);
    }
    const passwordVersion = issuedUnder?.passwordVersion ?? (await this.requireUser(actor.id)).passwordVersion ?? 0;
    const nowDate = this.now();
    const token = newSecret(API_TOKEN_PREFIX);
    const record: ApiTokenRecord = {
      id: secretDigest(token),
      revision: 1,
      tokenId: randomBytes(9).toString('base64url'),
      username: actor.id,
      name,
      createdAt: timestamp(nowDate),
      expiresAt: timestamp(new Date(nowDate.getTime() + days * 86_400_000)),
      passwordVersion,
    };
    await this.tokens.insert(record);
    await this.record(actor, 'token.create', record.tokenId, { name });
    return { ...tokenInfo(record), token };
  }

  async listTokens(actor: Actor): Promise<ApiTokenInfo[]> {
    return (await this.tokens.find({ filter: { username: actor.id }, sort: [{ field: 'createdAt', direction: 1 }] })).map(tokenInfo);
  }

  /** Revokes one of the actor's tokens (admins: anyone's). NOT_FOUND for a token that is not theirs. */
  async revokeToken(tokenId: string, actor: Actor): Promise<void> {
    const token = await this.tokens.findOne({ tokenId });
    if (!token || (token.username !== actor.id && actor.role !== 'system' && actor.role !== 'admin')) {
      throw new ExemplarError('NOT_FOUND', 'API token not found', { id: tokenId });
    }
    await this.tokens.delete(token.id);
    await this.record(actor, 'token.revoke', tokenId, { owner: token.username });
  }

  // ------------------------------------------------------------------ internals

  private async requireUser(username: string): Promise<UserRecord> {
    const user = USERNAME.test(username) ? await this.users.get(username) : null;
    if (!user) throw new ExemplarError('NOT_FOUND', 'user not found', { username });
    return user;
  }

  private async assertNotLocked(keys: readonly string[]): Promise<void> {
    const now = this.now().getTime();
    let until = 0;
    for (const key of keys) {
      const entry = await this.attempts.get(key);
      const lockedUntil = entry?.lockedUntil ? Date.parse(entry.lockedUntil) : 0;
      if (lockedUntil > now) until = Math.max(until, lockedUntil);
    }
    if (until > 0) {
      const retryAfterSeconds = Math.max(1, Math.ceil((until - now) / 1000));
      throw new ExemplarError('RATE_LIMITED', `too many failed logins; try again in ${retryAfterSeconds} s`, { retryAfterSeconds });
    }
  }

  /**
   * Counts this attempt as a failure of every key before the password is
   * looked at, and refuses it (RATE_LIMITED) while a key is locked. Counted
   * only after the check, concurrent guesses all passed the lock check before
   * the first of them was counted, so a burst of requests had every one of
   * its passwords checked. The attempt that reaches a key's threshold locks
   * it in the same write, so at most that many are checked at once. A
   * successful login gives its count back (`releaseAttempt`). Answers the
   * lock each key got from this attempt (null: none), for the release.
   */
  private async reserveAttempt(keys: readonly string[]): Promise<Map<string, string | null>> {
    const nowDate = this.now();
    const now = nowDate.getTime();
    const reserved = new Map<string, string | null>();
    for (const key of keys) {
      const threshold = key.startsWith('user:') ? this.limits.userFailures : this.limits.addressFailures;
      let lockedUntil = 0;
      let lockSet: string | null = null;
      const counted = await this.changeAttempts(key, (entry) => {
        lockedUntil = entry?.lockedUntil ? Date.parse(entry.lockedUntil) : 0;
        lockSet = null;
        if (lockedUntil > now) return null;
        const fresh = !entry || now - Date.parse(entry.windowStart) > this.limits.windowMs;
        const failures = (fresh ? 0 : entry.failures) + 1;
        if (failures >= threshold) lockSet = timestamp(new Date(now + this.limits.lockMs));
        return { failures, windowStart: fresh ? timestamp(nowDate) : entry.windowStart, lockedUntil: lockSet ?? entry?.lockedUntil ?? null };
      });
      // Not counted because other attempts kept changing the entry: refused, as a lock would be.
      const refusedUntil = lockedUntil > now ? lockedUntil : counted ? 0 : now + 1000;
      if (refusedUntil > 0) {
        for (const [k, lock] of reserved) await this.releaseAttempt(k, lock);
        const retryAfterSeconds = Math.max(1, Math.ceil((refusedUntil - now) / 1000));
        throw new ExemplarError('RATE_LIMITED', `too many failed logins; try again in ${retryAfterSeconds} s`, { retryAfterSeconds });
      }
      reserved.set(key, lockSet);
    }
    return reserved;
  }

  /** Gives back the failure `reserveAttempt` counted for a key, and the lock it set (`lockSet`), when the login succeeded. */
  private async releaseAttempt(key: string, lockSet: string | null): Promise<void> {
    await this.changeAttempts(key, (entry) => {
      if (!entry || entry.failures === 0) return null;
      return { failures: entry.failures - 1, windowStart: entry.windowStart, lockedUntil: lockSet !== null && entry.lockedUntil === lockSet ? null : entry.lockedUntil };
    });
  }

  /**
   * Read–change–replace of a key's entry at its revision, retried when another
   * request changed it meanwhile; `change` answers null to leave it as it is.
   * False when it could not be written for the races.
   */
  private async changeAttempts(
    key: string,
    change: (entry: LoginAttemptsRecord | null) => Omit<LoginAttemptsRecord, 'id' | 'revision'> | null,
  ): Promise<boolean> {
    for (let attempt = 0; attempt < ATTEMPT_WRITE_RETRIES; attempt++) {
      const entry = await this.attempts.get(key);
      const next = change(entry);
      if (next === null) return true;
      try {
        if (entry) await this.attempts.replace(key, entry.revision, { id: key, revision: entry.revision, ...next });
        else await this.attempts.insert({ id: key, revision: 1, ...next });
        return true;
      } catch (err) {
        if (!(err instanceof ExemplarError) || (err.code !== 'REVISION_CONFLICT' && err.code !== 'CONFLICT')) throw err;
      }
    }
    return false;
  }

  private async record(actor: Actor, action: string, id: string, details?: Record<string, unknown>): Promise<void> {
    await this.audit()?.record({ actor, action, target: { kind: action.startsWith('token.') ? 'api-token' : 'user', id }, ...(details && { details }) });
  }
}

/** Credentials from before passwordVersion was recorded carry none and are ended by the next password change, as they always were. */
function issuedUnderCurrentPassword(credential: { passwordVersion?: number }, user: UserRecord): boolean {
  return credential.passwordVersion === undefined || credential.passwordVersion === (user.passwordVersion ?? 0);
}

/** Record ids allow `[A-Za-z0-9_.:@-]`: IPv4 and IPv6 addresses fit; anything else (a zone suffix) is folded. */
function attemptKeyPart(ip: string): string {
  return ip.replace(/[^A-Za-z0-9_.:@-]/g, '_').slice(0, 120) || 'unknown';
}
