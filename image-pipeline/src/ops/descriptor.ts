/**
 * Identification descriptors of a document image, computed once per
 * reference image at ingest and once per questioned image at query time.
 *
 * - Keypoints: up to MAX_KEYPOINTS ORB features at a fixed working size
 *   (long edge DESCRIBE_LONG_EDGE, reduced or enlarged to it: smaller sizes lose the fine print —
 *   field captions, guilloche — that identifies a document issued to another
 *   holder), positions and 256-bit descriptors,
 *   serialised compactly (`encodeKeypoints`). They verify a candidate
 *   geometrically (`verifyCandidates` in identify.ts) and are stored as an
 *   object beside the image's derivatives.
 * - Global descriptor: a bag of binary words. Each ORB descriptor is hashed
 *   by LSH_TABLES fixed selections of LSH_BITS of its bits (locality-sensitive
 *   hashing for Hamming space: near descriptors share codes), giving one
 *   histogram of 2^LSH_BITS bins per table. The square root of the counts
 *   (Hellinger), L2-normalised and quantised to a byte per bin, is compact
 *   enough to live in the catalogue record and compares by a dot product.
 *
 * Both are invariant to the document's position, rotation and moderate
 * perspective and scale (ORB is oriented and multi-scale) and tolerant of
 * lighting (binary intensity comparisons). Keypoints are taken everywhere,
 * personal data included: on the same document it adds matches, on another
 * holder's it only adds outliers, which the robust fit rejects, while the
 * printed design still verifies (masking the personalised zones was tried
 * and left too little structure to match a photo). No vocabulary is
 * trained, so nothing depends on which documents the catalogue holds.
 */
import { loadOpenCv, withMats } from '../cv/opencv';
import { detectFeatures } from './align-features';
import type { GreyImage } from './align-types';

/**
 * Names how descriptors and keypoints are computed: a change to either is a
 * new version, since descriptors of two versions do not compare. v2 describes
 * every image at the working size (v1 described small images at their own);
 * images described by an older version are re-described by
 * `exemplar identify reindex`.
 */
export const DESCRIPTOR_METHOD = 'orb-lsh-v2';
/** Long edge of the image ORB runs on. */
export const DESCRIBE_LONG_EDGE = 1024;
/** Largest enlargement to the working size: beyond it interpolation invents no corners worth describing. */
const MAX_ENLARGEMENT = 4;
export const MAX_KEYPOINTS = 2000;
const LSH_TABLES = 4;
const LSH_BITS = 8;
export const GLOBAL_DESCRIPTOR_LENGTH = LSH_TABLES << LSH_BITS;
export const ORB_BYTES = 32;

/** Bit indices (0..255) per table: fixed forever for a method version, chosen once from a seeded generator. */
const LSH_BIT_INDICES: readonly (readonly number[])[] = (() => {
  let state = 0x9e3779b9;
  const next = () => {
    // xorshift32: deterministic and dependency-free
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state;
  };
  const all = Array.from({ length: ORB_BYTES * 8 }, (_, i) => i);
  for (let i = all.length - 1; i > 0; i--) {
    const j = next() % (i + 1);
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return Array.from({ length: LSH_TABLES }, (_, t) => all.slice(t * LSH_BITS, (t + 1) * LSH_BITS));
})();

/** Keypoints of one image at the working size. */
export interface KeypointSet {
  count: number;
  /** Working-size image dimensions. */
  width: number;
  height: number;
  /** Working size over original size, per axis (original px = (working px + 0.5) / scale − 0.5). */
  scaleX: number;
  scaleY: number;
  /** x0, y0, x1, y1 … in working pixels. */
  xy: Float32Array;
  /** ORB_BYTES bytes per keypoint. */
  descriptors: Uint8Array;
}

export interface ImageDescription {
  method: typeof DESCRIPTOR_METHOD;
  /** GLOBAL_DESCRIPTOR_LENGTH bytes. */
  global: Uint8Array;
  keypoints: KeypointSet;
}

const MAGIC = 0x3150_4b45; // 'EKP1' little-endian
const HEADER_BYTES = 28;

/** Compact little-endian serialisation: header, float32 positions, raw descriptors. */
export function encodeKeypoints(k: KeypointSet): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES + k.count * 8 + k.count * ORB_BYTES);
  const view = new DataView(out.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, k.count, true);
  view.setUint32(8, k.width, true);
  view.setUint32(12, k.height, true);
  view.setFloat32(16, k.scaleX, true);
  view.setFloat32(20, k.scaleY, true);
  view.setUint32(24, ORB_BYTES, true);
  for (let i = 0; i < 2 * k.count; i++) view.setFloat32(HEADER_BYTES + 4 * i, k.xy[i]!, true);
  out.set(k.descriptors.subarray(0, k.count * ORB_BYTES), HEADER_BYTES + k.count * 8);
  return out;
}

