import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { isImageError, ImageError } from './image-error';
import { probeAndMakeDerivatives } from './make-derivatives';
import { probeImage, type ImageProbe } from './probe';

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'exemplar-probe-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const LIMITS = { maxPixels: 50_000_000 };
let seq = 0;
async function file(data: Buffer | string, name = `f${++seq}`): Promise<string> {
  const p = path.join(dir, name);
  await fs.writeFile(p, data);
  return p;
}

/** A 640×400 page-like image: paper tone, a dark band and a colour patch, so every codec has real content. */
function page(width = 640, height = 400) {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const band = y > height * 0.7 && y < height * 0.8;
      const patch = x > width * 0.1 && x < width * 0.3 && y > height * 0.1 && y < height * 0.4;
      data[i] = band ? 30 : patch ? 200 : 235 - ((x * 20) / width) | 0;
      data[i + 1] = band ? 30 : patch ? 60 : 230;
      data[i + 2] = band ? 40 : patch ? 50 : 215;
    }
  }
  return sharp(data, { raw: { width, height, channels: 3 } });
}

/** A 16-bit RGB horizontal ramp over the full 0..65535 range. */
async function ramp16(width = 1024, height = 8): Promise<Buffer> {
  const samples = new Uint16Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) samples.fill(Math.round((x * 65535) / (width - 1)), (y * width + x) * 3, (y * width + x) * 3 + 3);
  return sharp(samples, { raw: { width, height, channels: 3 } }).toColourspace('rgb16').png().toBuffer();
}

/** Refused alike by probeImage and by probeAndMakeDerivatives (which also leaves its output folder empty). */
async function expectRefused(p: string, code: ImageError['code'], details?: Record<string, unknown>) {
  const out = path.join(dir, `out-${++seq}`);
  for (const attempt of [() => probeImage(p, LIMITS), () => probeAndMakeDerivatives(p, out, LIMITS)]) {
    const err: unknown = await attempt().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ImageError);
    expect(err).toMatchObject({ code, ...(details ? { details: expect.objectContaining(details) } : {}) });
  }
  expect(await fs.readdir(out).catch(() => [])).toEqual([]);
}

/** probeImage's answer, checked to be the one probeAndMakeDerivatives gives with its derivatives. */
async function probeBoth(p: string, limits = LIMITS): Promise<ImageProbe> {
  const probe = await probeImage(p, limits);
  const prepared = await probeAndMakeDerivatives(p, path.join(dir, `out-${++seq}`), limits);
  expect(prepared.probe).toEqual(probe);
  expect(prepared.derivatives).toMatchObject({ width: probe.orientedWidth, height: probe.orientedHeight });
  return probe;
}

describe('accepted formats', () => {
  test('JPEG', async () => {
    const probe = await probeBoth(await file(await page().jpeg().toBuffer()), LIMITS);
    expect(probe).toEqual({
      format: 'jpeg',
      width: 640,
      height: 400,
      orientedWidth: 640,
      orientedHeight: 400,
      bitDepth: 8,
      channels: 3,
      hasAlpha: false,
      hasIccProfile: false,
      space: 'srgb',
    });
  });

  test('PNG with alpha', async () => {
    const probe = await probeBoth(await file(await page().ensureAlpha(0.5).png().toBuffer()), LIMITS);
    expect(probe).toMatchObject({ format: 'png', bitDepth: 8, channels: 4, hasAlpha: true });
  });

  test('8-bit TIFF', async () => {
    expect(await probeBoth(await file(await page().tiff({ compression: 'lzw' }).toBuffer()), LIMITS)).toMatchObject({
      format: 'tiff',
      bitDepth: 8,
      channels: 3,
    });
  });

  test('16-bit TIFF', async () => {
    // sharp writes 16-bit TIFF only with this option order.
    const tiff16 = await sharp(await ramp16()).tiff({ compression: 'lzw' }).toColourspace('rgb16').toBuffer();
    expect(await probeBoth(await file(tiff16), LIMITS)).toMatchObject({
      format: 'tiff',
      width: 1024,
      height: 8,
      bitDepth: 16,
      channels: 3,
      space: 'rgb16',
    });
  });

  test('16-bit grey PNG', async () => {
    const grey16 = await sharp(await ramp16()).toColourspace('grey16').png().toBuffer();
    expect(await probeBoth(await file(grey16), LIMITS)).toMatchObject({ format: 'png', bitDepth: 16, channels: 1, space: 'grey16' });
  });

  test('WebP', async () => {
    expect(await probeBoth(await file(await page().webp({ quality: 90 }).toBuffer()), LIMITS)).toMatchObject({ format: 'webp', width: 640 });
  });

  test('the type comes from the bytes, not the name', async () => {
    const p = await file(await page().png().toBuffer(), 'looks-like.jpg');
    expect((await probeBoth(p, LIMITS)).format).toBe('png');
  });

  test('EXIF orientation and an embedded ICC profile are reported', async () => {
    const jpeg = await page().withIccProfile('p3').jpeg().withMetadata({ orientation: 6 }).toBuffer();
    expect(await probeBoth(await file(jpeg), LIMITS)).toMatchObject({
      width: 640,
      height: 400,
      orientation: 6,
      orientedWidth: 400,
      orientedHeight: 640,
      hasIccProfile: true,
    });
  });
});

