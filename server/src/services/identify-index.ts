/**
 * The identification descriptors of the whole catalogue, in memory, per
 * process: a query scores every candidate image against it instead of
 * reading every specimen record from the catalog.
 *
 * Freshness without a change feed: before each query a cheap signature of the
 * catalogue (its specimen count and the most recently updated specimen's id,
 * revision and update time) is compared with the one the index was built from.
 * Every write to a specimen moves its `updatedAt` forward (the service never
 * lets it go back), so when the signature differs only specimens updated since
 * the newest one indexed — less a margin for the clocks of other processes
 * sharing the catalog — are read again, newest first; a count that no longer
 * matches means deletions, found through the id list. Another process's write
 * stamped earlier than that margin could be missed until the next full
 * rebuild, which runs every FULL_REBUILD_MS as a safety net.
 *
 * The index holds every classification: visibility is decided per query by
 * the caller (hidden specimens are never candidates), as is the MRZ filter.
 */
import { DESCRIPTOR_METHOD, GLOBAL_DESCRIPTOR_LENGTH } from '@exemplar/image-pipeline';
import type { ImageIdentification, Specimen } from '@exemplar/specimens-schema';
import type { CatalogStore, SpecimenQuery } from '../stores/catalog.port';
import { MAX_LIMIT } from '../stores/catalog.search';

/** Writes of other processes stamped up to this long before the newest indexed update are still picked up. */
const CLOCK_SKEW_MS = 5 * 60_000;
const FULL_REBUILD_MS = 15 * 60_000;

/** One catalogued image identification can use. */
export interface IndexedImage {
  specimenId: string;
  captureId: string;
  lightSource: string;
  page: Specimen['captures'][number]['page'];
  /** Object key of the image's keypoints. */
  keypoints: ImageIdentification['keypoints'];
  /** The global descriptor, decoded once (the record's base64 text is not kept: the index holds every image). */
  descriptor: Uint8Array;
  /** Its Euclidean norm (0 for an empty descriptor). */
  norm: number;
}

/** What a query needs of a specimen besides its images. */
export interface IndexedSpecimen {
  id: string;
  revision: number;
  updatedAt: string;
  classification: string;
  issuingState: Specimen['issuingState'];
  documentCode: Specimen['documentCode'];
  title: string;
  status: Specimen['status'];
  images: IndexedImage[];
}

export interface IndexFilter {
  classifications: readonly string[];
  issuingState?: string | undefined;
  documentCode?: string | undefined;
}

function indexSpecimen(s: Specimen): IndexedSpecimen {
  const images: IndexedImage[] = [];
  for (const capture of s.captures) {
    for (const image of capture.images) {
      const identification = image.identification;
      if (identification?.method !== DESCRIPTOR_METHOD) continue;
      const descriptor = new Uint8Array(Buffer.from(identification.descriptor, 'base64'));
      if (descriptor.length !== GLOBAL_DESCRIPTOR_LENGTH) continue;
      images.push({ specimenId: s.id, captureId: capture.id, lightSource: image.lightSource, page: capture.page, keypoints: identification.keypoints, descriptor, norm: descriptorNorm(descriptor) });
    }
  }
  return {
    id: s.id,
    revision: s.revision,
    updatedAt: s.updatedAt,
    classification: s.classification ?? 'public',
    issuingState: s.issuingState,
    documentCode: s.documentCode,
    title: s.title,
    status: s.status,
    images,
  };
}

export class IdentifyIndex {
  private readonly specimens = new Map<string, IndexedSpecimen>();
  private signature: string | undefined;
  private newestUpdate = '';
  private builtAt = 0;
  private refreshing: Promise<void> | undefined;

  constructor(
    private readonly catalog: CatalogStore,
    private readonly now: () => number = Date.now,
  ) {}

  /** Brings the index up to date with the catalog (concurrent callers share one refresh). */
  async refresh(): Promise<void> {
    // Single flight: a query arriving during a refresh waits for it, then checks again (a write may have landed meanwhile).
    while (this.refreshing) await this.refreshing.catch(() => undefined);
    this.refreshing = this.update();
    try {
      await this.refreshing;
    } finally {
      this.refreshing = undefined;
    }
  }

