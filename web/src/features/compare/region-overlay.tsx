import type { FlaggedRegion } from './types';

/** Flagged regions over the image: numbered outlines in the flag colour; the selected one stands out. */
export function RegionOverlay({ regions, selected, visible }: { regions: FlaggedRegion[]; selected: string | null; visible: boolean }) {
  if (!visible) return null;
  return (
    <g className="regions">
      {regions.map((r) => {
        // Numbered as in the region list: flagged 1, 2 …; personalised P1, P2 … (the ids carry the rank).
        const number = r.personalised ? `P${r.id.slice(1)}` : r.id.slice(1);
        const shape =
          r.polygon.length >= 3 ? (
            <polygon points={r.polygon.map(([x, y]) => `${x},${y}`).join(' ')} />
          ) : (
            <rect x={r.box.x} y={r.box.y} width={r.box.width} height={r.box.height} />
          );
        return (
          <g
            key={r.id}
            className={`region ${r.personalised ? 'region--personalised' : ''} ${selected === r.id ? 'region--selected' : ''}`}
            data-region-id={r.id}
          >
            <rect className="region__box" x={r.box.x} y={r.box.y} width={r.box.width} height={r.box.height} />
            {shape}
            <text className="region__label" x={r.box.x} y={r.box.y} dy="-0.35em">
              {number}
            </text>
          </g>
        );
      })}
    </g>
  );
}
