/**
 * storeQuestionedImages on a real object folder with real images (sharp
 * checks them): byte-exact content-addressed storage, clean-up of what a
 * failed submission created (and only that), and the shared image locks
 * between comparisons and verification requests.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Capture, Specimen } from '@exemplar/specimens-schema';
import type { AppContext } from '../context';
import { ExemplarError } from '../errors';
import { readStream } from '../read-stream';
import { objectKeys } from '../stores/objects.port';
import { makeTestImage, MINIMAL_SPECIMEN, openTestContext, sha256 } from '../test-helpers';
import { LOCAL_ACTOR } from './actor';
import { KeyLocks } from './common';
import { storeQuestionedImages, type QuestionedImagesDeps } from './questioned-images';

jest.setTimeout(120_000);

let ctx: AppContext;
let dataDir: string;
let deps: QuestionedImagesDeps;

beforeAll(async () => {
  ({ context: ctx, dataDir } = await openTestContext({ EXEMPLAR_SERVER_COMPARISONS: '0' }));
  deps = { objects: ctx.objects, ingest: ctx.services.ingest, locks: new KeyLocks() };
});

afterAll(async () => {
  await ctx.close();
  await fs.rm(dataDir, { recursive: true, force: true });
});

async function writeImage(name: string, seed: number, format: 'png' | 'jpeg' = 'png'): Promise<{ file: string; bytes: Buffer }> {
  const bytes = await makeTestImage({ width: 300, height: 200, format, seed });
  const file = path.join(dataDir, name);
  await fs.writeFile(file, bytes);
  return { file, bytes };
}

const readObject = async (key: string) => readStream(await ctx.objects.get(key));
const exists = async (key: string) => (await ctx.objects.stat(key)) !== null;

it('stores each image byte-exact under questioned/<sha256> and hands the record step what it stored', async () => {
  const white = await writeImage('w.png', 1);
  const uv = await writeImage('uv.jpg', 2, 'jpeg');
  const result = await storeQuestionedImages(
    deps,
    [
      { lightSource: 'white', path: white.file, originalName: 'scan.png' },
      { lightSource: 'uv-365', path: uv.file },
    ],
    async (stored) => stored,
  );
  expect(result).toEqual([
    { lightSource: 'white', sha256: sha256(white.bytes), key: objectKeys.questioned(sha256(white.bytes)), bytes: white.bytes.length, width: 300, height: 200, format: 'png', originalName: 'scan.png' },
    { lightSource: 'uv-365', sha256: sha256(uv.bytes), key: objectKeys.questioned(sha256(uv.bytes)), bytes: uv.bytes.length, width: 300, height: 200, format: 'jpeg' },
  ]);
  expect((await readObject(result[0]!.key)).equals(white.bytes)).toBe(true);
  expect((await readObject(result[1]!.key)).equals(uv.bytes)).toBe(true);
});

it('when the record step fails, removes what it created and keeps what was there before', async () => {
  const before = await writeImage('before.png', 3);
  const fresh = await writeImage('fresh.png', 4);
  await storeQuestionedImages(deps, [{ lightSource: 'white', path: before.file }], async () => undefined);
  const failure = new ExemplarError('INTERNAL', 'record failed');
  await expect(
    storeQuestionedImages(
      deps,
      [
        { lightSource: 'white', path: before.file },
        { lightSource: 'ir-870', path: fresh.file },
      ],
      async () => {
        throw failure;
      },
    ),
  ).rejects.toBe(failure);
  expect(await exists(objectKeys.questioned(sha256(before.bytes)))).toBe(true);
  expect(await exists(objectKeys.questioned(sha256(fresh.bytes)))).toBe(false);
});

it('refuses a file that is not an image before storing anything', async () => {
  const good = await writeImage('good.png', 5);
  const bad = path.join(dataDir, 'bad.png');
  await fs.writeFile(bad, Buffer.from('this is not an image'));
  const record = jest.fn(async () => undefined);
  await expect(
    storeQuestionedImages(
      deps,
      [
        { lightSource: 'white', path: good.file },
        { lightSource: 'uv-365', path: bad },
      ],
      record,
    ),
  ).rejects.toMatchObject({ code: 'IMAGE_UNSUPPORTED' });
  expect(record).not.toHaveBeenCalled();
  expect(await exists(objectKeys.questioned(sha256(good.bytes)))).toBe(false);
});

describe('comparisons and verification requests share the image locks', () => {
  let specimen: Specimen;
  let capture: Capture;
  beforeAll(async () => {
    const reference = await writeImage('reference.png', 6);
    specimen = await ctx.services.specimens.create({ ...MINIMAL_SPECIMEN }, LOCAL_ACTOR);
    capture = await ctx.services.ingest.addCapture(specimen.id, { page: 'data-page' }, [{ lightSource: 'white', path: reference.file }], LOCAL_ACTOR);
  });

  it("a failed verification request does not remove the object a comparison of the same bytes relies on", async () => {
    const a = await writeImage('shared-a.png', 7);
    const b = path.join(dataDir, 'shared-b.png');
    await fs.writeFile(b, a.bytes);
    const key = objectKeys.questioned(sha256(a.bytes));
    // The request fails in its record step, after storing, once the comparison had time to reach its own store step.
    const register = ctx.services.register;
    const hitsFor = register.hitsFor.bind(register);
    register.hitsFor = async () => {
      await new Promise((resolve) => setTimeout(resolve, 300));
      throw new ExemplarError('INTERNAL', 'injected register failure');
    };
    try {
      const [request, comparison] = await Promise.allSettled([
        ctx.services.verification.submit(LOCAL_ACTOR, { urgency: 'routine' }, [{ lightSource: 'white', path: a.file }]),
        ctx.services.comparisons.submitUpload({ reference: { specimenId: specimen.id, captureId: capture.id } }, [{ lightSource: 'white', path: b }], LOCAL_ACTOR),
      ]);
      expect(request.status).toBe('rejected');
      expect(comparison.status).toBe('fulfilled');
      expect((await readObject(key)).equals(a.bytes)).toBe(true);
    } finally {
      register.hitsFor = hitsFor;
    }
  });
});
