/**
 * The typed client of the pipeline's worker pool — the only way the server
 * runs OpenCV. Tasks run in worker threads (piscina) loaded from the
 * compiled `dist/worker/entry.js`; this module only decodes images with
 * sharp (libuv threads, not the event loop), hands pixel buffers to the
 * workers (transferred, or in shared memory where several tasks read the
 * same image) and gets plain data back.
 *
 * Bounded everywhere:
 * - queue: at most `maxQueue` tasks wait for a thread; beyond that a call
 *   fails at once with QUEUE_FULL (the API answers 503);
 * - time: each task has a timeout, and any call takes an AbortSignal; a
 *   task that times out or is cancelled while running has its worker
 *   terminated (OpenCV loops cannot be interrupted otherwise) and replaced;
 * - memory: a worker retires after an error or once its WebAssembly heap
 *   (which never shrinks) passes `heapLimitBytes`: the load balancer skips
 *   it and it is terminated as soon as its answer is in, never mid-task.
 */
import path from 'node:path';
import { Piscina } from 'piscina';
// sharp must be loaded by the main thread before any worker loads it: a
// worker that first loaded libvips would unload it on exit under glibc.
import sharp from 'sharp';
import { decodeForAnalysis, type AnalysisImage } from './derivatives/decode-for-analysis';
import type { AlignOptions, AlignResult, AlignSuccess, AlignTimings, GreyImage } from './ops/align-types';
import type { CompareParams, CompareResult, CompareVersions } from './ops/compare';
import { DESCRIBE_LONG_EDGE, type ImageDescription, type KeypointSet } from './ops/descriptor';
import { applyHomography, composeHomographies, invertHomography, resampleMatrix } from './ops/geometry';
import type { VerifyCandidate, VerifyOptions, VerifyVerdict, VoteSets } from './ops/identify';
import type { VoteSelection } from './shared-votes';
import { chooseAnchorLight, DEFAULT_LIGHT_REFINE_OPTIONS, homographyForLight, type LightRefineOptions, type LightRegistration } from './ops/multispectral';
import { lightProfileFor, LIGHT_PROFILES } from './ops/normalise';
import { chooseMrzLight, mrzInspectionOf, mrzReadingFindings, mrzZonesFor, zoneOfReading, type ComparisonFinding, type MrzInspection } from './ops/mrz-findings';
import type { MrzReadResult } from './mrz/read';
import type { DifferenceRegion } from './ops/regions';
import type { PixelImage } from './ops/warp';
import type { ComparisonZone, ZoneVerdict } from './ops/zone-verdicts';
import { RETIRE_SLOTS, type TaskValues, type WorkerConfig, type WorkerResponse, type WorkerTask } from './worker/protocol';

void sharp.versions;

/** Resolved from this file's folder, so it names the compiled worker both from `dist/` and from `src/` (tests run TypeScript). */
export const WORKER_FILE = path.resolve(__dirname, '../dist/worker/entry.js');

export type PipelineErrorCode =
  /** More tasks are waiting than the queue holds: retry later. */
  | 'QUEUE_FULL'
  | 'TIMEOUT'
  | 'CANCELLED'
  /** The inputs were refused by a check (wrong sizes, unknown light source …). */
  | 'INVALID_INPUT'
  /** No homography could be trusted between the anchor images. */
  | 'ALIGNMENT_FAILED'
  /** The two captures have no light source in common. */
  | 'NO_COMMON_LIGHT'
  /** The worker failed (an OpenCV exception, out of memory, a crash). */
  | 'WORKER_FAILED'
  | 'POOL_CLOSED';

export class PipelineError extends Error {
  readonly code: PipelineErrorCode;
  readonly details: Record<string, unknown>;

  constructor(code: PipelineErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PipelineError';
    this.code = code;
    this.details = details;
  }
}

export function isPipelineError(err: unknown): err is PipelineError {
  return err instanceof PipelineError;
}

export interface PipelinePoolOptions {
  /** Worker threads (each holds its own OpenCV heap). */
  threads: number;
  /** Tasks allowed to wait for a thread; more fail with QUEUE_FULL. */
  maxQueue: number;
  /** Default per-task time limit. */
  taskTimeoutMs: number;
  /** A worker retires once its WebAssembly heap exceeds this (default 512 MiB; OpenCV's heap stops at 1 GiB). */
  heapLimitBytes?: number;
  /** Told about worker failures that concern no task (a crash while idle). */
  onWorkerError?: (err: unknown) => void;
}

