/**
 * Finding the MRZ: rows of character-sized ink blobs, chained neighbour to
 * neighbour (so a row may be rotated or slightly curved by perspective),
 * fitted with a straight centre line each, then grouped into 2 or 3 parallel
 * rows of equal character height, equal pitch and aligned left ends — the
 * shape every ICAO machine readable zone has and little else on a document
 * has. Candidates come out ranked; the reader tries them in turn.
 */
import type { GreyImage } from '../ops/align-types';
import { blobExtent, blobHeight, blobWidth, connectedComponents, inkMask, type Blob } from './raster';
import { evalPoly, median, quantile, robustPoly, type Poly } from './fit';
import { LINE_LENGTHS } from './layouts';

export interface LineMember {
  blob: Blob;
  /** Extent along the line direction and across it (normal points down the text). */
  aMin: number;
  aMax: number;
  bMin: number;
  bMax: number;
}

export interface TextRow {
  /** Unit vector along the text, and the normal (towards the bottom of the characters). */
  dir: [number, number];
  normal: [number, number];
  members: LineMember[];
  /** Bottom of the characters (normal coordinate) as a polynomial of the along coordinate (quadratic: pages curl). */
  base: Poly;
  /** Top of the tall characters, likewise. */
  top: Poly;
  /** Median height of tall characters. */
  height: number;
  /** Median distance between neighbouring character centres. */
  pitch: number;
  aStart: number;
  aEnd: number;
}

export interface MrzCandidate {
  rows: TextRow[];
  lineLength: number;
  /** Higher is more MRZ-like. */
  score: number;
}

export interface LocateOptions {
  /** Side of the local-mean window of the ink threshold, px (default from the image size). */
  window?: number;
}

interface Ctx {
  labels: Int32Array;
  width: number;
}

const cx = (b: Blob) => (b.x0 + b.x1) / 2;
const cy = (b: Blob) => (b.y0 + b.y1) / 2;

/** A blob that could be one character (not a merged run, not a speck, not a rule). */
function characterLike(b: Blob, minHeight: number, maxHeight: number): boolean {
  const w = blobWidth(b);
  const h = blobHeight(b);
  if (h < minHeight || h > maxHeight) return false;
  if (w > 1.6 * h || w < 0.12 * h) return false;
  const fill = b.area / (w * h);
  return fill > 0.08 && fill < 0.92;
}

/** Chains of neighbouring character-like blobs: each blob linked to its nearest right-hand neighbour of similar height. */
function chainBlobs(blobs: readonly Blob[]): Blob[][] {
  const sorted = [...blobs].sort((a, b) => a.x0 - b.x0);
  const parent = sorted.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]!]!;
      i = parent[i]!;
    }
    return i;
  };
  const maxH = Math.max(...sorted.map(blobHeight));
  for (let i = 0; i < sorted.length; i++) {
    const a = sorted[i]!;
    const ha = blobHeight(a);
    let best = -1;
    let bestD = Infinity;
    for (let j = i + 1; j < sorted.length; j++) {
      const b = sorted[j]!;
      if (b.x0 > a.x1 + 1.8 * Math.max(ha, maxH * 0.25) + 1) {
        if (b.x0 > a.x1 + 1.8 * maxH + 1) break;
      }
      const hb = blobHeight(b);
      const hmax = Math.max(ha, hb);
      if (Math.min(ha, hb) < 0.55 * hmax) continue;
      const dx = cx(b) - cx(a);
      const dy = cy(b) - cy(a);
      if (dx < 0.25 * hmax || Math.abs(dy) > 0.75 * dx || Math.abs(dy) > 0.7 * hmax) continue;
      const gap = b.x0 - a.x1;
      if (gap > 1.6 * hmax) continue;
      const d = Math.hypot(dx, dy);
      if (d < bestD) {
        bestD = d;
        best = j;
      }
    }
    if (best >= 0) {
      const ra = find(i);
      const rb = find(best);
      if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
    }
  }
  const chains = new Map<number, Blob[]>();
  sorted.forEach((b, i) => {
    const r = find(i);
    const list = chains.get(r);
    if (list) list.push(b);
    else chains.set(r, [b]);
  });
  return [...chains.values()];
}

/** Direction of a chain from its blob centres (principal axis, pointing right). */
function chainDirection(blobs: readonly Blob[]): [number, number] {
  const xs = blobs.map(cx);
  const ys = blobs.map(cy);
  const mx = xs.reduce((s, v) => s + v, 0) / xs.length;
  const my = ys.reduce((s, v) => s + v, 0) / ys.length;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (let i = 0; i < xs.length; i++) {
    const dx = xs[i]! - mx;
    const dy = ys[i]! - my;
    sxx += dx * dx;
    syy += dy * dy;
    sxy += dx * dy;
  }
  const theta = 0.5 * Math.atan2(2 * sxy, sxx - syy);
  let d: [number, number] = [Math.cos(theta), Math.sin(theta)];
  if (d[0] < 0) d = [-d[0], -d[1]];
  return d;
}

