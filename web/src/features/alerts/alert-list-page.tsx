import type { Alert } from '@exemplar/specimens-schema';
import { useEffect, useState } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { useApi } from '../../shared/api/api-context';
import { useResource } from '../../shared/api/use-resource';
import { useCan, useUser } from '../../shared/auth/session';
import { formatTimestamp } from '../../shared/ui/format';
import { Pager } from '../../shared/ui/pager';
import { EmptyState, ErrorState, LoadingState } from '../../shared/ui/states';
import { useDocumentTitle } from '../../shared/ui/use-document-title';
import { categoryLabel, issuingStateShortLabel } from '../../shared/vocabulary';
import { ALERT_PAGE_SIZE, alertStatusLabel, alertVisits, ATOM_FEED_PATH, listAlerts, severityLabel } from './api';

const EXAMINER_TABS = [
  { id: '', label: 'All' },
  { id: 'draft', label: 'Drafts' },
  { id: 'pending-approval', label: 'Awaiting approval' },
  { id: 'published', label: 'Published' },
  { id: 'withdrawn', label: 'Withdrawn' },
] as const;

/**
 * The previous visit, read once when the page opens (so this visit's "new"
 * badges stay while the user reads), and this visit recorded for next time.
 */
function usePreviousVisit(username: string): string | null {
  const [previous] = useState(() => alertVisits.read(username));
  useEffect(() => alertVisits.mark(username, new Date().toISOString()), [username]);
  return previous;
}

export function isNewAlert(alert: Alert, previousVisit: string | null): boolean {
  if (alert.status !== 'published' || !alert.publishedAt) return false;
  return previousVisit === null || alert.publishedAt > previousVisit;
}

export function AlertListPage() {
  useDocumentTitle('Alerts');
  const api = useApi();
  const user = useUser();
  const can = useCan();
  const drafter = can('alerts:draft');
  const previousVisit = usePreviousVisit(user.username);
  const [params, setParams] = useSearchParams();
  const status = drafter ? (params.get('status') ?? '') : 'published';
  const offset = Math.max(0, Number(params.get('offset')) || 0);
  const list = useResource(`${status}|${offset}`, (signal) => listAlerts(api, { ...(drafter && status ? { status } : {}), offset }, signal));
  const fresh = list.data?.items.filter((a) => isNewAlert(a, previousVisit)).length ?? 0;

  return (
    <div className="page">
      <header className="page-head">
        <div>
          <h1>Alerts</h1>
          <p className="muted">
            What to check on documents in circulation, from the laboratory.{' '}
            <a href={api.url(ATOM_FEED_PATH)} aria-label="Atom feed of published alerts">
              Atom feed
            </a>
          </p>
        </div>
        {drafter && (
          <Link className="button button--primary" to="/alerts/new">
            New alert
          </Link>
        )}
      </header>
      {drafter && (
        <div className="segmented" role="group" aria-label="Alert status">
          {EXAMINER_TABS.map((t) => (
            <button key={t.id || 'all'} type="button" aria-pressed={status === t.id} onClick={() => setParams(t.id ? { status: t.id } : {})}>
              {t.label}
            </button>
          ))}
        </div>
      )}
      {fresh > 0 && (
        <p className="notice" role="status">
          {fresh} new alert{fresh === 1 ? '' : 's'} since your last visit.
        </p>
      )}
      {list.status === 'loading' && !list.data && <LoadingState label="Loading alerts…" />}
      {list.status === 'error' && <ErrorState title="The alerts could not be loaded" error={list.error} onRetry={list.reload} />}
      {list.data && list.data.items.length === 0 && <EmptyState title={drafter && status ? `No alerts ${alertStatusLabel(status).toLowerCase()}` : 'No alerts published'} />}
      {list.data && list.data.items.length > 0 && (
        <>
          <ul className="alert-list" aria-label="Alerts">
            {list.data.items.map((a) => {
              const isNew = isNewAlert(a, previousVisit);
              return (
                <li key={a.id} className={`alert-card alert-card--${a.severity} ${isNew ? 'alert-card--new' : ''}`}>
                  <div className="alert-card__head">
                    <Link to={`/alerts/${a.id}`} className="alert-card__title">
                      {a.title}
                    </Link>
                    {isNew && <span className="pill pill--new">New</span>}
                    <span className={`pill pill--${a.severity}`}>{severityLabel(a.severity)}</span>
                    {drafter && <span className={`pill pill--${a.status}`}>{alertStatusLabel(a.status)}</span>}
                  </div>
                  <p className="alert-card__meta muted">
                    {issuingStateShortLabel(a.affected.issuingState)} · {categoryLabel(a.affected.documentCategory)}
                    {a.affected.documentCode ? ` ${a.affected.documentCode}` : ''}
                    {a.affected.series ? ` · series ${a.affected.series}` : ''} ·{' '}
                    {a.publishedAt ? `published ${formatTimestamp(a.publishedAt)}` : `updated ${formatTimestamp(a.updatedAt)}`}
                  </p>
                  <p className="alert-card__summary">{a.summary.length > 240 ? `${a.summary.slice(0, 240)}…` : a.summary}</p>
                </li>
              );
            })}
          </ul>
          <Pager offset={offset} pageSize={ALERT_PAGE_SIZE} total={list.data.total} onOffset={(o) => setParams({ ...(status && drafter ? { status } : {}), offset: String(o) })} />
        </>
      )}
    </div>
  );
}
