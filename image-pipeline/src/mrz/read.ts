/**
 * Reading an MRZ from an image, offline: locate the band (locate.ts), fit
 * each row's character slots at the fixed pitch of its format (30, 36 or 44
 * per row), match every cell against OCR-B glyph templates (match.ts), refit
 * the geometry from the recognised characters' known shapes and match again,
 * then choose among the candidates so that check digits hold (correct.ts).
 * A row with cells that match nothing is read again one or two slots either
 * way (a card edge past the MRZ taken for a character).
 * Turned images are handled: rows at any small angle directly, and the image
 * is re-read turned by 180° and 90° when no valid MRZ was found upright.
 */
import type { GreyImage } from '../ops/align-types';
import { correctMrz, mrzPosKey, verifyCheckDigits, type CharCandidate, type CheckResult, type Correction, type CorrectionOptions } from './correct';
import { ADVANCE, BASELINE, blurredRegulars, blurredTemplates, CAP_PER_EM, CELL_WIDTH, EM, regularWeights, templateSeparation, type GlyphTemplates } from './glyphs';
import { CLASS_CHARS, formatsFor, LAYOUTS, type MrzFormat } from './layouts';
import { evalPoly, median, polySlope, robustLinear, robustPoly, type Poly } from './fit';
import { findTextRows, groupMrzCandidates, type LineMember, type MrzCandidate, type TextRow } from './locate';
import { bestScoresAtShifts, matchCell, sampleCell, SHIFT_MARGIN, shiftsAround, type CellGeometry, type CellMatch } from './match';
import { rotateQuarter, sampleBilinear, unrotatePoint } from './raster';

export interface MrzReadOptions {
  /** MRZ-shaped row groups tried per orientation (best first). */
  maxCandidates?: number;
  /** Also try the image turned by 180° and 90° when nothing valid was read upright (default true). */
  rotations?: boolean;
  /** The band is searched on a copy reduced to this long edge (reading uses full resolution). */
  locateLongEdge?: number;
  correction?: Partial<CorrectionOptions>;
}

export interface MrzImageReading {
  format: MrzFormat;
  /** After check-digit-driven correction. */
  lines: string[];
  /** Best-matching glyph of every position, before any constraint or correction. */
  rawLines: string[];
  /** Match score (normalised cross-correlation, 0–1) of every chosen character. */
  confidence: number[][];
  /** The three best glyphs of every position with their scores. */
  alternatives: CharCandidate[][][];
  corrections: Correction[];
  /** Check digits recomputed on `lines` (ICAO 7-3-1; the server reports the `mrz` package's verdict). */
  checks: CheckResult[];
  checkDigitsValid: boolean;
  documentNumberRule: 'standard' | 'long-icao' | 'long-including-filler';
  meanConfidence: number;
  minConfidence: number;
  /**
   * Characters standing out of line with their row (shift in pitches, forward
   * and down): MRZ printers place every character exactly, so this is what an
   * overtyped or pasted-in character looks like.
   */
  misaligned: { line: number; column: number; dx: number; dy: number }[];
  /** Corners of the MRZ in the input image (top-left, top-right, bottom-right, bottom-left of the text as read). */
  quad: [number, number][];
  /** Direction of the text rows in the input image, degrees clockwise from the x axis (about 180 when upside down). */
  angleDeg: number;
}

export interface MrzReadResult {
  found: boolean;
  reading: MrzImageReading | null;
  /** Candidate bands read (all orientations). */
  attempts: number;
  elapsedMs: number;
}

/** Typical height of the tall MRZ characters over the em: between the capitals' and the digits' (OCR-B digits stand taller). */
const TALL_PER_EM = 0.74;
/** Height of a typical character's ink centre above the baseline, template pixels. */
const MID_HEIGHT = (TALL_PER_EM * EM) / 2;

const DEFAULTS = { maxCandidates: 4, rotations: true, locateLongEdge: 1000 };

/** Averages blocks of `f × f` pixels (f ≥ 1 integer). */
function reduce(img: GreyImage, f: number): GreyImage {
  if (f <= 1) return img;
  const w = Math.floor(img.width / f);
  const h = Math.floor(img.height / f);
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let dy = 0; dy < f; dy++) {
        const row = (y * f + dy) * img.width + x * f;
        for (let dx = 0; dx < f; dx++) s += img.data[row + dx]!;
      }
      out[y * w + x] = Math.round(s / (f * f));
    }
  }
  return { data: out, width: w, height: h };
}

