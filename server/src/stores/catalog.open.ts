import fs from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_MONGODB_WRITE_TIMEOUT_MS, type CatalogConfig } from '../config';
import { ExemplarError } from '../errors';
import { MongoCatalogStore } from './catalog.mongo';
import type { CatalogStore } from './catalog.port';
import { SqliteCatalogStore } from './catalog.sqlite';

/** The catalog settings as they come from the environment, unvalidated. */
export interface CatalogSettings {
  /** MongoDB is used when set; otherwise SQLite at `<dataDir>/catalog.sqlite`. */
  mongodbUri?: string | undefined;
  /** Default `exemplar`. */
  mongodbDb?: string | undefined;
  /** `majority` (default) or a number of nodes, at least 1. */
  writeConcern?: string | undefined;
  /** Milliseconds a write waits for its write concern, 100 to 600000; default DEFAULT_MONGODB_WRITE_TIMEOUT_MS. */
  writeTimeoutMs?: string | undefined;
  dataDir: string;
}

function fromSettings(s: CatalogSettings): CatalogConfig {
  if (!s.mongodbUri) return { kind: 'sqlite', path: path.join(s.dataDir, 'catalog.sqlite') };
  const w = s.writeConcern ?? 'majority';
  // Not 0 (unacknowledged): the adapters rely on duplicate-key errors and matched counts.
  if (w !== 'majority' && !/^[1-9]\d*$/.test(w)) {
    throw new ExemplarError('VALIDATION_FAILED', `MongoDB write concern must be "majority" or a number of nodes, at least 1 (got ${JSON.stringify(w)})`);
  }
  const timeout = s.writeTimeoutMs ?? String(DEFAULT_MONGODB_WRITE_TIMEOUT_MS);
  // Not 0: MongoDB reads it as no timeout, and writes would wait for ever.
  if (!/^[1-9]\d*$/.test(timeout) || Number(timeout) < 100 || Number(timeout) > 600_000) {
    throw new ExemplarError('VALIDATION_FAILED', `MongoDB write timeout must be a whole number of milliseconds from 100 to 600000 (got ${JSON.stringify(timeout)})`);
  }
  return { kind: 'mongodb', uri: s.mongodbUri, db: s.mongodbDb || 'exemplar', writeConcern: w === 'majority' ? 'majority' : Number(w), writeTimeoutMs: Number(timeout) };
}

/**
 * The configured catalog adapter, initialised (schema migrated, indexes
 * ensured). Takes the validated `config.catalog` or raw settings.
 */
export async function openCatalogStore(config: CatalogConfig | CatalogSettings): Promise<CatalogStore> {
  const c = 'kind' in config ? config : fromSettings(config);
  let store: CatalogStore;
  if (c.kind === 'mongodb') {
    store = new MongoCatalogStore({ uri: c.uri, dbName: c.db, writeConcern: c.writeConcern, writeTimeoutMs: c.writeTimeoutMs });
  } else {
    await fs.mkdir(path.dirname(c.path), { recursive: true });
    store = new SqliteCatalogStore({ file: c.path });
  }
  try {
    await store.init();
  } catch (err) {
    await store.close().catch(() => undefined);
    throw err;
  }
  return store;
}
