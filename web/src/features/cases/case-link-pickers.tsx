/**
 * What a case links, chosen by name rather than typed as ids: comparisons
 * from the list the examiner may read (newest first, searched by the API for
 * what the rows show), reference specimens through the library search. Ids can still be
 * pasted (from a report, a message): they are checked when the case is saved.
 */
import type { Specimen } from '@exemplar/specimens-schema';
import { useId, useState, type KeyboardEvent, type ReactNode } from 'react';
import { useApi } from '../../shared/api/api-context';
import { errorMessage, isNotFound } from '../../shared/api/client';
import { useResource } from '../../shared/api/use-resource';
import { formatTimestamp } from '../../shared/ui/format';
import { StatusBadge } from '../../shared/ui/status-badge';
import { issuingStateShortLabel } from '../../shared/vocabulary';
import { comparisonOutcome, getComparison, questionedTitle, type ApiComparison } from '../compare/api';
import { useComparisonSearch } from '../compare/use-comparison-search';
import { useReferenceTitles } from '../compare/use-reference-titles';
import { useSpecimenLookup } from '../library/use-specimen-lookup';
import { getSpecimen } from '../specimen/api';
import { splitList } from './api';
import { MorePages } from '../../shared/ui/more-pages';

interface PickerProps {
  chosen: string[];
  onChange: (ids: string[]) => void;
  disabled: boolean;
  /** The API's messages about this list (ids it did not find …). */
  errors: string[] | undefined;
  /** Ids typed in the paste box and not added yet: the form adds them when it saves, so nothing typed is lost. */
  pasted: string;
  onPasted: (text: string) => void;
}

const added = (chosen: string[], ids: string[]) => [...chosen, ...ids.filter((id) => !chosen.includes(id))];

/** Enter in a search box of the pickers searches (it already does as one types); it must not submit the whole case form. */
const keepEnter = (e: KeyboardEvent<HTMLInputElement>) => {
  if (e.key === 'Enter') e.preventDefault();
};

/** A comparison by what it examined, when it was made and how it ended. */
function comparisonLabel(c: ApiComparison): string {
  return `${questionedTitle(c)} — ${formatTimestamp(c.createdAt)}, ${comparisonOutcome(c).toLowerCase()}`;
}

export function ComparisonPicker(props: PickerProps) {
  const { chosen, onChange, disabled } = props;
  const [open, setOpen] = useState(false);
  // Comparisons seen in the list, so a chosen one is named without asking the API again.
  const [known, setKnown] = useState<Record<string, ApiComparison>>({});
  const add = (c: ApiComparison) => {
    setKnown((k) => ({ ...k, [c.id]: c }));
    onChange(added(chosen, [c.id]));
  };
  return (
    <LinkGroup label="Comparisons" noun="comparison" {...props}>
      <ul className="id-list" aria-label="Linked comparisons">
        {chosen.map((id) => (
          <ChosenComparison key={id} id={id} known={known[id]} disabled={disabled} onRemove={() => onChange(chosen.filter((c) => c !== id))} />
        ))}
      </ul>
      {open ? <ComparisonFinder chosen={chosen} disabled={disabled} onAdd={add} onClose={() => setOpen(false)} /> : (
        <button type="button" className="button button--small" aria-expanded={false} disabled={disabled} onClick={() => setOpen(true)}>
          Choose comparisons…
        </button>
      )}
    </LinkGroup>
  );
}

