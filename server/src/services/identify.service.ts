/**
 * Candidate identification: which catalogued capture shows the document in
 * a questioned image.
 *
 * At ingest every reflected visible-light image gets an identification
 * descriptor (`CaptureImage.identification`): a compact global descriptor in
 * the record and its keypoints as an object beside the derivatives
 * (`derivatives/<sha>/identify-orb-lsh-v1.bin`, so the existing object
 * lifecycle — removal with the last record using the image, `verify` — covers
 * it). The descriptor lives in the capture image rather than in a table of
 * its own because it is a property of that image: it is written in the same
 * revision-checked write as the capture, removed with it, and both catalog
 * adapters store it without a new port.
 *
 * A query scores every candidate image (narrowed by issuing state and
 * document code when the MRZ gave them) two ways, in the worker pool: by
 * global descriptor against an in-memory index of the catalogue
 * (identify-index.ts, brought up to date before each query), and by votes —
 * close, distinctive matches of the questioned keypoints with each
 * candidate's strongest few hundred (identify.ts), each vote weighted by how
 * few candidates that questioned keypoint votes for. The global descriptor
 * ranks well a document filling the frame; the votes one seen small or
 * steeply tilted on a textured background, which the bag of words ranks
 * among unrelated documents. The best of both rankings are verified
 * geometrically — the next shortlists too when none of the first verifies —
 * and verified candidates rank first by inliers. Another holder's document
 * of the same type verifies on the printed design and captions; the same
 * document also on its personal data.
 */
import {
  decodeKeypoints,
  DESCRIPTOR_METHOD,
  encodeKeypoints,
  isImageError,
  isPipelineError,
  SharedVoteKeypoints,
  strongestKeypoints,
  weightedVotes,
  type KeypointSet,
  type PipelinePool,
  type VerifyCandidate,
  type VerifyVerdict,
} from '@exemplar/image-pipeline';
import { getLightSource, type IdentificationCandidate, type IdentificationResult, type IdentifyFilter, type ImageIdentification } from '@exemplar/specimens-schema';
import { assertCan, visibleClassifications } from '../auth/policy';
import type { LimitsConfig } from '../config';
import { ExemplarError } from '../errors';
import { readStream } from '../read-stream';
import { descriptorNorm, IdentifyIndex, indexedSimilarity, type IndexedImage, type IndexedSpecimen } from './identify-index';
import type { CatalogStore } from '../stores/catalog.port';
import { objectKeys, type ObjectStore } from '../stores/objects.port';
import type { Actor } from './actor';

/** Keypoint objects of every method version are named so (beside the image's derivatives). */
export const KEYPOINTS_OBJECT_PREFIX = 'identify-';
export const KEYPOINTS_OBJECT_NAME = `${KEYPOINTS_OBJECT_PREFIX}${DESCRIPTOR_METHOD}.bin`;
export const DEFAULT_TOP_K = 5;
export const MAX_TOP_K = 50;
/** Candidates verified geometrically from each ranking (global descriptor, votes); the rest keep their descriptor score only. */
const VERIFY_SHORTLIST = 12;
/** A candidate's strongest keypoints that vote: enough to rank, few enough to vote over the whole catalogue per query. */
const VOTE_KEYPOINTS = 300;
/** Keypoint objects read at once when the vote keypoints of new images are loaded. */
const KEYPOINT_READS = 8;
/** Shortlists verified at most, the next only when none of the previous verified convincingly. */
const VERIFY_ROUNDS = 2;
/**
 * Inliers of a convincing verification. Fewer may be a document of the same issuer sharing captions
 * and emblems with the one shown (which may rank lower in both rankings), so the next shortlist is checked too.
 */
const CONVINCING_INLIERS = 40;
/** Inliers at which the verification score reaches one half. */
const SCORE_HALF_INLIERS = 25;
const KEYPOINT_CACHE_ENTRIES = 256;

export interface IdentifyServiceDeps {
  catalog: CatalogStore;
  objects: ObjectStore;
  /** The worker pool, created on first use. */
  pipeline: () => PipelinePool;
  limits: LimitsConfig;
}

/** What ingest stores for one image: the record field and the objects it names. */
export interface IngestIdentification {
  identification: ImageIdentification;
  objects: { key: string; body: Buffer; contentType: string }[];
}

