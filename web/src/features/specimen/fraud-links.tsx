import { isFraudStatus, type Specimen } from '@exemplar/specimens-schema';
import { Link } from 'react-router-dom';
import { useApi } from '../../shared/api/api-context';
import { isNotFound } from '../../shared/api/client';
import { useResource } from '../../shared/api/use-resource';
import { StatusBadge } from '../../shared/ui/status-badge';
import { ErrorState, LoadingState } from '../../shared/ui/states';
import { findImitations, getSpecimen } from './api';

/** "Imitates" for a fraud (the genuine it copies) and "Frauds imitating this" for any specimen. */
export function FraudLinks({ specimen }: { specimen: Specimen }) {
  const api = useApi();
  const genuine = useResource(specimen.imitates ?? null, (signal) => getSpecimen(api, specimen.imitates as string, signal));
  const imitations = useResource(specimen.id, (signal) => findImitations(api, specimen.id, signal));
  const fraud = isFraudStatus(specimen.status);
  const frauds = imitations.data?.items ?? [];

  if (!specimen.imitates && imitations.status === 'ready' && frauds.length === 0 && !fraud) return null;

  return (
    <section className="panel" aria-labelledby="links-heading">
      <h2 id="links-heading">Related specimens</h2>
      {specimen.imitates && (
        <div className="related">
          <h3>Imitates</h3>
          {genuine.status === 'loading' && <LoadingState label="Loading the imitated specimen…" />}
          {genuine.status === 'ready' && (
            <p>
              <Link to={`/specimens/${genuine.data.id}`}>{genuine.data.title}</Link> <StatusBadge status={genuine.data.status} />
            </p>
          )}
          {genuine.status === 'error' &&
            (isNotFound(genuine.error) ? (
              <p>The imitated specimen ({specimen.imitates}) is not in the library any more.</p>
            ) : (
              <ErrorState title="The imitated specimen could not be loaded" error={genuine.error} onRetry={genuine.reload} />
            ))}
        </div>
      )}
      {!specimen.imitates && fraud && <p className="muted">The genuine document this imitates is not catalogued.</p>}
      <div className="related">
        <h3>Frauds imitating this</h3>
        {imitations.status === 'loading' && <LoadingState label="Looking for imitations…" />}
        {imitations.status === 'error' && <ErrorState title="Imitations could not be listed" error={imitations.error} onRetry={imitations.reload} />}
        {imitations.status === 'ready' && frauds.length === 0 && <p className="muted">None catalogued.</p>}
        {frauds.length > 0 && (
          <ul className="related__list">
            {frauds.map((f) => (
              <li key={f.id}>
                <Link to={`/specimens/${f.id}`}>{f.title}</Link> <StatusBadge status={f.status} />
              </li>
            ))}
            {(imitations.data?.total ?? 0) > frauds.length && <li className="muted">and {(imitations.data?.total ?? 0) - frauds.length} more</li>}
          </ul>
        )}
      </div>
    </section>
  );
}
