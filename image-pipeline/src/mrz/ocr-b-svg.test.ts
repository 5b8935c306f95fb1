/**
 * The MRZ is drawn from the OCR-B outlines carried in the source, so the
 * reader's templates and the demo documents need no installed font. The
 * no-font case runs the built package in a child process whose fontconfig
 * sees an empty font folder (what a fresh machine without fonts-ocr-b, or
 * without any font, gives librsvg).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { MRZ_ALPHABET } from './check-digit';
import { ADVANCE_PER_EM } from './glyphs';
import { OCR_B_OUTLINES } from './ocr-b-outlines';
import { ocrBTextSvg, OCR_B_ADVANCE_PER_EM } from './ocr-b-svg';

const run = promisify(execFile);
const PACKAGE = path.resolve(__dirname, '../..');

describe('OCR-B outlines', () => {
  it('cover the MRZ alphabet with the advance the reader’s cells assume', () => {
    expect(Object.keys(OCR_B_OUTLINES).sort()).toEqual([...MRZ_ALPHABET].sort());
    expect(OCR_B_ADVANCE_PER_EM).toBeCloseTo(ADVANCE_PER_EM, 3);
  });

  it('draw ink where the character stands and leave spaces empty', async () => {
    const fontSize = 100;
    const pitch = fontSize * OCR_B_ADVANCE_PER_EM;
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${Math.ceil(3 * pitch)}" height="120"><rect width="100%" height="100%" fill="#fff"/>${ocrBTextSvg('H I', { x: 0, y: 100, fontSize, fill: '#000' })}</svg>`;
    const { data, info } = await sharp(Buffer.from(svg)).greyscale().raw().toBuffer({ resolveWithObject: true });
    const inkIn = (x0: number, x1: number) => {
      let ink = 0;
      for (let y = 0; y < info.height; y++) for (let x = Math.round(x0); x < Math.round(x1); x++) if (data[y * info.width + x]! < 128) ink++;
      return ink;
    };
    expect(inkIn(0, pitch)).toBeGreaterThan(500);
    expect(inkIn(pitch + 1, 2 * pitch - 1)).toBe(0);
    expect(inkIn(2 * pitch, 3 * pitch)).toBeGreaterThan(300);
    // H's capitals: about 0.71 em tall (0.72 with the anti-aliased edge rows), standing on the baseline.
    let top = info.height;
    let bottom = 0;
    for (let y = 0; y < info.height; y++) {
      for (let x = 0; x < pitch; x++) {
        if (data[y * info.width + x]! < 128) {
          top = Math.min(top, y);
          bottom = Math.max(bottom, y);
        }
      }
    }
    expect((bottom + 1 - top) / fontSize).toBeCloseTo(0.72, 1);
    expect(Math.abs(bottom + 1 - 100)).toBeLessThanOrEqual(2);
  });

  it('refuse a character outside the MRZ alphabet', () => {
    expect(() => ocrBTextSvg('AB-C', { x: 0, y: 0, fontSize: 10, fill: '#000' })).toThrow(/"-" is not an MRZ character/);
    expect(() => ocrBTextSvg('ABC', { x: [0, 1], y: 0, fontSize: 10, fill: '#000' })).toThrow(/no x position for character 2/);
  });

  it('render and read an MRZ on a machine without any font', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'exemplar-nofont-'));
    try {
      await fs.mkdir(path.join(dir, 'fonts'));
      await fs.writeFile(
        path.join(dir, 'fonts.conf'),
        `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig><dir>${dir}/fonts</dir><cachedir>${dir}/cache</cachedir></fontconfig>\n`,
      );
      const lines = ['P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<', 'L898902C36UTO7408122F1204159ZE184226B<<<<<10'];
      const script = `
        const p = require(${JSON.stringify(PACKAGE)});
        (async () => {
          const image = await p.renderMrzImage(${JSON.stringify(lines)}, { rotateDeg: 2, blurSigma: 0.8, noiseSigma: 4, seed: 3, jpegQuality: 85 });
          await require('node:fs/promises').writeFile(${JSON.stringify(path.join(dir, 'mrz.jpg'))}, image);
          const result = await p.readMrzFromFile(${JSON.stringify(path.join(dir, 'mrz.jpg'))});
          process.stdout.write(JSON.stringify(result.reading ? result.reading.lines : null));
        })().catch((e) => { process.stderr.write(String(e && e.stack || e)); process.exit(1); });`;
      const { stdout } = await run(process.execPath, ['-e', script], { env: { ...process.env, FONTCONFIG_FILE: path.join(dir, 'fonts.conf') } });
      expect(JSON.parse(stdout)).toEqual(lines);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
