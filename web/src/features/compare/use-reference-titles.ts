import { useApi } from '../../shared/api/api-context';
import { useResource } from '../../shared/api/use-resource';
import { getSpecimen } from '../specimen/api';
import type { ApiComparison } from './api';

/** The reference of each comparison listed by its title, loaded once per specimen for the whole list. */
export function useReferenceTitles(items: ApiComparison[] | undefined): Map<string, string> {
  const api = useApi();
  const ids = [...new Set((items ?? []).flatMap((c) => (c.reference ? [c.reference.specimenId] : [])))].sort();
  const titles = useResource(ids.length ? ids.join(',') : null, async (signal) => {
    const found = await Promise.all(ids.map((id) => getSpecimen(api, id, signal).then((s) => [id, s.title] as const, () => null)));
    return new Map(found.filter((f): f is readonly [string, string] => f !== null));
  });
  return titles.data ?? new Map();
}
