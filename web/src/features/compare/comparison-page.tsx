import type { Specimen } from '@exemplar/specimens-schema';
import { useCallback, useEffect, useId, useMemo, useState } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router-dom';
import { useApi } from '../../shared/api/api-context';
import { errorMessage, isAbort, isApiError, isNotFound } from '../../shared/api/client';
import { useActionError } from '../../shared/auth/use-action-error';
import { EmptyState, ErrorState, LoadingState } from '../../shared/ui/states';
import { useDocumentTitle } from '../../shared/ui/use-document-title';
import { getSpecimen } from '../specimen/api';
import { AlignmentSummary } from './alignment-summary';
import { getComparison, repeatComparison, stageLabel, toComparison, type ApiComparison } from './api';
import { ComparisonViewer } from './comparison-viewer';
import { LibraryMatches } from './library-matches';
import { RegisterHitsBanner } from '../register/register-hits';
import { useCan } from '../../shared/auth/session';
import { defaultCapture, ReferenceSearch } from './upload-compare-page';

/** How often a running comparison is asked for its progress. */
export const POLL_MS = 1000;
/** A border post's network drops out: a failed poll is retried this many times (with growing pauses) before the error is shown. */
const POLL_RETRIES = 4;

/** Errors worth another try: no answer, or a server error (a 4xx answer will not change). */
function transient(err: unknown): boolean {
  return isApiError(err) && (err.status === 0 || err.status >= 500);
}

type Load = { status: 'loading' } | { status: 'error'; error: unknown } | { status: 'ready'; job: ApiComparison; reference: Specimen | null };

/** Follows a comparison job until it ends, then loads its reference specimen. */
function useComparisonJob(id: string): Load & { retry: () => void } {
  const api = useApi();
  const [load, setLoad] = useState<Load>({ status: 'loading' });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let failures = 0;
    const poll = async () => {
      try {
        const job = await getComparison(api, id, controller.signal);
        failures = 0;
        if (job.status === 'queued' || job.status === 'running') {
          setLoad({ status: 'ready', job, reference: null });
          timer = setTimeout(() => void poll(), POLL_MS);
          return;
        }
        let reference: Specimen | null = null;
        if (job.status === 'done' && job.reference) {
          // The viewer still works from the outputs alone if the reference record is gone or hidden.
          reference = await getSpecimen(api, job.reference.specimenId, controller.signal).catch((err: unknown) => {
            if (isAbort(err)) throw err;
            return null;
          });
        }
        if (!controller.signal.aborted) setLoad({ status: 'ready', job, reference });
      } catch (error) {
        if (controller.signal.aborted || isAbort(error)) return;
        if (transient(error) && failures < POLL_RETRIES) {
          failures += 1;
          timer = setTimeout(() => void poll(), POLL_MS * 2 ** failures);
          return;
        }
        setLoad({ status: 'error', error });
      }
    };
    void poll();
    return () => {
      controller.abort();
      if (timer) clearTimeout(timer);
    };
  }, [api, id, attempt]);

  const retry = useCallback(() => {
    setLoad({ status: 'loading' });
    setAttempt((a) => a + 1);
  }, []);
  return useMemo(() => ({ ...load, retry }), [load, retry]);
}

export function ComparisonPage() {
  const { id = '' } = useParams();
  const api = useApi();
  const [params, setParams] = useSearchParams();
  const can = useCan();
  const job = useComparisonJob(id);
  useDocumentTitle(job.status === 'ready' && job.job.status === 'done' ? 'Comparison' : 'Comparing…');
  const comparison = useMemo(() => (job.status === 'ready' && job.job.status === 'done' ? toComparison(api, job.job, job.reference) : null), [api, job]);

  // Mode and light follow the URL, so a link opens the same view.
  const keep = useCallback(
    (key: string) => (value: string) =>
      setParams(
        (p) => {
          if (p.get(key) === value) return p;
          const next = new URLSearchParams(p);
          next.set(key, value);
          return next;
        },
        { replace: true },
      ),
    [setParams],
  );
  const onMode = useMemo(() => keep('mode'), [keep]);
  const onLight = useMemo(() => keep('light'), [keep]);

  if (job.status === 'loading') return <LoadingState label="Loading the comparison…" />;
  if (job.status === 'error') {
    if (isNotFound(job.error)) {
      return (
        <EmptyState title="No such comparison">
          <p>
            <Link to="/compare">Start a comparison</Link>
          </p>
        </EmptyState>
      );
    }
    return <ErrorState title="The comparison could not be loaded" error={job.error} onRetry={job.retry} />;
  }

  const { job: raw } = job;
  if (raw.status === 'queued' || raw.status === 'running') {
    const fraction = raw.progress?.fraction ?? 0;
    return (
      <section className="panel progress-panel" aria-labelledby="progress-heading">
        <h1 id="progress-heading">Comparing…</h1>
        <RegisterHitsBanner hits={raw.registerHits} />
        <progress max={1} value={fraction} aria-label="Comparison progress" aria-valuetext={`${Math.round(fraction * 100)}%`} />
        <p role="status" aria-live="polite">
          {stageLabel(raw.progress?.stage ?? raw.status)} — {Math.round(fraction * 100)}%
        </p>
      </section>
    );
  }
  if (raw.status === 'failed' || raw.status === 'cancelled') {
    return <FailedComparison job={raw} />;
  }
  if (!comparison) return null;
  return (
    <div className="comparison-page">
      <header className="comparison-page__header">
        <h1>Comparison</h1>
        <p className="muted">
          {comparison.reference.specimenId ? (
            <>
              with reference <Link to={`/specimens/${comparison.reference.specimenId}`}>{comparison.reference.title}</Link>
            </>
          ) : (
            'Reference'
          )}
          {' · '}
          {/* Cases and verification answers link comparisons by this id. */}
          id <code>{raw.id}</code>
        </p>
        <span className="spacer" />
        {can('verification:submit') && (
          <Link className="button button--small" to={askLabPath(raw.id)}>
            Ask the laboratory to verify
          </Link>
        )}
        <Link className="button button--small" to="/compare">
          New comparison
        </Link>
      </header>
      <RegisterHitsBanner hits={raw.registerHits} />
      <LibraryMatches job={raw} />
      <AlignmentSummary comparison={comparison} />
      <ComparisonViewer comparison={comparison} initialMode={params.get('mode') ?? undefined} initialLight={params.get('light') ?? undefined} onModeChange={onMode} onLightChange={onLight} />
    </div>
  );
}

