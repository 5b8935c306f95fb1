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
import { loadOpenCv, withMats } from '../cv/opencv';
import { comparisonChannels } from './difference';
import type { LightProfile } from './normalise';
import { quantiles, u8ToMat, type Plane } from './planes';
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
  /** Share of the zone inside the compared area (the questioned image covers it). */
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

async function ringAround(zone: Uint8Array, width: number, height: number, radius: number): Promise<Uint8Array> {
  const cv = await loadOpenCv();
  return withMats((track) => {
    const src = track(u8ToMat(cv, zone, width, height));
    const dst = track(new cv.Mat());
    const k = 2 * radius + 1;
    const kernel = track(cv.getStructuringElement(cv.MORPH_ELLIPSE, new cv.Size(k, k)));
    cv.dilate(src, dst, kernel);
    const grown = dst.data;
    const ring = new Uint8Array(zone.length);
    for (let i = 0; i < ring.length; i++) if (grown[i] && !zone[i]) ring[i] = 255;
    return ring;
  });
}

/** Texture inside the zone (luminance standard deviation) combined with the zone's contrast to its ring. */
function featureSignal(channels: readonly Plane[], zone: Uint8Array, ring: Uint8Array, valid: Uint8Array): number {
  const lum = channels[0]!.data;
  let n = 0;
  let sum = 0;
  let sq = 0;
  for (let i = 0; i < lum.length; i++) {
    if (!zone[i] || !valid[i]) continue;
    n++;
    sum += lum[i]!;
    sq += lum[i]! * lum[i]!;
  }
  if (n === 0) return 0;
  const mean = sum / n;
  const texture = Math.sqrt(Math.max(0, sq / n - mean * mean));
  let contrast2 = 0;
  for (const ch of channels) {
    let zi = 0;
    let zn = 0;
    let ri = 0;
    let rn = 0;
    for (let i = 0; i < ch.data.length; i++) {
      if (!valid[i]) continue;
      if (zone[i]) {
        zi += ch.data[i]!;
        zn++;
      } else if (ring[i]) {
        ri += ch.data[i]!;
        rn++;
      }
    }
    if (zn > 0 && rn > 0) contrast2 += (zi / zn - ri / rn) ** 2;
  }
  return Math.sqrt(texture * texture + contrast2);
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
  const { score, frame, profile } = input;
  const { width, height } = score;
  const visible = input.valid;
  let valid = visible;
  if (input.personalisedMask) {
    const pm = input.personalisedMask;
    valid = Uint8Array.from(visible, (v, i) => (v && !pm[i] ? 255 : 0));
  }
  const verdicts: ZoneVerdict[] = [];
  const uncovered: string[] = [];
  const judged = input.zones.filter((z) => !z.personalised && zoneShowsIn(z, input.lightSource));
  if (judged.length === 0) return { verdicts, uncovered };
  const refCh = comparisonChannels(input.reference, profile);
  const qCh = comparisonChannels(input.questioned, profile);
  const masks = await Promise.all(judged.map((z) => rasterisePolygons([z.polygon as [number, number][]], width, height, frame.sx, frame.sy)));
  const areas = masks.map((m) => m.reduce((n, v) => n + (v ? 1 : 0), 0));
  for (let zi = 0; zi < judged.length; zi++) {
    const zone = judged[zi]!;
    // A feature nested in a larger one (an emblem on the background print) has its own verdict: the larger zone is judged without it.
    const mask = new Uint8Array(masks[zi]!);
    for (let zj = 0; zj < judged.length; zj++) {
      if (zj === zi || areas[zj]! >= areas[zi]!) continue;
      const inner = masks[zj]!;
      for (let i = 0; i < mask.length; i++) if (inner[i]) mask[i] = 0;
    }
    let total = 0;
    let seen = 0;
    let covered = 0;
    let flagged = 0;
    for (let i = 0; i < mask.length; i++) {
      if (!mask[i]) continue;
      total++;
      if (visible[i]) seen++;
      if (!valid[i]) continue;
      covered++;
      if (score.data[i]! >= params.threshold) flagged++;
    }
    const coverage = total > 0 ? seen / total : 0;
    // Judged on what is visible and not personalised; a feature almost entirely under personal data cannot be.
    if (total === 0 || coverage < params.minCoverage || covered < Math.max(0.1 * total, 4 * params.minFlaggedPixels)) {
      uncovered.push(zone.id);
      continue;
    }
    const inZone = new Uint8Array(mask.length);
    for (let i = 0; i < mask.length; i++) if (mask[i] && valid[i]) inZone[i] = 255;
    const radius = Math.max(3, Math.round(0.15 * Math.sqrt(covered)));
    const ring = await ringAround(mask, width, height, radius);
    const sRef = featureSignal(refCh, mask, ring, valid);
    const sQ = featureSignal(qCh, mask, ring, valid);
    const [p95] = quantiles(score.data, [0.95], inZone);
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
      score: round4(Math.max(p95 ?? 0, loss)),
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