/** A row found on a reduced copy, in full-resolution pixels (pixel centres: x = f·x' + (f−1)/2). */
function scaleRow(row: TextRow, f: number): TextRow {
  if (f === 1) return row;
  const off = (f - 1) / 2;
  const da = off * (row.dir[0] + row.dir[1]);
  const db = off * (row.normal[0] + row.normal[1]);
  const a = (v: number) => f * v + da;
  const b = (v: number) => f * v + db;
  const m = (x: LineMember): LineMember => ({ blob: x.blob, aMin: a(x.aMin), aMax: a(x.aMax), bMin: b(x.bMin), bMax: b(x.bMax) });
  // b' = P(a') on the reduced copy, with a' = (a − da)/f and b = f·b' + db.
  const line = (c: Poly): number[] => {
    const [c0 = 0, c1 = 0, c2 = 0] = c;
    const q = c2 / f;
    return [f * c0 + db - c1 * da + q * da * da, c1 - 2 * q * da, q];
  };
  return { ...row, members: row.members.map(m), base: line(row.base), top: line(row.top), height: f * row.height, pitch: f * row.pitch, aStart: a(row.aStart), aEnd: a(row.aEnd) };
}

/** Row geometry: where each MRZ column (0 … length−1) sits along the row, the baseline and the vertical scale. */
interface RowModel {
  row: TextRow;
  /** Along-coordinate of a column's centre as a polynomial of the column index. */
  along: Poly;
  /** Baseline (normal coordinate) as a polynomial of the along-coordinate. */
  base: Poly;
  /** Image pixels per template pixel across the row, as a polynomial of the along-coordinate. */
  vscale: Poly;
  /** Slant of the characters' verticals (tangent, positive leaning forward): a camera tilted sideways shears them. */
  shear: number;
}

/**
 * Slot indices of the members, from the first character-like one at slot 0:
 * first counted neighbour to neighbour (a pitch estimate a few per cent off
 * cannot accumulate into a whole slot), then read off a robust fit.
 */
function fitSlots(row: TextRow): { along: Poly; slots: Map<LineMember, number> } {
  // OCR-B ink is at most 0.7 pitch wide: anything wider is two characters touching, or not a character.
  const chars = row.members.filter((m) => m.aMax - m.aMin < 0.9 * row.pitch);
  const centre = (m: LineMember) => (m.aMin + m.aMax) / 2;
  const centres = chars.map(centre);
  const sequential = [0];
  for (let k = 1; k < centres.length; k++) sequential.push(sequential[k - 1]! + Math.round((centres[k]! - centres[k - 1]!) / row.pitch));
  // Quadratic from the start when there are enough characters: under perspective the pitch changes along the row.
  const degree = chars.length >= 20 ? 2 : 1;
  let along: Poly = robustPoly(sequential, centres, degree, 0.3 * row.pitch) ?? [centres[0] ?? row.aStart, row.pitch];
  for (let iter = 0; iter < 2; iter++) {
    const s = centres.map((c) => Math.round(slotAt(along, c)));
    const fit = robustPoly(s, centres, degree, 0.3 * row.pitch);
    if (fit) along = fit;
  }
  const slots = new Map<LineMember, number>();
  chars.forEach((m, k) => slots.set(m, Math.round(slotAt(along, centres[k]!))));
  return { along, slots };
}

/** Slot index (fractional) at an along-coordinate. */
function slotAt(along: Poly, a: number): number {
  const c1 = along[1] ?? 1;
  let s = (a - along[0]!) / c1;
  if (!along[2]) return s;
  // Newton from the linear guess: the quadratic term is a small perspective correction.
  for (let i = 0; i < 4; i++) s -= (evalPoly(along, s) - a) / polySlope(along, s);
  return s;
}

/** How much of each slot is inked: 1 for a character-like blob, less for a slot covered by a merged run. */
function occupancy(row: TextRow, along: Poly, slots: Map<LineMember, number>): Map<number, number> {
  const occ = new Map<number, number>();
  const add = (s: number, v: number) => occ.set(s, Math.max(occ.get(s) ?? 0, v));
  for (const m of row.members) {
    const s = slots.get(m);
    if (s !== undefined) {
      add(s, 1);
      continue;
    }
    const p = Math.abs(along[1]!);
    const from = Math.round(slotAt(along, m.aMin + 0.35 * p));
    const to = Math.round(slotAt(along, m.aMax - 0.35 * p));
    for (let k = from; k <= to; k++) add(k, 0.6);
  }
  return occ;
}