export function SpecimenPicker(props: PickerProps) {
  const { chosen, onChange, disabled } = props;
  const [known, setKnown] = useState<Record<string, Specimen>>({});
  const [text, setText] = useState('');
  const { results, error } = useSpecimenLookup(text);
  const inputId = useId();
  const add = (s: Specimen) => {
    setKnown((k) => ({ ...k, [s.id]: s }));
    onChange(added(chosen, [s.id]));
  };
  return (
    <LinkGroup label="Reference specimens" noun="specimen" {...props}>
      <ul className="id-list" aria-label="Linked reference specimens">
        {chosen.map((id) => (
          <ChosenSpecimen key={id} id={id} known={known[id]} disabled={disabled} onRemove={() => onChange(chosen.filter((c) => c !== id))} />
        ))}
      </ul>
      <div className="picker">
        <label className="field__label" htmlFor={inputId}>
          Search the library
        </label>
        <input id={inputId} type="search" value={text} onChange={(e) => setText(e.target.value)} onKeyDown={keepEnter} placeholder="Title, series, description…" autoComplete="off" disabled={disabled} />
        {error !== null && <span className="field__error">{errorMessage(error)}</span>}
        {results && (
          <ul className="picker__results" aria-label="Specimens found">
            {results.length === 0 && <li className="muted">No specimen matches.</li>}
            {results.map((s) => (
              <li key={s.id}>
                <button type="button" className="link-button" disabled={disabled || chosen.includes(s.id)} onClick={() => add(s)} aria-label={`Add ${s.title}`}>
                  {s.title}
                </button>{' '}
                <StatusBadge status={s.status} /> <span className="muted small">{issuingStateShortLabel(s.issuingState)}</span>
                {chosen.includes(s.id) && <span className="muted small"> — linked</span>}
              </li>
            ))}
          </ul>
        )}
      </div>
    </LinkGroup>
  );
}

/** The group round a picker: its legend, the API's messages, and the box for pasted ids. */
function LinkGroup({ label, noun, chosen, onChange, disabled, errors, pasted, onPasted, children }: PickerProps & { label: string; noun: string; children: ReactNode }) {
  const pasteId = useId();
  const errorId = useId();
  const addPasted = () => {
    const ids = splitList(pasted);
    if (ids.length) onChange(added(chosen, ids));
    onPasted('');
  };
  const onKey = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key !== 'Enter') return;
    // Enter adds the ids; it must not submit the whole case form.
    e.preventDefault();
    addPasted();
  };
  const invalid = (errors?.length ?? 0) > 0;
  return (
    <fieldset className={`field link-group ${invalid ? 'field--invalid' : ''}`} aria-describedby={invalid ? errorId : undefined}>
      <legend className="field__label">
        {label} ({chosen.length})
      </legend>
      {chosen.length === 0 && <p className="muted small">None linked yet.</p>}
      {children}
      <div className="inline-form">
        <label className="visually-hidden" htmlFor={pasteId}>
          {`Paste ${noun} ids`}
        </label>
        <input
          id={pasteId}
          value={pasted}
          onChange={(e) => onPasted(e.target.value)}
          onKeyDown={onKey}
          placeholder={`or paste ${noun} ids`}
          disabled={disabled}
          spellCheck={false}
          autoCapitalize="none"
        />
        <button type="button" className="button button--small" disabled={disabled || !pasted.trim()} onClick={addPasted}>
          Add ids
        </button>
      </div>
      {invalid && (
        <span id={errorId} className="field__error">
          {errors!.map((e) => `${label} ${e}`).join('; ')}
        </span>
      )}
    </fieldset>
  );
}

interface ChosenProps<T> {
  id: string;
  /** The record as a list or search showed it, when it was chosen there. */
  known: T | undefined;
  disabled: boolean;
  onRemove: () => void;
}

function RemoveButton({ name, disabled, onRemove }: { name: string; disabled: boolean; onRemove: () => void }) {
  return (
    <button type="button" className="link-button" disabled={disabled} onClick={onRemove} aria-label={`Remove ${name}`}>
      Remove
    </button>
  );
}

/** A linked comparison by what it examined, when and how it ended; one not found says so (saving will refuse it). */
function ChosenComparison({ id, known, disabled, onRemove }: ChosenProps<ApiComparison>) {
  const api = useApi();
  const found = useResource(known ? null : id, (signal) => getComparison(api, id, signal));
  const c = known ?? found.data;
  return (
    <li>
      {c ? (
        <span>
          <strong>{questionedTitle(c)}</strong>{' '}
          <span className="muted small">
            — {formatTimestamp(c.createdAt)}, {comparisonOutcome(c).toLowerCase()} ({id})
          </span>
        </span>
      ) : (
        <span>
          Comparison <code>{id}</code>
          {found.status === 'error' && <span className="error-text"> — {isNotFound(found.error) ? 'no such comparison' : errorMessage(found.error)}</span>}
        </span>
      )}{' '}
      <RemoveButton name={c ? comparisonLabel(c) : `comparison ${id}`} disabled={disabled} onRemove={onRemove} />
    </li>
  );
}

