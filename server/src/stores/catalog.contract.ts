/**
 * The behaviour every CatalogStore adapter must show, run by each adapter's
 * test file against a real backend (a SQLite file in a temp folder, a MongoDB
 * server when MONGODB_URI is set).
 *
 * Search answers are checked two ways: exact answers on the hand-made
 * fixtures, and, on a seeded synthetic library, agreement with `searchOracle`,
 * a deliberately naive evaluation of the port's documented semantics over the
 * raw specimen fields.
 */
import type { Specimen } from '@exemplar/specimens-schema';
import { isExemplarError, type ErrorCode } from '../errors';
import { EVIDENCE_HELD, FACETS, SORTS, type CatalogStore, type EvidenceHold, type ChangeHistoryOptions, type FacetCount, type FacetName, type JobListQuery, type SpecimenPage, type SpecimenQuery, type SpecimenSort } from './catalog.port';
import { fixtureSpecimens, syntheticSpecimens } from './catalog.fixtures';
import { currentYear, tokenize } from './catalog.search';
import { objectKeys } from './objects.port';

export async function expectError(promise: Promise<unknown>, code: ErrorCode, details?: Record<string, unknown>): Promise<void> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  if (!isExemplarError(caught)) throw new Error(`expected ExemplarError ${code}, got ${caught === undefined ? 'success' : String(caught)}`);
  expect(caught.code).toBe(code);
  if (details) expect(caught.details).toMatchObject(details);
}

// ------------------------------------------------------------ oracle

const yearRange = (s: Specimen, year: number): [number, number] | null => {
  const from = s.issued?.from ?? s.issued?.to;
  if (from === undefined) return null;
  const to = s.issued?.to ?? Math.max(from, year);
  return [Math.min(from, to), Math.max(from, to)];
};

function facetValues(s: Specimen, facet: FacetName, year: number): string[] {
  const captures = s.captures ?? [];
  switch (facet) {
    case 'issuingState':
    case 'documentCategory':
    case 'status':
    case 'classification':
      return [s[facet]];
    case 'documentCode':
      return s.documentCode ? [s.documentCode] : [];
    case 'forgeryMethod':
      return [...new Set(s.forgeryMethods ?? [])];
    case 'featureType':
      return [...new Set(captures.flatMap((c) => c.zones.map((z) => z.type)))];
    case 'lightSource':
      return [...new Set(captures.flatMap((c) => c.images.map((i) => i.lightSource)))];
    case 'tags':
      return [...new Set(s.tags)];
    case 'year': {
      const r = yearRange(s, year);
      const out: string[] = [];
      if (r) for (let y = r[0]; y <= r[1]; y++) out.push(String(y));
      return out;
    }
  }
}

const matchesText = (s: Specimen, terms: string[]) => {
  const words = [s.title, s.series, s.description, s.notes].flatMap((t) => tokenize(t));
  return terms.every((t) => words.some((w) => w.startsWith(t)));
};

function passes(s: Specimen, q: SpecimenQuery, year: number, ignore: FacetName | null): boolean {
  const terms = [...new Set(tokenize(q.q))];
  if (terms.length > 0 && !matchesText(s, terms)) return false;
  if (q.imitates !== undefined && s.imitates !== q.imitates) return false;
  for (const f of FACETS) {
    if (f === ignore || f === 'year') continue;
    const wanted = q[f];
    if (!wanted || wanted.length === 0) continue;
    const have = facetValues(s, f, year);
    if (f === 'tags' ? !wanted.every((w) => have.includes(w)) : !wanted.some((w) => have.includes(w))) return false;
  }
  if (ignore !== 'year' && (q.yearFrom !== undefined || q.yearTo !== undefined)) {
    const r = yearRange(s, year);
    if (!r || r[0] > (q.yearTo ?? Infinity) || r[1] < (q.yearFrom ?? -Infinity)) return false;
  }
  return true;
}

/** The port's search semantics, evaluated naively over the raw specimens. */
export function searchOracle(all: Specimen[], q: SpecimenQuery, year = currentYear()): { ids: string[]; facets: Record<FacetName, FacetCount[]> } {
  const terms = [...new Set(tokenize(q.q))];
  const sort: SpecimenSort = q.sort === 'relevance' && terms.length === 0 ? '-updatedAt' : (q.sort ?? '-updatedAt');
  const dir = sort.startsWith('-') || sort === 'relevance' ? -1 : 1;
  const key = (s: Specimen): (string | number)[] => {
    switch (sort.replace(/^-/, '')) {
      case 'updatedAt':
        return [Date.parse(s.updatedAt)];
      case 'createdAt':
        return [Date.parse(s.createdAt)];
      case 'title':
        return [tokenize(s.title).join(' ')];
      case 'issuingState':
        return [s.issuingState];
      default: {
        const titleWords = tokenize(s.title);
        return [terms.filter((t) => titleWords.some((w) => w.startsWith(t))).length, Date.parse(s.updatedAt)];
      }
    }
  };
  const cmp = (a: Specimen, b: Specimen) => {
    const ka = [...key(a), a.id];
    const kb = [...key(b), b.id];
    for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return (ka[i]! < kb[i]! ? -1 : 1) * dir;
    return 0;
  };
  const ids = all.filter((s) => passes(s, q, year, null)).sort(cmp).map((s) => s.id);
  const facets = {} as Record<FacetName, FacetCount[]>;
  for (const f of FACETS) {
    const counts = new Map<string, number>();
    for (const s of all) {
      if (!passes(s, q, year, f === 'tags' ? null : f)) continue;
      for (const v of facetValues(s, f, year)) counts.set(v, (counts.get(v) ?? 0) + 1);
    }
    facets[f] = [...counts].map(([value, count]) => ({ value, count })).sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : 1));
  }
  return { ids, facets };
}

/** Every page of a query, checking that pages chain and the total holds. */
export async function allPages(store: CatalogStore, q: SpecimenQuery): Promise<{ ids: string[]; pages: SpecimenPage[] }> {
  const ids: string[] = [];
  const pages: SpecimenPage[] = [];
  let cursor: string | undefined;
  for (let n = 0; n < 10_000; n++) {
    const page = await store.specimens.search({ ...q, ...(cursor ? { cursor } : {}) });
    pages.push(page);
    ids.push(...page.items.map((s) => s.id));
    if (page.nextCursor === null) return { ids, pages };
    expect(page.items.length).toBe(q.limit ?? 50);
    cursor = page.nextCursor;
  }
  throw new Error('pagination did not end');
}

/** Every object key the specimens reference, once each, sorted. */
function objectKeysOf(specimens: Specimen[]): string[] {
  const keys = new Set<string>();
  for (const s of specimens)
    for (const c of s.captures)
      for (const i of c.images) {
        keys.add(objectKeys.original(i.sha256));
        keys.add(i.derivatives.thumbnail);
        keys.add(i.derivatives.preview);
        if (i.derivatives.dzi) keys.add(i.derivatives.dzi);
      }
  return [...keys].sort();
}

const counts = (page: SpecimenPage, facet: FacetName) => Object.fromEntries(page.facets[facet].map((c) => [c.value, c.count]));
const ids = (page: SpecimenPage) => page.items.map((s) => s.id);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ------------------------------------------------------------ the contract

export interface CatalogContractOptions {
  /** Specimens in the synthetic library the oracle and pagination checks run on; default 300. */
  syntheticLibrary?: number;
}

/** Opens a fresh, empty store; with `changeHistory`, one that keeps that much change history. */
export type OpenCatalog = (options?: { changeHistory?: ChangeHistoryOptions }) => Promise<CatalogStore>;

