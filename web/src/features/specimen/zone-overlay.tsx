import type { FeatureZone } from '@exemplar/specimens-schema';
import { featureTypeLabel, lightLabel } from '../../shared/vocabulary';

export function polygonBounds(polygon: readonly (readonly number[])[]): { x: number; y: number; width: number; height: number } {
  const xs = polygon.map((p) => p[0] ?? 0);
  const ys = polygon.map((p) => p[1] ?? 0);
  const x = Math.min(...xs);
  const y = Math.min(...ys);
  return { x, y, width: Math.max(...xs) - x, height: Math.max(...ys) - y };
}

export function zoneTitle(zone: FeatureZone): string {
  return zone.label ? `${featureTypeLabel(zone.type)} — ${zone.label}` : featureTypeLabel(zone.type);
}

export function zoneLightsText(zone: FeatureZone): string {
  return zone.lightSources.map(lightLabel).join(', ');
}

/**
 * Feature zones as SVG in the capture's pixel frame. A zone that does not
 * show under the current light is drawn dimmed and dashed: the examiner
 * still sees where it is, and that it is not expected to be visible now.
 */
export function ZoneOverlay({ zones, light, highlighted }: { zones: FeatureZone[]; light: string; highlighted: string | null }) {
  return (
    <g className="zones">
      {zones.map((zone) => {
        const visible = zone.lightSources.includes(light as FeatureZone['lightSources'][number]);
        const b = polygonBounds(zone.polygon);
        const classes = ['zone', visible ? 'zone--visible' : 'zone--dimmed', zone.personalised ? 'zone--personalised' : '', highlighted === zone.id ? 'zone--highlighted' : '']
          .filter(Boolean)
          .join(' ');
        return (
          <g key={zone.id} className={classes} data-zone-id={zone.id} data-visible={visible}>
            <polygon points={zone.polygon.map(([x, y]) => `${x},${y}`).join(' ')} />
            <text x={b.x} y={b.y} className="zone__label">
              <tspan x={b.x} dy="-1.6em">
                {zoneTitle(zone)}
              </tspan>
              <tspan x={b.x} dy="1.2em" className="zone__lights">
                {zoneLightsText(zone)}
              </tspan>
            </text>
          </g>
        );
      })}
    </g>
  );
}
