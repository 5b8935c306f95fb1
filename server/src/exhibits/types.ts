/**
 * What an exhibit is built from: a plain, JSON-serialisable record. Nothing in
 * it is read from a clock or the environment, so the same record always gives
 * the same report and bundle bytes. Images are named by object-store key and
 * expected SHA-256; their bytes come from the loader given to the builder.
 */
import type { CaseProposition, ComparisonAlignment, ComparisonFinding, DifferenceRegion, IdentificationCandidate, LightRegistrationRecord, ZoneVerdict } from '@exemplar/specimens-schema';
import type { AuditEntry, JsonValue } from './chain';

/**
 * Conclusion scale after ASTM E1658 (expressing conclusions of forensic
 * document examiners), strongest "written by / same source" first.
 */
export const OPINION_SCALE = [
  'identification',
  'probably-did',
  'indications-did',
  'no-conclusion',
  'indications-did-not',
  'probably-did-not',
  'elimination',
] as const;

export type Opinion = (typeof OPINION_SCALE)[number];

/** Wording printed in the report for each opinion. */
export const OPINION_LABELS: Readonly<Record<Opinion, string>> = {
  identification: 'Identification (definite conclusion of common origin)',
  'probably-did': 'Probably did (strong probability)',
  'indications-did': 'Indications did (evidence to suggest)',
  'no-conclusion': 'No conclusion (inconclusive)',
  'indications-did-not': 'Indications did not (evidence to suggest not)',
  'probably-did-not': 'Probably did not (strong probability not)',
  elimination: 'Elimination (definite conclusion of different origin)',
};

/** Accepts `inconclusive` as a synonym of `no-conclusion`; undefined for anything else. */
export function parseOpinion(value: string): Opinion | undefined {
  if (value === 'inconclusive') return 'no-conclusion';
  return (OPINION_SCALE as readonly string[]).includes(value) ? (value as Opinion) : undefined;
}

/** An image in the object store: its key and the SHA-256 it must hash to. */
export interface ExhibitImageRef {
  key: string;
  /** Lowercase hex; the builder refuses bytes that hash otherwise. */
  sha256: string;
  /** File name at upload, shown in the report. */
  originalName?: string;
}

export interface ExhibitPerson {
  id: string;
  name: string;
  /** `lead examiner`, `reviewer` … */
  role?: string;
}

export interface ExhibitNote {
  time: string;
  author: string;
  text: string;
}

export interface ExhibitConclusion {
  opinion: Opinion;
  /** What the opinion answers ("did" what); absent in conclusions recorded before it was asked, which the report says were not recorded. */
  proposition?: CaseProposition;
  /** The examiner's wording of the conclusion. */
  statement: string;
  /** Examiner id (one of `case.examiners`). */
  concludedBy: string;
  concludedAt: string;
}

export interface ExhibitCase {
  id: string;
  title: string;
  /** Court / agency reference. */
  reference: string;
  examiners: ExhibitPerson[];
  conclusion: ExhibitConclusion;
  notes: ExhibitNote[];
}

export interface ExhibitLightImage extends ExhibitImageRef {
  lightSource: string;
}

/** A questioned document as submitted (border officer upload or lab intake). */
export interface ExhibitSubmission {
  id: string;
  label: string;
  submittedBy: string;
  submittedAt: string;
  description?: string;
  images: ExhibitLightImage[];
}

/** A reference specimen from the library. */
export interface ExhibitReferenceSpecimen {
  id: string;
  title: string;
  /** Issuing state, document type, series … shown as given. */
  details: Record<string, string>;
  captureId?: string;
  images: ExhibitLightImage[];
}

/** Region of difference, reference pixel coordinates; other fields of a comparison region may be passed along. */
export type ExhibitRegion = Pick<DifferenceRegion, 'box' | 'score'> & Partial<Omit<DifferenceRegion, 'box' | 'score'>>;

export type ExhibitZoneVerdict = Pick<ZoneVerdict, 'zoneId' | 'verdict' | 'score'> & Partial<Omit<ZoneVerdict, 'zoneId' | 'verdict' | 'score'>>;

/**
 * What the questioned document fails on its own terms (its MRZ read and
 * checked), box in reference pixel coordinates; the comparison's finding as
 * recorded (kind is the code printed, fields the failing check-digit groups).
 */
export type ExhibitFinding = Pick<ComparisonFinding, 'kind' | 'box'> & Partial<Omit<ComparisonFinding, 'kind' | 'box'>>;