export interface RunOptions {
  signal?: AbortSignal | undefined;
  /** Overrides the pool's per-task timeout. */
  timeoutMs?: number | undefined;
}

export interface PoolStats {
  threads: number;
  /** Tasks waiting for a thread. */
  queued: number;
  completed: number;
  /** Workers replaced after an error, a heap past the limit, a timeout or a cancellation. */
  recycled: number;
}

/** Where a capture's images are: light-source id → file path. */
export type CaptureImagePaths = Readonly<Record<string, string>>;

export interface CaptureComparisonInput {
  reference: { images: CaptureImagePaths; zones?: readonly ComparisonZone[] | undefined };
  questioned: { images: CaptureImagePaths };
  /** The light to align on (must be in both captures); chosen by `chooseAnchorLight` when absent. */
  anchorLight?: string | undefined;
  /**
   * An alignment `alignFiles` has already accepted for the two images of a light (the same files, decoded the same
   * way; homography in original pixels): when that light is the anchor, it is the capture's alignment instead of
   * aligning them again.
   */
  anchorAlignment?: { lightSource: string; result: AlignSuccess } | undefined;
  /** Only these light sources (default: every light both captures have). */
  lightSources?: readonly string[] | undefined;
  align?: AlignOptions | undefined;
  compare?: Partial<CompareParams> | undefined;
  refine?: Partial<LightRefineOptions> | undefined;
  decode?: { maxPixels?: number | undefined; maxLongEdge?: number | undefined } | undefined;
}

/** Two images of one light source, from their files (`PipelinePool.alignFiles`). */
export interface AlignFilesInput {
  reference: string;
  questioned: string;
  /** Their light source, which decides how they are decoded (grey or colour), as for a capture comparison. */
  lightSource: string;
  align?: AlignOptions | undefined;
  decode?: CaptureComparisonInput['decode'];
}

export interface CaptureProgress {
  /** `decode`, `align`, or `compare:<light>`. */
  stage: string;
  /** 0..1 over the whole capture comparison. */
  fraction: number;
}

export interface CaptureRunOptions extends RunOptions {
  onProgress?: ((p: CaptureProgress) => void) | undefined;
}

export interface LightComparison {
  lightSource: string;
  /** Reference → questioned pixels of this light's originals (row-major 3×3). */
  homography: number[];
  /** How the homography was obtained (reused from the anchor, refined, or aligned); shift in reference pixels. */
  registration: Omit<LightRegistration, 'homography'>;
  /** Differences outside personalised zones, highest score first, in reference pixels. */
  regions: DifferenceRegion[];
  personalisedRegions: DifferenceRegion[];
  /** Outside personalised zones, differences where the questioned image is mostly blown out: not judged (see `CompareResult.blownOutRegions`). */
  blownOutRegions: DifferenceRegion[];
  zoneVerdicts: ZoneVerdict[];
  /** What the questioned document fails on its own terms (MRZ check digits …), in reference pixels. */
  findings: ComparisonFinding[];
  heatmapPng: Buffer;
  alignedPng: Buffer;
  /** Size of both PNGs (reference frame, possibly reduced). */
  outputSize: [number, number];
  referenceSize: [number, number];
  questionedSize: [number, number];
  /** Analysis size over original size (1 unless an image exceeded `decode.maxLongEdge`). */
  analysisScale: { reference: number; questioned: number };
  stats: CompareResult['stats'];
  parameters: CompareResult['parameters'];
  versions: CompareVersions;
  elapsedMs: number;
}

export interface CaptureComparisonResult {
  anchorLight: string;
  alignment: {
    homography: number[];
    inliers: number;
    rmse: number;
    /** Which detector produced the accepted coarse homography (e.g. `orb`, `akaze`). */
    method: string | null;
    message: string;
    /** Patches tried at the finest refinement level (`inliers` of them agree). */
    refinementPoints: number;
    /** Share of the reference area the questioned image shows (1: all, or nearly all, of it). */
    referenceShown: number;
    elapsedMs: AlignTimings;
  };
  lights: LightComparison[];
  skipped: { lightSource: string; reason: 'not-in-reference' | 'not-in-questioned' }[];
  versions: CompareVersions;
  elapsedMs: { decode: number; align: number; compare: number; total: number };
}