/** First slot of each row: the window of `length` slots holding the most ink, tied windows aligned with the other rows' starts. */
function chooseWindows(models: { row: TextRow; along: Poly; occ: Map<number, number> }[], length: number): number[] {
  const options = models.map(({ occ }) => {
    const keys = [...occ.keys()];
    const lo = Math.min(...keys);
    const hi = Math.max(...keys);
    const scored: { first: number; count: number }[] = [];
    for (let first = lo - length + 1; first <= hi; first++) {
      let count = 0;
      for (let k = first; k < first + length; k++) count += occ.get(k) ?? 0;
      scored.push({ first, count });
    }
    const top = Math.max(...scored.map((s) => s.count));
    return scored.filter((s) => s.count >= top - 1.5);
  });
  const startPoint = (i: number, first: number): [number, number] => {
    const { row, along } = models[i]!;
    const a = evalPoly(along, first);
    const b = (evalPoly(row.base, a) + evalPoly(row.top, a)) / 2;
    return [a * row.dir[0] + b * row.normal[0], a * row.dir[1] + b * row.normal[1]];
  };
  // The row with the most ink decides; the others start level with it.
  const refIdx = options.map((o) => Math.max(...o.map((x) => x.count))).reduce((bi, c, i, arr) => (c > arr[bi]! ? i : bi), 0);
  // Among equally inked windows the leftmost: an MRZ row starts at its first character.
  const ref = options[refIdx]!.reduce((a, b) => (b.count > a.count ? b : a));
  const refPoint = startPoint(refIdx, ref.first);
  const dir = models[refIdx]!.row.dir;
  const refA = refPoint[0] * dir[0] + refPoint[1] * dir[1];
  return options.map((opts, i) => {
    if (i === refIdx) return ref.first;
    let best = opts[0]!;
    let bestKey = Infinity;
    for (const o of opts) {
      const p = startPoint(i, o.first);
      const key = Math.abs(p[0] * dir[0] + p[1] * dir[1] - refA) - 0.2 * o.count * Math.abs(models[i]!.along[1]!);
      if (key < bestKey) {
        bestKey = key;
        best = o;
      }
    }
    return best.first;
  });
}

interface ColumnAnchor {
  row: number;
  col: number;
  /** Along-coordinate (in the row's own frame) of the column's centre. */
  a: number;
}

/**
 * One column model for all rows: the characters of an MRZ stand in columns,
 * so every row shares the pitch and its perspective change; each row only
 * adds an offset and a small linear term (its frame, and a column shear).
 * A row's end without anchors (a run of fillers merged into one blob) is
 * then placed by the other rows instead of by extrapolation.
 */
function fitColumns(anchors: readonly ColumnAnchor[], rowCount: number, pitch: number, fallback: readonly Poly[]): Poly[] {
  const perRow = Array.from({ length: rowCount }, (_, r) => anchors.filter((x) => x.row === r));
  const ownTerms = perRow.map((xs, r) => {
    if (r === 0 || xs.length < 3) return { offset: false, slope: false };
    const span = Math.max(...xs.map((x) => x.col)) - Math.min(...xs.map((x) => x.col));
    return { offset: true, slope: xs.length >= 6 && span >= 10 };
  });
  const used = anchors.filter((x) => x.row === 0 || ownTerms[x.row]!.offset);
  if (perRow[0]!.length < 3) return [...fallback];
  const cols = used.map((x) => x.col);
  const quadratic = used.length >= 16 && Math.max(...cols) - Math.min(...cols) >= 20;
  const featuresOf = (x: ColumnAnchor): number[] => {
    const f = [1, x.col];
    if (quadratic) f.push(x.col * x.col);
    for (let r = 1; r < rowCount; r++) {
      if (ownTerms[r]!.offset) f.push(x.row === r ? 1 : 0);
      if (ownTerms[r]!.slope) f.push(x.row === r ? x.col : 0);
    }
    return f;
  };
  const coef = robustLinear(used.map(featuresOf), used.map((x) => x.a), 0.25 * pitch);
  if (!coef) return [...fallback];
  const shared = [coef[0]!, coef[1]!, quadratic ? coef[2]! : 0];
  let k = quadratic ? 3 : 2;
  return Array.from({ length: rowCount }, (_, r) => {
    if (r === 0) return shared;
    const t = ownTerms[r]!;
    if (!t.offset) return fallback[r]!;
    const offset = coef[k++]!;
    const slope = t.slope ? coef[k++]! : 0;
    return [shared[0]! + offset, shared[1]! + slope, shared[2]!];
  });
}

function cellGeometry(model: RowModel, col: number): CellGeometry {
  const { row } = model;
  const a = evalPoly(model.along, col);
  const b = evalPoly(model.base, a);
  // A curled page bends the row: the cell follows the local tangent of the baseline.
  const slope = polySlope(model.base, a);
  const stretch = Math.hypot(1, slope);
  const t: [number, number] = [(row.dir[0] + slope * row.normal[0]) / stretch, (row.dir[1] + slope * row.normal[1]) / stretch];
  const nn: [number, number] = [-t[1], t[0]];
  const sh = (Math.abs(polySlope(model.along, col)) * stretch) / ADVANCE;
  const sv = evalPoly(model.vscale, a);
  // Up the character (negative template rows) the verticals move forward by `shear` per unit of height.
  return {
    origin: [a * row.dir[0] + b * row.normal[0], a * row.dir[1] + b * row.normal[1]],
    along: [t[0] * sh, t[1] * sh],
    across: [(nn[0] - model.shear * t[0]) * sv, (nn[1] - model.shear * t[1]) * sv],
  };
}

