/**
 * One light source of a comparison, given the alignment: warp the questioned
 * image into the reference frame, normalise it, score local differences,
 * extract regions, split off those in personalised zones, judge the
 * security-feature zones, and render the aligned image and a heatmap.
 *
 * Inputs and outputs are plain pixel buffers and JSON-able values (plus the
 * two PNG buffers), so the whole call can run in a worker thread. The same
 * inputs give the same bytes: every step is deterministic and nothing
 * depends on time or on the machine.
 */
import sharp from 'sharp';
import { REGION_MOSTLY_OVEREXPOSED } from '@exemplar/specimens-schema';
import { loadOpenCv, withMats } from '../cv/opencv';
import { isHomography, localScaleMap, normalizeHomography, type Homography } from './geometry';
import { differenceScore, type DifferenceLevel } from './difference';
import { LIGHT_PROFILES, lightProfileFor, normaliseToReference, type LightProfile, type LightProfileId, type NormaliseStats } from './normalise';
import { mrzFindings, type ComparisonFinding, type MrzInspection } from './mrz-findings';
import { dilateMask, erodeMask, makePlane, ReusableBytes, u8ToMat, type Plane } from './planes';
import { extractRegions, rasterisePolygons, type DifferenceRegion, type WorkingFrame } from './regions';
import { checkPixelImage, validityMask, warpToReference, type PixelImage, type WarpResult } from './warp';
import { zoneShowsIn, zoneVerdicts, type ComparisonZone, type ZoneVerdict } from './zone-verdicts';

/** Bumped whenever a change to this stage can change its output for the same inputs. */
export const DIFFERENCE_STAGE_VERSION = '1.7.0';

export interface CompareParams {
  /**
   * Long edge (px) of the working resolution the differences are computed
   * at. A smaller reference is enlarged towards it, by at most
   * `maxEnlargement`: the measure's tolerances are in working pixels (a
   * pixel of envelope, the blurs), and in a document a few hundred pixels
   * wide they would swallow a character's change (a 2 made into a 3 in an
   * MRZ of 8-px characters).
   */
  workingLongEdge: number;
  /**
   * Working area (px²) a reference may keep beyond `workingLongEdge`: the
   * time goes with the pixels, not with the long edge, so a wide reference
   * (a 16:9 photo of a data page, a card with margins) is reduced to this
   * area rather than to the long edge, and keeps the resolution of its short
   * side. 700 000 is just under a passport data page (1 : 1.42) at 1000 px,
   * which the long edge still governs: a wider image gains resolution, none
   * costs more than that page. A 4 made into a 0 in the MRZ of a 1600 × 900
   * photo of a data page (15-px characters at 1000 px) is found from about
   * 1100 px.
   */
  workingPixels: number;
  /**
   * Largest enlargement of a small reference to the working resolution (1:
   * never enlarged). Enlarging further also shrinks the tolerances below
   * what a lower-resolution capture needs: at 2× a half-resolution JPEG of
   * a 500-px card showed eight regions along its print, at 1.5× none, while
   * a digit copied over another in a 600-px specimen's MRZ is found from
   * 1.5× (not at 1×).
   */
  maxEnlargement: number;
  /** Tiles along the long edge sampling the illumination field. */
  illuminationTiles: number;
  /**
   * A fitted transfer kernel replaces the Gaussian sharpness equalisation
   * where it explains at least this share of what the Gaussian leaves
   * unexplained (1: never): a phone's sharpened capture keeps steep strokes
   * but has lost the fine print, which a Gaussian matched on edge steepness
   * leaves in the reference to be flagged (there the fit explains about
   * half of it). Where the two are about equally sharp, a fit explaining a
   * fifth more follows the compression's noise: on a JPEG of the 2167-px
   * MIDV-2020 card it put a region on the ghost portrait.
   */
  transferMinGain: number;
  /** Pyramid levels of the difference measure. */
  levels: number;
  /** Gaussian sigma applied to both images before comparing, working pixels. */
  preBlur: number;
  /** Neighbourhood half-size absorbing residual misalignment, pixels of each level. */
  envelopeRadius: number;
  /** Gaussian sigma pooling the difference before scoring, working pixels. */
  poolBlur: number;
  /** Score at or above which a pixel is different. */
  threshold: number;
  /** Smallest region, as a share of the compared area (down to half of it for strong differences: see regions.ts). */
  minAreaFraction: number;
  /** Fragments closer than this share of the long edge merge into one region. */
  mergeDistance: number;
  /** Personalised zones are grown by this share of the long edge (text spills over its annotated box). */
  personalisedMargin: number;
  /** Zone verdicts: `absent` below this share of the reference signal. */
  absentRatio: number;
  /** Zone verdicts: smallest signal (grey levels) counted as a visible feature. */
  minSignal: number;
  /** Zone verdicts: `different` from this share of flagged zone pixels. */
  differentShare: number;
  /** Zone verdicts: zones less covered than this by the compared area get none. */
  minZoneCoverage: number;
  /**
   * Background in the reference's corners (outside rounded card corners) is
   * not compared: pixels within a corner square of this share of the short
   * edge, connected to the corner and of its colour. 0 disables it.
   */
  backgroundBand: number;
  /** Colour tolerance (grey levels per channel) of that background. */
  backgroundTolerance: number;
  /** Pixels near the edge of the questioned image's footprint not compared, working pixels. */
  validErosion: number;
  /** Output images (aligned, heatmap) are reduced to this long edge when the reference is larger. */
  outputMaxLongEdge: number;
  /** zlib level of the PNG outputs (1: fast; the files go to storage once, the comparison waits for them). */
  pngCompression: number;
}

