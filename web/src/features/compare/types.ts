/**
 * The comparison as the viewer uses it. `api.ts` turns the API's comparison
 * record (specimens-schema's `Comparison`) into this shape: regions get ids
 * and a personalised flag, zone verdicts get their outlines from the
 * reference capture, outputs become image sources. Coordinates are pixels of
 * the reference image, the frame every output of a light source is drawn in.
 */
import type {
  ComparisonAlignment,
  ComparisonFindingKind,
  ComparisonStatus,
  DifferenceRegion,
  LightRegistrationRecord,
  ZoneVerdict as ApiZoneVerdict,
  ZoneVerdictKind,
} from '@exemplar/specimens-schema';
import type { ImageSource } from '../../shared/api/images';

export type { ComparisonFindingKind, ComparisonStatus, ZoneVerdictKind };

export type Box = DifferenceRegion['box'];

export type FlaggedRegion = Pick<DifferenceRegion, 'box' | 'score' | 'overexposed'> & {
  /** Stable within a light source: `r1`, `r2` … in score order; personalised ones `p1` …; blown-out areas `b1` … */
  id: string;
  polygon: [number, number][];
  /** Inside a personalised zone (photo, name, number …): expected to differ between holders. */
  personalised: boolean;
};

export type ZoneVerdict = Pick<ApiZoneVerdict, 'zoneId' | 'type' | 'label' | 'verdict' | 'score'> & {
  /** The zone's outline on the reference, when the reference capture is known. */
  polygon?: [number, number][];
};

/**
 * What the questioned document fails on its own terms (its MRZ read and
 * checked), in words for the examiner. Drawn apart from the regions: a
 * region is where the images differ, a finding is what is wrong.
 */
export interface Finding {
  /** `m1`, `m2` … in the pipeline's order; shown as M1, M2 … */
  id: string;
  kind: ComparisonFindingKind;
  /** One line: what failed. */
  title: string;
  /** Plain sentences: each failing check digit as read and as its data give it, the characters out of line. */
  details: string[];
  box: Box;
  /** The MRZ as read on the questioned image, with the characters the finding concerns ([line, column]). */
  mrz?: { lines: string[]; marked: [number, number][] };
}

/** Whether the MRZ was read under this light and what came of it (absent when it was not looked for). */
export type MrzOutcome = 'valid' | 'invalid' | 'not-read';

export interface ComparisonLight {
  lightSource: string;
  /** What the questioned image under this light is called (its own file's name, not another light's); the comparison's questioned title when absent. */
  questionedTitle?: string;
  /** The reference frame (reference pixels). */
  frame: { width: number; height: number };
  reference: ImageSource;
  /** The questioned image warped into the reference frame. */
  questioned: ImageSource;
  /** Differences drawn over the reference (reference frame). */
  heatmap: ImageSource;
  regions: FlaggedRegion[];
  /**
   * Outside personalised zones, what differs only where the questioned image
   * is blown out (glare, overexposure): no detail shows there, so these are
   * not differences, not judged and not counted with `regions`. Absent when
   * the result did not list them apart (made before difference stage 1.5.0).
   */
  blownOutRegions?: FlaggedRegion[];
  zoneVerdicts: ZoneVerdict[];
  findings: Finding[];
  mrz?: MrzOutcome;
  /** How this light's homography was obtained (aligned on its features, or the anchor light's reused and perhaps shifted). */
  registration?: LightRegistrationRecord;
  /** Share of the compared area where the questioned image is blown out (glare, overexposure); absent when the result did not record it. */
  overexposedShare?: number;
}

export interface ComparisonSide {
  specimenId?: string;
  captureId?: string;
  title: string;
}

export interface Comparison {
  id: string;
  status: ComparisonStatus;
  progress: { fraction: number; stage: string } | null;
  error: { code: string; message: string } | null;
  reference: ComparisonSide;
  questioned: ComparisonSide;
  lights: ComparisonLight[];
  /** Light sources that could not be compared, and why (in words). */
  skipped: { lightSource: string; reason: string }[];
  /** The feature alignment of the anchor light the differences rest on, as recorded (absent until there is a result). */
  alignment?: ComparisonAlignment & { anchorLight: string };
}