/**
 * The slant of a row's characters: the shear that makes the ink's column
 * profile sharpest (vertical strokes line up), searched coarse to fine on a
 * strip sampled along the whole row. Perspective from a camera tilted
 * sideways leans every vertical stroke by the same amount along a row.
 */
function estimateShear(img: GreyImage, model: RowModel, length: number): number {
  const width = length * ADVANCE;
  // Rows of the strip: from the digits' top to the baseline, template pixels.
  const rows = Array.from({ length: 24 }, (_, k) => -1 - k);
  const geometries = Array.from({ length }, (_, col) => cellGeometry({ ...model, shear: 0 }, col));
  // Template pixels along the row per template pixel across it, per column.
  const aspects = geometries.map((g) => Math.hypot(...g.across) / Math.hypot(...g.along));
  const sharpness = (shear: number): number => {
    let total = 0;
    for (let x = 0; x < width; x++) {
      const col = Math.min(length - 1, Math.floor(x / ADVANCE));
      const g = geometries[col]!;
      const aspect = aspects[col]!;
      const u = x - col * ADVANCE - ADVANCE / 2 + 0.5;
      let ink = 0;
      for (const v of rows) {
        // Sheared sampling: forward along the row by `shear` per unit up.
        const uu = u - shear * v * aspect;
        const px = g.origin[0] + uu * g.along[0] + v * g.across[0];
        const py = g.origin[1] + uu * g.along[1] + v * g.across[1];
        ink += 255 - sampleBilinear(img, px, py);
      }
      total += ink * ink;
    }
    return total;
  };
  let best = 0;
  let bestValue = sharpness(0);
  for (const step of [0.1, 0.04, 0.015]) {
    const centre = best;
    for (const s of [centre - 2 * step, centre - step, centre + step, centre + 2 * step]) {
      if (Math.abs(s) > 0.7) continue;
      const v = sharpness(s);
      if (v > bestValue) {
        bestValue = v;
        best = s;
      }
    }
  }
  return best;
}

/** Row shift searched first (template pixels), then around it per cell; weak cells of a well-read row search wider. */
const ROW_SHIFT = 2;
/** Further template blurs (template pixels) tried per row, beyond the templates' own slight softness. */
const EXTRA_BLURS = [0.8, 1.4, 2, 2.8, 3.6];
/** Factors tried on a row's vertical scale. */
const SCALE_FACTORS = [0.88, 0.91, 0.94, 0.97, 1.03];
const WIDE_SHIFT: [number, number] = [5, 3];
/** A cell this far off the row (template pixels) is reported as out of line. */
const MISALIGNED_SHIFT = 3;

interface RowMatch {
  cells: CellMatch[];
  /** The shift of the whole row; a cell's own shift relative to it tells a character printed out of line. */
  shift: [number, number];
  /** Brings the row's score gaps to the sharp templates' scale (1 when matched with them): see `templateSeparation`. */
  lossScale: number;
}

/** The cells that choose a row's shift, blur and scale: every fourth. */
const SAMPLED_COLUMNS = (length: number) => Array.from({ length: Math.ceil((length - 1) / 4) }, (_, i) => 1 + 4 * i);

/** The shift of a whole row (template pixels) at which its sampled cells match their best glyphs best, with that total. */
function rowShift(cells: readonly Float32Array[], regular: readonly Float32Array[]): { shift: [number, number]; total: number } {
  const all = shiftsAround(0, 0, ROW_SHIFT);
  const totals = new Array<number>(all.length).fill(0);
  for (const cell of cells) {
    const best = bestScoresAtShifts(cell, regular, all);
    for (let i = 0; i < all.length; i++) totals[i]! += best[i]!;
  }
  const total = Math.max(...totals);
  return { shift: all[totals.indexOf(total)]!, total };
}

/**
 * The row's vertical scale corrected by template matching. The scale comes
 * from the heights of ink blobs, and the blobs of small, soft characters
 * come out tall (their blur is taken for ink): a few per cent too tall a
 * cell makes OCR-B's 0 (taller than its O) match the O better.
 */
