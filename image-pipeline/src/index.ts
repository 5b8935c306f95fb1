export { loadOpenCv, withMats } from './cv/opencv';
export type { Cv, Mat, Deletable } from './cv/opencv';
export * from './derivatives';
