import type { Alert } from '@exemplar/specimens-schema';
import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { useApi } from '../../shared/api/api-context';
import { errorMessage, isApiError, isNotFound } from '../../shared/api/client';
import { useResource } from '../../shared/api/use-resource';
import { useCan, useUser } from '../../shared/auth/session';
import { useActionError } from '../../shared/auth/use-action-error';
import { formatTimestamp } from '../../shared/ui/format';
import { EmptyState, ErrorState, LoadingState } from '../../shared/ui/states';
import { useDocumentTitle } from '../../shared/ui/use-document-title';
import { categoryLabel, issuingStateShortLabel } from '../../shared/vocabulary';
import { getSpecimen } from '../specimen/api';
import { alertAction, alertActionLabel, alertStatusLabel, authorsOf, deleteAlert, getAlert, severityLabel } from './api';
import { CheckImage } from './alert-images';

export function AlertPage() {
  const { id = '' } = useParams();
  const api = useApi();
  const found = useResource(id, (signal) => getAlert(api, id, signal));
  useDocumentTitle(found.data?.title ?? 'Alert');
  if (found.status === 'loading' && !found.data) return <LoadingState label="Loading the alert…" />;
  if (found.status === 'error' && !found.data) {
    if (isNotFound(found.error))
      return (
        <EmptyState title="No such alert">
          <p>
            It may not be published yet or was deleted. <Link to="/alerts">All alerts</Link>
          </p>
        </EmptyState>
      );
    return <ErrorState title="The alert could not be loaded" error={found.error} onRetry={found.reload} />;
  }
  return found.data ? <AlertDetail alert={found.data} onChange={found.set} onReload={found.reload} /> : null;
}

function AlertDetail({ alert: a, onChange, onReload }: { alert: Alert; onChange: (a: Alert) => void; onReload: () => void }) {
  const api = useApi();
  const specimen = useResource(a.specimenId, (signal) => getSpecimen(api, a.specimenId, signal));

  return (
    <article className={`page alert alert--${a.severity}`}>
      <header className="page-head">
        <div>
          <p className="muted">
            Alert · {issuingStateShortLabel(a.affected.issuingState)} · {categoryLabel(a.affected.documentCategory)}
            {a.affected.documentCode ? ` ${a.affected.documentCode}` : ''}
            {a.affected.series ? ` · series ${a.affected.series}` : ''}
          </p>
          <h1>{a.title}</h1>
          <p>
            <span className={`pill pill--${a.severity}`}>Severity: {severityLabel(a.severity)}</span> <span className={`pill pill--${a.status}`}>{alertStatusLabel(a.status)}</span>{' '}
            {/* After the status pill: "Published since …", or "Withdrawn, was published …"; never "Published published". */}
            {a.publishedAt && <span className="muted">{a.status === 'published' ? 'since' : 'was published'} {formatTimestamp(a.publishedAt)}</span>}
          </p>
        </div>
      </header>
      <div className="two-col">
        <div>
          <section className="panel" aria-labelledby="summary-heading">
            <h2 id="summary-heading">Summary</h2>
            <p className="prose">{a.summary}</p>
          </section>
          <section className="panel" aria-labelledby="checks-heading">
            <h2 id="checks-heading">What to check ({a.checks.length})</h2>
            <ol className="check-list">
              {a.checks.map((check, i) => (
                <li key={i} className="check-list__item">
                  <p className="prose">{check.text}</p>
                  <CheckImage check={check} specimen={specimen.data} />
                </li>
              ))}
            </ol>
          </section>
        </div>
        <div>
          <ApprovalPanel alert={a} onChange={onChange} onReload={onReload} />
          <section className="panel" aria-labelledby="specimen-heading">
            <h2 id="specimen-heading">Reference</h2>
            {specimen.data ? (
              <p>
                Drawn from <Link to={`/specimens/${a.specimenId}`}>{specimen.data.title}</Link>
              </p>
            ) : specimen.status === 'error' ? (
              <p className="muted">The specimen the alert is drawn from is not available to you.</p>
            ) : (
              <p className="muted">Loading the specimen…</p>
            )}
          </section>
        </div>
      </div>
    </article>
  );
}