export interface PipelinePool {
  align(reference: PixelImage | GreyImage, questioned: PixelImage | GreyImage, options?: AlignOptions, run?: RunOptions): Promise<AlignResult>;
  /**
   * The alignment a capture comparison makes on its anchor light, from the two files decoded as `compareCapture`
   * decodes them: whether it accepts the pair, before a comparison is started on it. A homography maps original pixels.
   */
  alignFiles(input: AlignFilesInput, run?: RunOptions): Promise<AlignResult>;
  /** The whole comparison of two multi-spectrum captures, from their files. */
  compareCapture(input: CaptureComparisonInput, run?: CaptureRunOptions): Promise<CaptureComparisonResult>;
  /** Identification descriptor of a decoded image. */
  describe(image: PixelImage | GreyImage, run?: RunOptions): Promise<ImageDescription>;
  /** Identification descriptor of an image file; keypoint scales refer to the upright original. */
  describeFile(file: string, options?: { maxPixels?: number | undefined }, run?: RunOptions): Promise<ImageDescription>;
  /** Geometric verification of identification candidates. */
  identifyVerify(questioned: KeypointSet, candidates: readonly VerifyCandidate[], options?: Partial<VerifyOptions>, run?: RunOptions): Promise<VerifyVerdict[]>;
  /** Votes of catalogue images kept in shared memory (`SharedVoteKeypoints.select`), per entry; the descriptors are read in place. */
  identifyVotes(questioned: KeypointSet, candidates: VoteSelection, options?: { voteMaxDistance?: number | undefined }, run?: RunOptions): Promise<VoteSets>;
  stats(): PoolStats;
  /** Starts the worker threads now instead of at the first task: each loads OpenCV (and renders the MRZ glyph templates) at once. */
  warmUp(): void;
  /** Cancels what is queued, stops the workers. Idempotent. */
  close(): Promise<void>;
}

const DEFAULT_HEAP_LIMIT = 512 * 1024 * 1024;
/** Images larger than this (long edge) are analysed reduced; results are mapped back to original pixels. */
export const DEFAULT_ANALYSIS_LONG_EDGE = 4096;

function asGreyOrPixel(img: PixelImage | GreyImage): PixelImage {
  return 'channels' in img ? img : { data: img.data, width: img.width, height: img.height, channels: 1 };
}

/** The buffer to transfer for a view: its own ArrayBuffer, copied out when the view shares one. */
function ownBuffer(img: PixelImage): { image: PixelImage; buffer: ArrayBuffer } {
  const d = img.data;
  if (d.byteOffset === 0 && d.byteLength === d.buffer.byteLength && d.buffer instanceof ArrayBuffer) return { image: img, buffer: d.buffer };
  const copy = new Uint8Array(d);
  return { image: { ...img, data: copy }, buffer: copy.buffer };
}

/** Shared pixel buffers kept between capture comparisons, at most this many bytes in all. */
const SHARED_KEEP_BYTES = 96 * 1024 * 1024;

/**
 * Shared memory for decoded pixels, which every task of a capture
 * comparison reads in place: the anchor's images go to the alignment, the
 * MRZ read and the comparison. Transferring would need a copy per task, and
 * sharp's buffers cannot be transferred at all (posting one clones it: a
 * copy on each side). Tasks only read their input pixels. Buffers of a
 * comparison that succeeded come back for the next one: fresh memory of
 * this size costs more in page faults than the copy into it.
 */
class SharedPixelBuffers {
  private readonly free = new Map<number, SharedArrayBuffer[]>();
  private keptBytes = 0;

  /** A copy of the decoded pixels in shared memory. */
  share(img: AnalysisImage): AnalysisImage {
    const n = img.data.byteLength;
    const reused = this.free.get(n)?.pop();
    if (reused) this.keptBytes -= n;
    const data = new Uint8Array(reused ?? new SharedArrayBuffer(n));
    data.set(img.data);
    return { ...img, data };
  }

  /** Takes back buffers no task reads any more. */
  release(images: readonly AnalysisImage[]): void {
    for (const img of images) {
      const b = img.data.buffer;
      if (!(b instanceof SharedArrayBuffer) || this.keptBytes + b.byteLength > SHARED_KEEP_BYTES) continue;
      const list = this.free.get(b.byteLength) ?? [];
      if (list.includes(b)) continue;
      list.push(b);
      this.free.set(b.byteLength, list);
      this.keptBytes += b.byteLength;
    }
  }
}

const pixelsOf = (img: AnalysisImage): PixelImage => ({ data: img.data, width: img.width, height: img.height, channels: img.channels });

