import sharp from 'sharp';
import { UTOPIA_ID_CARD_2021_FRONT, UTOPIA_PASSPORT_2019 } from '../synth/designs';
import { HOLDERS, type Holder } from '../synth/holders';
import { renderDocument } from '../synth/render';
import type { GreyImage } from './align-types';
import { decodeKeypoints, DESCRIBE_LONG_EDGE, describeImage, descriptorSimilarity, encodeKeypoints, GLOBAL_DESCRIPTOR_LENGTH, globalDescriptor } from './descriptor';
import { verifyCandidates } from './identify';

jest.setTimeout(120_000);

async function grey(png: Buffer, rotate = 0): Promise<GreyImage> {
  const { data, info } = await sharp(png).rotate(rotate, { background: '#404040' }).greyscale().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height };
}

describe('identification descriptors', () => {
  let passport: Buffer;
  let passportAgain: Buffer;
  let card: Buffer;

  beforeAll(async () => {
    const render = (design: typeof UTOPIA_PASSPORT_2019, holder: Holder, seed: number) =>
      renderDocument({ ...design, dpi: 150 }, holder, 'white', { format: 'png', noiseSeed: seed }).then((r) => r.image);
    passport = await render(UTOPIA_PASSPORT_2019, HOLDERS.passportA, 1);
    passportAgain = await render(UTOPIA_PASSPORT_2019, HOLDERS.passportA, 2);
    card = await render(UTOPIA_ID_CARD_2021_FRONT, HOLDERS.idCard, 1);
  });

  it('serialises keypoints losslessly and refuses damaged data', async () => {
    const d = await describeImage(await grey(passport));
    expect(d.keypoints.count).toBeGreaterThan(500);
    const bytes = encodeKeypoints(d.keypoints);
    const back = decodeKeypoints(bytes);
    expect(back.count).toBe(d.keypoints.count);
    expect(Array.from(back.xy)).toEqual(Array.from(d.keypoints.xy));
    expect(Buffer.from(back.descriptors).equals(Buffer.from(d.keypoints.descriptors))).toBe(true);
    expect(back.scaleX).toBeCloseTo(d.keypoints.scaleX, 6);
    expect(() => decodeKeypoints(bytes.subarray(0, bytes.length - 1))).toThrow(RangeError);
    expect(() => decodeKeypoints(new Uint8Array(64))).toThrow(RangeError);
  });

  it('is deterministic, and closer between two captures of one document than between two documents', async () => {
    const a = await describeImage(await grey(passport));
    const a2 = await describeImage(await grey(passport));
    expect(Buffer.from(a.global).equals(Buffer.from(a2.global))).toBe(true);
    expect(a.global).toHaveLength(GLOBAL_DESCRIPTOR_LENGTH);
    const again = await describeImage(await grey(passportAgain, 7));
    const other = await describeImage(await grey(card));
    expect(descriptorSimilarity(a.global, again.global)).toBeGreaterThan(descriptorSimilarity(a.global, other.global));
    expect(descriptorSimilarity(a.global, globalDescriptor(new Uint8Array(0), 0))).toBe(0);
  });

  it('verifies the same document under rotation geometrically, and not another document', async () => {
    const reference = await describeImage(await grey(passport));
    const card1 = await describeImage(await grey(card));
    const questioned = await describeImage(await grey(passportAgain, 7));
    const [same, other] = await verifyCandidates(questioned.keypoints, [
      { key: 'passport', keypoints: reference.keypoints },
      { key: 'card', keypoints: card1.keypoints },
    ]);
    expect(same).toMatchObject({ key: 'passport', verified: true });
    expect(same!.inliers).toBeGreaterThan(50);
    expect(same!.coverage).toBeGreaterThan(0.2);
    expect(other).toMatchObject({ key: 'card', verified: false });
  });

  it('describes a small image at the working size, so a document seen small still verifies against its full-size reference', async () => {
    const reference = await describeImage(await grey(passport));
    const small = await grey(await sharp(passportAgain).resize({ width: 360 }).png().toBuffer(), 5);
    const d = await describeImage(small);
    expect(Math.max(d.keypoints.width, d.keypoints.height)).toBe(DESCRIBE_LONG_EDGE);
    expect(d.keypoints.scaleX).toBeCloseTo(d.keypoints.width / small.width, 6);
    expect(d.keypoints.count).toBeGreaterThan(500);
    const [verdict] = await verifyCandidates(d.keypoints, [{ key: 'passport', keypoints: reference.keypoints }]);
    expect(verdict).toMatchObject({ verified: true });
  });
});
