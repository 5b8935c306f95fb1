import type { Capture, CaptureImage } from '@exemplar/specimens-schema';
import { useMemo } from 'react';
import { useApi } from '../../shared/api/api-context';
import { captureImageSource } from '../../shared/api/images';
import { useStoreSelector } from '../../shared/store/store';
import { DeepZoomViewer } from '../../shared/viewer/deep-zoom-viewer';
import { padRect } from '../../shared/viewer/view-channel';
import { byLightOrder, featureTypeLabel, lightLabel, pageLabel } from '../../shared/vocabulary';
import { LightSwitcher } from './light-switcher';
import type { SpecimenViewStore } from './view-store';
import { polygonBounds, ZoneOverlay, zoneLightsText } from './zone-overlay';

/** The frame of a capture: its images share one (a device may crop one slightly; the largest wins). */
export function captureFrame(capture: Capture): { width: number; height: number } {
  return {
    width: Math.max(1, ...capture.images.map((i) => i.width)),
    height: Math.max(1, ...capture.images.map((i) => i.height)),
  };
}

export function orderedImages(capture: Capture): CaptureImage[] {
  return [...capture.images].sort((a, b) => byLightOrder(a.lightSource, b.lightSource));
}

export interface CaptureViewProps {
  capture: Capture;
  light: string;
  onLightChange: (light: string) => void;
  store: SpecimenViewStore;
}

/** One capture in deep zoom, its light sources one keypress apart, its zones on top. */
export function CaptureView({ capture, light, onLightChange, store }: CaptureViewProps) {
  const api = useApi();
  const images = orderedImages(capture);
  const image = images.find((i) => i.lightSource === light) ?? images[0];
  const showZones = useStoreSelector(store, (s) => s.showZones);
  const showLabels = useStoreSelector(store, (s) => s.showZoneLabels);
  const highlighted = useStoreSelector(store, (s) => s.highlightedZone);
  const frame = captureFrame(capture);
  // Stable identities, so the viewer and the key handler only react to real changes.
  const lightKey = images.map((i) => i.lightSource).join(',');
  const lights = useMemo(() => (lightKey ? lightKey.split(',') : []), [lightKey]);
  const layers = useMemo(() => (image ? [{ id: 'image', source: captureImageSource(api, image) }] : []), [api, image]);

  if (!image) return <p className="muted">This capture has no images.</p>;
  const current = image.lightSource;

  return (
    <div className="capture-view">
      <div className="capture-view__bar">
        <LightSwitcher lights={lights} current={current} onChange={onLightChange} />
        {capture.zones.length > 0 && (
          <span className="capture-view__toggles">
            <label className="toggle">
              <input type="checkbox" checked={showZones} onChange={() => store.dispatch({ type: 'toggleZones' })} /> Show feature zones
            </label>
            <label className="toggle">
              <input type="checkbox" checked={showLabels} disabled={!showZones} onChange={() => store.dispatch({ type: 'toggleZoneLabels' })} /> Labels
            </label>
          </span>
        )}
      </div>
      <DeepZoomViewer
        label={`${pageLabel(capture.page)} under ${lightLabel(current)}`}
        frame={frame}
        layers={layers}
        channel={store.channel}
        overlay={showZones ? <ZoneOverlay zones={capture.zones} light={current} highlighted={highlighted} labels={showLabels} /> : null}
        className="viewer--specimen"
      >
        <span className="viewer__caption" aria-hidden="true">
          {lightLabel(current)}
        </span>
      </DeepZoomViewer>
      {capture.zones.length > 0 && (
        <section className="zone-list" aria-labelledby="zones-heading">
          <h2 id="zones-heading">Feature zones ({capture.zones.length})</h2>
          <ul>
            {capture.zones.map((zone) => {
              const visible = zone.lightSources.includes(current as (typeof zone.lightSources)[number]);
              return (
                <li key={zone.id} className={visible ? '' : 'zone-list__item--dimmed'}>
                  <button
                    type="button"
                    className="zone-list__button"
                    onMouseEnter={() => store.dispatch({ type: 'highlightZone', zoneId: zone.id })}
                    onMouseLeave={() => store.dispatch({ type: 'highlightZone', zoneId: null })}
                    onFocus={() => store.dispatch({ type: 'highlightZone', zoneId: zone.id })}
                    onBlur={() => store.dispatch({ type: 'highlightZone', zoneId: null })}
                    onClick={() => store.channel.publish(padRect(polygonBounds(zone.polygon), 0.25), 'zone-list', true)}
                    aria-label={`Zoom to ${featureTypeLabel(zone.type)}${zone.label ? ` ${zone.label}` : ''}`}
                  >
                    <span className="zone-list__type">{featureTypeLabel(zone.type)}</span>
                    {zone.label && <span className="zone-list__label">{zone.label}</span>}
                  </button>
                  <span className="zone-list__lights">
                    Shows in: {zoneLightsText(zone)}
                    {!visible && <em> — not visible under {lightLabel(current)}</em>}
                  </span>
                  {zone.personalised && <span className="pill">personalised</span>}
                  {zone.expectedAppearance && <p className="zone-list__expected">{zone.expectedAppearance}</p>}
                </li>
              );
            })}
          </ul>
        </section>
      )}
    </div>
  );
}
