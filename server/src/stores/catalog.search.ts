/**
 * The search model both catalog adapters share: how a specimen is indexed
 * (facet values, issued years, words, sort keys, object keys), how a query is
 * validated and normalised, and the cursor format. Keeping these pure and in
 * one place is what makes the SQLite and MongoDB adapters give the same
 * answers; the adapters only decide how to evaluate them.
 */
import { createHash } from 'node:crypto';
import type { Specimen } from '@exemplar/specimens-schema';
import { ExemplarError } from '../errors';
import { FACETS, SORTS, type FacetCount, type FacetName, type SpecimenQuery, type SpecimenSort } from './catalog.port';
import { objectKeys } from './objects.port';

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 200;
export const MAX_QUERY_CHARS = 1000;
export const MAX_QUERY_TERMS = 16;
export const MAX_FILTER_VALUES = 100;
export const MAX_FILTER_VALUE_CHARS = 200;
/** Longer words are cut, in the index and in queries alike, to bound index entries. */
export const MAX_TOKEN_CHARS = 64;

/** Facets whose filter is a list of values (every facet but `year`, which is filtered by a range). */
export type ValueFacet = Exclude<FacetName, 'year'>;
export const VALUE_FACETS = FACETS.filter((f): f is ValueFacet => f !== 'year');
/** Value facets whose filter is an OR of the values, counted disjunctively. `tags` is an AND. */
export const OR_FACETS = VALUE_FACETS.filter((f) => f !== 'tags');
export const TEXT_FIELDS = ['title', 'series', 'description', 'notes'] as const;
export type TextField = (typeof TEXT_FIELDS)[number];

/** Lower case, accents and compatibility forms folded, split on anything but letters and digits. */
export function tokenize(text: string | undefined | null): string[] {
  if (!text) return [];
  const folded = text.normalize('NFKD').replace(/\p{M}+/gu, '').toLowerCase();
  const words = folded.match(/[\p{L}\p{N}]+/gu) ?? [];
  return words.map((w) => (w.length > MAX_TOKEN_CHARS ? w.slice(0, MAX_TOKEN_CHARS) : w));
}

/** What the adapters index about one specimen. */
export interface SpecimenIndexFields {
  id: string;
  revision: number;
  /** Every value facet, each a sorted list of distinct values. */
  facets: Record<ValueFacet, string[]>;
  /** First and last year of issue; `yearTo` null means still issued (or unknown end). Both null: no years. */
  yearFrom: number | null;
  yearTo: number | null;
  words: Record<TextField, string[]>;
  titleKey: string;
  createdAt: number;
  updatedAt: number;
  imitates: string | null;
  /** Distinct, sorted. */
  objectKeys: string[];
}

const distinctSorted = (values: Iterable<string | undefined | null>): string[] =>
  [...new Set([...values].filter((v): v is string => typeof v === 'string' && v.length > 0))].sort();

const epochMs = (iso: string | undefined): number => {
  const t = iso ? Date.parse(iso) : NaN;
  return Number.isFinite(t) ? t : 0;
};

export function indexFields(s: Specimen): SpecimenIndexFields {
  const captures = s.captures ?? [];
  const images = captures.flatMap((c) => c.images ?? []);
  const zones = captures.flatMap((c) => c.zones ?? []);
  const from = s.issued?.from ?? null;
  const to = s.issued?.to ?? null;
  let yearFrom = from ?? to;
  let yearTo = to;
  if (yearFrom !== null && yearTo !== null && yearTo < yearFrom) [yearFrom, yearTo] = [yearTo, yearFrom];
  const keys: string[] = [];
  for (const image of images) {
    keys.push(objectKeys.original(image.sha256));
    const { thumbnail, preview, dzi } = image.derivatives ?? {};
    for (const key of [thumbnail, preview, dzi]) if (key) keys.push(key);
  }
  const words = {
    title: tokenize(s.title),
    series: tokenize(s.series),
    description: tokenize(s.description),
    notes: tokenize(s.notes),
  };
  return {
    id: s.id,
    revision: s.revision,
    facets: {
      issuingState: distinctSorted([s.issuingState]),
      documentCategory: distinctSorted([s.documentCategory]),
      documentCode: distinctSorted([s.documentCode]),
      status: distinctSorted([s.status]),
      forgeryMethod: distinctSorted(s.forgeryMethods ?? []),
      featureType: distinctSorted(zones.map((z) => z.type)),
      lightSource: distinctSorted(images.map((i) => i.lightSource)),
      classification: distinctSorted([s.classification]),
      tags: distinctSorted((s.tags ?? []).map((t) => t.toLowerCase())),
    },
    yearFrom,
    yearTo,
    words,
    titleKey: words.title.join(' '),
    createdAt: epochMs(s.createdAt),
    updatedAt: epochMs(s.updatedAt),
    imitates: s.imitates ?? null,
    objectKeys: distinctSorted(keys),
  };
}

export const currentYear = (): number => new Date().getUTCFullYear();

// ---------------------------------------------------------------- queries

export type SortField = 'updatedAt' | 'createdAt' | 'titleKey' | 'issuingState' | 'relevance';
/** Sort keys are compared in order, then the id; all in `direction`. */
export type SortKeyValues = (number | string)[];

export interface SortPlan {
  sort: SpecimenSort;
  /** `relevance` sorts by [score, updatedAt]. */
  field: SortField;
  direction: 1 | -1;
}

export interface NormalizedQuery {
  terms: string[];
  /** Only facets with at least one value. */
  filters: Partial<Record<ValueFacet, string[]>>;
  yearFrom: number | null;
  yearTo: number | null;
  imitates: string | null;
  sort: SortPlan;
  limit: number;
  /** The last item of the previous page: results start strictly after it. */
  after: { values: SortKeyValues; id: string } | null;
  /** Identifies the query and sort a cursor belongs to. */
  fingerprint: string;
}

