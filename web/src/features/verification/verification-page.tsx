import type { ForgeryMethod, VerificationAnswer, VerificationRequest } from '@exemplar/specimens-schema';
import { useState, type FormEvent, type ReactNode } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { useApi } from '../../shared/api/api-context';
import { errorMessage, isApiError, isNotFound } from '../../shared/api/client';
import { useResource } from '../../shared/api/use-resource';
import { useCan, useUser } from '../../shared/auth/session';
import { useActionError } from '../../shared/auth/use-action-error';
import { formatTimestamp } from '../../shared/ui/format';
import { formatBytes } from '../../shared/ui/image-slot';
import { EmptyState, ErrorState, LoadingState } from '../../shared/ui/states';
import { useDocumentTitle } from '../../shared/ui/use-document-title';
import { byLightOrder, forgeryMethodLabel, forgeryMethods, issuingStateShortLabel, lightLabel } from '../../shared/vocabulary';
import { LinkedComparison } from '../compare/finding-summary';
import { RegisterHitsBanner } from '../register/register-hits';
import {
  act,
  answerRequest,
  compareStoredImages,
  conclusionLabel,
  CONCLUSIONS,
  dueText,
  FRAUD_TYPES,
  getRequest,
  linkComparison,
  questionedImagePath,
  urgencyLabel,
  verificationActionLabel,
  verificationStatusLabel,
} from './api';
import { useNow } from './verification-list-page';

export function VerificationPage() {
  const { id = '' } = useParams();
  const api = useApi();
  const found = useResource(id, (signal) => getRequest(api, id, signal));
  useDocumentTitle(found.data ? `Verification request ${found.data.id}` : 'Verification request');
  if (found.status === 'loading' && !found.data) return <LoadingState label="Loading the request…" />;
  if (found.status === 'error' && !found.data) {
    if (isNotFound(found.error))
      return (
        <EmptyState title="No such request">
          <p>
            It does not exist or was sent by someone else. <Link to="/verification">Back to the requests</Link>
          </p>
        </EmptyState>
      );
    return <ErrorState title="The request could not be loaded" error={found.error} onRetry={found.reload} />;
  }
  return found.data ? <RequestDetail request={found.data} onChange={found.set} onReload={found.reload} /> : null;
}

const OPEN = ['submitted', 'claimed', 'returned-for-information'];

