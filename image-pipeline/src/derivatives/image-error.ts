/**
 * Why an image was refused. image-pipeline does not depend on the server;
 * the server maps these codes one to one onto its ExemplarError codes
 * (IMAGE_UNSUPPORTED → 415, IMAGE_TOO_LARGE → 413, IMAGE_CORRUPT → 422).
 */
export type ImageErrorCode = 'IMAGE_UNSUPPORTED' | 'IMAGE_TOO_LARGE' | 'IMAGE_CORRUPT';

const CODES: readonly string[] = ['IMAGE_UNSUPPORTED', 'IMAGE_TOO_LARGE', 'IMAGE_CORRUPT'] satisfies ImageErrorCode[];

export class ImageError extends Error {
  readonly code: ImageErrorCode;
  readonly details: Record<string, unknown>;

  constructor(code: ImageErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ImageError';
    this.code = code;
    this.details = details;
  }
}

/**
 * Also true for an ImageError passed as plain data `{ name, code, message,
 * details }`, which is how a worker must return it: structured cloning keeps
 * neither the class nor the name of a custom error.
 */
export function isImageError(err: unknown): err is ImageError {
  if (err instanceof ImageError) return true;
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { name?: unknown; code?: unknown };
  return e.name === 'ImageError' && typeof e.code === 'string' && CODES.includes(e.code);
}