export interface IdentifyOptions {
  filter?: IdentifyFilter | undefined;
  /** Only specimens of these classifications are candidates (besides what the actor may see); a comparison job passes its submitter's. */
  classifications?: readonly string[] | undefined;
  k?: number | undefined;
  signal?: AbortSignal | undefined;
}

interface CandidateImage {
  specimen: IndexedSpecimen;
  image: IndexedImage;
  similarity: number;
  /** Weighted votes (`weightedVotes`). */
  votes: number;
}

/** Reflected visible light: where the printed design, which identification recognises, shows. */
export function describesLight(lightSource: string): boolean {
  const entry = getLightSource(lightSource);
  return entry !== undefined && entry.band === 'visible' && entry.mode === 'reflected';
}

/** Maps failures of the pipeline to the API's codes. */
export function pipelineFailure(err: unknown, what: string): unknown {
  if (isImageError(err)) return new ExemplarError(err.code, `${what}: ${err.message}`, { ...err.details }, { cause: err });
  if (!isPipelineError(err)) return err;
  switch (err.code) {
    case 'QUEUE_FULL':
      return new ExemplarError('QUEUE_FULL', 'The image pipeline is busy; retry in a moment', err.details, { cause: err });
    case 'INVALID_INPUT':
      return new ExemplarError('UNPROCESSABLE', `${what}: ${err.message}`, err.details, { cause: err });
    default:
      return new ExemplarError('INTERNAL', `${what} failed: ${err.message}`, { code: err.code, ...err.details }, { cause: err });
  }
}

export class IdentifyService {
  private readonly objects: ObjectStore;
  private readonly pipeline: () => PipelinePool;
  private readonly limits: LimitsConfig;
  /** Keypoint objects never change (their key names the image and the method): a small LRU. */
  private readonly keypointCache = new Map<string, KeypointSet>();
  /**
   * The vote keypoints of every indexed image, by keypoint object key, in shared memory the workers read in place:
   * loaded when a query first needs them, dropped when their image leaves the index.
   */
  private readonly votes = new SharedVoteKeypoints();
  /** The index version `votes` was last pruned at. */
  private votesVersion = -1;
  private readonly index: IdentifyIndex;

  constructor(deps: IdentifyServiceDeps) {
    this.objects = deps.objects;
    this.pipeline = deps.pipeline;
    this.limits = deps.limits;
    this.index = new IdentifyIndex(deps.catalog);
  }

  /** Identification data of an image being ingested, or undefined for lights identification does not use. */
  async describeForIngest(file: { path: string; lightSource: string; sha256: string }): Promise<IngestIdentification | undefined> {
    if (!describesLight(file.lightSource)) return undefined;
    let description;
    try {
      description = await this.pipeline().describeFile(file.path, { maxPixels: this.limits.maxImagePixels });
    } catch (err) {
      throw pipelineFailure(err, `${file.lightSource} image`);
    }
    const key = objectKeys.derivative(file.sha256, KEYPOINTS_OBJECT_NAME);
    return {
      identification: {
        method: DESCRIPTOR_METHOD,
        descriptor: Buffer.from(description.global).toString('base64'),
        keypoints: key,
        keypointCount: description.keypoints.count,
      },
      objects: [{ key, body: Buffer.from(encodeKeypoints(description.keypoints)), contentType: 'application/octet-stream' }],
    };
  }

