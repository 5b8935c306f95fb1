/**
 * One coded error hierarchy for the whole server. Services and stores throw
 * `ExemplarError`s; the HTTP layer maps `status` and answers
 * `{ code, message, details }`; anything else becomes a 500 whose internals are
 * hidden. The CLI prints `message` and exits non-zero.
 */
export const ERROR_STATUS = {
  VALIDATION_FAILED: 400,
  BAD_REQUEST: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  /** An alert's approver drafted or edited it: a second examiner must approve. */
  FOUR_EYES_REQUIRED: 403,
  /** A cookie-authenticated change without the session's CSRF token. */
  CSRF_FAILED: 403,
  NOT_FOUND: 404,
  SPECIMEN_NOT_FOUND: 404,
  CAPTURE_NOT_FOUND: 404,
  IMAGE_NOT_FOUND: 404,
  OBJECT_NOT_FOUND: 404,
  JOB_NOT_FOUND: 404,
  REVISION_CONFLICT: 409,
  CONFLICT: 409,
  /** The action is not allowed in the alert's current status (e.g. editing a published alert). */
  ALERT_STATE: 409,
  PAYLOAD_TOO_LARGE: 413,
  IMAGE_TOO_LARGE: 413,
  /** A register CSV import over its size limit (split the file). */
  CSV_TOO_LARGE: 413,
  RANGE_NOT_SATISFIABLE: 416,
  IMAGE_UNSUPPORTED: 415,
  UNSUPPORTED_MEDIA_TYPE: 415,
  IMAGE_CORRUPT: 422,
  ALIGNMENT_FAILED: 422,
  UNPROCESSABLE: 422,
  /** An exchange package signed by a key that is not a trusted (unrevoked) partner key. */
  UNTRUSTED_SIGNER: 422,
  /** An exchange package whose signature does not verify. */
  SIGNATURE_INVALID: 422,
  /** An exchange package that is not a well-formed, complete package (bad zip or manifest, a file missing, extra or not matching its hash). */
  PACKAGE_INVALID: 422,
  RATE_LIMITED: 429,
  QUEUE_FULL: 503,
  /**
   * Other writers kept taking and letting go of evidence holds on the specimen
   * while a delete (or a hold) was checking them: nothing was found in its way,
   * but it could not get a moment to write. Retryable: details.retryAfterSeconds
   * (Retry-After).
   */
  SPECIMEN_BUSY: 503,
  /**
   * The catalog database did not confirm a write in time (MongoDB: its write
   * concern not satisfied within MONGODB_WRITE_TIMEOUT_MS). The write may or
   * may not be kept (details.committed 'unknown'), or was not made when only
   * a step before it timed out (committed false). Retryable:
   * details.retryAfterSeconds (Retry-After).
   */
  STORE_UNAVAILABLE: 503,
  INTEGRITY_FAILED: 500,
  INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class ExemplarError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ExemplarError';
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.details = details;
  }
}

export function isExemplarError(err: unknown): err is ExemplarError {
  return err instanceof ExemplarError;
}

/**
 * Whether a failed write may still have been kept: saved but not recorded
 * in the audit trail (`committed: true`), or not confirmed by the store
 * (`committed: 'unknown'`). Whatever such a write references (stored
 * objects) must stay; removing it could leave a record naming a missing object.
 */
export function mayHaveBeenWritten(err: unknown): boolean {
  return isExemplarError(err) && (err.details.committed === true || err.details.committed === 'unknown');
}

/** A write the store did not confirm in time: applied on its primary, kept unless that primary fails (see stores/mongo-errors.ts). */
export function isUnconfirmedWrite(err: unknown): err is ExemplarError {
  return isExemplarError(err) && err.code === 'STORE_UNAVAILABLE' && err.details.committed === 'unknown';
}

export const notFound = (code: Extract<ErrorCode, `${string}NOT_FOUND`>, what: string, details: Record<string, unknown> = {}) =>
  new ExemplarError(code, `${what} not found`, details);
