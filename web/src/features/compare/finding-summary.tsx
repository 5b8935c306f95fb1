import { closerKnownFrauds, type Comparison as ApiComparison } from '@exemplar/specimens-schema';
import { Link } from 'react-router-dom';
import { useApi } from '../../shared/api/api-context';
import { isNotFound } from '../../shared/api/client';
import { useResource } from '../../shared/api/use-resource';
import { useCan } from '../../shared/auth/session';
import { StatusBadge } from '../../shared/ui/status-badge';
import { lightLabel } from '../../shared/vocabulary';
import { getComparison, questionedTitle } from './api';
import { describeFindings } from './findings';

/**
 * A comparison's findings in words, outside the viewer (a verification
 * request or a case lists its comparisons): per light source, what failed.
 * Nothing when the comparison made none.
 */
export function FindingSummary({ comparison }: { comparison: ApiComparison }) {
  const lights = (comparison.result?.lights ?? []).filter((l) => (l.findings ?? []).length > 0);
  if (lights.length === 0) return null;
  return (
    <div className="finding-summary" aria-label={`Findings of comparison ${comparison.id}`}>
      {lights.map((l) => (
        <div key={l.lightSource}>
          <p className="finding-summary__light">{lightLabel(l.lightSource)}</p>
          <ul>
            {describeFindings(l.findings ?? []).map((f) => (
              <li key={f.id}>
                <strong>{f.title}</strong>
                {f.details.length > 0 && <span className="finding-summary__details"> — {f.details.join(' ')}</span>}
              </li>
            ))}
          </ul>
        </div>
      ))}
    </div>
  );
}

/**
 * A comparison linked from another record (a verification request, a case),
 * with what it found on the document's own terms, so the strongest evidence
 * reads without opening the viewer. Users who may read every comparison load
 * it, and so do submitters, who may read their own: an examiner's comparison
 * linked to an officer's request answers them 404, and a link would lead
 * only to "No such comparison", so they get its id as text saying whose it
 * is. For a reader of every comparison a 404 is one gone, and stays a link.
 * Users who may open none (prosecutors) get its id as text: a link would lead
 * them only to a refusal.
 */
export function LinkedComparison({ id }: { id: string }) {
  const api = useApi();
  const can = useCan();
  const readsAll = can('comparisons:read-all');
  const readsOwn = !readsAll && can('comparisons:submit');
  const found = useResource(readsAll || readsOwn ? id : null, (signal) => getComparison(api, id, signal));
  const loaded = found.status !== 'loading' ? found.data : undefined;
  const notOwn = readsOwn && found.status === 'error' && isNotFound(found.error);
  return (
    <li>
      {(readsAll || readsOwn) && !notOwn ? <Link to={`/comparisons/${id}`}>Comparison {id}</Link> : <span>Comparison {id}</span>}
      {notOwn && <span className="muted"> — made in the laboratory; only examiners can open it</span>}
      {loaded && <span> — {questionedTitle(loaded)}</span>}
      {loaded && loaded.status !== 'done' && <span className="muted"> ({loaded.status})</span>}
      {loaded && <KnownFraudSummary comparison={loaded} />}
      {loaded && <FindingSummary comparison={loaded} />}
    </li>
  );
}

/** The known frauds the comparison's questioned image matched more closely than any genuine reference (see LibraryMatches). */
function KnownFraudSummary({ comparison }: { comparison: ApiComparison }) {
  const frauds = comparison.identification ? closerKnownFrauds(comparison.identification) : [];
  if (frauds.length === 0) return null;
  return (
    <p className="finding-summary finding-summary--fraud" aria-label={`Known fraud match of comparison ${comparison.id}`}>
      <strong>⚠ Closer to a known fraud in the library than to any genuine reference:</strong>{' '}
      {frauds.map((c, i) => (
        <span key={`${c.specimenId}/${c.captureId}`}>
          {i > 0 && '; '}
          <Link to={`/specimens/${encodeURIComponent(c.specimenId)}`}>{c.title}</Link> <StatusBadge status={c.status} /> ({c.inliers} points agree)
        </span>
      ))}
    </p>
  );
}