export const DEFAULT_COMPARE_PARAMS: Readonly<CompareParams> = Object.freeze({
  workingLongEdge: 1000,
  workingPixels: 700_000,
  maxEnlargement: 1.5,
  illuminationTiles: 48,
  transferMinGain: 0.3,
  levels: 3,
  preBlur: 0.8,
  envelopeRadius: 1,
  poolBlur: 1,
  threshold: 0.5,
  minAreaFraction: 1e-4,
  mergeDistance: 0.012,
  personalisedMargin: 0.01,
  absentRatio: 0.35,
  minSignal: 6,
  differentShare: 0.005,
  minZoneCoverage: 0.5,
  backgroundBand: 0.08,
  backgroundTolerance: 24,
  validErosion: 2,
  outputMaxLongEdge: 4096,
  pngCompression: 1,
});

export interface CompareInput {
  reference: PixelImage;
  questioned: PixelImage;
  /** Row-major 3×3 mapping reference pixel coordinates to questioned ones (as `alignImages` returns). */
  homography: Homography;
  /** Light-source id of the vocabulary (`white`, `uv-365`, `ir-870` …). */
  lightSource: string;
  /** Zones of the reference capture, polygons in reference pixels. */
  zones?: readonly ComparisonZone[];
  params?: Partial<CompareParams>;
  /**
   * Read the MRZ zones of the questioned image and report what fails
   * (default: yes, wherever the reference marks an MRZ zone under this
   * light; a capture comparison turns it off and reads the MRZ once, under
   * the light `chooseMrzLight` picks).
   */
  readMrz?: boolean;
}

export interface CompareStats {
  referenceSize: [number, number];
  workingSize: [number, number];
  /** Share of the reference compared (inside the questioned image, not background). */
  comparedShare: number;
  /** Share of the reference excluded as background round the document. */
  backgroundShare: number;
  /** Share of the reference the photometric statistics and the noise were learnt from (compared, outside personalised zones and away from blown-out pixels). */
  learnedShare: number;
  normalisation: NormaliseStats;
  levels: DifferenceLevel[];
  /** Share of compared pixels scoring at or above the threshold. */
  flaggedShare: number;
  /** Share of compared pixels where the questioned image is blown out (glare, overexposure; see `OVEREXPOSED_LEVEL`) and the reference is not white too. */
  overexposedShare: number;
  /** Zones that get no verdict because the questioned image does not cover them (or is blown out over them). */
  uncoveredZones: string[];
  /** MRZ zones read on the questioned image (empty when none was read under this light). */
  mrz: MrzInspection[];
}

export interface CompareVersions {
  differenceStage: string;
  opencvJs: string;
  sharp: string;
  libvips: string;
}

export interface CompareResult {
  lightSource: string;
  /** Differences outside personalised zones, highest score first (reference pixels). */
  regions: DifferenceRegion[];
  /** Differences inside personalised zones (legitimate between holders). */
  personalisedRegions: DifferenceRegion[];
  /**
   * Outside personalised zones, what differs only because the light blew the
   * questioned image out (at least `REGION_MOSTLY_OVEREXPOSED` of a region's
   * differing pixels blown out, and an overexposure or a glare's flank to
   * account for it: see `lightArtefactRegions`); the image shows no detail
   * there. Not judged as differences; listed for the examiner, who may take
   * another image. Paint or an erasure as white as the paper stays among
   * `regions`, with its blown-out share.
   */
  blownOutRegions: DifferenceRegion[];
  zoneVerdicts: ZoneVerdict[];
  /** What the questioned document fails on its own terms (MRZ check digits, misplaced MRZ characters), reference pixels. */
  findings: ComparisonFinding[];
  /** Reference in grey, differences in colour, regions outlined (reference frame). */
  heatmapPng: Buffer;
  /** The questioned image in the reference frame; transparent where it has no pixels. */
  alignedPng: Buffer;
  /** Size of both PNGs (the reference size unless reduced by outputMaxLongEdge). */
  outputSize: [number, number];
  stats: CompareStats;
  parameters: CompareParams & { homography: number[]; profile: LightProfile };
  versions: CompareVersions;
}

const round4 = (v: number) => Math.round(v * 1e4) / 1e4;

/** Reference pixels → working pixels: to the long edge, or to the working area where that is larger; a small reference enlarged by at most `maxEnlargement`. */
export function workingScale(width: number, height: number, params: Pick<CompareParams, 'workingLongEdge' | 'workingPixels' | 'maxEnlargement'>): number {
  return Math.min(params.maxEnlargement, Math.max(params.workingLongEdge / Math.max(width, height), Math.sqrt(params.workingPixels / (width * height))));
}