function keypointBuffers(k: KeypointSet): KeypointSet {
  // Copies, so the caller's arrays stay usable after the transfer.
  return { ...k, xy: new Float32Array(k.xy), descriptors: new Uint8Array(k.descriptors) };
}

const scaleRegion = (r: DifferenceRegion, s: number): DifferenceRegion =>
  s === 1
    ? r
    : {
        ...r,
        box: { x: r.box.x / s, y: r.box.y / s, width: r.box.width / s, height: r.box.height / s },
        polygon: r.polygon.map(([x, y]) => [x / s, y / s] as [number, number]),
        area: r.area / (s * s),
      };

const scaleFinding = (f: ComparisonFinding, s: number): ComparisonFinding =>
  s === 1 ? f : { ...f, box: { x: f.box.x / s, y: f.box.y / s, width: f.box.width / s, height: f.box.height / s } };

const scaleZone = (z: ComparisonZone, s: number): ComparisonZone => (s === 1 ? z : { ...z, polygon: z.polygon.map(([x, y]) => [x * s, y * s] as [number, number]) });

/** Maps a homography between analysis-size images to one between the originals. */
function toOriginal(h: readonly number[], refScale: number, qScale: number): number[] {
  if (refScale === 1 && qScale === 1) return [...h];
  return composeHomographies(invertHomography(resampleMatrix(qScale)), composeHomographies(h, resampleMatrix(refScale)));
}

function toAnalysis(h: readonly number[], refScale: number, qScale: number): number[] {
  if (refScale === 1 && qScale === 1) return [...h];
  return composeHomographies(resampleMatrix(qScale), composeHomographies(h, invertHomography(resampleMatrix(refScale))));
}

/** Runs at most `limit` of the thunks at once; results in order; the first failure rejects (the rest still settle). */
async function limitConcurrency<T>(limit: number, thunks: readonly (() => Promise<T>)[]): Promise<T[]> {
  const results = new Array<T>(thunks.length);
  let next = 0;
  let failed: { err: unknown } | undefined;
  const lane = async () => {
    while (next < thunks.length && !failed) {
      const i = next++;
      try {
        results[i] = await thunks[i]!();
      } catch (err) {
        failed ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, thunks.length)) }, lane));
  if (failed) throw failed.err;
  return results;
}

class Pool implements PipelinePool {
  private piscina: Piscina | undefined;
  private readonly flags = new SharedArrayBuffer(RETIRE_SLOTS * Int32Array.BYTES_PER_ELEMENT);
  private readonly flagView = new Int32Array(this.flags);
  private recycled = 0;
  /** Tasks submitted and not yet settled (running or waiting). piscina does not bound tasks that carry an AbortSignal, so the bound is kept here. */
  private inFlight = 0;
  private closed = false;
  private closing: Promise<void> | undefined;
  private readonly shared = new SharedPixelBuffers();

  constructor(private readonly options: Required<Pick<PipelinePoolOptions, 'threads' | 'maxQueue' | 'taskTimeoutMs' | 'heapLimitBytes'>> & Pick<PipelinePoolOptions, 'onWorkerError'>) {}

  private pool(): Piscina {
    if (this.closed) throw new PipelineError('POOL_CLOSED', 'the pipeline pool is closed');
    if (!this.piscina) {
      const workerData: WorkerConfig = { retireFlags: this.flags, heapLimitBytes: this.options.heapLimitBytes };
      const retiring = (id: number) => Atomics.load(this.flagView, id % RETIRE_SLOTS) === id;
      const p = new Piscina({
        filename: WORKER_FILE,
        minThreads: this.options.threads,
        maxThreads: this.options.threads,
        maxQueue: this.options.maxQueue,
        concurrentTasksPerWorker: 1,
        idleTimeout: Number.POSITIVE_INFINITY,
        // Tasks last hundreds of milliseconds: waking workers by message is cheap, and no idle worker blocks in Atomics.wait.
        atomics: 'disabled',
        workerData,
        loadBalancer: (_task, workers) => workers.find((w) => w.currentUsage === 0 && !w.terminating && !w.destroyed && !retiring(w.id)) ?? null,
      });
      // A worker that fails while running no task is replaced by piscina; without a listener the 'error' event would throw.
      p.on('error', (err: unknown) => this.options.onWorkerError?.(err));
      p.on('workerDestroy', () => {
        if (!this.closed) this.recycled++;
      });
      this.piscina = p;
    }
    return this.piscina;
  }

  warmUp(): void {
    this.pool();
  }

