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
import { descriptorWords, verifyCandidates, voteCandidates } from './identify';

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
    expect([...voteCandidates(photo, words)]).toEqual([forCard!.matches, forPassport!.matches]);
    expect([...voteCandidates(photo, words, 20)]).toEqual([expect.any(Number), strict!.matches]);
  });
});
