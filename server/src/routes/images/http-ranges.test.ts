import { decideRange, ifRangeAllows, matchesIfNoneMatch } from './http-ranges';

describe('decideRange', () => {
  it.each([
    [undefined, 1000, { kind: 'full' }],
    ['bytes=0-99', 1000, { kind: 'partial', range: { start: 0, end: 99 } }],
    ['bytes=900-', 1000, { kind: 'partial', range: { start: 900, end: 999 } }],
    ['bytes=900-5000', 1000, { kind: 'partial', range: { start: 900, end: 999 } }],
    ['bytes=-100', 1000, { kind: 'partial', range: { start: 900, end: 999 } }],
    ['bytes=-5000', 1000, { kind: 'partial', range: { start: 0, end: 999 } }],
    ['bytes=1000-', 1000, { kind: 'unsatisfiable' }],
    ['bytes=-0', 1000, { kind: 'unsatisfiable' }],
    ['bytes=0-', 0, { kind: 'unsatisfiable' }],
    // Ignored (the whole object is sent): other units, several ranges, reversed or malformed ranges.
    ['items=0-1', 1000, { kind: 'full' }],
    ['bytes=0-1,5-6', 1000, { kind: 'full' }],
    ['bytes=50-10', 1000, { kind: 'full' }],
    ['bytes=-', 1000, { kind: 'full' }],
    ['bytes=a-b', 1000, { kind: 'full' }],
  ])('%s of %d bytes', (header, size, expected) => {
    expect(decideRange(header, size)).toEqual(expected);
  });
});

describe('conditional headers', () => {
  const etag = '"abc"';
  it('If-None-Match matches the ETag in a list, weakly, or *', () => {
    expect(matchesIfNoneMatch('"abc"', etag)).toBe(true);
    expect(matchesIfNoneMatch('"x", W/"abc"', etag)).toBe(true);
    expect(matchesIfNoneMatch('*', etag)).toBe(true);
    expect(matchesIfNoneMatch('"abcd"', etag)).toBe(false);
    expect(matchesIfNoneMatch(undefined, etag)).toBe(false);
  });
  it('If-Range allows the range only for the same strong ETag', () => {
    expect(ifRangeAllows(undefined, etag)).toBe(true);
    expect(ifRangeAllows('"abc"', etag)).toBe(true);
    expect(ifRangeAllows('W/"abc"', etag)).toBe(false);
    expect(ifRangeAllows('Wed, 21 Oct 2015 07:28:00 GMT', etag)).toBe(false);
  });
});
