/**
 * The Exemplar HTTP API as one Fastify plugin: everything the API is, built
 * from a context (stores and services) opened by the caller. `server.ts`
 * only listens and closes; tests register the same plugin and use inject.
 */
import { randomUUID } from 'node:crypto';
import { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Config } from './config';
import type { AppContext } from './context';
import auth from './plugins/app/auth';
import context from './plugins/app/context';
import errorHandler from './plugins/app/error-handler';
import schemas from './plugins/app/schemas';
import securityHeaders from './plugins/app/security-headers';
import wellFormedText from './plugins/app/well-formed-text';
import multipart from './plugins/external/multipart';
import swagger from './plugins/external/swagger';
import webApp from './plugins/web-app';
import alertRoutes from './routes/alerts/index';
import auditRoutes from './routes/audit/index';
import authRoutes from './routes/auth/index';
import caseRoutes from './routes/cases/index';
import comparisonRoutes from './routes/comparisons/index';
import exchangeRoutes from './routes/exchange/index';
import healthRoutes from './routes/health/index';
import identifyRoutes from './routes/identify/index';
import imageRoutes from './routes/images/index';
import mrzRoutes from './routes/mrz/index';
import partnerRoutes from './routes/partners/index';
import registerRoutes from './routes/register/index';
import captureRoutes from './routes/specimens/captures';
import specimenRoutes from './routes/specimens/index';
import userRoutes from './routes/users/index';
import verificationRoutes from './routes/verification/index';

export interface AppOptions {
  context: AppContext;
}

/** JSON bodies are records and zone sets, never images (those are multipart). */
const JSON_BODY_LIMIT = 4 * 1024 * 1024;

/** Options for the Fastify instance the app is registered on (what a plugin cannot set itself). */
export function serverOptions(config: Pick<Config, 'logLevel' | 'trustProxy'>): FastifyServerOptions {
  return {
    // request.ip (login lock-out, audit entries), .protocol and .host follow X-Forwarded-* only from the configured proxies.
    trustProxy: trustProxyOption(config.trustProxy),
    logger: {
      level: config.logLevel,
      redact: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'],
    },
    // Our own ids: a client-chosen id would be trusted in logs (and, later, in the audit trail).
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
    bodyLimit: JSON_BODY_LIMIT,
    // Fastify's default Ajv is replaced by the specimens-schema one (plugins/app/schemas.ts).
  };
}

function trustProxyOption(trust: Config['trustProxy']): FastifyServerOptions['trustProxy'] {
  if (trust === false) return false;
  if ('addresses' in trust) return [...trust.addresses];
  // Fastify's own hop count believes no header at all (it cannot check the peer); the count as proxy-addr reads it: the peer and the next hops - 1 addresses are proxies.
  const { hops } = trust;
  return (_address: string, hop: number) => hop < hops;
}

export default async function exemplarApp(app: FastifyInstance, opts: AppOptions): Promise<void> {
  await app.register(context, { context: opts.context });
  await app.register(errorHandler);
  await app.register(schemas);
  await app.register(wellFormedText);
  await app.register(securityHeaders);
  await app.register(auth);
  await app.register(multipart);
  await app.register(swagger);

  app.addHook('onSend', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });

  await app.register(healthRoutes);
  await app.register(authRoutes);
  await app.register(userRoutes);
  await app.register(specimenRoutes);
  await app.register(captureRoutes);
  await app.register(imageRoutes);
  await app.register(mrzRoutes);
  await app.register(comparisonRoutes);
  await app.register(identifyRoutes);
  await app.register(auditRoutes);
  await app.register(caseRoutes);
  await app.register(alertRoutes);
  await app.register(exchangeRoutes);
  await app.register(partnerRoutes);
  await app.register(registerRoutes);
  await app.register(verificationRoutes);

  // Comparison jobs run in this process too unless EXEMPLAR_SERVER_COMPARISONS=0 (then only `exemplar worker`s run them).
  const { comparisonRunner, config } = opts.context;
  if (config.comparisons.serverConcurrency > 0) {
    app.addHook('onReady', async () => comparisonRunner.start(app.log));
    app.addHook('onClose', async () => comparisonRunner.stop());
  }
  // Last: its catch-all serves the browser app for every path the API does not claim.
  await app.register(webApp);
}
