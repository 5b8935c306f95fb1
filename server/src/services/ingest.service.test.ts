/**
 * IngestService and the object clean-up of SpecimenService on real stores
 * (SQLite file, object folder) with real images: de-duplication, rollback of
 * exactly what a failed ingest created, and no lost objects when an ingest
 * and a delete share bytes.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Specimen } from '@exemplar/specimens-schema';
import type { AppContext } from '../context';
import { ExemplarError } from '../errors';
import { objectKeys } from '../stores/objects.port';
import { listObjectKeys, makeTestImage, MINIMAL_SPECIMEN, openTestContext, sha256 } from '../test-helpers';
import { LOCAL_ACTOR } from './actor';
import { KeyLocks } from './common';

let context: AppContext;
let dataDir: string;
let filesDir: string;

beforeAll(async () => {
  ({ context, dataDir } = await openTestContext());
  filesDir = await fs.mkdtemp(path.join(dataDir, 'files-'));
});
afterAll(async () => {
  await context.close();
  await fs.rm(dataDir, { recursive: true, force: true });
});

async function writeImage(name: string, seed: number, size = { width: 500, height: 320 }): Promise<{ path: string; sha: string }> {
  const data = await makeTestImage({ ...size, seed });
  const file = path.join(filesDir, name);
  await fs.writeFile(file, data);
  return { path: file, sha: sha256(data) };
}

const newSpecimen = (title: string) => context.services.specimens.create({ ...MINIMAL_SPECIMEN, title }, LOCAL_ACTOR);
const keysOf = (sha: string, all: string[]) => all.filter((k) => k.includes(sha));

describe('IngestService', () => {
  it('stores identical bytes once and removes them only when the last record lets go', async () => {
    const { ingest, specimens } = context.services;
    const white = await writeImage('shared.jpg', 1);
    const a = await newSpecimen('First holder of the shared image');
    const b = await newSpecimen('Second holder of the shared image');

    await ingest.addCapture(a.id, { page: 'front' }, [{ lightSource: 'white', path: white.path }], LOCAL_ACTOR);
    const afterFirst = await listObjectKeys(context);
    const shared = keysOf(white.sha, afterFirst);
    expect(shared).toEqual(expect.arrayContaining([objectKeys.original(white.sha), objectKeys.derivative(white.sha, 'thumbnail.webp')]));

    const capture = await ingest.addCapture(b.id, { page: 'back' }, [{ lightSource: 'uv-365', path: white.path }], LOCAL_ACTOR);
    expect(capture.images[0]?.derivatives.thumbnail).toBe(objectKeys.derivative(white.sha, 'thumbnail.webp'));
    expect(await listObjectKeys(context)).toEqual(afterFirst);

    await specimens.delete(a.id, undefined, LOCAL_ACTOR);
    expect(keysOf(white.sha, await listObjectKeys(context))).toEqual(shared);
    await specimens.delete(b.id, undefined, LOCAL_ACTOR);
    expect(keysOf(white.sha, await listObjectKeys(context))).toEqual([]);
  });

  it('after a failure part way, removes exactly the objects it created and leaves the record unchanged', async () => {
    const { ingest, specimens } = context.services;
    const existing = await writeImage('existing.jpg', 2);
    const fresh = await writeImage('fresh.jpg', 3);
    const holder = await newSpecimen('Holds the pre-existing image');
    await ingest.addCapture(holder.id, { page: 'front' }, [{ lightSource: 'white', path: existing.path }], LOCAL_ACTOR);
    const target = await newSpecimen('Target of the failing ingest');

    const before = await listObjectKeys(context);
    let calls = 0;
    const replace = jest.spyOn(context.catalog.specimens, 'replace').mockRejectedValueOnce(new Error('disk full (injected)'));
    try {
      await expect(
        ingest.addCapture(
          target.id,
          { page: 'data-page' },
          [
            { lightSource: 'white', path: existing.path },
            { lightSource: 'ir-870', path: fresh.path },
          ],
          LOCAL_ACTOR,
        ),
      ).rejects.toThrow('disk full (injected)');
    } finally {
      calls = replace.mock.calls.length;
      replace.mockRestore();
    }
    expect(calls).toBe(1);
    const after = await listObjectKeys(context);
    expect(after).toEqual(before);
    expect(keysOf(existing.sha, after).length).toBeGreaterThan(0);
    expect(keysOf(fresh.sha, after)).toEqual([]);
    expect(await specimens.get(target.id, LOCAL_ACTOR)).toEqual(target);
    expect((await specimens.get(holder.id, LOCAL_ACTOR)).captures).toHaveLength(1);
  });

  it('refuses a capture with one truncated image (422) and leaves no object and no scratch file, though its other images decode alongside', async () => {
    const { ingest, specimens } = context.services;
    const good = await writeImage('whole.jpg', 30, { width: 2600, height: 1800 });
    const whole = await makeTestImage({ width: 2600, height: 1800, seed: 31 });
    const cut = path.join(filesDir, 'cut.jpg');
    await fs.writeFile(cut, whole.subarray(0, Math.floor(whole.length * 0.6)));
    const target = await newSpecimen('Refuses a truncated image');
    const before = await listObjectKeys(context);

    const err: unknown = await ingest
      .addCapture(
        target.id,
        { page: 'data-page' },
        [
          { lightSource: 'white', path: good.path },
          { lightSource: 'ir-870', path: cut },
        ],
        LOCAL_ACTOR,
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExemplarError);
    expect(err).toMatchObject({ code: 'IMAGE_CORRUPT', details: { lightSource: 'ir-870' } });
    expect(await listObjectKeys(context)).toEqual(before);
    expect(await fs.readdir(context.config.tmpDir)).toEqual([]);
    expect(await specimens.get(target.id, LOCAL_ACTOR)).toEqual(target);
    expect(sha256(await fs.readFile(good.path))).toBe(good.sha);
  });

  it('when one image fails to store while others store in parallel, removes everything the call created once all have stopped', async () => {
    const { ingest, specimens } = context.services;
    // Large enough for a tile pyramid, so many puts run at once.
    const images = await Promise.all([40, 41, 42].map((seed) => writeImage(`parallel-${seed}.jpg`, seed, { width: 3000, height: 2100 })));
    const failing = images[1] as { sha: string };
    const target = await newSpecimen('Target of a failing parallel store');
    const before = await listObjectKeys(context);
    const realPut = context.objects.put.bind(context.objects);
    const put = jest.spyOn(context.objects, 'put').mockImplementation(async (key, body, options) => {
      if (key === objectKeys.derivative(failing.sha, 'preview.jpg')) {
        // Let the sibling images get further along before the failure surfaces.
        await new Promise((resolve) => setTimeout(resolve, 50));
        throw new Error('object store unavailable (injected)');
      }
      return realPut(key, body, options);
    });
    try {
      await expect(
        ingest.addCapture(
          target.id,
          { page: 'data-page' },
          images.map((im, i) => ({ lightSource: (['white', 'uv-365', 'ir-870'] as const)[i] as string, path: im.path })),
          LOCAL_ACTOR,
        ),
      ).rejects.toThrow('object store unavailable (injected)');
      expect(put.mock.calls.some(([key]) => key === objectKeys.derivative(failing.sha, 'tiles.dzi'))).toBe(true);
    } finally {
      put.mockRestore();
    }
    expect(await listObjectKeys(context)).toEqual(before);
    expect(await specimens.get(target.id, LOCAL_ACTOR)).toEqual(target);
  });

  it('takes the same bytes under two lights of one capture: one set of objects, both images recorded with their identification', async () => {
    const { ingest } = context.services;
    const image = await writeImage('twice.jpg', 50);
    const target = await newSpecimen('Same file under two lights');
    const before = await listObjectKeys(context);
    const capture = await ingest.addCapture(
      target.id,
      { page: 'front' },
      [
        { lightSource: 'white', path: image.path },
        { lightSource: 'white-oblique', path: image.path },
      ],
      LOCAL_ACTOR,
    );
    expect(capture.images.map((i) => [i.lightSource, i.sha256])).toEqual([
      ['white', image.sha],
      ['white-oblique', image.sha],
    ]);
    expect(capture.images[0]?.derivatives).toEqual(capture.images[1]?.derivatives);
    expect(capture.images[0]?.identification).toBeDefined();
    expect(capture.images[1]?.identification).toEqual(capture.images[0]?.identification);
    const added = (await listObjectKeys(context)).filter((k) => !before.includes(k));
    expect(added).toEqual(keysOf(image.sha, added));
    expect(added).toEqual(expect.arrayContaining([objectKeys.original(image.sha), capture.images[0]?.identification?.keypoints]));
  });

  it('retries the append when another writer changed the specimen meanwhile', async () => {
    const { ingest, specimens } = context.services;
    const image = await writeImage('concurrent.jpg', 4);
    const target = await newSpecimen('Edited while an upload runs');
    const realReplace = context.catalog.specimens.replace.bind(context.catalog.specimens);
    let edited = false;
    let calls = 0;
    const replace = jest.spyOn(context.catalog.specimens, 'replace').mockImplementation(async (id, expected, next) => {
      // A PATCH lands between the ingest's read and its write.
      if (!edited && id === target.id) {
        edited = true;
        await specimens.patch(target.id, { revision: expected, notes: 'edited meanwhile' }, LOCAL_ACTOR);
      }
      return realReplace(id, expected, next);
    });
    try {
      await ingest.addCapture(target.id, { page: 'front' }, [{ lightSource: 'white', path: image.path }], LOCAL_ACTOR);
    } finally {
      calls = replace.mock.calls.length;
      replace.mockRestore();
    }
    // The ingest's first write (stale), the PATCH, the ingest's retry.
    expect(calls).toBe(3);
    const stored = await specimens.get(target.id, LOCAL_ACTOR);
    expect(edited).toBe(true);
    expect(stored.notes).toBe('edited meanwhile');
    expect(stored.captures).toHaveLength(1);
    expect(stored.revision).toBe(3);
  });

  it('never loses an object shared by an ingest and a concurrent delete', async () => {
    const { ingest, specimens } = context.services;
    for (let round = 0; round < 3; round++) {
      const image = await writeImage(`race-${round}.jpg`, 10 + round);
      const leaving = await newSpecimen(`Deleted during round ${round}`);
      await ingest.addCapture(leaving.id, { page: 'front' }, [{ lightSource: 'white', path: image.path }], LOCAL_ACTOR);
      const arriving = await newSpecimen(`Re-uses the bytes in round ${round}`);
      await Promise.all([
        specimens.delete(leaving.id, undefined, LOCAL_ACTOR),
        ingest.addCapture(arriving.id, { page: 'front' }, [{ lightSource: 'white', path: image.path }], LOCAL_ACTOR),
      ]);
      const record: Specimen = await specimens.get(arriving.id, LOCAL_ACTOR);
      const keys = await listObjectKeys(context);
      for (const im of record.captures.flatMap((c) => c.images)) {
        expect(keys).toContain(objectKeys.original(im.sha256));
        expect(keys).toContain(im.derivatives.thumbnail);
        expect(keys).toContain(im.derivatives.preview);
      }
    }
  });

  it('refuses before storing anything: bad metadata, no images, unknown or repeated light sources', async () => {
    const { ingest } = context.services;
    const image = await writeImage('refused.jpg', 20);
    const target = await newSpecimen('Refuses bad ingests');
    const before = await listObjectKeys(context);
    const attempts: Array<[unknown, Array<{ lightSource: string; path: string }>]> = [
      [{ page: 'front', colour: 'red' }, [{ lightSource: 'white', path: image.path }]],
      [{ page: 'front' }, []],
      [{ page: 'front' }, [{ lightSource: 'infrared', path: image.path }]],
      [{ page: 'front' }, [{ lightSource: 'white', path: image.path }, { lightSource: 'white', path: image.path }]],
    ];
    for (const [meta, files] of attempts) {
      const err: unknown = await ingest.addCapture(target.id, meta, files, LOCAL_ACTOR).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ExemplarError);
      expect((err as ExemplarError).code).toBe('VALIDATION_FAILED');
    }
    expect(await listObjectKeys(context)).toEqual(before);
  });

  it('keeps a plain file name of the original only', async () => {
    const image = await writeImage('named.jpg', 21);
    const target = await newSpecimen('Names of originals');
    const capture = await context.services.ingest.addCapture(
      target.id,
      { page: 'front' },
      [{ lightSource: 'white', path: image.path, originalName: '../../etc/scan\u0007 01.jpg' }],
      LOCAL_ACTOR,
    );
    expect(capture.images[0]?.originalName).toBe('scan 01.jpg');
  });
});

describe('KeyLocks', () => {
  it('serialises work on a shared key and lets other keys run', async () => {
    const locks = new KeyLocks();
    const events: string[] = [];
    let releaseFirst!: () => void;
    const first = locks.withKeys(['b', 'a'], async () => {
      events.push('first:start');
      await new Promise<void>((resolve) => (releaseFirst = resolve));
      events.push('first:end');
    });
    const second = locks.withKeys(['a'], async () => {
      events.push('second');
    });
    const other = locks.withKeys(['c'], async () => {
      events.push('other');
    });
    await other;
    await new Promise((resolve) => setImmediate(resolve));
    // `second` waits for `first`; `other` does not.
    expect([...events].sort()).toEqual(['first:start', 'other']);
    releaseFirst();
    await Promise.all([first, second]);
    expect(events.slice(2)).toEqual(['first:end', 'second']);
  });

  it('releases a key when the work fails', async () => {
    const locks = new KeyLocks();
    await expect(locks.withKeys(['k'], async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(locks.withKeys(['k'], async () => 'free')).resolves.toBe('free');
  });
});
