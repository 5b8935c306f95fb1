/**
 * The catalog contract on a real MongoDB server, run when MONGODB_URI is set
 * (each store gets a fresh database, dropped afterwards). Without it only the
 * query translation is tested, by catalog.mongo-query.test.ts.
 */
import { randomBytes } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { describeCatalogContract } from './catalog.contract';
import { MongoCatalogStore } from './catalog.mongo';
import type { ChangeHistoryOptions } from './catalog.port';

const uri = process.env['MONGODB_URI'];

if (!uri) {
  describe('CatalogStore contract: mongodb', () => {
    it.skip('did not run: set MONGODB_URI (a replica set) to run the MongoDB adapter against the contract', () => undefined);
  });
} else {
  const databases: string[] = [];
  const openStore = async (writeConcern?: 'majority' | number, changeHistory?: ChangeHistoryOptions) => {
    const dbName = `exemplar_test_${randomBytes(6).toString('hex')}`;
    databases.push(dbName);
    // A short history needs a short look-back (which must stay below it).
    const history = changeHistory && { ...changeHistory, lookBack: 2 };
    const store = new MongoCatalogStore({ uri, dbName, changeHistory: history, ...(writeConcern !== undefined ? { writeConcern } : {}) });
    await store.init();
    return store;
  };
  afterAll(async () => {
    const client = new MongoClient(uri);
    try {
      for (const name of databases) await client.db(name).dropDatabase();
    } finally {
      await client.close();
    }
  });

  describeCatalogContract('mongodb', (options) => openStore(undefined, options?.changeHistory));

  describe('MongoCatalogStore', () => {
    it('ensures its indexes idempotently and honours a numeric write concern', async () => {
      const store = await openStore(1);
      const again = new MongoCatalogStore({ uri, dbName: databases[databases.length - 1]!, writeConcern: 1 });
      await again.init();
      const client = new MongoClient(uri);
      try {
        const names = (await client.db(databases[databases.length - 1]!).collection('specimens').indexes()).map((i) => i.name);
        expect(names).toEqual(expect.arrayContaining(['search_words', 'sort_updated', 'sort_title', 'facet_tags']));
      } finally {
        await client.close();
        await again.close();
        await store.close();
      }
    });

    it('lets two clients claim each job exactly once', async () => {
      const a = await openStore();
      const b = new MongoCatalogStore({ uri, dbName: databases[databases.length - 1]! });
      await b.init();
      try {
        for (let i = 0; i < 30; i++) await a.jobs.enqueue({ id: `job-shared-${i}`, kind: 'compare', payload: { i } });
        const claims = await Promise.all(
          Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? a : b).jobs.claim(`worker-${i}`, 60_000)),
        );
        const ids = claims.filter((j) => j !== null).map((j) => j!.id);
        expect(ids).toHaveLength(30);
        expect(new Set(ids).size).toBe(30);
      } finally {
        await a.close();
        await b.close();
      }
    });
  });
}
