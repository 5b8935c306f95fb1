import { closerKnownFrauds, type IdentificationCandidate } from '@exemplar/specimens-schema';
import { useState } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { useApi } from '../../shared/api/api-context';
import { errorMessage } from '../../shared/api/client';
import { useCan } from '../../shared/auth/session';
import { StatusBadge } from '../../shared/ui/status-badge';
import { pageLabel } from '../../shared/vocabulary';
import { repeatComparison, type ApiComparison } from './api';

/** How identification (and, for an automatic reference none verified, the full alignment) judged a candidate. */
function matchText(c: IdentificationCandidate): string {
  if (c.verified) return `match ${Math.round(c.score * 100)}% (${c.inliers} points agree)`;
  if (c.fullAlignment === 'accepted') return 'not verified by identification; confirmed by full alignment';
  if (c.fullAlignment === 'refused') return 'not verified; the full alignment refused it';
  return 'not verified';
}
const sameCapture = (c: IdentificationCandidate, ref: ApiComparison['reference']) => ref !== null && c.specimenId === ref.specimenId && c.captureId === ref.captureId;

/** Starts the same comparison against another library capture and opens it. */
function CompareWith({ job, candidate }: { job: ApiComparison; candidate: IdentificationCandidate }) {
  const api = useApi();
  const navigate = useNavigate();
  const [state, setState] = useState<{ busy: boolean; error: unknown }>({ busy: false, error: null });
  const start = async () => {
    setState({ busy: true, error: null });
    try {
      const next = await repeatComparison(api, job, { specimenId: candidate.specimenId, captureId: candidate.captureId });
      navigate(`/comparisons/${encodeURIComponent(next.id)}`);
    } catch (error) {
      setState({ busy: false, error });
    }
  };
  return (
    <>
      <button type="button" className="button button--small" disabled={state.busy} aria-label={`Compare with ${candidate.title}`} onClick={() => void start()}>
        {state.busy ? 'Starting…' : 'Compare with it'}
      </button>
      {state.error !== null && <span className="field__error">It could not be started: {errorMessage(state.error)}</span>}
    </>
  );
}

function Candidate({ job, candidate, canCompare }: { job: ApiComparison; candidate: IdentificationCandidate; canCompare: boolean }) {
  return (
    <li className="library-matches__item">
      <span>
        <Link to={`/specimens/${encodeURIComponent(candidate.specimenId)}`}>{candidate.title}</Link> <StatusBadge status={candidate.status} />
        <br />
        <span className="muted">
          {pageLabel(candidate.page)} · {matchText(candidate)}
          {sameCapture(candidate, job.reference) && ' · the reference of this comparison'}
        </span>
      </span>
      {canCompare && !sameCapture(candidate, job.reference) && <CompareWith job={job} candidate={candidate} />}
    </li>
  );
}

/**
 * What identification found in the library for the questioned image: why an
 * automatic reference was chosen, and — whoever chose the reference — a
 * warning when a known fraud matches clearly better than any genuine
 * reference (it may be the same document, or from the same source).
 */
export function LibraryMatches({ job }: { job: ApiComparison }) {
  const can = useCan();
  const identification = job.identification;
  if (!identification) return null;
  const canCompare = can('comparisons:submit') && Object.keys(job.questioned).length > 0;
  const frauds = closerKnownFrauds(identification);
  const auto = job.request.reference === 'auto';
  const chosen = auto ? identification.candidates.find((c) => sameCapture(c, job.reference)) : undefined;
  return (
    <>
      {frauds.length > 0 && (
        <div className="register-banner" role="alert" aria-label="Known fraud match">
          <strong className="register-banner__title">
            <span aria-hidden="true">⚠ </span>
            The questioned document matches a known fraud in the library more closely than any genuine reference
          </strong>
          <ul>
            {frauds.map((c) => (
              <li key={`${c.specimenId}/${c.captureId}`}>
                <Link to={`/specimens/${encodeURIComponent(c.specimenId)}`}>
                  {c.title}
                </Link>{' '}
                <StatusBadge status={c.status} /> — {matchText(c)}{' '}
                {sameCapture(c, job.reference) ? <span>· the reference of this comparison</span> : canCompare && <CompareWith job={job} candidate={c} />}
              </li>
            ))}
          </ul>
          <p className="register-banner__notes">It may be that same document, or come from the same source: compare it with the fraud sample, and look for the defects recorded for it.</p>
        </div>
      )}
      <details className="library-matches">
        <summary>
          {auto && chosen
            ? chosen.fullAlignment === 'accepted'
              ? `Reference chosen automatically: no genuine match among ${identification.searched} library images was verified by identification; this one, among the best ranked, was confirmed by full alignment`
              : `Reference chosen automatically: the closest genuine match among ${identification.searched} library images — ${matchText(chosen)}`
            : `Library matches of the questioned image (${identification.candidates.filter((c) => c.verified).length} verified of ${identification.searched} images searched)`}
        </summary>
        {identification.candidates.length === 0 ? (
          <p className="muted">No catalogued capture looks like the questioned image.</p>
        ) : (
          <ol className="library-matches__list" aria-label="Library matches">
            {identification.candidates.map((c) => (
              <Candidate key={`${c.specimenId}/${c.captureId}/${c.lightSource}`} job={job} candidate={c} canCompare={canCompare} />
            ))}
          </ol>
        )}
      </details>
    </>
  );
}