  /** Ranks catalogued captures for the image file at `path` (a visible-light photo or scan of a document). */
  async identifyFile(path: string, options: IdentifyOptions, actor: Actor): Promise<IdentificationResult> {
    assertCan(actor, 'identify');
    const visible: readonly string[] = visibleClassifications(actor);
    const classifications = visible.filter((c) => !options.classifications || options.classifications.includes(c));
    const k = options.k ?? DEFAULT_TOP_K;
    if (!Number.isInteger(k) || k < 1 || k > MAX_TOP_K) throw new ExemplarError('BAD_REQUEST', `k must be an integer from 1 to ${MAX_TOP_K}`, { k });
    const pool = this.pipeline();
    let questioned;
    try {
      questioned = await pool.describeFile(path, { maxPixels: this.limits.maxImagePixels }, { signal: options.signal });
    } catch (err) {
      throw pipelineFailure(err, 'questioned image');
    }

    // Hidden specimens are never candidates: a title or id in the answer would reveal them.
    await this.index.refresh();
    this.pruneVotes();
    const images: CandidateImage[] = [];
    const queryNorm = descriptorNorm(questioned.global);
    for (const specimen of this.index.candidates({ classifications, issuingState: options.filter?.issuingState, documentCode: options.filter?.documentCode })) {
      for (const image of specimen.images) images.push({ specimen, image, similarity: indexedSimilarity(questioned.global, queryNorm, image), votes: 0 });
    }
    // Deterministic order on ties: ids break them.
    const byId = (a: CandidateImage, b: CandidateImage) => a.specimen.id.localeCompare(b.specimen.id) || a.image.captureId.localeCompare(b.image.captureId) || a.image.lightSource.localeCompare(b.image.lightSource);
    images.sort((a, b) => b.similarity - a.similarity || byId(a, b));

    const batch = Math.max(VERIFY_SHORTLIST, k);
    // Votes only matter when the first shortlist by descriptor leaves candidates out.
    if (images.length > batch) {
      const keys = images.map((c) => c.image.keypoints);
      // The descriptor shortlists are verified whatever the votes say: their keypoints, read here for the votes, are kept for that.
      await this.loadVoteKeypoints(keys, new Set(keys.slice(0, batch * VERIFY_ROUNDS)));
      const votes = await this.vote(pool, questioned.keypoints, keys, options.signal);
      images.forEach((c, i) => (c.votes = votes[i]!));
    }
    const byVotes = images.map((_, i) => i).sort((a, b) => images[b]!.votes - images[a]!.votes || a - b);

    const verdicts: VerifyVerdict[] = [];
    const checked = new Set<number>();
    // A small, steep or dim photo is ranked less reliably: when nothing in the shortlist verifies convincingly,
    // the next candidates of both rankings get one more chance before the answer is "no match".
    for (let round = 0, from = 0; round < VERIFY_ROUNDS && from < images.length; round++, from += batch) {
      const candidates: VerifyCandidate[] = [];
      for (let r = from; r < Math.min(images.length, from + batch); r++) {
        for (const i of [r, byVotes[r]!]) {
          if (checked.has(i)) continue;
          checked.add(i);
          const keypoints = await this.keypoints(images[i]!.image.keypoints);
          if (keypoints) candidates.push({ key: String(i), keypoints });
        }
      }
      const found = await this.verify(pool, questioned.keypoints, candidates, options.signal);
      verdicts.push(...found);
      if (found.some((v) => v.verified && v.inliers >= CONVINCING_INLIERS)) break;
    }
    const verifiedCount = verdicts.length;
    const byIndex = new Map(verdicts.map((v) => [Number(v.key), v]));

    // One entry per capture: its best image.
    const best = new Map<string, IdentificationCandidate>();
    images.forEach((c, i) => {
      const v = byIndex.get(i);
      const verified = v?.verified ?? false;
      const inliers = v?.inliers ?? 0;
      const entry: IdentificationCandidate = {
        specimenId: c.specimen.id,
        captureId: c.image.captureId,
        lightSource: c.image.lightSource as IdentificationCandidate['lightSource'],
        score: verified ? Math.round((inliers / (inliers + SCORE_HALF_INLIERS)) * 1e4) / 1e4 : 0,
        inliers,
        similarity: Math.round(Math.min(1, Math.max(0, c.similarity)) * 1e4) / 1e4,
        verified,
        title: c.specimen.title,
        status: c.specimen.status,
        issuingState: c.specimen.issuingState,
        ...(c.specimen.documentCode !== undefined && { documentCode: c.specimen.documentCode }),
        page: c.image.page,
      };
      const key = `${c.specimen.id}/${c.image.captureId}`;
      const previous = best.get(key);
      if (!previous || rank(entry, previous) < 0) best.set(key, entry);
    });
    const ranked = [...best.values()].sort(rank);
    return {
      method: DESCRIPTOR_METHOD,
      ...(options.filter && Object.keys(options.filter).length > 0 && { filter: options.filter }),
      searched: images.length,
      verified: verifiedCount,
      candidates: ranked.slice(0, k),
    };
  }