function resolveParams(overrides: Partial<CompareParams> | undefined): CompareParams {
  const p: CompareParams = { ...DEFAULT_COMPARE_PARAMS };
  for (const [key, value] of Object.entries(overrides ?? {})) {
    if (!(key in DEFAULT_COMPARE_PARAMS)) throw new RangeError(`unknown comparison parameter: ${key}`);
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new RangeError(`comparison parameter ${key} must be a finite number ≥ 0`);
    (p as unknown as Record<string, number>)[key] = value;
  }
  if (p.workingLongEdge < 64) throw new RangeError('workingLongEdge must be at least 64');
  if (p.maxEnlargement < 1 || p.maxEnlargement > 4) throw new RangeError('maxEnlargement must be from 1 to 4');
  if (!(p.transferMinGain >= 0 && p.transferMinGain <= 1)) throw new RangeError('transferMinGain must be from 0 to 1');
  if (!Number.isInteger(p.levels) || p.levels < 1 || p.levels > 5) throw new RangeError('levels must be an integer from 1 to 5');
  if (!Number.isInteger(p.envelopeRadius) || p.envelopeRadius > 4) throw new RangeError('envelopeRadius must be an integer from 0 to 4');
  if (p.threshold <= 0 || p.threshold >= 1) throw new RangeError('threshold must be in (0, 1)');
  if (!Number.isInteger(p.pngCompression) || p.pngCompression > 9) throw new RangeError('pngCompression must be an integer from 0 to 9');
  return p;
}

let versionsCache: CompareVersions | undefined;

export function pipelineVersions(): CompareVersions {
  if (!versionsCache) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const opencvPkg = require('@techstark/opencv-js/package.json') as { version: string };
    versionsCache = { differenceStage: DIFFERENCE_STAGE_VERSION, opencvJs: opencvPkg.version, sharp: sharp.versions.sharp, libvips: sharp.versions.vips };
  }
  return versionsCache;
}

/** Resizes interleaved 8-bit pixels (area averaging down, bilinear up) and splits them into float planes; grey when `colour` is false. */
async function toPlanes(img: PixelImage, width: number, height: number, colour: boolean): Promise<Plane[]> {
  if (width === img.width && height === img.height) return splitPlanes(img.data, img.channels, width, height, colour);
  const cv = await loadOpenCv();
  return withMats((track) => {
    const src = track(u8ToMat(cv, img.data, img.width, img.height, img.channels));
    const dst = track(new cv.Mat());
    cv.resize(src, dst, new cv.Size(width, height), 0, 0, width > img.width ? cv.INTER_LINEAR : cv.INTER_AREA);
    // Split straight from the WebAssembly heap: the planes are the only copy made.
    return splitPlanes(dst.data, img.channels, width, height, colour);
  });
}

/*
 * The per-pixel passes of a comparison are plain functions: a loop in an
 * async function body cannot be optimised while it runs (no on-stack
 * replacement into resumable functions) and runs unoptimised, boxing every
 * intermediate number, until the function is hot.
 */

function splitPlanes(data: Uint8Array, channels: number, width: number, height: number, colour: boolean): Plane[] {
  const n = width * height;
  if (channels === 1) return [makePlane(width, height, Float32Array.from(data))];
  const planes = [new Float32Array(n), new Float32Array(n), new Float32Array(n)];
  for (let i = 0, k = 0; i < n; i++, k += 3) {
    planes[0]![i] = data[k]!;
    planes[1]![i] = data[k + 1]!;
    planes[2]![i] = data[k + 2]!;
  }
  if (colour) return planes.map((p) => makePlane(width, height, p));
  const lum = new Float32Array(n);
  for (let i = 0; i < n; i++) lum[i] = (planes[0]![i]! + planes[1]![i]! + planes[2]![i]!) / 3;
  return [makePlane(width, height, lum)];
}

/**
 * A pixel of the questioned image is blown out (glare off a laminate,
 * overexposure) when every channel is at least this high at the working
 * resolution: it holds no detail and no tone to learn from.
 */
const OVEREXPOSED_LEVEL = 250;
/** Radius, working pixels, of the opening that keeps patches of lost content and drops seams two or three pixels wide. */
const GLARE_OPENING_RADIUS = 2;

function allAtLeast(planes: readonly Plane[], i: number, level: number): boolean {
  for (let c = 0; c < planes.length; c++) if (planes[c]!.data[i]! < level) return false;
  return true;
}

/**
 * The compared pixels at which the questioned image is blown out (`blown`,
 * 0/255; nothing can be judged there), and among them those where the
 * reference is not white too (`lost`, and how many): where both are white,
 * as blank paper may be in two scans, the pixels agree and no content is
 * lost, so they neither bend the normalisation nor count as glare. Content
 * is lost only in patches (an opening by `GLARE_OPENING_RADIUS`): beside
 * dark print, JPEG ringing and a softer rendering leave thin white seams
 * over the reference's anti-aliased edges, and a halo round each would take
 * every line of text out of the normalisation.
 */
function overexposedPixels(qs: readonly Plane[], refs: readonly Plane[], valid: Uint8Array, width: number, height: number): { blown: Uint8Array; lost: Uint8Array; lostCount: number } {
  const blown = new Uint8Array(valid.length);
  let lost: Uint8Array = new Uint8Array(valid.length);
  let any = false;
  for (let i = 0; i < blown.length; i++) {
    if (!valid[i] || !allAtLeast(qs, i, OVEREXPOSED_LEVEL)) continue;
    blown[i] = 255;
    if (!allAtLeast(refs, i, OVEREXPOSED_LEVEL)) {
      lost[i] = 255;
      any = true;
    }
  }
  if (any) lost = dilateMask(erodeMask(lost, width, height, GLARE_OPENING_RADIUS), width, height, GLARE_OPENING_RADIUS);
  return { blown, lost, lostCount: any ? countSet(lost) : 0 };
}

