/**
 * The composition root: opens the stores the config names and wires the
 * services on them. The HTTP server and every CLI command use this same
 * context, so a CLI import runs through exactly the rules of an API upload.
 */
import fs from 'node:fs/promises';
import { createPipelinePool, type PipelinePool } from '@exemplar/image-pipeline';
import { AuthService } from './auth/auth.service';
import { AuditService } from './audit/audit.service';
import type { Config } from './config';
import { ComparisonRunner } from './services/comparison-runner';
import { ComparisonService } from './services/comparisons.service';
import { IdentifyService } from './services/identify.service';
import { IngestService } from './services/ingest.service';
import { ImagesService } from './services/images.service';
import { KeyLocks } from './services/common';
import { CaseService } from './services/cases.service';
import { SpecimenService } from './services/specimens.service';
import { AlertsService } from './services/alerts.service';
import { ExchangeService } from './services/exchange.service';
import { RegisterService } from './services/register.service';
import { VerificationService } from './services/verification.service';
import { VerificationWebhook } from './services/verification-webhook';
import { openCatalogStore } from './stores/catalog.open';
import type { CatalogStore } from './stores/catalog.port';
import { openObjectStore } from './stores/objects.open';
import type { ObjectStore } from './stores/objects.port';

export interface AppServices {
  readonly audit: AuditService;
  /** Cases (questioned submissions, references, notes, conclusion) and their court exhibits. */
  readonly cases: CaseService;
  readonly specimens: SpecimenService;
  readonly ingest: IngestService;
  readonly images: ImagesService;
  readonly comparisons: ComparisonService;
  readonly identify: IdentifyService;
  /** Document intelligence alerts (draft, four-eyes approval, publication). */
  readonly alerts: AlertsService;
  /** Signed specimen packages between labs, and the trusted partner keys. */
  readonly exchange: ExchangeService;
  /** The lost, stolen and revoked documents register. */
  readonly register: RegisterService;
  /** Verification requests (the 24-hour service). */
  readonly verification: VerificationService;
  /** Users, sessions, API tokens, login lock-out. */
  readonly auth: AuthService;
}

export interface AppContext {
  readonly config: Config;
  readonly catalog: CatalogStore;
  readonly objects: ObjectStore;
  readonly services: AppServices;
  /** The image-pipeline worker pool; its threads start at the first task (or `warmUp`). */
  readonly pipeline: PipelinePool;
  /** Runs comparison jobs once started (by the server, or `exemplar worker`); `close` stops it. */
  readonly comparisonRunner: ComparisonRunner;
  /** Closes the stores. Idempotent. */
  close(): Promise<void>;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const EXEMPLAR_VERSION = (require('../package.json') as { version: string }).version;

export interface OpenContextOptions {
  /** Told about objects a failed ingest could not remove (they are left for `exemplar verify --repair`). */
  onCleanupError?: (key: string, err: unknown) => void;
  /** Comparison jobs the context's runner works on at once (default: the server's setting, at least 1). */
  comparisonConcurrency?: number;
  /** Start the pipeline's worker threads now (each loads OpenCV), so the first comparison does not wait for them: for `serve` and `worker`, not one-shot CLI commands. */
  warmPipeline?: boolean;
}

export async function openContext(config: Config, options: OpenContextOptions = {}): Promise<AppContext> {
  await fs.mkdir(config.dataDir, { recursive: true });
  await fs.mkdir(config.tmpDir, { recursive: true });

  const catalog = await openCatalogStore(config.catalog);
  let objects: ObjectStore;
  try {
    objects = await openObjectStore({
      dataDir: config.dataDir,
      tmpDir: config.tmpDir,
      s3: config.objects.kind === 's3' ? { ...config.objects } : undefined,
    });
  } catch (err) {
    await catalog.close();
    throw err;
  }

  const audit = new AuditService({ log: catalog.audit });
  // One lock table for everything that stores or removes images, so a clean-up never removes an object an ingest is re-using.
  const imageLocks = new KeyLocks();
  // Cases are built further down (they need the comparisons); the specimens ask them what a delete would take from a case.
  let evidence: CaseService | undefined;
  const specimens = new SpecimenService({ catalog, objects, imageLocks, audit, evidence: () => evidence });
  // OpenCV runs only in the pool's worker threads, started on first use (or now, with warmPipeline).
  const pool = createPipelinePool(config.pipeline);
  if (options.warmPipeline) pool.warmUp();
  const identify = new IdentifyService({ catalog, objects, pipeline: () => pool, limits: config.limits });
  const ingest = new IngestService({
    specimens,
    objects,
    imageLocks,
    limits: config.limits,
    tmpDir: config.tmpDir,
    describeImage: (file) => identify.describeForIngest(file),
    ...(options.onCleanupError && { onCleanupError: options.onCleanupError }),
  });
  const images = new ImagesService({ objects, catalog, audit });
  const comparisonRunner = new ComparisonRunner({
    catalog,
    objects,
    identify,
    pipeline: () => pool,
    limits: config.limits,
    tmpDir: config.tmpDir,
    version: EXEMPLAR_VERSION,
    concurrency: options.comparisonConcurrency ?? Math.max(1, config.comparisons.serverConcurrency),
    leaseMs: config.comparisons.leaseMs,
    audit,
  });
  const comparisons = new ComparisonService({
    catalog,
    objects,
    specimens,
    ingest,
    limits: config.limits,
    tmpDir: config.tmpDir,
    maxQueued: config.comparisons.maxQueued,
    onEnqueued: () => comparisonRunner.notify(),
    audit,
    imageLocks,
    ...(options.onCleanupError && { onCleanupError: options.onCleanupError }),
  });

  const auth = new AuthService({ records: catalog.records, audit: () => audit, passwordCost: config.passwordCost });
  let verificationRequests: VerificationService | undefined;
  const cases = new CaseService({ records: catalog.records, catalog, objects, audit, auth, comparisons, version: EXEMPLAR_VERSION, verificationRequests: () => verificationRequests });
  evidence = cases;

  const register = new RegisterService({ records: catalog.records, audit });
  const { webhookUrl, webhookSecret, webhookRetryMs } = config.verification;
  const webhook = webhookUrl !== undefined && webhookSecret !== undefined ? new VerificationWebhook({ url: webhookUrl, secret: webhookSecret, retryMs: webhookRetryMs }) : undefined;
  const verification = new VerificationService({
    records: catalog.records,
    objects,
    ingest,
    register,
    audit,
    limits: config.limits,
    checkComparison: async (id, actor) => void (await comparisons.get(id, actor)),
    holdComparisonReferences: (requestId, holderRevision, comparisonIds, path) => cases.holdComparisonReferences(requestId, holderRevision, comparisonIds, path),
    imageLocks,
    ...(webhook && { webhook }),
    ...(options.onCleanupError && { onCleanupError: options.onCleanupError }),
  });
  verificationRequests = verification;

  const alerts = new AlertsService({ catalog, audit });
  // Import runs through this context's specimen and ingest services, so the service reaches the context once it exists.
  const exchange = new ExchangeService({ context: () => context, audit });

  let closing: Promise<void> | undefined;
  const context: AppContext = {
    config,
    catalog,
    objects,
    services: { alerts, exchange, audit, cases, specimens, ingest, images, comparisons, identify, auth, register, verification },
    pipeline: pool,
    comparisonRunner,
    close: () =>
      (closing ??= (async () => {
        try {
          webhook?.close();
          await comparisonRunner.stop();
          await pool.close();
        } finally {
          try {
            await objects.close();
          } finally {
            await catalog.close();
          }
        }
      })()),
  };
  return context;
}
