/**
 * Findings the pixel comparison cannot make: the MRZ of the questioned
 * document, read in the reference frame, checked on its own terms.
 *
 * The date of birth, the document number and the MRZ are personal data, so
 * an altered one only ever shows as a personalised difference (another
 * holder's data differ legitimately). What a forger seldom gets right is the
 * MRZ's internal consistency: overtyped digits whose check digits were not
 * recomputed, and, in such a field, characters standing out of the printer's
 * fixed grid (which alone genuine documents show too). When
 * the reference marks an MRZ zone and the questioned image covers it, the
 * zone is cut from the warped questioned image and read with the MRZ reader
 * (OCR-B templates); failing check digits and misplaced characters become
 * findings, boxed in reference pixels.
 */
import type { GreyImage } from './align-types';
import { glyphTemplates } from '../mrz/glyph-templates';
import { checkDigitDetails } from '../mrz/correct';
import { LAYOUTS, type CheckName, type MrzFormat, type MrzLayout, type MrzPos } from '../mrz/layouts';
import type { GlyphTemplates } from '../mrz/glyphs';
import { readMrzFromGrey, type MrzImageReading, type MrzReadOptions, type MrzReadResult } from '../mrz/read';
import type { RegionBox } from './regions';
import type { PixelImage } from './warp';
import { zoneShowsIn, type ComparisonZone } from './zone-verdicts';

export type ComparisonFindingKind = 'mrz-check-failed' | 'mrz-characters-misaligned';

export interface ComparisonFinding {
  kind: ComparisonFindingKind;
  /** One sentence for the examiner. */
  message: string;
  /** The zone the finding was made in. */
  zoneId: string;
  /** Reference pixels. */
  box: RegionBox;
  /** `mrz-check-failed`: the check-digit groups that fail (ICAO names: documentNumber, birthDate, expirationDate, personalNumber, composite). */
  fields?: CheckName[];
  /** MRZ positions concerned ([line, column], from 0): failing check digits, or characters out of line. */
  characters?: [number, number][];
  /** The MRZ as read on the questioned image. */
  lines?: string[];
  /** `mrz-check-failed`: each failing check digit, in the order of `fields`: its data and digit as read, and the digit the data give (null when they give none for sure). */
  checks?: MrzCheckRecord[];
  /** `mrz-characters-misaligned`: the check-digit field (the composite aside) of each entry of `characters`, null outside them. */
  characterFields?: (Exclude<CheckName, 'composite'> | null)[];
  /** The light the MRZ was read under. */
  lightSource?: string;
}

export interface MrzCheckRecord {
  field: CheckName;
  data: string;
  printed: string;
  expected: number | null;
  position: [number, number];
}

export interface MrzInspection {
  zoneId: string;
  /** The light the zone was read under. */
  lightSource: string;
  /** An MRZ was read in the zone. */
  found: boolean;
  format: MrzFormat | null;
  lines: string[] | null;
  checkDigitsValid: boolean | null;
  meanConfidence: number | null;
}

export interface MrzFindingsParams {
  /** Zones whose questioned pixels are less covered than this are not read. */
  minCoverage: number;
  /** The cut-out is grown by this share of the zone's height on each side (the printed band may sit off its annotation). */
  margin: number;
}

export const DEFAULT_MRZ_FINDINGS_PARAMS: Readonly<MrzFindingsParams> = Object.freeze({ minCoverage: 0.95, margin: 0.25 });

const CHECK_LABEL: Record<CheckName, string> = {
  documentNumber: 'document number',
  birthDate: 'date of birth',
  expirationDate: 'date of expiry',
  personalNumber: 'personal number',
  composite: 'composite',
};

function boxOf(points: readonly (readonly [number, number])[], pad: number, width: number, height: number): RegionBox {
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  const x0 = Math.max(0, Math.floor(Math.min(...xs) - pad));
  const y0 = Math.max(0, Math.floor(Math.min(...ys) - pad));
  const x1 = Math.min(width, Math.ceil(Math.max(...xs) + pad));
  const y1 = Math.min(height, Math.ceil(Math.max(...ys) + pad));
  return { x: x0, y: y0, width: Math.max(1, x1 - x0), height: Math.max(1, y1 - y0) };
}