/** Width of the ring round a blown-out area in which a glare's flank is looked for: a share of the working long edge. */
const FLANK_SHARE = 0.012;
/** Fewest pixels a mean below is taken over. */
const MIN_LIGHT_PIXELS = 16;
/**
 * Least mean brightening of that ring (grey levels of the normalised images,
 * questioned less reference) that tells a glare's flank.
 */
const FLANK_BRIGHTENING = 6;
/**
 * Most the blown-out differing pixels of a region may exceed the reference
 * on average (normalised grey levels) for the light to account for them:
 * brought to the reference's light, a saturated pixel is then no brighter
 * than the reference, so the light model itself saturates it there.
 */
const SATURATION_EXCESS = 4;

const luminanceAt = (planes: readonly Plane[], i: number) => {
  let v = 0;
  for (const p of planes) v += p.data[i]!;
  return v / planes.length;
};

/**
 * Regions outside personalised zones that differ only by the light: most of
 * their differing pixels (`REGION_MOSTLY_OVEREXPOSED`) are blown out in the
 * questioned image, and the light accounts for it in one of two ways:
 * - an overexposure the light field follows (a bright side of the page): at
 *   those pixels the normalised questioned image is no brighter than the
 *   reference (`SATURATION_EXCESS`), so saturation is what the model expects
 *   and only the detail above it (a tint's pattern) is lost;
 * - a glare, too local for the light field: round the blown-out area, where
 *   the questioned image still shows detail, it is brighter than the
 *   reference (`FLANK_BRIGHTENING`), the glare's flank.
 * Paint or an erasure as white as the paper is blown out too, but is
 * markedly brighter than the print it covers and stops at its edge: it stays
 * a difference (with its blown-out share).
 */
function lightArtefactRegions(
  regions: readonly DifferenceRegion[],
  blown: Uint8Array,
  valid: Uint8Array,
  norm: { reference: readonly Plane[]; questioned: readonly Plane[] },
  differing: { score: Plane; mask: Uint8Array; threshold: number },
  frame: WorkingFrame,
): Set<DifferenceRegion> {
  const out = new Set<DifferenceRegion>();
  const candidates = regions.filter((r) => (r.overexposed ?? 0) >= REGION_MOSTLY_OVEREXPOSED);
  if (candidates.length === 0) return out;
  const { width: w, height: h } = norm.reference[0]!;
  const { score, mask, threshold } = differing;
  const m = Math.max(3, Math.round(FLANK_SHARE * Math.max(w, h)));
  const near = dilateMask(blown, w, h, m);
  const core = dilateMask(blown, w, h, 1);
  for (const r of candidates) {
    const x0 = Math.max(0, Math.floor(r.box.x * frame.sx) - m);
    const y0 = Math.max(0, Math.floor(r.box.y * frame.sy) - m);
    const x1 = Math.min(w, Math.ceil((r.box.x + r.box.width) * frame.sx) + m);
    const y1 = Math.min(h, Math.ceil((r.box.y + r.box.height) * frame.sy) + m);
    let ring = 0;
    let ringExcess = 0;
    let inside = 0;
    let insideExcess = 0;
    for (let y = y0; y < y1; y++) {
      for (let i = y * w + x0, x = x0; x < x1; x++, i++) {
        if (!valid[i]) continue;
        const hot = blown[i] && mask[i] && score.data[i]! >= threshold;
        if (!hot && !(near[i] && !core[i])) continue;
        const excess = luminanceAt(norm.questioned, i) - luminanceAt(norm.reference, i);
        if (hot) {
          inside++;
          insideExcess += excess;
        } else {
          ring++;
          ringExcess += excess;
        }
      }
    }
    const saturationExpected = inside >= MIN_LIGHT_PIXELS && insideExcess / inside <= SATURATION_EXCESS;
    const glareFlank = ring >= MIN_LIGHT_PIXELS && ringExcess / ring >= FLANK_BRIGHTENING;
    if (saturationExpected || glareFlank) out.add(r);
  }
  return out;
}

/** `mask` without the pixels set in `cut` (a copy). */
function without(mask: Uint8Array, cut: Uint8Array): Uint8Array {
  const out = new Uint8Array(mask);
  for (let i = 0; i < out.length; i++) if (cut[i]) out[i] = 0;
  return out;
}

/** Clears `valid` where `background` is set; how many pixels were background. */
function clearBackground(valid: Uint8Array, background: Uint8Array): number {
  let count = 0;
  for (let i = 0; i < background.length; i++) {
    if (background[i]) {
      count++;
      valid[i] = 0;
    }
  }
  return count;
}

function countSet(mask: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i]) n++;
  return n;
}

/** Pixels without a questioned value copy the reference, so that no filter sees an edge at the footprint's border. */
function fillInvalid(qs: readonly Plane[], rs: readonly Plane[], valid: Uint8Array): void {
  for (let c = 0; c < qs.length; c++) {
    const q = qs[c]!.data;
    const r = rs[c]!.data;
    for (let i = 0; i < q.length; i++) if (!valid[i]) q[i] = r[i]!;
  }
}

/** The valid pixels outside and inside the personalised mask, and the count outside. */
function splitPersonalised(valid: Uint8Array, personalisedMask: Uint8Array): { outside: Uint8Array; inside: Uint8Array; outsideCount: number } {
  const outside = new Uint8Array(valid.length);
  const inside = new Uint8Array(valid.length);
  let n = 0;
  for (let i = 0; i < valid.length; i++) {
    if (!valid[i]) continue;
    if (personalisedMask[i]) inside[i] = 255;
    else {
      outside[i] = 255;
      n++;
    }
  }
  return { outside, inside, outsideCount: n };
}

