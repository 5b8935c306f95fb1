import { featureTypeLabel } from '../../shared/vocabulary';
import { polygonBounds } from '../specimen/zone-overlay';
import type { CompareStore } from './store';
import type { ZoneVerdict, ZoneVerdictKind } from './types';

const VERDICT_LABELS: Record<ZoneVerdictKind, string> = { consistent: 'Consistent', different: 'Different', absent: 'Absent' };
const ORDER: Record<ZoneVerdictKind, number> = { absent: 0, different: 1, consistent: 2 };

/** The verdict on each annotated security feature under this light: absent and different first. */
export function ZoneVerdicts({ verdicts, store }: { verdicts: ZoneVerdict[]; store: CompareStore }) {
  const sorted = [...verdicts].sort((a, b) => ORDER[a.verdict] - ORDER[b.verdict] || b.score - a.score);
  return (
    <section className="panel" aria-labelledby="verdicts-heading">
      <h2 id="verdicts-heading">Security features ({verdicts.length})</h2>
      {sorted.length === 0 ? (
        <p className="muted">The reference has no annotated security feature that shows under this light source.</p>
      ) : (
        <table className="verdicts">
          <thead>
            <tr>
              <th scope="col">Feature</th>
              <th scope="col">Verdict</th>
              <th scope="col">Score</th>
            </tr>
          </thead>
          <tbody>
            {sorted.map((v) => {
              const name = v.label ? `${featureTypeLabel(v.type)} — ${v.label}` : featureTypeLabel(v.type);
              return (
                <tr key={v.zoneId} className={`verdict-row verdict-row--${v.verdict}`}>
                  <td>
                    {v.polygon ? (
                      <button
                        type="button"
                        className="link-button"
                        aria-label={`Zoom to ${name}`}
                        onClick={() => store.dispatch({ type: 'focusRegion', id: `zone:${v.zoneId}`, box: polygonBounds(v.polygon!) })}
                      >
                        {name}
                      </button>
                    ) : (
                      name
                    )}
                  </td>
                  <td>
                    <span className={`verdict verdict--${v.verdict}`}>{VERDICT_LABELS[v.verdict]}</span>
                  </td>
                  <td>{v.score.toFixed(2)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
