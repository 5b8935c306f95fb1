import sharp from 'sharp';
import { loadOpenCv } from '../cv/opencv';
import { UTOPIA_ID_CARD_2021_FRONT, UTOPIA_PASSPORT_2019 } from '../synth/designs';
import { HOLDERS } from '../synth/holders';
import { simulatePhoto } from '../synth/photo';
import { renderDocument } from '../synth/render';
import { robustHomography } from './align-homography';
import { matchMutualRatio } from './align-match';
import type { GreyImage } from './align-types';
import { describeImage, strongestKeypoints, type KeypointSet } from './descriptor';
import { descriptorWords, verifyCandidates, voteCounts, voteSets, weightedVotes, type VoteSets } from './identify';

jest.setTimeout(120_000);

async function grey(image: Buffer): Promise<GreyImage> {
  const { data, info } = await sharp(image).greyscale().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height };
}

/** Every pair compared: what the hashed matcher approximates. */
async function bruteForceInliers(questioned: KeypointSet, reference: KeypointSet): Promise<number> {
  const features = (k: KeypointSet) => ({ count: k.count, xy: Float64Array.from(k.xy), response: new Float32Array(k.count), descriptors: new Int32Array(Uint8Array.from(k.descriptors).buffer), words: 8 });
  const ref = features(reference);
  const qry = features(questioned);
  const m = matchMutualRatio(ref, qry);
  const src: number[] = [];
  const dst: number[] = [];
  for (let i = 0; i < m.count; i++) {
    src.push(ref.xy[2 * m.reference[i]!]!, ref.xy[2 * m.reference[i]! + 1]!);
    dst.push(qry.xy[2 * m.questioned[i]!]!, qry.xy[2 * m.questioned[i]! + 1]!);
  }
  return (await robustHomography(await loadOpenCv(), src, dst, m.count, 3, 'magsac'))?.inliers ?? 0;
}

describe('candidate verification and votes', () => {
  let passport: KeypointSet;
  let card: KeypointSet;
  let photo: KeypointSet;

  beforeAll(async () => {
    const passportPng = (await renderDocument({ ...UTOPIA_PASSPORT_2019, dpi: 150 }, HOLDERS.passportA, 'white', { format: 'png', noiseSeed: 1 })).image;
    const cardPng = (await renderDocument({ ...UTOPIA_ID_CARD_2021_FRONT, dpi: 150 }, HOLDERS.idCard, 'white', { format: 'png', noiseSeed: 1 })).image;
    passport = (await describeImage(await grey(passportPng))).keypoints;
    card = (await describeImage(await grey(cardPng))).keypoints;
    // Small and tilted on a textured table: the case the votes are for.
    photo = (await describeImage(await grey((await simulatePhoto(passportPng, { seed: 11, maxTiltDeg: 30, scale: [0.35, 0.45] })).image))).keypoints;
  });

  it('finds about as many inliers as comparing every pair, and is deterministic', async () => {
    const candidates = [
      { key: 'passport', keypoints: passport },
      { key: 'card', keypoints: card },
    ];
    const [same, other] = await verifyCandidates(photo, candidates);
    expect(same).toMatchObject({ key: 'passport', verified: true });
    expect(other).toMatchObject({ key: 'card', verified: false });
    expect(same!.inliers).toBeGreaterThanOrEqual(0.8 * (await bruteForceInliers(photo, passport)));
    expect(await verifyCandidates(photo, candidates)).toEqual([same, other]);
  });

  it('votes with a few hundred keypoints for the document shown, fitting nothing', async () => {
    const voters = [
      { key: 'card', keypoints: strongestKeypoints(card, 300) },
      { key: 'passport', keypoints: strongestKeypoints(passport, 300) },
    ];
    const [forCard, forPassport] = await verifyCandidates(photo, voters, { geometry: false });
    expect(forPassport).toMatchObject({ key: 'passport', verified: false, inliers: 0, keypoints: 300 });
    // The card shares the issuer's captions and fonts, so it gets some votes too.
    expect(forPassport!.matches).toBeGreaterThan(2 * Math.max(1, forCard!.matches));
    // A stricter distance counts fewer votes: only close matches count.
    const [, strict] = await verifyCandidates(photo, voters, { geometry: false, voteMaxDistance: 20 });
    expect(strict!.matches).toBeLessThan(forPassport!.matches);
    // Voting on descriptor words read in place counts the same.
    const words = voters.map((v) => ({ words: descriptorWords(v.keypoints), count: v.keypoints.count }));
    expect([...voteCounts(voteSets(photo, words))]).toEqual([forCard!.matches, forPassport!.matches]);
    expect([...voteCounts(voteSets(photo, words, 20))]).toEqual([expect.any(Number), strict!.matches]);
    // The voters themselves: questioned keypoints, each voting at most once for a candidate.
    const sets = voteSets(photo, words);
    for (let i = 0; i < 2; i++) {
      const voters = [...sets.voters.subarray(sets.offsets[i]!, sets.offsets[i + 1]!)];
      expect(new Set(voters).size).toBe(voters.length);
      expect(voters.every((q) => q >= 0 && q < photo.count)).toBe(true);
    }
  });
});

describe('weightedVotes', () => {
  const sets = (...voters: number[][]): VoteSets => {
    const offsets = new Int32Array(voters.length + 1);
    voters.forEach((v, i) => (offsets[i + 1] = offsets[i]! + v.length));
    return { offsets, voters: Int32Array.from(voters.flat()) };
  };

  it('weighs a vote by how few candidates the questioned keypoint votes for', () => {
    // Keypoints 0–3 vote for the first two candidates, keypoint 0 for the third too (shared captions);
    // keypoints 4 and 5 only for the third.
    const generic = [0, 1, 2, 3];
    const votes = sets(generic, generic, [0, 4, 5]);
    // Counted plainly, the third would rank last.
    expect([...voteCounts(votes)]).toEqual([4, 4, 3]);
    const weighted = weightedVotes([votes], 6);
    expect(weighted[0]).toBeCloseTo(3 * Math.log(3 / 2));
    expect(weighted[1]).toBeCloseTo(weighted[0]!);
    expect(weighted[2]).toBeCloseTo(2 * Math.log(3));
    expect(weighted[2]).toBeGreaterThan(weighted[0]!);
  });

  it('gives the same weights whatever the split of the candidates into parts', () => {
    const all = [[0, 3], [1], [0, 1, 2], [], [3, 4]];
    const whole = weightedVotes([sets(...all)], 5);
    const split = weightedVotes([sets(...all.slice(0, 2)), sets(...all.slice(2))], 5);
    expect([...split]).toEqual([...whole]);
    expect(whole[3]).toBe(0);
  });
});