function countFlagged(valid: Uint8Array, score: Float32Array, threshold: number): number {
  let flagged = 0;
  for (let i = 0; i < valid.length; i++) if (valid[i] && score[i]! >= threshold) flagged++;
  return flagged;
}

/**
 * Reference pixels in the corners that belong to the background round the
 * document (outside rounded card corners, or a lid where a scan was cropped
 * loosely): flood fill from each corner, within a square of `band` × the
 * short edge, over pixels of that corner's colour. A corner whose
 * neighbourhood is not uniform is document content, and nothing is filled
 * from it. Only corners: along the edges, document content (an MRZ on white
 * paper) would be lost with the margin.
 */
export function referenceBackground(planes: readonly Plane[], band: number, tolerance: number): Uint8Array {
  const { width: w, height: h } = planes[0]!;
  const out = new Uint8Array(w * h);
  const reach = Math.round(band * Math.min(w, h));
  if (reach < 2) return out;
  const inBand = (x: number, y: number) => (x < reach || x >= w - reach) && (y < reach || y >= h - reach);
  const stack = new Int32Array(w * h);
  for (const [cx, cy] of [
    [0, 0],
    [w - 1, 0],
    [0, h - 1],
    [w - 1, h - 1],
  ] as const) {
    if (out[cy * w + cx]) continue;
    // Seed colour: mean of the 5×5 corner block, which must itself be uniform.
    const seed = planes.map(() => 0);
    const x0 = Math.max(0, Math.min(cx, w - 5));
    const y0 = Math.max(0, Math.min(cy, h - 5));
    let uniform = true;
    planes.forEach((p, c) => {
      let s = 0;
      let lo = Number.POSITIVE_INFINITY;
      let hi = Number.NEGATIVE_INFINITY;
      for (let y = y0; y < Math.min(h, y0 + 5); y++) {
        for (let x = x0; x < Math.min(w, x0 + 5); x++) {
          const v = p.data[y * w + x]!;
          s += v;
          lo = Math.min(lo, v);
          hi = Math.max(hi, v);
        }
      }
      seed[c] = s / 25;
      if (hi - lo > tolerance) uniform = false;
    });
    if (!uniform) continue;
    let top = 0;
    stack[top++] = cy * w + cx;
    out[cy * w + cx] = 255;
    while (top > 0) {
      const k = stack[--top]!;
      const x = k % w;
      const y = (k - x) / w;
      for (const [nx, ny] of [
        [x - 1, y],
        [x + 1, y],
        [x, y - 1],
        [x, y + 1],
      ] as const) {
        if (nx < 0 || ny < 0 || nx >= w || ny >= h || !inBand(nx, ny)) continue;
        const nk = ny * w + nx;
        if (out[nk]) continue;
        let near = true;
        for (let c = 0; c < planes.length && near; c++) if (Math.abs(planes[c]!.data[nk]! - seed[c]!) > tolerance) near = false;
        if (!near) continue;
        out[nk] = 255;
        stack[top++] = nk;
      }
    }
  }
  return out;
}

const RAMP: readonly [number, number, number, number][] = [
  [0.2, 40, 90, 255],
  [0.4, 0, 210, 230],
  [0.5, 255, 225, 0],
  [0.75, 255, 120, 0],
  [1.0, 225, 0, 0],
];

function rampColour(s: number): [number, number, number] {
  let i = 0;
  while (i < RAMP.length - 2 && s > RAMP[i + 1]![0]) i++;
  const a = RAMP[i]!;
  const b = RAMP[i + 1]!;
  const t = Math.min(1, Math.max(0, (s - a[0]) / (b[0] - a[0])));
  return [a[1] + t * (b[1] - a[1]), a[2] + t * (b[2] - a[2]), a[3] + t * (b[3] - a[3])];
}

const RAMP_LUT = Array.from({ length: 256 }, (_, i) => rampColour(i / 255).map(Math.round) as [number, number, number]);

interface Outline {
  polygon: readonly (readonly [number, number])[];
  colour: readonly [number, number, number];
  width: number;
}

function rawInput(data: Uint8Array, width: number, height: number, channels: 1 | 2 | 3 | 4) {
  return sharp(Buffer.from(data.buffer, data.byteOffset, data.byteLength), { raw: { width, height, channels } });
}

/*
 * Full-size buffers of one comparison, reused by the next in this thread
 * (see ReusableBytes): the warped questioned image, its validity and the
 * heatmap's pixels. None outlives compareImages: the PNGs are encoded from
 * them before it returns.
 */
const WARPED_PIXELS = new ReusableBytes();
const WARPED_VALIDITY = new ReusableBytes();
const HEATMAP_PIXELS = new ReusableBytes();

/** Period and width, in output pixels, of the white diagonal hatching over what the questioned image shows blown out. */
const BLOWN_HATCH_PERIOD = 8;
const BLOWN_HATCH_WIDTH = 2;

/**
 * The heatmap's pixels before outlines; a plain function, not part of the async renderer (see splitPlanes).
 * `lost` (working grid, optional): where the questioned image is blown out over reference content, hatched in white.
 */