  stats(): PoolStats {
    const p = this.piscina;
    return { threads: this.options.threads, queued: Math.max(0, this.inFlight - this.options.threads), completed: p ? p.completed : 0, recycled: this.recycled };
  }

  private retire(threadId: number): void {
    const worker = this.piscina?.threads.find((w) => w.threadId === threadId);
    if (worker) void worker.terminate();
  }

  private async run<K extends WorkerTask['op']>(task: Extract<WorkerTask, { op: K }>, transfer: ArrayBuffer[], opts: RunOptions = {}): Promise<TaskValues[K]> {
    if (opts.signal?.aborted) throw new PipelineError('CANCELLED', 'cancelled before it started');
    const pool = this.pool();
    if (this.inFlight >= this.options.threads + this.options.maxQueue) {
      throw new PipelineError('QUEUE_FULL', 'the image pipeline is busy; retry later', { maxQueue: this.options.maxQueue, threads: this.options.threads });
    }
    const timeoutMs = opts.timeoutMs ?? this.options.taskTimeoutMs;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    let response: WorkerResponse;
    this.inFlight++;
    try {
      response = (await pool.run(task, { signal, transferList: transfer })) as WorkerResponse;
    } catch (err) {
      const e = err as { name?: string; message?: string };
      if (e.name === 'AbortError' || signal.aborted) {
        // piscina has terminated the worker if the task had started (counted by its workerDestroy event).
        if (timeout.aborted && !opts.signal?.aborted) throw new PipelineError('TIMEOUT', `pipeline task ${task.op} took longer than ${timeoutMs} ms`, { op: task.op, timeoutMs }, { cause: err });
        throw new PipelineError('CANCELLED', `pipeline task ${task.op} was cancelled`, { op: task.op }, { cause: err });
      }
      if (this.closed) throw new PipelineError('POOL_CLOSED', 'the pipeline pool is closed', {}, { cause: err });
      if (typeof e.message === 'string' && /queue is at limit|No task queue available/i.test(e.message)) {
        throw new PipelineError('QUEUE_FULL', 'the image pipeline is busy; retry later', { maxQueue: this.options.maxQueue }, { cause: err });
      }
      throw new PipelineError('WORKER_FAILED', `pipeline worker failed: ${e.message ?? String(err)}`, { op: task.op }, { cause: err });
    } finally {
      this.inFlight--;
    }
    if (response.retire) this.retire(response.threadId);
    if (!response.ok) throw new PipelineError(response.error.code, response.error.message, { op: task.op, error: response.error.name });
    return response.value as TaskValues[K];
  }

  async align(reference: PixelImage | GreyImage, questioned: PixelImage | GreyImage, options: AlignOptions = {}, run?: RunOptions): Promise<AlignResult> {
    const r = ownBuffer(asGreyOrPixel(reference));
    const q = ownBuffer(asGreyOrPixel(questioned));
    const transfer = r.buffer === q.buffer ? [r.buffer] : [r.buffer, q.buffer];
    return this.run({ op: 'align', reference: r.image, questioned: q.image, options }, transfer, run);
  }

  async describe(image: PixelImage | GreyImage, run?: RunOptions): Promise<ImageDescription> {
    const img = ownBuffer(asGreyOrPixel(image));
    return this.run({ op: 'describe', image: img.image }, [img.buffer], run);
  }

  async describeFile(file: string, options: { maxPixels?: number | undefined } = {}, run?: RunOptions): Promise<ImageDescription> {
    const decoded = await decodeForAnalysis(file, { channels: 'grey', maxLongEdge: DESCRIBE_LONG_EDGE, maxPixels: options.maxPixels });
    const d = await this.describe(decoded, run);
    // Keypoint scales relative to the upright original, not to the reduced decode.
    return { ...d, keypoints: { ...d.keypoints, scaleX: d.keypoints.scaleX * decoded.scale, scaleY: d.keypoints.scaleY * decoded.scale } };
  }

  async identifyVerify(questioned: KeypointSet, candidates: readonly VerifyCandidate[], options: Partial<VerifyOptions> = {}, run?: RunOptions): Promise<VerifyVerdict[]> {
    const q = keypointBuffers(questioned);
    const cs = candidates.map((c) => ({ ...c, keypoints: keypointBuffers(c.keypoints) }));
    const transfer = [q.xy.buffer, q.descriptors.buffer, ...cs.flatMap((c) => [c.keypoints.xy.buffer, c.keypoints.descriptors.buffer])] as ArrayBuffer[];
    return this.run({ op: 'verify', questioned: q, candidates: cs, options }, transfer, run);
  }