/** A verification request filled in from a comparison: its questioned images, notes and MRZ lines (RequestVerificationPage). */
const askLabPath = (id: string) => `/verification/new?comparison=${encodeURIComponent(id)}`;

/** Failures that the same images and request meet again: running the job again cannot help. */
const SAME_AGAIN = new Set(['ALIGNMENT_FAILED', 'NO_CANDIDATE', 'NO_VISIBLE_LIGHT', 'REFERENCE_NOT_FOUND']);

/** Failures whose recorded reason is technical, said in words (the reason itself is kept as detail). */
const EXPLANATIONS: Record<string, string> = {
  ALIGNMENT_FAILED:
    'The questioned images could not be matched to the reference. Check that the reference is the same document type and page, and that the whole page is in the picture.',
  NO_CANDIDATE: 'No genuine reference in the library matched the questioned image. Choose the reference yourself, or check that the whole page is in the picture under white light.',
};

function FailedComparison({ job }: { job: ApiComparison }) {
  const api = useApi();
  const navigate = useNavigate();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useActionError();
  const can = useCan();
  const explained = job.error ? EXPLANATIONS[job.error.code] : undefined;
  const again = async () => {
    setBusy(true);
    setError(null);
    try {
      const next = await repeatComparison(api, job);
      navigate(`/comparisons/${encodeURIComponent(next.id)}`);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return (
    <>
      <div className="state state--error" role="alert">
        <strong>{job.status === 'failed' ? 'The comparison failed' : 'The comparison was cancelled'}</strong>
        {job.error && explained && (
          <>
            <p>{explained}</p>
            {/* The pipeline's own reason (points found, method) is for the examiner, not the first thing a user reads. */}
            <details className="failure-detail">
              <summary>Technical detail</summary>
              <p>
                {job.error.message} <span className="muted">({job.error.code})</span>
              </p>
            </details>
          </>
        )}
        {job.error && !explained && (
          <p>
            {job.error.message} <span className="muted">({job.error.code})</span>
          </p>
        )}
        {error !== null && <p>It could not be run again: {errorMessage(error)}</p>}
        <div className="button-row">
          {!(job.error && SAME_AGAIN.has(job.error.code)) && Object.keys(job.questioned).length > 0 && (
            <button type="button" className="button" disabled={busy} onClick={() => void again()}>
              {busy ? 'Starting…' : 'Run it again'}
            </button>
          )}
          <Link to="/compare">Start another comparison</Link>
          {Object.keys(job.questioned).length > 0 && can('verification:submit') && <Link to={askLabPath(job.id)}>Ask the laboratory to verify</Link>}
        </div>
      </div>
      {job.error && SAME_AGAIN.has(job.error.code) && Object.keys(job.questioned).length > 0 && can('comparisons:submit') && <OtherReference job={job} />}
    </>
  );
}

/**
 * After a failure another reference can mend (none matched, the alignment
 * refused this one, it is gone), the stored questioned images are compared
 * with a reference the user picks: at a border post the document may be gone
 * by the time they would have uploaded its images again.
 */
function OtherReference({ job }: { job: ApiComparison }) {
  const api = useApi();
  const navigate = useNavigate();
  const headingId = useId();
  const [state, setState] = useState<{ busy: boolean; error: unknown; refused: string | null }>({ busy: false, error: null, refused: null });
  const pick = async (specimen: Specimen) => {
    const captureId = defaultCapture(specimen);
    if (!captureId) {
      setState({ busy: false, error: null, refused: `${specimen.title} has no images to compare with.` });
      return;
    }
    setState({ busy: true, error: null, refused: null });
    try {
      const next = await repeatComparison(api, job, { specimenId: specimen.id, captureId });
      navigate(`/comparisons/${encodeURIComponent(next.id)}`);
    } catch (error) {
      setState({ busy: false, error, refused: null });
    }
  };
  return (
    <section className="panel other-reference" aria-labelledby={headingId}>
      <h2 id={headingId}>Compare these images with another reference</h2>
      <p>The questioned images are kept: pick the reference they claim to be and they are compared again, without uploading them.</p>
      <ReferenceSearch label="Search the library for the reference" pickLabel={(s) => `Compare with ${s.title}`} onPick={(s) => void (state.busy ? undefined : pick(s))} />
      {state.busy && <p role="status">Starting…</p>}
      {state.refused !== null && <p className="field__error">{state.refused}</p>}
      {state.error !== null && <p className="field__error">It could not be started: {errorMessage(state.error)}</p>}
    </section>
  );
}
