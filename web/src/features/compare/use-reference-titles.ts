import { useEffect, useMemo, useState } from 'react';
import { useApi } from '../../shared/api/api-context';
import { getSpecimen } from '../specimen/api';
import type { ApiComparison } from './api';

/**
 * The reference of each comparison listed by its title, loaded once per
 * specimen: a page appended to the list asks only for the specimens it
 * brings, not again for those of the pages before. A specimen that could not
 * be read is not asked for again (the list shows its id).
 */
export function useReferenceTitles(items: ApiComparison[] | undefined): Map<string, string> {
  const api = useApi();
  // Specimen id → title, or null when it could not be read.
  const [loaded, setLoaded] = useState<ReadonlyMap<string, string | null>>(() => new Map());
  const missing = [...new Set((items ?? []).flatMap((c) => (c.reference && !loaded.has(c.reference.specimenId) ? [c.reference.specimenId] : [])))].sort().join(',');
  useEffect(() => {
    if (!missing) return;
    const ids = missing.split(',');
    const controller = new AbortController();
    void Promise.all(ids.map((id) => getSpecimen(api, id, controller.signal).then((s) => s.title, () => null))).then((titles) => {
      if (controller.signal.aborted) return;
      setLoaded((before) => new Map([...before, ...ids.map((id, i) => [id, titles[i] ?? null] as const)]));
    });
    return () => controller.abort();
  }, [api, missing]);
  return useMemo(() => new Map([...loaded].filter((e): e is [string, string] => e[1] !== null)), [loaded]);
}
