/**
 * A verdict for each annotated security feature that shows under the light
 * source being compared:
 *
 * - `absent`: the reference shows the feature's signal (contrast of the zone
 *   against its surroundings, or texture inside it: UV fluorescence, IR
 *   absorption, a printed pattern) and the questioned image has lost most of it;
 * - `different`: enough of the zone differs (score map), or a signal appears
 *   where the reference has next to none (a counterfeit that fluoresces);
 * - `consistent`: otherwise.
 *
 * Signals are measured on the normalised images, in the channels the light
 * profile compares, so that exposure and white balance do not count.
 * Personalised zones get no verdict: they differ legitimately between holders,
 * and their pixels are left out of the features they overlap; so are smaller
 * feature zones nested in a larger one, which get their own verdicts.
 */
import type { FeatureZone } from '@exemplar/specimens-schema';
import type { LightProfile } from './normalise';
import { dilateMask, selectKth, type Plane } from './planes';
import { rasterisePolygons, type WorkingFrame } from './regions';

/** What the comparison needs of a FeatureZone. */
export type ComparisonZone = Pick<FeatureZone, 'id' | 'type' | 'polygon' | 'personalised' | 'lightSources'> & { label?: string | undefined };

export type ZoneVerdictKind = 'consistent' | 'different' | 'absent';

export interface ZoneVerdict {
  zoneId: string;
  type: string;
  label?: string;
  verdict: ZoneVerdictKind;
  /** Dissimilarity in [0, 1]: the higher of the zone's 95th-percentile difference score and its loss of signal. */
  score: number;
  /** Share of the zone's judged pixels scoring at or above the region threshold. */
  flaggedShare: number;
  /** Feature signal (grey levels) in the reference and in the questioned image. */
  signal: { reference: number; questioned: number };
  /** Share of the zone inside the compared area (the questioned image covers it and is not blown out there). */
  coverage: number;
  /** Share of the zone judged: compared and outside personalised zones. */
  judgedShare: number;
}

export interface ZoneVerdictParams {
  /** Score threshold of a different pixel (the region threshold). */
  threshold: number;
  /** `absent` when the questioned signal is below this share of the reference's. */
  absentRatio: number;
  /** Smallest signal (grey levels) that counts as the feature being visible. */
  minSignal: number;
  /** `different` when at least this share of the zone is flagged … */
  differentShare: number;
  /** … and at least this many working pixels (the smallest region). */
  minFlaggedPixels: number;
  /** Zones less covered than this by the compared area get no verdict (nor do those almost entirely under personalised zones). */
  minCoverage: number;
}

/** A zone concerns a light source when it is annotated as showing under it. */
export function zoneShowsIn(zone: Pick<ComparisonZone, 'lightSources'>, lightSource: string): boolean {
  return (zone.lightSources as readonly string[]).includes(lightSource);
}

const round4 = (v: number) => Math.round(v * 1e4) / 1e4;
const round2 = (v: number) => Math.round(v * 100) / 100;

/** A rectangle of the working grid that a zone and its surroundings fit in. */
interface Window {
  x: number;
  y: number;
  width: number;
  height: number;
}

function windowOf(polygon: readonly (readonly [number, number])[], frame: WorkingFrame, margin: number, width: number, height: number): Window | null {
  const xs = polygon.map((p) => (p[0] + 0.5) * frame.sx - 0.5);
  const ys = polygon.map((p) => (p[1] + 0.5) * frame.sy - 0.5);
  const x0 = Math.max(0, Math.floor(Math.min(...xs)) - margin);
  const y0 = Math.max(0, Math.floor(Math.min(...ys)) - margin);
  const x1 = Math.min(width, Math.ceil(Math.max(...xs)) + margin + 1);
  const y1 = Math.min(height, Math.ceil(Math.max(...ys)) + margin + 1);
  return x1 > x0 && y1 > y0 ? { x: x0, y: y0, width: x1 - x0, height: y1 - y0 } : null;
}

/** The band of `radius` pixels round a zone mask (a square: its cost does not grow with the radius). */
function ringAround(zone: Uint8Array, width: number, height: number, radius: number): Uint8Array {
  const ring = dilateMask(zone, width, height, radius);
  for (let i = 0; i < ring.length; i++) if (zone[i]) ring[i] = 0;
  return ring;
}

/**
 * Texture inside the zone (luminance standard deviation) combined with the
 * zone's contrast to its ring, over the judged pixels of a window
 * (`zone`, `ring`, `judged` are window-sized; planes are full-size), for the
 * reference and the questioned image at once. The compared channels
 * (`comparisonChannels`) are derived pixel by pixel inside the window only,
 * rounded to single precision as that function stores them.
 */