function fitVerticalScale(img: GreyImage, model: RowModel, length: number, templates: GlyphTemplates): RowModel {
  const regular = regularWeights(templates);
  const columns = SAMPLED_COLUMNS(length);
  const scaled = (f: number): RowModel => (f === 1 ? model : { ...model, vscale: model.vscale.map((c) => c * f) });
  const { shift, total } = rowShift(columns.map((col) => sampleCell(img, cellGeometry(model, col))), regular);
  // The baseline stays where it is; the row's shift may move a pixel up or down with the scale.
  const shifts = [-1, 0, 1].map((d): [number, number] => [shift[0], shift[1] + d]).filter(([, y]) => Math.abs(y) <= SHIFT_MARGIN);
  let best = { f: 1, total };
  for (const f of SCALE_FACTORS) {
    const m = scaled(f);
    let t = 0;
    for (const col of columns) t += Math.max(...bestScoresAtShifts(sampleCell(img, cellGeometry(m, col)), regular, shifts));
    if (t > best.total) best = { f, total: t };
  }
  return scaled(best.f);
}

/**
 * Matches every cell of a row: one shift for the whole row first (from a
 * quarter of its cells), then the template blur those cells match best at,
 * then ±1 per cell; in a row read well, a cell that matches poorly is
 * searched again over a quarter pitch (a character printed out of line, as
 * an overtyped one often is).
 */
function matchRow(img: GreyImage, model: RowModel, length: number, crisp: GlyphTemplates): RowMatch {
  const cells = Array.from({ length }, (_, col) => sampleCell(img, cellGeometry(model, col)));
  const sampled = SAMPLED_COLUMNS(length).map((col) => cells[col]!);
  const { shift, total: crispTotal } = rowShift(sampled, regularWeights(crisp));
  const [gx, gy] = shift;
  // The templates as soft as this row's characters: the blur whose best glyphs match the same cells best.
  let chosen = 0;
  let bestTotal = crispTotal;
  for (const sigma of EXTRA_BLURS) {
    const reg = blurredRegulars(crisp, sigma);
    let total = 0;
    for (const cell of sampled) total += bestScoresAtShifts(cell, reg, [[gx, gy]])[0]!;
    if (total > bestTotal) [chosen, bestTotal] = [sigma, total];
  }
  const templates = blurredTemplates(crisp, chosen);
  const lossScale = templateSeparation(crisp) / templateSeparation(templates);
  const matches = cells.map((cell) => matchCell(cell, templates, shiftsAround(gx, gy, 1)));
  const mean = matches.reduce((s, m) => s + m.candidates[0]!.score, 0) / length;
  if (mean >= 0.75) {
    matches.forEach((m, k) => {
      // On the sharp templates' scale: softened ones score a cell a quarter pitch off its row well enough to pass.
      if ((1 - m.candidates[0]!.score) * lossScale <= 0.15) return;
      const wide = matchCell(cells[k]!, templates, shiftsAround(gx, gy, ...WIDE_SHIFT));
      if (wide.candidates[0]!.score > m.candidates[0]!.score) matches[k] = wide;
    });
  }
  return { cells: matches, shift: [gx, gy], lossScale };
}

/**
 * Refits the geometry from recognised characters: each confidently matched
 * blob, with the ink box its glyph has in the template, tells where its
 * column's centre, the baseline and the vertical scale are.
 */
function refineModels(models: readonly RowModel[], matches: readonly RowMatch[], memberCols: readonly Map<LineMember, number>[], templates: GlyphTemplates): RowModel[] {
  const inkOf = new Map(templates.glyphs.map((g) => [g.char, g.ink]));
  const anchors: ColumnAnchor[] = [];
  const refined = models.map((model, r) => {
    const pitch = Math.abs(polySlope(model.along, 0));
    const sh = pitch / ADVANCE;
    const aAt: number[] = [];
    const baseAt: number[] = [];
    const scaleAt: number[] = [];
    for (const [m, col] of memberCols[r]!) {
      const match = matches[r]!.cells[col];
      const [best, second] = match?.candidates ?? [];
      const ink = best && best.score >= 0.55 && !(second && best.score - second.score < 0.04) ? inkOf.get(best.char) : undefined;
      if (!ink) {
        // Unrecognised, it still marks its column: the fit must not extrapolate over a poorly read row end.
        anchors.push({ row: r, col, a: (m.aMin + m.aMax) / 2 - model.shear * MID_HEIGHT * evalPoly(model.vscale, (m.aMin + m.aMax) / 2) });
        continue;
      }
      const sv = (m.bMax - m.bMin) / (ink.y1 - ink.y0);
      const a = (m.aMin + m.aMax) / 2;
      const lean = model.shear * (BASELINE - (ink.y0 + ink.y1) / 2) * sv;
      anchors.push({ row: r, col, a: a - lean - ((ink.x0 + ink.x1) / 2 - CELL_WIDTH / 2) * sh });
      aAt.push(a);
      scaleAt.push(sv);
      baseAt.push(m.bMax - (ink.y1 - BASELINE) * sv);
    }
    if (aAt.length < 8) return model;
    const degree = aAt.length >= 16 ? 2 : 1;
    const vscale = robustPoly(aAt, scaleAt, 1, 0.08 * median(scaleAt));
    const base = robustPoly(aAt, baseAt, degree, 0.15 * pitch);
    return vscale && base ? { ...model, vscale, base } : model;
  });
  if (anchors.filter((x) => x.row === 0).length < 8) return refined;
  const along = fitColumns(anchors, models.length, Math.abs(polySlope(models[0]!.along, 0)), models.map((m) => m.along));
  return refined.map((m, r) => ({ ...m, along: along[r]! }));
}

