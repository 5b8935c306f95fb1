/**
 * Serves the built web app (web/dist) at `/`. Paths that name a file in it
 * get the file; any other path outside `/api` gets index.html, so the
 * browser app's own routes (/specimens/…, /comparisons/…) survive a reload
 * or a shared link. Unknown `/api` paths and missing assets stay 404s with
 * the API's error body.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

export interface WebAppOptions {
  /** The built app; defaults to web/dist of this checkout. */
  root?: string;
}

/** Both server/src/plugins and server/dist/plugins lie three levels below the repository root. */
const DEFAULT_ROOT = path.resolve(__dirname, '../../../web/dist');

/** Vite puts content-hashed bundles here: a name never changes content, so they may be cached for good. */
const HASHED_ASSETS = 'assets/';

/** A path with a file extension asks for a file; a missing one is a 404, never the app page. */
const FILE_LIKE = /\.[A-Za-z0-9]{1,8}$/;

async function isFile(file: string): Promise<boolean> {
  try {
    return (await fs.stat(file)).isFile();
  } catch {
    return false;
  }
}

export default async function webApp(app: FastifyInstance, opts: WebAppOptions = {}) {
  const root = path.resolve(opts.root ?? DEFAULT_ROOT);
  // Only `reply.sendFile` is used (path safety and ranges from @fastify/static); the route below decides what to send.
  await app.register(fastifyStatic, { root, serve: false, cacheControl: false, etag: true, lastModified: true });

  app.get<{ Params: { '*': string } }>('/*', { schema: { hide: true } }, async (request, reply) => {
    const wanted = request.params['*'] ?? '';
    if (wanted === 'api' || wanted.startsWith('api/')) return reply.callNotFound();

    const file = path.resolve(root, wanted);
    const inside = file === root || file.startsWith(root + path.sep);
    if (inside && wanted !== '' && (await isFile(file))) {
      const relative = path.relative(root, file);
      const cache = relative.startsWith(HASHED_ASSETS) ? 'public, max-age=31536000, immutable' : 'no-cache';
      return reply.header('cache-control', cache).header('x-content-type-options', 'nosniff').sendFile(relative);
    }
    if (!inside || FILE_LIKE.test(wanted)) return reply.callNotFound();

    if (!(await isFile(path.join(root, 'index.html')))) {
      return reply
        .status(503)
        .type('text/plain; charset=utf-8')
        .send('The web app is not built. Run `npm run build` (or `npm start`, which builds it) and reload.');
    }
    return reply.header('cache-control', 'no-cache').header('x-content-type-options', 'nosniff').sendFile('index.html');
  });
}