/** Grey cut-out of interleaved pixels (BT.601 luma for RGB, as cvtColor). */
function cutGrey(img: PixelImage, box: RegionBox): GreyImage {
  const out = new Uint8Array(box.width * box.height);
  const c = img.channels;
  for (let y = 0; y < box.height; y++) {
    let k = ((y + box.y) * img.width + box.x) * c;
    const row = y * box.width;
    for (let x = 0; x < box.width; x++, k += c) {
      out[row + x] = c === 1 ? img.data[k]! : (299 * img.data[k]! + 587 * img.data[k + 1]! + 114 * img.data[k + 2]! + 500) / 1000;
    }
  }
  return { data: out, width: box.width, height: box.height };
}

/**
 * Corners of MRZ cell (line, column) from the reading's quad (top-left,
 * top-right, bottom-right, bottom-left of the text): bilinear in the quad,
 * which follows a residual tilt of the printed band.
 */
function cellCorners(quad: readonly [number, number][], lines: number, length: number, [line, column]: MrzPos): [number, number][] {
  const [tl, tr, br, bl] = quad as [[number, number], [number, number], [number, number], [number, number]];
  const at = (u: number, v: number): [number, number] => [
    (1 - v) * ((1 - u) * tl[0] + u * tr[0]) + v * ((1 - u) * bl[0] + u * br[0]),
    (1 - v) * ((1 - u) * tl[1] + u * tr[1]) + v * ((1 - u) * bl[1] + u * br[1]),
  ];
  const u0 = column / length;
  const u1 = (column + 1) / length;
  const v0 = line / lines;
  const v1 = (line + 1) / lines;
  return [at(u0, v0), at(u1, v0), at(u1, v1), at(u0, v1)];
}

/**
 * Findings of one MRZ reading; `toReference` maps the reading's pixels
 * (those of the image it was read on) to reference pixels, and the boxes
 * are clipped to the reference's width × height.
 */
export function mrzReadingFindings(
  reading: MrzImageReading,
  zoneId: string,
  lightSource: string,
  toReference: (x: number, y: number) => [number, number],
  width: number,
  height: number,
): ComparisonFinding[] {
  const quad = reading.quad.map(([x, y]) => toReference(x, y));
  const layout = LAYOUTS[reading.format];
  const nLines = reading.lines.length;
  const length = reading.lines[0]?.length ?? layout.lineLength;
  const cells = (ps: readonly MrzPos[]) => ps.flatMap((p) => cellCorners(quad, nLines, length, p));
  const pitch = Math.hypot(quad[1]![0] - quad[0]![0], quad[1]![1] - quad[0]![1]) / length;
  const out: ComparisonFinding[] = [];
  const failed = reading.checks.filter((c) => !c.valid).map((c) => c.name);
  if (failed.length > 0) {
    const groups = layout.groups.filter((g) => failed.includes(g.name));
    const details = checkDigitDetails(layout, reading.lines).filter((d) => !d.valid);
    // The composite digit covers most of the MRZ: the box is that of the failing groups' own fields where there are others.
    const boxed = groups.length > 1 ? groups.filter((g) => g.name !== 'composite') : groups;
    out.push({
      kind: 'mrz-check-failed',
      message: `MRZ check digit${failed.length > 1 ? 's' : ''} of the ${failed.map((f) => CHECK_LABEL[f]).join(', ')} field${failed.length > 1 ? 's' : ''} fail${failed.length > 1 ? '' : 's'}: the MRZ was altered or misprinted.`,
      zoneId,
      box: boxOf(cells(boxed.flatMap((g) => [...g.data, g.check])), pitch * 0.25, width, height),
      fields: failed,
      characters: groups.map((g) => [g.check[0], g.check[1]]),
      lines: [...reading.lines],
      checks: details.map((d) => ({ field: d.name, data: d.data, printed: d.printed, expected: d.expected, position: [d.position[0], d.position[1]] })),
      lightSource,
    });
  }
  // Genuine documents show characters a tenth of a pitch out of line too (printer jitter, lens distortion in
  // photos), as much as an overtyped one: alone that is no finding, but in a field whose check digit fails it
  // says which characters were changed.
  const failedPositions = new Set(layout.groups.filter((g) => failed.includes(g.name) && g.name !== 'composite').flatMap((g) => [...g.data, g.check].map(([l, c]) => `${l}:${c}`)));
  const suspect = reading.misaligned.filter((m) => failedPositions.has(`${m.line}:${m.column}`));
  if (suspect.length > 0) {
    const positions = suspect.map((m) => [m.line, m.column] as [number, number]);
    out.push({
      kind: 'mrz-characters-misaligned',
      message: `${positions.length} MRZ character${positions.length > 1 ? 's' : ''} of a field whose check digit fails ${positions.length > 1 ? 'stand' : 'stands'} out of line with the printed grid (overtyped or pasted in).`,
      zoneId,
      box: boxOf(cells(positions), pitch * 0.5, width, height),
      characters: positions,
      lines: [...reading.lines],
      characterFields: positions.map((p) => fieldAt(layout, p)),
      lightSource,
    });
  }
  return out;
}

