import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { decodeForAnalysis } from './decode-for-analysis';
import { ImageError } from './image-error';
import { makeDerivatives, type DerivativeManifest } from './make-derivatives';
import { probeImage } from './probe';

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'exemplar-derivatives-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

let seq = 0;
async function file(data: Buffer | string): Promise<string> {
  const p = path.join(dir, `in-${++seq}`);
  await fs.writeFile(p, data);
  return p;
}
const outDir = () => path.join(dir, `out-${++seq}`);
const sha256 = async (p: string) => createHash('sha256').update(await fs.readFile(p)).digest('hex');

/** RGB image whose pixel at (x, y) is `colour(x, y)`. */
function painted(width: number, height: number, colour: (x: number, y: number) => [number, number, number]) {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set(colour(x, y), (y * width + x) * 3);
  }
  return sharp(data, { raw: { width, height, channels: 3 } });
}

/** Left half red, right half blue: which way is up shows after any rotation. */
const halves = (width: number, height: number) => painted(width, height, (x) => (x < width / 2 ? [220, 20, 20] : [20, 20, 220]));

/** Full-range 16-bit ramp, left (0) to right (65535), as the given sharp pipeline end. */
function ramp16(width: number, height: number, channels: 1 | 3) {
  const samples = new Uint16Array(width * height * 3);
  for (let i = 0; i < width * height; i++) samples.fill(Math.round(((i % width) * 65535) / (width - 1)), i * 3, i * 3 + 3);
  const rgb = sharp(samples, { raw: { width, height, channels: 3 } });
  return rgb.toColourspace(channels === 1 ? 'grey16' : 'rgb16');
}

async function pixelAt(p: string, x: number, y: number): Promise<number[]> {
  const { data, info } = await sharp(p).raw().toBuffer({ resolveWithObject: true });
  const i = (y * info.width + x) * info.channels;
  return [...data.subarray(i, i + info.channels)];
}