  async identifyVotes(questioned: KeypointSet, candidates: VoteSelection, options: { voteMaxDistance?: number | undefined } = {}, run?: RunOptions): Promise<VoteSets> {
    const q = keypointBuffers(questioned);
    const entries = new Int32Array(candidates.entries);
    return this.run({ op: 'vote', questioned: q, segments: candidates.segments, entries, voteMaxDistance: options.voteMaxDistance }, [q.xy.buffer, q.descriptors.buffer, entries.buffer] as ArrayBuffer[], run);
  }

  /** An image decoded for the analysis of its light, in shared memory (read in place by every task given it). */
  private async decodeShared(file: string, light: string, decode: CaptureComparisonInput['decode']): Promise<AnalysisImage> {
    const profile = lightProfileFor(light);
    if (!profile) throw new PipelineError('INVALID_INPUT', `unknown light source ${light}`, { lightSource: light });
    const img = await decodeForAnalysis(file, { channels: LIGHT_PROFILES[profile].colour === 'grey' ? 'grey' : 'rgb', maxLongEdge: decode?.maxLongEdge ?? DEFAULT_ANALYSIS_LONG_EDGE, maxPixels: decode?.maxPixels });
    return this.shared.share(img);
  }

  async alignFiles(input: AlignFilesInput, run: RunOptions = {}): Promise<AlignResult> {
    const [ref, q] = await Promise.all([this.decodeShared(input.reference, input.lightSource, input.decode), this.decodeShared(input.questioned, input.lightSource, input.decode)]);
    const aligned = await this.run({ op: 'align', reference: pixelsOf(ref), questioned: pixelsOf(q), options: input.align ?? {} }, [], run);
    // Only a task that answered has stopped reading them; after a failure the buffers are left to the collector.
    this.shared.release([ref, q]);
    return aligned.ok ? { ...aligned, homography: toOriginal(aligned.homography, ref.scale, q.scale) } : aligned;
  }