/**
 * The feature alignment of the anchor light's images, as the comparison
 * recorded it: the homography (row-major 3×3, reference pixel coordinates →
 * questioned pixel coordinates, pixel centres at integers), the refinement
 * points that agreed on it, their reprojection RMSE (questioned pixels), the
 * method code, the pipeline's message, and (recorded since close-ups are
 * aligned) the refinement points tried and the share of the reference the
 * questioned image shows: only that part was compared.
 */
export type ExhibitAlignment = ComparisonAlignment;

/** How one light's homography was obtained from the anchor light's alignment (shift in reference pixels). */
export type ExhibitRegistration = LightRegistrationRecord;

export interface ExhibitComparisonLight {
  lightSource: string;
  /** The homography this light's images were compared with, reference → questioned pixels (row-major 3×3). */
  homography: number[];
  registration: ExhibitRegistration;
  /** [width, height] of the reference and questioned images the homography is in. */
  referenceSize: [number, number];
  questionedSize: [number, number];
  reference: ExhibitImageRef;
  questioned: ExhibitImageRef;
  /** Questioned image warped onto the reference. */
  aligned: ExhibitImageRef;
  /** Difference heatmap in the reference frame (PNG). */
  heatmap: ExhibitImageRef;
  /** Each region's `overexposed` (share of its differing pixels where the questioned image is blown out) is carried when recorded. */
  regions: ExhibitRegion[];
  /**
   * Outside personalised zones, what differs only where the questioned image
   * is blown out (each area's `overexposed` at least half): no detail shows
   * there, so these are not differences and were not judged. Absent when the
   * comparison did not list them apart (difference stages before 1.5.0, whose
   * such areas are among `regions`): the report then says not recorded.
   */
  blownOutRegions?: ExhibitRegion[];
  zoneVerdicts: ExhibitZoneVerdict[];
  /**
   * Share of the compared area where the questioned image is blown out (glare,
   * overexposure), from the result's stats. Absent when the comparison did not
   * record it (difference stages before 1.1.0): the report then says so.
   */
  overexposedShare?: number;
  /**
   * Findings of this light (failing MRZ check digits, overtyped characters).
   * Absent when the comparison's record holds none (results made before
   * findings existed): the report then says they were not recorded, never
   * that there were none.
   */
  findings?: ExhibitFinding[];
}

/**
 * The questioned image ranked against the library, as recorded with the
 * comparison: how the reference was chosen, and whether a known fraud sample
 * matched it better than any genuine reference.
 */
export interface ExhibitIdentification {
  /**
   * `identification` when the submitter asked for the best genuine match (`auto`) and identification verified it;
   * `alignment` when none verified and the full alignment accepted one of the best unverified (its candidate's
   * `fullAlignment`); `submitter` when they named the reference.
   */
  referenceChosenBy: 'identification' | 'alignment' | 'submitter';
  method: string;
  /** Library images ranked. */
  searched: number;
  /** Best first, as recorded, less those withheld. */
  candidates: IdentificationCandidate[];
  /** Recorded candidates left out: classified above what every reader of the exhibit may see, or deleted since. */
  withheld?: number;
}

export interface ExhibitComparison {
  id: string;
  submissionId: string;
  specimenId: string;
  /** When the comparison finished. */
  finishedAt: string;
  /** The light whose images were feature-aligned; the others reuse its homography. */
  anchorLight: string;
  /** The alignment the differences rest on (every stored result records one). */
  alignment: ExhibitAlignment;
  lights: ExhibitComparisonLight[];
  /** Every parameter the result depends on. */
  parameters: { [key: string]: JsonValue };
  /** Library versions that produced it (OpenCV.js, sharp, libvips, difference stage …). */
  versions: Record<string, string>;
  /** Absent when the comparison recorded none (made before identification ran for every comparison, or without a visible-light questioned image). */
  identification?: ExhibitIdentification;
}

export interface ExhibitInput {
  case: ExhibitCase;
  questioned: ExhibitSubmission[];
  references: ExhibitReferenceSpecimen[];
  comparisons: ExhibitComparison[];
  /** Exemplar version that builds the exhibit. */
  softwareVersion: string;
  /** The case's custody log: a slice of the audit chain, in seq order. */
  custodyLog: AuditEntry[];
  /** ISO 8601 UTC, taken from the record (e.g. when the conclusion was signed), never from the clock. */
  generatedAt: string;
}

/** Reads an object-store key into memory. */
export type ExhibitImageLoader = (key: string) => Promise<Buffer>;