function buildRow(ctx: Ctx, blobs: readonly Blob[], dir: [number, number]): TextRow | null {
  const normal: [number, number] = [-dir[1], dir[0]];
  const members: LineMember[] = blobs.map((blob) => ({ blob, ...blobExtent(ctx.labels, ctx.width, blob, dir, normal) }));
  members.sort((p, q) => p.aMin + p.aMax - (q.aMin + q.aMax));
  const heights = members.map((m) => m.bMax - m.bMin);
  const tallCut = 0.88 * quantile(heights, 0.85);
  const tall = members.filter((m) => m.bMax - m.bMin >= tallCut);
  if (tall.length < 3) return null;
  const height = median(tall.map((m) => m.bMax - m.bMin));
  const ac = tall.map((m) => (m.aMin + m.aMax) / 2);
  const degree = tall.length >= 12 ? 2 : 1;
  const base = robustPoly(ac, tall.map((m) => m.bMax), degree, 0.12 * height) ?? [median(tall.map((m) => m.bMax))];
  const top = robustPoly(ac, tall.map((m) => m.bMin), degree, 0.12 * height) ?? [median(tall.map((m) => m.bMin))];
  const centres = members.filter((m) => m.aMax - m.aMin < 1.3 * height).map((m) => (m.aMin + m.aMax) / 2);
  const gaps: number[] = [];
  for (let i = 1; i < centres.length; i++) {
    const g = centres[i]! - centres[i - 1]!;
    if (g > 0.55 * height && g < 1.7 * height) gaps.push(g);
  }
  const pitch = gaps.length >= 3 ? median(gaps) : height;
  return {
    dir,
    normal,
    members,
    base,
    top,
    height,
    pitch,
    aStart: Math.min(...members.map((m) => m.aMin)),
    aEnd: Math.max(...members.map((m) => m.aMax)),
  };
}

/** Blobs of any shape (a run of fillers merged into one, a broken character) lying in a row's band near its ends. */
function extendRow(ctx: Ctx, row: TextRow, pool: readonly Blob[], taken: Set<number>): TextRow {
  const reach = 2.5 * row.pitch;
  const extra: Blob[] = [];
  for (const b of pool) {
    if (taken.has(b.label)) continue;
    const px = cx(b);
    const py = cy(b);
    const a = px * row.dir[0] + py * row.dir[1];
    if (a < row.aStart - reach || a > row.aEnd + reach) continue;
    const n = px * row.normal[0] + py * row.normal[1];
    const baseAt = evalPoly(row.base, a);
    const topAt = evalPoly(row.top, a);
    if (n < topAt - 0.1 * row.height || n > baseAt + 0.1 * row.height) continue;
    const h = blobHeight(b);
    if (h > 1.3 * row.height || h < 0.25 * row.height) continue;
    const ext = blobExtent(ctx.labels, ctx.width, b, row.dir, row.normal);
    if (ext.bMin < topAt - 0.25 * row.height || ext.bMax > baseAt + 0.25 * row.height) continue;
    extra.push(b);
  }
  if (extra.length === 0) return row;
  for (const b of extra) taken.add(b.label);
  const all = [...row.members.map((m) => m.blob), ...extra];
  return buildRow(ctx, all, row.dir) ?? row;
}

/** Along-coordinate of a row's start in the frame of another direction. */
function project(row: TextRow, a: number): [number, number] {
  const b = (evalPoly(row.base, a) + evalPoly(row.top, a)) / 2;
  return [a * row.dir[0] + b * row.normal[0], a * row.dir[1] + b * row.normal[1]];
}

/** Estimated characters per row: the ink extent over the pitch, plus the side bearings of the two end characters. */
export function estimatedLength(row: TextRow): number {
  return (row.aEnd - row.aStart) / row.pitch + 0.3;
}