/**
 * A character matched more poorly than this (clean OCR-B reads, photos
 * included, match every character at 0.69 or more) …
 */
const MIN_SURE_CONFIDENCE = 0.5;
/**
 * … is washed out by glare when its cell is blown out (its median pixel at
 * least `BLOWN_LEVEL`) and holds no dark ink (its darkest tenth lighter than
 * `WASHED_INK_LEVEL`): light off the laminate lifts the ink by 200 grey levels
 * and more and saturates the paper. A character changed in an ink the light
 * does not show, which matches as poorly, leaves paper of its usual shade (a
 * blank cell, below); one overtyped in another font leaves dark ink.
 */
const BLOWN_LEVEL = 250;
const WASHED_INK_LEVEL = 150;

/** The grey levels of cell (line, column) of `reading` in `grey`, the image it was read on, darkest first. */
function cellValues(grey: GreyImage, reading: MrzImageReading, pos: MrzPos): number[] {
  const corners = cellCorners(reading.quad, reading.lines.length, reading.lines[0]?.length ?? 0, pos);
  const b = boxOf(corners, 0, grey.width, grey.height);
  const values: number[] = [];
  // A cell wholly off the image has no pixels (boxOf clamps only its far edges): it shows no character.
  const [yEnd, xEnd] = [Math.min(grey.height, b.y + b.height), Math.min(grey.width, b.x + b.width)];
  for (let y = b.y; y < yEnd; y++) for (let x = b.x; x < xEnd; x++) values.push(grey.data[y * grey.width + x]!);
  return values.sort((a, c) => a - c);
}

const quantile = (sorted: readonly number[], q: number) => sorted[Math.floor(q * (sorted.length - 1))]!;

/** Whether a cell (its grey levels, darkest first) is washed out by glare. */
function washedOut(values: readonly number[]): boolean {
  return values.length > 0 && quantile(values, 0.5) >= BLOWN_LEVEL && quantile(values, 0.1) >= WASHED_INK_LEVEL;
}

/** How far the darkest twentieth of a cell lies below its median: the depth of its ink. */
function inkDepth(values: readonly number[]): number {
  return values.length > 0 ? quantile(values, 0.5) - quantile(values, 0.05) : 0;
}

/**
 * A cell holds no character when its ink is less than this share of the
 * MRZ's usual ink depth: every MRZ position prints something (a filler
 * included), so a blank cell is a character that does not show in this light
 * — printed in an ink it does not see (an alteration, under IR), erased or
 * covered. Its best "reading" is chance.
 */
const BLANK_INK_SHARE = 0.25;

/**
 * Whether `reading` was read for sure from `grey`: no character matched
 * poorly where its cell is washed out by glare or shows no character at all.
 */
function readForSure(grey: GreyImage, reading: MrzImageReading): boolean {
  const poor: number[][] = [];
  const depths: number[] = [];
  reading.confidence.forEach((row, line) =>
    row.forEach((confidence, column) => {
      const values = cellValues(grey, reading, [line, column]);
      depths.push(inkDepth(values));
      if (confidence < MIN_SURE_CONFIDENCE) poor.push(values);
    }),
  );
  if (poor.length === 0) return true;
  const usualDepth = depths.sort((a, b) => a - b)[depths.length >> 1]!;
  return !poor.some((values) => washedOut(values) || inkDepth(values) < BLANK_INK_SHARE * usualDepth);
}

/**
 * `readMrzFromGrey` for a comparison: a reading washed out in part by glare,
 * or with a character that does not show, counts as none: its check digits
 * would be chance, saying "altered" of a genuine document or "valid" of an
 * altered one.
 */
export function readMrzForSure(grey: GreyImage, templates: GlyphTemplates, options?: MrzReadOptions): MrzReadResult {
  const read = readMrzFromGrey(grey, templates, options);
  return read.reading && !readForSure(grey, read.reading) ? { ...read, found: false, reading: null } : read;
}

/** The summary of a reading kept with the comparison's statistics. */
export function mrzInspectionOf(zoneId: string, lightSource: string, reading: MrzImageReading | null): MrzInspection {
  if (!reading) return { zoneId, lightSource, found: false, format: null, lines: null, checkDigitsValid: null, meanConfidence: null };
  return {
    zoneId,
    lightSource,
    found: true,
    format: reading.format,
    lines: [...reading.lines],
    checkDigitsValid: reading.checkDigitsValid,
    meanConfidence: Math.round(reading.meanConfidence * 1e4) / 1e4,
  };
}