export function decodeKeypoints(bytes: Uint8Array): KeypointSet {
  if (bytes.length < HEADER_BYTES) throw new RangeError('keypoint data is truncated');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== MAGIC) throw new RangeError('not keypoint data (bad magic)');
  const count = view.getUint32(4, true);
  if (view.getUint32(24, true) !== ORB_BYTES) throw new RangeError('unsupported descriptor size');
  if (bytes.length !== HEADER_BYTES + count * (8 + ORB_BYTES)) throw new RangeError('keypoint data has the wrong length');
  const xy = new Float32Array(2 * count);
  for (let i = 0; i < 2 * count; i++) xy[i] = view.getFloat32(HEADER_BYTES + 4 * i, true);
  const start = HEADER_BYTES + count * 8;
  return {
    count,
    width: view.getUint32(8, true),
    height: view.getUint32(12, true),
    scaleX: view.getFloat32(16, true),
    scaleY: view.getFloat32(20, true),
    xy,
    descriptors: bytes.slice(start, start + count * ORB_BYTES),
  };
}

/** The `n` strongest keypoints (they are stored strongest first), sharing the arrays' memory. */
export function strongestKeypoints(k: KeypointSet, n: number): KeypointSet {
  if (k.count <= n) return k;
  return { ...k, count: n, xy: k.xy.subarray(0, 2 * n), descriptors: k.descriptors.subarray(0, n * ORB_BYTES) };
}

/** The bag-of-binary-words descriptor of a set of ORB descriptors. */
export function globalDescriptor(descriptors: Uint8Array, count: number): Uint8Array {
  const hist = new Float64Array(GLOBAL_DESCRIPTOR_LENGTH);
  for (let i = 0; i < count; i++) {
    const d = i * ORB_BYTES;
    for (let t = 0; t < LSH_TABLES; t++) {
      let code = 0;
      for (const bit of LSH_BIT_INDICES[t]!) code = (code << 1) | ((descriptors[d + (bit >> 3)]! >> (bit & 7)) & 1);
      hist[(t << LSH_BITS) | code]!++;
    }
  }
  let norm = 0;
  for (let i = 0; i < hist.length; i++) {
    hist[i] = Math.sqrt(hist[i]!);
    norm += hist[i]! * hist[i]!;
  }
  const out = new Uint8Array(GLOBAL_DESCRIPTOR_LENGTH);
  if (norm === 0) return out;
  const inv = 1 / Math.sqrt(norm);
  let max = 0;
  for (let i = 0; i < hist.length; i++) max = Math.max(max, hist[i]! * inv);
  for (let i = 0; i < hist.length; i++) out[i] = Math.round((255 * hist[i]! * inv) / max);
  return out;
}

/** Cosine similarity of two global descriptors, in [0, 1] (0 when either is empty). */
export function descriptorSimilarity(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== GLOBAL_DESCRIPTOR_LENGTH || b.length !== GLOBAL_DESCRIPTOR_LENGTH) throw new RangeError(`a global descriptor has ${GLOBAL_DESCRIPTOR_LENGTH} bytes`);
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    ab += x * y;
    aa += x * x;
    bb += y * y;
  }
  return aa === 0 || bb === 0 ? 0 : ab / Math.sqrt(aa * bb);
}

/** Keypoints and global descriptor of an 8-bit grey image (any size; brought to the working size). */
export async function describeImage(image: GreyImage): Promise<ImageDescription> {
  if (!Number.isInteger(image.width) || !Number.isInteger(image.height) || image.width < 1 || image.height < 1) throw new TypeError('image: width and height must be positive integers');
  if (!(image.data instanceof Uint8Array) || image.data.length !== image.width * image.height) throw new TypeError('image: data must be width × height bytes (8-bit grey)');
  const cv = await loadOpenCv();
  // Small images are enlarged too, so that both sides of a match are described at one working size: a
  // document photographed small (or a small catalogued scan) otherwise yields keypoints at scales its
  // counterpart's pyramid barely reaches, which lowers its global-descriptor rank below unrelated documents.
  const s = Math.min(MAX_ENLARGEMENT, DESCRIBE_LONG_EDGE / Math.max(image.width, image.height));
  const width = Math.max(1, Math.round(image.width * s));
  const height = Math.max(1, Math.round(image.height * s));
  const features = await withMats(async (track) => {
    const full = track(new cv.Mat(image.height, image.width, cv.CV_8UC1));
    full.data.set(image.data);
    let work = full;
    if (width !== image.width || height !== image.height) {
      work = track(new cv.Mat());
      cv.resize(full, work, new cv.Size(width, height), 0, 0, s < 1 ? cv.INTER_AREA : cv.INTER_LINEAR);
    }
    return detectFeatures(cv, work, 'orb', MAX_KEYPOINTS);
  });
  const count = features.count;
  const xy = Float32Array.from(features.xy);
  const bytes = new Uint8Array(features.descriptors.buffer, features.descriptors.byteOffset, features.descriptors.byteLength);
  const wordsBytes = features.words * 4;
  const descriptors = new Uint8Array(count * ORB_BYTES);
  // detectFeatures pads each descriptor to whole 32-bit words; ORB's 32 bytes already are.
  for (let i = 0; i < count; i++) descriptors.set(bytes.subarray(i * wordsBytes, i * wordsBytes + ORB_BYTES), i * ORB_BYTES);
  return {
    method: DESCRIPTOR_METHOD,
    global: globalDescriptor(descriptors, count),
    keypoints: { count, width, height, scaleX: width / image.width, scaleY: height / image.height, xy, descriptors },
  };
}
