/**
 * Vote keypoints in shared memory: what a worker reads in place must be the
 * descriptors put in, through later additions, removals and compaction, and
 * the pool's vote over them (real worker threads, the compiled worker in
 * dist/: run `npx tsc -b image-pipeline` first) must count the same votes as
 * voting on keypoints sent by copy.
 */
import sharp from 'sharp';
import { describeImage, strongestKeypoints, type KeypointSet } from './ops/descriptor';
import { descriptorWords, verifyCandidates, voteCounts } from './ops/identify';
import { createPipelinePool } from './pool';
import { SharedVoteKeypoints, type VoteSelection } from './shared-votes';
import { UTOPIA_ID_CARD_2021_FRONT, UTOPIA_PASSPORT_2019, UTOPIA_RESIDENCE_PERMIT_2020_FRONT } from './synth/designs';
import type { DocumentDesign } from './synth/designs';
import { HOLDERS } from './synth/holders';
import { simulatePhoto } from './synth/photo';
import { renderDocument } from './synth/render';

jest.setTimeout(240_000);

/** Deterministic pseudo-random keypoints (only the descriptors matter to the store). */
function randomKeypoints(count: number, seed: number): KeypointSet {
  let x = seed >>> 0 || 1;
  const descriptors = new Uint8Array(count * 32);
  for (let i = 0; i < descriptors.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    descriptors[i] = x & 0xff;
  }
  return { count, width: 100, height: 100, scaleX: 1, scaleY: 1, xy: new Float32Array(2 * count), descriptors };
}

/** The words a worker reads for candidate `i` of a selection. */
function wordsOf(selection: VoteSelection, i: number): Int32Array {
  const [segment, offset, count] = [selection.entries[3 * i]!, selection.entries[3 * i + 1]!, selection.entries[3 * i + 2]!];
  return count === 0 ? new Int32Array(0) : new Int32Array(selection.segments[segment]!, offset * 4, count * 8);
}

describe('SharedVoteKeypoints', () => {
  it('reads back every set exactly, through removals and compaction, and never rewrites memory an earlier selection reads', () => {
    const store = new SharedVoteKeypoints();
    const sets = new Map<string, KeypointSet>();
    for (let i = 0; i < 900; i++) {
      const k = randomKeypoints(300, i + 1);
      sets.set(`k${i}`, k);
      store.set(`k${i}`, k);
    }
    const early = store.select(['k0', 'k450', 'k899']);
    const earlyCopies = [0, 1, 2].map((i) => new Int32Array(wordsOf(early, i)));
    expect(earlyCopies.map((w) => [...w])).toEqual(['k0', 'k450', 'k899'].map((k) => [...descriptorWords(sets.get(k)!)]));
    const bytesBefore = store.bytes;

    // Most leave: the store compacts into fresh segments; then more arrive.
    for (let i = 0; i < 800; i++) {
      store.delete(`k${i}`);
      sets.delete(`k${i}`);
    }
    expect(store.bytes).toBeLessThan(bytesBefore / 2);
    for (let i = 900; i < 1000; i++) {
      const k = randomKeypoints(i % 7 === 0 ? 120 : 300, i + 1);
      sets.set(`k${i}`, k);
      store.set(`k${i}`, k);
    }
    store.set('missing', null);
    expect(store.has('missing')).toBe(true);

    const keys = [...sets.keys(), 'missing', 'never-set'];
    const now = store.select(keys);
    keys.forEach((key, i) => expect([...wordsOf(now, i)]).toEqual(sets.has(key) ? [...descriptorWords(sets.get(key)!)] : []));
    // What an earlier task was given is untouched.
    expect([0, 1, 2].map((i) => [...wordsOf(early, i)])).toEqual(earlyCopies.map((w) => [...w]));
    expect(store.size).toBe(sets.size + 1);
  });
});

describe('votes over shared memory in the pool', () => {
  it('count the same votes as voting on copied keypoints, for the document shown most', async () => {
    const grey = async (png: Buffer) => {
      const { data, info } = await sharp(png).greyscale().raw().toBuffer({ resolveWithObject: true });
      return { data: new Uint8Array(data), width: info.width, height: info.height };
    };
    const render = async (design: DocumentDesign, holder: (typeof HOLDERS)[keyof typeof HOLDERS]) =>
      (await renderDocument({ ...design, dpi: 150 }, holder, 'white', { format: 'png', noiseSeed: 1 })).image;
    const passportPng = await render(UTOPIA_PASSPORT_2019, HOLDERS.passportA);
    const catalogue: [string, KeypointSet][] = [
      ['passport', (await describeImage(await grey(passportPng))).keypoints],
      ['card', (await describeImage(await grey(await render(UTOPIA_ID_CARD_2021_FRONT, HOLDERS.idCard)))).keypoints],
      ['permit', (await describeImage(await grey(await render(UTOPIA_RESIDENCE_PERMIT_2020_FRONT, HOLDERS.idCard)))).keypoints],
    ];
    const photo = (await describeImage(await grey((await simulatePhoto(passportPng, { seed: 11, maxTiltDeg: 30, scale: [0.35, 0.45] })).image))).keypoints;

    const store = new SharedVoteKeypoints();
    for (const [key, k] of catalogue) store.set(key, strongestKeypoints(k, 300));
    store.set('damaged', null);
    const keys = ['card', 'damaged', 'passport', 'permit'];
    const copied = await verifyCandidates(
      photo,
      catalogue.map(([key, k]) => ({ key, keypoints: strongestKeypoints(k, 300) })),
      { geometry: false },
    );
    const expected = keys.map((key) => copied.find((v) => v.key === key)?.matches ?? 0);
    expect(expected[2]).toBeGreaterThan(2 * Math.max(1, expected[0]!, expected[3]!));

    const pool = createPipelinePool({ threads: 1, maxQueue: 4, taskTimeoutMs: 60_000 });
    try {
      expect([...voteCounts(await pool.identifyVotes(photo, store.select(keys)))]).toEqual(expected);
      // A stricter distance counts fewer.
      const strict = voteCounts(await pool.identifyVotes(photo, store.select(keys), { voteMaxDistance: 20 }));
      expect(strict[2]).toBeLessThan(expected[2]!);
      // An entry outside the segments is refused, not read.
      const bad = store.select(['passport']);
      bad.entries[1] = 1 << 28;
      await expect(pool.identifyVotes(photo, bad)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    } finally {
      await pool.close();
    }
  });
});
