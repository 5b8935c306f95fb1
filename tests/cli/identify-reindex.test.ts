/**
 * `exemplar identify reindex` on a real catalogue (SQLite file, object
 * folder, descriptors by OpenCV in the worker pool): images whose
 * identification data is of an older method version are invisible to
 * identification until re-described; the command re-describes them, updates
 * every record using them, removes the old keypoint objects, and a second run
 * changes nothing.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { DESCRIPTOR_METHOD, HOLDERS, renderDocument, simulatePhoto, UTOPIA_ID_CARD_2021_FRONT, UTOPIA_PASSPORT_2019 } from '@exemplar/image-pipeline';
import type { Specimen } from '@exemplar/specimens-schema';
import { systemActor } from '../../server/src/services/actor';
import { GENUINE, allSpecimens, objectKeysIn, runExemplar, tempDir, withStores } from './helpers';

// Real images through sharp and the worker pool on a shared machine: slowness is not a failure.
jest.setTimeout(600_000);

const OLD_METHOD = 'orb-lsh-v1' as const;
const actor = systemActor('test');

/** Rewrites a record as an older version wrote it: its own keypoint object (a copy) and the old method name. */
async function downgrade(dataDir: string, specimenId: string): Promise<string> {
  return withStores(dataDir, async (ctx) => {
    const s = (await ctx.catalog.specimens.get(specimenId))!;
    const image = s.captures[0]!.images[0]!;
    const oldKey = image.identification!.keypoints.replace(`identify-${DESCRIPTOR_METHOD}.bin`, `identify-${OLD_METHOD}.bin`);
    const body = Buffer.concat(await (await ctx.objects.get(image.identification!.keypoints)).toArray());
    await ctx.objects.put(oldKey, body, { contentType: 'application/octet-stream', bytes: body.length });
    const old = { ...image.identification!, method: OLD_METHOD, keypoints: oldKey };
    await ctx.catalog.specimens.replace(s.id, s.revision, { ...s, revision: s.revision + 1, captures: [{ ...s.captures[0]!, images: [{ ...image, identification: old }] }] });
    return oldKey;
  });
}

describe('exemplar identify reindex', () => {
  let root: string;
  let dataDir: string;
  let photo: string;

  beforeAll(async () => {
    root = await tempDir('reindex');
    dataDir = path.join(root, 'data');
    const folder = path.join(root, 'in');
    await fs.mkdir(folder, { recursive: true });
    const passport = (await renderDocument({ ...UTOPIA_PASSPORT_2019, dpi: 150 }, HOLDERS.passportA, 'white', { format: 'png', noiseSeed: 1 })).image;
    const card = (await renderDocument({ ...UTOPIA_ID_CARD_2021_FRONT, dpi: 150 }, HOLDERS.idCard, 'white', { format: 'png', noiseSeed: 1 })).image;
    await fs.writeFile(path.join(folder, 'passport.png'), passport);
    await fs.writeFile(path.join(folder, 'card.png'), card);
    photo = path.join(root, 'photo.jpg');
    await fs.writeFile(photo, (await simulatePhoto(passport, { seed: 5 })).image);
    // Two specimens share the passport image (identical bytes are one object), a third holds the card.
    await fs.writeFile(
      path.join(folder, 'manifest.json'),
      JSON.stringify([
        { specimen: { ...GENUINE, title: 'Passport A' }, captures: [{ page: 'data-page', images: { white: 'passport.png' } }] },
        { specimen: { ...GENUINE, title: 'Passport A, second record' }, captures: [{ page: 'data-page', images: { white: 'passport.png' } }] },
        { specimen: { ...GENUINE, documentCategory: 'id-card', documentCode: 'ID', title: 'Card' }, captures: [{ page: 'front', images: { white: 'card.png' } }] },
      ]),
    );
    expect((await runExemplar(dataDir, 'import', folder)).code).toBe(0);
  });
  afterAll(() => fs.rm(root, { recursive: true, force: true }));

  const byTitle = (all: Specimen[], title: string) => all.find((s) => s.title === title)!;
  const identify = () => withStores(dataDir, (ctx) => ctx.services.identify.identifyFile(photo, { k: 3 }, actor));

  it('re-describes images of an older version, so identification finds them again, and is idempotent', async () => {
    const before = await withStores(dataDir, allSpecimens);
    const first = byTitle(before, 'Passport A');
    const second = byTitle(before, 'Passport A, second record');
    const card = byTitle(before, 'Card');
    const currentKey = first.captures[0]!.images[0]!.identification!.keypoints;
    expect(first.captures[0]!.images[0]!.identification!.method).toBe(DESCRIPTOR_METHOD);
    expect((await identify()).candidates[0]).toMatchObject({ specimenId: expect.stringMatching(new RegExp(`^(${first.id}|${second.id})$`)), verified: true });

    // An older catalogue: the card and the first passport record described by v1; the second passport
    // record already current, as a stopped run leaves it.
    const oldPassportKey = await downgrade(dataDir, first.id);
    await downgrade(dataDir, card.id);
    // The current keypoints of the passport stay: the second record names them.
    const identified = await identify();
    expect(identified.candidates.map((c) => c.specimenId)).not.toContain(first.id);
    expect(identified.candidates.map((c) => c.specimenId)).not.toContain(card.id);

    const run = await runExemplar(dataDir, 'identify', 'reindex', '--json');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ method: DESCRIPTOR_METHOD, specimens: 3, outdated: 2, redescribed: 2, recordsUpdated: 2, objectsRemoved: 2, failed: [] });

    const after = await withStores(dataDir, allSpecimens);
    for (const s of after) expect(s.captures[0]!.images[0]!.identification!.method).toBe(DESCRIPTOR_METHOD);
    expect(byTitle(after, 'Passport A').captures[0]!.images[0]!.identification!.keypoints).toBe(currentKey);
    expect(byTitle(after, 'Passport A, second record').revision).toBe(second.revision);
    const keys = await withStores(dataDir, objectKeysIn);
    expect(keys).toContain(currentKey);
    expect(keys.filter((k) => k.includes(`identify-${OLD_METHOD}`))).toEqual([]);
    expect(keys).not.toContain(oldPassportKey);
    expect((await identify()).candidates.filter((c) => c.verified).map((c) => c.specimenId).sort()).toEqual([first.id, second.id].sort());

    // Nothing left to do: no record is written again.
    const again = await runExemplar(dataDir, 'identify', 'reindex', '--json');
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ outdated: 0, redescribed: 0, recordsUpdated: 0, objectsRemoved: 0 });
    expect((await withStores(dataDir, allSpecimens)).map((s) => s.revision).sort()).toEqual(after.map((s) => s.revision).sort());
    // The library is consistent: no unreferenced objects, nothing missing.
    const verify = await runExemplar(dataDir, 'verify', '--json');
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true, unreferenced: [], missingDerivatives: [] });
  });
});