function blendHeatmap(rgb: Uint8Array, base: Uint8Array, c: number, score: Plane, valid: Uint8Array, outW: number, outH: number, lost?: Uint8Array): void {
  // Output pixel centres on the working grid: bilinear weights for the score, nearest cell for validity.
  const sw = score.width;
  const sh = score.height;
  const axis = (n: number, m: number) => {
    const i0 = new Int32Array(n);
    const t = new Float32Array(n);
    const near = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const u = Math.min(m - 1, Math.max(0, ((i + 0.5) * m) / n - 0.5));
      i0[i] = Math.min(m - 2, Math.floor(u));
      t[i] = u - i0[i]!;
      near[i] = Math.min(m - 1, Math.floor(((i + 0.5) * m) / n));
    }
    return { i0, t, near };
  };
  const ax = axis(outW, sw);
  const ay = axis(outH, sh);
  const S = score.data;
  // Dimmed grey levels, and the shade of pixels not compared, as tables: most pixels need nothing else.
  const dim = Uint8Array.from({ length: 256 }, (_, g) => Math.round(40 + 0.55 * g));
  const dark = Uint8Array.from(dim, (g) => Math.round(g * 0.35));
  // Working cells whose four bilinear corners all score at most 0.2 colour nothing: most of the page.
  const colStep = sw > 1 ? 1 : 0;
  const rowStep = sw > 1 && sh > 1 ? sw : 0;
  const hot = new Uint8Array(sw * sh);
  for (let r = 0; r < sh; r++) {
    for (let q = 0; q < sw; q++) {
      const o = r * sw + q;
      if (r + (rowStep ? 1 : 0) >= sh || q + colStep >= sw) continue;
      if (S[o]! > 0.2 || S[o + colStep]! > 0.2 || S[o + rowStep]! > 0.2 || S[o + rowStep + colStep]! > 0.2) hot[o] = 1;
    }
  }
  // Every pixel is written: a reused buffer needs no clearing.
  for (let y = 0, i = 0, k = 0; y < outH; y++) {
    const r0 = ay.i0[y]! * sw;
    const r1 = r0 + rowStep;
    const ty = ay.t[y]!;
    const vrow = ay.near[y]! * sw;
    for (let x = 0; x < outW; x++, i++, k += 3) {
      const grey = c === 1 ? base[i]! : (77 * base[k]! + 150 * base[k + 1]! + 29 * base[k + 2]!) >> 8;
      if (!valid[vrow + ax.near[x]!]) {
        rgb[k] = rgb[k + 1] = rgb[k + 2] = dark[grey]!;
        continue;
      }
      const g = dim[grey]!;
      const c0 = ax.i0[x]!;
      if (!hot[r0 + c0]) {
        rgb[k] = rgb[k + 1] = rgb[k + 2] = g;
        continue;
      }
      const c1 = c0 + colStep;
      const s00 = S[r0 + c0]!;
      const s01 = S[r0 + c1]!;
      const s10 = S[r1 + c0]!;
      const s11 = S[r1 + c1]!;
      const tx = ax.t[x]!;
      const val = (1 - ty) * ((1 - tx) * s00 + tx * s01) + ty * ((1 - tx) * s10 + tx * s11);
      if (val <= 0.2) {
        rgb[k] = rgb[k + 1] = rgb[k + 2] = g;
        continue;
      }
      const alpha = val >= 0.5 ? 0.85 : ((val - 0.2) / 0.3) * 0.85;
      const col = RAMP_LUT[Math.min(255, Math.round(val * 255))]!;
      rgb[k] = Math.round(g + alpha * (col[0] - g));
      rgb[k + 1] = Math.round(g + alpha * (col[1] - g));
      rgb[k + 2] = Math.round(g + alpha * (col[2] - g));
    }
  }
  if (!lost) return;
  for (let y = 0, k = 0; y < outH; y++) {
    const vrow = ay.near[y]! * sw;
    for (let x = 0; x < outW; x++, k += 3) {
      // `lost` lies within the compared pixels: no validity test is needed.
      if ((x + y) % BLOWN_HATCH_PERIOD < BLOWN_HATCH_WIDTH && lost[vrow + ax.near[x]!]) rgb[k] = rgb[k + 1] = rgb[k + 2] = 255;
    }
  }
}

/**
 * Reference in dimmed grey, the score as a colour ramp where it is notable,
 * pixels not compared shaded dark, what the questioned image shows blown out
 * (glare) over reference content hatched in white, outlines on top. The blend is one pass in
 * JavaScript at the output size; libvips only encodes.
 */
async function renderHeatmap(
  reference: PixelImage,
  score: Plane,
  valid: Uint8Array,
  outW: number,
  outH: number,
  outlines: readonly Outline[],
  compression: number,
  lost?: Uint8Array,
): Promise<Buffer> {
  const c = reference.channels;
  const base =
    outW === reference.width && outH === reference.height
      ? reference.data
      : await rawInput(reference.data, reference.width, reference.height, c).resize(outW, outH, { fit: 'fill', kernel: 'lanczos3' }).raw().toBuffer();
  const rgb = HEATMAP_PIXELS.take(outW * outH * 3);
  try {
    return await drawHeatmap(rgb, base, c, score, valid, outW, outH, reference.width, outlines, compression, lost);
  } finally {
    HEATMAP_PIXELS.giveBack(rgb);
  }
}

