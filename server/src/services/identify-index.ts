/**
 * The identification descriptors of the whole catalogue, in memory, per
 * process: a query scores every candidate image against it instead of
 * reading every specimen record from the catalog.
 *
 * Freshness: before each query the catalog's change marker is asked which
 * specimens were written or deleted since the index last looked
 * (`changedSince`); only those are read again, and a deleted one is dropped.
 * When the catalog cannot list the changes (a first build, or a marker older
 * than its change history) the index is rebuilt from a full scan. Writes of
 * other processes sharing the catalog are seen the same way.
 *
 * The index holds every classification: visibility is decided per query by
 * the caller (hidden specimens are never candidates), as is the MRZ filter.
 * Only descriptors of the current method are indexed: an image described by
 * another version (`exemplar identify reindex` brings it up to date) is no
 * candidate, since its descriptor does not compare with the query's.
 */
import { DESCRIPTOR_METHOD, GLOBAL_DESCRIPTOR_LENGTH } from '@exemplar/image-pipeline';
import type { ImageIdentification, Specimen } from '@exemplar/specimens-schema';
import type { CatalogStore, SpecimenQuery } from '../stores/catalog.port';
import { MAX_LIMIT } from '../stores/catalog.search';

/** Past this many changed specimens a full scan (paged) is cheaper than reading each. */
const MAX_INCREMENTAL_CHANGES = 500;

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
  /** The catalog's change marker the index reflects (-1: never built). */
  private marker = -1;
  private changes = 0;
  private refreshing: Promise<void> | undefined;

  constructor(private readonly catalog: CatalogStore) {}

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

  /** Grows whenever the indexed specimens change (what a cache of per-image data compares to drop what left). */
  get version(): number {
    return this.changes;
  }

  /** The keypoint object key of every indexed image. */
  *keypointKeys(): Generator<string> {
    for (const s of this.specimens.values()) for (const image of s.images) yield image.keypoints;
  }

  private async update(): Promise<void> {
    const changed = await this.catalog.specimens.changedSince(this.marker);
    if (changed.reset || changed.changes.length > MAX_INCREMENTAL_CHANGES) {
      // The marker is read before the scan: a write landing during it is listed again next time.
      await this.rebuild();
      this.marker = changed.marker;
      this.changes++;
      return;
    }
    for (const { id, revision } of changed.changes) {
      if (revision === null) {
        if (this.specimens.delete(id)) this.changes++;
        continue;
      }
      if (this.specimens.get(id)?.revision === revision) continue;
      const s = await this.catalog.specimens.get(id);
      if (s) this.specimens.set(id, indexSpecimen(s));
      else this.specimens.delete(id);
      this.changes++;
    }
    this.marker = changed.marker;
  }

  private async rebuild(): Promise<void> {
    const next = new Map<string, IndexedSpecimen>();
    for await (const s of everySpecimen(this.catalog)) next.set(s.id, indexSpecimen(s));
    this.specimens.clear();
    for (const [id, s] of next) this.specimens.set(id, s);
  }
}

/** Every specimen record of the catalogue, a page at a time (a full scan: the index's rebuild, the reindex). */
export async function* everySpecimen(catalog: CatalogStore): AsyncGenerator<Specimen> {
  const query: SpecimenQuery = { limit: MAX_LIMIT, sort: 'createdAt' };
  for (let cursor: string | undefined; ; ) {
    const page = await catalog.specimens.search(cursor ? { ...query, cursor } : query);
    yield* page.items;
    if (!page.nextCursor) return;
    cursor = page.nextCursor;
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