/** A linked specimen by its title, status and issuing state; one not found says so (saving will refuse it). */
function ChosenSpecimen({ id, known, disabled, onRemove }: ChosenProps<Specimen>) {
  const api = useApi();
  const found = useResource(known ? null : id, (signal) => getSpecimen(api, id, signal));
  const s = known ?? found.data;
  return (
    <li>
      {s ? (
        <span>
          <strong>{s.title}</strong> <StatusBadge status={s.status} /> <span className="muted small">{issuingStateShortLabel(s.issuingState)}</span>
        </span>
      ) : (
        <span>
          Specimen <code>{id}</code>
          {found.status === 'error' && <span className="error-text"> — {isNotFound(found.error) ? 'no such specimen' : errorMessage(found.error)}</span>}
        </span>
      )}{' '}
      <RemoveButton name={s ? s.title : `specimen ${id}`} disabled={disabled} onRemove={onRemove} />
    </li>
  );
}

/**
 * The comparisons the user may read, newest first, a page at a time; the
 * search box asks the API (what each row shows: notes, file names, reference,
 * id, submitter), so one far back is found without paging to it.
 */
function ComparisonFinder({ chosen, disabled, onAdd, onClose }: { chosen: string[]; disabled: boolean; onAdd: (c: ApiComparison) => void; onClose: () => void }) {
  const [text, setText] = useState('');
  const searchId = useId();
  const pages = useComparisonSearch('', text);
  const { first, items, q } = pages;
  const titles = useReferenceTitles(items);
  return (
    <div className="picker" role="group" aria-label="Choose comparisons">
      <div className="inline-form">
        <label className="field__label" htmlFor={searchId}>
          Search the comparisons
        </label>
        <input id={searchId} type="search" value={text} onChange={(e) => setText(e.target.value)} onKeyDown={keepEnter} placeholder="document, reference, submitter…" autoComplete="off" />
        <button type="button" className="button button--small" aria-expanded={true} onClick={onClose}>
          Done choosing
        </button>
      </div>
      {first.status === 'loading' && !first.data && <p className="muted">Loading comparisons…</p>}
      {first.status === 'error' && (
        <p className="field__error">
          The comparisons could not be loaded: {errorMessage(first.error)}{' '}
          <button type="button" className="link-button" onClick={first.reload}>
            Try again
          </button>
        </p>
      )}
      {first.data && (
        <div className="table-wrap">
          <table className="data-table">
            <caption className="visually-hidden">Comparisons to link</caption>
            <thead>
              <tr>
                <th scope="col">Questioned document</th>
                <th scope="col">Reference</th>
                <th scope="col">Submitted</th>
                <th scope="col">Result</th>
                <th scope="col">
                  <span className="visually-hidden">Link</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.length === 0 && (
                <tr>
                  <td colSpan={5} className="muted">
                    {q ? `No comparison matches “${q}”.` : 'No comparisons yet.'}
                  </td>
                </tr>
              )}
              {items.map((c) => (
                <tr key={c.id}>
                  <td>{questionedTitle(c)}</td>
                  <td>{c.reference ? (titles.get(c.reference.specimenId) ?? c.reference.specimenId) : <span className="muted">{c.request.reference === 'auto' ? 'chosen automatically' : 'none'}</span>}</td>
                  <td>
                    {formatTimestamp(c.createdAt)} <span className="muted small">by {c.createdBy}</span>
                  </td>
                  <td>{comparisonOutcome(c)}</td>
                  <td>
                    {chosen.includes(c.id) ? (
                      <span className="muted">Linked</span>
                    ) : (
                      <button type="button" className="button button--small" disabled={disabled} onClick={() => onAdd(c)} aria-label={`Link ${comparisonLabel(c)}`}>
                        Link
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <MorePages pages={pages} label={`Older comparisons (${items.length} shown)`} small />
    </div>
  );
}