/** Draft → approval by a second examiner → published; who did what, and what this user may do now. */
function ApprovalPanel({ alert: a, onChange, onReload }: { alert: Alert; onChange: (a: Alert) => void; onReload: () => void }) {
  const api = useApi();
  const user = useUser();
  const can = useCan();
  const navigate = useNavigate();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useActionError();
  const [note, setNote] = useState('');
  if (!can('alerts:draft') && !can('alerts:approve')) return null;
  const authors = authorsOf(a);
  const isAuthor = authors.includes(user.username);

  const run = async (action: () => Promise<Alert | void>, after?: () => void) => {
    setBusy(true);
    setError(null);
    try {
      const next = await action();
      if (next) onChange(next);
      setNote('');
      after?.();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="panel four-eyes" aria-labelledby="approval-heading">
      <h2 id="approval-heading">Four-eyes approval</h2>
      <ol className="four-eyes__steps" aria-label="Approval steps">
        <li className="four-eyes__step four-eyes__step--done">
          <strong>1. Drafted</strong> by {a.draftedBy}
          {authors.length > 1 && <span className="muted"> (edited by {authors.filter((x) => x !== a.draftedBy).join(', ')})</span>}
        </li>
        <li className={`four-eyes__step ${a.status !== 'draft' ? 'four-eyes__step--done' : ''}`}>
          <strong>2. Submitted for approval</strong> {a.submittedAt && a.status !== 'draft' ? formatTimestamp(a.submittedAt) : <span className="muted">not yet</span>}
        </li>
        <li className={`four-eyes__step ${a.approvedBy ? 'four-eyes__step--done' : ''}`}>
          <strong>3. Approved by a second examiner</strong> {a.approvedBy ? `${a.approvedBy}` : <span className="muted">not yet</span>}
        </li>
      </ol>
      {a.status === 'pending-approval' && isAuthor && (
        <p className="notice notice--warn">You drafted or edited this alert, so another examiner must approve it.</p>
      )}
      {a.status === 'pending-approval' && !isAuthor && can('alerts:approve') && (
        <p className="notice">You did not write this alert: you may approve it. Read it in full first.</p>
      )}

      <div className="button-row">
        {(a.status === 'draft' || a.status === 'pending-approval') && can('alerts:draft') && (
          <Link className="button" to={`/alerts/${a.id}/edit`}>
            Edit
          </Link>
        )}
        {a.status === 'draft' && can('alerts:draft') && (
          <button type="button" className="button button--primary" disabled={busy} onClick={() => void run(() => alertAction(api, a, 'submit'))}>
            Submit for approval
          </button>
        )}
        {a.status === 'pending-approval' && can('alerts:approve') && (
          <button
            type="button"
            className="button button--primary"
            disabled={busy || isAuthor}
            aria-describedby={isAuthor ? 'four-eyes-why' : undefined}
            onClick={() => void run(() => alertAction(api, a, 'approve'))}
          >
            Approve and publish
          </button>
        )}
        {a.status === 'draft' && can('alerts:draft') && (
          <button
            type="button"
            className="button button--danger"
            disabled={busy}
            onClick={() => {
              if (window.confirm('Delete this draft alert?')) void run(() => deleteAlert(api, a), () => navigate('/alerts'));
            }}
          >
            Delete draft
          </button>
        )}
      </div>
      {isAuthor && a.status === 'pending-approval' && (
        <span id="four-eyes-why" className="visually-hidden">
          Not possible for you: the approver must be someone who neither drafted nor edited the alert.
        </span>
      )}
      {(a.status === 'pending-approval' || a.status === 'published') && can('alerts:approve') && (
        <div className="stack-form four-eyes__note">
          <label className="field">
            <span className="field__label">{a.status === 'published' ? 'Reason for withdrawing' : 'Note to the drafter (with a rejection)'}</span>
            <textarea rows={2} value={note} onChange={(e) => setNote(e.target.value)} disabled={busy} />
          </label>
          <div>
            {a.status === 'pending-approval' ? (
              <button type="button" className="button" disabled={busy} onClick={() => void run(() => alertAction(api, a, 'reject', note.trim() || undefined))}>
                Reject (back to draft)
              </button>
            ) : (
              <button type="button" className="button button--danger" disabled={busy} onClick={() => void run(() => alertAction(api, a, 'withdraw', note.trim() || undefined))}>
                Withdraw the alert
              </button>
            )}
          </div>
        </div>
      )}
      {error !== null && (
        <div className="field__error" role="alert">
          {isApiError(error, 'FOUR_EYES_REQUIRED')
            ? 'A second examiner must approve: you drafted or edited this alert.'
            : isApiError(error, 'REVISION_CONFLICT') || isApiError(error, 'ALERT_STATE')
              ? 'The alert changed meanwhile. '
              : errorMessage(error)}
          {(isApiError(error, 'REVISION_CONFLICT') || isApiError(error, 'ALERT_STATE')) && (
            <button type="button" className="link-button" onClick={onReload}>
              Reload it
            </button>
          )}
        </div>
      )}
      <h3>History</h3>
      <ol className="timeline" aria-label="Alert history">
        {a.history.map((h, i) => (
          <li key={i}>
            <p className="timeline__meta">
              {formatTimestamp(h.at)} · {h.actor}
            </p>
            <p>
              {alertActionLabel(h.action)}
              {h.note ? `: ${h.note}` : ''}
            </p>
          </li>
        ))}
      </ol>
    </section>
  );
}
