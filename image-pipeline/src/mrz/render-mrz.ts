/**
 * MRZ lines printed in OCR-B on a plain card, then degraded like a capture
 * (rotation, blur, sensor noise, JPEG): test and benchmark input for the
 * reader whose exact text is known. The synthetic documents of `synth/` are
 * the richer input; this one isolates the MRZ.
 */
import sharp from 'sharp';
import { ocrBTextSvg } from './ocr-b-svg';

export interface RenderMrzOptions {
  /** Pixels per MRZ character (10 per inch in print). */
  pitch?: number;
  /** In-plane rotation, degrees clockwise. */
  rotateDeg?: number;
  blurSigma?: number;
  /** Standard deviation of additive Gaussian noise, grey levels. */
  noiseSigma?: number;
  /** Seed of the noise. */
  seed?: number;
  /** Encode as JPEG at this quality (PNG when absent). */
  jpegQuality?: number;
  /** Text above the MRZ, in another font (a document is more than its MRZ). */
  caption?: string;
  /** Grey level of the ink (0 black). */
  ink?: number;
  /** Grey level of the card. */
  paper?: number;
  /** Characters printed in place of the originals, shifted (in pitches) as a forger's overtyping would be. */
  overtype?: { line: number; column: number; char: string; dx: number; dy: number }[];
}

/** A small seeded generator (mulberry32): the same seed gives the same image. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export async function renderMrzImage(lines: readonly string[], options: RenderMrzOptions = {}): Promise<Buffer> {
  const pitch = options.pitch ?? 20;
  const fontSize = pitch / 0.7225;
  const lineLength = Math.max(...lines.map((l) => l.length));
  const margin = Math.round(3 * pitch);
  const width = Math.round(lineLength * pitch + 2 * margin);
  const lineGap = 1.75 * fontSize * 0.71;
  const captionHeight = options.caption ? 4 * pitch : 0;
  const height = Math.round(margin * 2 + captionHeight + lines.length * lineGap);
  const ink = options.ink ?? 25;
  const paper = options.paper ?? 235;
  const grey = (v: number) => `rgb(${v},${v},${v})`;
  const caption = options.caption
    ? `<text x="${margin}" y="${margin + 1.5 * pitch}" font-family="DejaVu Sans, sans-serif" font-size="${(1.3 * pitch).toFixed(2)}" fill="${grey(ink)}">${escape(options.caption)}</text>`
    : '';
  const baseline = (i: number) => margin + captionHeight + (i + 1) * lineGap;
  const overtype = options.overtype ?? [];
  const text = lines
    .map((l, i) => {
      // An overtyped position is left blank in the line and printed on its own.
      const shown = [...l].map((c, col) => (overtype.some((o) => o.line === i && o.column === col) ? ' ' : c)).join('');
      return ocrBTextSvg(shown, { x: margin, y: baseline(i), fontSize, fill: grey(ink) });
    })
    .join('');
  const overtyped = overtype
    .map((o) => ocrBTextSvg(o.char, { x: margin + (o.column + o.dx) * pitch, y: baseline(o.line) + o.dy * pitch, fontSize, fill: grey(ink) }))
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="${grey(paper)}"/>${caption}${text}${overtyped}</svg>`;

  const background = { r: paper, g: paper, b: paper };
  let image = sharp(Buffer.from(svg)).flatten({ background });
  if (options.rotateDeg) image = sharp(await image.png().toBuffer()).rotate(options.rotateDeg, { background }).flatten({ background });
  if (options.blurSigma && options.blurSigma >= 0.3) image = image.blur(options.blurSigma);
  const { data, info } = await image.toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 1) throw new Error(`expected one grey channel, got ${info.channels}`);
  if (options.noiseSigma) {
    const next = rng(options.seed ?? 1);
    for (let i = 0; i < data.length; i++) {
      // Box–Muller: Gaussian sensor noise.
      const g = Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
      const v = Math.round(data[i]! + g * options.noiseSigma);
      data[i] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
  const out = sharp(data, { raw: { width: info.width, height: info.height, channels: 1 } });
  return options.jpegQuality ? out.jpeg({ quality: options.jpegQuality }).toBuffer() : out.png().toBuffer();
}
