/** The library's view of the search API (`GET /api/specimens`). */
import type { CaptureImage, Specimen } from '@exemplar/specimens-schema';
import type { ApiClient } from '../../shared/api/client';
import { byLightOrder } from '../../shared/vocabulary';

/** Facets the API counts, in the order the library shows them. */
export const FACET_NAMES = [
  'status',
  'issuingState',
  'documentCategory',
  'documentCode',
  'forgeryMethod',
  'featureType',
  'lightSource',
  'classification',
  'tags',
  'year',
] as const;
export type FacetName = (typeof FACET_NAMES)[number];

/** Facets that filter by their own name; `year` is filtered through yearFrom/yearTo instead. */
export const LIST_FILTERS = FACET_NAMES.filter((f): f is Exclude<FacetName, 'year'> => f !== 'year');
export type ListFilter = (typeof LIST_FILTERS)[number];

export const SORTS = ['relevance', '-updatedAt', 'updatedAt', 'title', '-title', 'issuingState', '-createdAt'] as const;
export type SortOrder = (typeof SORTS)[number];

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

export interface SpecimenSearch {
  q?: string;
  filters: Partial<Record<ListFilter, string[]>>;
  yearFrom?: number;
  yearTo?: number;
  sort?: SortOrder;
  imitates?: string;
}

export const PAGE_SIZE = 24;

export function searchSpecimens(api: ApiClient, search: SpecimenSearch, options: { cursor?: string; limit?: number; signal?: AbortSignal } = {}) {
  return api.get<SpecimenPage>('/api/specimens', {
    query: {
      q: search.q,
      ...search.filters,
      yearFrom: search.yearFrom,
      yearTo: search.yearTo,
      sort: search.sort,
      imitates: search.imitates,
      limit: options.limit ?? PAGE_SIZE,
      cursor: options.cursor,
    },
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

/** The image that stands for a specimen in lists: its data page (else first capture) in white light (else the first light). */
export function coverImage(specimen: Specimen): CaptureImage | undefined {
  const capture = specimen.captures.find((c) => c.page === 'data-page' && c.images.length > 0) ?? specimen.captures.find((c) => c.images.length > 0);
  if (!capture) return undefined;
  return [...capture.images].sort((a, b) => byLightOrder(a.lightSource, b.lightSource))[0];
}
