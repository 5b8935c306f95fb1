/**
 * Security headers on every response, errors and static files included.
 * The web app gets a Content-Security-Policy that allows only its own
 * bundles (Vite emits no inline script; OpenSeadragon draws on canvas from
 * same-origin tiles and sets styles through the DOM, which CSP does not
 * restrict); API answers get one that allows nothing at all, so an image or
 * JSON opened directly can never run anything. No page may be framed.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

export const WEB_APP_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  // React and OpenSeadragon set style attributes; Vite's CSS is a file.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Swagger UI's page (its bundle is served from the same origin; it inlines styles and data: icons). */
const DOCS_CSP = ["default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'", "img-src 'self' data:", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"].join('; ');

export const API_CSP = "default-src 'none'; frame-ancestors 'none'; sandbox";

async function securityHeaders(app: FastifyInstance) {
  app.addHook('onSend', async (request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    const csp = path === '/api/docs' || path.startsWith('/api/docs/') ? DOCS_CSP : path === '/api' || path.startsWith('/api/') ? API_CSP : WEB_APP_CSP;
    void reply
      .header('content-security-policy', csp)
      .header('x-content-type-options', 'nosniff')
      .header('x-frame-options', 'DENY')
      .header('referrer-policy', 'no-referrer')
      .header('cross-origin-opener-policy', 'same-origin')
      .header('cross-origin-resource-policy', 'same-origin')
      .removeHeader('x-powered-by');
    // Answers that depend on who asks must not be kept by shared caches.
    if (request.authentication && !reply.hasHeader('cache-control')) void reply.header('cache-control', 'private, no-store');
  });
}

export default fp(securityHeaders, { name: 'security-headers' });