describe('makeDerivatives', () => {
  let big: { input: string; out: string; manifest: DerivativeManifest };

  beforeAll(async () => {
    const input = await file(await painted(3000, 2000, (x, y) => [(x * 255) / 3000, (y * 255) / 2000, 128]).jpeg({ quality: 90 }).toBuffer());
    const out = outDir();
    big = { input, out, manifest: await makeDerivatives(input, out) };
  });

  test('a large original gets a thumbnail, a preview and a Deep Zoom pyramid', async () => {
    const { manifest, out } = big;
    expect(manifest).toMatchObject({ thumbnail: 'thumbnail.webp', preview: 'preview.jpg', dzi: 'tiles.dzi', width: 3000, height: 2000 });
    expect(await sharp(path.join(out, 'preview.jpg')).metadata()).toMatchObject({ format: 'jpeg', width: 2048, height: 1365 });
    expect(await sharp(path.join(out, 'thumbnail.webp')).metadata()).toMatchObject({ format: 'webp', width: 320, height: 213 });
  });

  test('the pyramid keeps the standard DZI layout an OpenSeadragon client expects', async () => {
    const { manifest, out } = big;
    const dzi = await fs.readFile(path.join(out, 'tiles.dzi'), 'utf8');
    expect(dzi).toContain('xmlns="http://schemas.microsoft.com/deepzoom/2008"');
    expect(dzi).toMatch(/Format="jpeg"/);
    expect(dzi).toMatch(/TileSize="510"/);
    expect(dzi).toMatch(/Overlap="1"/);
    expect(dzi).toMatch(/Width="3000"/);
    expect(dzi).toMatch(/Height="2000"/);

    const tiles = manifest.files.map((f) => f.name).filter((n) => n.startsWith('tiles_files/'));
    for (const name of tiles) expect(name).toMatch(/^tiles_files\/\d+\/\d+_\d+\.jpeg$/);
    // Levels run from 1×1 px (0) to full size (ceil(log2(3000)) = 12).
    const levels = new Set(tiles.map((n) => Number(n.split('/')[1])));
    expect([...levels].sort((a, b) => a - b)).toEqual([...Array(13).keys()]);
    // Full size: ceil(3000/510) × ceil(2000/510) tiles, column_row.
    const top = tiles.filter((n) => n.startsWith('tiles_files/12/'));
    expect(top).toHaveLength(6 * 4);
    expect(top).toContain('tiles_files/12/5_3.jpeg');
    // An inner tile is 510 px plus one px of overlap on each side.
    expect(await sharp(path.join(out, 'tiles_files/12/1_1.jpeg')).metadata()).toMatchObject({ width: 512, height: 512 });
    expect(await sharp(path.join(out, 'tiles_files/0/0_0.jpeg')).metadata()).toMatchObject({ width: 1, height: 1 });
  });

  test('the manifest lists exactly the files written, with their sizes and types', async () => {
    const { manifest, out } = big;
    const onDisk = (await fs.readdir(out, { recursive: true, withFileTypes: true }))
      .filter((e) => e.isFile())
      .map((e) => path.relative(out, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
      .sort();
    expect(manifest.files.map((f) => f.name)).toEqual(onDisk);
    expect(onDisk).not.toContain('tiles_files/vips-properties.xml');
    for (const f of manifest.files) {
      expect(f.bytes).toBe((await fs.stat(path.join(out, f.name))).size);
      expect(f.bytes).toBeGreaterThan(0);
    }
    const typeOf = (name: string) => manifest.files.find((f) => f.name === name)?.contentType;
    expect(typeOf('thumbnail.webp')).toBe('image/webp');
    expect(typeOf('preview.jpg')).toBe('image/jpeg');
    expect(typeOf('tiles.dzi')).toBe('application/xml');
    expect(typeOf('tiles_files/12/0_0.jpeg')).toBe('image/jpeg');
  });

  test('an original no larger than the preview gets no pyramid and is not enlarged', async () => {
    const input = await file(await halves(800, 600).png().toBuffer());
    const out = outDir();
    const manifest = await makeDerivatives(input, out);
    expect(manifest.dzi).toBeUndefined();
    expect(manifest.files.map((f) => f.name)).toEqual(['preview.jpg', 'thumbnail.webp']);
    expect(await fs.readdir(out)).toEqual(['preview.jpg', 'thumbnail.webp']);
    expect(await sharp(path.join(out, 'preview.jpg')).metadata()).toMatchObject({ width: 800, height: 600 });
  });

  test('EXIF orientation turns the derivatives upright and leaves the original untouched', async () => {
    // Stored 3000×2000, left half red; orientation 6 means "rotate 90° clockwise to view", so the viewer sees red on top.
    const input = await file(await halves(3000, 2000).jpeg().withMetadata({ orientation: 6 }).toBuffer());
    const before = await sha256(input);
    const out = outDir();
    const manifest = await makeDerivatives(input, out);
    expect(manifest).toMatchObject({ width: 2000, height: 3000 });

    const preview = path.join(out, 'preview.jpg');
    const previewMeta = await sharp(preview).metadata();
    expect(previewMeta).toMatchObject({ width: 1365, height: 2048 });
    // No orientation tag left, or a viewer would turn it a second time.
    expect(previewMeta.orientation).toBeUndefined();
    const [r1, , b1] = await pixelAt(preview, 680, 100);
    const [r2, , b2] = await pixelAt(preview, 680, 1900);
    expect(r1).toBeGreaterThan(180);
    expect(b1).toBeLessThan(60);
    expect(b2).toBeGreaterThan(180);
    expect(r2).toBeLessThan(60);

    expect(await sharp(path.join(out, 'tiles_files/12/0_0.jpeg')).metadata()).toMatchObject({ width: 511, height: 511 });
    const dzi = await fs.readFile(path.join(out, 'tiles.dzi'), 'utf8');
    expect(dzi).toMatch(/Width="2000"/);
    expect(dzi).toMatch(/Height="3000"/);

    expect(await sha256(input)).toBe(before);
    expect(await probeImage(input, { maxPixels: 1e8 })).toMatchObject({ width: 3000, height: 2000, orientation: 6 });
  });

  test.each([
    ['RGB TIFF', 3],
    ['grey PNG', 1],
  ] as const)('a 16-bit %s keeps its full tonal range, in order, in the 8-bit preview', async (_label, channels) => {
    const ramp = ramp16(1024, 64, channels);
    // sharp writes 16-bit TIFF only with this option order.
    const buf = channels === 3 ? await ramp.tiff({ compression: 'lzw' }).toColourspace('rgb16').toBuffer() : await ramp.png().toBuffer();
    const input = await file(buf);
    expect((await probeImage(input, { maxPixels: 1e8 })).bitDepth).toBe(16);
    const out = outDir();
    await makeDerivatives(input, out);

    const { data, info } = await sharp(path.join(out, 'preview.jpg')).raw().toBuffer({ resolveWithObject: true });
    expect(info).toMatchObject({ width: 1024, height: 64 });
    const row = Array.from({ length: info.width }, (_, x) => data[(32 * info.width + x) * info.channels] ?? -1);
    expect(Math.min(...row)).toBeLessThanOrEqual(2);
    expect(Math.max(...row)).toBeGreaterThanOrEqual(253);
    // Tones follow the ramp (JPEG may wobble by a level or two, never fold back).
    for (let x = 0; x < row.length; x++) expect(Math.abs((row[x] ?? 0) - (x * 255) / 1023)).toBeLessThanOrEqual(3);
    for (let x = 8; x < row.length; x += 8) expect(row[x] ?? 0).toBeGreaterThanOrEqual((row[x - 8] ?? 0) - 1);
  });

  test('an embedded ICC profile is converted to sRGB, not ignored', async () => {
    const srgb: [number, number, number] = [30, 160, 90];
    // The same colour, re-encoded in Display P3 numbers with the P3 profile attached.
    const input = await file(await painted(400, 300, () => srgb).withIccProfile('p3').png().toBuffer());
    const p3Numbers = await sharp(input, { ignoreIcc: true }).raw().toBuffer();
    expect(Math.abs((p3Numbers[0] ?? 0) - srgb[0])).toBeGreaterThan(20);

    const out = outDir();
    await makeDerivatives(input, out);
    const got = await pixelAt(path.join(out, 'preview.jpg'), 200, 150);
    got.forEach((v, i) => expect(Math.abs(v - (srgb[i] ?? 0))).toBeLessThanOrEqual(4));
  });

  test('a damaged original is IMAGE_CORRUPT and leaves no files', async () => {
    const whole = await painted(3000, 2000, (x) => [x % 256, 80, 80]).jpeg().toBuffer();
    const input = await file(whole.subarray(0, Math.floor(whole.length * 0.7)));
    const out = outDir();
    await expect(makeDerivatives(input, out)).rejects.toMatchObject({ code: 'IMAGE_CORRUPT' });
    expect(await fs.readdir(out)).toEqual([]);
  });

  test('a non-image is refused before any decoder runs', async () => {
    const svg = await file('<svg xmlns="http://www.w3.org/2000/svg" width="4000" height="4000"/>');
    await expect(makeDerivatives(svg, outDir())).rejects.toMatchObject({ code: 'IMAGE_UNSUPPORTED', details: { detected: 'svg' } });
  });
});

describe('decodeForAnalysis', () => {
  test('RGB pixels, upright, at full size', async () => {
    const input = await file(await halves(300, 200).png().withMetadata({ orientation: 6 }).toBuffer());
    const img = await decodeForAnalysis(input, { channels: 'rgb' });
    expect(img).toMatchObject({ width: 200, height: 300, channels: 3, scale: 1 });
    expect(img.data).toBeInstanceOf(Uint8Array);
    expect(img.data.length).toBe(200 * 300 * 3);
    const at = (x: number, y: number) => [...img.data.subarray((y * 200 + x) * 3, (y * 200 + x) * 3 + 3)];
    expect(at(100, 10)).toEqual([220, 20, 20]);
    expect(at(100, 290)).toEqual([20, 20, 220]);
  });

  test('grey, reduced to a long edge, with the scale to map back', async () => {
    const input = await file(await halves(3000, 2000).jpeg().toBuffer());
    const img = await decodeForAnalysis(input, { channels: 'grey', maxLongEdge: 1500 });
    expect(img).toMatchObject({ width: 1500, height: 1000, channels: 1, scale: 0.5 });
    expect(img.data.length).toBe(1500 * 1000);
  });

  test('never enlarges', async () => {
    const img = await decodeForAnalysis(await file(await halves(300, 200).png().toBuffer()), { channels: 'grey', maxLongEdge: 4096 });
    expect(img).toMatchObject({ width: 300, height: 200, scale: 1 });
  });

  test('16-bit input maps to 8 bits over the full range, every tone in order', async () => {
    const input = await file(await ramp16(1024, 4, 1).png().toBuffer());
    const img = await decodeForAnalysis(input, { channels: 'grey' });
    const row = [...img.data.subarray(0, 1024)];
    expect(row[0]).toBe(0);
    expect(row[1023]).toBe(255);
    for (let x = 1; x < 1024; x++) expect(row[x]).toBeGreaterThanOrEqual(row[x - 1] ?? 0);
    expect(new Set(row).size).toBe(256);
  });

  test('transparency is flattened onto white', async () => {
    const input = await file(await sharp({ create: { width: 10, height: 10, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } }).png().toBuffer());
    const img = await decodeForAnalysis(input, { channels: 'rgb' });
    expect(img.channels).toBe(3);
    expect([...img.data.subarray(0, 3)]).toEqual([255, 255, 255]);
  });

  test('damage and limits are reported as ImageError', async () => {
    const whole = await halves(1200, 800).jpeg().toBuffer();
    await expect(decodeForAnalysis(await file(whole.subarray(0, whole.length / 2)), { channels: 'grey' })).rejects.toBeInstanceOf(ImageError);
    await expect(decodeForAnalysis(await file(whole), { channels: 'grey', maxPixels: 1000 })).rejects.toMatchObject({ code: 'IMAGE_TOO_LARGE' });
  });
});
