/**
 * Geometric verification of identification candidates: the questioned
 * image's keypoints are matched against each candidate reference image's
 * precomputed keypoints (mutual nearest neighbours with a ratio test) and a
 * homography is fitted robustly. The number of inliers of a plausible
 * homography says how much of the candidate's printed design was found in
 * the questioned image, in the right arrangement — which a bag of words
 * alone cannot tell.
 *
 * Matching is approximate, through multi-index hashing: the questioned
 * descriptors are filed once per task under each of HASH_CHUNKS disjoint
 * 16-bit pieces, and a candidate descriptor is compared only with those
 * sharing at least one piece with it. Two descriptors of one point on the
 * document differ in far fewer bits than two unrelated ones, so they nearly
 * always share a piece, while a random pair rarely does: this finds the same
 * matches as comparing every pair at a small fraction of the cost.
 *
 * The same matching, on a few hundred of a candidate's strongest keypoints
 * and without the fit, gives a vote (`geometry: false`): the number of
 * close, distinctive, mutual matches. It ranks the whole catalogue far
 * better than the global descriptor for a small or steeply tilted document
 * on a textured background (whose keypoints swamp a bag of words), at a
 * cost a query can pay for every candidate.
 */
import { loadOpenCv } from '../cv/opencv';
import { robustHomography } from './align-homography';
import { implausibleWarp } from './align-quality';
import { hamming256, mutualRatioPairs, type MatchSet } from './align-match';
import type { KeypointSet } from './descriptor';
import { convexHull, polygonArea, type Point } from './geometry';

export interface VerifyCandidate {
  /** Caller's key, returned with the verdict. */
  key: string;
  keypoints: KeypointSet;
}

export interface VerifyOptions {
  /** Least inliers of an accepted homography. */
  minInliers: number;
  /** Least share of the matches that must be inliers. */
  minInlierRatio: number;
  /** MAGSAC inlier threshold, working pixels. */
  threshold: number;
  /**
   * Least share of the candidate covered by the inliers' convex hull.
   * Documents of one issuer share elements (emblem, heading, captions): a
   * match confined to such an element is not the document.
   */
  minCoverage: number;
  /** False: only count votes (`VerifyVerdict.matches`: mutual ratio-test matches within `voteMaxDistance` bits), fit nothing. */
  geometry: boolean;
  /** Largest Hamming distance of a match that counts as a vote. */
  voteMaxDistance: number;
}

export const DEFAULT_VERIFY_OPTIONS: Readonly<VerifyOptions> = Object.freeze({ minInliers: 12, minInlierRatio: 0.15, threshold: 3, minCoverage: 0.2, geometry: true, voteMaxDistance: 50 });

const WORDS = 8;
const HASH_CHUNKS = 16;
const CHUNK_BITS = 256 / HASH_CHUNKS;
const CHUNK_MASK = (1 << CHUNK_BITS) - 1;
const RATIO = 0.8;
/** Hamming distance of a close match (of 256 bits; unrelated descriptors differ in about half). */
const CLOSE_MATCH_DISTANCE = 40;
/** Matches further apart than this are chance pairs, left out of the fit and the inlier ratio. */
const FIT_MAX_DISTANCE = 64;

/** The questioned descriptors filed by each 16-bit piece: per piece a head per code and a next link per descriptor. */
interface QueryTable {
  count: number;
  descriptors: Int32Array;
  heads: Int32Array[];
  nexts: Int32Array[];
  /** Per questioned descriptor, the last candidate descriptor it was compared with (skips repeats across pieces). */
  seen: Int32Array;
  stamp: number;
}

function buildQueryTable(descriptors: Int32Array, count: number): QueryTable {
  const heads: Int32Array[] = [];
  const nexts: Int32Array[] = [];
  for (let c = 0; c < HASH_CHUNKS; c++) {
    const word = (c * CHUNK_BITS) >> 5;
    const shift = (c * CHUNK_BITS) & 31;
    const head = new Int32Array(1 << CHUNK_BITS).fill(-1);
    const next = new Int32Array(count);
    // Filed last to first, so every chain runs in index order and ties resolve to the lowest index.
    for (let j = count - 1; j >= 0; j--) {
      const code = (descriptors[j * WORDS + word]! >>> shift) & CHUNK_MASK;
      next[j] = head[code]!;
      head[code] = j;
    }
    heads.push(head);
    nexts.push(next);
  }
  return { count, descriptors, heads, nexts, seen: new Int32Array(count).fill(-1), stamp: 0 };
}

/**
 * Mutual nearest neighbours passing the ratio test (best < RATIO × second
 * best) from both sides, among the pairs sharing a piece.
 */
