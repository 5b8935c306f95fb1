/**
 * The MongoDB translation, tested without a MongoDB server: the generated
 * pipelines are evaluated with `mingo` (an in-memory implementation of the
 * MongoDB query language) over the fixture documents, and every page —
 * items, facets, total and cursor — must equal the SQLite adapter's.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { aggregate } from 'mingo';
import type { Document } from 'mongodb';
import { FACETS, SORTS, type SpecimenPage, type SpecimenQuery } from './catalog.port';
import { fixtureSpecimens, syntheticSpecimens } from './catalog.fixtures';
import { fromSpecimenDocument, pageFromResults, planMongoSearch, toSpecimenDocument } from './catalog.mongo-query';
import { currentYear, normalizeQuery } from './catalog.search';
import { SqliteCatalogStore } from './catalog.sqlite';

// mingo is slow (it copies documents in $unwind): a library big enough for several pages, no bigger.
const specimens = [...fixtureSpecimens(), ...syntheticSpecimens(150, 11)];
// Through JSON, as documents come back from a server: no shared references with the specimens.
const documents: Document[] = specimens.map((s) => JSON.parse(JSON.stringify(toSpecimenDocument(s))) as Document);
const year = currentYear();

function mongoSearch(query: SpecimenQuery): SpecimenPage {
  const q = normalizeQuery(query);
  const plan = planMongoSearch(q, year);
  return pageFromResults(q, aggregate(documents, plan.items), aggregate(documents, plan.facets));
}

let dir: string;
let sqlite: SqliteCatalogStore;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'exemplar-mongo-query-'));
  sqlite = new SqliteCatalogStore({ file: path.join(dir, 'catalog.sqlite'), synchronous: 'NORMAL' });
  await sqlite.init();
  for (const s of specimens) await sqlite.specimens.create(s);
});
afterAll(async () => {
  await sqlite.close();
  await fs.rm(dir, { recursive: true, force: true });
});

const QUERIES: [string, SpecimenQuery][] = [
  ['everything', {}],
  ['one state', { issuingState: ['UTO'] }],
  ['states and statuses', { issuingState: ['UTO', 'D', 'FRA'], status: ['genuine', 'forgery', 'counterfeit'] }],
  ['category and code', { documentCategory: ['passport'], documentCode: ['P', 'PD'] }],
  ['forgery methods', { forgeryMethod: ['photo-substitution', 'data-alteration'] }],
  ['feature types', { featureType: ['hologram', 'kinegram', 'mrz'] }],
  ['light sources', { lightSource: ['uv-254', 'ir-940'] }],
  ['classification', { classification: ['restricted', 'confidential'] }],
  ['tags (AND)', { tags: ['demo', 'epassport'] }],
  ['one tag', { tags: ['eu'] }],
  ['unknown tag', { tags: ['no-such-tag'] }],
  ['year range', { yearFrom: 2005, yearTo: 2010 }],
  ['years from', { yearFrom: 2021 }],
  ['years up to', { yearTo: 2000 }],
  ['years in the future', { yearFrom: year + 1 }],
  ['imitates', { imitates: 'uto-p-2019' }],
  ['text', { q: 'utopia' }],
  ['text prefix', { q: 'pa' }],
  ['text, several words', { q: 'utopia passport 2019' }],
  ['text with accents', { q: 'Überprüfung' }],
  ['text with syntax', { q: '"foo AND (bar OR title:utopia*' }],
  ['text, no words', { q: '"*()' }],
  ['text and filters', { q: 'pass', status: ['genuine', 'forgery'], lightSource: ['uv-365'] }],
  ['everything at once', { q: 'p', issuingState: ['UTO', 'D'], classification: ['public'], yearFrom: 2000, tags: ['demo'] }],
  ['relevance', { q: 'utopia passport', sort: 'relevance' }],
];

describe('MongoDB query translation (evaluated with mingo) against the SQLite adapter', () => {
  it.each(QUERIES)('gives the same first page: %s', async (_label, query) => {
    const q = { ...query, limit: 25 };
    expect(mongoSearch(q)).toEqual(await sqlite.specimens.search(q));
  });

  it.each(SORTS.map((sort) => [sort]))('gives the same pages in %s order, cursor for cursor', async (sort) => {
    const base: SpecimenQuery = { sort, limit: 40, ...(sort === 'relevance' ? { q: 'pass' } : { status: ['genuine', 'counterfeit'] }) };
    let cursor: string | undefined;
    let pages = 0;
    do {
      const q = { ...base, ...(cursor ? { cursor } : {}) };
      const expected = await sqlite.specimens.search(q);
      const got = mongoSearch(q);
      expect(got.items.map((s) => s.id)).toEqual(expected.items.map((s) => s.id));
      expect(got.nextCursor).toEqual(expected.nextCursor);
      expect(got.total).toBe(expected.total);
      cursor = got.nextCursor ?? undefined;
      pages++;
    } while (cursor);
    expect(pages).toBeGreaterThan(1);
  });

  it('counts every facet, and leaves out what no specimen has', () => {
    const page = mongoSearch({ q: 'utopia', issuingState: ['UTO'] });
    for (const f of FACETS) expect(page.facets[f].every((c) => c.count > 0)).toBe(true);
    expect(page.facets.issuingState.map((c) => c.value)).toContain('UTO');
  });

  it('stores the specimen unchanged beside its search fields', () => {
    for (const s of specimens.slice(0, 20)) {
      const doc = toSpecimenDocument(s);
      expect(doc._id).toBe(s.id);
      expect(fromSpecimenDocument(JSON.parse(JSON.stringify(doc)) as Document)).toEqual(s);
    }
  });

  it('uses no $text (mingo and prefix search both need regexes on the folded words)', () => {
    const plan = planMongoSearch(normalizeQuery({ q: 'utopia pass', sort: 'relevance' }), year);
    expect(JSON.stringify(plan)).not.toContain('$text');
    expect(JSON.stringify(plan.items[0])).toContain('^utopia');
  });
});
