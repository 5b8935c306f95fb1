export { loadOpenCv, withMats } from './cv/opencv';
export type { Cv, Mat, Deletable } from './cv/opencv';
export { alignImages, refineAlignment, DEFAULT_ALIGN_OPTIONS } from './ops/align';
export type { AlignOptions, AlignResult, AlignSuccess, AlignFailure, AlignFailureReason, AlignTimings, AlignDiagnostics, GreyImage, ZoneRect } from './ops/align-types';
export { applyHomography, composeHomographies, invertHomography, cornerError, resampleMatrix, homographyToLevel, homographyFromLevel, normalizeHomography, isHomography } from './ops/geometry';
export type { Homography } from './ops/geometry';
export * from './derivatives';
export * from './synth';