function matchHashed(refDescriptors: Int32Array, refCount: number, table: QueryTable): MatchSet {
  const b = table.descriptors;
  const a = refDescriptors;
  const best = new Int32Array(refCount);
  const second = new Int32Array(refCount);
  const bestIdx = new Int32Array(refCount).fill(-1);
  const colBest = new Int32Array(table.count).fill(0x7fffffff);
  const colSecond = new Int32Array(table.count).fill(0x7fffffff);
  const colIdx = new Int32Array(table.count).fill(-1);
  const seen = table.seen;
  for (let i = 0; i < refCount; i++) {
    const stamp = ++table.stamp;
    const oa = i * WORDS;
    let b1 = 0x7fffffff;
    let b2 = 0x7fffffff;
    let bi = -1;
    for (let c = 0; c < HASH_CHUNKS; c++) {
      const code = (a[oa + ((c * CHUNK_BITS) >> 5)]! >>> ((c * CHUNK_BITS) & 31)) & CHUNK_MASK;
      const next = table.nexts[c]!;
      for (let j = table.heads[c]![code]!; j >= 0; j = next[j]!) {
        if (seen[j] === stamp) continue;
        seen[j] = stamp;
        const d = hamming256(a, oa, b, j * WORDS);
        // Lowest index on ties, whichever piece found the pair first: the result depends on the inputs only.
        if (d < b1 || (d === b1 && j < bi)) {
          b2 = b1;
          b1 = d;
          bi = j;
        } else if (d < b2) {
          b2 = d;
        }
        if (d < colBest[j]! || (d === colBest[j]! && i < colIdx[j]!)) {
          colSecond[j] = colBest[j]!;
          colBest[j] = d;
          colIdx[j] = i;
        } else if (d < colSecond[j]!) {
          colSecond[j] = d;
        }
      }
    }
    best[i] = b1;
    second[i] = b2;
    bestIdx[i] = bi;
  }
  // The ratio test from both sides: each side's second best is sought among colliding pairs only, so
  // either alone lets through more ambiguous pairs than an exhaustive search would.
  return mutualRatioPairs(best, second, bestIdx, colIdx, RATIO, colSecond);
}

function nearMatches(m: MatchSet, maxDistance: number): MatchSet {
  const keep: number[] = [];
  for (let i = 0; i < m.count; i++) if (m.distance[i]! <= maxDistance) keep.push(i);
  if (keep.length === m.count) return m;
  const pick = (a: Int32Array) => Int32Array.from(keep, (i) => a[i]!);
  return { count: keep.length, reference: pick(m.reference), questioned: pick(m.questioned), distance: pick(m.distance) };
}

/** Votes of one candidate: its matches within `maxDistance` bits. */
function countVotes(m: MatchSet, maxDistance: number): number {
  let votes = 0;
  for (let i = 0; i < m.count; i++) if (m.distance[i]! <= maxDistance) votes++;
  return votes;
}

/** ORB's 32 bytes as 8 little-endian 32-bit words (copied: the source may sit at any offset). */
export function descriptorWords(k: KeypointSet): Int32Array {
  const bytes = new Uint8Array(k.count * 32);
  bytes.set(k.descriptors.subarray(0, k.count * 32));
  return new Int32Array(bytes.buffer);
}

export interface VerifyVerdict {
  key: string;
  /** Whether a plausible homography is supported by enough inliers. */
  verified: boolean;
  /** Inliers of the fitted homography (0 when none could be fitted). */
  inliers: number;
  /** Mutual ratio-test matches; with `geometry: false`, the votes. */
  matches: number;
  /** Keypoints of the candidate. */
  keypoints: number;
  /** Share of the candidate image inside the convex hull of the inliers (0 without a fit). */
  coverage: number;
}