export function describeCatalogContract(name: string, open: OpenCatalog, options: CatalogContractOptions = {}): void {
  describe(`CatalogStore contract: ${name}`, () => {
    describe('specimens: CRUD and revisions', () => {
      let store: CatalogStore;
      beforeEach(async () => {
        store = await open();
      });
      afterEach(async () => {
        await store.close();
      });

      it('creates, reads back exactly, counts and refuses a duplicate id', async () => {
        const [a, b] = fixtureSpecimens();
        await store.specimens.create(a!);
        await store.specimens.create(b!);
        expect(await store.specimens.get(a!.id)).toEqual(a);
        expect(await store.specimens.get('missing-id')).toBeNull();
        expect(await store.specimens.count()).toBe(2);
        await expectError(store.specimens.create({ ...b!, title: 'Another' }), 'CONFLICT');
        expect((await store.specimens.get(b!.id))!.title).toBe(b!.title);
      });

      it('replaces only at the expected revision and reports the current one otherwise', async () => {
        const [a] = fixtureSpecimens();
        await store.specimens.create(a!);
        const next = { ...a!, revision: 2, title: 'Utopia passport, 2019 series (revised)', status: 'specimen' as const };
        expect(await store.specimens.replace(a!.id, 1, next)).toEqual(next);
        expect(await store.specimens.get(a!.id)).toEqual(next);
        await expectError(store.specimens.replace(a!.id, 1, { ...next, revision: 2, title: 'Lost update' }), 'REVISION_CONFLICT', { currentRevision: 2 });
        expect((await store.specimens.get(a!.id))!.title).toBe(next.title);
        await expectError(store.specimens.replace('missing-id', 1, { ...next, id: 'missing-id' }), 'SPECIMEN_NOT_FOUND');
        await expectError(store.specimens.replace(a!.id, 2, { ...next, id: 'other-id', revision: 3 }), 'BAD_REQUEST');
      });

      it('lets exactly one of two concurrent writers of the same revision win', async () => {
        const [a] = fixtureSpecimens();
        await store.specimens.create(a!);
        const results = await Promise.allSettled([
          store.specimens.replace(a!.id, 1, { ...a!, revision: 2, title: 'Writer one' }),
          store.specimens.replace(a!.id, 1, { ...a!, revision: 2, title: 'Writer two' }),
        ]);
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
        expect(isExemplarError(rejected.reason) && rejected.reason.code).toBe('REVISION_CONFLICT');
      });

      it('deletes with an optional revision check', async () => {
        const [a, b] = fixtureSpecimens();
        await store.specimens.create(a!);
        await store.specimens.create(b!);
        await expectError(store.specimens.delete(a!.id, 5), 'REVISION_CONFLICT', { currentRevision: 1 });
        await store.specimens.delete(a!.id, 1);
        await store.specimens.delete(b!.id);
        expect(await store.specimens.get(a!.id)).toBeNull();
        expect(await store.specimens.count()).toBe(0);
        await expectError(store.specimens.delete(a!.id), 'SPECIMEN_NOT_FOUND');
        expect((await store.specimens.search({})).total).toBe(0);
      });

      it('keeps a specimen held as evidence, and a held capture, until the hold is released; holds leave the specimen as it is', async () => {
        const [a, b] = fixtureSpecimens();
        const first = a!.captures[0]!;
        // A second capture, so that one can go while the other is held.
        const spare = { ...first, id: 'cap-spare' };
        const specimen = { ...a!, captures: [first, spare] };
        await store.specimens.create(specimen);
        await store.specimens.create(b!);
        const marker = (await store.specimens.changedSince(-1)).marker;
        const byCase: EvidenceHold = { holder: 'case:c1', holderRevision: 2, captureId: first.id, at: '2026-01-01T10:00:00.000Z' };
        const byRequest: EvidenceHold = { holder: 'verification-request:r1', holderRevision: 3, captureId: null, at: '2026-01-01T10:00:01.000Z' };

        // Nothing is held that is not there, and nothing is stored then.
        await expectError(store.specimens.hold('missing-id', byRequest), 'SPECIMEN_NOT_FOUND');
        await expectError(store.specimens.hold(specimen.id, { ...byCase, captureId: 'cap-missing' }), 'CAPTURE_NOT_FOUND');
        expect(await store.specimens.holds(specimen.id)).toEqual({ holds: [], taken: 0 });

        await store.specimens.hold(specimen.id, byCase);
        await store.specimens.hold(specimen.id, byCase);
        await store.specimens.hold(specimen.id, byRequest);
        // Stored once, counted each time.
        expect(await store.specimens.holds(specimen.id)).toEqual({ holds: [byCase, byRequest], taken: 3 });
        expect(await store.specimens.holds('missing-id')).toEqual({ holds: [], taken: 0 });
        // Not part of the specimen: same record, same revision, no change listed, not in search.
        expect(await store.specimens.get(specimen.id)).toEqual(specimen);
        expect((await store.specimens.changedSince(marker)).changes).toEqual([]);
        expect((await store.specimens.search({ q: 'Utopia passport 2019' })).items.find((s) => s.id === specimen.id)).toEqual(specimen);

        // A held specimen is not deleted (a stale revision is still said first); a held capture is not dropped; the rest may change.
        await expectError(store.specimens.delete(specimen.id, 7), 'REVISION_CONFLICT');
        await expectError(store.specimens.delete(specimen.id), 'CONFLICT', { reason: EVIDENCE_HELD, holds: [byCase, byRequest] });
        await expectError(store.specimens.delete(specimen.id, 1), 'CONFLICT', { reason: EVIDENCE_HELD });
        await expectError(store.specimens.replace(specimen.id, 1, { ...specimen, revision: 2, captures: [spare] }), 'CONFLICT', { reason: EVIDENCE_HELD, holds: [byCase] });
        const withoutSpare = { ...specimen, revision: 2, title: 'Kept as evidence', captures: [first] };
        expect(await store.specimens.replace(specimen.id, 1, withoutSpare)).toEqual(withoutSpare);
        expect(await store.specimens.get(specimen.id)).toEqual(withoutSpare);
        // The holds, and their count, outlive a replace.
        expect(await store.specimens.holds(specimen.id)).toEqual({ holds: [byCase, byRequest], taken: 3 });
        await expectError(store.specimens.delete(specimen.id, 2), 'CONFLICT', { reason: EVIDENCE_HELD });

        // Released one by one (by holder, revision and capture), then it goes.
        expect(await store.specimens.releaseHold(specimen.id, { ...byCase, holderRevision: 1 })).toBe(false);
        expect(await store.specimens.releaseHold(specimen.id, byCase)).toBe(true);
        expect(await store.specimens.releaseHold(specimen.id, byCase)).toBe(false);
        expect(await store.specimens.replace(specimen.id, 2, { ...withoutSpare, revision: 3, captures: [] })).toMatchObject({ captures: [] });
        await expectError(store.specimens.delete(specimen.id, 3), 'CONFLICT', { reason: EVIDENCE_HELD, holds: [byRequest] });
        expect(await store.specimens.releaseHold(specimen.id, byRequest)).toBe(true);
        await store.specimens.delete(specimen.id, 3);
        expect(await store.specimens.get(specimen.id)).toBeNull();
        // Another specimen's holds were never in play.
        expect(await store.specimens.holds(b!.id)).toEqual({ holds: [], taken: 0 });
        await store.specimens.delete(b!.id, 1);
      });

      it("releases every hold of one holder, on every specimen, and no one else's", async () => {
        const [a, b] = fixtureSpecimens();
        await store.specimens.create(a!);
        await store.specimens.create(b!);
        const capA = a!.captures[0]!.id;
        const submitted: EvidenceHold = { holder: 'comparison:job1', holderRevision: 0, captureId: capA, at: '2026-01-01T10:00:00.000Z' };
        const chosenByDeadAttempt: EvidenceHold = { holder: 'comparison:job1', holderRevision: 1, captureId: b!.captures[0]!.id, at: '2026-01-01T10:01:00.000Z' };
        const other: EvidenceHold = { holder: 'comparison:job10', holderRevision: 0, captureId: capA, at: '2026-01-01T10:02:00.000Z' };
        await store.specimens.hold(a!.id, submitted);
        await store.specimens.hold(b!.id, chosenByDeadAttempt);
        await store.specimens.hold(a!.id, other);

        expect(await store.specimens.releaseHolder('comparison:job1')).toBe(2);
        expect(await store.specimens.holds(a!.id)).toEqual({ holds: [other], taken: 2 });
        expect(await store.specimens.holds(b!.id)).toEqual({ holds: [], taken: 1 });
        expect(await store.specimens.releaseHolder('comparison:job1')).toBe(0);
        await store.specimens.delete(b!.id, 1);
        await expectError(store.specimens.delete(a!.id, 1), 'CONFLICT', { reason: EVIDENCE_HELD, holds: [other] });
        expect(await store.specimens.releaseHolder('comparison:job10')).toBe(1);
        await store.specimens.delete(a!.id, 1);
      });

      it('lets a hold or a delete of the same specimen win, never both', async () => {
        const [a] = fixtureSpecimens();
        for (let round = 0; round < 5; round++) {
          const id = `race-${round}`;
          await store.specimens.create({ ...a!, id });
          const hold: EvidenceHold = { holder: `case:race${round}`, holderRevision: 1, captureId: a!.captures[0]!.id, at: '2026-01-01T10:00:00.000Z' };
          const [held, deleted] = await Promise.allSettled([store.specimens.hold(id, hold), store.specimens.delete(id, 1)]);
          expect([held.status, deleted.status].filter((s) => s === 'fulfilled')).toHaveLength(1);
          if (held.status === 'fulfilled') expect(await store.specimens.holds(id)).toEqual({ holds: [hold], taken: 1 });
          else expect(await store.specimens.get(id)).toBeNull();
        }
      });

      it('deletes, or drops a capture, over holds judged done, unless a hold was taken since they were read, even one released again', async () => {
        const [a] = fixtureSpecimens();
        const first = a!.captures[0]!;
        const spare = { ...first, id: 'cap-spare' };
        const specimen = { ...a!, captures: [first, spare] };
        await store.specimens.create(specimen);
        const done: EvidenceHold = { holder: 'case:done', holderRevision: 2, captureId: spare.id, at: '2026-01-01T10:00:00.000Z' };
        const onFirst: EvidenceHold = { holder: 'case:other', holderRevision: 1, captureId: first.id, at: '2026-01-01T10:00:01.000Z' };
        await store.specimens.hold(specimen.id, done);
        await store.specimens.hold(specimen.id, onFirst);
        const read = await store.specimens.holds(specimen.id);
        expect(read.taken).toBe(2);

        // A hold taken (and released again) after the read: the count has moved, so the write is refused.
        const late: EvidenceHold = { holder: 'comparison:job-1', holderRevision: 1, captureId: spare.id, at: '2026-01-01T10:00:02.000Z' };
        await store.specimens.hold(specimen.id, late);
        expect(await store.specimens.releaseHold(specimen.id, late)).toBe(true);
        const withoutSpare = { ...specimen, revision: 2, captures: [first] };
        await expectError(store.specimens.replace(specimen.id, 1, withoutSpare, read.taken), 'CONFLICT', { reason: EVIDENCE_HELD });
        await expectError(store.specimens.delete(specimen.id, 1, read.taken), 'CONFLICT', { reason: EVIDENCE_HELD });
        expect(await store.specimens.get(specimen.id)).toEqual(specimen);

        // Read again: the capture goes with its hold; the other holds stay, and so does the count.
        const again = await store.specimens.holds(specimen.id);
        expect(again).toEqual({ holds: [done, onFirst], taken: 3 });
        // Without the count, a held capture is still not dropped.
        await expectError(store.specimens.replace(specimen.id, 1, withoutSpare), 'CONFLICT', { reason: EVIDENCE_HELD, holds: [done] });
        await expectError(store.specimens.replace(specimen.id, 1, withoutSpare, again.taken + 1), 'CONFLICT', { reason: EVIDENCE_HELD });
        expect(await store.specimens.replace(specimen.id, 1, withoutSpare, again.taken)).toEqual(withoutSpare);
        expect(await store.specimens.holds(specimen.id)).toEqual({ holds: [onFirst], taken: 3 });
        // A later write without the count keeps the holds and the count as they are.
        const renamed = { ...withoutSpare, revision: 3, title: 'Renamed' };
        expect(await store.specimens.replace(specimen.id, 2, renamed)).toEqual(renamed);
        expect(await store.specimens.holds(specimen.id)).toEqual({ holds: [onFirst], taken: 3 });

        // The delete: a stale revision is still said first; without the count the hold stops it; with it the holds go too.
        await expectError(store.specimens.delete(specimen.id, 2, 3), 'REVISION_CONFLICT');
        await expectError(store.specimens.delete(specimen.id, 3), 'CONFLICT', { reason: EVIDENCE_HELD, holds: [onFirst] });
        await store.specimens.delete(specimen.id, 3, 3);
        expect(await store.specimens.get(specimen.id)).toBeNull();
        expect(await store.specimens.holds(specimen.id)).toEqual({ holds: [], taken: 0 });
        // Created again under the same id, it starts with no holds and none taken.
        await store.specimens.create(specimen);
        expect(await store.specimens.holds(specimen.id)).toEqual({ holds: [], taken: 0 });
        await store.specimens.delete(specimen.id, 1, 0);
        await expectError(store.specimens.delete(specimen.id, undefined, 0), 'SPECIMEN_NOT_FOUND');
      });

      it('lists the specimens written or deleted since a change marker, each with its current revision', async () => {
        const [a, b, c] = fixtureSpecimens();
        await store.specimens.create(c!);
        const start = await store.specimens.changedSince(-1);
        expect(start).toMatchObject({ reset: true, changes: [] });
        expect(await store.specimens.changedSince(start.marker)).toEqual({ marker: start.marker, reset: false, changes: [] });
        expect((await store.specimens.changedSince(start.marker + 1_000_000)).reset).toBe(true);

        await store.specimens.create(a!);
        await store.specimens.create(b!);
        const created = await store.specimens.changedSince(start.marker);
        expect(created.reset).toBe(false);
        expect(created.marker).toBeGreaterThan(start.marker);
        expect(created.changes).toEqual(expect.arrayContaining([{ id: a!.id, revision: 1 }, { id: b!.id, revision: 1 }]));

        await store.specimens.replace(a!.id, 1, { ...a!, revision: 2, title: 'Changed' });
        await store.specimens.delete(b!.id);
        await store.specimens.delete(c!.id);
        await store.specimens.create({ ...c!, revision: 1, title: 'Created again' });
        const later = await store.specimens.changedSince(created.marker);
        expect(later.marker).toBeGreaterThan(created.marker);
        const byId = new Map(later.changes.map((x) => [x.id, x.revision]));
        expect(byId.size).toBe(later.changes.length);
        expect(Object.fromEntries(byId)).toMatchObject({ [a!.id]: 2, [b!.id]: null, [c!.id]: 1 });
        // Ids listed again (an adapter may repeat recent ones) still carry the current state.
        for (const [id, revision] of byId) expect((await store.specimens.get(id))?.revision ?? null).toBe(revision);
        expect((await store.specimens.changedSince(later.marker)).changes.every((x) => byId.has(x.id))).toBe(true);
      });

      it('prunes change history past what it keeps, and tells a reader further behind to reload instead of missing a deletion', async () => {
        const history = { kept: 24, pruneEvery: 4 };
        const short = await open({ changeHistory: history });
        try {
          const [a, b, c] = fixtureSpecimens();
          await short.specimens.create(a!);
          await short.specimens.create(b!);
          await short.specimens.create(c!);
          const old = (await short.specimens.changedSince(-1)).marker;
          await short.specimens.delete(b!.id);
          expect(await short.specimens.changedSince(old)).toMatchObject({ reset: false, changes: expect.arrayContaining([{ id: b!.id, revision: null }]) });

          // Enough writes that the deletion of b falls out of the kept history.
          let revision = 1;
          for (let i = 0; i < history.kept + 2 * history.pruneEvery; i++, revision++) await short.specimens.replace(a!.id, revision, { ...a!, revision: revision + 1 });
          const behind = await short.specimens.changedSince(old);
          expect(behind).toEqual({ marker: expect.any(Number), reset: true, changes: [] });
          expect(behind.marker).toBeGreaterThan(old);

          // A reader within the kept history is still told of a deletion.
          const recent = (await short.specimens.changedSince(-1)).marker;
          await short.specimens.delete(c!.id);
          const listed = await short.specimens.changedSince(recent);
          expect(listed.reset).toBe(false);
          expect(listed.changes).toEqual(expect.arrayContaining([{ id: c!.id, revision: null }]));
          expect(listed.changes.find((x) => x.id === a!.id)?.revision ?? revision).toBe(revision);
        } finally {
          await short.close();
        }
      });

      it('keeps search, facets and object keys in step with writes', async () => {
        const [a, b] = fixtureSpecimens();
        await store.specimens.create(a!);
        await store.specimens.create(b!);
        expect(ids(await store.specimens.search({ q: 'polycarbonate' }))).toEqual([a!.id]);

        await store.specimens.replace(a!.id, 1, { ...a!, revision: 2, description: 'Paper page.', status: 'specimen', captures: [] });
        const after = await store.specimens.search({});
        expect(ids(await store.specimens.search({ q: 'polycarbonate' }))).toEqual([]);
        expect(counts(after, 'status')).toEqual({ genuine: 1, specimen: 1 });
        expect(counts(after, 'lightSource')).toEqual({ white: 1, 'uv-365': 1 });
        const keys: string[] = [];
        for await (const k of store.specimens.referencedObjectKeys()) keys.push(k);
        expect(keys).toEqual(objectKeysOf([b!]));

        await store.specimens.delete(b!.id);
        const last = await store.specimens.search({});
        expect(ids(last)).toEqual([a!.id]);
        expect(counts(last, 'issuingState')).toEqual({ UTO: 1 });
        const remaining: string[] = [];
        for await (const k of store.specimens.referencedObjectKeys()) remaining.push(k);
        expect(remaining).toEqual([]);
      });

      it('finds the specimens that reference an object key, in id order, and forgets them as they let go', async () => {
        const [a, b, c] = fixtureSpecimens();
        const shared = a!.captures[0]!.images[0]!;
        // b re-uses a's first image (identical bytes are one object), c holds none of it.
        const bShares: Specimen = {
          ...b!,
          captures: [{ ...b!.captures[0]!, images: [...b!.captures[0]!.images.filter((i) => i.lightSource !== shared.lightSource), shared] }],
        };
        for (const s of [a!, bShares, c!]) await store.specimens.create(s);
        const original = objectKeys.original(shared.sha256);
        const both = [a!.id, b!.id].sort();
        expect(await store.specimens.referencingSpecimens(original)).toEqual(both);
        expect(await store.specimens.referencingSpecimens(shared.derivatives.thumbnail)).toEqual(both);
        expect(await store.specimens.referencingSpecimens(original, 1)).toEqual(both.slice(0, 1));
        expect(await store.specimens.referencingSpecimens(original, 0)).toEqual([]);
        expect(await store.specimens.referencingSpecimens(objectKeys.original('f'.repeat(64)))).toEqual([]);
        // A key is matched whole, never as a prefix.
        expect(await store.specimens.referencingSpecimens(original.slice(0, -1))).toEqual([]);

        await store.specimens.replace(a!.id, 1, { ...a!, revision: 2, captures: [] });
        expect(await store.specimens.referencingSpecimens(original)).toEqual([b!.id]);
        await store.specimens.delete(b!.id);
        expect(await store.specimens.referencingSpecimens(original)).toEqual([]);
      });

      it('lists ids in id order and every referenced object key once, in key order', async () => {
        const all = fixtureSpecimens();
        for (const s of all) await store.specimens.create(s);
        const listed: string[] = [];
        for await (const id of store.specimens.ids()) listed.push(id);
        expect(listed).toEqual(all.map((s) => s.id).sort());

        const keys: string[] = [];
        for await (const k of store.specimens.referencedObjectKeys()) keys.push(k);
        expect(keys).toEqual(objectKeysOf(all));
        expect(keys).toContain(objectKeys.derivative('1'.padStart(64, '0'), 'tiles.dzi'));
      });
    });

    describe('search on the fixture library', () => {
      let store: CatalogStore;
      const all = fixtureSpecimens();
      const year = currentYear();
      beforeAll(async () => {
        store = await open();
        for (const s of all) await store.specimens.create(s);
      });
      afterAll(async () => {
        await store.close();
      });
      const search = (q: SpecimenQuery) => store.specimens.search(q);

      it('returns everything by last update, ties by id, with every facet counted', async () => {
        const page = await search({});
        expect(page.total).toBe(13);
        expect(page.nextCursor).toBeNull();
        expect(ids(page)).toEqual([
          'uto-p-2019', 'uto-p-2009', 'uto-id-2021', 'fraud-photo-sub', 'uto-rp-old', 'stolen-blank-uto', 'impostor-uto',
          'fraud-altered', 'fantasy-world', 'counterfeit-guilloche', 'gbr-visa-2015', 'fra-id-2021', 'd-pass-2017',
        ]);
        expect(page.facets.issuingState).toEqual([
          { value: 'UTO', count: 9 }, { value: 'D', count: 1 }, { value: 'FRA', count: 1 }, { value: 'GBR', count: 1 }, { value: 'XXA', count: 1 },
        ]);
        expect(counts(page, 'documentCategory')).toEqual({ passport: 8, 'id-card': 2, visa: 1, 'residence-permit': 1, 'travel-document': 1 });
        expect(counts(page, 'documentCode')).toEqual({ P: 8, I: 1, ID: 1, IR: 1, V: 1 });
        expect(counts(page, 'status')).toEqual({ genuine: 6, forgery: 2, counterfeit: 1, fantasy: 1, impostor: 1, specimen: 1, 'stolen-blank': 1 });
        expect(counts(page, 'forgeryMethod')).toEqual({ 'data-alteration': 1, 'mrz-alteration': 1, 'photo-substitution': 1 });
        expect(counts(page, 'featureType')).toEqual({
          mrz: 5, photo: 4, kinegram: 2, 'uv-fluorescent-ink': 1, watermark: 1, intaglio: 1, mli: 1, 'ghost-image': 1,
          laminate: 1, 'date-of-birth': 1, guilloche: 1, 'laser-perforation': 1, ovd: 1,
        });
        expect(counts(page, 'lightSource')).toEqual({ white: 9, 'uv-365': 7, 'ir-870': 4, 'uv-254': 2, 'white-oblique': 1 });
        expect(counts(page, 'classification')).toEqual({ public: 7, restricted: 4, confidential: 2 });
        expect(page.facets.tags).toEqual([
          { value: 'demo', count: 7 }, { value: 'epassport', count: 2 }, { value: 'eu', count: 2 }, { value: 'polycarbonate', count: 2 },
          { value: 'fantasy', count: 1 }, { value: 'lookalike', count: 1 }, { value: 'offset-print', count: 1 }, { value: 'photo-sub', count: 1 },
          { value: 'stolen', count: 1 },
        ]);
        const years = counts(page, 'year');
        expect(years['2005']).toBe(1);
        expect(years['2009']).toBe(1);
        expect(years['2019']).toBe(4);
        expect(years['2021']).toBe(5);
        expect(years[String(year)]).toBe(5);
        expect(years['2004']).toBeUndefined();
        expect(page.facets).toEqual(searchOracle(all, {}, year).facets);
      });

      it.each<[string, SpecimenQuery, string[]]>([
        ['issuing states (OR)', { issuingState: ['D', 'FRA'] }, ['fra-id-2021', 'd-pass-2017']],
        ['category', { documentCategory: ['id-card'] }, ['uto-id-2021', 'fra-id-2021']],
        ['document code, exactly', { documentCode: ['I'] }, ['uto-id-2021']],
        ['status', { status: ['forgery', 'impostor'] }, ['fraud-photo-sub', 'impostor-uto', 'fraud-altered']],
        ['forgery method', { forgeryMethod: ['mrz-alteration'] }, ['fraud-altered']],
        ['feature type on any capture', { featureType: ['kinegram'] }, ['uto-p-2019', 'd-pass-2017']],
        ['light source on any capture', { lightSource: ['uv-254'] }, ['uto-id-2021', 'd-pass-2017']],
        ['classification', { classification: ['confidential'] }, ['fraud-photo-sub', 'impostor-uto']],
        ['tags (AND)', { tags: ['demo', 'epassport'] }, ['uto-p-2019']],
        ['an unknown tag', { tags: ['demo', 'no-such-tag'] }, []],
        ['years overlapping a range', { yearFrom: 2010, yearTo: 2012 }, ['uto-p-2009']],
        ['years from (open ranges run to this year)', { yearFrom: 2020 }, ['uto-p-2019', 'uto-id-2021', 'stolen-blank-uto', 'gbr-visa-2015', 'fra-id-2021', 'd-pass-2017']],
        ['years up to (a lone `to` is one year)', { yearTo: 2005 }, ['uto-rp-old']],
        ['imitates', { imitates: 'uto-p-2019' }, ['fraud-photo-sub', 'impostor-uto', 'fraud-altered']],
        ['filters combined', { status: ['genuine'], issuingState: ['UTO'] }, ['uto-p-2019', 'uto-p-2009', 'uto-rp-old']],
        ['an unknown value', { issuingState: ['ZZZ'] }, []],
      ])('filters by %s', async (_label, q, expected) => {
        const page = await search(q);
        expect(ids(page)).toEqual(expected);
        expect(page.total).toBe(expected.length);
        expect(page.facets).toEqual(searchOracle(all, q, year).facets);
      });

      it('counts each facet without its own filter (disjunctive), tags with theirs (conjunctive)', async () => {
        const page = await search({ status: ['genuine'], issuingState: ['UTO'] });
        expect(counts(page, 'status')).toEqual({ genuine: 3, forgery: 2, specimen: 1, counterfeit: 1, impostor: 1, 'stolen-blank': 1 });
        expect(counts(page, 'issuingState')).toEqual({ UTO: 3, D: 1, FRA: 1, GBR: 1 });
        expect(counts(page, 'documentCategory')).toEqual({ passport: 2, 'residence-permit': 1 });

        const byYear = await search({ yearFrom: 2020 });
        expect(counts(byYear, 'year')['2009']).toBe(1);
        expect(counts(byYear, 'status')).toEqual({ genuine: 4, specimen: 1, 'stolen-blank': 1 });

        const tagged = await search({ tags: ['demo'] });
        expect(counts(tagged, 'tags')).toEqual({ demo: 7, epassport: 1, polycarbonate: 1, 'photo-sub': 1, 'offset-print': 1, stolen: 1 });
      });

      it.each<[string, string, string[]]>([
        ['a word prefix', 'utop', ['uto-p-2019', 'uto-p-2009', 'uto-id-2021', 'fraud-photo-sub', 'uto-rp-old', 'stolen-blank-uto', 'impostor-uto', 'fraud-altered', 'counterfeit-guilloche']],
        ['not a word infix', 'topia', []],
        ['every word (AND) across fields', 'UTOPIA 2019', ['uto-p-2019', 'stolen-blank-uto']],
        ['case and accents folded', 'EBENE', ['fraud-photo-sub']],
        ['accents in the query folded', 'Überprüfung', ['d-pass-2017']],
        ['accented words by prefix', 'ident', ['uto-id-2021', 'fra-id-2021']],
        ['an unbalanced quote', '"foo', ['fraud-photo-sub']],
        ['FTS column syntax as plain words', 'title:utopia', ['fraud-photo-sub']],
        ['NEAR syntax as a plain word', 'NEAR(kinegram', []],
        ['notes', 'hinweis', ['d-pass-2017']],
        ['series', '2017', ['d-pass-2017']],
      ])('text: %s', async (_label, q, expected) => {
        const page = await search({ q });
        expect(ids(page)).toEqual(expected);
        expect(page.facets).toEqual(searchOracle(all, { q }, year).facets);
      });

      it.each(['AND', 'OR', 'NOT', '*', '"', '(', ')', '-', '^', ':', 'a*b', '""', "'", '\\', '{title}', 'a AND OR b', '   ', 'NEAR(a b, 2)', '🙂'])(
        'text %j never fails and matches as words',
        async (q) => {
          const page = await search({ q });
          expect(ids(page).sort()).toEqual(searchOracle(all, { q }, year).ids.sort());
        },
      );

      it('refuses search text that is too long or has too many words', async () => {
        await expectError(search({ q: 'a'.repeat(1001) }), 'BAD_REQUEST');
        await expectError(search({ q: Array.from({ length: 17 }, (_, i) => `w${i}`).join(' ') }), 'BAD_REQUEST');
      });

      it('ranks by relevance: title matches first, then the most recently updated', async () => {
        expect(ids(await search({ q: 'kinegram', sort: 'relevance' }))).toEqual(['gbr-visa-2015', 'uto-p-2019', 'd-pass-2017']);
        expect(ids(await search({ q: 'kinegram' }))).toEqual(['uto-p-2019', 'gbr-visa-2015', 'd-pass-2017']);
        // Without text, relevance is the default order.
        expect(ids(await search({ sort: 'relevance' }))).toEqual(ids(await search({})));
      });

      it.each(SORTS.map((s) => [s]))('sorts by %s with the id as tie-break, across pages', async (sort) => {
        const q: SpecimenQuery = { sort, limit: 4, ...(sort === 'relevance' ? { q: 'utopia passport' } : {}) };
        const { ids: got } = await allPages(store, q);
        expect(got).toEqual(searchOracle(all, q, year).ids);
      });

      it('sorts titles by their folded words', async () => {
        const page = await search({ sort: 'title', limit: 5 });
        expect(ids(page)).toEqual(['fraud-altered', 'counterfeit-guilloche', 'fra-id-2021', 'd-pass-2017', 'impostor-uto']);
        const byState = await search({ sort: '-issuingState', limit: 3 });
        expect(ids(byState)).toEqual(['fantasy-world', 'uto-rp-old', 'uto-p-2019']);
      });

      it('refuses bad cursors, limits, sorts and year ranges', async () => {
        const first = await search({ limit: 2 });
        expect(first.nextCursor).not.toBeNull();
        await expectError(search({ limit: 2, cursor: 'not a cursor!' }), 'BAD_REQUEST');
        await expectError(search({ limit: 2, cursor: Buffer.from('{"nope":1}').toString('base64url') }), 'BAD_REQUEST');
        await expectError(search({ limit: 2, cursor: Buffer.from('[1,2').toString('base64url') }), 'BAD_REQUEST');
        await expectError(search({ limit: 2, sort: 'title', cursor: first.nextCursor! }), 'BAD_REQUEST');
        await expectError(search({ limit: 2, status: ['genuine'], cursor: first.nextCursor! }), 'BAD_REQUEST');
        // The same query with another page size may go on from the cursor.
        expect((await search({ limit: 3, cursor: first.nextCursor! })).items[0]!.id).toBe('uto-id-2021');
        for (const limit of [0, 201, 1.5]) await expectError(search({ limit }), 'BAD_REQUEST');
        await expectError(search({ sort: 'colour' as SpecimenSort }), 'BAD_REQUEST');
        await expectError(search({ yearFrom: 2020, yearTo: 2010 }), 'BAD_REQUEST');
        await expectError(search({ status: 'genuine' as unknown as string[] }), 'BAD_REQUEST');
      });
    });

    describe('search on a synthetic library', () => {
      let store: CatalogStore;
      const all = syntheticSpecimens(options.syntheticLibrary ?? 300, 7);
      const year = currentYear();
      beforeAll(async () => {
        store = await open();
        for (const s of all) await store.specimens.create(s);
      });
      afterAll(async () => {
        await store.close();
      });

      const queries: [string, SpecimenQuery][] = [
        ['everything', {}],
        ['one facet', { status: ['genuine'] }],
        ['two facets', { documentCategory: ['passport', 'id-card'], lightSource: ['uv-365'] }],
        ['features and classification', { featureType: ['hologram', 'mrz', 'photo'], classification: ['public', 'restricted'] }],
        ['tags', { tags: ['demo'] }],
        ['years', { yearFrom: 2005, yearTo: 2010 }],
        ['text', { q: 'passport' }],
        ['text prefix', { q: 'la' }],
        ['text and filters', { q: 'pass', status: ['genuine', 'forgery'], issuingState: ['UTO', 'D', 'FRA'] }],
        ['forgery methods', { forgeryMethod: ['photo-substitution', 'data-alteration'] }],
      ];

      it.each(queries)('agrees with the oracle on ids, total and facets: %s', async (_label, q) => {
        const expected = searchOracle(all, q, year);
        const page = await store.specimens.search({ ...q, limit: 200 });
        expect(page.total).toBe(expected.ids.length);
        expect(ids(page)).toEqual(expected.ids.slice(0, 200));
        expect(page.facets).toEqual(expected.facets);
      });

      it.each(
        SORTS.flatMap((sort): [SpecimenSort, string, SpecimenQuery][] => [
          [sort, 'everything', {}],
          [sort, 'text and filters', { q: 'pass', status: ['genuine', 'forgery'] }],
        ]),
      )(
        'pages through every result once in %s order (%s)',
        async (sort, _label, base) => {
          const q: SpecimenQuery = { ...base, sort, limit: 7 };
          const { ids: got, pages } = await allPages(store, q);
          expect(new Set(got).size).toBe(got.length);
          expect(got).toEqual(searchOracle(all, q, year).ids);
          for (const p of pages) expect(p.total).toBe(got.length);
        },
      );

      it('continues a cursor after writes without repeating or skipping the unchanged results', async () => {
        const q: SpecimenQuery = { sort: 'title', limit: 25 };
        const first = await store.specimens.search(q);
        const seen = ids(first);
        // A new specimen sorting before the cursor, and one after it.
        const [early, late] = syntheticSpecimens(2, 99, 'late');
        await store.specimens.create({ ...early!, title: 'AAA first of all' });
        await store.specimens.create({ ...late!, title: 'Zzz last of all' });
        try {
          let cursor = first.nextCursor;
          while (cursor) {
            const page = await store.specimens.search({ ...q, cursor });
            seen.push(...ids(page));
            cursor = page.nextCursor;
          }
          expect(new Set(seen).size).toBe(seen.length);
          expect(seen.filter((id) => id.startsWith('syn')).sort()).toEqual(all.map((s) => s.id).sort());
          expect(seen).toContain(late!.id);
          expect(seen).not.toContain(early!.id);
        } finally {
          await store.specimens.delete(early!.id);
          await store.specimens.delete(late!.id);
        }
      });
    });

    describe('jobs', () => {
      let store: CatalogStore;
      beforeEach(async () => {
        store = await open();
      });
      afterEach(async () => {
        await store.close();
      });

      it('enqueues, reads back and refuses duplicates and bad ids', async () => {
        const job = await store.jobs.enqueue({ id: 'job-000001', kind: 'compare', payload: { reference: 'abc', lights: ['white'] } });
        expect(job).toMatchObject({ id: 'job-000001', kind: 'compare', status: 'queued', priority: 0, attempts: 0, maxAttempts: 3, result: null, error: null });
        expect(await store.jobs.get('job-000001')).toEqual(job);
        expect(await store.jobs.get('job-missing')).toBeNull();
        await expectError(store.jobs.enqueue({ id: 'job-000001', kind: 'compare', payload: {} }), 'CONFLICT');
        await expectError(store.jobs.enqueue({ id: '../etc', kind: 'compare', payload: {} }), 'BAD_REQUEST');
      });

      it('claims by priority, then age, only the kinds asked for', async () => {
        for (const [id, priority, kind] of [['job-a0001', 0, 'compare'], ['job-b0005', 5, 'compare'], ['job-c0000', 0, 'identify'], ['job-d0005', 5, 'compare']] as const) {
          await store.jobs.enqueue({ id, kind, payload: null, priority });
          await sleep(2);
        }
        const order: (string | undefined)[] = [];
        for (let i = 0; i < 3; i++) order.push((await store.jobs.claim('w1', 60_000, ['compare']))?.id);
        expect(order).toEqual(['job-b0005', 'job-d0005', 'job-a0001']);
        expect(await store.jobs.claim('w1', 60_000, ['compare'])).toBeNull();
        const other = await store.jobs.claim('w2', 60_000);
        expect(other).toMatchObject({ id: 'job-c0000', status: 'running', workerId: 'w2', attempts: 1 });
        expect(Date.parse(other!.leaseExpiresAt!)).toBeGreaterThan(Date.now());
        expect(await store.jobs.claim('w2', 60_000)).toBeNull();
      });

      it('records progress and completion only for the lease holder', async () => {
        await store.jobs.enqueue({ id: 'job-progress', kind: 'compare', payload: {} });
        const claimed = (await store.jobs.claim('w1', 60_000))!;
        const beat = await store.jobs.heartbeat('job-progress', 'w1', { fraction: 0.5, stage: 'align' });
        expect(beat.progress).toEqual({ fraction: 0.5, stage: 'align' });
        expect(Date.parse(beat.leaseExpiresAt!)).toBeGreaterThanOrEqual(Date.parse(claimed.leaseExpiresAt!));
        await expectError(store.jobs.heartbeat('job-progress', 'w2', { fraction: 0.6, stage: 'align' }), 'CONFLICT', { reason: 'LEASE_LOST', status: 'running' });
        await expectError(store.jobs.heartbeat('job-progress', 'w1', { fraction: 2, stage: 'align' }), 'BAD_REQUEST');
        await expectError(store.jobs.heartbeat('job-missing', 'w1', { fraction: 0.1, stage: 'x' }), 'JOB_NOT_FOUND');
        await expectError(store.jobs.complete('job-progress', 'w2', {}), 'CONFLICT');
        const done = await store.jobs.complete('job-progress', 'w1', { regions: [{ x: 1, y: 2, width: 3, height: 4, score: 0.9 }] });
        expect(done).toMatchObject({ status: 'done', result: { regions: [{ x: 1, y: 2, width: 3, height: 4, score: 0.9 }] }, leaseExpiresAt: null });
        expect(done.finishedAt).not.toBeNull();
        await expectError(store.jobs.heartbeat('job-progress', 'w1', { fraction: 1, stage: 'x' }), 'CONFLICT', { reason: 'LEASE_LOST', status: 'done' });
        await expectError(store.jobs.fail('job-progress', 'w1', { code: 'X', message: 'late' }), 'CONFLICT');
        expect((await store.jobs.get('job-progress'))!.status).toBe('done');
      });

      it('fails a job with a coded error', async () => {
        await store.jobs.enqueue({ id: 'job-failing', kind: 'compare', payload: {} });
        await store.jobs.claim('w1', 60_000);
        const failed = await store.jobs.fail('job-failing', 'w1', { code: 'ALIGNMENT_FAILED', message: 'too few inliers' });
        expect(failed).toMatchObject({ status: 'failed', error: { code: 'ALIGNMENT_FAILED', message: 'too few inliers' } });
        expect(await store.jobs.claim('w1', 60_000)).toBeNull();
      });

      it('cancels queued and running jobs; the running worker loses its lease', async () => {
        await store.jobs.enqueue({ id: 'job-cancel-q', kind: 'compare', payload: {} });
        await store.jobs.enqueue({ id: 'job-cancel-r', kind: 'compare', payload: {}, priority: 1 });
        expect((await store.jobs.claim('w1', 60_000))!.id).toBe('job-cancel-r');
        expect((await store.jobs.cancel('job-cancel-q')).status).toBe('cancelled');
        expect((await store.jobs.cancel('job-cancel-r')).status).toBe('cancelled');
        await expectError(store.jobs.heartbeat('job-cancel-r', 'w1', { fraction: 0.2, stage: 'diff' }), 'CONFLICT', { reason: 'LEASE_LOST', status: 'cancelled' });
        expect(await store.jobs.claim('w2', 60_000)).toBeNull();
        await store.jobs.enqueue({ id: 'job-cancel-d', kind: 'compare', payload: {} });
        await store.jobs.claim('w1', 60_000);
        await store.jobs.complete('job-cancel-d', 'w1', null);
        expect((await store.jobs.cancel('job-cancel-d')).status).toBe('done');
        await expectError(store.jobs.cancel('job-missing'), 'JOB_NOT_FOUND');
      });

      it('gives an expired lease to another worker, and fails a job that expired on every attempt', async () => {
        await store.jobs.enqueue({ id: 'job-expiring', kind: 'compare', payload: {}, maxAttempts: 2 });
        await store.jobs.claim('w1', 1);
        await sleep(15);
        const retaken = await store.jobs.claim('w2', 1);
        expect(retaken).toMatchObject({ id: 'job-expiring', workerId: 'w2', attempts: 2 });
        await expectError(store.jobs.heartbeat('job-expiring', 'w1', { fraction: 0.1, stage: 'x' }), 'CONFLICT', { reason: 'LEASE_LOST' });
        await sleep(15);
        // Not run a third time; failed by failExhausted, which hands it over once, to one caller, for what it held to be let go.
        expect(await store.jobs.claim('w3', 60_000)).toBeNull();
        expect(await store.jobs.failExhausted(['other-kind'])).toEqual([]);
        const [failed, again] = await Promise.all([store.jobs.failExhausted(['compare']), store.jobs.failExhausted()]);
        expect([...failed, ...again]).toEqual([expect.objectContaining({ id: 'job-expiring', status: 'failed', error: { code: 'LEASE_EXPIRED', message: expect.any(String) }, attempts: 2 })]);
        expect(await store.jobs.get('job-expiring')).toMatchObject({ status: 'failed', error: { code: 'LEASE_EXPIRED' }, attempts: 2, leaseExpiresAt: null });
        expect(await store.jobs.failExhausted()).toEqual([]);
        expect(await store.jobs.claim('w3', 60_000)).toBeNull();
      });

      it('lets a worker finish after its lease expired as long as nobody took the job over', async () => {
        await store.jobs.enqueue({ id: 'job-slow-ok', kind: 'compare', payload: {} });
        await store.jobs.claim('w1', 1);
        await sleep(15);
        expect((await store.jobs.heartbeat('job-slow-ok', 'w1', { fraction: 0.9, stage: 'x' })).status).toBe('running');
        expect((await store.jobs.complete('job-slow-ok', 'w1', 'ok')).result).toBe('ok');
      });

      it('never gives one job to two concurrent claimers', async () => {
        for (let i = 0; i < 20; i++) await store.jobs.enqueue({ id: `job-race-${String(i).padStart(2, '0')}`, kind: 'compare', payload: i });
        const claims = await Promise.all(Array.from({ length: 40 }, (_, i) => store.jobs.claim(`w${i}`, 60_000)));
        const got = claims.filter((j) => j !== null).map((j) => j!.id);
        expect(got).toHaveLength(20);
        expect(new Set(got).size).toBe(20);
      });

      it('lists jobs newest first, by status and kind', async () => {
        await store.jobs.enqueue({ id: 'job-list-1', kind: 'compare', payload: {} });
        await sleep(2);
        await store.jobs.enqueue({ id: 'job-list-2', kind: 'identify', payload: {} });
        await sleep(2);
        await store.jobs.enqueue({ id: 'job-list-3', kind: 'compare', payload: {} });
        await store.jobs.claim('w1', 60_000, ['identify']);
        expect((await store.jobs.list()).map((j) => j.id)).toEqual(['job-list-3', 'job-list-2', 'job-list-1']);
        expect((await store.jobs.list({ status: 'queued' })).map((j) => j.id)).toEqual(['job-list-3', 'job-list-1']);
        expect((await store.jobs.list({ kind: 'compare', limit: 1 })).map((j) => j.id)).toEqual(['job-list-3']);
        expect((await store.jobs.list({ status: 'running', kind: 'identify' })).map((j) => j.id)).toEqual(['job-list-2']);
        await expectError(store.jobs.list({ limit: 0 }), 'BAD_REQUEST');
      });

      it('pages a listing after the last job of the previous page, without repeats or gaps, however many are enqueued meanwhile', async () => {
        const ids = async (q: JobListQuery) => (await store.jobs.list(q)).map((j) => j.id);
        /** Every page of `q`, `size` at a time; `between` runs after each page. */
        const paged = async (q: JobListQuery, size: number, between?: (page: number) => Promise<void>) => {
          const pages: string[][] = [];
          for (let after: string | undefined; ; ) {
            const page = await ids({ ...q, limit: size, ...(after !== undefined && { after }) });
            if (page.length === 0) return pages;
            pages.push(page);
            if (pages.length > 40) throw new Error(`paging ${JSON.stringify(q)} does not end`);
            after = page[page.length - 1];
            await between?.(pages.length);
          }
        };
        // Enqueued back to back, so several share a creation time: the order must still be total.
        for (let i = 0; i < 11; i++) {
          await store.jobs.enqueue({ id: `job-page-${String(i).padStart(2, '0')}`, kind: i % 3 === 0 ? 'identify' : 'compare', payload: {}, createdBy: i % 2 ? 'alice' : 'bob', inputs: [`questioned/${i % 4}`] });
        }
        const everything = await ids({ limit: 100 });
        expect(everything).toHaveLength(11);
        for (const size of [1, 3, 4, 11]) expect((await paged({}, size)).flat()).toEqual(everything);
        expect((await paged({}, 4)).map((p) => p.length)).toEqual([4, 4, 3]);

        // Each filter pages along its own listing.
        for (const q of [{ createdBy: 'alice' }, { kind: 'compare' }, { input: 'questioned/1' }, { input: 'questioned/0', createdBy: 'bob' }, { createdBy: 'bob', kind: 'compare' }] satisfies JobListQuery[]) {
          const whole = await ids({ ...q, limit: 100 });
          expect(whole.length).toBeGreaterThan(1);
          expect((await paged(q, 1)).flat()).toEqual(whole);
          expect((await paged(q, 2)).flat()).toEqual(whole);
        }

        // A status filter pages on even when the job named by `after` has since left that status.
        const queued = await ids({ status: 'queued', limit: 3 });
        const claimed = (await store.jobs.claim('w1', 60_000))!;
        await store.jobs.complete(claimed.id, 'w1', null);
        const rest = await ids({ status: 'queued', limit: 100, after: queued[2]! });
        expect(rest).toEqual(everything.slice(3).filter((id) => id !== claimed.id));

        // Jobs enqueued while paging come before the first page: later pages neither repeat nor skip one.
        let added = 0;
        const whileEnqueuing = await paged({}, 3, async () => {
          await sleep(2);
          await store.jobs.enqueue({ id: `job-late-${added++}`, kind: 'compare', payload: {}, createdBy: 'alice' });
        });
        expect(whileEnqueuing.flat()).toEqual(everything);
        expect(await ids({ limit: 100 })).toEqual([...Array.from({ length: added }, (_, i) => `job-late-${added - 1 - i}`), ...everything]);

        await expectError(store.jobs.list({ after: 'job-never-was' }), 'BAD_REQUEST');
        await expectError(store.jobs.list({ after: '../not an id' }), 'BAD_REQUEST');
        await expectError(store.jobs.list({ after: '' }), 'BAD_REQUEST');
      });

      it('finds jobs by the words of their search text (prefixes, case and accents folded), newest first, paged without repeats or gaps', async () => {
        const ids = async (q: JobListQuery) => (await store.jobs.list(q)).map((j) => j.id);
        const texts = [
          ['Passeport français saisi au poste Nord', 'IMG_2041.jpg'],
          ['Permis de conduire — Fälschung?', 'scan-0007.png'],
          ['Passport 2019 series B', 'photo.JPG'],
          ['ÉTAT CIVIL card', 'seized.jpg'],
          ['passport photo page (2019)', 'IMG_2042.jpeg'],
        ];
        // Search text as each job of a busy queue might have it: several jobs per text, submitters and inputs mixed.
        const jobs: { id: string; words: string[]; createdBy: string; input: string }[] = [];
        for (let i = 0; i < 15; i++) {
          const id = `job-text-${String(i).padStart(2, '0')}`;
          const searchText = [...texts[i % texts.length]!, id];
          const createdBy = i % 2 ? 'alice' : 'bob';
          const input = `questioned/${i % 3}`;
          await store.jobs.enqueue({ id, kind: 'comparison', payload: {}, createdBy, inputs: [input], searchText });
          jobs.push({ id, words: searchText.flatMap((t) => tokenize(t)), createdBy, input });
        }
        // Not indexed: found by no text until it is given some.
        await store.jobs.enqueue({ id: 'job-text-bare', kind: 'comparison', payload: {}, createdBy: 'alice' });
        const newestFirst = [...jobs].reverse();
        /** The oracle: every query word starts a word of the job's text. */
        const expected = (q: string, only: (j: (typeof jobs)[number]) => boolean = () => true) =>
          newestFirst.filter((j) => only(j) && tokenize(q).every((t) => j.words.some((w) => w.startsWith(t)))).map((j) => j.id);

        for (const q of ['pass', 'PASSPORT 2019', 'francais', 'FRANÇ', 'fals', 'falschung', 'etat', 'img 2041', 'IMG_20', 'img_2042.jpeg', 'photo', 'job-text-1', 'job text 07', 'nord passport', 'zzz', 'é']) {
          expect({ q, ids: await ids({ q, limit: 100 }) }).toEqual({ q, ids: expected(q) });
        }
        expect(await ids({ q: 'passeport', limit: 100 })).toEqual(['job-text-10', 'job-text-05', 'job-text-00']);
        // Text without words is no condition.
        expect(await ids({ q: ' -- ', limit: 100 })).toEqual(['job-text-bare', ...newestFirst.map((j) => j.id)]);
        // With the other filters.
        expect(await ids({ q: 'pass', createdBy: 'alice', limit: 100 })).toEqual(expected('pass', (j) => j.createdBy === 'alice'));
        expect(await ids({ q: 'pass', input: 'questioned/1', limit: 100 })).toEqual(expected('pass', (j) => j.input === 'questioned/1'));
        expect(await ids({ q: 'pass', input: 'questioned/2', createdBy: 'bob', kind: 'comparison', limit: 100 })).toEqual(expected('pass', (j) => j.input === 'questioned/2' && j.createdBy === 'bob'));
        expect(await ids({ q: 'pass', kind: 'other', limit: 100 })).toEqual([]);

        // Pages of a search neither repeat nor skip a job, whatever their size, while other jobs are enqueued and claimed.
        const whole = expected('pass');
        expect(whole.length).toBeGreaterThan(4);
        for (const size of [1, 2, 4]) {
          const listed = await ids({ q: 'pass', limit: 1000 });
          expect(listed.slice(-whole.length)).toEqual(whole);
          const seen: string[] = [];
          for (let after: string | undefined, n = 0; ; n++) {
            const page = await ids({ q: 'pass', limit: size, ...(after !== undefined && { after }) });
            if (page.length === 0) break;
            expect(n).toBeLessThan(20);
            seen.push(...page);
            after = page[page.length - 1];
            await store.jobs.enqueue({ id: `job-late-${size}-${n}`, kind: 'comparison', payload: {}, searchText: ['Passport arriving meanwhile'] });
          }
          expect(seen).toEqual(listed);
        }
        // A page may start after a job that does not match (the cursor of an unfiltered listing).
        expect(await ids({ q: 'pass', after: 'job-text-09', limit: 100 })).toEqual(whole.filter((id) => id < 'job-text-09'));

        // Words stay through transitions.
        const claimed = (await store.jobs.claim('w1', 60_000))!;
        await store.jobs.complete(claimed.id, 'w1', null);
        expect(claimed.id).toBe('job-text-00');
        expect(await ids({ q: 'passeport', status: 'done' })).toEqual(['job-text-00']);
        expect(await ids({ q: 'passeport', limit: 100 })).toEqual(['job-text-10', 'job-text-05', 'job-text-00']);

        // A job enqueued without search text is listed as unindexed until it is given some; adding more keeps what it had.
        expect(await ids({ unindexed: true, kind: 'comparison' })).toEqual(['job-text-bare']);
        expect(await ids({ q: 'bare' })).toEqual([]);
        await store.jobs.addSearchText('job-text-bare', ['Carte d’identité', 'bare.tif']);
        await store.jobs.addSearchText('job-text-bare', ['Carte d’identité', 'Auto-chosen reference']);
        expect(await ids({ unindexed: true })).toEqual([]);
        for (const q of ['identite', 'bare tif', 'auto chosen', 'carte ref']) expect({ q, ids: await ids({ q }) }).toEqual({ q, ids: ['job-text-bare'] });
        await store.jobs.addSearchText('job-text-03', ['Now also known as Zebra']);
        expect(await ids({ q: 'zebra' })).toEqual(['job-text-03']);
        expect(await ids({ q: 'etat zeb' })).toEqual(['job-text-03']);

        await expectError(store.jobs.addSearchText('job-missing', ['x']), 'JOB_NOT_FOUND');
        await expectError(store.jobs.list({ q: 'x'.repeat(201) }), 'BAD_REQUEST');
        await expectError(store.jobs.list({ q: Array.from({ length: 17 }, (_, i) => `w${i}`).join(' ') }), 'BAD_REQUEST');
        await expectError(store.jobs.list({ q: 7 as unknown as string }), 'BAD_REQUEST');
        await expectError(store.jobs.enqueue({ id: 'job-bad-text', kind: 'comparison', payload: {}, searchText: 'not a list' as unknown as string[] }), 'BAD_REQUEST');
        expect(await store.jobs.get('job-bad-text')).toBeNull();
      });

      it("lists a submitter's jobs, and the jobs reading an object, however many others came since", async () => {
        const ids = async (q: JobListQuery) => (await store.jobs.list(q)).map((j) => j.id);
        const old = await store.jobs.enqueue({ id: 'job-own-old', kind: 'compare', payload: {}, createdBy: 'alice', inputs: ['questioned/b', 'questioned/a', 'questioned/b'] });
        expect(old).toMatchObject({ createdBy: 'alice', inputs: ['questioned/a', 'questioned/b'] });
        expect(await store.jobs.get('job-own-old')).toEqual(old);
        await sleep(2);
        for (let i = 0; i < 12; i++) await store.jobs.enqueue({ id: `job-others-${String(i).padStart(2, '0')}`, kind: 'compare', payload: {}, createdBy: 'bob', inputs: [`questioned/${i}`] });
        await sleep(2);
        expect(await store.jobs.enqueue({ id: 'job-anonymous', kind: 'compare', payload: {} })).toMatchObject({ createdBy: null, inputs: [] });
        await sleep(2);
        await store.jobs.enqueue({ id: 'job-own-new', kind: 'identify', payload: {}, createdBy: 'alice', inputs: ['questioned/a'] });

        expect(await ids({ limit: 10 })).not.toContain('job-own-old');
        expect(await ids({ createdBy: 'alice' })).toEqual(['job-own-new', 'job-own-old']);
        expect(await ids({ createdBy: 'alice', limit: 1 })).toEqual(['job-own-new']);
        expect(await ids({ createdBy: 'alice', kind: 'compare' })).toEqual(['job-own-old']);
        expect(await ids({ createdBy: 'carol' })).toEqual([]);
        expect(await ids({ input: 'questioned/a' })).toEqual(['job-own-new', 'job-own-old']);
        expect(await ids({ input: 'questioned/b' })).toEqual(['job-own-old']);
        expect(await ids({ input: 'questioned/3' })).toEqual(['job-others-03']);
        expect(await ids({ input: 'questioned/3', createdBy: 'alice' })).toEqual([]);
        expect(await ids({ input: 'questioned/a', createdBy: 'alice', kind: 'compare' })).toEqual(['job-own-old']);

        // Transitions keep them.
        expect(await store.jobs.claim('w1', 60_000, ['identify'])).toMatchObject({ id: 'job-own-new', createdBy: 'alice', inputs: ['questioned/a'] });
        expect(await ids({ createdBy: 'alice', status: 'queued' })).toEqual(['job-own-old']);
        expect(await ids({ input: 'questioned/a', createdBy: 'alice', status: 'running' })).toEqual(['job-own-new']);
        expect(await store.jobs.complete('job-own-new', 'w1', null)).toMatchObject({ createdBy: 'alice', inputs: ['questioned/a'] });
        expect(await ids({ createdBy: 'alice', status: 'done' })).toEqual(['job-own-new']);

        await expectError(store.jobs.list({ createdBy: '' }), 'BAD_REQUEST');
        await expectError(store.jobs.list({ input: '' }), 'BAD_REQUEST');
        await expectError(store.jobs.enqueue({ id: 'job-bad-owner', kind: 'compare', payload: {}, createdBy: '' }), 'BAD_REQUEST');
        await expectError(store.jobs.enqueue({ id: 'job-bad-input', kind: 'compare', payload: {}, inputs: ['questioned/a', ''] }), 'BAD_REQUEST');
        await expectError(store.jobs.enqueue({ id: 'job-bad-inputs', kind: 'compare', payload: {}, inputs: 'questioned/a' as unknown as string[] }), 'BAD_REQUEST');
        expect(await store.jobs.get('job-bad-input')).toBeNull();
      });
    });
  });
}
