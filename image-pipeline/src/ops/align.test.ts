/**
 * Alignment on real pixels: documents rendered by sharp, photographed
 * through OpenCV's warpPerspective (background, uneven light, noise, JPEG),
 * an Oxford pair with its published homography, a PNG/JPEG identity pair,
 * and pairs that must be refused.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { loadOpenCv, withMats } from '../cv/opencv';
import { HOLDERS, renderDocument as renderDesign, simulatePhoto, UTOPIA_PASSPORT_2019 } from '../synth';
import { alignImages, refineAlignment } from './align';
import { referenceVisibility } from './align-refine';
import type { AlignResult, GreyImage } from './align-types';
import {
  applyHomography,
  composeHomographies,
  cornerError,
  homographyFromLevel,
  homographyToLevel,
  IDENTITY,
  invertHomography,
  resampleMatrix,
} from './geometry';

const BENCHDATA = path.resolve(__dirname, '../../../../shared/benchdata');
/** ../shared is not part of a clone: the tests on its images are skipped without it. */
const withBenchdata = existsSync(BENCHDATA) ? it : it.skip;

async function decodeGrey(input: string | Buffer): Promise<GreyImage> {
  const { data, info } = await sharp(input).greyscale().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}

/** Small deterministic PRNG (mulberry32) so generated images are the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A document-like page: guilloche rosettes and waves, printed fields, a portrait box, MRZ-like lines. */
async function renderDocument(seed: number, width = 1100, height = 700, zoom = 1): Promise<GreyImage> {
  const rnd = prng(seed);
  const parts: string[] = [`<rect width="${width}" height="${height}" fill="#efe9da"/>`];
  for (let k = 0; k < 5; k++) {
    const cx = 150 + rnd() * (width - 300);
    const cy = 150 + rnd() * (height - 300);
    const R = 90 + rnd() * 120;
    const r = R * (0.2 + rnd() * 0.5);
    const d = r * (0.5 + rnd());
    const pts: string[] = [];
    for (let i = 0; i <= 2400; i++) {
      const t = (i / 2400) * Math.PI * 2 * 12;
      const x = cx + (R - r) * Math.cos(t) + d * Math.cos(((R - r) / r) * t);
      const y = cy + (R - r) * Math.sin(t) - d * Math.sin(((R - r) / r) * t);
      pts.push(`${x.toFixed(1)},${y.toFixed(1)}`);
    }
    parts.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="#6a7fa8" stroke-width="1.1" opacity="0.8"/>`);
  }
  for (let k = 0; k < 14; k++) {
    const y0 = (k + 0.5) * (height / 14);
    const amp = 6 + rnd() * 10;
    const per = 60 + rnd() * 80;
    const pts: string[] = [];
    for (let x = 0; x <= width; x += 4) pts.push(`${x},${(y0 + amp * Math.sin((x / per) * Math.PI * 2 + k)).toFixed(1)}`);
    parts.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="#b59a7a" stroke-width="0.9"/>`);
  }
  parts.push(`<rect x="60" y="140" width="240" height="310" fill="#8d8d8d" stroke="#333" stroke-width="3"/>`);
  parts.push(`<ellipse cx="180" cy="270" rx="75" ry="100" fill="#5a5a5a"/>`);
  const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  const word = (n: number) => Array.from({ length: n }, () => letters[Math.floor(rnd() * letters.length)]).join('');
  parts.push(`<text x="340" y="95" font-family="DejaVu Sans, sans-serif" font-size="38" font-weight="bold" fill="#1d2a4a">REPUBLIC OF ${word(6)}</text>`);
  for (let k = 0; k < 6; k++) {
    const y = 160 + k * 48;
    parts.push(`<text x="340" y="${y}" font-family="DejaVu Sans, sans-serif" font-size="15" fill="#4b4b6b">FIELD ${k + 1} / CHAMP ${k + 1}</text>`);
    parts.push(`<text x="340" y="${y + 24}" font-family="DejaVu Sans, sans-serif" font-size="22" fill="#111">${word(5 + Math.floor(rnd() * 9))} ${word(4)}</text>`);
  }
  for (let k = 0; k < 2; k++) {
    parts.push(`<text x="50" y="${height - 95 + k * 46}" font-family="DejaVu Sans Mono, monospace" font-size="31" fill="#000">${word(44).replace(/[AEIOU]/g, '&lt;')}</text>`);
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${parts.join('')}</svg>`;
  return decodeGrey(zoom === 1 ? Buffer.from(svg) : await sharp(Buffer.from(svg), { density: 72 * zoom }).png().toBuffer());
}

/**
 * A photo of `doc` taken with homography `h` (document → photo pixels): the
 * document is band-limited before warping like a camera lens would, placed
 * on a textured table, lit unevenly, given sensor noise and JPEG-encoded.
 */
async function photograph(doc: GreyImage, h: readonly number[], width: number, height: number, seed: number): Promise<GreyImage> {
  const cv = await loadOpenCv();
  const rnd = prng(seed);
  const warped = await withMats((track) => {
    const src = track(new cv.Mat(doc.height, doc.width, cv.CV_8UC1));
    src.data.set(doc.data);
    const blurred = track(new cv.Mat());
    cv.GaussianBlur(src, blurred, new cv.Size(0, 0), 0.8);
    const out = track(new cv.Mat(height, width, cv.CV_8UC1));
    const table = out.data;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) table[y * width + x] = 70 + 40 * (((x >> 5) + (y >> 5)) & 1) + Math.floor(rnd() * 30);
    }
    const hm = track(cv.matFromArray(3, 3, cv.CV_64F, Array.from(h)));
    cv.warpPerspective(blurred, out, hm, new cv.Size(width, height), cv.INTER_LINEAR, cv.BORDER_TRANSPARENT);
    return new Uint8Array(out.data);
  });
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const light = 0.55 + 0.45 * (x / width) * (0.7 + 0.3 * (y / height));
      const v = warped[y * width + x]! * light + (rnd() - 0.5) * 10;
      warped[y * width + x] = Math.max(0, Math.min(255, Math.round(v)));
    }
  }
  const jpeg = await sharp(Buffer.from(warped), { raw: { width, height, channels: 1 } }).jpeg({ quality: 85 }).toBuffer();
  return decodeGrey(jpeg);
}

/** `image` defocused: convolved with a uniform disk of `radius` px. */
async function diskBlurred(image: GreyImage, radius: number): Promise<GreyImage> {
  const cv = await loadOpenCv();
  return withMats((track) => {
    const src = track(new cv.Mat(image.height, image.width, cv.CV_8UC1));
    src.data.set(image.data);
    const side = 2 * radius + 1;
    const disk = new Float32Array(side * side);
    for (let y = -radius; y <= radius; y++) for (let x = -radius; x <= radius; x++) if (x * x + y * y <= radius * radius) disk[(y + radius) * side + x + radius] = 1;
    const sum = disk.reduce((a, b) => a + b, 0);
    const kernel = track(cv.matFromArray(side, side, cv.CV_32F, Array.from(disk, (v) => v / sum)));
    const out = track(new cv.Mat());
    cv.filter2D(src, out, -1, kernel);
    return { data: new Uint8Array(out.data), width: image.width, height: image.height };
  });
}

/** Document → photo homography: scale, rotation about the document centre, perspective, then placement. */
function cameraHomography(doc: GreyImage, o: { scale: number; degrees: number; px: number; py: number; cx: number; cy: number }): number[] {
  const a = (o.degrees * Math.PI) / 180;
  const c = Math.cos(a) * o.scale;
  const s = Math.sin(a) * o.scale;
  const centre = [1, 0, -doc.width / 2, 0, 1, -doc.height / 2, 0, 0, 1];
  const similarity = [c, -s, 0, s, c, 0, 0, 0, 1];
  const perspective = [1, 0, 0, 0, 1, 0, o.px, o.py, 1];
  const place = [1, 0, o.cx, 0, 1, o.cy, 0, 0, 1];
  return composeHomographies(place, composeHomographies(perspective, composeHomographies(similarity, centre)));
}

function expectAligned(r: AlignResult, truth: readonly number[], ref: GreyImage, tolerancePx: number): void {
  if (!r.ok) throw new Error(`alignment refused: ${r.reason} (${r.diagnostics.message})`);
  expect(r.homography).toHaveLength(9);
  expect(r.homography[8]).toBe(1);
  expect(cornerError(r.homography, truth, ref.width, ref.height)).toBeLessThan(tolerancePx);
}

describe('geometry', () => {
  it('composes, inverts and moves homographies between resolutions consistently', () => {
    const h = [0.9, 0.12, 40, -0.07, 1.05, 12, 1e-4, -5e-5, 1];
    const back = composeHomographies(invertHomography(h), h);
    back.forEach((v, i) => expect(v).toBeCloseTo(IDENTITY[i]!, 10));
    // Pixel centres: a 2× reduction maps pixel 0's centre to −0.25 and pixel 1's to 0.25.
    expect(applyHomography(resampleMatrix(0.5), 0, 0)[0]).toBeCloseTo(-0.25, 12);
    expect(applyHomography(resampleMatrix(0.5), 1, 0)[0]).toBeCloseTo(0.25, 12);
    const level = homographyToLevel(h, [0.5, 0.5], [0.25, 0.25]);
    homographyFromLevel(level, [0.5, 0.5], [0.25, 0.25]).forEach((v, i) => expect(v).toBeCloseTo(h[i]!, 9));
    expect(cornerError(h, h, 100, 80)).toBe(0);
    expect(cornerError([1, 0, 3, 0, 1, 4, 0, 0, 1], IDENTITY, 100, 80)).toBeCloseTo(5, 12);
  });
});

describe('alignImages', () => {
  let doc: GreyImage;
  beforeAll(async () => {
    doc = await renderDocument(11);
  });

  it.each([
    ['a tilted photo', { scale: 0.95, degrees: 7, px: 1.5e-4, py: -8e-5, cx: 640, cy: 470 }],
    ['a small, upside-down document in a large frame', { scale: 0.5, degrees: 180, px: -7e-5, py: 1e-4, cx: 660, cy: 500 }],
    ['a quarter turn with strong perspective', { scale: 0.95, degrees: -90, px: 4e-4, py: 2e-4, cx: 620, cy: 500 }],
  ])('recovers the homography of %s to a fraction of a pixel', async (_name, camera) => {
    const truth = cameraHomography(doc, camera);
    const photo = await photograph(doc, truth, 1280, 960, 5);
    const r = await alignImages(doc, photo);
    expectAligned(r, truth, doc, 0.3);
    if (r.ok) {
      expect(r.inliers).toBeGreaterThanOrEqual(50);
      expect(r.rmse).toBeLessThan(1);
      expect(r.elapsedMs.total).toBeGreaterThan(0);
    }
  });

  it('aligns a defocused photo without bias, blurring the sharper reference to match it', async () => {
    const truth = cameraHomography(doc, { scale: 0.95, degrees: 5, px: 1e-4, py: -6e-5, cx: 640, cy: 480 });
    const sharp = await photograph(doc, truth, 1280, 960, 6);
    const cv = await loadOpenCv();
    const defocused = await withMats((track) => {
      const src = track(new cv.Mat(sharp.height, sharp.width, cv.CV_8UC1));
      src.data.set(sharp.data);
      const out = track(new cv.Mat());
      cv.GaussianBlur(src, out, new cv.Size(0, 0), 2.5);
      return { data: new Uint8Array(out.data), width: sharp.width, height: sharp.height };
    });
    const r = await alignImages(doc, defocused);
    // Matching the sharp reference against the defocused photo as they are lands about a quarter of a pixel off.
    expectAligned(r, truth, doc, 0.15);
    // The photo's own softening and the defocus add in quadrature, seen at the reference's scale.
    expect(r.diagnostics.blur?.image).toBe('reference');
    expect(r.diagnostics.blur?.sigma).toBeGreaterThan(2.2);
    expect(r.diagnostics.blur?.sigma).toBeLessThan(3.4);
  });

  it('aligns a heavily defocused photo, with patches wider than the point spread', async () => {
    const truth = cameraHomography(doc, { scale: 0.95, degrees: -8, px: 8e-5, py: 6e-5, cx: 640, cy: 480 });
    const sharp = await photograph(doc, truth, 1280, 960, 15);
    // Defocus: a uniform disk of radius 10 px (a Gaussian of σ ≈ 5), far wider than the default 21-px patch.
    const defocused = await diskBlurred(sharp, 10);
    const r = await alignImages(doc, defocused);
    // With the default patches throughout, the result was 12 px off.
    expectAligned(r, truth, doc, 1);
    expect(r.diagnostics.blur?.image).toBe('reference');
    expect(r.diagnostics.blur?.sigma).toBeGreaterThan(4);
  });

  it('aligns a heavily defocused photo of a document with another holder’s portrait, the portrait zone ignored', async () => {
    const truth = cameraHomography(doc, { scale: 0.95, degrees: -8, px: 8e-5, py: 6e-5, cx: 640, cy: 480 });
    const other = { ...doc, data: new Uint8Array(doc.data) };
    const rnd = prng(7);
    for (let y = 140; y < 450; y++) for (let x = 60; x < 300; x++) other.data[y * doc.width + x] = Math.floor(rnd() * 255);
    const sharp = await photograph(other, truth, 1280, 960, 15);
    const defocused = await diskBlurred(sharp, 10);
    const r = await alignImages(doc, defocused, { ignoreZones: [{ x: 50, y: 130, width: 260, height: 330 }] });
    // Equalised only at the finest level, the blur left 4 patches tracked there and the pair was refused.
    expectAligned(r, truth, doc, 1);
    // The diagnostics say which pass was tried again, and with what blur.
    const levels = r.diagnostics.refinement;
    const retried = levels.findIndex((l) => l.retried);
    expect(retried).toBeGreaterThan(0);
    expect(levels[retried]!.equalised).toBeUndefined();
    const again = levels[retried + 1]!;
    expect([again.referenceScale, again.pass]).toEqual([levels[retried]!.referenceScale, levels[retried]!.pass]);
    expect(again.equalised?.image).toBe('reference');
    expect(again.inliers).toBeGreaterThan(levels[retried]!.inliers);
  });

  it('recovers a steep oblique view through the simulated-tilt fallback', async () => {
    // About 60° out of plane about the vertical axis: the document's width is foreshortened to half.
    const truth = composeHomographies([1, 0, 80, 0, 1, 120, 0, 0, 1], [0.5, 0, 0, 0, 1, 0, 3e-4, 0, 1]);
    const photo = await photograph(doc, truth, 900, 960, 9);
    const r = await alignImages(doc, photo);
    expectAligned(r, truth, doc, 1);
    expect(r.diagnostics.chosen).toMatch(/tilt/);
  });

  it.each([
    ['2.5×, turned 20°', 2.5, 20, /^orb/],
    ['4×, turned −150°', 4, -150, /^orb-zoom-in$/],
  ])('aligns a close-up (%s) of part of the document, on the part it shows', async (_name, zoom, degrees, method) => {
    // The close-up is centred on the field block; at 4× it shows a tenth of the document.
    const a = (degrees * Math.PI) / 180;
    const truth = composeHomographies(
      [zoom * Math.cos(a), -zoom * Math.sin(a), 640, zoom * Math.sin(a), zoom * Math.cos(a), 480, 0, 0, 1],
      [1, 0, -560, 0, 1, -300, 0, 0, 1],
    );
    const photo = await photograph(doc, truth, 1280, 960, 12);
    const r = await alignImages(doc, photo);
    // The document's corners lie far outside the close-up: the error there is the extrapolation of a small view.
    expectAligned(r, truth, doc, 0.25 * zoom);
    expect(r.diagnostics.chosen).toMatch(method);
    const visible = r.diagnostics.refinement[r.diagnostics.refinement.length - 1]!.visible;
    const shown = (1280 * 960) / (zoom * zoom) / (doc.width * doc.height);
    expect(visible).toBeGreaterThan(0.95 * shown);
    expect(visible).toBeLessThan(1.05 * shown);
    expect(r.diagnostics.message).toMatch(/shows \d+ % of the reference/);
  });

  it('aligns a sharp detail of the document to a wider photo in which it appears four times smaller', async () => {
    // The same page drawn at 3× the resolution; the reference is a 960×720 detail of it (fields and guilloche).
    const fine = await renderDocument(11, 1100, 700, 3);
    expect(fine.width).toBe(3300);
    const [x0, y0, w, h] = [1140, 600, 960, 720];
    const data = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) data.set(fine.data.subarray((y0 + y) * fine.width + x0, (y0 + y) * fine.width + x0 + w), y * w);
    const detail: GreyImage = { data, width: w, height: h };
    // Detail pixel centres → page pixel centres (a page pixel spans 3 detail pixels).
    const toPage = [1 / 3, 0, (x0 + 0.5) / 3 - 0.5, 0, 1 / 3, (y0 + 0.5) / 3 - 0.5, 0, 0, 1];
    const camera = cameraHomography(doc, { scale: 0.75, degrees: 30, px: 5e-5, py: -5e-5, cx: 430, cy: 320 });
    const photo = await photograph(doc, camera, 860, 640, 16);
    const r = await alignImages(detail, photo);
    expectAligned(r, composeHomographies(camera, toPage), detail, 0.5);
    expect(r.diagnostics.chosen).toBe('orb-zoom-out');
  });

  it('is deterministic', async () => {
    const truth = cameraHomography(doc, { scale: 0.9, degrees: 25, px: 1e-4, py: 1e-4, cx: 640, cy: 480 });
    const photo = await photograph(doc, truth, 1280, 960, 3);
    const a = await alignImages(doc, photo);
    const b = await alignImages(doc, photo);
    expect(a.ok).toBe(true);
    expect(b.ok && a.ok && b.homography).toEqual(a.ok && a.homography);
    expect(b.ok && a.ok && b.inliers).toBe(a.ok && a.inliers);
  });

  it('ignores reference zones whose content differs (another holder’s portrait)', async () => {
    const truth = cameraHomography(doc, { scale: 0.95, degrees: -12, px: 1e-4, py: -5e-5, cx: 640, cy: 480 });
    // The questioned document carries a different portrait: replace the photo box with noise.
    const other = { ...doc, data: new Uint8Array(doc.data) };
    const rnd = prng(99);
    for (let y = 140; y < 450; y++) for (let x = 60; x < 300; x++) other.data[y * doc.width + x] = Math.floor(rnd() * 255);
    const photo = await photograph(other, truth, 1280, 960, 4);
    const r = await alignImages(doc, photo, { ignoreZones: [{ x: 50, y: 130, width: 260, height: 330 }] });
    expectAligned(r, truth, doc, 0.3);
  });

  it('aligns a photo of another holder’s passport with every personalised zone ignored', async () => {
    const reference = await renderDesign(UTOPIA_PASSPORT_2019, HOLDERS.passportA, 'white');
    const other = await renderDesign(UTOPIA_PASSPORT_2019, HOLDERS.passportB, 'white');
    const photo = await simulatePhoto(other.image, { seed: 3 });
    // Photo, names, dates, numbers, signature, MRZ: most of the distinctive detail of a data page.
    const ignoreZones = reference.zones
      .filter((z) => z.personalised)
      .map((z) => {
        const xs = z.polygon.map((p) => p[0]);
        const ys = z.polygon.map((p) => p[1]);
        return { x: Math.min(...xs), y: Math.min(...ys), width: Math.max(...xs) - Math.min(...xs), height: Math.max(...ys) - Math.min(...ys) };
      });
    expect(ignoreZones.length).toBeGreaterThan(10);
    const ref = await decodeGrey(reference.image);
    const r = await alignImages(ref, await decodeGrey(photo.image), { ignoreZones });
    // With no features taken in those zones either, this photo was refused (too few inliers).
    expectAligned(r, photo.homography, ref, 0.1);
  });

  it('matches a photo of another holder’s passport on the features of the design they share', async () => {
    const reference = await renderDesign(UTOPIA_PASSPORT_2019, HOLDERS.passportA, 'white', { format: 'jpeg', quality: 92, noiseSeed: 1 });
    const other = await renderDesign(UTOPIA_PASSPORT_2019, HOLDERS.passportB, 'white', { noiseSeed: 2 });
    const ref = await decodeGrey(reference.image);
    for (const seed of [101, 102]) {
      const photo = await simulatePhoto(other.image, { seed });
      const r = await alignImages(ref, await decodeGrey(photo.image));
      expectAligned(r, photo.homography, ref, 0.1);
      // The first thousand corners fall mostly on the personal data; found only by AKAZE, the last resort, before.
      expect(r.diagnostics.chosen).toMatch(/^orb/);
    }
  });

  it('goes on with the next feature attempt when the refinement refutes a false consensus of a few features', async () => {
    const reference = await renderDesign(UTOPIA_PASSPORT_2019, HOLDERS.passportA, 'white', { format: 'jpeg', quality: 92, noiseSeed: 1 });
    const other = await renderDesign(UTOPIA_PASSPORT_2019, HOLDERS.passportB, 'white', { noiseSeed: 2 });
    const ref = await decodeGrey(reference.image);
    // At this seed ORB's first thousand corners agree on a homography 50 px off (22 inliers, mostly on the personal data),
    // which the refinement refuses; that refusal ended the alignment before.
    const photo = await simulatePhoto(other.image, { seed: 520 });
    const r = await alignImages(ref, await decodeGrey(photo.image));
    expectAligned(r, photo.homography, ref, 0.1);
    expect(r.diagnostics.message).toMatch(/\(after orb: only \d+ of \d+ refinement patches agree/);
    expect(r.diagnostics.chosen).toBe('orb-dense');
  });

  withBenchdata('aligns an Oxford viewpoint pair to its published homography within a few pixels', async () => {
    const dir = path.join(BENCHDATA, 'oxford-affine', 'graf');
    const ref = await decodeGrey(path.join(dir, 'img1.png'));
    const qry = await decodeGrey(path.join(dir, 'img3.png'));
    const truth = readFileSync(path.join(dir, 'H1to3p'), 'utf8').trim().split(/\s+/).map(Number);
    expect(truth).toHaveLength(9);
    expectAligned(await alignImages(ref, qry), truth, ref, 2);
  });

  withBenchdata('finds the identity between the PNG and the JPEG of the same specimen', async () => {
    const ref = await decodeGrey(path.join(BENCHDATA, 'passporteye-specimens', 'passport-td3.png'));
    const qry = await decodeGrey(path.join(BENCHDATA, 'passporteye-specimens', 'passport-td3.jpg'));
    expectAligned(await alignImages(ref, qry), IDENTITY, ref, 0.2);
  });

  withBenchdata('refuses unrelated images', async () => {
    const ref = await decodeGrey(path.join(BENCHDATA, 'passporteye-specimens', 'passport-td3.png'));
    const qry = await decodeGrey(path.join(BENCHDATA, 'oxford-affine', 'graf', 'img1.png'));
    const r = await alignImages(ref, qry);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(['too-few-inliers', 'refinement-failed']).toContain(r.reason);
    const other = await decodeGrey(path.join(BENCHDATA, 'passporteye-specimens', '100_pass-fin.png'));
    expect((await alignImages(other, doc)).ok).toBe(false);
  });

  it('refuses a blank image', async () => {
    const blank: GreyImage = { data: new Uint8Array(800 * 600).fill(200), width: 800, height: 600 };
    const r = await alignImages(doc, blank);
    expect(r).toMatchObject({ ok: false, reason: 'too-few-features' });
    expect((await alignImages(blank, doc)).ok).toBe(false);
  });

  it('rejects malformed pixel buffers', async () => {
    await expect(alignImages({ data: new Uint8Array(10), width: 4, height: 4 }, doc)).rejects.toThrow(TypeError);
  });
});

describe('referenceVisibility', () => {
  it('measures the part of the reference a zoomed view shows and which patches fall inside it', () => {
    expect(referenceVisibility(IDENTITY, 400, 300, 400, 300, 5)).toBeNull();
    // 2× about the centre: the questioned image shows the middle quarter of the reference.
    const zoom = [2, 0, -199.5, 0, 2, -149.5, 0, 0, 1];
    const v = referenceVisibility(zoom, 400, 300, 400, 300, 5);
    expect(v).not.toBeNull();
    expect(v!.share).toBeCloseTo(0.25, 2);
    expect(v!.shows(200, 150)).toBe(true);
    expect(v!.shows(10, 10)).toBe(false);
    // A homography is defined up to sign: the negated matrix shows the same part.
    expect(referenceVisibility(zoom.map((x) => -x), 400, 300, 400, 300, 5)!.share).toBe(v!.share);
    // A patch straddling the visible part's border is not whole in the questioned image.
    expect(v!.shows(104, 150)).toBe(false);
    expect(v!.shows(106, 150)).toBe(true);
  });
});

describe('refineAlignment', () => {
  it('pulls a homography that is a few pixels off onto the document, and refuses one that matches nothing', async () => {
    const doc = await renderDocument(23, 1000, 640);
    const truth = cameraHomography(doc, { scale: 1, degrees: 4, px: 5e-5, py: 5e-5, cx: 600, cy: 420 });
    const photo = await photograph(doc, truth, 1200, 840, 8);
    const off = composeHomographies([1.004, 0.003, 3.5, -0.002, 0.997, -2.5, 0, 0, 1], truth);
    expect(cornerError(off, truth, doc.width, doc.height)).toBeGreaterThan(3);
    expectAligned(await refineAlignment(doc, photo, off), truth, doc, 0.3);
    const elsewhere = cameraHomography(doc, { scale: 1, degrees: 40, px: 0, py: 0, cx: 600, cy: 420 });
    expect((await refineAlignment(doc, photo, elsewhere)).ok).toBe(false);
  });
});
