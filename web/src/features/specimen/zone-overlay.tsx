import type { FeatureZone } from '@exemplar/specimens-schema';
import { featureTypeLabel, lightLabel, lightShortLabel } from '../../shared/vocabulary';

export function polygonBounds(polygon: readonly (readonly number[])[]): { x: number; y: number; width: number; height: number } {
  const xs = polygon.map((p) => p[0] ?? 0);
  const ys = polygon.map((p) => p[1] ?? 0);
  const x = Math.min(...xs);
  const y = Math.min(...ys);
  return { x, y, width: Math.max(...xs) - x, height: Math.max(...ys) - y };
}

/** Type and label, without saying the same thing twice ("Photo — Holder's photograph", not "Name — Name"). */
export function zoneTitle(zone: FeatureZone): string {
  const type = featureTypeLabel(zone.type);
  if (!zone.label || zone.label.trim().toLowerCase() === type.toLowerCase()) return type;
  return `${type} — ${zone.label}`;
}

/** The shortest name that still says what the zone is, for labels on the image. */
function zoneShortTitle(zone: FeatureZone): string {
  return zone.label?.trim() || featureTypeLabel(zone.type);
}

export function zoneLightsText(zone: FeatureZone): string {
  return zone.lightSources.map(lightLabel).join(', ');
}

/**
 * Feature zones as SVG in the capture's pixel frame. A zone that does not
 * show under the current light is drawn dimmed and dashed: the examiner
 * still sees where it is, and that it is not expected to be visible now.
 */
export function ZoneOverlay({ zones, light, highlighted, labels = true }: { zones: FeatureZone[]; light: string; highlighted: string | null; labels?: boolean }) {
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
            <polygon points={zone.polygon.map(([x, y]) => `${x},${y}`).join(' ')}>
              <title>{`${zoneTitle(zone)} — shows in ${zoneLightsText(zone)}`}</title>
            </polygon>
            {(labels || highlighted === zone.id) && (
              <text x={b.x} y={b.y} dy="-0.35em" className="zone__label">
                {zoneShortTitle(zone)}
                <tspan className="zone__lights"> {zone.lightSources.map(lightShortLabel).join(' ')}</tspan>
              </text>
            )}
          </g>
        );
      })}
    </g>
  );
}
