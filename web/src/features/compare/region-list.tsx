import { lightOverexposedNote, regionOverexposedNote } from '@exemplar/specimens-schema';
import { useStoreSelector } from '../../shared/store/store';
import type { CompareStore } from './store';
import type { FlaggedRegion } from './types';

function describe(r: FlaggedRegion): string {
  return `${Math.round(r.box.width)} × ${Math.round(r.box.height)} px at x ${Math.round(r.box.x)}, y ${Math.round(r.box.y)} (reference)`;
}

/**
 * The flagged regions of the current light source; a click zooms every view
 * to the region. Where the questioned image is blown out (glare off a
 * laminate, overexposure) over much of the light's area or of a region, it
 * says so: a difference there may be the light, not the document.
 */
export function RegionList({ regions, overexposedShare, store }: { regions: FlaggedRegion[]; overexposedShare?: number | undefined; store: CompareStore }) {
  const selected = useStoreSelector(store, (s) => s.selectedRegion);
  const flagged = regions.filter((r) => !r.personalised);
  const personalised = regions.filter((r) => r.personalised);
  const lightGlare = lightOverexposedNote(overexposedShare);
  const item = (r: FlaggedRegion, label: string) => {
    const glare = regionOverexposedNote(r);
    return (
      <li key={r.id}>
        <button
          type="button"
          className={`region-item ${r.personalised ? 'region-item--personalised' : ''}`}
          aria-pressed={selected === r.id}
          aria-label={`Zoom to region ${label}, score ${r.score.toFixed(2)}, ${describe(r)}${glare ? `; ${glare}` : ''}`}
          onClick={() => store.dispatch({ type: 'focusRegion', id: r.id, box: r.box })}
        >
          <span className="region-item__number">{label}</span>
          <span className="region-item__score">
            <meter min={0} max={1} value={r.score} aria-hidden="true" /> score {r.score.toFixed(2)}
          </span>
          <span className="region-item__where">{describe(r)}</span>
          {glare && <span className="region-item__glare">{glare[0]!.toUpperCase() + glare.slice(1)}</span>}
        </button>
      </li>
    );
  };
  return (
    <section className="panel" aria-labelledby="regions-heading">
      <h2 id="regions-heading">Flagged regions ({flagged.length})</h2>
      {lightGlare && <p className="notice notice--warn region-list__glare">{lightGlare}</p>}
      {flagged.length === 0 ? (
        <p className="muted">No difference was flagged under this light source.</p>
      ) : (
        <ol className="region-list">{flagged.map((r, i) => item(r, String(i + 1)))}</ol>
      )}
      {personalised.length > 0 && (
        <details className="region-list__personalised">
          <summary>
            Differences in personalised zones ({personalised.length}) — expected between holders
          </summary>
          <ol className="region-list">{personalised.map((r, i) => item(r, `P${i + 1}`))}</ol>
        </details>
      )}
    </section>
  );
}
