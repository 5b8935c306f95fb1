/**
 * The vote keypoints of a whole catalogue in shared memory, so that a vote
 * over every candidate sends the workers only the query: the catalogue's
 * descriptors are copied once, when an image is first seen, into
 * SharedArrayBuffer segments that every worker reads in place (as the pool
 * shares decoded capture images), instead of being structured-cloned to a
 * worker on every query.
 *
 * Segments are append-only: bytes a task may be reading are never written
 * again. A removed image only leaves its bytes unused; once more is unused
 * than used, the live entries are copied into fresh segments, and the old
 * ones go when no task holds them any more.
 */
import { ORB_BYTES, type KeypointSet } from './ops/descriptor';

/** What a vote task reads: the store's segments, and per candidate its segment, word offset and keypoint count. */
export interface VoteSelection {
  segments: readonly SharedArrayBuffer[];
  /** Three numbers per candidate; a candidate without vote keypoints has count 0 (it gets no votes). */
  entries: Int32Array;
}

interface Entry {
  segment: number;
  /** In 32-bit words. */
  offset: number;
  count: number;
}

const MIN_SEGMENT_BYTES = 256 * 1024;
const MAX_SEGMENT_BYTES = 4 * 1024 * 1024;

export class SharedVoteKeypoints {
  private segments: SharedArrayBuffer[] = [];
  /** Bytes written into the last segment. */
  private tail = 0;
  /** By key; null: known to have no vote keypoints (a missing or damaged object), so it is not read again. */
  private readonly entries = new Map<string, Entry | null>();
  private liveBytes = 0;
  private allocatedBytes = 0;

  has(key: string): boolean {
    return this.entries.has(key);
  }

  get size(): number {
    return this.entries.size;
  }

  keys(): IterableIterator<string> {
    return this.entries.keys();
  }

  /** Bytes of shared memory held (what the catalogue's votes cost per process). */
  get bytes(): number {
    return this.allocatedBytes;
  }

  /** Copies the descriptors of `keypoints` (all of them: pass the strongest subset) in; null records that the image has none. */
  set(key: string, keypoints: KeypointSet | null): void {
    this.delete(key);
    if (!keypoints || keypoints.count === 0) {
      this.entries.set(key, null);
      return;
    }
    this.entries.set(key, this.append(keypoints.descriptors.subarray(0, keypoints.count * ORB_BYTES), keypoints.count));
  }

  delete(key: string): void {
    const entry = this.entries.get(key);
    this.entries.delete(key);
    if (!entry) return;
    this.liveBytes -= entry.count * ORB_BYTES;
    const unused = this.allocatedBytes - this.liveBytes;
    if (unused > this.liveBytes && unused > MAX_SEGMENT_BYTES) this.compact();
  }

  /** The segments and the location of each key's descriptors, in the order given (unknown keys vote nothing). */
  select(keys: readonly string[]): VoteSelection {
    const entries = new Int32Array(3 * keys.length);
    keys.forEach((key, i) => {
      const e = this.entries.get(key);
      if (!e) return;
      entries[3 * i] = e.segment;
      entries[3 * i + 1] = e.offset;
      entries[3 * i + 2] = e.count;
    });
    return { segments: this.segments, entries };
  }

  private append(descriptors: Uint8Array, count: number): Entry {
    const bytes = descriptors.byteLength;
    let last = this.segments[this.segments.length - 1];
    if (!last || this.tail + bytes > last.byteLength) {
      // Segments grow with the catalogue, so a small one does not hold a large block of shared memory.
      const size = Math.max(bytes, Math.min(MAX_SEGMENT_BYTES, Math.max(MIN_SEGMENT_BYTES, this.liveBytes)));
      last = new SharedArrayBuffer(size);
      // A fresh array: tasks already posted keep the segments they were given.
      this.segments = [...this.segments, last];
      this.allocatedBytes += size;
      this.tail = 0;
    }
    new Uint8Array(last, this.tail, bytes).set(descriptors);
    const entry = { segment: this.segments.length - 1, offset: this.tail / 4, count };
    // ORB_BYTES is a multiple of 4, so every entry starts on a word.
    this.tail += bytes;
    this.liveBytes += bytes;
    return entry;
  }

  private compact(): void {
    const old = this.segments;
    const live = [...this.entries].filter((e): e is [string, Entry] => e[1] !== null);
    this.segments = [];
    this.tail = 0;
    this.liveBytes = 0;
    this.allocatedBytes = 0;
    for (const [key, e] of live) {
      const words = new Int32Array(old[e.segment]!, e.offset * 4, e.count * (ORB_BYTES / 4));
      this.entries.set(key, this.append(new Uint8Array(words.buffer, words.byteOffset, words.byteLength), e.count));
    }
  }
}
