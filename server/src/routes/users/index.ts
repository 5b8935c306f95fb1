/**
 * User administration (admins): list, create, change role / disabled /
 * display name, set a password. A user may also read themselves and change
 * their own password with the current one. Rules in AuthService.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../../auth/passwords';
import { assertCan } from '../../auth/policy';
import { ROLES } from '../../services/actor';
import { errorResponses } from '../api-schemas';
import { userSchema } from './schemas';

const usernameParams = {
  type: 'object',
  required: ['username'],
  additionalProperties: false,
  properties: { username: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;

const password = { type: 'string', minLength: MIN_PASSWORD_LENGTH, maxLength: MAX_PASSWORD_LENGTH } as const;

/**
 * Another user's record needs users:manage: checked before the body or the
 * parameters are validated, like a route's `config.permission` (which cannot
 * say "or oneself"). AuthService decides the rest.
 */
async function selfOrUserManager(request: FastifyRequest<{ Params: { username: string } }>): Promise<void> {
  if (request.params.username !== request.actor.id) assertCan(request.actor, 'users:manage');
}

export default async function userRoutes(app: FastifyInstance) {
  const { auth } = app.exemplar.services;

  app.get(
    '/api/users',
    {
      config: { permission: 'users:manage' },
      schema: {
        tags: ['users'],
        summary: 'All users (admins)',
        response: { 200: { type: 'object', required: ['items'], additionalProperties: false, properties: { items: { type: 'array', items: userSchema } } }, ...errorResponses(401, 403) },
      },
    },
    async (request) => ({ items: await auth.listUsers(request.actor) }),
  );

  app.post<{ Body: { username: string; role: string; password: string; displayName?: string } }>(
    '/api/users',
    {
      config: { permission: 'users:manage' },
      schema: {
        tags: ['users'],
        summary: 'Create a user (admins)',
        body: {
          type: 'object',
          required: ['username', 'role', 'password'],
          additionalProperties: false,
          properties: { username: { type: 'string', minLength: 1, maxLength: 64 }, role: { enum: [...ROLES] }, password, displayName: { type: 'string', maxLength: 120 } },
        },
        response: { 201: userSchema, ...errorResponses(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      const user = await auth.createUser(request.body, request.actor);
      return reply.status(201).header('location', `/api/users/${encodeURIComponent(user.username)}`).send(user);
    },
  );

  app.get<{ Params: { username: string } }>(
    '/api/users/:username',
    { onRequest: selfOrUserManager, schema: { tags: ['users'], summary: 'One user (admins, or the user themselves)', params: usernameParams, response: { 200: userSchema, ...errorResponses(401, 403, 404) } } },
    async (request) => auth.getUser(request.params.username, request.actor),
  );

  app.patch<{ Params: { username: string }; Body: { role?: string; disabled?: boolean; displayName?: string } }>(
    '/api/users/:username',
    {
      config: { permission: 'users:manage' },
      schema: {
        tags: ['users'],
        summary: "Change a user's role, disabled flag or display name (admins); disabling ends their sessions",
        params: usernameParams,
        body: {
          type: 'object',
          additionalProperties: false,
          minProperties: 1,
          properties: { role: { enum: [...ROLES] }, disabled: { type: 'boolean' }, displayName: { type: 'string', maxLength: 120 } },
        },
        response: { 200: userSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => auth.updateUser(request.params.username, request.body, request.actor),
  );

  app.post<{ Params: { username: string }; Body: { password: string; currentPassword?: string } }>(
    '/api/users/:username/password',
    {
      onRequest: selfOrUserManager,
      schema: {
        tags: ['users'],
        summary: "Set a user's password (admins; or oneself with currentPassword, whose wrong guesses count as failed logins). Revokes the user's API tokens and ends their sessions (but the one making their own change).",
        params: usernameParams,
        body: {
          type: 'object',
          required: ['password'],
          additionalProperties: false,
          properties: { password, currentPassword: { type: 'string', maxLength: MAX_PASSWORD_LENGTH } },
        },
        response: { 204: { type: 'null' }, ...errorResponses(400, 401, 403, 404, 429) },
      },
    },
    async (request, reply) => {
      // A user changing their own password keeps the session they did it in; every other session and token of the user ends.
      await auth.setPassword(request.params.username, request.body, request.actor, { ...(request.authentication?.sessionId !== undefined && { keepSessionId: request.authentication.sessionId }) });
      return reply.status(204).send();
    },
  );
}
