/**
 * The library's search lives in the URL so that a link reproduces it:
 * `?q=utopia&status=counterfeit&status=forgery&yearFrom=2010&sort=title`.
 * Unknown or malformed parameters are ignored rather than shown as errors.
 */
import { classifications, documentCategories, featureTypes, forgeryMethods, lightSources, specimenStatuses } from '../../shared/vocabulary';
import { LIST_FILTERS, SORTS, type ListFilter, type SortOrder, type SpecimenSearch } from './api';

/**
 * The filters whose values form a closed vocabulary: the API refuses any other
 * value (400), so one in a link (mistyped, or from an older vocabulary) is
 * dropped like an unknown parameter. Issuing states, document codes and tags
 * are open (or patterned) and go as they are.
 */
const VOCABULARIES: Partial<Record<ListFilter, ReadonlySet<string>>> = {
  status: new Set(specimenStatuses.map((e) => e.id)),
  documentCategory: new Set(documentCategories.map((e) => e.id)),
  forgeryMethod: new Set(forgeryMethods.map((e) => e.id)),
  featureType: new Set(featureTypes.map((e) => e.id)),
  lightSource: new Set(lightSources.map((e) => e.id)),
  classification: new Set(classifications.map((e) => e.id)),
};

function yearParam(value: string | null): number | undefined {
  if (value === null || !/^\d{4}$/.test(value)) return undefined;
  return Number(value);
}

export function searchFromParams(params: URLSearchParams): SpecimenSearch {
  const filters: Partial<Record<ListFilter, string[]>> = {};
  for (const name of LIST_FILTERS) {
    const known = VOCABULARIES[name];
    const values = [...new Set(params.getAll(name).flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v && (!known || known.has(v))))];
    if (values.length) filters[name] = values;
  }
  const sort = params.get('sort');
  const search: SpecimenSearch = { filters };
  const q = params.get('q')?.trim();
  if (q) search.q = q;
  const yearFrom = yearParam(params.get('yearFrom'));
  const yearTo = yearParam(params.get('yearTo'));
  if (yearFrom !== undefined) search.yearFrom = yearFrom;
  if (yearTo !== undefined) search.yearTo = yearTo;
  if (sort && (SORTS as readonly string[]).includes(sort)) search.sort = sort as SortOrder;
  return search;
}

export function paramsFromSearch(search: SpecimenSearch): URLSearchParams {
  const params = new URLSearchParams();
  if (search.q) params.set('q', search.q);
  for (const name of LIST_FILTERS) for (const v of search.filters[name] ?? []) params.append(name, v);
  if (search.yearFrom !== undefined) params.set('yearFrom', String(search.yearFrom));
  if (search.yearTo !== undefined) params.set('yearTo', String(search.yearTo));
  if (search.sort) params.set('sort', search.sort);
  return params;
}

/** A stable key for "the same search" (order of values does not matter). */
export function searchKey(search: SpecimenSearch): string {
  const normalised: SpecimenSearch = { ...search, filters: {} };
  for (const name of LIST_FILTERS) {
    const values = search.filters[name];
    if (values?.length) normalised.filters[name] = [...values].sort();
  }
  return paramsFromSearch(normalised).toString();
}

export function toggleFilter(search: SpecimenSearch, name: ListFilter, value: string): SpecimenSearch {
  const current = search.filters[name] ?? [];
  const next = current.includes(value) ? current.filter((v) => v !== value) : [...current, value];
  const filters = { ...search.filters };
  if (next.length) filters[name] = next;
  else delete filters[name];
  return { ...search, filters };
}

export function hasFilters(search: SpecimenSearch): boolean {
  return Boolean(search.q) || search.yearFrom !== undefined || search.yearTo !== undefined || LIST_FILTERS.some((n) => (search.filters[n]?.length ?? 0) > 0);
}