  /** One task per worker thread, so a query uses every core; candidates are dealt round-robin (their costs vary with their matches). */
  private async verify(pool: PipelinePool, questioned: KeypointSet, candidates: readonly VerifyCandidate[], signal: AbortSignal | undefined): Promise<VerifyVerdict[]> {
    if (candidates.length === 0) return [];
    const tasks = Math.max(1, Math.min(pool.stats().threads, candidates.length));
    const parts = Array.from({ length: tasks }, (_, t) => candidates.filter((_c, i) => i % tasks === t));
    try {
      return (await Promise.all(parts.map((p) => pool.identifyVerify(questioned, p, {}, { signal })))).flat();
    } catch (err) {
      throw pipelineFailure(err, 'identification');
    }
  }

  /**
   * Votes per key (0 for an image without vote keypoints), weighted by how distinctive each voting
   * keypoint of the query is across the keys (`weightedVotes`); one task per worker thread: votes
   * cost alike, and go in contiguous parts.
   */
  private async vote(pool: PipelinePool, questioned: KeypointSet, keys: readonly string[], signal: AbortSignal | undefined): Promise<Float64Array> {
    const tasks = Math.max(1, Math.min(pool.stats().threads, keys.length));
    const size = Math.ceil(keys.length / tasks);
    const parts = Array.from({ length: tasks }, (_, t) => keys.slice(t * size, (t + 1) * size));
    try {
      return weightedVotes(await Promise.all(parts.map((p) => pool.identifyVotes(questioned, this.votes.select(p), {}, { signal }))), questioned.count);
    } catch (err) {
      throw pipelineFailure(err, 'identification');
    }
  }

  /**
   * Reads the vote keypoints of images not seen before (a few objects at a time). The whole keypoints of those
   * in `verifyLater` go to the keypoint cache, so verification does not read them again.
   */
  private async loadVoteKeypoints(keys: readonly string[], verifyLater: ReadonlySet<string>): Promise<void> {
    const missing = [...new Set(keys.filter((key) => !this.votes.has(key)))];
    for (let i = 0; i < missing.length; i += KEYPOINT_READS) {
      await Promise.all(
        missing.slice(i, i + KEYPOINT_READS).map(async (key) => {
          const k = verifyLater.has(key) ? await this.keypoints(key) : await this.readKeypoints(key);
          // Reading through the cache may have filed them already.
          if (!this.votes.has(key)) this.votes.set(key, k ? strongestKeypoints(k, VOTE_KEYPOINTS) : null);
        }),
      );
    }
  }

  /** Drops the vote keypoints of images that left the index since the last look. */
  private pruneVotes(): void {
    if (this.index.version === this.votesVersion) return;
    this.votesVersion = this.index.version;
    if (this.votes.size === 0) return;
    const live = new Set(this.index.keypointKeys());
    for (const key of [...this.votes.keys()]) if (!live.has(key)) this.votes.delete(key);
  }

  /** A keypoint object, decoded; undefined when it is missing or damaged. */
  private async readKeypoints(key: string): Promise<KeypointSet | undefined> {
    try {
      return decodeKeypoints(await readStream(await this.objects.get(key)));
    } catch (err) {
      // A missing or damaged keypoint object only drops that image from identification; `exemplar verify` reports the object.
      if (err instanceof ExemplarError && err.code === 'OBJECT_NOT_FOUND') return undefined;
      if (err instanceof RangeError) return undefined;
      throw err;
    }
  }

  private async keypoints(key: string): Promise<KeypointSet | undefined> {
    const cached = this.keypointCache.get(key);
    if (cached) {
      this.keypointCache.delete(key);
      this.keypointCache.set(key, cached);
      return cached;
    }
    const k = await this.readKeypoints(key);
    if (!k) return undefined;
    this.keypointCache.set(key, k);
    if (!this.votes.has(key)) this.votes.set(key, strongestKeypoints(k, VOTE_KEYPOINTS));
    while (this.keypointCache.size > KEYPOINT_CACHE_ENTRIES) this.keypointCache.delete(this.keypointCache.keys().next().value!);
    return k;
  }
}

/** Verified first, by inliers; then by descriptor similarity; ids last, so the order is total. */
function rank(a: IdentificationCandidate, b: IdentificationCandidate): number {
  if (a.verified !== b.verified) return a.verified ? -1 : 1;
  return b.inliers - a.inliers || b.similarity - a.similarity || a.specimenId.localeCompare(b.specimenId) || a.captureId.localeCompare(b.captureId);
}
