/**
 * Logging in and what a session allows: the cookie and its attributes,
 * CSRF on cookie-authenticated changes, Bearer tokens (session and personal
 * API tokens), logout, lock-out after repeated failures (kept across a
 * restart of the app on the same store), and that no route but the public
 * ones answers without a credential.
 */
import Fastify from 'fastify';
import { serverOptions } from '../../server/src/app';
import { loadConfig } from '../../server/src/config';
import { AuthService } from '../../server/src/auth/auth.service';
import type { PasswordHash } from '../../server/src/auth/passwords';
import { systemActor } from '../../server/src/services/actor';
import { buildTestApp, MINIMAL_SPECIMEN, type TestApp } from '../../server/src/test-helpers';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(async () => {
  await t.close();
});

function cookieOf(setCookie: string | string[] | undefined): string {
  const header = Array.isArray(setCookie) ? setCookie[0] : setCookie;
  const m = /^(exemplar_session=[^;]*)/.exec(header ?? '');
  if (!m?.[1]) throw new Error(`no session cookie in ${String(header)}`);
  return m[1];
}

describe('behind a reverse proxy (EXEMPLAR_TRUST_PROXY)', () => {
  let proxied: TestApp;
  const PROXY = '10.20.0.5';
  beforeAll(async () => {
    proxied = await buildTestApp({ EXEMPLAR_TRUST_PROXY: `${PROXY},10.30.0.0/16` });
  });
  afterAll(async () => {
    await proxied.close();
  });
  const login = (remoteAddress: string, forwardedFor: string | undefined, payload: { username: string; password: string }) =>
    proxied.app.inject({ method: 'POST', url: '/api/auth/login', remoteAddress, headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor }, payload });

  it('locks out the clients behind a trusted proxy one by one, and records their own addresses', async () => {
    for (let i = 0; i < 20; i++) expect((await login(PROXY, '198.51.100.7', { username: `prober-${i}`, password: 'a guess' })).statusCode).toBe(401);
    const creds = await proxied.credentials('examiner');
    expect((await login(PROXY, '198.51.100.7', creds)).statusCode).toBe(429);
    // Another client through the same proxy (and through a proxy of the trusted range) is not locked with it.
    expect((await login(PROXY, '198.51.100.8', creds)).statusCode).toBe(200);
    expect((await login('10.30.4.4', '198.51.100.9', creds)).statusCode).toBe(200);
    // A client that forges the header on its way through the proxy is still the address the proxy saw.
    expect((await login(PROXY, '198.51.100.8, 198.51.100.7', creds)).statusCode).toBe(429);

    const admin = await proxied.login('admin');
    const failed = (await admin.inject({ method: 'GET', url: '/api/audit?action=user.login-failed&target=user:prober-0' })).json().items as Array<{ details: { ip: string } }>;
    expect(failed.map((e) => e.details.ip)).toEqual(['198.51.100.7']);
  });

  it('believes no X-Forwarded-For from an address that is not a trusted proxy', async () => {
    for (let i = 0; i < 20; i++) expect((await login('192.0.2.140', `203.0.113.${i}`, { username: `direct-${i}`, password: 'a guess' })).statusCode).toBe(401);
    const creds = await proxied.credentials('viewer');
    expect((await login('192.0.2.140', '203.0.113.250', creds)).statusCode).toBe(429);
  });

  it('with a number of hops, takes the client from that far back in X-Forwarded-For', async () => {
    // The server options alone (what the app's requests get their address from), on a bare Fastify: a whole app costs seconds to open.
    const bare = Fastify(serverOptions(loadConfig({ EXEMPLAR_TRUST_PROXY: '2', LOG_LEVEL: 'silent' })));
    bare.get('/ip', async (request) => ({ ip: request.ip }));
    try {
      const res = await bare.inject({ method: 'GET', url: '/ip', remoteAddress: '10.40.0.1', headers: { 'x-forwarded-for': '198.51.100.66, 198.51.100.50, 10.40.0.2' } });
      // The peer and 10.40.0.2 are the two proxies; what the nearer one was told is the client (anything before it is the client's say).
      expect(res.json()).toEqual({ ip: '198.51.100.50' });
    } finally {
      await bare.close();
    }
  });
});

