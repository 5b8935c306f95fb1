/**
 * The in-memory identification index against a real catalogue (SQLite file,
 * object folder, descriptors computed at ingest by OpenCV in the worker pool):
 * it follows creates, new captures, changes and deletes made through the
 * services, and filters by classification, issuing state and document code.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { AppContext } from '../context';
import { DESCRIPTOR_METHOD } from '@exemplar/image-pipeline';
import { SqliteCatalogStore } from '../stores/catalog.sqlite';
import { makeTestImage, MINIMAL_SPECIMEN, openTestContext } from '../test-helpers';
import { LOCAL_ACTOR } from './actor';
import { IdentifyIndex, indexedSimilarity, type IndexFilter } from './identify-index';

jest.setTimeout(300_000);

let context: AppContext;
let dataDir: string;
let catalogFile: string;
let seed = 0;

const ALL: IndexFilter = { classifications: ['public', 'restricted', 'confidential'] };

async function specimenWithImage(extra: Record<string, unknown> = {}, lightSource = 'white') {
  const s = await context.services.specimens.create({ ...MINIMAL_SPECIMEN, ...extra }, LOCAL_ACTOR);
  const file = path.join(dataDir, `image-${++seed}.jpg`);
  await fs.writeFile(file, await makeTestImage({ seed, width: 720, height: 460 }));
  const capture = await context.services.ingest.addCapture(s.id, { page: 'data-page' }, [{ lightSource, path: file }], LOCAL_ACTOR);
  return { id: s.id, captureId: capture.id };
}

const ids = (index: IdentifyIndex, filter: IndexFilter = ALL) => [...index.candidates(filter)].map((s) => s.id).sort();

beforeAll(async () => {
  let config;
  ({ context, dataDir, config } = await openTestContext());
  if (config.catalog.kind !== 'sqlite') throw new Error('these tests run on the embedded catalog');
  catalogFile = config.catalog.path;
});

afterAll(async () => {
  await context?.close();
});

it('indexes the descriptors of catalogued images and follows later creates, changes and deletes', async () => {
  const a = await specimenWithImage();
  const withoutImages = await context.services.specimens.create({ ...MINIMAL_SPECIMEN, title: 'no images yet' }, LOCAL_ACTOR);
  const index = new IdentifyIndex(context.catalog);
  await index.refresh();
  expect(ids(index)).toEqual([a.id]);
  const [entry] = [...index.candidates(ALL)];
  expect(entry!.images).toHaveLength(1);
  expect(entry!.images[0]).toMatchObject({ specimenId: a.id, captureId: a.captureId, lightSource: 'white', page: 'data-page' });
  // The decoded descriptor is the stored one: it is most similar to itself.
  expect(indexedSimilarity(entry!.images[0]!.descriptor, entry!.images[0]!.norm, entry!.images[0]!)).toBeCloseTo(1, 6);

  // A capture added to a specimen the index already holds.
  const file = path.join(dataDir, 'later.jpg');
  await fs.writeFile(file, await makeTestImage({ seed: 99, width: 720, height: 460 }));
  await context.services.ingest.addCapture(withoutImages.id, { page: 'data-page' }, [{ lightSource: 'white', path: file }], LOCAL_ACTOR);
  const b = await specimenWithImage({ issuingState: 'ALB', documentCode: 'I' });
  await index.refresh();
  expect(ids(index)).toEqual([a.id, b.id, withoutImages.id].sort());

  // A change of classification is seen at the next refresh.
  const current = await context.services.specimens.get(a.id, LOCAL_ACTOR);
  await context.services.specimens.patch(a.id, { revision: current.revision, classification: 'confidential' }, LOCAL_ACTOR);
  await index.refresh();
  expect(ids(index, { classifications: ['public'] })).toEqual([b.id, withoutImages.id].sort());
  expect(ids(index, { classifications: ['confidential'] })).toEqual([a.id]);

  // A delete, and a delete with a create in the same interval (the count alone would not change).
  await context.services.specimens.delete(withoutImages.id, undefined, LOCAL_ACTOR);
  await index.refresh();
  expect(ids(index)).toEqual([a.id, b.id].sort());
  await context.services.specimens.delete(a.id, undefined, LOCAL_ACTOR);
  const c = await specimenWithImage();
  await index.refresh();
  expect(ids(index)).toEqual([b.id, c.id].sort());
});

it('narrows by issuing state and document code (the MRZ code or its first letter)', async () => {
  const index = new IdentifyIndex(context.catalog);
  const resident = await specimenWithImage({ issuingState: 'XXA', documentCategory: 'residence-permit', documentCode: 'IR' });
  const card = await specimenWithImage({ issuingState: 'XXA', documentCategory: 'id-card', documentCode: 'I' });
  await specimenWithImage({ issuingState: 'XXA', documentCategory: 'passport', documentCode: 'P' });
  await index.refresh();
  expect(ids(index, { ...ALL, issuingState: 'XXA', documentCode: 'IR' })).toEqual([resident.id, card.id].sort());
  expect(ids(index, { ...ALL, issuingState: 'XXA', documentCode: 'ID' })).toEqual([card.id]);
  expect(ids(index, { ...ALL, issuingState: 'UTO', documentCode: 'IR' })).toEqual([]);
  expect(ids(index, { classifications: [] })).toEqual([]);
});

it('leaves out images without an identification descriptor (lights identification does not use)', async () => {
  const index = new IdentifyIndex(context.catalog);
  const uv = await specimenWithImage({ issuingState: 'FIN' }, 'uv-365');
  await index.refresh();
  expect(ids(index, { ...ALL, issuingState: 'FIN' })).toEqual([]);
  expect(ids(index)).not.toContain(uv.id);
});

it('sees the writes and deletions of another process sharing the catalog, and only descriptors of the current method', async () => {
  const index = new IdentifyIndex(context.catalog);
  const a = await specimenWithImage({ issuingState: 'ISL' });
  const b = await specimenWithImage({ issuingState: 'ISL' });
  await index.refresh();
  const isl = { ...ALL, issuingState: 'ISL' };
  expect(ids(index, isl)).toEqual([a.id, b.id].sort());

  // Another process: its own connection to the same file, writing straight to the catalog.
  const other = new SqliteCatalogStore({ file: catalogFile });
  await other.init();
  try {
    const s = (await other.specimens.get(a.id))!;
    const image = s.captures[0]!.images[0]!;
    const old = { ...s, revision: s.revision + 1, captures: [{ ...s.captures[0]!, images: [{ ...image, identification: { ...image.identification!, method: 'orb-lsh-v1' as const } }] }] };
    expect(image.identification!.method).toBe(DESCRIPTOR_METHOD);
    await other.specimens.replace(a.id, s.revision, old);
    await other.specimens.delete(b.id);
  } finally {
    await other.close();
  }
  await index.refresh();
  // a's only image is of another method version: no candidate; b is gone.
  expect(ids(index, isl)).toEqual([]);
  expect(index.size).toBeGreaterThan(0);
});

it('rebuilds when a deletion it has not seen was pruned from the change history, and so never keeps a deleted specimen', async () => {
  const index = new IdentifyIndex(context.catalog);
  const kept = await specimenWithImage({ issuingState: 'NZL' });
  const gone = await specimenWithImage({ issuingState: 'NZL' });
  await index.refresh();
  const nzl = { ...ALL, issuingState: 'NZL' };
  expect(ids(index, nzl)).toEqual([kept.id, gone.id].sort());

  // Another process keeping a short history deletes one, then writes enough that the deletion is pruned.
  const history = { kept: 8, pruneEvery: 2 };
  const other = new SqliteCatalogStore({ file: catalogFile, changeHistory: history });
  await other.init();
  try {
    await other.specimens.delete(gone.id);
    let s = (await other.specimens.get(kept.id))!;
    for (let i = 0; i < history.kept + 2 * history.pruneEvery; i++) s = await other.specimens.replace(s.id, s.revision, { ...s, revision: s.revision + 1 });
    expect((await other.specimens.changedSince(0)).reset).toBe(true);
  } finally {
    await other.close();
  }
  await index.refresh();
  expect(ids(index, nzl)).toEqual([kept.id]);
});
