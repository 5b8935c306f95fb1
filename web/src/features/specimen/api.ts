import type { Specimen } from '@exemplar/specimens-schema';
import type { ApiClient } from '../../shared/api/client';
import { searchSpecimens, type SpecimenPage } from '../library/api';

export function getSpecimen(api: ApiClient, id: string, signal?: AbortSignal): Promise<Specimen> {
  return api.get<Specimen>(`/api/specimens/${encodeURIComponent(id)}`, signal ? { signal } : {});
}

/** Frauds catalogued as imitating this specimen (first page; the count is the total). */
export function findImitations(api: ApiClient, id: string, signal?: AbortSignal): Promise<SpecimenPage> {
  return searchSpecimens(api, { filters: {}, imitates: id, sort: 'title' }, { limit: 50, ...(signal ? { signal } : {}) });
}
