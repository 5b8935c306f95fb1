/**
 * Logging in and out, the current session, and personal API tokens. Rules
 * and storage live in AuthService; this file sets and clears the cookie.
 */
import type { FastifyInstance } from 'fastify';
import { SESSION_LIFETIME_MS } from '../../auth/auth.service';
import { ExemplarError } from '../../errors';
import { clearSessionCookie, sessionCookie } from '../../plugins/app/auth';
import { errorResponses } from '../api-schemas';
import { userSchema } from '../users/schemas';
import { PERMISSIONS, permissionsOf } from '../../auth/policy';

const loginBody = {
  type: 'object',
  required: ['username', 'password'],
  additionalProperties: false,
  properties: { username: { type: 'string', minLength: 1, maxLength: 128 }, password: { type: 'string', minLength: 1, maxLength: 1024 } },
} as const;

const tokenInfo = {
  type: 'object',
  required: ['id', 'name', 'createdAt', 'expiresAt'],
  additionalProperties: false,
  properties: {
    id: { type: 'string', description: 'Handle for revoking; not a credential.' },
    name: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
    expiresAt: { type: ['string', 'null'], format: 'date-time' },
  },
} as const;

/** What the user's role may do (auth/policy.ts), so that clients show only what the server will allow. */
const permissionsSchema = { type: 'array', items: { enum: [...PERMISSIONS] } } as const;

export default async function authRoutes(app: FastifyInstance) {
  const { auth } = app.exemplar.services;
  const cookieSecure = app.exemplar.config.cookieSecure;

  app.post<{ Body: { username: string; password: string } }>(
    '/api/auth/login',
    {
      schema: {
        tags: ['auth'],
        summary: 'Log in with a user name and password',
        description:
          'Sets the httpOnly `exemplar_session` cookie (SameSite=Strict) and returns the same session token for `Authorization: Bearer` use, ' +
          'and the CSRF token the browser sends as `x-csrf-token` with cookie-authenticated changes. Repeated failures lock the name and the address (429 with Retry-After).',
        body: loginBody,
        response: {
          200: {
            type: 'object',
            required: ['token', 'csrfToken', 'user', 'permissions', 'expiresAt'],
            additionalProperties: false,
            properties: { token: { type: 'string' }, csrfToken: { type: 'string' }, user: userSchema, permissions: permissionsSchema, expiresAt: { type: 'string', format: 'date-time' } },
          },
          ...errorResponses(400, 401, 429),
        },
      },
    },
    async (request, reply) => {
      // A lock's Retry-After comes from the error handler (details.retryAfterSeconds).
      const result = await auth.login(request.body, { ip: request.ip, requestId: request.id });
      void reply.header('set-cookie', sessionCookie(request, cookieSecure, result.token, Math.floor(SESSION_LIFETIME_MS / 1000)));
      void reply.header('cache-control', 'no-store');
      return { ...result, permissions: permissionsOf(result.user.role) };
    },
  );

  app.post(
    '/api/auth/logout',
    { schema: { tags: ['auth'], summary: 'End the current session (and clear the cookie)', response: { 204: { type: 'null' }, ...errorResponses(401) } } },
    async (request, reply) => {
      const { sessionId } = request.authentication ?? {};
      if (sessionId) await auth.logout(sessionId, request.actor);
      clearSessionCookie(request, reply, cookieSecure);
      return reply.status(204).send();
    },
  );

  app.get(
    '/api/auth/session',
    {
      schema: {
        tags: ['auth'],
        summary: 'Who is logged in, and the CSRF token of the session',
        response: {
          200: {
            type: 'object',
            required: ['user', 'permissions', 'csrfToken', 'via'],
            additionalProperties: false,
            properties: {
              user: userSchema,
              permissions: permissionsSchema,
              csrfToken: { type: ['string', 'null'], description: 'null when authenticated by an API token (no CSRF check applies).' },
              via: { enum: ['session', 'api-token'] },
            },
          },
          ...errorResponses(401),
        },
      },
    },
    async (request) => {
      const a = request.authentication;
      if (!a) throw new ExemplarError('UNAUTHENTICATED', 'log in first');
      return { user: a.user, permissions: permissionsOf(a.user.role), csrfToken: a.csrfToken ?? null, via: a.via };
    },
  );

  app.post<{ Body: { name: string; expiresInDays?: number } }>(
    '/api/auth/tokens',
    {
      schema: {
        tags: ['auth'],
        summary: 'Create a personal API token (the secret is shown only in this answer)',
        body: {
          type: 'object',
          required: ['name'],
          additionalProperties: false,
          properties: { name: { type: 'string', minLength: 1, maxLength: 80 }, expiresInDays: { type: 'integer', minimum: 1, maximum: 366, default: 90 } },
        },
        response: {
          201: { ...tokenInfo, required: [...tokenInfo.required, 'token'], properties: { ...tokenInfo.properties, token: { type: 'string' } } },
          ...errorResponses(400, 401, 403, 409),
        },
      },
    },
    async (request, reply) => {
      const created = await auth.createToken(request.body, request.actor, request.authentication ?? undefined);
      return reply.status(201).header('cache-control', 'no-store').send(created);
    },
  );

  app.get(
    '/api/auth/tokens',
    {
      schema: {
        tags: ['auth'],
        summary: "The caller's API tokens (without secrets)",
        response: { 200: { type: 'object', required: ['items'], additionalProperties: false, properties: { items: { type: 'array', items: tokenInfo } } }, ...errorResponses(401) },
      },
    },
    async (request) => ({ items: await auth.listTokens(request.actor) }),
  );

  app.delete<{ Params: { id: string } }>(
    '/api/auth/tokens/:id',
    {
      schema: {
        tags: ['auth'],
        summary: 'Revoke an API token',
        params: { type: 'object', required: ['id'], additionalProperties: false, properties: { id: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,32}$' } } },
        response: { 204: { type: 'null' }, ...errorResponses(401, 404) },
      },
    },
    async (request, reply) => {
      await auth.revokeToken(request.params.id, request.actor);
      return reply.status(204).send();
    },
  );
}
