import { Link, useSearchParams } from 'react-router-dom';
import { getCaseProposition, PROPOSITION_NOT_RECORDED } from '@exemplar/specimens-schema';
import { useApi } from '../../shared/api/api-context';
import { useResource } from '../../shared/api/use-resource';
import { useCan } from '../../shared/auth/session';
import { formatTimestamp } from '../../shared/ui/format';
import { Pager } from '../../shared/ui/pager';
import { EmptyState, ErrorState, LoadingState } from '../../shared/ui/states';
import { useDocumentTitle } from '../../shared/ui/use-document-title';
import { CASE_PAGE_SIZE, listCases, opinionLabel } from './api';

const STATUS_FILTERS = [
  { id: 'open', label: 'Open' },
  { id: 'closed', label: 'Closed' },
  { id: '', label: 'All' },
] as const;

export function CaseListPage() {
  useDocumentTitle('Cases');
  const api = useApi();
  const can = useCan();
  const [params, setParams] = useSearchParams();
  const status = params.get('status') ?? 'open';
  const offset = Math.max(0, Number(params.get('offset')) || 0);
  const cases = useResource(`${status}|${offset}`, (signal) => listCases(api, { ...(status ? { status } : {}), offset }, signal));
  const manage = can('cases:manage');

  const setQuery = (next: Record<string, string>) => setParams(next, { replace: false });

  return (
    <div className="page">
      <header className="page-head">
        <div>
          <h1>Cases</h1>
          <p className="muted">{manage ? 'Every case of the laboratory.' : 'The cases you are assigned to.'}</p>
        </div>
        {manage && (
          <Link className="button button--primary" to="/cases/new">
            New case
          </Link>
        )}
      </header>
      <div className="segmented" role="group" aria-label="Case status">
        {STATUS_FILTERS.map((f) => (
          <button key={f.id || 'all'} type="button" aria-pressed={status === f.id} onClick={() => setQuery({ status: f.id })}>
            {f.label}
          </button>
        ))}
      </div>

      {cases.status === 'loading' && !cases.data && <LoadingState label="Loading cases…" />}
      {cases.status === 'error' && <ErrorState title="The cases could not be loaded" error={cases.error} onRetry={cases.reload} />}
      {cases.data && cases.data.items.length === 0 && (
        <EmptyState title={status ? `No ${status} cases` : 'No cases'}>
          <p>{manage ? 'Create one with “New case”.' : 'When an examiner assigns you to a case it appears here.'}</p>
        </EmptyState>
      )}
      {cases.data && cases.data.items.length > 0 && (
        <>
          <div className="table-wrap">
            <table className="data-table">
              <caption className="visually-hidden">Cases ({cases.data.total})</caption>
              <thead>
                <tr>
                  <th scope="col">Reference</th>
                  <th scope="col">Title</th>
                  <th scope="col">Status</th>
                  <th scope="col">Conclusion</th>
                  <th scope="col">Examiners</th>
                  <th scope="col">Prosecutors</th>
                  <th scope="col">Updated</th>
                </tr>
              </thead>
              <tbody>
                {cases.data.items.map((c) => (
                  <tr key={c.id}>
                    <td>
                      <Link to={`/cases/${c.id}`}>{c.reference}</Link>
                    </td>
                    <td>{c.title}</td>
                    <td>
                      <span className={`pill pill--${c.status}`}>{c.status === 'open' ? 'Open' : 'Closed'}</span>
                    </td>
                    <td>
                      {c.opinion ? (
                        <>
                          {opinionLabel(c.opinion)}
                          <br />
                          <span className="muted">{(c.proposition && getCaseProposition(c.proposition)?.label) ?? `proposition ${PROPOSITION_NOT_RECORDED}`}</span>
                        </>
                      ) : (
                        <span className="muted">not yet</span>
                      )}
                    </td>
                    <td>{c.examiners.join(', ')}</td>
                    <td>{c.prosecutors.join(', ') || <span className="muted">none</span>}</td>
                    <td>{formatTimestamp(c.updatedAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager
            offset={offset}
            pageSize={CASE_PAGE_SIZE}
            total={cases.data.total}
            onOffset={(o) => setQuery({ ...(status ? { status } : { status: '' }), offset: String(o) })}
          />
        </>
      )}
    </div>
  );
}
