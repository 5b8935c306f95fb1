import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { expectError } from './catalog.contract';
import { fixtureSpecimens } from './catalog.fixtures';
import { DEFAULT_MONGODB_WRITE_TIMEOUT_MS } from '../config';
import { MongoCatalogStore } from './catalog.mongo';
import { openCatalogStore } from './catalog.open';

describe('openCatalogStore', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'exemplar-catalog-open-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('opens the embedded SQLite catalog in the data folder, creating it, and keeps what was written', async () => {
    const dataDir = path.join(dir, 'data');
    const store = await openCatalogStore({ dataDir });
    expect(store.kind).toBe('sqlite');
    await store.specimens.create(fixtureSpecimens()[0]!);
    await store.close();
    await expect(fs.stat(path.join(dataDir, 'catalog.sqlite'))).resolves.toBeTruthy();
    const again = await openCatalogStore({ kind: 'sqlite', path: path.join(dataDir, 'catalog.sqlite') });
    expect(await again.specimens.count()).toBe(1);
    await again.close();
  });

  it('sends every MongoDB write with the write timeout, so that none waits for ever', async () => {
    const store = new MongoCatalogStore({ uri: 'mongodb://127.0.0.1:1/?replicaSet=rs0', dbName: 'exemplar', writeTimeoutMs: 2500 });
    expect(store.writeConcern).toMatchObject({ w: 'majority', wtimeoutMS: 2500 });
    const byDefault = new MongoCatalogStore({ uri: 'mongodb://127.0.0.1:1', dbName: 'exemplar', writeConcern: 1 });
    expect(byDefault.writeConcern).toMatchObject({ w: 1, wtimeoutMS: DEFAULT_MONGODB_WRITE_TIMEOUT_MS });
    await Promise.all([store.close(), byDefault.close()]);
  });

  it('refuses a malformed write concern before connecting', async () => {
    await expectError(openCatalogStore({ dataDir: dir, mongodbUri: 'mongodb://127.0.0.1:1', writeConcern: 'most' }), 'VALIDATION_FAILED');
    await expectError(openCatalogStore({ dataDir: dir, mongodbUri: 'mongodb://127.0.0.1:1', writeConcern: '0' }), 'VALIDATION_FAILED');
    // MongoDB reads a wtimeout of 0 as none.
    await expectError(openCatalogStore({ dataDir: dir, mongodbUri: 'mongodb://127.0.0.1:1', writeTimeoutMs: '0' }), 'VALIDATION_FAILED');
  });

  const uri = process.env['MONGODB_URI'];
  (uri ? it : it.skip)('opens MongoDB when a URI is given (needs MONGODB_URI)', async () => {
    const dbName = `exemplar_open_${process.pid}`;
    const store = await openCatalogStore({ dataDir: dir, mongodbUri: uri, mongodbDb: dbName, writeConcern: '1' });
    expect(store.kind).toBe('mongodb');
    await store.close();
    const client = new MongoClient(uri!);
    await client.db(dbName).dropDatabase();
    await client.close();
  });
});