function RequestDetail({ request: r, onChange, onReload }: { request: VerificationRequest; onChange: (r: VerificationRequest) => void; onReload: () => void }) {
  const api = useApi();
  const user = useUser();
  const can = useCan();
  const now = useNow();
  const examiner = can('verification:answer');
  const mineToAnswer = examiner && r.status === 'claimed' && r.claimedBy === user.username;
  const submitter = r.submittedBy === user.username;
  const due = dueText(r.dueAt, now);
  const lights = Object.keys(r.questioned).sort(byLightOrder);

  return (
    <article className="page verification">
      <header className="page-head">
        <div>
          <p className="muted">Verification request {r.id}</p>
          <h1>{r.answer ? `Answer: ${conclusionLabel(r.answer.conclusion)}` : verificationStatusLabel(r.status)}</h1>
          <p>
            <span className={`pill pill--${r.urgency}`}>{urgencyLabel(r.urgency)}</span> <span className={`pill pill--${r.status}`}>{verificationStatusLabel(r.status)}</span>{' '}
            {OPEN.includes(r.status) && <span className={due.overdue ? 'error-text' : 'muted'}>{due.text}</span>}
          </p>
        </div>
      </header>

      <RegisterHitsBanner hits={r.registerHits} showClear={Boolean(r.document?.documentNumber)} />

      <div className="two-col">
        <div>
          {r.answer && <AnswerPanel answer={r.answer} />}
          {examiner && <ExaminerActions request={r} mine={mineToAnswer} onChange={onChange} onReload={onReload} />}
          {submitter && <SubmitterActions request={r} onChange={onChange} />}
          <section className="panel" aria-labelledby="images-heading">
            <h2 id="images-heading">Questioned images</h2>
            <ul className="questioned-grid">
              {lights.map((light) => {
                const image = r.questioned[light]!;
                const src = api.url(questionedImagePath(r.id, light));
                const shown = ['jpeg', 'png', 'webp'].includes(image.format);
                return (
                  <li key={light} className="questioned-grid__item">
                    <strong>{lightLabel(light)}</strong>
                    {shown ? <img src={src} alt={`Questioned document under ${lightLabel(light)}`} loading="lazy" /> : <span className="muted">({image.format.toUpperCase()}: open to view)</span>}
                    <span className="small">
                      {image.width}×{image.height} · {formatBytes(image.bytes)} ·{' '}
                      <a href={src} target="_blank" rel="noreferrer">
                        open original
                      </a>
                    </span>
                    <code className="sha" aria-label={`SHA-256 of the ${lightLabel(light)} image`}>
                      {image.sha256}
                    </code>
                  </li>
                );
              })}
            </ul>
          </section>
        </div>
        <div>
          <section className="panel" aria-labelledby="facts-heading">
            <h2 id="facts-heading">Request</h2>
            <dl className="facts">
              <dt>Submitted</dt>
              <dd>
                {formatTimestamp(r.submittedAt)} by {r.submittedBy}
              </dd>
              <dt>Due</dt>
              <dd>{formatTimestamp(r.dueAt)}</dd>
              {r.location && (
                <>
                  <dt>Location</dt>
                  <dd>{r.location}</dd>
                </>
              )}
              <dt>Document</dt>
              <dd>
                {r.document && (r.document.issuingState || r.document.documentNumber)
                  ? [r.document.issuingState && issuingStateShortLabel(r.document.issuingState), r.document.documentCode, r.document.documentNumber].filter(Boolean).join(' · ')
                  : 'not given'}
              </dd>
              {r.claimedBy && (
                <>
                  <dt>Claimed by</dt>
                  <dd>{r.claimedBy}</dd>
                </>
              )}
            </dl>
            {r.notes && (
              <>
                <h3>Notes</h3>
                <p className="prose">{r.notes}</p>
              </>
            )}
            {r.mrz && (
              <>
                <h3>MRZ ({r.mrz.format})</h3>
                <pre className="mrz">{r.mrz.lines.join('\n')}</pre>
                <p className={r.mrz.checkDigitsValid ? 'muted' : 'error-text'}>{r.mrz.checkDigitsValid ? 'Check digits valid.' : 'Check digits do not all agree.'}</p>
              </>
            )}
          </section>
          <section className="panel" aria-labelledby="comparisons-heading">
            <h2 id="comparisons-heading">Comparisons</h2>
            {r.comparisons.length ? (
              <ul className="id-list" aria-label="Linked comparisons">
                {r.comparisons.map((id) => (
                  <LinkedComparison key={id} id={id} />
                ))}
              </ul>
            ) : (
              <p className="muted">None linked yet.</p>
            )}
          </section>
          <section className="panel" aria-labelledby="history-heading">
            <h2 id="history-heading">History</h2>
            <ol className="timeline" aria-label="History">
              {r.history.map((h, i) => (
                <li key={i}>
                  <p className="timeline__meta">
                    {formatTimestamp(h.at)} · {h.actor}
                  </p>
                  <p>
                    <HistoryStep step={h} linkComparisons={can('comparisons:read-all')} />
                  </p>
                  {h.message && <p className="prose">{h.message}</p>}
                </li>
              ))}
            </ol>
          </section>
        </div>
      </div>
    </article>
  );
}

function AnswerPanel({ answer }: { answer: NonNullable<VerificationRequest['answer']> }) {
  return (
    <section className={`panel answer answer--${answer.conclusion}`} aria-labelledby="answer-heading">
      <h2 id="answer-heading">Answer of the laboratory</h2>
      <p className="answer__conclusion">
        <strong>{conclusionLabel(answer.conclusion)}</strong>
        {answer.fraudType && <> — {FRAUD_TYPES.find((f) => f.id === answer.fraudType)?.label ?? answer.fraudType}</>}
      </p>
      {answer.forgeryMethods && answer.forgeryMethods.length > 0 && <p>Methods: {answer.forgeryMethods.map(forgeryMethodLabel).join(', ')}</p>}
      <p className="prose">{answer.message}</p>
      <p className="timeline__meta">
        {answer.answeredBy}, {formatTimestamp(answer.answeredAt)}
      </p>
    </section>
  );
}

/** Runs one request action; errors (a lost claim race, a stale state) are shown beside the buttons. */
function useAction(onChange: (r: VerificationRequest) => void) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useActionError();
  const run = async (action: () => Promise<VerificationRequest>) => {
    setBusy(true);
    setError(null);
    try {
      onChange(await action());
      return true;
    } catch (err) {
      setError(err);
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run };
}

