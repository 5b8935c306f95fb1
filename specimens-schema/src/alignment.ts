/**
 * Reading a comparison's alignment record in words, the same for the web
 * viewer and the court report: which method found the homography, how many
 * refinement points agreed, how much of the reference the questioned image
 * shows, and how each light source was registered.
 *
 * The pipeline's method codes are `<detector>[-<view>]` (`orb`, `orb-fine`,
 * `orb-tilt2-x`, `orb-zoom-in`, `akaze-tilt2-y` …); its message is free text
 * of which two clauses are read here. Both are read defensively: an unknown
 * code is shown as recorded, a clause that is absent gives null, never a
 * guess.
 */
import type { LightRegistrationRecord } from './generated/types';
import { getLightSource } from './vocabularies';

const DETECTORS: Readonly<Record<string, string>> = { orb: 'ORB', akaze: 'AKAZE' };

/** Views of the images a method may have matched on, beyond the working images as they are. */
function viewLabel(view: string): string {
  if (view === 'fine') return 'finer questioned image';
  if (view === 'zoom-in') return 'close-up';
  if (view === 'zoom-out') return 'wider view';
  if (/^tilt[0-9.]+-[xy]$/.test(view)) return 'simulated tilt';
  return view;
}

/** A short human wording of `result.alignment.method`: `features (ORB), simulated tilt`. */
export function alignmentMethodLabel(method: string | null | undefined): string {
  if (!method) return 'method not recorded';
  const m = /^([a-z0-9]+)(?:-(.+))?$/i.exec(method);
  if (!m) return method;
  const detector = DETECTORS[m[1]!.toLowerCase()] ?? m[1]!.toUpperCase();
  return m[2] ? `features (${detector}), ${viewLabel(m[2])}` : `features (${detector})`;
}

/**
 * The share (0–1] of the reference the questioned image shows, as the
 * alignment message states it for a close-up; null when it states none
 * (the questioned image shows the whole reference).
 */
export function referenceShareShown(message: string | null | undefined): number | null {
  const m = /questioned image shows (?:only )?(\d+(?:\.\d+)?) ?% of the reference/.exec(message ?? '');
  if (!m) return null;
  const percent = Number(m[1]);
  return Number.isFinite(percent) && percent > 0 && percent <= 100 ? percent / 100 : null;
}

/** The refinement points that agreed on the homography, of those tried, as the alignment message states them; null when it does not. */
export function refinementAgreement(message: string | null | undefined): { agreeing: number; of: number } | null {
  const m = /refined on (\d+) of (\d+) patches/.exec(message ?? '');
  if (!m) return null;
  const agreeing = Number(m[1]);
  const of = Number(m[2]);
  return of > 0 && agreeing <= of ? { agreeing, of } : null;
}

/** Length of a registration shift, reference pixels. */
export function registrationShiftLength(registration: Pick<LightRegistrationRecord, 'shift'>): number {
  const [dx = 0, dy = 0] = registration.shift;
  return Math.hypot(dx, dy);
}

/**
 * How one light source was registered, in a clause: `reused the alignment
 * under White light, refined by 0.40 px`.
 */
export function registrationLabel(registration: LightRegistrationRecord): string {
  const anchor = getLightSource(registration.anchorLight)?.label ?? registration.anchorLight;
  switch (registration.outcome) {
    case 'aligned':
      return 'aligned on its own features';
    case 'refined':
      return `reused the alignment under ${anchor}, refined by ${registrationShiftLength(registration).toFixed(2)} px`;
    case 'anchor':
      return `reused the alignment under ${anchor} unchanged (confirmed by this light's image)`;
    case 'anchor-unverified':
      return `reused the alignment under ${anchor} unchanged, unverified (too little structure to check, or a shift beyond the limit)`;
    default:
      return `registered as ${String(registration.outcome)} against ${anchor}`;
  }
}
