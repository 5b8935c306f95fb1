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

/** Set bits of every 16-bit value: Hamming distance two half-words at a time. */
export const POPCOUNT16 = (() => {
  const t = new Uint8Array(65536);
  for (let i = 1; i < 65536; i++) t[i] = t[i >> 1]! + (i & 1);
  return t;
})();

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
  const pc = POPCOUNT16;
  for (let i = 0; i < n1; i++) {
    let b1 = 0x7fffffff;
    let b2 = 0x7fffffff;
    let bi = -1;
    const oa = i * w;
    for (let j = 0; j < n2; j++) {
      const ob = j * w;
      let d = 0;
      for (let k = 0; k < w; k++) {
        const x = a[oa + k]! ^ b[ob + k]!;
        d += pc[x & 0xffff]! + pc[x >>> 16]!;
      }
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
  return mutualRatioPairs(best, second, bestIdx, colIdx, ratio);
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