interface CandidateRead {
  reading: Omit<MrzImageReading, 'quad' | 'angleDeg'>;
  /** Quad and direction in the oriented image. */
  quad: [number, number][];
  dir: [number, number];
  /** Fraction of positions whose best glyph was already of the position's class (digit, letter …). */
  layoutAgreement: number;
  rank: number;
}

type SlotFit = { row: TextRow } & ReturnType<typeof fitSlots>;

function readCandidate(img: GreyImage, cand: MrzCandidate, templates: GlyphTemplates, options: Partial<CorrectionOptions>): CandidateRead | null {
  const fits = cand.rows.map((row) => ({ row, ...fitSlots(row) }));
  const firsts = chooseWindows(
    fits.map((f) => ({ row: f.row, along: f.along, occ: occupancy(f.row, f.along, f.slots) })),
    cand.lineLength,
  );
  const read = readWindows(img, cand, fits, firsts, templates, options);
  if (!read) return null;
  // The ink window can be a slot or two off: an edge or mark just past a row taken for a character (a card's edge in
  // a photo, with the gap before the text as a blank cell), or a thin first character missed. Then cells of the row
  // match nothing, and a row of an MRZ prints a character in every cell, fillers included. Read a slot or two
  // either way, all rows together (when check digits fail), then each row alone. A move counts only when it leaves
  // fewer cells matching nothing than the read it moves from, and then the better read (`rank`) wins. A cell that
  // prints nothing (a character in an ink this light does not see, erased or covered) stays unmatched whichever way
  // the row moves: the row is read where it stands, not moved with every character wrong and, for a row with check
  // digits, a correction that may make them hold by chance.
  let best: { read: CandidateRead; firsts: readonly number[] } = { read, firsts };
  const tryFirsts = (moved: readonly number[], from: CandidateRead) => {
    const r = readWindows(img, cand, fits, moved, templates, options);
    if (r && r.rank > best.read.rank && unmatchedCells(r) < unmatchedCells(from)) best = { read: r, firsts: moved };
  };
  // Only for a read that is an MRZ but for some cells: text of another font, or noise, gains nothing from more tries.
  // And only for cells that match nothing at a row's ends, where a window a slot or two off leaves them: a blank cell
  // inside a row is a character this light does not show, and no move brings it back.
  if (unmatchedCells(read) === 0 || read.reading.meanConfidence < GOOD_MEAN_CONFIDENCE || !firsts.some((_, row) => unmatchedAtEnds(read, row))) return read;
  if (!read.reading.checkDigitsValid) for (const d of WINDOW_MOVES) tryFirsts(firsts.map((f) => f + d), read);
  for (let row = 0; row < firsts.length; row++) {
    // Every cell matched: no move can leave fewer unmatched.
    if (unmatchedCells(best.read) === 0) break;
    if (!unmatchedAtEnds(best.read, row)) continue;
    const start = best;
    for (const d of WINDOW_MOVES) tryFirsts(start.firsts.map((f, r) => (r === row ? f + d : f)), start.read);
  }
  return best.read;
}

/** Slots a row's window is moved by when cells of the row match nothing. */
const WINDOW_MOVES = [-1, 1, -2, 2];
/** A cell matching worse than this matches nothing: blank, or not a character. */
const UNMATCHED = 0.4;
/** How many cells of a read match nothing. */
const unmatchedCells = (read: CandidateRead) => read.reading.confidence.reduce((n, row) => n + row.filter((c) => c < UNMATCHED).length, 0);
/** Whether a cell within the largest window move of either end of the row matches nothing. */
const MOVE_REACH = Math.max(...WINDOW_MOVES.map(Math.abs));
function unmatchedAtEnds(read: CandidateRead, row: number): boolean {
  const cells = read.reading.confidence[row] ?? [];
  return cells.some((c, i) => c < UNMATCHED && (i < MOVE_REACH || i >= cells.length - MOVE_REACH));
}