function featureSignals(reference: readonly Plane[], questioned: readonly Plane[], profile: LightProfile, win: Window, zone: Uint8Array, ring: Uint8Array, judged: Uint8Array): [number, number] {
  const stride = reference[0]!.width;
  const three = reference.length === 3;
  const colour = three && profile.colour !== 'grey' && profile.chromaWeight > 0;
  const cw = profile.chromaWeight;
  const [r0, r1, r2] = three ? [reference[0]!.data, reference[1]!.data, reference[2]!.data] : [reference[0]!.data, reference[0]!.data, reference[0]!.data];
  const [q0, q1, q2] = three ? [questioned[0]!.data, questioned[1]!.data, questioned[2]!.data] : [questioned[0]!.data, questioned[0]!.data, questioned[0]!.data];
  const fr = Math.fround;
  let n = 0;
  let rn = 0;
  // Per image: sum and sum of squares of luminance in the zone, channel sums in the zone and in the ring.
  let aSum = 0;
  let aSq = 0;
  let bSum = 0;
  let bSq = 0;
  const aZone = [0, 0, 0];
  const bZone = [0, 0, 0];
  const aRing = [0, 0, 0];
  const bRing = [0, 0, 0];
  for (let y = 0; y < win.height; y++) {
    for (let x = 0; x < win.width; x++) {
      const w = y * win.width + x;
      if (!judged[w]) continue;
      const inZone = zone[w] !== 0;
      if (!inZone && !ring[w]) continue;
      const k = (y + win.y) * stride + x + win.x;
      let la: number;
      let lb: number;
      let ca1 = 0;
      let ca2 = 0;
      let cb1 = 0;
      let cb2 = 0;
      if (!three) {
        la = r0[k]!;
        lb = q0[k]!;
      } else {
        const ar = r0[k]!;
        const ag = r1[k]!;
        const ab = r2[k]!;
        const br = q0[k]!;
        const bg = q1[k]!;
        const bb = q2[k]!;
        la = fr((ar + ag + ab) / 3);
        lb = fr((br + bg + bb) / 3);
        if (colour) {
          ca1 = fr((cw * (ar - ag)) / 2);
          ca2 = fr((cw * ((ar + ag) / 2 - ab)) / 2);
          cb1 = fr((cw * (br - bg)) / 2);
          cb2 = fr((cw * ((br + bg) / 2 - bb)) / 2);
        }
      }
      if (inZone) {
        n++;
        aSum += la;
        aSq += la * la;
        bSum += lb;
        bSq += lb * lb;
      } else {
        rn++;
      }
      const aAcc = inZone ? aZone : aRing;
      const bAcc = inZone ? bZone : bRing;
      aAcc[0]! += la;
      bAcc[0]! += lb;
      if (colour) {
        aAcc[1]! += ca1;
        aAcc[2]! += ca2;
        bAcc[1]! += cb1;
        bAcc[2]! += cb2;
      }
    }
  }
  const channels = colour ? 3 : 1;
  const signal = (sum: number, sq: number, zoneSum: number[], ringSum: number[]): number => {
    if (n === 0) return 0;
    const mean = sum / n;
    const texture = Math.sqrt(Math.max(0, sq / n - mean * mean));
    let contrast2 = 0;
    if (rn > 0) for (let c = 0; c < channels; c++) contrast2 += (zoneSum[c]! / n - ringSum[c]! / rn) ** 2;
    return Math.sqrt(texture * texture + contrast2);
  };
  return [signal(aSum, aSq, aZone, aRing), signal(bSum, bSq, bZone, bRing)];
}

/*
 * The per-pixel passes of zoneVerdicts are plain functions: a loop in an
 * async function body cannot be optimised while it runs (no on-stack
 * replacement into resumable functions).
 */

function clearWhere(mask: Uint8Array, where: Uint8Array): void {
  for (let w = 0; w < mask.length; w++) if (where[w]) mask[w] = 0;
}

/*
 * The judged pixels and zone scores of a window, kept from one zone to the next
 * (windows of page-wide zones are as large as the page, and fresh arrays fault
 * in every page). Safe because a zone's verdict is reached synchronously from
 * judgeWindow on: nothing else runs while they are in use.
 */
let judgedScratch = new Uint8Array(0);
let scoresScratch = new Float32Array(0);

/**
 * The judged pixels of a window (compared, and not personal data), and over
 * the zone: its pixel count, those compared, the scores of those judged and
 * how many of them are flagged.
 */
function judgeWindow(win: Window, width: number, mask: Uint8Array, valid: Uint8Array, personal: Uint8Array | undefined, score: Float32Array, threshold: number) {
  const n = win.width * win.height;
  if (judgedScratch.length < n) {
    judgedScratch = new Uint8Array(n);
    scoresScratch = new Float32Array(n);
  }
  const judgedPx = judgedScratch.subarray(0, n).fill(0);
  const scores = scoresScratch.subarray(0, n);
  let total = 0;
  let seen = 0;
  let covered = 0;
  let flagged = 0;
  for (let y = 0; y < win.height; y++) {
    for (let x = 0; x < win.width; x++) {
      const w = y * win.width + x;
      const k = (y + win.y) * width + x + win.x;
      const ok = valid[k] && !(personal && personal[k]);
      if (ok) judgedPx[w] = 255;
      if (!mask[w]) continue;
      total++;
      if (valid[k]) seen++;
      if (!ok) continue;
      scores[covered++] = score[k]!;
      if (score[k]! >= threshold) flagged++;
    }
  }
  return { judgedPx, scores, total, seen, covered, flagged };
}

