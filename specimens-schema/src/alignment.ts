/**
 * Reading a comparison's alignment record in words, the same for the web
 * viewer and the court report: which method found the homography, how many
 * refinement points agreed, how much of the reference the questioned image
 * shows, and how each light source was registered.
 *
 * The pipeline's method codes are `<detector>[-<view>]` (`orb`, `orb-dense`,
 * `orb-fine`, `orb-tilt2-x`, `orb-zoom-in`, `akaze-tilt2-y` …). The refinement points
 * and the share of the reference shown are recorded as numbers; results
 * stored before that carry them only as clauses of the free-text message,
 * which are then read. All is read defensively: an unknown code is shown as
 * recorded, a fact that is absent gives null, never a guess.
 */
import type { ComparisonAlignment, LightRegistrationRecord } from './generated/types';
import { getLightSource } from './vocabularies';

const DETECTORS: Readonly<Record<string, string>> = { orb: 'ORB', akaze: 'AKAZE' };

/** Views of the images a method may have matched on, beyond the working images as they are. */
function viewLabel(view: string): string {
  if (view === 'dense') return 'twice the features';
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

/** The parts of an alignment record the wording reads (results stored before the structured fields carry only the message). */
export type AlignmentFacts = Pick<ComparisonAlignment, 'inliers' | 'message' | 'refinementPoints' | 'referenceShown'>;

/**
 * The share (0–1] of the reference the questioned image shows, when it shows
 * only part of it (a close-up); null for a whole document. Read from
 * `referenceShown`, or for results stored before it, from the message.
 */
export function referenceShareShown(alignment: AlignmentFacts): number | null {
  if (alignment.referenceShown !== undefined) return alignment.referenceShown > 0 && alignment.referenceShown < 1 ? alignment.referenceShown : null;
  const m = /questioned image shows (?:only )?(\d+(?:\.\d+)?) ?% of the reference/.exec(alignment.message ?? '');
  if (!m) return null;
  const percent = Number(m[1]);
  return Number.isFinite(percent) && percent > 0 && percent <= 100 ? percent / 100 : null;
}

/** The refinement points that agreed on the homography, of those tried: from `refinementPoints`, or for older results from the message; null when neither says. */
export function refinementAgreement(alignment: AlignmentFacts): { agreeing: number; of: number } | null {
  if (alignment.refinementPoints !== undefined) {
    return alignment.refinementPoints > 0 && alignment.inliers <= alignment.refinementPoints ? { agreeing: alignment.inliers, of: alignment.refinementPoints } : null;
  }
  const m = /refined on (\d+) of (\d+) patches/.exec(alignment.message ?? '');
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