/** Rows of text on the image, longest first. */
export function findTextRows(img: GreyImage, options: LocateOptions = {}): TextRow[] {
  const window = options.window ?? Math.max(15, Math.min(101, Math.round(Math.min(img.width, img.height) / 14) | 1));
  const mask = inkMask(img, window);
  const { labels, blobs } = connectedComponents(mask, img.width, img.height);
  const ctx: Ctx = { labels, width: img.width };
  const minH = 5;
  const maxH = Math.max(minH + 1, Math.min(img.height, img.width) / 5);
  const chars = blobs.filter((b) => characterLike(b, minH, maxH));
  const rows: TextRow[] = [];
  for (const chain of chainBlobs(chars)) {
    if (chain.length < 8) continue;
    const row = buildRow(ctx, chain, chainDirection(chain));
    if (row) rows.push(row);
  }
  // Long rows first, so that a row broken in two is extended by the longer part.
  rows.sort((p, q) => q.members.length - p.members.length);
  const taken = new Set<number>(rows.flatMap((r) => r.members.map((m) => m.blob.label)));
  const pool = blobs.filter((b) => blobHeight(b) >= 3 && blobHeight(b) <= maxH);
  const merged: TextRow[] = [];
  for (const r0 of rows) {
    let r = r0;
    // Collinear pieces of one row (a gap of a few characters) are joined.
    const joinIdx = merged.findIndex((m) => {
      if (Math.abs(m.dir[0] * r.dir[1] - m.dir[1] * r.dir[0]) > 0.05) return false;
      if (Math.abs(m.height - r.height) > 0.25 * m.height) return false;
      const [sx, sy] = project(r, (r.aStart + r.aEnd) / 2);
      const a = sx * m.dir[0] + sy * m.dir[1];
      const n = sx * m.normal[0] + sy * m.normal[1];
      const mid = (evalPoly(m.base, a) + evalPoly(m.top, a)) / 2;
      if (Math.abs(n - mid) > 0.3 * m.height) return false;
      const rStart = (() => {
        const [px, py] = project(r, r.aStart);
        return px * m.dir[0] + py * m.dir[1];
      })();
      const rEnd = rStart + (r.aEnd - r.aStart);
      return rStart < m.aEnd + 6 * m.pitch && rEnd > m.aStart - 6 * m.pitch;
    });
    if (joinIdx >= 0) {
      const m = merged[joinIdx]!;
      const joined = buildRow(ctx, [...m.members.map((x) => x.blob), ...r.members.map((x) => x.blob)], m.dir);
      if (joined) merged[joinIdx] = joined;
      continue;
    }
    r = extendRow(ctx, r, pool, taken);
    merged.push(r);
  }
  return merged.map((r) => extendRow(ctx, r, pool, taken)).sort((p, q) => q.members.length - p.members.length);
}

/** Signed distance from row p's centre line to row q's centre (q below p is positive), and how far q's start and end lie from p's along it. */
function rowOffset(p: TextRow, q: TextRow): { across: number; startShift: number; endShift: number } {
  const [qx, qy] = project(q, q.aStart);
  const a = qx * p.dir[0] + qy * p.dir[1];
  const n = qx * p.normal[0] + qy * p.normal[1];
  const mid = (evalPoly(p.base, a) + evalPoly(p.top, a)) / 2;
  const [ex, ey] = project(q, q.aEnd);
  return { across: n - mid, startShift: a - p.aStart, endShift: ex * p.dir[0] + ey * p.dir[1] - p.aEnd };
}

/** 2- and 3-row groups shaped like an MRZ, best first. */
export function groupMrzCandidates(rows: readonly TextRow[]): MrzCandidate[] {
  const usable = rows.filter((r) => estimatedLength(r) >= 12);
  const compatible = (p: TextRow, q: TextRow): boolean => {
    const cross = Math.abs(p.dir[0] * q.dir[1] - p.dir[1] * q.dir[0]);
    if (cross > 0.09) return false;
    // Rows differ in measured height: OCR-B's digits stand 1.24× its fillers, and in a small image a name row of
    // letters and fillers can measure the fillers' height (a pixel of rounding takes them into its tall characters).
    if (Math.max(p.height, q.height) > 1.4 * Math.min(p.height, q.height)) return false;
    if (Math.max(p.pitch, q.pitch) > 1.25 * Math.min(p.pitch, q.pitch)) return false;
    const { across, startShift, endShift } = rowOffset(p, q);
    const h = (p.height + q.height) / 2;
    // MRZ rows start level, and end level too (every row is full, fillers included). A row whose first characters
    // do not show (printed in an ink this light does not see, erased) still ends level with the others.
    return across > 1.25 * h && across < 3.2 * h && (Math.abs(startShift) < 3.5 * p.pitch || Math.abs(endShift) < 3.5 * p.pitch);
  };
  const below = (p: TextRow): TextRow[] =>
    usable.filter((q) => q !== p && compatible(p, q)).sort((q1, q2) => rowOffset(p, q1).across - rowOffset(p, q2).across);

  const out: MrzCandidate[] = [];
  for (const top of usable) {
    const next = below(top)[0];
    if (!next) continue;
    const third = below(next)[0];
    const groups: TextRow[][] = [[top, next]];
    if (third) groups.push([top, next, third]);
    for (const g of groups) {
      const est = Math.max(...g.map(estimatedLength));
      const options = LINE_LENGTHS.filter((f) => f.lineCount === g.length);
      const fmt = options.reduce((a, b) => (Math.abs(b.lineLength - est) < Math.abs(a.lineLength - est) ? b : a));
      const misfit = Math.abs(fmt.lineLength - est) / fmt.lineLength;
      if (misfit > 0.3) continue;
      const fill = g.reduce((s, r) => s + Math.min(1, r.members.length / fmt.lineLength), 0) / g.length;
      // Rows of equal length score higher; the MRZ's rows are all full (fillers included).
      const evenness = Math.min(...g.map(estimatedLength)) / est;
      out.push({ rows: g, lineLength: fmt.lineLength, score: fill * evenness * (1 - misfit) * g.length * fmt.lineLength });
    }
  }
  // A 2-row group inside a 3-row one is tried after it.
  return out.sort((p, q) => q.score - p.score);
}