function ActionError({ error }: { error: unknown }) {
  if (error === null) return null;
  let text = errorMessage(error);
  if (isApiError(error, 'CONFLICT') && typeof error.details['claimedBy'] === 'string') text = `${error.details['claimedBy']} has claimed this request already.`;
  return (
    <p className="field__error" role="alert">
      {text}
    </p>
  );
}

function MessageForm({ label, button, busy, onSend }: { label: string; button: string; busy: boolean; onSend: (message: string) => Promise<boolean> }) {
  const [message, setMessage] = useState('');
  return (
    <form
      className="stack-form"
      onSubmit={async (e: FormEvent) => {
        e.preventDefault();
        if (message.trim() && (await onSend(message.trim()))) setMessage('');
      }}
    >
      <label className="field">
        <span className="field__label">{label}</span>
        <textarea rows={3} value={message} onChange={(e) => setMessage(e.target.value)} disabled={busy} />
      </label>
      <div>
        <button type="submit" className="button" disabled={busy || !message.trim()}>
          {button}
        </button>
      </div>
    </form>
  );
}

function ExaminerActions({ request: r, mine, onChange, onReload }: { request: VerificationRequest; mine: boolean; onChange: (r: VerificationRequest) => void; onReload: () => void }) {
  const api = useApi();
  const navigate = useNavigate();
  const { busy, error, run } = useAction(onChange);
  const [comparisonId, setComparisonId] = useState('');

  let body: ReactNode = null;
  if (r.status === 'submitted')
    body = (
      <>
        <p>Nobody is working on this request yet.</p>
        <button type="button" className="button button--primary" disabled={busy} onClick={() => void run(() => act(api, r.id, 'claim'))}>
          Claim this request
        </button>
      </>
    );
  else if (r.status === 'claimed' && !mine)
    body = (
      <p>
        {r.claimedBy} is working on this request.{' '}
        <button type="button" className="link-button" onClick={onReload}>
          Refresh
        </button>
      </p>
    );
  else if (mine)
    body = (
      <>
        <div className="button-row">
          <button
            type="button"
            className="button"
            disabled={busy}
            onClick={() =>
              void run(async () => {
                const comparison = await compareStoredImages(api, r);
                const linked = await linkComparison(api, r.id, comparison.id);
                navigate(`/comparisons/${comparison.id}`);
                return linked;
              })
            }
          >
            Compare with the best-matching reference
          </button>
          <button type="button" className="button" disabled={busy} onClick={() => void run(() => act(api, r.id, 'release'))}>
            Release to the queue
          </button>
        </div>
        <form
          className="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (comparisonId.trim()) void run(() => linkComparison(api, r.id, comparisonId.trim())).then((ok) => ok && setComparisonId(''));
          }}
        >
          <label className="field">
            <span className="field__label">Link a comparison (id)</span>
            <input value={comparisonId} onChange={(e) => setComparisonId(e.target.value)} disabled={busy} spellCheck={false} />
          </label>
          <button type="submit" className="button" disabled={busy || !comparisonId.trim()}>
            Link
          </button>
        </form>
        <AnswerForm busy={busy} onAnswer={(answer) => run(() => answerRequest(api, r.id, answer))} />
        <details className="disclosure">
          <summary>Ask the submitter for more information</summary>
          <MessageForm label="Question" button="Return to the submitter" busy={busy} onSend={(message) => run(() => act(api, r.id, 'return', { message }))} />
        </details>
      </>
    );
  else if (r.status === 'answered')
    body = (
      <button type="button" className="button" disabled={busy} onClick={() => void run(() => act(api, r.id, 'close'))}>
        Close the request
      </button>
    );
  if (!body) return null;
  return (
    <section className="panel" aria-labelledby="exam-heading">
      <h2 id="exam-heading">Examination</h2>
      {body}
      <ActionError error={error} />
    </section>
  );
}