  /** Specimens a query may consider, with at least one indexed image. */
  *candidates(filter: IndexFilter): Generator<IndexedSpecimen> {
    if (filter.classifications.length === 0) return;
    // The MRZ gives the full code (e.g. "IR"); a specimen may be catalogued under its first letter only.
    const codes = filter.documentCode ? new Set([filter.documentCode, filter.documentCode.slice(0, 1)]) : undefined;
    for (const s of this.specimens.values()) {
      if (s.images.length === 0 || !filter.classifications.includes(s.classification)) continue;
      if (filter.issuingState && s.issuingState !== filter.issuingState) continue;
      if (codes && (s.documentCode === undefined || !codes.has(s.documentCode))) continue;
      yield s;
    }
  }

  get size(): number {
    return this.specimens.size;
  }

  private async update(): Promise<void> {
    const [count, newest] = await Promise.all([this.catalog.specimens.count(), this.catalog.specimens.search({ sort: '-updatedAt', limit: 1 })]);
    const s = newest.items[0];
    const signature = s ? `${count}|${s.id}|${s.revision}|${s.updatedAt}` : `${count}`;
    const stale = this.now() - this.builtAt >= FULL_REBUILD_MS;
    if (signature === this.signature && !stale) return;
    if (this.signature === undefined || stale) await this.rebuild();
    else await this.catchUp(count);
    this.signature = signature;
  }

  private async rebuild(): Promise<void> {
    const builtAt = this.now();
    const next = new Map<string, IndexedSpecimen>();
    let newest = '';
    await this.scan({ limit: MAX_LIMIT, sort: 'createdAt' }, (s) => {
      next.set(s.id, indexSpecimen(s));
      if (s.updatedAt > newest) newest = s.updatedAt;
      return true;
    });
    this.specimens.clear();
    for (const [id, s] of next) this.specimens.set(id, s);
    this.newestUpdate = newest;
    this.builtAt = builtAt;
  }

  /** `count`: the catalog's specimen count just read for the signature (not read again). */
  private async catchUp(count: number): Promise<void> {
    const since = this.newestUpdate ? new Date(Date.parse(this.newestUpdate) - CLOCK_SKEW_MS).toISOString() : '';
    let newest = this.newestUpdate;
    await this.scan({ limit: MAX_LIMIT, sort: '-updatedAt' }, (s) => {
      if (s.updatedAt < since) return false;
      const known = this.specimens.get(s.id);
      if (!known || known.revision !== s.revision || known.updatedAt !== s.updatedAt) this.specimens.set(s.id, indexSpecimen(s));
      if (s.updatedAt > newest) newest = s.updatedAt;
      return true;
    });
    this.newestUpdate = newest;
    if (count !== this.specimens.size) {
      const present = new Set<string>();
      for await (const id of this.catalog.specimens.ids()) present.add(id);
      for (const id of [...this.specimens.keys()]) if (!present.has(id)) this.specimens.delete(id);
      // A specimen created and another deleted in the same interval, or a write older than the margin: start again.
      if (present.size !== this.specimens.size) await this.rebuild();
    }
  }

  /** Pages through a query until `visit` returns false. */
  private async scan(query: SpecimenQuery, visit: (s: Specimen) => boolean): Promise<void> {
    for (let cursor: string | undefined; ; ) {
      const page = await this.catalog.specimens.search(cursor ? { ...query, cursor } : query);
      for (const s of page.items) if (!visit(s)) return;
      if (!page.nextCursor) return;
      cursor = page.nextCursor;
    }
  }
}

/** Euclidean norm of a global descriptor, computed once per side for `indexedSimilarity`. */
export function descriptorNorm(descriptor: Uint8Array): number {
  let sq = 0;
  for (let i = 0; i < descriptor.length; i++) sq += descriptor[i]! * descriptor[i]!;
  return Math.sqrt(sq);
}

/** Cosine similarity of a query descriptor (with its norm) and an indexed image, in [0, 1]. */
export function indexedSimilarity(query: Uint8Array, queryNorm: number, image: IndexedImage): number {
  if (queryNorm === 0 || image.norm === 0) return 0;
  const d = image.descriptor;
  let dot = 0;
  for (let i = 0; i < d.length; i++) dot += query[i]! * d[i]!;
  return dot / (queryNorm * image.norm);
}
