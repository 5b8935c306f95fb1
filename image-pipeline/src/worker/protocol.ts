/**
 * Messages between the pool (`pool.ts`, the server's thread) and the worker
 * threads (`entry.ts`). Everything is plain data: typed arrays travel as
 * transferred ArrayBuffers or in SharedArrayBuffers (read only by the
 * task), results come back as structured clones.
 */
import type { AlignOptions, AlignResult } from '../ops/align-types';
import type { CompareParams, CompareResult } from '../ops/compare';
import type { ImageDescription, KeypointSet } from '../ops/descriptor';
import type { VerifyCandidate, VerifyOptions, VerifyVerdict, VoteSets } from '../ops/identify';
import type { LightRefineOptions, LightRegistration } from '../ops/multispectral';
import type { MrzReadResult } from '../mrz/read';
import type { PixelImage } from '../ops/warp';
import type { ComparisonZone } from '../ops/zone-verdicts';

export interface AlignTask {
  op: 'align';
  /** Grey or RGB; RGB is converted to grey in the worker. */
  reference: PixelImage;
  questioned: PixelImage;
  options: AlignOptions;
}

export interface CompareLightTask {
  op: 'compare-light';
  lightSource: string;
  reference: PixelImage;
  questioned: PixelImage;
  /** Reference → questioned pixels of this light's images (the anchor's, scaled to their sizes). */
  homography: number[];
  /** Present for lights other than the anchor: refine by at most a small translation. */
  registration?: { anchorLight: string; options: Partial<LightRefineOptions> };
  zones: ComparisonZone[];
  params: Partial<CompareParams>;
  /** Read the MRZ zones in this task (the pool reads the capture's MRZ in its own task instead). */
  readMrz?: boolean;
}

export interface ReadMrzTask {
  op: 'read-mrz';
  /** Grey or RGB (converted to grey in the worker), upright. */
  image: PixelImage;
}

export interface DescribeTask {
  op: 'describe';
  image: PixelImage;
}

export interface VerifyTask {
  op: 'verify';
  questioned: KeypointSet;
  candidates: VerifyCandidate[];
  options: Partial<VerifyOptions>;
}

/** Votes over catalogue images whose descriptors sit in shared memory (shared-votes.ts): only the query and the entries travel. */
export interface VoteTask {
  op: 'vote';
  questioned: KeypointSet;
  segments: readonly SharedArrayBuffer[];
  /** Per candidate: segment, word offset, keypoint count. */
  entries: Int32Array;
  voteMaxDistance?: number | undefined;
}

export type WorkerTask = AlignTask | CompareLightTask | DescribeTask | VerifyTask | VoteTask | ReadMrzTask;

export interface CompareLightValue {
  registration: LightRegistration;
  compare: CompareResult;
}

export interface TaskValues {
  align: AlignResult;
  'compare-light': CompareLightValue;
  describe: ImageDescription;
  verify: VerifyVerdict[];
  /** The questioned keypoints voting for each candidate, in the entries' order. */
  vote: VoteSets;
  'read-mrz': MrzReadResult;
}

/** An error raised inside a worker, as data. */
export interface WorkerErrorData {
  name: string;
  message: string;
  /** `INVALID_INPUT` for TypeError/RangeError raised by input checks, else `WORKER_FAILED`. */
  code: 'INVALID_INPUT' | 'WORKER_FAILED';
}

interface ResponseBase {
  threadId: number;
  /** Size of the worker's WebAssembly heap after the task (it never shrinks). */
  heapBytes: number;
  /** The worker has flagged itself for replacement (after an error, or a heap past the limit). */
  retire: boolean;
}

export type WorkerResponse<V = unknown> = (ResponseBase & { ok: true; value: V }) | (ResponseBase & { ok: false; error: WorkerErrorData });

/** Shared by every worker of a pool (`workerData`). */
export interface WorkerConfig {
  /** Slots `threadId % length` hold the threadId of a worker that must not get more tasks. */
  retireFlags: SharedArrayBuffer;
  /** A worker whose WebAssembly heap exceeds this retires after its task. */
  heapLimitBytes: number;
}

export const RETIRE_SLOTS = 1024;