function AnswerForm({ busy, onAnswer }: { busy: boolean; onAnswer: (a: VerificationAnswer) => Promise<boolean> }) {
  const [conclusion, setConclusion] = useState<VerificationAnswer['conclusion'] | ''>('');
  const [fraudType, setFraudType] = useState<VerificationAnswer['fraudType'] | ''>('');
  const [methods, setMethods] = useState<ForgeryMethod[]>([]);
  const [message, setMessage] = useState('');
  const [problem, setProblem] = useState<string | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!conclusion || !message.trim()) return setProblem('Choose a conclusion and write the message to the officer.');
    if (conclusion === 'fraudulent' && !fraudType) return setProblem('A fraudulent document needs its fraud type.');
    setProblem(null);
    const answer: VerificationAnswer = { conclusion, message: message.trim() };
    if (conclusion === 'fraudulent' && fraudType) {
      answer.fraudType = fraudType;
      if (methods.length) answer.forgeryMethods = methods;
    }
    await onAnswer(answer);
  };

  return (
    <form className="stack-form answer-form" onSubmit={submit} aria-label="Answer" noValidate>
      <fieldset className="checkbox-group">
        <legend className="field__label">Conclusion</legend>
        {CONCLUSIONS.map((c) => (
          <label key={c.id} className="radio-row">
            <input type="radio" name="conclusion" checked={conclusion === c.id} onChange={() => setConclusion(c.id)} disabled={busy} />
            <span>{c.label}</span>
          </label>
        ))}
      </fieldset>
      {conclusion === 'fraudulent' && (
        <>
          <label className="field">
            <span className="field__label">Fraud type</span>
            <select value={fraudType} onChange={(e) => setFraudType(e.target.value as VerificationAnswer['fraudType'])} disabled={busy}>
              <option value="">Choose…</option>
              {FRAUD_TYPES.map((f) => (
                <option key={f.id} value={f.id}>
                  {f.label}
                </option>
              ))}
            </select>
          </label>
          <fieldset className="checkbox-group">
            <legend className="field__label">Forgery methods (optional)</legend>
            <div className="checkbox-grid">
              {forgeryMethods.map((m) => (
                <label key={m.id} className="radio-row">
                  <input
                    type="checkbox"
                    checked={methods.includes(m.id as ForgeryMethod)}
                    onChange={(e) => setMethods((all) => (e.target.checked ? [...all, m.id as ForgeryMethod] : all.filter((x) => x !== m.id)))}
                    disabled={busy}
                  />
                  <span>{m.label}</span>
                </label>
              ))}
            </div>
          </fieldset>
        </>
      )}
      <label className="field">
        <span className="field__label">Message to the officer</span>
        <textarea rows={4} value={message} onChange={(e) => setMessage(e.target.value)} disabled={busy} />
      </label>
      {problem && (
        <p className="field__error" role="alert">
          {problem}
        </p>
      )}
      <div>
        <button type="submit" className="button button--primary" disabled={busy}>
          Send answer
        </button>
      </div>
    </form>
  );
}

function SubmitterActions({ request: r, onChange }: { request: VerificationRequest; onChange: (r: VerificationRequest) => void }) {
  const api = useApi();
  const { busy, error, run } = useAction(onChange);
  const question = [...r.history].reverse().find((h) => h.action === 'return');
  const canWithdraw = OPEN.includes(r.status);
  if (!canWithdraw && r.status !== 'answered') return null;
  return (
    <section className="panel" aria-labelledby="mine-heading">
      <h2 id="mine-heading">Your request</h2>
      {r.status === 'returned-for-information' && (
        <>
          <div className="notice notice--warn" role="status">
            <strong>The examiner asks:</strong> {question?.message ?? 'more information'}
          </div>
          <MessageForm label="Your reply" button="Send reply" busy={busy} onSend={(message) => run(() => act(api, r.id, 'reply', { message }))} />
        </>
      )}
      <div className="button-row">
        {r.status === 'answered' && (
          <button type="button" className="button" disabled={busy} onClick={() => void run(() => act(api, r.id, 'close'))}>
            Close the request
          </button>
        )}
        {canWithdraw && (
          <button type="button" className="button button--danger" disabled={busy} onClick={() => void run(() => act(api, r.id, 'withdraw', {}))}>
            Withdraw the request
          </button>
        )}
      </div>
      <ActionError error={error} />
    </section>
  );
}

/**
 * One history entry in words: what was done and the status it led to; a
 * linked comparison by its id (a link for those who may open any); the status
 * left out where it adds nothing (unchanged, or the action's own word:
 * "Answered", not "Answered → Answered").
 */
function HistoryStep({ step, linkComparisons }: { step: VerificationRequest['history'][number]; linkComparisons: boolean }) {
  const action = verificationActionLabel(step.action);
  const status = verificationStatusLabel(step.to);
  const id = step.comparisonId;
  return (
    <>
      {step.action === 'link-comparison' && id ? (
        <>
          Comparison {linkComparisons ? <Link to={`/comparisons/${encodeURIComponent(id)}`}>{id}</Link> : <code>{id}</code>} linked
        </>
      ) : (
        action
      )}
      {step.from !== step.to && status !== action && <> → {status}</>}
    </>
  );
}

