import type { FlaggedRegion } from './types';

/**
 * Flagged regions over the image: numbered outlines in the flag colour; the
 * selected one stands out. Blown-out areas (not judged) are drawn apart,
 * dashed in grey and numbered B1, B2 …, so they never read as differences.
 */
export function RegionOverlay({ regions, blownOut = [], selected, visible }: { regions: FlaggedRegion[]; blownOut?: FlaggedRegion[] | undefined; selected: string | null; visible: boolean }) {
  if (!visible) return null;
  const outline = (r: FlaggedRegion, number: string, kind: string) => {
    const shape =
      r.polygon.length >= 3 ? (
        <polygon points={r.polygon.map(([x, y]) => `${x},${y}`).join(' ')} />
      ) : (
        <rect x={r.box.x} y={r.box.y} width={r.box.width} height={r.box.height} />
      );
    return (
      <g key={r.id} className={`region ${kind} ${selected === r.id ? 'region--selected' : ''}`} data-region-id={r.id}>
        <rect className="region__box" x={r.box.x} y={r.box.y} width={r.box.width} height={r.box.height} />
        {shape}
        <text className="region__label" x={r.box.x} y={r.box.y} dy="-0.35em">
          {number}
        </text>
      </g>
    );
  };
  return (
    <g className="regions">
      {/* Under the differences: a difference's outline stays on top where they meet. */}
      {blownOut.map((r) => outline(r, `B${r.id.slice(1)}`, 'region--blown-out'))}
      {/* Numbered as in the region list: flagged 1, 2 …; personalised P1, P2 … (the ids carry the rank). */}
      {regions.map((r) => outline(r, r.personalised ? `P${r.id.slice(1)}` : r.id.slice(1), r.personalised ? 'region--personalised' : ''))}
    </g>
  );
}
