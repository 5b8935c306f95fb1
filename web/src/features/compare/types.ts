/**
 * The comparison as the viewer uses it. `api.ts` turns the API's comparison
 * job into this shape, so the viewer and its modes depend on one model.
 * Coordinates are pixels of the reference image (the frame every output of a
 * light source is drawn in).
 */
import type { ImageSource } from '../../shared/api/images';

export type ComparisonStatus = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface FlaggedRegion {
  /** Stable within a light source: `r1`, `r2` … in score order; personalised ones `p1` … */
  id: string;
  box: Box;
  polygon: [number, number][];
  /** Mean difference score, 0..1. */
  score: number;
  /** Inside a personalised zone (photo, name, number …): expected to differ between holders. */
  personalised: boolean;
}

export type ZoneVerdictKind = 'consistent' | 'different' | 'absent';

export interface ZoneVerdict {
  zoneId: string;
  type: string;
  label?: string;
  verdict: ZoneVerdictKind;
  score: number;
  /** The zone's outline on the reference, when the reference capture is known. */
  polygon?: [number, number][];
}

export interface ComparisonLight {
  lightSource: string;
  /** The reference frame (reference pixels). */
  frame: { width: number; height: number };
  reference: ImageSource;
  /** The questioned image warped into the reference frame. */
  questioned: ImageSource;
  /** Differences drawn over the reference (reference frame). */
  heatmap: ImageSource;
  regions: FlaggedRegion[];
  zoneVerdicts: ZoneVerdict[];
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
  /** Light sources that could not be compared, and why. */
  skipped: { lightSource: string; reason: string }[];
  createdAt?: string;
}
