/**
 * The behaviour every ObjectStore adapter must show, run by each adapter's
 * test file against a real backend (a temp folder, s3rver on loopback).
 */
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { readStream } from '../read-stream';
import { compareKeys } from './objects.common';
import type { ObjectStat, ObjectStore } from './objects.port';

export interface ObjectStoreHarness {
  /** A fresh, initialised, empty store. */
  store: ObjectStore;
  /** What the adapter keeps beside the visible objects (temp files, spool files); empty whenever no put is running. */
  leftovers(): Promise<string[]>;
  dispose(): Promise<void>;
}

export const readAll = (stream: Readable): Promise<Buffer> => readStream(stream);

export async function listAll(store: ObjectStore, prefix?: string): Promise<ObjectStat[]> {
  const out: ObjectStat[] = [];
  for await (const item of store.list(prefix)) out.push(item);
  return out;
}

export const sha256Of = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** Streams `data` in small chunks, as an upload arrives. */
export function chunked(data: Buffer, chunkSize = 64 * 1024): Readable {
  return Readable.from(
    (function* () {
      for (let i = 0; i < data.length; i += chunkSize) yield data.subarray(i, i + chunkSize);
    })(),
  );
}

/** Emits `good` bytes and then fails, as a client that disconnects mid-upload. */
function failingAfter(good: Buffer): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (!sent) {
        sent = true;
        this.push(good);
      } else {
        this.destroy(new Error('client went away'));
      }
    },
  });
}

const BAD_KEYS = ['', '../escape', 'a/../../escape', '/etc/passwd', 'a\\b', 'a//b', 'a/', '.hidden', 'a/./b', 'a/.tmp/x', 'nul\u0000byte'];

