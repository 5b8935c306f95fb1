/**
 * CatalogStore port: everything the services need from the metadata store.
 * Adapters: `catalog.sqlite.ts` (embedded default, better-sqlite3 + FTS5) and
 * `catalog.mongo.ts` (official driver). Both pass `catalog.contract.ts`.
 *
 * A specimen is stored as one document (captures, images and feature zones
 * embedded): reading a specimen is one lookup, and a write is one atomic
 * revision-checked replacement.
 */
import type { Specimen } from '@exemplar/specimens-schema';

/** Facets counted by `search`. Each facet's counts apply every other filter
 * but its own (disjunctive faceting), so a user sees the alternatives. */
export const FACETS = [
  'issuingState',
  'documentCategory',
  'documentCode',
  'status',
  'forgeryMethod',
  'featureType',
  'lightSource',
  'classification',
  'tags',
  'year',
] as const;
export type FacetName = (typeof FACETS)[number];

export const SORTS = ['-updatedAt', 'updatedAt', '-createdAt', 'createdAt', 'title', '-title', 'issuingState', '-issuingState', 'relevance'] as const;
export type SpecimenSort = (typeof SORTS)[number];

export interface SpecimenQuery {
  /** Free text over title, description, notes and series (word prefixes match). */
  q?: string;
  issuingState?: string[];
  documentCategory?: string[];
  documentCode?: string[];
  status?: string[];
  forgeryMethod?: string[];
  /** Feature-zone types present on any capture. */
  featureType?: string[];
  /** Light sources present on any capture. */
  lightSource?: string[];
  classification?: string[];
  /** Every tag listed must be present (AND), unlike the other facets (OR). */
  tags?: string[];
  /** Specimens whose issued years overlap [yearFrom, yearTo]. */
  yearFrom?: number;
  yearTo?: number;
  /** Specimens that imitate this one. */
  imitates?: string;
  sort?: SpecimenSort;
  /** 1..200, default 50. */
  limit?: number;
  /** Opaque, from a previous page's `nextCursor`; only valid with the same query and sort. */
  cursor?: string;
}

export interface FacetCount {
  value: string;
  count: number;
}

export interface SpecimenPage {
  items: Specimen[];
  facets: Record<FacetName, FacetCount[]>;
  total: number;
  nextCursor: string | null;
}

export interface SpecimenRepository {
  /** Inserts a new specimen as given (the service sets id, revision 1 and timestamps). CONFLICT if the id exists. */
  create(specimen: Specimen): Promise<Specimen>;
  get(id: string): Promise<Specimen | null>;
  /**
   * Replaces the stored specimen when its revision equals `expectedRevision`;
   * the stored revision becomes `next.revision` (the service sets it to expected + 1).
   * SPECIMEN_NOT_FOUND when absent, REVISION_CONFLICT (with `details.currentRevision`) when stale.
   */
  replace(id: string, expectedRevision: number, next: Specimen): Promise<Specimen>;
  /** SPECIMEN_NOT_FOUND when absent; REVISION_CONFLICT when `expectedRevision` is given and stale. */
  delete(id: string, expectedRevision?: number): Promise<void>;
  search(query: SpecimenQuery): Promise<SpecimenPage>;
  /** Every object key any specimen references (originals and derivatives), for verify and repair. */
  referencedObjectKeys(): AsyncIterable<string>;
  /** Every specimen id, in id order, for export and verify. */
  ids(): AsyncIterable<string>;
  count(): Promise<number>;
}

export interface CatalogStore {
  readonly kind: 'sqlite' | 'mongodb';
  readonly specimens: SpecimenRepository;
  /** Creates tables / collections and indexes; idempotent. */
  init(): Promise<void>;
  close(): Promise<void>;
}
