/**
 * Listens and closes; nothing else. The app is built by `app.ts` from a
 * context opened here (or handed in by the CLI's `serve`), and on SIGINT or
 * SIGTERM the server stops accepting connections, lets requests in flight
 * finish, then closes the stores.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import exemplarApp, { serverOptions } from './app';
import { loadConfig, type Config } from './config';
import { openContext, type AppContext } from './context';

export interface RunningServer {
  readonly app: FastifyInstance;
  readonly context: AppContext;
  /** e.g. http://127.0.0.1:3000 */
  readonly url: string;
  /** Stops listening, waits for requests in flight, closes the context. Idempotent. */
  close(): Promise<void>;
}

export interface StartOptions {
  /** An already opened context; the server takes it over and closes it on close. */
  context?: AppContext;
  /** Close on SIGINT / SIGTERM (default true). */
  handleSignals?: boolean;
}

export async function startServer(config: Config, options: StartOptions = {}): Promise<RunningServer> {
  const context = options.context ?? (await openContext(config));
  const app = Fastify(serverOptions(config));
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      try {
        await app.close();
      } finally {
        await context.close();
      }
    })());

  try {
    await app.register(fp(exemplarApp), { context });
    const url = await app.listen({ host: config.host, port: config.port });
    if (options.handleSignals ?? true) {
      for (const signal of ['SIGINT', 'SIGTERM'] as const) {
        process.once(signal, () => {
          app.log.info({ signal }, 'shutting down');
          // A second signal while requests drain ends the process at once.
          process.once(signal, () => process.exit(1));
          close().then(
            () => process.exit(0),
            (err: unknown) => {
              app.log.error({ err }, 'shutdown failed');
              process.exit(1);
            },
          );
        });
      }
    }
    return { app, context, url, close };
  } catch (err) {
    await close();
    throw err;
  }
}

if (require.main === module) {
  startServer(loadConfig()).catch((err: unknown) => {
    process.stderr.write(`exemplar: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
