import { useId } from 'react';
import { BLOWN_OUT_REGIONS_HEADING, blownOutRegionNote, blownOutRegionsSentence, lightOverexposedNote, regionOverexposedNote } from '@exemplar/specimens-schema';
import { useStoreSelector } from '../../shared/store/store';
import type { CompareStore } from './store';
import type { FlaggedRegion } from './types';

function describe(r: FlaggedRegion): string {
  return `${Math.round(r.box.width)} × ${Math.round(r.box.height)} px at x ${Math.round(r.box.x)}, y ${Math.round(r.box.y)} (reference)`;
}

function capitalised(text: string): string {
  return text[0]!.toUpperCase() + text.slice(1);
}

/**
 * The flagged regions of the current light source; a click zooms every view
 * to the region. Where the questioned image is blown out (glare off a
 * laminate, overexposure) over much of the light's area or of a region, it
 * says so: a difference there may be the light, not the document. What
 * differs only where it is blown out is listed after the differences, apart
 * and not counted with them: it was not judged.
 */
export function RegionList({
  regions,
  blownOut,
  overexposedShare,
  store,
}: {
  regions: FlaggedRegion[];
  /** Blown-out areas, not judged; absent when the result did not list them apart. */
  blownOut?: FlaggedRegion[] | undefined;
  overexposedShare?: number | undefined;
  store: CompareStore;
}) {
  const selected = useStoreSelector(store, (s) => s.selectedRegion);
  const blownOutHeading = useId();
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
          {glare && <span className="region-item__glare">{capitalised(glare)}</span>}
        </button>
      </li>
    );
  };
  // Not judged, so no score: only where, and how much of it is blown out.
  const blownOutItem = (r: FlaggedRegion, label: string) => {
    const note = blownOutRegionNote(r);
    return (
      <li key={r.id}>
        <button
          type="button"
          className="region-item region-item--blown-out"
          aria-pressed={selected === r.id}
          aria-label={`Zoom to blown-out area ${label}, ${describe(r)}; ${note}`}
          onClick={() => store.dispatch({ type: 'focusRegion', id: r.id, box: r.box })}
        >
          <span className="region-item__number">{label}</span>
          <span className="region-item__where">{describe(r)}</span>
          <span className="region-item__glare">{capitalised(note)}</span>
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
      {blownOut && blownOut.length > 0 && (
        <section className="region-list__blown-out" aria-labelledby={blownOutHeading}>
          <h3 id={blownOutHeading}>
            {BLOWN_OUT_REGIONS_HEADING} ({blownOut.length})
          </h3>
          <p className="muted">{blownOutRegionsSentence(blownOut.length)}</p>
          <ol className="region-list">{blownOut.map((r, i) => blownOutItem(r, `B${i + 1}`))}</ol>
        </section>
      )}
    </section>
  );
}
