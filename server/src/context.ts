/**
 * The composition root: opens the stores the config names and wires the
 * services on them. The HTTP server and every CLI command use this same
 * context, so a CLI import runs through exactly the rules of an API upload.
 */
import fs from 'node:fs/promises';
import type { Config } from './config';
import { IngestService } from './services/ingest.service';
import { ImagesService } from './services/images.service';
import { KeyLocks } from './services/common';
import { SpecimenService } from './services/specimens.service';
import { openCatalogStore } from './stores/catalog.open';
import type { CatalogStore } from './stores/catalog.port';
import { openObjectStore } from './stores/objects.open';
import type { ObjectStore } from './stores/objects.port';

export interface AppServices {
  readonly specimens: SpecimenService;
  readonly ingest: IngestService;
  readonly images: ImagesService;
}

export interface AppContext {
  readonly config: Config;
  readonly catalog: CatalogStore;
  readonly objects: ObjectStore;
  readonly services: AppServices;
  /** Closes the stores. Idempotent. */
  close(): Promise<void>;
}

export interface OpenContextOptions {
  /** Told about objects a failed ingest could not remove (they are left for `exemplar verify --repair`). */
  onCleanupError?: (key: string, err: unknown) => void;
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

  // One lock table for everything that stores or removes images, so a clean-up never removes an object an ingest is re-using.
  const imageLocks = new KeyLocks();
  const specimens = new SpecimenService({ catalog, objects, imageLocks });
  const ingest = new IngestService({
    specimens,
    objects,
    imageLocks,
    limits: config.limits,
    tmpDir: config.tmpDir,
    ...(options.onCleanupError && { onCleanupError: options.onCleanupError }),
  });
  const images = new ImagesService({ objects });

  let closing: Promise<void> | undefined;
  return {
    config,
    catalog,
    objects,
    services: { specimens, ingest, images },
    close: () =>
      (closing ??= (async () => {
        try {
          await objects.close();
        } finally {
          await catalog.close();
        }
      })()),
  };
}