const bad = (message: string, details: Record<string, unknown> = {}) => new ExemplarError('BAD_REQUEST', message, details);

function sortPlan(sort: SpecimenSort, hasTerms: boolean): SortPlan {
  switch (sort) {
    case 'relevance':
      return hasTerms ? { sort, field: 'relevance', direction: -1 } : { sort: '-updatedAt', field: 'updatedAt', direction: -1 };
    case 'title':
    case '-title':
      return { sort, field: 'titleKey', direction: sort.startsWith('-') ? -1 : 1 };
    default: {
      const field = sort.replace(/^-/, '') as 'updatedAt' | 'createdAt' | 'issuingState';
      return { sort, field, direction: sort.startsWith('-') ? -1 : 1 };
    }
  }
}

function filterValues(name: string, raw: unknown): string[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw bad(`${name} must be a list of values`, { filter: name });
  if (raw.length > MAX_FILTER_VALUES) throw bad(`${name} has more than ${MAX_FILTER_VALUES} values`, { filter: name });
  const values = raw.map((v: unknown) => {
    if (typeof v !== 'string' || v.length === 0 || v.length > MAX_FILTER_VALUE_CHARS) {
      throw bad(`${name} values must be non-empty strings of at most ${MAX_FILTER_VALUE_CHARS} characters`, { filter: name });
    }
    return name === 'tags' ? v.toLowerCase() : v;
  });
  return [...new Set(values)].sort();
}

function yearValue(name: string, raw: unknown): number | null {
  if (raw === undefined || raw === null) return null;
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < -9999 || raw > 9999) throw bad(`${name} must be a year`, { filter: name });
  return raw;
}

export function normalizeQuery(query: SpecimenQuery): NormalizedQuery {
  const q = query.q ?? '';
  if (typeof q !== 'string') throw bad('q must be a string');
  if (q.length > MAX_QUERY_CHARS) throw bad(`the search text is longer than ${MAX_QUERY_CHARS} characters`, { maxChars: MAX_QUERY_CHARS });
  const terms = [...new Set(tokenize(q))];
  if (terms.length > MAX_QUERY_TERMS) throw bad(`the search text has more than ${MAX_QUERY_TERMS} words`, { maxTerms: MAX_QUERY_TERMS });

  const filters: Partial<Record<ValueFacet, string[]>> = {};
  for (const facet of VALUE_FACETS) {
    const values = filterValues(facet, (query as Record<string, unknown>)[facet]);
    if (values.length > 0) filters[facet] = values;
  }
  const yearFrom = yearValue('yearFrom', query.yearFrom);
  const yearTo = yearValue('yearTo', query.yearTo);
  if (yearFrom !== null && yearTo !== null && yearFrom > yearTo) throw bad('yearFrom is after yearTo', { yearFrom, yearTo });
  if (query.imitates !== undefined && (typeof query.imitates !== 'string' || query.imitates.length === 0)) throw bad('imitates must be a specimen id');
  const imitates = query.imitates ?? null;

  const requested = query.sort ?? '-updatedAt';
  if (!(SORTS as readonly string[]).includes(requested)) throw bad(`unknown sort ${JSON.stringify(requested)}`, { allowed: SORTS });
  const sort = sortPlan(requested, terms.length > 0);

  const limit = query.limit ?? DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw bad(`limit must be an integer from 1 to ${MAX_LIMIT}`, { limit });

  const fingerprint = createHash('sha256')
    .update(JSON.stringify([terms, filters, yearFrom, yearTo, imitates, sort.sort]))
    .digest('base64url')
    .slice(0, 16);
  const after = query.cursor === undefined ? null : decodeCursor(query.cursor, fingerprint, sort);
  return { terms, filters, yearFrom, yearTo, imitates, sort, limit, after, fingerprint };
}

export function encodeCursor(query: NormalizedQuery, values: SortKeyValues, id: string): string {
  return Buffer.from(JSON.stringify({ f: query.fingerprint, k: values, i: id })).toString('base64url');
}

function decodeCursor(cursor: unknown, fingerprint: string, plan: SortPlan): { values: SortKeyValues; id: string } {
  const invalid = () => bad('invalid cursor', { cursor: typeof cursor === 'string' ? cursor.slice(0, 100) : cursor });
  if (typeof cursor !== 'string' || cursor.length === 0 || cursor.length > 4096 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (typeof parsed !== 'object' || parsed === null) throw invalid();
  const { f, k, i } = parsed as { f?: unknown; k?: unknown; i?: unknown };
  if (typeof f !== 'string' || typeof i !== 'string' || !Array.isArray(k)) throw invalid();
  if (f !== fingerprint) throw bad('the cursor belongs to another query or sort; start again without it');
  const expected: ('number' | 'string')[] =
    plan.field === 'relevance' ? ['number', 'number'] : plan.field === 'titleKey' || plan.field === 'issuingState' ? ['string'] : ['number'];
  if (k.length !== expected.length || k.some((v, n) => typeof v !== expected[n] || (typeof v === 'number' && !Number.isFinite(v)))) throw invalid();
  return { values: k as SortKeyValues, id: i };
}

// ---------------------------------------------------------------- facets

export function emptyFacets(): Record<FacetName, FacetCount[]> {
  return Object.fromEntries(FACETS.map((f) => [f, []])) as unknown as Record<FacetName, FacetCount[]>;
}

/** Count descending, then value ascending; zero counts dropped. */
export function orderFacetCounts(counts: FacetCount[]): FacetCount[] {
  return counts.filter((c) => c.count > 0).sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
}