describe('login and sessions', () => {
  it('sets an httpOnly SameSite=Strict cookie and returns the token, the CSRF token and the user', async () => {
    const creds = await t.credentials('examiner');
    const res = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: creds });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ user: { username: 'examiner', role: 'examiner', disabled: false } });
    expect(body.token).toMatch(/^exs_/);
    expect(typeof body.csrfToken).toBe('string');
    const setCookie = String(res.headers['set-cookie']);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).not.toMatch(/Secure/);
    expect(res.headers['cache-control']).toBe('no-store');

    const cookie = cookieOf(res.headers['set-cookie']);
    const session = await t.app.inject({ method: 'GET', url: '/api/auth/session', headers: { cookie } });
    expect(session.json()).toEqual({ user: body.user, permissions: body.permissions, csrfToken: body.csrfToken, via: 'session' });
    // The role's permissions from the policy table, so that the web app keeps no copy of it.
    expect(body.permissions).toContain('specimens:write');
    expect(body.permissions).not.toContain('users:manage');

    // Reads need only the cookie; changes need the session's CSRF token too.
    expect((await t.app.inject({ method: 'GET', url: '/api/specimens', headers: { cookie } })).statusCode).toBe(200);
    const noCsrf = await t.app.inject({ method: 'POST', url: '/api/specimens', headers: { cookie }, payload: MINIMAL_SPECIMEN });
    expect({ status: noCsrf.statusCode, code: noCsrf.json().code }).toEqual({ status: 403, code: 'CSRF_FAILED' });
    const wrongCsrf = await t.app.inject({ method: 'POST', url: '/api/specimens', headers: { cookie, 'x-csrf-token': 'x'.repeat(43) }, payload: MINIMAL_SPECIMEN });
    expect(wrongCsrf.json().code).toBe('CSRF_FAILED');
    const withCsrf = await t.app.inject({ method: 'POST', url: '/api/specimens', headers: { cookie, 'x-csrf-token': body.csrfToken }, payload: MINIMAL_SPECIMEN });
    expect(withCsrf.statusCode).toBe(201);
    expect(withCsrf.json().createdBy).toBe('examiner');

    // The same token as Bearer needs no CSRF header (a browser never sends it on its own).
    const bearer = await t.app.inject({ method: 'POST', url: '/api/specimens', headers: { authorization: `Bearer ${body.token}` }, payload: MINIMAL_SPECIMEN });
    expect(bearer.statusCode).toBe(201);

    const logout = await t.app.inject({ method: 'POST', url: '/api/auth/logout', headers: { cookie, 'x-csrf-token': body.csrfToken } });
    expect(logout.statusCode).toBe(204);
    expect(String(logout.headers['set-cookie'])).toMatch(/Max-Age=0/);
    const after = await t.app.inject({ method: 'GET', url: '/api/specimens', headers: { cookie } });
    expect({ status: after.statusCode, code: after.json().code }).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
    expect((await t.app.inject({ method: 'GET', url: '/api/specimens', headers: { authorization: `Bearer ${body.token}` } })).statusCode).toBe(401);
  });

  describe('on an app with EXEMPLAR_COOKIE_SECURE=1 and the default password cost', () => {
    // One app for both (opening one takes seconds); '' is unset, so the password cost is the default, not the tests' low one.
    let secure: TestApp;
    beforeAll(async () => {
      secure = await buildTestApp({ EXEMPLAR_COOKIE_SECURE: '1', EXEMPLAR_PASSWORD_COST: '' });
    });
    afterAll(async () => {
      await secure.close();
    });

    it('marks the cookie Secure', async () => {
      const res = await secure.app.inject({ method: 'POST', url: '/api/auth/login', payload: await secure.credentials('viewer') });
      expect(String(res.headers['set-cookie'])).toMatch(/; Secure/);
    });

    it("hashes at OWASP's scrypt cost (N 2^17, r 8, p 1), still verifies a hash of the old default and upgrades it at login", async () => {
      const users = secure.context.catalog.records.collection<{ id: string; revision: number; password: PasswordHash }>({ name: 'users' });
      expect((await users.get((await secure.credentials('viewer')).username))!.password).toMatchObject({ algorithm: 'scrypt', N: 2 ** 17, r: 8, p: 1 });
      // A user whose hash the previous default (2^15) made, as a server before this version stored it.
      await new AuthService({ records: secure.context.catalog.records, passwordCost: 15 }).createUser({ username: 'hashed-at-15', role: 'viewer', password: 'made at cost fifteen' }, systemActor('test'));
      expect((await users.get('hashed-at-15'))!.password.N).toBe(2 ** 15);
      const login = (password: string) => secure.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'hashed-at-15', password } });
      expect((await login('made at cost fifteen')).statusCode).toBe(200);
      expect((await users.get('hashed-at-15'))!.password).toMatchObject({ algorithm: 'scrypt', N: 2 ** 17, r: 8, p: 1 });
      expect((await login('made at cost fifteen')).statusCode).toBe(200);
      expect((await login('made at cost sixteen')).statusCode).toBe(401);
    });
  });

  it('answers 401 without a credential, with a malformed or unknown one, and keeps health and login public', async () => {
    for (const headers of [{}, { authorization: 'Basic abc' }, { authorization: 'Bearer exs_' + 'A'.repeat(43) }, { cookie: 'exemplar_session=nonsense' }]) {
      const res = await t.app.inject({ method: 'GET', url: '/api/specimens', headers });
      expect({ headers, status: res.statusCode, code: res.json().code }).toEqual({ headers, status: 401, code: 'UNAUTHENTICATED' });
    }
    expect((await t.app.inject({ method: 'GET', url: '/api/health' })).statusCode).toBe(200);
    const wrong = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'examiner', password: 'not the password' } });
    expect({ status: wrong.statusCode, code: wrong.json().code }).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
    const nobody = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'nobody-here', password: 'not the password' } });
    expect(nobody.json()).toEqual(wrong.json());
    // An encoded path reaches the same route and is held to the same rule.
    expect((await t.app.inject({ method: 'GET', url: '/%61pi/specimens' })).statusCode).not.toBe(200);
  });

  it('personal API tokens: shown once, listed without the secret, usable as Bearer, revocable', async () => {
    const examiner = await t.login('examiner');
    const created = await examiner.inject({ method: 'POST', url: '/api/auth/tokens', payload: { name: 'import script', expiresInDays: 30 } });
    expect(created.statusCode).toBe(201);
    const { token, id } = created.json();
    expect(token).toMatch(/^exp_/);
    const listed = await examiner.inject({ method: 'GET', url: '/api/auth/tokens' });
    expect(listed.json().items).toEqual([expect.objectContaining({ id, name: 'import script' })]);
    expect(listed.body).not.toContain(token);
    const session = await t.app.inject({ method: 'GET', url: '/api/auth/session', headers: { authorization: `Bearer ${token}` } });
    expect(session.json()).toMatchObject({ user: { username: 'examiner' }, via: 'api-token', csrfToken: null });
    expect(session.json().permissions).toContain('cases:manage');

    // Someone else's token is not theirs to revoke (and does not exist for them).
    const viewer = await t.login('viewer');
    expect((await viewer.inject({ method: 'DELETE', url: `/api/auth/tokens/${id}` })).statusCode).toBe(404);
    expect((await examiner.inject({ method: 'DELETE', url: `/api/auth/tokens/${id}` })).statusCode).toBe(204);
    expect((await t.app.inject({ method: 'GET', url: '/api/specimens', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(401);
  });

  it('never stores a password, session token or API token in clear', async () => {
    const { password } = await t.credentials('prosecutor');
    const p = await t.login('prosecutor');
    const api = (await p.inject({ method: 'POST', url: '/api/auth/tokens', payload: { name: 'stored form check' } })).json().token as string;
    const records = t.context.catalog.records;
    const dump = JSON.stringify([
      await records.collection({ name: 'users' }).find(),
      await records.collection({ name: 'sessions' }).find(),
      await records.collection({ name: 'api-tokens' }).find(),
    ]);
    expect(dump).not.toContain(password);
    expect(dump).not.toContain(p.token);
    expect(dump).not.toContain(api);
    expect(dump).toContain('"algorithm":"scrypt"');
  });

  it('answers 429 with Retry-After once a user name has failed too often, without looking at the password', async () => {
    const { username, password } = await t.credentials('border-officer');
    for (let i = 0; i < 5; i++) {
      expect((await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password: `wrong ${i}` } })).statusCode).toBe(401);
    }
    const locked = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password } });
    expect({ status: locked.statusCode, code: locked.json().code }).toEqual({ status: 429, code: 'RATE_LIMITED' });
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('checks no more passwords than the lock allows when the guesses arrive at once', async () => {
    const username = 'burst-target';
    const password = 'burst target password';
    await t.context.services.auth.createUser({ username, role: 'viewer', password }, systemActor('test'));
    const guesses = await Promise.all(
      Array.from({ length: 15 }, (_, i) =>
        t.app.inject({ method: 'POST', url: '/api/auth/login', remoteAddress: '192.0.2.77', payload: { username, password: `guess number ${i}` } }),
      ),
    );
    const statuses = guesses.map((g) => g.statusCode);
    // Five failures lock a name: the other guesses are refused without their password being checked.
    expect(statuses.filter((s) => s === 401)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(10);
    const right = await t.app.inject({ method: 'POST', url: '/api/auth/login', remoteAddress: '192.0.2.78', payload: { username, password } });
    expect(right.statusCode).toBe(429);
  });

  it('counts wrong current passwords of a password change as failed logins: a session cannot try passwords without limit', async () => {
    const username = 'guessed-by-session';
    const password = 'the real password 1';
    await t.context.services.auth.createUser({ username, role: 'examiner', password }, systemActor('test'));
    const login = await t.app.inject({ method: 'POST', url: '/api/auth/login', remoteAddress: '192.0.2.81', payload: { username, password } });
    const headers = { authorization: `Bearer ${login.json().token}` };
    const change = (currentPassword: string) =>
      t.app.inject({ method: 'POST', url: `/api/users/${username}/password`, headers, payload: { password: 'a new password 22', currentPassword } });
    for (let i = 0; i < 5; i++) expect((await change(`guess ${i} of the password`)).statusCode).toBe(403);
    // The right one is refused now, as a login of the name is.
    const locked = await change(password);
    expect({ status: locked.statusCode, code: locked.json().code }).toEqual({ status: 429, code: 'RATE_LIMITED' });
    expect((await t.app.inject({ method: 'POST', url: '/api/auth/login', remoteAddress: '192.0.2.82', payload: { username, password } })).statusCode).toBe(429);
  });

  it("an administrator's password reset ends every session and revokes every API token of the user, and says so in the audit trail", async () => {
    const username = 'reset-by-admin';
    const password = 'the password before reset';
    await t.context.services.auth.createUser({ username, role: 'examiner', password }, systemActor('test'));
    const login = async () => (await t.app.inject({ method: 'POST', url: '/api/auth/login', remoteAddress: '192.0.2.101', payload: { username, password } })).json() as { token: string; csrfToken: string };
    const browser = await login();
    const script = await login();
    const apiToken = await t.app.inject({ method: 'POST', url: '/api/auth/tokens', headers: { authorization: `Bearer ${script.token}` }, payload: { name: 'nightly import' } });
    expect(apiToken.statusCode).toBe(201);
    const { token, id: tokenId } = apiToken.json<{ token: string; id: string }>();
    const works = async (headers: Record<string, string>) => (await t.app.inject({ method: 'GET', url: '/api/specimens', headers })).statusCode;
    const cookie = `exemplar_session=${browser.token}`;
    expect([await works({ cookie }), await works({ authorization: `Bearer ${script.token}` }), await works({ authorization: `Bearer ${token}` })]).toEqual([200, 200, 200]);

    const admin = await t.login('admin');
    const reset = await admin.inject({ method: 'POST', url: `/api/users/${username}/password`, payload: { password: 'the password after reset' } });
    expect(reset.statusCode).toBe(204);
    expect([await works({ cookie }), await works({ authorization: `Bearer ${script.token}` }), await works({ authorization: `Bearer ${token}` })]).toEqual([401, 401, 401]);
    // The administrator's own session goes on.
    expect((await admin.inject({ method: 'GET', url: '/api/specimens' })).statusCode).toBe(200);
    const relogin = await t.app.inject({ method: 'POST', url: '/api/auth/login', remoteAddress: '192.0.2.101', payload: { username, password: 'the password after reset' } });
    expect((await t.app.inject({ method: 'GET', url: '/api/auth/tokens', headers: { authorization: `Bearer ${relogin.json().token}` } })).json().items).toEqual([]);

    const entries = async (target: string) =>
      ((await admin.inject({ method: 'GET', url: `/api/audit?order=asc&target=${encodeURIComponent(target)}` })).json().items as Array<Record<string, unknown>>);
    expect((await entries(`user:${username}`)).filter((e) => e.action === 'user.set-password')).toEqual([
      expect.objectContaining({ actor: 'admin', actorRole: 'admin', details: { sessionsEnded: 2, sessionKept: false, apiTokensRevoked: [tokenId] } }),
    ]);
    expect((await entries(`api-token:${tokenId}`)).map((e) => [e.action, e.actor, e.details])).toEqual([
      ['token.create', username, { name: 'nightly import' }],
      ['token.revoke', 'admin', { owner: username, reason: 'password-reset' }],
    ]);
  });

  it("a user's own password change keeps the session it was made in, ends the others and revokes their API tokens", async () => {
    const username = 'changes-own';
    const password = 'my password before change';
    await t.context.services.auth.createUser({ username, role: 'examiner', password }, systemActor('test'));
    const login = async () => (await t.app.inject({ method: 'POST', url: '/api/auth/login', remoteAddress: '192.0.2.102', payload: { username, password } })).json() as { token: string; csrfToken: string };
    const here = await login();
    const elsewhere = await login();
    const hereCookie = `exemplar_session=${here.token}`;
    const made = await t.app.inject({ method: 'POST', url: '/api/auth/tokens', headers: { cookie: hereCookie, 'x-csrf-token': here.csrfToken }, payload: { name: 'laptop script' } });
    const { token, id: tokenId } = made.json<{ token: string; id: string }>();

    const change = await t.app.inject({
      method: 'POST',
      url: `/api/users/${username}/password`,
      headers: { cookie: hereCookie, 'x-csrf-token': here.csrfToken },
      payload: { password: 'my password after change', currentPassword: password },
    });
    expect(change.statusCode).toBe(204);
    const status = async (headers: Record<string, string>) => (await t.app.inject({ method: 'GET', url: '/api/auth/session', headers })).statusCode;
    expect(await status({ cookie: hereCookie })).toBe(200);
    expect(await status({ cookie: `exemplar_session=${elsewhere.token}` })).toBe(401);
    expect(await status({ authorization: `Bearer ${token}` })).toBe(401);
    // The kept session still changes things (its CSRF token is unchanged).
    const again = await t.app.inject({ method: 'POST', url: '/api/auth/tokens', headers: { cookie: hereCookie, 'x-csrf-token': here.csrfToken }, payload: { name: 'new script' } });
    expect(again.statusCode).toBe(201);
    expect(await status({ authorization: `Bearer ${again.json().token}` })).toBe(200);

    const admin = await t.login('admin');
    const audit = (await admin.inject({ method: 'GET', url: `/api/audit?order=asc&target=${encodeURIComponent(`api-token:${tokenId}`)}` })).json().items as Array<Record<string, unknown>>;
    expect(audit.at(-1)).toMatchObject({ action: 'token.revoke', actor: username, details: { owner: username, reason: 'password-change' } });
    const own = (await admin.inject({ method: 'GET', url: `/api/audit?order=asc&action=user.set-password&target=${encodeURIComponent(`user:${username}`)}` })).json().items as Array<Record<string, unknown>>;
    expect(own).toEqual([expect.objectContaining({ actor: username, details: { sessionsEnded: 1, sessionKept: true, apiTokensRevoked: [tokenId] } })]);
  });

  it('a password change made with an API token revokes that token too, and every session', async () => {
    const username = 'changes-by-token';
    const password = 'token user password 1';
    await t.context.services.auth.createUser({ username, role: 'examiner', password }, systemActor('test'));
    const session = (await t.app.inject({ method: 'POST', url: '/api/auth/login', remoteAddress: '192.0.2.103', payload: { username, password } })).json().token as string;
    const token = (await t.app.inject({ method: 'POST', url: '/api/auth/tokens', headers: { authorization: `Bearer ${session}` }, payload: { name: 'cli' } })).json().token as string;
    const change = await t.app.inject({ method: 'POST', url: `/api/users/${username}/password`, headers: { authorization: `Bearer ${token}` }, payload: { password: 'token user password 2', currentPassword: password } });
    expect(change.statusCode).toBe(204);
    for (const secret of [session, token]) expect((await t.app.inject({ method: 'GET', url: '/api/auth/session', headers: { authorization: `Bearer ${secret}` } })).statusCode).toBe(401);
  });

  it('ignores X-Forwarded-For unless a proxy is configured: a forged header does not escape the lock of the address', async () => {
    // Twenty wrong logins (of unknown names, so no name is locked) from one address, each claiming another client.
    for (let i = 0; i < 20; i++) {
      const res = await t.app.inject({ method: 'POST', url: '/api/auth/login', remoteAddress: '192.0.2.120', headers: { 'x-forwarded-for': `203.0.113.${i}` }, payload: { username: `forger-${i}`, password: 'a guess' } });
      expect(res.statusCode).toBe(401);
    }
    const { username, password } = await t.credentials('viewer');
    const next = await t.app.inject({ method: 'POST', url: '/api/auth/login', remoteAddress: '192.0.2.120', headers: { 'x-forwarded-for': '203.0.113.200' }, payload: { username, password } });
    expect({ status: next.statusCode, code: next.json().code }).toEqual({ status: 429, code: 'RATE_LIMITED' });
  });

  it('a successful login gives back what it counted against its address', async () => {
    const { username, password } = await t.credentials('admin');
    // More successful logins from one address than the failures that lock it (20).
    for (let i = 0; i < 22; i++) {
      expect((await t.app.inject({ method: 'POST', url: '/api/auth/login', remoteAddress: '192.0.2.90', payload: { username, password } })).statusCode).toBe(200);
    }
  });
});