/** Verifies (or, with `geometry: false`, votes for) each candidate against the questioned keypoints; verdicts in the candidates' order. Deterministic. */
export async function verifyCandidates(questioned: KeypointSet, candidates: readonly VerifyCandidate[], options: Partial<VerifyOptions> = {}): Promise<VerifyVerdict[]> {
  const o: VerifyOptions = { ...DEFAULT_VERIFY_OPTIONS, ...options };
  const cv = o.geometry ? await loadOpenCv() : undefined;
  const table = buildQueryTable(descriptorWords(questioned), questioned.count);
  const out: VerifyVerdict[] = [];
  for (const c of candidates) {
    const ref = c.keypoints;
    const verdict: VerifyVerdict = { key: c.key, verified: false, inliers: 0, matches: 0, keypoints: ref.count, coverage: 0 };
    out.push(verdict);
    if (ref.count < 4 || questioned.count < 4) continue;
    const all = matchHashed(descriptorWords(ref), ref.count, table);
    if (!cv) {
      verdict.matches = countVotes(all, o.voteMaxDistance);
      continue;
    }
    // The second best is sought among the pairs sharing a piece only, so the ratio test lets through
    // more chance pairs than an exhaustive one; the far ones among them are dropped before the fit.
    const m = nearMatches(all, FIT_MAX_DISTANCE);
    verdict.matches = m.count;
    // The robust fit is most of the cost, and most of it goes to candidates that fail. Inliers of a
    // true match are mostly close matches (on the benchmark photos, tilted and small ones included, at
    // least four times the least inliers accepted), so a candidate without even that many is refused unfitted.
    let close = 0;
    for (let i = 0; i < m.count; i++) if (m.distance[i]! <= CLOSE_MATCH_DISTANCE) close++;
    if (m.count < Math.max(4, o.minInliers) || close < o.minInliers) continue;
    const src = new Float64Array(2 * m.count);
    const dst = new Float64Array(2 * m.count);
    for (let i = 0; i < m.count; i++) {
      const a = m.reference[i]!;
      const b = m.questioned[i]!;
      src[2 * i] = ref.xy[2 * a]!;
      src[2 * i + 1] = ref.xy[2 * a + 1]!;
      dst[2 * i] = questioned.xy[2 * b]!;
      dst[2 * i + 1] = questioned.xy[2 * b + 1]!;
    }
    const fit = await robustHomography(cv, src, dst, m.count, o.threshold, 'magsac');
    if (!fit) continue;
    verdict.inliers = fit.inliers;
    const inlierPoints: Point[] = [];
    for (let i = 0; i < m.count; i++) if (fit.inlierMask[i]) inlierPoints.push([src[2 * i]!, src[2 * i + 1]!]);
    verdict.coverage = Math.round((Math.abs(polygonArea(convexHull(inlierPoints))) / (ref.width * ref.height)) * 1e4) / 1e4;
    verdict.verified =
      fit.inliers >= o.minInliers &&
      fit.inliers >= o.minInlierRatio * m.count &&
      verdict.coverage >= o.minCoverage &&
      implausibleWarp(fit.homography, ref.width, ref.height) === null;
  }
  return out;
}

/** A candidate that only votes: its descriptors as 8 words per keypoint (`descriptorWords`), read in place (e.g. in shared memory). */
export interface VoteCandidate {
  words: Int32Array;
  count: number;
}

/**
 * Which questioned keypoints vote for each candidate, in the candidates'
 * order: candidate `i`'s voters are `voters[offsets[i]] … voters[offsets[i + 1] - 1]`
 * (questioned keypoint indices, each at most once per candidate).
 */
export interface VoteSets {
  offsets: Int32Array;
  voters: Int32Array;
}

/**
 * The questioned keypoints that vote for each candidate (close, mutual
 * matches, as `verifyCandidates` with `geometry: false` counts them).
 * Deterministic.
 */
export function voteSets(questioned: KeypointSet, candidates: readonly VoteCandidate[], voteMaxDistance = DEFAULT_VERIFY_OPTIONS.voteMaxDistance): VoteSets {
  const offsets = new Int32Array(candidates.length + 1);
  const voters: number[] = [];
  const table = questioned.count >= 4 ? buildQueryTable(descriptorWords(questioned), questioned.count) : null;
  candidates.forEach((c, i) => {
    if (table && c.count >= 4) {
      const m = matchHashed(c.words, c.count, table);
      for (let j = 0; j < m.count; j++) if (m.distance[j]! <= voteMaxDistance) voters.push(m.questioned[j]!);
    }
    offsets[i + 1] = voters.length;
  });
  return { offsets, voters: Int32Array.from(voters) };
}

/** The number of votes of each candidate. */
export function voteCounts(sets: VoteSets): Int32Array {
  const n = sets.offsets.length - 1;
  const counts = new Int32Array(n);
  for (let i = 0; i < n; i++) counts[i] = sets.offsets[i + 1]! - sets.offsets[i]!;
  return counts;
}

/**
 * Votes weighted by how distinctive each questioned keypoint is across the
 * catalogue (inverse document frequency, as in text retrieval): a keypoint
 * on a glyph or a corner that many catalogue images share votes for all of
 * them and tells them apart from none, so its vote weighs ln(N / n) where
 * n of the N candidates received it. `parts` are the vote sets of
 * consecutive candidate ranges (one per worker task), in order.
 */
export function weightedVotes(parts: readonly VoteSets[], questionedCount: number): Float64Array {
  const total = parts.reduce((n, p) => n + p.offsets.length - 1, 0);
  const received = new Int32Array(questionedCount);
  for (const p of parts) for (let j = 0; j < p.voters.length; j++) received[p.voters[j]!]!++;
  const weight = new Float64Array(questionedCount);
  for (let q = 0; q < questionedCount; q++) if (received[q]! > 0) weight[q] = Math.log(total / received[q]!);
  const out = new Float64Array(total);
  let at = 0;
  for (const p of parts) {
    for (let i = 0; i + 1 < p.offsets.length; i++, at++) {
      let w = 0;
      for (let j = p.offsets[i]!; j < p.offsets[i + 1]!; j++) w += weight[p.voters[j]!]!;
      out[at] = w;
    }
  }
  return out;
}