export interface ZoneVerdictInput {
  zones: readonly ComparisonZone[];
  lightSource: string;
  /** Normalised planes of both images (working resolution). */
  reference: readonly Plane[];
  questioned: readonly Plane[];
  score: Plane;
  valid: Uint8Array;
  frame: WorkingFrame;
  profile: LightProfile;
  /** Personalised zones (working grid): their pixels inside a feature zone are not judged (another holder's data overlaps the feature legitimately). */
  personalisedMask?: Uint8Array | undefined;
}

export async function zoneVerdicts(input: ZoneVerdictInput, params: ZoneVerdictParams): Promise<{ verdicts: ZoneVerdict[]; uncovered: string[] }> {
  const { score, frame, profile, valid } = input;
  const { width, height } = score;
  const personal = input.personalisedMask;
  const verdicts: ZoneVerdict[] = [];
  const uncovered: string[] = [];
  const judged = input.zones.filter((z) => !z.personalised && zoneShowsIn(z, input.lightSource));
  if (judged.length === 0) return { verdicts, uncovered };
  const maxRing = Math.max(3, Math.round(0.02 * Math.max(width, height)));
  const polygons = judged.map((z) => z.polygon as [number, number][]);
  // Areas decide nesting: a smaller zone inside a larger one is judged on its own and left out of the larger.
  const areas = polygons.map((poly) => Math.abs(poly.reduce((s, p, i) => s + p[0] * poly[(i + 1) % poly.length]![1] - poly[(i + 1) % poly.length]![0] * p[1], 0)) / 2);
  // Zones are drawn in their own windows only (drawing each on the whole grid cost more than judging it);
  // shifting by the window's origin after rounding draws the same pixels as on the grid.
  const bounds = polygons.map((poly) => windowOf(poly, frame, 0, width, height));
  const overlaps = (a: Window, b: Window) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
  for (let zi = 0; zi < judged.length; zi++) {
    const zone = judged[zi]!;
    const win = windowOf(polygons[zi]!, frame, maxRing + 1, width, height);
    if (!win) {
      uncovered.push(zone.id);
      continue;
    }
    const outline = await rasterisePolygons([polygons[zi]!], win.width, win.height, frame.sx, frame.sy, win);
    const mask = new Uint8Array(outline);
    const nested = polygons.filter((_, zj) => zj !== zi && areas[zj]! < areas[zi]! && bounds[zj] && overlaps(bounds[zj]!, win));
    if (nested.length > 0) {
      const inner = await rasterisePolygons(nested, win.width, win.height, frame.sx, frame.sy, win);
      clearWhere(mask, inner);
    }
    const { judgedPx, scores, total, seen, covered, flagged } = judgeWindow(win, width, mask, valid, personal, score.data, params.threshold);
    const coverage = total > 0 ? seen / total : 0;
    // Judged on what is visible and not personalised; a feature almost entirely under personal data cannot be.
    if (total === 0 || coverage < params.minCoverage || covered < Math.max(0.1 * total, 4 * params.minFlaggedPixels)) {
      uncovered.push(zone.id);
      continue;
    }
    // The surroundings a feature is contrasted with: proportional to its size, but local (a page-wide zone has little outside it anyway).
    const radius = Math.max(3, Math.min(maxRing, Math.round(0.15 * Math.sqrt(covered))));
    const ring = ringAround(outline, win.width, win.height, radius);
    const [sRef, sQ] = featureSignals(input.reference, input.questioned, profile, win, mask, ring, judgedPx);
    const p95 = selectKth(scores, 0, covered, Math.min(covered - 1, Math.floor(0.95 * covered)));
    const flaggedShare = flagged / covered;
    const loss = sRef >= params.minSignal ? Math.min(1, Math.max(0, 1 - sQ / sRef)) : 0;
    const appeared = sQ >= params.minSignal && sQ > 2.5 * Math.max(sRef, params.minSignal / 2);
    let verdict: ZoneVerdictKind = 'consistent';
    if (sRef >= params.minSignal && sQ < params.absentRatio * sRef) verdict = 'absent';
    else if ((flaggedShare >= params.differentShare && flagged >= params.minFlaggedPixels) || appeared) verdict = 'different';
    const v: ZoneVerdict = {
      zoneId: zone.id,
      type: zone.type,
      verdict,
      score: round4(Math.max(p95, loss)),
      flaggedShare: round4(flaggedShare),
      signal: { reference: round2(sRef), questioned: round2(sQ) },
      coverage: round4(coverage),
      judgedShare: round4(covered / total),
    };
    if (zone.label !== undefined) v.label = zone.label;
    verdicts.push(v);
  }
  return { verdicts, uncovered };
}