/** Reads the candidate with each row's first character at slot `firsts[row]` of its fit. */
function readWindows(img: GreyImage, cand: MrzCandidate, fits: readonly SlotFit[], firsts: readonly number[], templates: GlyphTemplates, options: Partial<CorrectionOptions>): CandidateRead | null {
  const length = cand.lineLength;
  const memberCols = fits.map((f, r) => {
    const cols = new Map<LineMember, number>();
    for (const [m, s] of f.slots) if (s - firsts[r]! >= 0 && s - firsts[r]! < length) cols.set(m, s - firsts[r]!);
    return cols;
  });
  const anchors = memberCols.flatMap((cols, r) => [...cols].map(([m, col]) => ({ row: r, col, a: (m.aMin + m.aMax) / 2 })));
  // Each row's own fit, re-indexed by column, where the joint fit cannot place a row.
  const own = fits.map((f, r): Poly => {
    const [c0 = 0, c1 = 0, c2 = 0] = f.along;
    const s0 = firsts[r]!;
    return [c0 + c1 * s0 + c2 * s0 * s0, c1 + 2 * c2 * s0, c2];
  });
  const along = fitColumns(anchors, fits.length, median(fits.map((f) => f.row.pitch)), own);
  let models: RowModel[] = fits.map((f, r) => ({
    row: f.row,
    along: along[r]!,
    base: [...f.row.base],
    // Until characters are recognised, the em is taken from the height of the tall characters (capitals and digits).
    vscale: [f.row.height / (TALL_PER_EM * EM), 0],
    shear: 0,
  }));
  const shears = models.map((m) => estimateShear(img, m, length));
  if (shears.some((x) => x !== 0)) {
    // A slanted character's ink centre lies forward of its column's centre on the baseline.
    const lean = (r: number) => shears[r]! * MID_HEIGHT * evalPoly(models[r]!.vscale, 0);
    const unslanted = fitColumns(anchors.map((x) => ({ ...x, a: x.a - lean(x.row) })), fits.length, median(fits.map((f) => f.row.pitch)), own);
    models = models.map((m, r) => ({ ...m, shear: shears[r]!, along: unslanted[r]! }));
  }
  let matches = models.map((m) => matchRow(img, m, length, templates));
  const refined = refineModels(models, matches, memberCols, templates).map((m) => fitVerticalScale(img, m, length, templates));
  if (refined.some((m, i) => m !== models[i])) {
    models = refined;
    matches = models.map((m) => matchRow(img, m, length, templates));
  }

  const misaligned: MrzImageReading['misaligned'] = [];
  matches.forEach((row, line) =>
    row.cells.forEach((m, column) => {
      const dx = m.shift[0] - row.shift[0];
      const dy = m.shift[1] - row.shift[1];
      if ((Math.abs(dx) >= MISALIGNED_SHIFT || Math.abs(dy) >= MISALIGNED_SHIFT) && m.candidates[0]!.score >= 0.6) {
        misaligned.push({ line, column, dx: Math.round((dx / ADVANCE) * 100) / 100, dy: Math.round((dy / ADVANCE) * 100) / 100 });
      }
    }),
  );
  // A character printed out of line is what was printed there (overtyped, pasted in): the check digits may not
  // rewrite it, or they would hide the alteration they fail on.
  const asPrinted = new Set(misaligned.map((m) => mrzPosKey([m.line, m.column])));

  const candidates = matches.map((row) => row.cells.map((m) => m.candidates));
  const rawLines = candidates.map((row) => row.map((c) => c[0]!.char).join(''));
  const formats = formatsFor(cand.rows.length, length, rawLines[0]?.[0]);
  let best: { format: MrzFormat; corrected: ReturnType<typeof correctMrz>; checks: CheckResult[] } | undefined;
  for (const format of formats) {
    const corrected = correctMrz(LAYOUTS[format], candidates, options, matches.map((m) => m.lossScale), asPrinted);
    const checks = verifyCheckDigits(LAYOUTS[format], corrected.lines);
    // The document code decides between a travel document and a visa of the same size.
    const codeFits = format.startsWith('MRV') === (corrected.lines[0]![0] === 'V');
    if (!best || (codeFits && corrected.cost < best.corrected.cost)) best = { format, corrected, checks };
    if (codeFits) break;
  }
  if (!best) return null;
  const { format, corrected, checks } = best;
  const confidence = corrected.scores.map((row) => row.map((s) => Math.max(0, Math.min(1, s))));
  const flat = confidence.flat();
  const meanConfidence = flat.reduce((s, v) => s + v, 0) / flat.length;
  const minConfidence = Math.min(...flat);
  // How many positions already held a character of their class before any constraint: near 1 for an MRZ, far lower for text or patterns read as one.
  const classes = LAYOUTS[format].classes;
  let agreeing = 0;
  rawLines.forEach((line, l) => [...line].forEach((c, i) => (agreeing += CLASS_CHARS[classes[l]![i]!]!.includes(c) ? 1 : 0)));
  const layoutAgreement = agreeing / (length * rawLines.length);
  const corner = (model: RowModel, col: number, side: -1 | 1, top: boolean): [number, number] => {
    const g = cellGeometry(model, col);
    const u = (side * ADVANCE) / 2;
    const v = top ? -CAP_PER_EM * EM : 0;
    return [g.origin[0] + u * g.along[0] + v * g.across[0], g.origin[1] + u * g.along[1] + v * g.across[1]];
  };
  const firstRow = models[0]!;
  const lastRow = models[models.length - 1]!;
  const quad: [number, number][] = [corner(firstRow, 0, -1, true), corner(firstRow, length - 1, 1, true), corner(lastRow, length - 1, 1, false), corner(lastRow, 0, -1, false)];
  const validCount = checks.filter((c) => c.valid).length;
  return {
    reading: {
      format,
      lines: corrected.lines,
      rawLines,
      confidence,
      alternatives: candidates.map((row) => row.map((c) => c.slice(0, 3))),
      corrections: corrected.corrections,
      checks,
      checkDigitsValid: checks.every((c) => c.valid),
      documentNumberRule: corrected.documentNumberRule,
      meanConfidence,
      minConfidence,
      misaligned,
    },
    quad,
    dir: firstRow.row.dir,
    layoutAgreement,
    // How well the glyphs matched first: a confidently read MRZ whose check digits fail (a forgery) must win over
    // a pattern elsewhere that the correction happened to make "valid"; valid check digits break near ties.
    rank: meanConfidence + 0.1 * (validCount / Math.max(1, checks.length)),
  };
}

