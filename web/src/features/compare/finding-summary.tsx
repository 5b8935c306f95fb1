import { closerKnownFrauds, type Comparison as ApiComparison } from '@exemplar/specimens-schema';
import { Link } from 'react-router-dom';
import { useApi } from '../../shared/api/api-context';
import { useResource } from '../../shared/api/use-resource';
import { useCan } from '../../shared/auth/session';
import { StatusBadge } from '../../shared/ui/status-badge';
import { lightLabel } from '../../shared/vocabulary';
import { getComparison } from './api';
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
 * reads without opening the viewer. Only users who may read every comparison
 * load it; for submitters, who may open their own, and for one gone, it stays
 * a link. Users who may open none (prosecutors) get its id as text: a link
 * would lead them only to a refusal.
 */
export function LinkedComparison({ id }: { id: string }) {
  const api = useApi();
  const can = useCan();
  const readable = can('comparisons:read-all');
  const found = useResource(readable ? id : null, (signal) => getComparison(api, id, signal));
  const loaded = readable && found.status !== 'loading' ? found.data : undefined;
  return (
    <li>
      {readable || can('comparisons:submit') ? <Link to={`/comparisons/${id}`}>Comparison {id}</Link> : <span>Comparison {id}</span>}
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
