/**
 * Brute-force Hamming matching in JavaScript. One pass over the distance
 * matrix yields both each reference descriptor's two nearest neighbours (for
 * the ratio test) and each questioned descriptor's nearest (for the cross
 * check); OpenCV's BFMatcher in WebAssembly needs two passes for the same and
 * is no faster per distance.
 */
import type { FeatureSet } from './align-features';

export interface MatchSet {
  readonly count: number;
  readonly reference: Int32Array;
  readonly questioned: Int32Array;
  readonly distance: Int32Array;
}

/**
 * Set bits of each byte of `x`, each count (0–8) in its own byte: the first
 * steps of the SWAR population count. Eight such words summed keep every byte
 * below 256, so a 256-bit descriptor's distance is summed once at the end
 * (`byteSum`), about twice as fast in V8 as table lookups.
 */
export function byteCounts(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (x + (x >>> 4)) & 0x0f0f0f0f;
}

/** The sum of the four bytes of `acc` (at most 4 × 255). */
export function byteSum(acc: number): number {
  acc = (acc & 0x00ff00ff) + ((acc >>> 8) & 0x00ff00ff);
  return (acc & 0xffff) + (acc >>> 16);
}

/**
 * Hamming distance between descriptor `i` of `a` and `j` of `b`, `words`
 * 32-bit words each. Per-byte counts are summed in runs of at most 31 words,
 * below the 255 a byte holds.
 */
export function hamming(a: Int32Array, i: number, b: Int32Array, j: number, words: number): number {
  const oa = i * words;
  const ob = j * words;
  let d = 0;
  for (let k = 0; k < words; k += 31) {
    let acc = 0;
    const end = Math.min(words, k + 31);
    for (let m = k; m < end; m++) acc += byteCounts(a[oa + m]! ^ b[ob + m]!);
    d += byteSum(acc);
  }
  return d;
}

/** Hamming distance between the 256-bit (8-word) descriptors at word offsets `oa` of `a` and `ob` of `b`. */
export function hamming256(a: Int32Array, oa: number, b: Int32Array, ob: number): number {
  return byteSum(
    byteCounts(a[oa]! ^ b[ob]!) +
      byteCounts(a[oa + 1]! ^ b[ob + 1]!) +
      byteCounts(a[oa + 2]! ^ b[ob + 2]!) +
      byteCounts(a[oa + 3]! ^ b[ob + 3]!) +
      byteCounts(a[oa + 4]! ^ b[ob + 4]!) +
      byteCounts(a[oa + 5]! ^ b[ob + 5]!) +
      byteCounts(a[oa + 6]! ^ b[ob + 6]!) +
      byteCounts(a[oa + 7]! ^ b[ob + 7]!),
  );
}

/**
 * Mutual nearest neighbours that also pass Lowe's ratio test
 * (best < ratio × second best, both measured from the reference side).
 */
export function matchMutualRatio(ref: FeatureSet, qry: FeatureSet, ratio = 0.8): MatchSet {
  const n1 = ref.count;
  const n2 = qry.count;
  if (n1 < 2 || n2 < 2 || ref.words !== qry.words) {
    return { count: 0, reference: new Int32Array(0), questioned: new Int32Array(0), distance: new Int32Array(0) };
  }
  const w = ref.words;
  const a = ref.descriptors;
  const b = qry.descriptors;
  const best = new Int32Array(n1);
  const bestIdx = new Int32Array(n1);
  const second = new Int32Array(n1);
  const colBest = new Int32Array(n2).fill(0x7fffffff);
  const colIdx = new Int32Array(n2).fill(-1);
  if (w === 8) nearest256(a, n1, b, n2, best, second, bestIdx, colBest, colIdx);
  else {
    for (let i = 0; i < n1; i++) {
      let b1 = 0x7fffffff;
      let b2 = 0x7fffffff;
      let bi = -1;
      for (let j = 0; j < n2; j++) {
        const d = hamming(a, i, b, j, w);
        if (d < b1) {
          b2 = b1;
          b1 = d;
          bi = j;
        } else if (d < b2) {
          b2 = d;
        }
        // Strict '<' keeps the lowest index on ties, so the result does not depend on anything but the inputs.
        if (d < colBest[j]!) {
          colBest[j] = d;
          colIdx[j] = i;
        }
      }
      best[i] = b1;
      second[i] = b2;
      bestIdx[i] = bi;
    }
  }
  return mutualRatioPairs(best, second, bestIdx, colIdx, ratio);
}

/**
 * `matchMutualRatio`'s scan for ORB's 256-bit descriptors (8 words), the bulk
 * of all matching: the same results as `hamming`, with the reference words in
 * locals and the eight counts summed once.
 */
function nearest256(
  a: Int32Array,
  n1: number,
  b: Int32Array,
  n2: number,
  best: Int32Array,
  second: Int32Array,
  bestIdx: Int32Array,
  colBest: Int32Array,
  colIdx: Int32Array,
): void {
  for (let i = 0; i < n1; i++) {
    let b1 = 0x7fffffff;
    let b2 = 0x7fffffff;
    let bi = -1;
    const oa = i * 8;
    const a0 = a[oa]!;
    const a1 = a[oa + 1]!;
    const a2 = a[oa + 2]!;
    const a3 = a[oa + 3]!;
    const a4 = a[oa + 4]!;
    const a5 = a[oa + 5]!;
    const a6 = a[oa + 6]!;
    const a7 = a[oa + 7]!;
    for (let j = 0, ob = 0; j < n2; j++, ob += 8) {
      const d = byteSum(
        byteCounts(a0 ^ b[ob]!) +
          byteCounts(a1 ^ b[ob + 1]!) +
          byteCounts(a2 ^ b[ob + 2]!) +
          byteCounts(a3 ^ b[ob + 3]!) +
          byteCounts(a4 ^ b[ob + 4]!) +
          byteCounts(a5 ^ b[ob + 5]!) +
          byteCounts(a6 ^ b[ob + 6]!) +
          byteCounts(a7 ^ b[ob + 7]!),
      );
      if (d < b1) {
        b2 = b1;
        b1 = d;
        bi = j;
      } else if (d < b2) {
        b2 = d;
      }
      // Strict '<' keeps the lowest index on ties, so the result does not depend on anything but the inputs.
      if (d < colBest[j]!) {
        colBest[j] = d;
        colIdx[j] = i;
      }
    }
    best[i] = b1;
    second[i] = b2;
    bestIdx[i] = bi;
  }
}

/**
 * The pairs whose reference-side nearest neighbour is mutual (colIdx points
 * back) and passes the ratio test; with colSecond, the test must also pass
 * from the questioned side.
 */
export function mutualRatioPairs(
  best: Int32Array,
  second: Int32Array,
  bestIdx: Int32Array,
  colIdx: Int32Array,
  ratio: number,
  colSecond?: Int32Array,
): MatchSet {
  const refOut: number[] = [];
  const qOut: number[] = [];
  const dOut: number[] = [];
  for (let i = 0; i < best.length; i++) {
    const j = bestIdx[i]!;
    if (j < 0 || colIdx[j] !== i) continue;
    if (!(best[i]! < ratio * second[i]!)) continue;
    if (colSecond && !(best[i]! < ratio * colSecond[j]!)) continue;
    refOut.push(i);
    qOut.push(j);
    dOut.push(best[i]!);
  }
  return { count: refOut.length, reference: Int32Array.from(refOut), questioned: Int32Array.from(qOut), distance: Int32Array.from(dOut) };
}