export function describeObjectStoreContract(name: string, open: () => Promise<ObjectStoreHarness>): void {
  describe(`ObjectStore contract: ${name}`, () => {
    let h: ObjectStoreHarness;
    let store: ObjectStore;

    beforeEach(async () => {
      h = await open();
      store = h.store;
    });
    afterEach(async () => {
      await h.dispose();
    });

    const expectNothingStored = async (key: string) => {
      expect(await store.stat(key)).toBeNull();
      expect(await listAll(store)).toEqual([]);
      expect(await h.leftovers()).toEqual([]);
    };

    test('a multi-MB streamed body is stored byte-exact with its SHA-256', async () => {
      const data = randomBytes(6 * 1024 * 1024 + 123);
      const key = `originals/${sha256Of(data).slice(0, 2)}/${sha256Of(data)}`;
      const put = await store.put(key, chunked(data), { contentType: 'image/tiff', bytes: data.length });
      expect(put).toEqual({ key, sha256: sha256Of(data), bytes: data.length, created: true });
      const back = await readAll(await store.get(key));
      expect(back.length).toBe(data.length);
      expect(back.equals(data)).toBe(true);
      expect(await h.leftovers()).toEqual([]);
    });

    test('a streamed body of unknown length is stored too', async () => {
      const data = randomBytes(3 * 1024 * 1024 + 7);
      const put = await store.put('comparisons/job-1/diff.png', chunked(data, 10_000));
      expect(put.sha256).toBe(sha256Of(data));
      expect(put.bytes).toBe(data.length);
      expect((await readAll(await store.get('comparisons/job-1/diff.png'))).equals(data)).toBe(true);
    });

    test('stat reports size, content type and modification time; absent keys are null', async () => {
      const before = Date.now() - 5_000;
      await store.put('derivatives/ab/abc/preview.jpg', Buffer.from('jpeg bytes'), { contentType: 'image/jpeg' });
      const stat = await store.stat('derivatives/ab/abc/preview.jpg');
      expect(stat).toMatchObject({ key: 'derivatives/ab/abc/preview.jpg', bytes: 10, contentType: 'image/jpeg' });
      expect(stat?.lastModified).toBeInstanceOf(Date);
      expect(stat?.lastModified.getTime()).toBeGreaterThan(before);
      expect(await store.stat('derivatives/ab/abc/missing.jpg')).toBeNull();
      // A "folder" of keys is not an object.
      expect(await store.stat('derivatives/ab/abc')).toBeNull();
    });

    test('an empty body is an object of zero bytes', async () => {
      const put = await store.put('empty/object', Buffer.alloc(0));
      expect(put).toMatchObject({ bytes: 0, sha256: sha256Of(Buffer.alloc(0)), created: true });
      expect((await readAll(await store.get('empty/object'))).length).toBe(0);
      await expect(store.get('empty/object', { start: 0 })).rejects.toMatchObject({ code: 'RANGE_NOT_SATISFIABLE' });
    });

    describe('byte ranges', () => {
      const data = Buffer.from(Array.from({ length: 10_000 }, (_, i) => (i * 7 + (i >> 8)) & 0xff));
      beforeEach(async () => {
        await store.put('originals/aa/ranged', data);
      });

      test.each([
        ['the first byte', { start: 0, end: 0 }, [0, 1]],
        ['a middle span', { start: 1234, end: 5678 }, [1234, 5679]],
        ['from an offset to the end', { start: 9_990 }, [9_990, 10_000]],
        ['the last byte', { start: 9_999, end: 9_999 }, [9_999, 10_000]],
        ['an end past the last byte, clamped', { start: 9_000, end: 20_000 }, [9_000, 10_000]],
        ['the whole object', { start: 0 }, [0, 10_000]],
      ])('%s', async (_label, range, [from, to]) => {
        const got = await readAll(await store.get('originals/aa/ranged', range));
        expect(got.equals(data.subarray(from, to))).toBe(true);
      });

      test.each([
        ['a start at the size', { start: 10_000 }],
        ['a start past the end', { start: 20_000, end: 20_010 }],
        ['an end before the start', { start: 10, end: 9 }],
        ['a negative start', { start: -1 }],
        ['a fractional start', { start: 1.5 }],
      ])('%s is not satisfiable', async (_label, range) => {
        await expect(store.get('originals/aa/ranged', range)).rejects.toMatchObject({ code: 'RANGE_NOT_SATISFIABLE' });
      });

      test('a range of an absent object is OBJECT_NOT_FOUND', async () => {
        await expect(store.get('originals/aa/absent', { start: 0, end: 1 })).rejects.toMatchObject({ code: 'OBJECT_NOT_FOUND' });
      });
    });

    test('get of an absent object is OBJECT_NOT_FOUND', async () => {
      await expect(store.get('originals/aa/absent')).rejects.toMatchObject({ code: 'OBJECT_NOT_FOUND', status: 404 });
    });

    test('a put to an existing key keeps the stored object', async () => {
      const first = Buffer.from('the original bytes');
      const key = `originals/${sha256Of(first).slice(0, 2)}/${sha256Of(first)}`;
      expect((await store.put(key, first, { expectedSha256: sha256Of(first) })).created).toBe(true);

      const again = await store.put(key, chunked(first, 4), { expectedSha256: sha256Of(first) });
      expect(again).toEqual({ key, sha256: sha256Of(first), bytes: first.length, created: false });

      const other = Buffer.from('different bytes');
      expect((await store.put(key, other)).created).toBe(false);
      expect((await readAll(await store.get(key))).equals(first)).toBe(true);
      expect((await listAll(store)).map((s) => s.key)).toEqual([key]);
      expect(await h.leftovers()).toEqual([]);
    });

    test('an existing object that is not the expected one is INTEGRITY_FAILED and stays', async () => {
      const stored = Buffer.from('bytes someone stored earlier');
      const sent = Buffer.from('bytes the caller sends now');
      await store.put('originals/ab/clash', stored);
      await expect(store.put('originals/ab/clash', sent, { expectedSha256: sha256Of(sent) })).rejects.toMatchObject({
        code: 'INTEGRITY_FAILED',
        details: { key: 'originals/ab/clash', expectedSha256: sha256Of(sent), storedSha256: sha256Of(stored) },
      });
      expect((await readAll(await store.get('originals/ab/clash'))).equals(stored)).toBe(true);
    });

    test('a body that misses expectedSha256 leaves nothing behind', async () => {
      const data = randomBytes(2 * 1024 * 1024 + 5);
      const claimed = sha256Of(Buffer.from('something else'));
      const key = `originals/${claimed.slice(0, 2)}/${claimed}`;
      await expect(store.put(key, chunked(data), { expectedSha256: claimed })).rejects.toMatchObject({
        code: 'INTEGRITY_FAILED',
        details: { key, expectedSha256: claimed, sha256: sha256Of(data) },
      });
      await expectNothingStored(key);
    });

    test('a body shorter than its declared length leaves nothing behind', async () => {
      const data = randomBytes(1000);
      await expect(store.put('originals/aa/short', data, { bytes: 1001 })).rejects.toMatchObject({ code: 'INTEGRITY_FAILED' });
      await expectNothingStored('originals/aa/short');
    });

    test('a body that fails mid-stream leaves nothing behind', async () => {
      await expect(store.put('originals/aa/broken', failingAfter(randomBytes(3 * 1024 * 1024)))).rejects.toThrow('client went away');
      await expectNothingStored('originals/aa/broken');
    });

    test('a body aborted mid-stream leaves nothing behind', async () => {
      const body = new Readable({ read() {} });
      const pending = store.put('originals/aa/aborted', body);
      body.push(randomBytes(100_000));
      setImmediate(() => body.destroy());
      await expect(pending).rejects.toThrow();
      await expectNothingStored('originals/aa/aborted');
    });

    test('malformed put options are BAD_REQUEST before anything is read', async () => {
      await expect(store.put('originals/aa/x', Buffer.from('x'), { expectedSha256: 'ABC' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
      await expect(store.put('originals/aa/x', Buffer.from('x'), { bytes: -1 })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
      await expectNothingStored('originals/aa/x');
    });

    test('delete removes the object and is idempotent', async () => {
      await store.put('derivatives/ab/abc/thumbnail.webp', Buffer.from('thumb'));
      await store.put('derivatives/ab/abc/preview.jpg', Buffer.from('preview'));
      await store.delete('derivatives/ab/abc/thumbnail.webp');
      expect(await store.stat('derivatives/ab/abc/thumbnail.webp')).toBeNull();
      await expect(store.get('derivatives/ab/abc/thumbnail.webp')).rejects.toMatchObject({ code: 'OBJECT_NOT_FOUND' });
      await store.delete('derivatives/ab/abc/thumbnail.webp');
      await store.delete('never/existed');
      expect((await listAll(store)).map((s) => s.key)).toEqual(['derivatives/ab/abc/preview.jpg']);
      // The key can be written afresh once deleted.
      expect((await store.put('derivatives/ab/abc/thumbnail.webp', Buffer.from('new thumb'))).created).toBe(true);
      expect((await readAll(await store.get('derivatives/ab/abc/thumbnail.webp'))).toString()).toBe('new thumb');
    });

    test('list yields every object under a prefix, in key order, with sizes', async () => {
      const keys = [
        'originals/cd/cdef',
        'derivatives/ab/abc/tiles_files/10/0_0.jpeg',
        'derivatives/ab/abc/thumbnail.webp',
        'comparisons/job-2/report.json',
        'derivatives/ab/abc/tiles_files/9/1_0.jpeg',
        'originals/ab/abcd',
        'derivatives/ab/abc/tiles.dzi',
        'derivatives/ab/abd/preview.jpg',
        'derivatives/ab/abc/tiles_files/9/0_0.jpeg',
      ];
      for (const [i, key] of keys.entries()) await store.put(key, Buffer.alloc(i + 1, i));
      const sorted = [...keys].sort(compareKeys);

      const all = await listAll(store);
      expect(all.map((s) => s.key)).toEqual(sorted);
      for (const item of all) {
        expect(item.bytes).toBe(keys.indexOf(item.key) + 1);
        expect(item.lastModified).toBeInstanceOf(Date);
      }
      const keysUnder = async (prefix: string) => (await listAll(store, prefix)).map((s) => s.key);
      expect(await keysUnder('')).toEqual(sorted);
      expect(await keysUnder('derivatives/ab/abc/')).toEqual(sorted.filter((k) => k.startsWith('derivatives/ab/abc/')));
      expect(await keysUnder('derivatives/ab/abc/tiles_')).toEqual([
        'derivatives/ab/abc/tiles_files/10/0_0.jpeg',
        'derivatives/ab/abc/tiles_files/9/0_0.jpeg',
        'derivatives/ab/abc/tiles_files/9/1_0.jpeg',
      ]);
      expect(await keysUnder('derivatives/ab/ab')).toHaveLength(6);
      expect(await keysUnder('originals/c')).toEqual(['originals/cd/cdef']);
      expect(await keysUnder('originals/ab/abcd')).toEqual(['originals/ab/abcd']);
      expect(await keysUnder('nothing/here/')).toEqual([]);
    });

    test.each(BAD_KEYS)('the key %j is BAD_REQUEST everywhere', async (key) => {
      await expect(store.put(key, Buffer.from('x'))).rejects.toMatchObject({ code: 'BAD_REQUEST', status: 400 });
      await expect(store.get(key)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
      await expect(store.stat(key)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
      await expect(store.delete(key)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
      expect(await listAll(store)).toEqual([]);
    });

    test.each(['../', '/abs', 'a/../', 'a\\b', '..'])('the list prefix %j is BAD_REQUEST', async (prefix) => {
      await expect(listAll(store, prefix)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    });

    test('init is idempotent and keeps stored objects', async () => {
      await store.put('originals/aa/kept', Buffer.from('kept'));
      await store.init();
      expect((await readAll(await store.get('originals/aa/kept'))).toString()).toBe('kept');
    });
  });
}
