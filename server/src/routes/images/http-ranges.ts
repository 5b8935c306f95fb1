/**
 * The HTTP side of serving immutable objects: strong ETags, conditional GET
 * (If-None-Match → 304), single byte ranges (Range → 206, If-Range), and
 * 416 for a range outside the object (RFC 9110 §13–14).
 */

/** Inclusive byte positions. */
export interface ResolvedRange {
  start: number;
  end: number;
}

export type RangeDecision = { kind: 'full' } | { kind: 'partial'; range: ResolvedRange } | { kind: 'unsatisfiable' };

/**
 * Interprets a Range header for an object of `size` bytes. Anything other
 * than one well-formed `bytes=` range is ignored (the whole object is sent),
 * as RFC 9110 allows; so are multiple ranges.
 */
export function decideRange(header: string | undefined, size: number): RangeDecision {
  if (header === undefined) return { kind: 'full' };
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return { kind: 'full' };
  const [, first = '', last = ''] = m;
  if (first === '' && last === '') return { kind: 'full' };
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', range: { start: Math.max(0, size - suffix), end: size - 1 } };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (last !== '' && Number(last) < start) return { kind: 'full' };
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'partial', range: { start, end } };
}

/** True when an If-None-Match header lists this (strong) ETag or `*`; weak validators compare by their opaque part. */
export function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === etag);
}

/** If-Range with an entity tag must match strongly; a date (or anything else) is not used by this server's ETag-only scheme. */
export function ifRangeAllows(header: string | undefined, etag: string): boolean {
  return header === undefined || header.trim() === etag;
}
