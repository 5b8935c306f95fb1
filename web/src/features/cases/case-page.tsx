import { useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router-dom';
import { useApi } from '../../shared/api/api-context';
import { errorMessage, isApiError, isNotFound } from '../../shared/api/client';
import { useResource } from '../../shared/api/use-resource';
import { useCan } from '../../shared/auth/session';
import { useActionError } from '../../shared/auth/use-action-error';
import { formatTimestamp } from '../../shared/ui/format';
import { EmptyState, ErrorState, LoadingState } from '../../shared/ui/states';
import { useDocumentTitle } from '../../shared/ui/use-document-title';
import { VerifiedDownload } from '../../shared/ui/verified-download';
import { LinkedComparison } from '../compare/finding-summary';
import { getSpecimen } from '../specimen/api';
import { conclusionSentence, getCaseProposition, PROPOSITION_NOT_RECORDED } from '@exemplar/specimens-schema';
import { addNote, conclude, EXHIBIT_SHA_HEADER, exhibitPaths, getCase, getCaseComparisonNames, OPINIONS, opinionLabel, PROPOSITIONS, updateCase, type Case, type Opinion, type Proposition } from './api';
import { OpinionScale } from './opinion-scale';

export function CasePage() {
  const { id = '' } = useParams();
  const api = useApi();
  const found = useResource(id, (signal) => getCase(api, id, signal));
  useDocumentTitle(found.data ? `${found.data.reference} — ${found.data.title}` : 'Case');

  if (found.status === 'loading' && !found.data) return <LoadingState label="Loading the case…" />;
  if (found.status === 'error' && !found.data) {
    if (isNotFound(found.error))
      return (
        <EmptyState title="No such case">
          <p>
            It does not exist or you are not assigned to it. <Link to="/cases">Your cases</Link>
          </p>
        </EmptyState>
      );
    return <ErrorState title="The case could not be loaded" error={found.error} onRetry={found.reload} />;
  }
  if (!found.data) return null;
  return <CaseDetail key={found.data.id} record={found.data} onChange={found.set} onReload={found.reload} />;
}

function CaseDetail({ record, onChange, onReload }: { record: Case; onChange: (c: Case) => void; onReload: () => void }) {
  const api = useApi();
  const can = useCan();
  const manage = can('cases:manage');
  const [statusError, setStatusError] = useActionError();
  const [statusBusy, setStatusBusy] = useState(false);

  const toggleStatus = async () => {
    setStatusBusy(true);
    setStatusError(null);
    try {
      onChange(await updateCase(api, record.id, record.revision, { status: record.status === 'open' ? 'closed' : 'open' }));
    } catch (err) {
      setStatusError(err);
    } finally {
      setStatusBusy(false);
    }
  };

  return (
    <article className="page case">
      <header className="page-head">
        <div>
          <p className="muted">Case {record.reference}</p>
          <h1>{record.title}</h1>
          <p>
            <span className={`pill pill--${record.status}`}>{record.status === 'open' ? 'Open' : 'Closed'}</span>{' '}
            <span className="muted">updated {formatTimestamp(record.updatedAt)} by {record.updatedBy}</span>
          </p>
        </div>
        {manage && (
          <div className="page-head__actions">
            {record.status === 'open' && (
              <Link className="button" to={`/cases/${record.id}/edit`}>
                Edit case
              </Link>
            )}
            <button type="button" className="button" onClick={toggleStatus} disabled={statusBusy}>
              {record.status === 'open' ? 'Close case' : 'Reopen case'}
            </button>
          </div>
        )}
      </header>
      {statusError !== null && <ConflictOrError error={statusError} onReload={onReload} />}

      <div className="two-col">
        <div>
          <ConclusionPanel record={record} manage={manage} onChange={onChange} onReload={onReload} />
          <NotesPanel record={record} manage={manage} onChange={onChange} />
        </div>
        <div>
          {can('exhibits:read') && (
            <section className="panel" aria-labelledby="exhibits-heading">
              <h2 id="exhibits-heading">Court exhibits</h2>
              {!record.conclusion && <p className="muted">The exhibits can be produced once the case has a conclusion.</p>}
              <VerifiedDownload path={exhibitPaths.pdf(record.id)} label="exhibit report (PDF)" shaHeader={EXHIBIT_SHA_HEADER} disabled={!record.conclusion} />
              <VerifiedDownload path={exhibitPaths.zip(record.id)} label="exhibit bundle (zip)" shaHeader={EXHIBIT_SHA_HEADER} disabled={!record.conclusion} />
              <p className="muted small">
                The bundle holds the originals, outputs, a manifest of SHA-256s, the custody log and the report; check it offline with <code>npx exemplar exhibit verify FILE</code>.
              </p>
            </section>
          )}
          <section className="panel" aria-labelledby="people-heading">
            <h2 id="people-heading">Assigned</h2>
            <dl className="facts">
              <dt>Examiners</dt>
              <dd>{record.examiners.join(', ') || <span className="muted">none</span>}</dd>
              <dt>Prosecutors</dt>
              <dd>{record.prosecutors.join(', ') || <span className="muted">none</span>}</dd>
              <dt>Created</dt>
              <dd>
                {formatTimestamp(record.createdAt)} by {record.createdBy}
              </dd>
            </dl>
          </section>
          <section className="panel" aria-labelledby="linked-heading">
            <h2 id="linked-heading">Linked material</h2>
            <h3>Questioned submissions (comparisons)</h3>
            {record.comparisons.length ? (
              can('comparisons:read-all') || can('comparisons:submit') ? (
                <ul className="id-list" aria-label="Comparisons">
                  {record.comparisons.map((id) => (
                    <LinkedComparison key={id} id={id} />
                  ))}
                </ul>
              ) : (
                <>
                  <NamedComparisons record={record} />
                  <p className="muted">Their images and results are in the exhibit bundle.</p>
                </>
              )
            ) : (
              <p className="muted">None linked.</p>
            )}
            <h3>Reference specimens</h3>
            {record.specimens.length ? (
              <ul className="id-list" aria-label="Reference specimens">
                {record.specimens.map((id) => (
                  <li key={id}>
                    <SpecimenLink id={id} />
                  </li>
                ))}
              </ul>
            ) : (
              <p className="muted">None linked.</p>
            )}
          </section>
        </div>
      </div>
    </article>
  );
}

const JOB_STATUS_LABELS = { queued: 'waiting', running: 'running', done: 'finished', failed: 'failed', cancelled: 'cancelled' } as const;

/**
 * The case's comparisons for a reader who may not open them (a prosecutor):
 * each by the questioned document it examined, as the exhibit names it, and
 * how it stands; the id only while the names load or if they cannot.
 */
function NamedComparisons({ record }: { record: Case }) {
  const api = useApi();
  const names = useResource(`${record.id}@${record.revision}`, (signal) => getCaseComparisonNames(api, record.id, signal));
  const byId = new Map((names.data?.items ?? []).map((n) => [n.id, n]));
  return (
    <>
      <ul className="id-list" aria-label="Comparisons">
        {record.comparisons.map((id) => {
          const n = byId.get(id);
          return (
            <li key={id}>
              {n?.label ? (
                <>
                  <strong>{n.label}</strong>{' '}
                  <span className="muted small">
                    — {n.status ? JOB_STATUS_LABELS[n.status] : ''}
                    {n.submittedAt ? `, submitted ${formatTimestamp(n.submittedAt)}` : ''} (comparison {id})
                  </span>
                </>
              ) : (
                <span>
                  Comparison {id}
                  {n && <span className="muted"> — no longer stored</span>}
                </span>
              )}
            </li>
          );
        })}
      </ul>
      {names.status === 'error' && <p className="field__error">The comparisons could not be named: {errorMessage(names.error)}</p>}
    </>
  );
}

function SpecimenLink({ id }: { id: string }) {
  const api = useApi();
  const specimen = useResource(id, (signal) => getSpecimen(api, id, signal));
  return <Link to={`/specimens/${id}`}>{specimen.data?.title ?? `Specimen ${id}`}</Link>;
}

function ConflictOrError({ error, onReload }: { error: unknown; onReload: () => void }) {
  if (isApiError(error, 'REVISION_CONFLICT'))
    return (
      <div className="state state--error" role="alert">
        <strong>Someone else changed this case meanwhile</strong>
        <p>Reload to see the current case, then try again.</p>
        <button type="button" className="button" onClick={onReload}>
          Reload the case
        </button>
      </div>
    );
  return (
    <p className="field__error" role="alert">
      {errorMessage(error)}
    </p>
  );
}

function ConclusionPanel({ record, manage, onChange, onReload }: { record: Case; manage: boolean; onChange: (c: Case) => void; onReload: () => void }) {
  const api = useApi();
  const [editing, setEditing] = useState(false);
  const [opinion, setOpinion] = useState<Opinion | ''>(record.conclusion?.opinion ?? '');
  const [proposition, setProposition] = useState<Proposition | ''>(record.conclusion?.proposition ?? '');
  const [statement, setStatement] = useState(record.conclusion?.statement ?? '');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useActionError();
  const canConclude = manage && record.status === 'open';
  // The scale's step applied to the proposition, worded as in the exhibit report; none for a conclusion recorded without one.
  const sentence = record.conclusion ? conclusionSentence(record.conclusion.opinion, record.conclusion.proposition) : null;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!proposition || !opinion || !statement.trim()) {
      setError(new Error('Choose the proposition and an opinion, and write the statement.'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      onChange(await conclude(api, record.id, record.revision, { opinion, proposition, statement: statement.trim() }));
      setEditing(false);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="panel" aria-labelledby="conclusion-heading">
      <h2 id="conclusion-heading">Conclusion</h2>
      {record.conclusion ? (
        <>
          <p className="conclusion__proposition">
            Proposition: {(record.conclusion.proposition && getCaseProposition(record.conclusion.proposition)?.label) ?? <span className="muted">{PROPOSITION_NOT_RECORDED}</span>}
          </p>
          <p className="conclusion__opinion">
            <strong>{opinionLabel(record.conclusion.opinion)}</strong>
          </p>
          <OpinionScale opinion={record.conclusion.opinion} />
          {sentence !== null && <p className="conclusion__sentence">{sentence}</p>}
          <p className="prose">{record.conclusion.statement}</p>
          <p className="timeline__meta">
            Concluded by {record.conclusion.concludedBy} on {formatTimestamp(record.conclusion.concludedAt)}
          </p>
        </>
      ) : (
        <p className="muted">No conclusion yet.</p>
      )}
      {canConclude && !editing && (
        <button type="button" className="button" onClick={() => setEditing(true)}>
          {record.conclusion ? 'Revise the conclusion' : 'Conclude'}
        </button>
      )}
      {canConclude && editing && (
        <form className="stack-form" onSubmit={submit} aria-label="Conclusion" noValidate>
          <fieldset className="checkbox-group">
            <legend className="field__label">Proposition (what the opinion answers)</legend>
            {PROPOSITIONS.map((p) => (
              <label key={p.id} className="radio-row">
                <input type="radio" name="proposition" value={p.id} checked={proposition === p.id} onChange={() => setProposition(p.id)} disabled={busy} />
                <span>
                  {p.label} <span className="muted">— the questioned document {p.clause}</span>
                </span>
              </label>
            ))}
          </fieldset>
          <fieldset className="checkbox-group">
            <legend className="field__label">Opinion</legend>
            {OPINIONS.map((o) => (
              <label key={o.id} className="radio-row">
                <input type="radio" name="opinion" value={o.id} checked={opinion === o.id} onChange={() => setOpinion(o.id)} disabled={busy} />
                <span>
                  {o.label} <span className="muted">— {o.hint}</span>
                </span>
              </label>
            ))}
          </fieldset>
          <label className="field">
            <span className="field__label">Statement</span>
            <textarea rows={5} value={statement} onChange={(e) => setStatement(e.target.value)} disabled={busy} />
          </label>
          {error !== null && <ConflictOrError error={error} onReload={onReload} />}
          <div className="button-row">
            <button type="submit" className="button button--primary" disabled={busy}>
              {busy ? 'Saving…' : 'Save conclusion'}
            </button>
            <button type="button" className="button" onClick={() => setEditing(false)} disabled={busy}>
              Cancel
            </button>
          </div>
        </form>
      )}
    </section>
  );
}

function NotesPanel({ record, manage, onChange }: { record: Case; manage: boolean; onChange: (c: Case) => void }) {
  const api = useApi();
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useActionError();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!text.trim()) return;
    setBusy(true);
    setError(null);
    try {
      onChange(await addNote(api, record.id, text.trim()));
      setText('');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="panel" aria-labelledby="notes-heading">
      <h2 id="notes-heading">Examiner notes ({record.notes.length})</h2>
      {record.notes.length === 0 ? (
        <p className="muted">No notes yet.</p>
      ) : (
        <ol className="timeline" aria-label="Notes">
          {record.notes.map((n) => (
            <li key={n.id}>
              <p className="timeline__meta">
                {n.author} · {formatTimestamp(n.at)}
              </p>
              <p className="prose">{n.text}</p>
            </li>
          ))}
        </ol>
      )}
      {manage && record.status === 'open' && (
        <form className="stack-form note-form" onSubmit={submit} noValidate>
          <label className="field">
            <span className="field__label">Add a note</span>
            <textarea rows={3} value={text} onChange={(e) => setText(e.target.value)} disabled={busy} maxLength={20000} />
          </label>
          {error !== null && (
            <p className="field__error" role="alert">
              The note was not added: {errorMessage(error)}
            </p>
          )}
          <div>
            <button type="submit" className="button" disabled={busy || !text.trim()}>
              {busy ? 'Adding…' : 'Add note'}
            </button>
          </div>
        </form>
      )}
    </section>
  );
}
