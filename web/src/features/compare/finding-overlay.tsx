import { useStoreSelector } from '../../shared/store/store';
import type { CompareStore } from './store';
import type { Finding } from './types';

/**
 * Findings over the image: boxes in the findings colour (magenta, as the
 * pipeline's heatmap outlines), drawn doubled — a dark halo under a bright
 * frame — so they read apart from the region outlines and from personal
 * data (cyan) on any background. The selected and the highlighted one stand
 * out; it follows the store itself, so a hover in the list redraws only this.
 */
export function FindingOverlay({ findings, store }: { findings: Finding[]; store: CompareStore }) {
  const selected = useStoreSelector(store, (s) => s.selectedRegion);
  const hovered = useStoreSelector(store, (s) => s.hovered);
  const visible = useStoreSelector(store, (s) => s.showRegions);
  if (!visible || findings.length === 0) return null;
  return (
    <g className="findings-overlay">
      {findings.map((f) => {
        const { x, y, width, height } = f.box;
        const state = `${selected === f.id ? 'finding--selected' : ''} ${hovered === f.id ? 'finding--hovered' : ''}`;
        return (
          <g key={f.id} className={`finding finding--${f.kind} ${state}`} data-finding-id={f.id}>
            <title>{f.title}</title>
            <rect className="finding__halo" x={x} y={y} width={width} height={height} />
            <rect className="finding__frame" x={x} y={y} width={width} height={height} />
            <text className="finding__label" x={x + width} y={y} dy="-0.35em" textAnchor="end">
              M{f.id.slice(1)}
            </text>
          </g>
        );
      })}
    </g>
  );
}
