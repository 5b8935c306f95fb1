/**
 * Where the questioned image is blown out (glare off a laminate,
 * overexposure), in words, the same for the web viewer and the court report.
 * A blown-out pixel shows no detail: a difference there may be the light, not
 * the document. The difference stage records the share per region
 * (`region.overexposed`) and per light (`stats.overexposedShare`); results
 * made before it recorded them carry neither, and are read as "not recorded",
 * never as "none".
 */
import type { DifferenceRegion } from './generated/types';

/** A region's blown-out share from which the examiner is told of it: below it, glare cannot account for the difference. */
export const REGION_OVEREXPOSED_NOTE = 0.05;

/** A light's blown-out share of the compared area from which it is stated on the page (a few specular pixels say nothing). */
export const LIGHT_OVEREXPOSED_NOTE = 0.005;

/**
 * A share as a percentage for reading: one decimal below 10 %, whole above;
 * never 0 % for a share that is not nothing, nor 100 % for one that is not all.
 */
export function overexposedPercent(share: number): string {
  const percent = share * 100;
  // Compared once rounded: 9.96 % reads as 10, not 10.0.
  const tenths = Math.round(percent * 10) / 10;
  if (tenths < 10) return share > 0 ? Math.max(0.1, tenths).toFixed(1) : '0';
  return String(share < 1 ? Math.min(99, Math.round(percent)) : 100);
}

/** `value` when it is a share in [0, 1]; null otherwise (not recorded). */
function recordedShare(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= 1 ? value : null;
}

/** The share of a region's differing pixels where the questioned image is blown out; null when the result did not record it. */
export function regionOverexposedShare(region: Pick<DifferenceRegion, 'overexposed'>): number | null {
  return recordedShare(region.overexposed);
}

/**
 * From this blown-out share of a region, the light may account for its
 * difference; below it, most of the region shows detail and differs there.
 */
export const REGION_MOSTLY_OVEREXPOSED = 0.5;

/**
 * The clause a listed region carries when much of it is blown out in the
 * questioned image: `questioned image blown out (glare) over 76 % of this
 * region — the difference may be the light`, or, for a region mostly showing
 * detail, `… over 12 % of this region — the rest of it shows detail`; null
 * below the note level or when not recorded. A partly blown-out region is
 * not to be discounted for it.
 */
export function regionOverexposedNote(region: Pick<DifferenceRegion, 'overexposed'>): string | null {
  const share = regionOverexposedShare(region);
  if (share === null || share < REGION_OVEREXPOSED_NOTE) return null;
  const reading = share >= REGION_MOSTLY_OVEREXPOSED ? 'the difference may be the light' : 'the rest of it shows detail';
  return `questioned image blown out (glare) over ${overexposedPercent(share)} % of this region — ${reading}`;
}

/** The share of a light's compared area where the questioned image is blown out, read from its `stats` (open); null when not recorded. */
export function lightOverexposedShare(stats: unknown): number | null {
  if (!stats || typeof stats !== 'object') return null;
  return recordedShare((stats as { overexposedShare?: unknown }).overexposedShare);
}

/**
 * The sentence stating how much of the compared area is blown out in the
 * questioned image, for any recorded share: `The questioned image is blown
 * out (glare or overexposure) over 5.4 % of the compared area; those pixels
 * show no detail.` A share of 0 is what the difference stage found (at its
 * working resolution, where the reference is not white too), not a
 * guarantee that no pixel is saturated: it is said as not found.
 */
export function lightOverexposedSentence(share: number): string {
  if (share <= 0) return 'No blown-out area (glare or overexposure) was found in the questioned image over the compared area.';
  return `The questioned image is blown out (glare or overexposure) over ${overexposedPercent(share)} % of the compared area; those pixels show no detail.`;
}

/** The sentence for a light's blown-out share when it is worth the examiner's attention (at least the note level); null otherwise or when not recorded. */
export function lightOverexposedNote(share: number | null | undefined): string | null {
  return share === null || share === undefined || !(share >= LIGHT_OVEREXPOSED_NOTE) ? null : lightOverexposedSentence(share);
}

/**
 * The heading of the areas a light lists apart from its differences: outside
 * personalised zones, what differs only where the questioned image is
 * blown out (`blownOutRegions`, at least `REGION_MOSTLY_OVEREXPOSED` of an
 * area's differing pixels). No detail shows there, so they are not judged.
 */
export const BLOWN_OUT_REGIONS_HEADING = 'Blown out — not judged';

/**
 * What one blown-out area listed apart says: `blown out in the questioned
 * image (glare) over 97 % of this area — no detail shows there, not judged`;
 * the share as "not recorded" when the result lacks it, never made up.
 */
export function blownOutRegionNote(region: Pick<DifferenceRegion, 'overexposed'>): string {
  const share = regionOverexposedShare(region);
  const over = share === null ? 'share not recorded' : `over ${overexposedPercent(share)} % of this area`;
  return `blown out in the questioned image (glare), ${over} — no detail shows there, not judged`;
}

/**
 * The sentence introducing a light's blown-out areas, by how many the result
 * records; `undefined` for a result made before they were listed apart
 * (difference stages before 1.5.0), whose such areas are among its regions,
 * each with its blown-out share: said as not recorded, never as none.
 */
export function blownOutRegionsSentence(count: number | undefined): string {
  if (count === undefined) return 'Areas differing only where the questioned image is blown out were not listed apart with this comparison (not recorded): any are among its regions of difference, with their blown-out share.';
  if (count === 0) return 'No area differs only where the questioned image is blown out.';
  const areas = count === 1 ? '1 area differs' : `${count} areas differ`;
  return `${areas} only where the questioned image is blown out (glare or overexposure): no detail shows there, so ${count === 1 ? 'it is not judged or counted as a difference' : 'they are not judged or counted as differences'}.`;
}