async function drawHeatmap(
  rgb: Uint8Array,
  base: Uint8Array,
  c: number,
  score: Plane,
  valid: Uint8Array,
  outW: number,
  outH: number,
  referenceWidth: number,
  outlines: readonly Outline[],
  compression: number,
  lost: Uint8Array | undefined,
): Promise<Buffer> {
  blendHeatmap(rgb, base, c, score, valid, outW, outH, lost);
  if (outlines.length > 0) {
    // Outlines drawn by OpenCV on the blended pixels: cheaper than rasterising an SVG the size of the page and compositing it.
    const cv = await loadOpenCv();
    const scale = outW / referenceWidth;
    await withMats((track) => {
      const m = track(u8ToMat(cv, rgb, outW, outH, 3));
      for (const o of outlines) {
        const flat: number[] = [];
        for (const [x, y] of o.polygon) flat.push(Math.round((x + 0.5) * scale - 0.5), Math.round((y + 0.5) * scale - 0.5));
        const vec = track(new cv.MatVector());
        vec.push_back(track(cv.matFromArray(o.polygon.length, 1, cv.CV_32SC2, flat)));
        cv.polylines(m, vec, true, new cv.Scalar(o.colour[0], o.colour[1], o.colour[2]), o.width, cv.LINE_8);
      }
      rgb.set(m.data);
    });
  }
  return rawInput(rgb, outW, outH, 3).png({ compressionLevel: compression, adaptiveFiltering: false }).toBuffer();
}

/** The warped questioned image with its validity as alpha, reduced to the output size. */
async function renderAligned(image: PixelImage, valid: Uint8Array, outW: number, outH: number, compression: number): Promise<Buffer> {
  let img = rawInput(image.data, image.width, image.height, image.channels).joinChannel(Buffer.from(valid.buffer, valid.byteOffset, valid.byteLength), {
    raw: { width: image.width, height: image.height, channels: 1 },
  });
  if (outW !== image.width || outH !== image.height) img = img.resize(outW, outH, { fit: 'fill', kernel: 'lanczos3' });
  return img.png({ compressionLevel: compression, adaptiveFiltering: false }).toBuffer();
}

export async function compareImages(input: CompareInput): Promise<CompareResult> {
  const { reference, questioned, lightSource } = input;
  checkPixelImage('reference', reference);
  checkPixelImage('questioned', questioned);
  if (!isHomography(input.homography)) throw new TypeError('homography must be 9 finite numbers (row-major 3×3)');
  const profileId: LightProfileId | undefined = lightProfileFor(lightSource);
  if (!profileId) throw new RangeError(`unknown light source: ${lightSource}`);
  const params = resolveParams(input.params);
  const homography = normalizeHomography(input.homography);
  const zones = input.zones ?? [];

  const W = reference.width;
  const H = reference.height;
  const lent = { image: WARPED_PIXELS.take(W * H * questioned.channels), valid: WARPED_VALIDITY.take(W * H) };
  try {
    return await compareWarped(input, params, profileId, homography, zones, await warpToReference(questioned, homography, W, H, lent));
  } finally {
    WARPED_PIXELS.giveBack(lent.image);
    WARPED_VALIDITY.giveBack(lent.valid);
  }
}

