/**
 * Binary features (ORB, AKAZE) on a working-resolution image, copied out of
 * the WebAssembly heap into plain typed arrays so that matching runs in
 * JavaScript and nothing OpenCV-owned outlives the call.
 */
import type { Cv, Mat } from '../cv/opencv';
import { withMats } from '../cv/opencv';

export type DetectorKind = 'orb' | 'akaze';

/** The opencv-js typings omit AKAZE although the build includes it. */
interface AkazeDetector {
  setThreshold(threshold: number): void;
  detectAndCompute(image: Mat, mask: Mat, keypoints: InstanceType<Cv['KeyPointVector']>, descriptors: Mat, useProvidedKeypoints: boolean): void;
  delete(): void;
}
type CvWithAkaze = Cv & { AKAZE: new () => AkazeDetector };

export interface FeatureSet {
  readonly count: number;
  /** Keypoint positions (x0, y0, x1, y1, …) in the coordinates of the image given to the detector. */
  readonly xy: Float64Array;
  readonly response: Float32Array;
  /** Descriptors, one row of `words` 32-bit words per keypoint (zero-padded). */
  readonly descriptors: Int32Array;
  readonly words: number;
}

export const EMPTY_FEATURES: FeatureSet = {
  count: 0,
  xy: new Float64Array(0),
  response: new Float32Array(0),
  descriptors: new Int32Array(0),
  words: 0,
};

/**
 * ORB's FAST threshold is lowered from OpenCV's default: documents under
 * dim or uneven light (and working resolutions, which lower local contrast)
 * otherwise leave whole regions without corners.
 */
const ORB_FAST_THRESHOLD = 12;
/** AKAZE's default detector threshold; kept so results compare with the native anchor. */
const AKAZE_THRESHOLD = 0.001;

/**
 * Detects and describes up to `maxFeatures` keypoints (strongest first) of an
 * 8-bit single-channel Mat.
 */
export function detectFeatures(cv: Cv, image: Mat, kind: DetectorKind, maxFeatures: number): Promise<FeatureSet> {
  return withMats((track) => {
    let detector: Pick<AkazeDetector, 'detectAndCompute'>;
    if (kind === 'orb') {
      detector = track(new cv.ORB(maxFeatures, 1.2, 8, 31, 0, 2, cv.ORB_HARRIS_SCORE, 31, ORB_FAST_THRESHOLD));
    } else {
      const akaze = track(new (cv as CvWithAkaze).AKAZE());
      akaze.setThreshold(AKAZE_THRESHOLD);
      detector = akaze;
    }
    const keypoints = track(new cv.KeyPointVector());
    const descriptors = track(new cv.Mat());
    const noMask = track(new cv.Mat());
    detector.detectAndCompute(image, noMask, keypoints, descriptors, false);
    const n = keypoints.size();
    if (n === 0 || descriptors.rows !== n) return EMPTY_FEATURES;
    const order: number[] = [];
    const resp = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      resp[i] = keypoints.get(i).response;
      order.push(i);
    }
    // Stable order (response, then index) keeps results deterministic when responses tie.
    order.sort((a, b) => resp[b]! - resp[a]! || a - b);
    const kept = order.slice(0, maxFeatures);
    const bytes = descriptors.cols;
    const words = Math.ceil(bytes / 4);
    const out = new Int32Array(kept.length * words);
    const outBytes = new Uint8Array(out.buffer);
    const xy = new Float64Array(kept.length * 2);
    const response = new Float32Array(kept.length);
    const src = descriptors.data;
    kept.forEach((k, i) => {
      const kp = keypoints.get(k);
      xy[2 * i] = kp.pt.x;
      xy[2 * i + 1] = kp.pt.y;
      response[i] = kp.response;
      outBytes.set(src.subarray(k * bytes, (k + 1) * bytes), i * words * 4);
    });
    return { count: kept.length, xy, response, descriptors: out, words };
  });
}

/**
 * Features of a simulated oblique view of `image` (a view foreshortened by
 * `tilt` along the x axis when `axis` is 'x', along y when 'y'), with
 * keypoint positions mapped back into `image`'s own coordinates. Affine
 * simulation (as in ASIFT) lets features match a questioned photo taken at a
 * steep angle, where the descriptors of the frontal view no longer do.
 */
export function detectTiltedFeatures(
  cv: Cv,
  image: Mat,
  tilt: number,
  axis: 'x' | 'y',
  kind: DetectorKind,
  maxFeatures: number,
): Promise<FeatureSet> {
  return withMats(async (track) => {
    const w = axis === 'x' ? Math.max(1, Math.round(image.cols / tilt)) : image.cols;
    const h = axis === 'y' ? Math.max(1, Math.round(image.rows / tilt)) : image.rows;
    const view = track(new cv.Mat());
    // INTER_AREA averages along the compressed axis, which is the anti-aliasing the simulated view needs.
    cv.resize(image, view, new cv.Size(w, h), 0, 0, cv.INTER_AREA);
    const f = await detectFeatures(cv, view, kind, maxFeatures);
    const sx = w / image.cols;
    const sy = h / image.rows;
    for (let i = 0; i < f.count; i++) {
      f.xy[2 * i] = (f.xy[2 * i]! + 0.5) / sx - 0.5;
      f.xy[2 * i + 1] = (f.xy[2 * i + 1]! + 0.5) / sy - 0.5;
    }
    return f;
  });
}