describe('refused formats', () => {
  test('GIF', async () => {
    await expectRefused(await file(await page().gif().toBuffer()), 'IMAGE_UNSUPPORTED', { detected: 'gif' });
  });

  test('SVG, even with an XML prolog, is refused before any decoder sees it', async () => {
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="640" height="400"><image href="file:///etc/passwd"/></svg>';
    await expectRefused(await file(svg), 'IMAGE_UNSUPPORTED', { detected: 'svg' });
    await expectRefused(await file(`\uFEFF<?xml version="1.0"?>\n<!DOCTYPE svg>\n${svg}`), 'IMAGE_UNSUPPORTED', { detected: 'svg' });
  });

  test('PDF', async () => {
    await expectRefused(await file('%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n'), 'IMAGE_UNSUPPORTED', { detected: 'pdf' });
  });

  test('HEIF / AVIF', async () => {
    await expectRefused(await file(await page().avif().toBuffer()), 'IMAGE_UNSUPPORTED', { detected: 'heif' });
  });

  test('text and empty files', async () => {
    await expectRefused(await file('issuingState,title\nUTO,Utopia passport\n'), 'IMAGE_UNSUPPORTED', { detected: 'text' });
    await expectRefused(await file(Buffer.alloc(0)), 'IMAGE_UNSUPPORTED', { detected: 'empty' });
  });

  test('animated WebP', async () => {
    const frames = await page(64, 192).raw().toBuffer();
    const animated = await sharp(frames, { raw: { width: 64, height: 192, channels: 3, pageHeight: 64 } }).webp({ loop: 0 }).toBuffer();
    expect((await sharp(animated).metadata()).pages).toBe(3);
    await expectRefused(await file(animated), 'IMAGE_UNSUPPORTED', { pages: 3 });
  });
});

describe('damaged images', () => {
  test.each([
    ['JPEG', () => page().jpeg().toBuffer()],
    ['PNG', () => page().png().toBuffer()],
    ['TIFF', () => page().tiff().toBuffer()],
    ['WebP', () => page().webp().toBuffer()],
  ])('a truncated %s is IMAGE_CORRUPT', async (_name, make) => {
    const whole = await make();
    for (const fraction of [0.5, 0.9]) {
      await expectRefused(await file(whole.subarray(0, Math.floor(whole.length * fraction))), 'IMAGE_CORRUPT');
    }
  });

  test('a JPEG whose header is valid but whose scan data is missing is IMAGE_CORRUPT (headers alone would pass)', async () => {
    const whole = await page().jpeg().toBuffer();
    const truncated = await file(whole.subarray(0, Math.floor(whole.length * 0.6)));
    // sharp reads the header of the truncated file without complaint…
    await expect(sharp(truncated).metadata()).resolves.toMatchObject({ width: 640, height: 400 });
    // …so only a full decode can tell.
    await expectRefused(truncated, 'IMAGE_CORRUPT');
  });

  test('JPEG magic followed by garbage is IMAGE_CORRUPT', async () => {
    await expectRefused(await file(Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(2000, 0x41)])), 'IMAGE_CORRUPT');
  });
});

describe('limits', () => {
  test('more pixels than allowed is IMAGE_TOO_LARGE, exactly the limit is accepted', async () => {
    const p = await file(await page().png().toBuffer());
    await expect(probeImage(p, { maxPixels: 640 * 400 })).resolves.toMatchObject({ width: 640 });
    await expect(probeImage(p, { maxPixels: 640 * 400 - 1 })).rejects.toMatchObject({
      code: 'IMAGE_TOO_LARGE',
      details: { width: 640, height: 400, pixels: 256_000, maxPixels: 255_999 },
    });
  });
});

test('isImageError also recognises the error as plain data from a worker', () => {
  const err = new ImageError('IMAGE_CORRUPT', 'x', { reason: 'y' });
  expect(isImageError(err)).toBe(true);
  expect(isImageError({ name: 'ImageError', code: 'IMAGE_CORRUPT', message: 'x', details: {} })).toBe(true);
  expect(isImageError({ name: 'ImageError', code: 'SOMETHING_ELSE' })).toBe(false);
  expect(isImageError(new Error('x'))).toBe(false);
});
