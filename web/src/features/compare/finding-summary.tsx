import type { Comparison as ApiComparison } from '@exemplar/specimens-schema';
import { lightLabel } from '../../shared/vocabulary';
import { describeFindings } from './findings';

/**
 * A comparison's findings in words, outside the viewer (a verification
 * request lists its comparisons): per light source, what failed. Nothing
 * when the comparison made none.
 */
export function FindingSummary({ comparison }: { comparison: ApiComparison }) {
  const lights = (comparison.result?.lights ?? []).filter((l) => (l.findings ?? []).length > 0);
  if (lights.length === 0) return null;
  return (
    <div className="finding-summary" aria-label={`Findings of comparison ${comparison.id}`}>
      {lights.map((l) => (
        <div key={l.lightSource}>
          <p className="finding-summary__light">{lightLabel(l.lightSource)}</p>
          <ul>
            {describeFindings(l.findings ?? []).map((f) => (
              <li key={f.id}>
                <strong>{f.title}</strong>
                {f.details.length > 0 && <span className="finding-summary__details"> — {f.details.join(' ')}</span>}
              </li>
            ))}
          </ul>
        </div>
      ))}
    </div>
  );
}
