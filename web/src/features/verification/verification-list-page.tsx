import type { VerificationRequest } from '@exemplar/specimens-schema';
import { useEffect, useState } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { useApi } from '../../shared/api/api-context';
import { useResource } from '../../shared/api/use-resource';
import { useCan, useUser } from '../../shared/auth/session';
import { formatTimestamp } from '../../shared/ui/format';
import { Pager } from '../../shared/ui/pager';
import { EmptyState, ErrorState, LoadingState } from '../../shared/ui/states';
import { useDocumentTitle } from '../../shared/ui/use-document-title';
import { conclusionLabel, dueText, listRequests, urgencyLabel, VERIFICATION_PAGE_SIZE, verificationStatusLabel, type RequestQuery } from './api';

interface View {
  id: string;
  label: string;
  query: (username: string) => RequestQuery;
}

const OPEN = ['submitted', 'claimed', 'returned-for-information'];

const EXAMINER_VIEWS: View[] = [
  { id: 'queue', label: 'Queue', query: () => ({ status: ['submitted', 'claimed'] }) },
  { id: 'claimed', label: 'Claimed by me', query: (u) => ({ status: ['claimed'], claimedBy: u }) },
  { id: 'waiting', label: 'Waiting for the submitter', query: () => ({ status: ['returned-for-information'] }) },
  { id: 'answered', label: 'Answered', query: () => ({ status: ['answered', 'closed'] }) },
  { id: 'all', label: 'All', query: () => ({}) },
];

const SUBMITTER_VIEWS: View[] = [
  { id: 'open', label: 'Open', query: () => ({ status: OPEN, mine: true }) },
  // A closed request was answered first (submitted → claimed → answered → closed): its answer stays where the officer looks for it.
  { id: 'answered', label: 'Answered', query: () => ({ status: ['answered', 'closed'], mine: true }) },
  { id: 'all', label: 'All', query: () => ({ mine: true }) },
];

/** The clock for "time left", moving once a minute. */
export function useNow(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 60_000);
    return () => clearInterval(t);
  }, []);
  return now;
}

export function VerificationListPage() {
  const api = useApi();
  const user = useUser();
  const can = useCan();
  const examiner = can('verification:answer');
  useDocumentTitle(examiner ? 'Verification queue' : 'My verification requests');
  const views = examiner ? EXAMINER_VIEWS : SUBMITTER_VIEWS;
  const [params, setParams] = useSearchParams();
  const view = views.find((v) => v.id === params.get('view')) ?? views[0]!;
  const offset = Math.max(0, Number(params.get('offset')) || 0);
  const query = { ...view.query(user.username), offset };
  const list = useResource(JSON.stringify(query), (signal) => listRequests(api, query, signal));
  const now = useNow();

  return (
    <div className="page">
      <header className="page-head">
        <div>
          <h1>{examiner ? 'Verification queue' : 'My verification requests'}</h1>
          <p className="muted">{examiner ? 'Most urgent first, then oldest.' : 'Requests you sent to the laboratory and their answers.'}</p>
        </div>
        {can('verification:submit') && (
          <Link className="button button--primary" to="/verification/new">
            Request verification
          </Link>
        )}
      </header>
      <div className="segmented" role="group" aria-label="Show requests">
        {views.map((v) => (
          <button key={v.id} type="button" aria-pressed={v.id === view.id} onClick={() => setParams({ view: v.id })}>
            {v.label}
          </button>
        ))}
      </div>
      {list.status === 'loading' && !list.data && <LoadingState label="Loading requests…" />}
      {list.status === 'error' && <ErrorState title="The requests could not be loaded" error={list.error} onRetry={list.reload} />}
      {list.data && list.data.items.length === 0 && (
        <EmptyState title={!examiner && view.id === 'open' ? 'No open requests' : 'No requests here'}>
          {!examiner && (
            <p>
              {view.id === 'open' && (
                <>
                  Answers to your earlier requests are under <Link to="?view=answered">Answered</Link>.{' '}
                </>
              )}
              <Link to="/verification/new">Request a verification</Link> when a document looks suspect.
            </p>
          )}
        </EmptyState>
      )}
      {list.data && list.data.items.length > 0 && (
        <>
          <div className="table-wrap">
            <table className="data-table">
              <caption className="visually-hidden">Verification requests ({list.data.total})</caption>
              <thead>
                <tr>
                  <th scope="col">Request</th>
                  <th scope="col">Urgency</th>
                  <th scope="col">Status</th>
                  <th scope="col">Due</th>
                  <th scope="col">Document</th>
                  <th scope="col">{examiner ? 'Submitted by' : 'Submitted'}</th>
                  <th scope="col">{examiner ? 'Claimed by' : 'Answer'}</th>
                </tr>
              </thead>
              <tbody>{list.data.items.map((r) => <RequestRow key={r.id} request={r} examiner={examiner} now={now} />)}</tbody>
            </table>
          </div>
          <Pager offset={offset} pageSize={VERIFICATION_PAGE_SIZE} total={list.data.total} onOffset={(o) => setParams({ view: view.id, offset: String(o) })} />
        </>
      )}
    </div>
  );
}

function RequestRow({ request: r, examiner, now }: { request: VerificationRequest; examiner: boolean; now: number }) {
  const open = OPEN.includes(r.status);
  const due = dueText(r.dueAt, now);
  const doc = r.document ? [r.document.issuingState, r.document.documentCode, r.document.documentNumber].filter(Boolean).join(' ') : '';
  return (
    <tr>
      <td>
        <Link to={`/verification/${r.id}`}>{r.notes?.split('\n')[0]?.slice(0, 60) || `Request ${r.id}`}</Link>
        {r.registerHits.length > 0 && (
          <>
            {' '}
            <span className="pill pill--stolen">Register hit</span>
          </>
        )}
      </td>
      <td>
        <span className={`pill pill--${r.urgency}`}>{urgencyLabel(r.urgency)}</span>
      </td>
      <td>
        <span className={`pill pill--${r.status}`}>{verificationStatusLabel(r.status)}</span>
      </td>
      <td>{open ? <span className={due.overdue ? 'error-text' : ''}>{due.text}</span> : <span className="muted">—</span>}</td>
      <td>{doc || <span className="muted">unknown</span>}</td>
      <td>
        {examiner ? `${r.submittedBy}, ` : ''}
        {formatTimestamp(r.submittedAt)}
      </td>
      <td>{examiner ? (r.claimedBy ?? <span className="muted">nobody yet</span>) : r.answer ? conclusionLabel(r.answer.conclusion) : <span className="muted">not yet</span>}</td>
    </tr>
  );
}
