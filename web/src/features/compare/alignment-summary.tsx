import { alignmentMethodLabel, referenceShareShown, refinementAgreement, registrationLabel } from '@exemplar/specimens-schema';
import { lightLabel } from '../../shared/vocabulary';
import type { Comparison } from './types';

/** One entry, rounded for reading: the perspective terms are tiny, the translations large. */
function entry(v: number): string {
  if (v === 0) return '0';
  const m = Math.abs(v);
  return m >= 100 ? v.toFixed(2) : m < 1e-3 ? v.toExponential(3) : v.toPrecision(4);
}

/** Row-major 3×3, rounded for reading (the full numbers stay in the API record and the exhibit), columns right-aligned. */
function homographyRows(h: readonly number[]): string[] {
  const rows = [0, 1, 2].map((r) => h.slice(3 * r, 3 * r + 3).map(entry));
  const widths = [0, 1, 2].map((c) => Math.max(...rows.map((row) => row[c]?.length ?? 0)));
  return rows.map((row) => row.map((v, c) => v.padStart(widths[c] ?? 0)).join('  '));
}

/**
 * How the questioned images were aligned to the reference, the geometry
 * every difference rests on: one line (method, refinement points agreeing,
 * reprojection error, and for a close-up the share of the reference it
 * shows, the only part compared), and on opening how each light source was
 * registered, the homography and the pipeline's own words.
 */
export function AlignmentSummary({ comparison }: { comparison: Comparison }) {
  const a = comparison.alignment;
  if (!a) return null;
  const agreement = refinementAgreement(a);
  const share = referenceShareShown(a);
  const points = agreement ? `${agreement.agreeing} of ${agreement.of} refinement points agree` : `${a.inliers} refinement points agree`;
  const registered = comparison.lights.flatMap((l) => (l.registration ? [{ lightSource: l.lightSource, registration: l.registration }] : []));
  return (
    <details className="alignment-summary" aria-label="Alignment">
      <summary>
        <strong>Alignment</strong>: <span data-field="method">{alignmentMethodLabel(a.method)}</span> · <span data-field="points">{points}</span> ·{' '}
        <span data-field="rmse">RMSE {a.rmse.toFixed(2)} px</span>
        {share !== null && (
          <>
            {' '}
            · <strong data-field="share">the questioned image shows {Math.round(share * 100)} % of the reference</strong> (only that part was compared)
          </>
        )}
      </summary>
      <div className="alignment-summary__body">
        {registered.length > 0 && (
          <dl className="alignment-summary__lights" aria-label="Registration per light source">
            {registered.map(({ lightSource, registration }) => (
              <div key={lightSource}>
                <dt>{lightLabel(lightSource)}</dt>
                <dd>{registrationLabel(registration)}</dd>
              </div>
            ))}
          </dl>
        )}
        <p className="muted">
          Homography under {lightLabel(a.anchorLight)}, reference → questioned pixels:
        </p>
        <pre className="alignment-summary__matrix" aria-label="Homography">
          {homographyRows(a.homography).join('\n')}
        </pre>
        <p className="muted alignment-summary__message">As recorded: {a.message}</p>
      </div>
    </details>
  );
}
