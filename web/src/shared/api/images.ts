/** Addresses of stored images (originals are addressed by SHA-256, derivatives beside them). */
import type { CaptureImage } from '@exemplar/specimens-schema';
import type { ApiClient } from './client';

export const imagePaths = {
  original: (sha256: string) => `/api/images/${sha256}`,
  thumbnail: (sha256: string) => `/api/images/${sha256}/thumbnail`,
  preview: (sha256: string) => `/api/images/${sha256}/preview`,
  /** The deep-zoom descriptor; tiles are fetched relative to it. */
  dzi: (sha256: string) => `/api/images/${sha256}/tiles/image.dzi`,
};

/** What a viewer should open for a stored image: deep-zoom tiles when the ingest made them, else the preview. */
export type ImageSource =
  | { kind: 'dzi'; url: string; width: number; height: number }
  | { kind: 'image'; url: string; width: number; height: number };

export function captureImageSource(api: ApiClient, image: CaptureImage): ImageSource {
  return image.derivatives.dzi
    ? { kind: 'dzi', url: api.url(imagePaths.dzi(image.sha256)), width: image.width, height: image.height }
    : { kind: 'image', url: api.url(imagePaths.preview(image.sha256)), width: image.width, height: image.height };
}