/** compareImages once the questioned image is in the reference frame. */
async function compareWarped(
  input: CompareInput,
  params: CompareParams,
  profileId: LightProfileId,
  homography: number[],
  zones: readonly ComparisonZone[],
  warped: WarpResult,
): Promise<CompareResult> {
  const { reference, questioned, lightSource } = input;
  const profile = LIGHT_PROFILES[profileId];
  const W = reference.width;
  const H = reference.height;
  const mrz = (input.readMrz ?? true) ? await mrzFindings(warped.image, warped.valid, zones, lightSource) : { findings: [], inspections: [] };

  const s = workingScale(W, H, params);
  const ww = Math.max(16, Math.round(W * s));
  const wh = Math.max(16, Math.round(H * s));
  const frame: WorkingFrame = { sx: ww / W, sy: wh / H, referenceWidth: W, referenceHeight: H };
  const colour = profile.colour === 'rgb' && reference.channels === 3 && questioned.channels === 3;
  const refPlanes = await toPlanes(reference, ww, wh, colour);
  const qPlanes = await toPlanes(warped.image, ww, wh, colour);

  let valid = validityMask(homography, W, H, questioned.width, questioned.height, { width: ww, height: wh });
  let backgroundCount = 0;
  if (params.backgroundBand > 0) {
    backgroundCount = clearBackground(valid, referenceBackground(refPlanes, params.backgroundBand, params.backgroundTolerance));
  }
  valid = erodeMask(valid, ww, wh, params.validErosion);
  const validCount = countSet(valid);
  fillInvalid(qPlanes, refPlanes, valid);
  // A personalised zone counts where it shows: a name printed in black is holder data in white light and IR, but not under UV.
  const personalised = zones.filter((z) => z.personalised && zoneShowsIn(z, lightSource)).map((z) => z.polygon as [number, number][]);
  let personalisedMask: Uint8Array | undefined;
  if (personalised.length > 0) {
    const raw = await rasterisePolygons(personalised, ww, wh, frame.sx, frame.sy);
    personalisedMask = dilateMask(raw, ww, wh, Math.round(params.personalisedMargin * Math.max(ww, wh)));
  }
  // Statistics are learnt where both images should show the same thing; personalised zones
  // differ legitimately (another holder's photo would bend the tone curve), unless they are nearly everything.
  let learn = valid;
  let learnCount = validCount;
  let outside = valid;
  let inside: Uint8Array | undefined;
  if (personalisedMask) {
    const split = splitPersonalised(valid, personalisedMask);
    outside = split.outside;
    inside = split.inside;
    const n = split.outsideCount;
    if (n >= 0.2 * validCount) {
      learn = outside;
      learnCount = n;
    }
  }

  const tile = Math.max(4, Math.round(Math.max(ww, wh) / params.illuminationTiles));
  // Blown-out pixels, and the brightened halo round them (a tile wide), teach the
  // normalisation and the noise measure nothing true: glare would bend the tone
  // curve and the light field of the whole page, and raise false differences far from it.
  const overexposed = overexposedPixels(qPlanes, refPlanes, valid, ww, wh);
  let normValid = valid;
  if (overexposed.lostCount > 0) {
    const halo = dilateMask(overexposed.lost, ww, wh, tile);
    const kept = without(valid, halo);
    // Unless the glare is nearly everything: then the rest is all there is to learn from.
    if (countSet(kept) >= 0.2 * validCount) {
      normValid = kept;
      learn = without(learn, halo);
      learnCount = countSet(learn);
    }
  }
  const norm = await normaliseToReference(refPlanes, qPlanes, { valid: normValid, learn }, profile, {
    illuminationTile: tile,
    transferMinGain: params.transferMinGain,
    captureScale: () => makePlane(ww, wh, localScaleMap(homography, W, H, ww, wh)),
  });
  fillInvalid(norm.questioned, norm.reference, valid);

  const diff = await differenceScore(norm.reference, norm.questioned, valid, profile, norm.noiseAmplification, params, learn);

  // Split at the pixel level: a changed security feature crossed by a name line stays a finding outside the line.
  const outsideRegions = await extractRegions(diff.score, outside, frame, params, validCount, overexposed.blown);
  // What differs only where the light blows the questioned image out is not judged (it shows no detail there).
  const byLight = lightArtefactRegions(outsideRegions, overexposed.blown, valid, norm, { score: diff.score, mask: outside, threshold: params.threshold }, frame);
  const regions = outsideRegions.filter((r) => !byLight.has(r));
  const blownOutRegions = outsideRegions.filter((r) => byLight.has(r));
  const personalisedRegions = inside ? await extractRegions(diff.score, inside, frame, params, validCount, overexposed.blown) : [];

  const zoneResult = await zoneVerdicts(
    // A zone is seen where the questioned image covers it and is not blown out (over white reference paper too:
    // a feature faded at the edge of a glare is judged only with the glare's whole extent known).
    { zones, lightSource, reference: norm.reference, questioned: norm.questioned, score: diff.score, valid: without(valid, overexposed.blown), frame, profile, personalisedMask },
    {
      threshold: params.threshold,
      absentRatio: params.absentRatio,
      minSignal: params.minSignal,
      differentShare: params.differentShare,
      minFlaggedPixels: Math.max(4, params.minAreaFraction * validCount),
      minCoverage: params.minZoneCoverage,
    },
  );

  const flagged = countFlagged(valid, diff.score.data, params.threshold);

  const outScale = Math.min(1, params.outputMaxLongEdge / Math.max(W, H));
  const outW = Math.max(1, Math.round(W * outScale));
  const outH = Math.max(1, Math.round(H * outScale));
  const stroke = Math.max(2, Math.round(Math.max(outW, outH) / 700));
  const verdictById = new Map(zoneResult.verdicts.map((v) => [v.zoneId, v]));
  const outlines: Outline[] = [];
  for (const z of zones) {
    const v = verdictById.get(z.id);
    if (!v) continue;
    outlines.push({ polygon: z.polygon as [number, number][], colour: v.verdict === 'consistent' ? [0, 170, 0] : [255, 212, 0], width: Math.max(1, stroke - 1) });
  }
  // Outline colours stay clear of the heat ramp (blue → yellow → red): findings magenta, personal data cyan.
  for (const r of personalisedRegions) outlines.push({ polygon: r.polygon, colour: [0, 229, 255], width: stroke });
  for (const r of regions) outlines.push({ polygon: r.polygon, colour: [255, 0, 255], width: stroke });
  const overexposedShare = round4(validCount > 0 ? overexposed.lostCount / validCount : 0);
  const [heatmapPng, alignedPng] = await Promise.all([
    // Hatched exactly when the recorded share says there is something blown out (the report's caption follows that share).
    renderHeatmap(reference, diff.score, valid, outW, outH, outlines, params.pngCompression, overexposedShare > 0 ? overexposed.lost : undefined),
    renderAligned(warped.image, warped.valid, outW, outH, params.pngCompression),
  ]);

  return {
    lightSource,
    regions,
    personalisedRegions,
    blownOutRegions,
    zoneVerdicts: zoneResult.verdicts,
    findings: mrz.findings,
    heatmapPng,
    alignedPng,
    outputSize: [outW, outH],
    stats: {
      referenceSize: [W, H],
      workingSize: [ww, wh],
      comparedShare: round4(validCount / valid.length),
      backgroundShare: round4(backgroundCount / valid.length),
      normalisation: {
        ...norm.stats,
        illumination: [round4(norm.stats.illumination[0]), round4(norm.stats.illumination[1])],
      },
      learnedShare: round4(learnCount / valid.length),
      levels: diff.levels.map((l) => ({ noise: round4(l.noise), threshold: l.threshold })),
      flaggedShare: round4(validCount > 0 ? flagged / validCount : 0),
      overexposedShare,
      uncoveredZones: zoneResult.uncovered,
      mrz: mrz.inspections,
    },
    parameters: { ...params, homography, profile },
    versions: pipelineVersions(),
  };
}
