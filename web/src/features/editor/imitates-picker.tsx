import { useId, useState } from 'react';
import { useApi } from '../../shared/api/api-context';
import { errorMessage } from '../../shared/api/client';
import { useResource } from '../../shared/api/use-resource';
import type { FieldControlProps } from '../../shared/ui/field';
import { issuingStateShortLabel } from '../../shared/vocabulary';
import { useSpecimenLookup } from '../library/use-specimen-lookup';
import { getSpecimen } from '../specimen/api';

const GENUINE_STATUSES = ['genuine', 'specimen'];

/**
 * Picks a specimen by searching the library rather than typing an id: by
 * default the genuine specimen a fraud imitates; `statuses` and `noun` pick
 * others (an alert's fraudulent specimen).
 */
export function ImitatesPicker({
  value,
  onChange,
  control,
  statuses = GENUINE_STATUSES,
  noun = 'genuine specimens',
}: {
  value: string;
  onChange: (id: string) => void;
  control: FieldControlProps;
  statuses?: string[];
  noun?: string;
}) {
  const api = useApi();
  const [text, setText] = useState('');
  const { results, error } = useSpecimenLookup(text, { status: statuses });
  const listId = useId();
  const chosen = useResource(value || null, (signal) => getSpecimen(api, value, signal));

  if (value) {
    return (
      <div className="picker picker--chosen">
        <span>
          {chosen.status === 'ready' ? (
            <>
              <strong>{chosen.data.title}</strong> <span className="muted">({issuingStateShortLabel(chosen.data.issuingState)})</span>
            </>
          ) : chosen.status === 'error' ? (
            <span className="error-text">
              {value}: {errorMessage(chosen.error)}
            </span>
          ) : (
            value
          )}
        </span>
        <button type="button" className="button button--small" onClick={() => onChange('')}>
          Clear
        </button>
      </div>
    );
  }

  return (
    <div className="picker">
      <input
        {...control}
        type="search"
        value={text}
        onChange={(e) => setText(e.target.value)}
        placeholder={`Search ${noun} by title…`}
        aria-controls={listId}
        autoComplete="off"
      />
      {error !== null && <span className="field__error">{errorMessage(error)}</span>}
      {results && (
        <ul id={listId} className="picker__results" aria-label={`Matching ${noun}`}>
          {results.length === 0 && <li className="muted">No {noun.replace(/s$/, '')} matches.</li>}
          {results.map((s) => (
            <li key={s.id}>
              <button
                type="button"
                className="link-button"
                onClick={() => {
                  onChange(s.id);
                  setText('');
                }}
              >
                {s.title} ({s.issuingState})
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