/** The check-digit field (the composite aside, which covers most of the MRZ) whose data or check digit hold a position. */
function fieldAt(layout: MrzLayout, [line, column]: MrzPos): Exclude<CheckName, 'composite'> | null {
  for (const g of layout.groups) {
    if (g.name === 'composite') continue;
    if ((g.check[0] === line && g.check[1] === column) || g.data.some(([l, c]) => l === line && c === column)) return g.name;
  }
  return null;
}

/** Reflected infrared lights (transmitted IR superimposes both sides; IR luminescence shows other inks), best for an MRZ first: the carbon-based MRZ ink absorbs throughout the near IR, and readers work near 900 nm (ICAO's B900 band). */
const MRZ_IR_ORDER: readonly string[] = ['ir-870', 'ir-940', 'ir-780', 'ir-720', 'ir-700', 'ir-oblique'];

/**
 * The light to read the questioned capture's MRZ under, among the lights
 * compared: white when there is one, else infrared (MRZ ink is carbon-based,
 * so the MRZ stands out under IR where most other print vanishes), else the
 * anchor light. Only a light the reference marks an MRZ zone under counts;
 * undefined when there is none.
 */
export function chooseMrzLight(lights: readonly string[], anchorLight: string, zones: readonly ComparisonZone[]): string | undefined {
  const readable = lights.filter((l) => mrzZonesFor(zones, l).length > 0);
  for (const l of ['white', ...MRZ_IR_ORDER, anchorLight]) if (readable.includes(l)) return l;
  return undefined;
}

/** MRZ zones of the reference that show under a light. */
export function mrzZonesFor(zones: readonly ComparisonZone[], lightSource: string): ComparisonZone[] {
  return zones.filter((z) => z.type === 'mrz' && zoneShowsIn(z, lightSource));
}

/**
 * The MRZ zone a reading (its quad in reference pixels) lies in: the zone
 * whose box, grown by `margin` of its height, holds the reading's centre.
 */
export function zoneOfReading(zones: readonly ComparisonZone[], quad: readonly (readonly [number, number])[], margin = DEFAULT_MRZ_FINDINGS_PARAMS.margin): ComparisonZone | undefined {
  const cx = quad.reduce((s, p) => s + p[0], 0) / quad.length;
  const cy = quad.reduce((s, p) => s + p[1], 0) / quad.length;
  return zones.find((z) => {
    const b = boxOf(z.polygon, 0, Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY);
    const pad = margin * b.height;
    return cx >= b.x - pad && cx <= b.x + b.width + pad && cy >= b.y - pad && cy <= b.y + b.height + pad;
  });
}

/**
 * Reads the MRZ zones that show under this light on the questioned image
 * warped into the reference frame (`valid`: 255 where it has pixels, at the
 * same size) and reports what fails.
 */
export async function mrzFindings(
  warped: PixelImage,
  valid: Uint8Array,
  zones: readonly ComparisonZone[],
  lightSource: string,
  params: MrzFindingsParams = DEFAULT_MRZ_FINDINGS_PARAMS,
): Promise<{ findings: ComparisonFinding[]; inspections: MrzInspection[] }> {
  const mrzZones = mrzZonesFor(zones, lightSource);
  const findings: ComparisonFinding[] = [];
  const inspections: MrzInspection[] = [];
  if (mrzZones.length === 0) return { findings, inspections };
  const templates = await glyphTemplates();
  const { width: W, height: H } = warped;
  for (const zone of mrzZones) {
    const tight = boxOf(zone.polygon, 0, W, H);
    const box = boxOf(zone.polygon, params.margin * tight.height, W, H);
    let seen = 0;
    for (let y = tight.y; y < tight.y + tight.height; y++) for (let x = tight.x; x < tight.x + tight.width; x++) if (valid[y * W + x]) seen++;
    if (seen < params.minCoverage * tight.width * tight.height) {
      inspections.push(mrzInspectionOf(zone.id, lightSource, null));
      continue;
    }
    // Upright only: the image is in the reference frame, where the MRZ reads left to right.
    const read = readMrzForSure(cutGrey(warped, box), templates, { rotations: false });
    const r = read.found ? read.reading : null;
    inspections.push(mrzInspectionOf(zone.id, lightSource, r));
    if (!r) continue;
    findings.push(...mrzReadingFindings(r, zone.id, lightSource, (x, y) => [x + box.x, y + box.y], W, H));
  }
  return { findings, inspections };
}
