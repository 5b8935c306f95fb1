import type { FeatureSet } from './align-features';
import { hamming, hamming256, matchMutualRatio } from './align-match';

/** Bit by bit: the definition the fast counts must reproduce. */
function naiveHamming(a: Int32Array, i: number, b: Int32Array, j: number, words: number): number {
  let d = 0;
  for (let k = 0; k < words; k++) {
    const x = a[i * words + k]! ^ b[j * words + k]!;
    for (let bit = 0; bit < 32; bit++) d += (x >>> bit) & 1;
  }
  return d;
}

/** Deterministic pseudo-random words (xorshift32). */
function randomWords(n: number, seed: number): Int32Array {
  const out = new Int32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = s | 0;
  }
  return out;
}

function features(descriptors: Int32Array, words: number): FeatureSet {
  const count = descriptors.length / words;
  return { count, xy: new Float64Array(2 * count), response: new Float32Array(count), descriptors, words };
}

/** Exhaustive matching with the naive distance, as `matchMutualRatio` defines it. */
function naiveMatch(ref: FeatureSet, qry: FeatureSet, ratio = 0.8) {
  const pairs: [number, number, number][] = [];
  const nearest = (from: FeatureSet, to: FeatureSet, i: number, fromIsRef: boolean) => {
    let best = Infinity;
    let second = Infinity;
    let idx = -1;
    for (let j = 0; j < to.count; j++) {
      const d = fromIsRef ? naiveHamming(from.descriptors, i, to.descriptors, j, ref.words) : naiveHamming(to.descriptors, j, from.descriptors, i, ref.words);
      if (d < best) {
        second = best;
        best = d;
        idx = j;
      } else if (d < second) second = d;
    }
    return { best, second, idx };
  };
  for (let i = 0; i < ref.count; i++) {
    const r = nearest(ref, qry, i, true);
    if (nearest(qry, ref, r.idx, false).idx !== i) continue;
    if (r.best < ratio * r.second) pairs.push([i, r.idx, r.best]);
  }
  return pairs;
}

describe('Hamming distances', () => {
  it('count every differing bit, up to all of them, for any descriptor length', () => {
    for (const words of [1, 8, 16, 31, 32, 40]) {
      const zeros = new Int32Array(words);
      const ones = new Int32Array(words).fill(-1);
      // All bits differ: 32 per word. A byte-wise sum that wrapped at 256 would give 0 for 8 words.
      expect(hamming(zeros, 0, ones, 0, words)).toBe(32 * words);
      const a = randomWords(5 * words, 7 + words);
      const b = randomWords(5 * words, 99 + words);
      for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) expect(hamming(a, i, b, j, words)).toBe(naiveHamming(a, i, b, j, words));
    }
    const a = randomWords(80, 3);
    const b = randomWords(80, 4);
    for (let i = 0; i < 10; i++) expect(hamming256(a, 8 * i, b, 8 * (9 - i))).toBe(naiveHamming(a, i, b, 9 - i, 8));
    expect(hamming256(new Int32Array(8), 0, new Int32Array(8).fill(-1), 0)).toBe(256);
  });
});

describe('matchMutualRatio', () => {
  for (const words of [8, 16]) {
    it(`finds exactly the mutual ratio-test pairs of an exhaustive search (${words}-word descriptors)`, () => {
      const ref = randomWords(120 * words, 11 * words);
      const qry = randomWords(150 * words, 13 * words);
      // Near copies of some reference descriptors (a few bits flipped), so that there is something to match.
      for (let i = 0; i < 40; i++) {
        for (let k = 0; k < words; k++) qry[(3 * i + 1) * words + k] = ref[2 * i * words + k]! ^ (k === i % words ? 1 << i % 31 : 0);
      }
      // A descriptor with every bit opposite to another: the largest distance there is.
      ref.fill(0, 119 * words, 120 * words);
      qry.fill(-1, 149 * words, 150 * words);
      const got = matchMutualRatio(features(ref, words), features(qry, words));
      const want = naiveMatch(features(ref, words), features(qry, words));
      expect(want.length).toBeGreaterThanOrEqual(40);
      expect([...got.reference].map((r, n) => [r, got.questioned[n], got.distance[n]])).toEqual(want);
    });
  }
});
