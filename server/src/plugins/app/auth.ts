/**
 * Who is making the request. Resolves `Authorization: Bearer <token>` (a
 * session token or a personal API token) or the `exemplar_session` cookie to
 * a user and decorates `request.actor = { id: username, role, requestId }`,
 * which routes hand to the services (they decide what is allowed,
 * auth/policy.ts).
 *
 * Fail-closed: every route needs a credential except the few named in
 * `isPublicRoute` (health, login, the API docs, the static web app and the
 * not-found answer). Cookie-authenticated unsafe methods also need the
 * session's CSRF token in `x-csrf-token` (a Bearer token is not sent by a
 * browser on its own, so it needs none).
 *
 * A route that names a permission in its config (`config: { permission }`)
 * answers 403 here, before its body is read or any schema is checked: a
 * caller who may not use a route learns nothing about what it accepts. The
 * services check again, and finer (classification, ownership).
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Authentication } from '../../auth/auth.service';
import { assertCan, type Permission } from '../../auth/policy';
import { ExemplarError } from '../../errors';
import type { Actor } from '../../services/actor';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Needed to use the route at all (several: any one of them); checked before the body is parsed or validated. */
    permission?: Permission | readonly Permission[];
  }

  interface FastifyRequest {
    /** The authenticated user as services see them; only public routes run without one (and must not read it). */
    actor: Actor;
    /** How the request authenticated; null on public routes. */
    authentication: Authentication | null;
  }
}

export const SESSION_COOKIE = 'exemplar_session';
export const CSRF_HEADER = 'x-csrf-token';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** By the matched route pattern, never the raw URL (which may be encoded differently from what the router matched). */
function isPublicRoute(request: FastifyRequest): boolean {
  const route = request.routeOptions.url;
  if (route === undefined) return true; // no route matched: the 404 answer
  if (route === '/api/health' || route.startsWith('/api/health/')) return true;
  if (route === '/api/auth/login' && request.method === 'POST') return true;
  if (route === '/api/docs' || route.startsWith('/api/docs/')) return true;
  // The web app's catch-all (it hands /api/* paths to the 404 answer itself).
  return route === '/*';
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function sessionCookie(request: FastifyRequest, secure: boolean, value: string, maxAgeSeconds: number): string {
  const attributes = [`${SESSION_COOKIE}=${value}`, 'Path=/api', 'HttpOnly', 'SameSite=Strict', `Max-Age=${maxAgeSeconds}`];
  if (secure || request.protocol === 'https') attributes.push('Secure');
  return attributes.join('; ');
}

export function clearSessionCookie(request: FastifyRequest, reply: FastifyReply, secure: boolean): void {
  void reply.header('set-cookie', sessionCookie(request, secure, '', 0));
}

async function authPlugin(app: FastifyInstance) {
  const { auth } = app.exemplar.services;
  const cookieSecure = app.exemplar.config.cookieSecure;
  app.decorateRequest('actor', null as unknown as Actor);
  app.decorateRequest('authentication', null);

  app.addHook('onRequest', async (request, reply) => {
    if (isPublicRoute(request)) return;

    const header = request.headers.authorization;
    let authentication: Authentication | null = null;
    if (header !== undefined) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
      authentication = match?.[1] ? await auth.authenticate(match[1]) : null;
      if (!authentication) throw new ExemplarError('UNAUTHENTICATED', 'the Bearer token is invalid, expired or revoked');
    } else {
      const cookie = readCookie(request.headers.cookie, SESSION_COOKIE);
      if (cookie !== undefined) {
        authentication = await auth.authenticate(cookie);
        if (!authentication || authentication.via !== 'session') {
          clearSessionCookie(request, reply, cookieSecure);
          throw new ExemplarError('UNAUTHENTICATED', 'the session has ended; log in again');
        }
        if (!SAFE_METHODS.has(request.method)) {
          const sent = request.headers[CSRF_HEADER];
          if (typeof sent !== 'string' || !authentication.csrfToken || !sameSecret(sent, authentication.csrfToken)) {
            throw new ExemplarError('CSRF_FAILED', `a change made with the session cookie needs the session's ${CSRF_HEADER} header`);
          }
        }
      }
    }
    if (!authentication) throw new ExemplarError('UNAUTHENTICATED', 'log in first (session cookie or Authorization: Bearer token)');
    request.authentication = authentication;
    request.actor = Object.freeze({ id: authentication.user.username, role: authentication.user.role, requestId: request.id });
    const { permission } = request.routeOptions.config;
    if (permission !== undefined) assertCan(request.actor, permission);
  });
}

export default fp(authPlugin, { name: 'auth', dependencies: ['context', 'error-handler'] });
