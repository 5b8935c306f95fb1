import { Fragment } from 'react';
import { useStoreSelector } from '../../shared/store/store';
import type { CompareStore } from './store';
import type { Finding, MrzOutcome } from './types';

const OUTCOME_TEXT: Record<MrzOutcome, string> = {
  valid: 'The MRZ of the questioned document was read: every check digit holds.',
  invalid: 'The MRZ of the questioned document was read.',
  'not-read': 'No MRZ could be read for sure on the questioned document here (covered, cut off, washed out by glare, too blurred, or a character that does not show under this light).',
};

/** The MRZ as read, the characters a finding concerns marked. */
function MrzLines({ lines, marked }: { lines: string[]; marked: [number, number][] }) {
  const at = new Set(marked.map(([l, c]) => `${l}:${c}`));
  return (
    <pre className="mrz finding-item__mrz" aria-label="MRZ as read on the questioned document">
      {lines.map((line, l) => (
        <Fragment key={l}>
          {[...line].map((ch, c) => (at.has(`${l}:${c}`) ? <mark key={c}>{ch}</mark> : ch))}
          {l < lines.length - 1 ? '\n' : null}
        </Fragment>
      ))}
    </pre>
  );
}

/**
 * What the questioned document fails on its own terms under this light (its
 * MRZ read and checked). A click or Enter zooms every view to the finding;
 * the pointer or the keyboard focus on an item highlights its box.
 */
export function FindingList({ findings, mrz, store }: { findings: Finding[]; mrz?: MrzOutcome | undefined; store: CompareStore }) {
  const selected = useStoreSelector(store, (s) => s.selectedRegion);
  const hovered = useStoreSelector(store, (s) => s.hovered);
  if (findings.length === 0 && !mrz) return null;
  const hover = (id: string | null) => store.dispatch({ type: 'hover', id });
  return (
    <section className="panel findings" aria-labelledby="findings-heading">
      <h2 id="findings-heading">Document checks ({findings.length})</h2>
      {mrz && (findings.length === 0 || mrz !== 'invalid') && <p className="muted">{OUTCOME_TEXT[mrz]}</p>}
      {findings.length > 0 && (
        <ol className="finding-list">
          {findings.map((f) => {
            const label = `M${f.id.slice(1)}`;
            return (
              <li key={f.id} className={`finding-item ${hovered === f.id ? 'finding-item--hovered' : ''}`} data-finding-id={f.id}>
                <button
                  type="button"
                  className="finding-item__button"
                  aria-pressed={selected === f.id}
                  aria-describedby={`finding-${f.id}-details`}
                  onClick={() => store.dispatch({ type: 'focusRegion', id: f.id, box: f.box })}
                  onMouseEnter={() => hover(f.id)}
                  onMouseLeave={() => hover(null)}
                  onFocus={() => hover(f.id)}
                  onBlur={() => hover(null)}
                >
                  <span className="finding-item__number" aria-hidden="true">
                    {label}
                  </span>
                  <span className="finding-item__title">
                    <span className="visually-hidden">Zoom to finding {label}: </span>
                    {f.title}
                  </span>
                </button>
                <div id={`finding-${f.id}-details`} className="finding-item__details">
                  <ul>
                    {f.details.map((d, i) => (
                      <li key={i}>{d}</li>
                    ))}
                  </ul>
                  {f.mrz && <MrzLines lines={f.mrz.lines} marked={f.mrz.marked} />}
                </div>
              </li>
            );
          })}
        </ol>
      )}
    </section>
  );
}