/**
 * A read is accepted without trying other orientations when every check
 * digit holds and the glyphs match well — or when they match very well
 * whatever the check digits say (a forged MRZ is read as printed).
 */
const GOOD_MEAN_CONFIDENCE = 0.75;
const SURE_MEAN_CONFIDENCE = 0.88;
/** Below these a "reading" is text of another font, a pattern, or noise: nothing is reported. */
const FOUND_MEAN_CONFIDENCE = 0.6;
const FOUND_LAYOUT_AGREEMENT = 0.85;
const isGood = (read: CandidateRead | undefined) =>
  Boolean(read && (read.reading.meanConfidence >= SURE_MEAN_CONFIDENCE || (read.reading.checkDigitsValid && read.reading.meanConfidence >= GOOD_MEAN_CONFIDENCE)));
const isFound = (read: CandidateRead) => read.reading.meanConfidence >= FOUND_MEAN_CONFIDENCE && read.layoutAgreement >= FOUND_LAYOUT_AGREEMENT;

/**
 * Reads the MRZ of an upright-decoded grey image (EXIF orientation already
 * applied). Coordinates in the result are pixels of this image.
 */
export function readMrzFromGrey(img: GreyImage, templates: GlyphTemplates, options: MrzReadOptions = {}): MrzReadResult {
  const t0 = performance.now();
  const opts = { ...DEFAULTS, ...options };
  let best: { read: CandidateRead; quarters: 0 | 1 | 2 | 3; width: number; height: number } | undefined;
  let attempts = 0;
  const orientations: (0 | 1 | 2 | 3)[] = opts.rotations ? [0, 2, 1, 3] : [0];
  for (const quarters of orientations) {
    const oriented = rotateQuarter(img, quarters);
    const f = Math.max(1, Math.ceil(Math.max(oriented.width, oriented.height) / opts.locateLongEdge));
    const rows = findTextRows(reduce(oriented, f)).map((r) => scaleRow(r, f));
    const candidates = groupMrzCandidates(rows).slice(0, opts.maxCandidates);
    for (const cand of candidates) {
      attempts++;
      const read = readCandidate(oriented, cand, templates, opts.correction ?? {});
      if (read && isFound(read) && (!best || read.rank > best.read.rank)) best = { read, quarters, width: img.width, height: img.height };
      if (isGood(best?.read)) break;
    }
    if (isGood(best?.read)) break;
  }
  const elapsedMs = Math.round(performance.now() - t0);
  if (!best) return { found: false, reading: null, attempts, elapsedMs };
  const { read, quarters, width, height } = best;
  const quad = read.quad.map(([x, y]) => unrotatePoint(x, y, quarters, width, height));
  const d0 = unrotatePoint(0, 0, quarters, width, height);
  const d1 = unrotatePoint(read.dir[0] * 100, read.dir[1] * 100, quarters, width, height);
  const angleDeg = (Math.atan2(d1[1] - d0[1], d1[0] - d0[0]) * 180) / Math.PI;
  return { found: true, reading: { ...read.reading, quad, angleDeg: Math.round(angleDeg * 10) / 10 }, attempts, elapsedMs };
}
