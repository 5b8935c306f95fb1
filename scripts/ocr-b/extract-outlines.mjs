#!/usr/bin/env node
/**
 * Writes image-pipeline/src/mrz/ocr-b-outlines.ts: the outlines of the 37 MRZ
 * characters (A–Z, 0–9, <) of the OCR-B font, as SVG path data, so that the
 * MRZ reader's templates and the demo documents' MRZ are drawn in true OCR-B
 * on any machine, with or without the font installed.
 *
 * Source: Matthew Skala's OCR-B (Debian package fonts-ocr-b,
 * /usr/share/fonts/opentype/ocr-b/OCRB.otf, the face fontconfig gives for
 * "OCR B"), drawn from Norbert Schwarz's METAFONT sources (free to use,
 * modify and distribute without limitation; Skala's work public domain; see
 * /usr/share/doc/fonts-ocr-b/copyright). Run only to regenerate the file, on
 * a machine with that package:
 *
 *   npm install --no-save opentype.js@1.3.4
 *   node scripts/ocr-b/extract-outlines.mjs [path/to/OCRB.otf]
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const opentype = require('opentype.js');

const fontFile = process.argv[2] ?? '/usr/share/fonts/opentype/ocr-b/OCRB.otf';
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const outFile = path.join(root, 'image-pipeline/src/mrz/ocr-b-outlines.ts');
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ<';

const font = opentype.loadSync(fontFile);
const unitsPerEm = font.unitsPerEm;
const advances = new Set();
const entries = [];
for (const char of ALPHABET) {
  const glyph = font.charToGlyph(char);
  if (!glyph || glyph.index === 0) throw new Error(`${fontFile} has no glyph for ${JSON.stringify(char)}`);
  advances.add(glyph.advanceWidth);
  // Font units, y down, origin on the baseline at the left of the advance box.
  const d = glyph.getPath(0, 0, unitsPerEm).toPathData(1);
  entries.push(`  ${JSON.stringify(char)}: ${JSON.stringify(d)},`);
}
if (advances.size !== 1) throw new Error(`OCR-B should be monospaced; advances ${[...advances].join(', ')}`);
const [advance] = advances;

const source = `/**
 * OCR-B outlines of the 37 MRZ characters, as SVG path data in font units
 * (y down, origin on the baseline at the left of the advance box).
 *
 * Extracted by scripts/ocr-b/extract-outlines.mjs from Matthew Skala's OCR-B
 * (the Debian package fonts-ocr-b, ${path.basename(fontFile)}, family "${font.names.fontFamily.en.trim()}"). Its glyphs come
 * from Norbert Schwarz's METAFONT sources, which anyone "may freely use,
 * modify and/or distribute ... without limitation"; Skala's own work on them
 * is in the public domain. Carried here so that
 * the MRZ reader and the demo documents never depend on an installed font.
 */

export const OCR_B_UNITS_PER_EM = ${unitsPerEm};
/** The advance of every character (OCR-B is monospaced), font units. */
export const OCR_B_ADVANCE = ${advance};

export const OCR_B_OUTLINES: Readonly<Record<string, string>> = {
${entries.join('\n')}
};
`;
fs.writeFileSync(outFile, source);
console.log(`wrote ${path.relative(root, outFile)}: ${ALPHABET.length} glyphs, advance ${advance}/${unitsPerEm}`);