  async compareCapture(input: CaptureComparisonInput, run: CaptureRunOptions = {}): Promise<CaptureComparisonResult> {
    const t0 = performance.now();
    const refLights = Object.keys(input.reference.images);
    const qLights = Object.keys(input.questioned.images);
    const wanted = input.lightSources ?? [...new Set([...refLights, ...qLights])];
    const skipped: CaptureComparisonResult['skipped'] = [];
    const lights: string[] = [];
    for (const l of wanted) {
      if (!refLights.includes(l)) skipped.push({ lightSource: l, reason: 'not-in-reference' });
      else if (!qLights.includes(l)) skipped.push({ lightSource: l, reason: 'not-in-questioned' });
      else if (!lightProfileFor(l)) throw new PipelineError('INVALID_INPUT', `unknown light source ${l}`, { lightSource: l });
      else lights.push(l);
    }
    const anchor = input.anchorLight ?? chooseAnchorLight(lights, lights);
    if (!anchor || !lights.includes(anchor)) {
      throw new PipelineError('NO_COMMON_LIGHT', anchor ? `the anchor light ${anchor} is not in both captures` : 'the two captures have no light source in common', {
        reference: refLights,
        questioned: qLights,
      });
    }
    // The anchor first: its comparison matters most and it is ready first.
    lights.sort((a, b) => (a === anchor ? -1 : b === anchor ? 1 : 0));
    const progress = (stage: string, fraction: number) => run.onProgress?.({ stage, fraction: Math.min(1, Math.max(0, fraction)) });
    const decodeOne = (file: string, light: string): Promise<AnalysisImage> => this.decodeShared(file, light, input.decode);

    progress('decode', 0);
    // Decoded pixels are held only for the lights about to be compared: the anchor, and (during alignment,
    // on libuv threads) as many others as there are worker threads; the rest are decoded when their turn comes.
    const pending = new Map<string, Promise<[AnalysisImage, AnalysisImage]>>();
    const decodeLight = (l: string): Promise<[AnalysisImage, AnalysisImage]> => {
      let p = pending.get(l);
      if (!p) {
        p = Promise.all([decodeOne(input.reference.images[l]!, l), decodeOne(input.questioned.images[l]!, l)]);
        p.catch(() => undefined);
        pending.set(l, p);
      }
      return p;
    };
    const takeDecoded = async (l: string) => {
      const pair = await decodeLight(l);
      pending.delete(l);
      return pair;
    };
    const anchorPair = decodeLight(anchor);
    for (const l of lights.slice(1, 1 + this.options.threads)) void decodeLight(l);
    const [refA, qA] = await anchorPair;
    const tDecoded = performance.now();
    progress('align', 0.1);

    // The MRZ is read on the questioned image as taken, in a task of its own beside the alignment (which
    // leaves the other workers idle); what it finds is placed in the reference frame once that light's homography is known.
    const given = input.anchorAlignment?.lightSource === anchor ? input.anchorAlignment.result : undefined;
    const alignment: Promise<AlignResult> = given
      ? Promise.resolve(given)
      : this.run({ op: 'align', reference: pixelsOf(refA), questioned: pixelsOf(qA), options: input.align ?? {} }, [], run);
    const mrzLight = chooseMrzLight(lights, anchor, input.reference.zones ?? []);
    const mrzZones = mrzLight ? mrzZonesFor(input.reference.zones ?? [], mrzLight) : [];
    let mrzRead: Promise<MrzReadResult> | undefined;
    if (mrzLight) {
      const read = (q: AnalysisImage) => this.run({ op: 'read-mrz', image: pixelsOf(q) }, [], run);
      // Another light's images are held from now until its comparison takes them (and releases them with the rest).
      mrzRead = mrzLight === anchor ? read(qA) : decodeLight(mrzLight).then(([, q]) => read(q));
      // Awaited by that light's comparison; an alignment failure must not leave its rejection unhandled.
      mrzRead.catch(() => undefined);
    }
    const aligned = await alignment;
    const tAligned = performance.now();
    if (!aligned.ok) {
      throw new PipelineError('ALIGNMENT_FAILED', `the ${anchor} images could not be aligned (${aligned.reason}): ${aligned.diagnostics.message}`, {
        lightSource: anchor,
        reason: aligned.reason,
        message: aligned.diagnostics.message,
      });
    }
    // A given alignment's homography is in original pixels already.
    const anchorH = given ? [...given.homography] : toOriginal(aligned.homography, refA.scale, qA.scale);
    const anchorSizes = { reference: [refA.width / refA.scale, refA.height / refA.scale] as [number, number], questioned: [qA.width / qA.scale, qA.height / qA.scale] as [number, number] };
    // The comparisons do not wait for the MRZ: only the result of the light it is read under takes its findings, when
    // it is assembled. `h` maps that light's reference pixels to its questioned originals, read at `qScale`;
    // the findings are clipped to the reference's original size, in whole pixels.
    const placeMrz = (read: MrzReadResult, light: string, h: number[], qScale: number, [rw, rh]: [number, number]): { findings: ComparisonFinding[]; inspections: MrzInspection[] } => {
      const toReference = invertHomography(h);
      const map = (x: number, y: number) => applyHomography(toReference, x / qScale, y / qScale) as [number, number];
      const zone = read.found && read.reading ? zoneOfReading(mrzZones, read.reading.quad.map(([x, y]) => map(x, y))) : undefined;
      // A reading outside the reference's MRZ zone is some other text: not this document's MRZ.
      if (!zone || !read.reading) return { findings: [], inspections: mrzZones.map((z) => mrzInspectionOf(z.id, light, null)) };
      return { findings: mrzReadingFindings(read.reading, zone.id, light, map, rw, rh), inspections: [mrzInspectionOf(zone.id, light, read.reading)] };
    };
    progress('compare', 0.35);

    // The stage names a light while it is being compared (the latest started when several run at once), so
    // every light is named from its start and a label never names a light already done.
    let done = 0;
    const comparing: string[] = [];
    const compareOne = async (light: string, used: AnalysisImage[]): Promise<LightComparison> => {
      const t = performance.now();
      comparing.push(light);
      progress(`compare:${light}`, 0.35 + (0.65 * done) / lights.length);
      const [ref, q] = await takeDecoded(light);
      used.push(ref, q);
      const refSize: [number, number] = [Math.round(ref.width / ref.scale), Math.round(ref.height / ref.scale)];
      const qSize: [number, number] = [Math.round(q.width / q.scale), Math.round(q.height / q.scale)];
      const hOriginal = light === anchor ? anchorH : homographyForLight(anchorH, anchorSizes, { reference: refSize, questioned: qSize });
      const zones = (input.reference.zones ?? []).map((z) => scaleZone(z, ref.scale));
      const value = await this.run(
        {
          op: 'compare-light',
          lightSource: light,
          reference: pixelsOf(ref),
          questioned: pixelsOf(q),
          homography: toAnalysis(hOriginal, ref.scale, q.scale),
          ...(light !== anchor && { registration: { anchorLight: anchor, options: { ...input.refine, maxShiftPx: (input.refine?.maxShiftPx ?? DEFAULT_LIGHT_REFINE_OPTIONS.maxShiftPx) * ref.scale } } }),
          zones,
          params: input.compare ?? {},
          readMrz: false,
        },
        [],
        run,
      );
      const c = value.compare;
      const { homography: analysisH, ...registration } = value.registration;
      const homography = toOriginal(analysisH, ref.scale, q.scale);
      const mrz = light === mrzLight && mrzRead ? placeMrz(await mrzRead, light, light === anchor ? anchorH : homography, q.scale, refSize) : undefined;
      done++;
      comparing.splice(comparing.indexOf(light), 1);
      // With no light running, the next one to start (if any) reports the same fraction under its own name.
      if (comparing.length > 0) progress(`compare:${comparing[comparing.length - 1]!}`, 0.35 + (0.65 * done) / lights.length);
      else if (done === lights.length) progress('compare', 1);
      return {
        lightSource: light,
        homography,
        registration: { ...registration, shift: [registration.shift[0] / ref.scale, registration.shift[1] / ref.scale] },
        regions: c.regions.map((x) => scaleRegion(x, ref.scale)),
        personalisedRegions: c.personalisedRegions.map((x) => scaleRegion(x, ref.scale)),
        blownOutRegions: c.blownOutRegions.map((x) => scaleRegion(x, ref.scale)),
        zoneVerdicts: c.zoneVerdicts,
        findings: mrz ? mrz.findings : c.findings.map((f) => scaleFinding(f, ref.scale)),
        heatmapPng: Buffer.from(c.heatmapPng.buffer, c.heatmapPng.byteOffset, c.heatmapPng.byteLength),
        alignedPng: Buffer.from(c.alignedPng.buffer, c.alignedPng.byteOffset, c.alignedPng.byteLength),
        outputSize: c.outputSize,
        referenceSize: refSize,
        questionedSize: qSize,
        analysisScale: { reference: ref.scale, questioned: q.scale },
        stats: mrz ? { ...c.stats, mrz: mrz.inspections } : c.stats,
        parameters: { ...c.parameters, homography },
        versions: c.versions,
        elapsedMs: Math.round(performance.now() - t),
      };
    };
    // Every task reading the decoded images has answered once the comparisons have (the MRZ read before its light's).
    const used: AnalysisImage[] = [refA, qA];
    const results = await limitConcurrency(
      this.options.threads,
      lights.map((l) => () => compareOne(l, used)),
    );
    this.shared.release(used);
    const tCompared = performance.now();
    const a = aligned;
    const finest = a.diagnostics.refinement[a.diagnostics.refinement.length - 1];
    return {
      anchorLight: anchor,
      alignment: {
        homography: anchorH,
        inliers: a.inliers,
        rmse: a.rmse,
        method: a.diagnostics.chosen,
        message: a.diagnostics.message,
        refinementPoints: finest?.points ?? a.inliers,
        referenceShown: Math.round((finest?.visible ?? 1) * 1e4) / 1e4,
        elapsedMs: a.elapsedMs,
      },
      lights: results,
      skipped,
      versions: results[0]!.versions,
      elapsedMs: {
        decode: Math.round(tDecoded - t0),
        align: Math.round(tAligned - tDecoded),
        compare: Math.round(tCompared - tAligned),
        total: Math.round(tCompared - t0),
      },
    };
  }

  close(): Promise<void> {
    this.closed = true;
    this.closing ??= (async () => {
      const p = this.piscina;
      if (p) await p.destroy();
    })();
    return this.closing;
  }
}

export function createPipelinePool(options: PipelinePoolOptions): PipelinePool {
  const positive = (name: string, v: number, min: number) => {
    if (!Number.isInteger(v) || v < min) throw new RangeError(`${name} must be an integer ≥ ${min}`);
  };
  positive('threads', options.threads, 1);
  positive('maxQueue', options.maxQueue, 0);
  positive('taskTimeoutMs', options.taskTimeoutMs, 1);
  const heapLimitBytes = options.heapLimitBytes ?? DEFAULT_HEAP_LIMIT;
  positive('heapLimitBytes', heapLimitBytes, 1);
  return new Pool({ threads: options.threads, maxQueue: options.maxQueue, taskTimeoutMs: options.taskTimeoutMs, heapLimitBytes, onWorkerError: options.onWorkerError });
}
