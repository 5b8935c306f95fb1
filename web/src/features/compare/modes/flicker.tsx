import { useEffect, useId } from 'react';
import { useStoreSelector } from '../../../shared/store/store';
import { DeepZoomViewer } from '../../../shared/viewer/deep-zoom-viewer';
import { lightLabel } from '../../../shared/vocabulary';
import { FLICKER_RATES } from '../store';
import { SideTag } from '../side-tag';
import type { CompareMode, ModeControlsProps, ModeViewProps } from './mode';

/** Both images loaded in one viewer; the questioned one is shown or hidden at the chosen rate. */
function FlickerView({ light, store, overlay, reference, questioned }: ModeViewProps) {
  const side = useStoreSelector(store, (s) => s.flickerSide);
  const playing = useStoreSelector(store, (s) => s.flickerPlaying);
  const rate = useStoreSelector(store, (s) => s.flickerRate);

  useEffect(() => {
    if (!playing) return;
    const timer = setInterval(() => store.dispatch({ type: 'flickerTick' }), 1000 / rate);
    return () => clearInterval(timer);
  }, [playing, rate, store]);

  const shown = side === 'questioned' ? questioned : reference;
  return (
    <DeepZoomViewer
      label={`Flicker between reference and questioned, ${lightLabel(light.lightSource)}`}
      frame={light.frame}
      layers={[
        { id: 'reference', source: light.reference },
        { id: 'questioned', source: light.questioned, opacity: side === 'questioned' ? 1 : 0 },
      ]}
      channel={store.channel}
      overlay={overlay}
      className={`viewer--compare viewer--flicker viewer--${side}`}
    >
      <SideTag side={side} title={shown.title} extra={playing ? `flicker ${rate} /s` : 'paused'} />
      {/* Both sides stay named on screen, the one showing lit, so the questioned image is marked even while the reference shows. */}
      <span className="flicker-legend" aria-hidden="true">
        {(['questioned', 'reference'] as const).map((s) => (
          <span key={s} className={`flicker-legend__item flicker-legend__item--${s}`} data-side={s} data-current={s === side || undefined}>
            {s === 'questioned' ? 'Questioned' : 'Reference'}
          </span>
        ))}
      </span>
    </DeepZoomViewer>
  );
}

function FlickerControls({ store }: ModeControlsProps) {
  const playing = useStoreSelector(store, (s) => s.flickerPlaying);
  const rate = useStoreSelector(store, (s) => s.flickerRate);
  const side = useStoreSelector(store, (s) => s.flickerSide);
  const id = useId();
  return (
    <div className="mode-controls">
      <button type="button" className="button button--small" aria-pressed={playing} onClick={() => store.dispatch({ type: 'toggleFlicker' })}>
        {playing ? 'Pause' : 'Play'}
      </button>
      <button type="button" className="button button--small" aria-pressed={!playing && side === 'reference'} onClick={() => store.dispatch({ type: 'flickerShow', side: 'reference' })}>
        <span className="side-dot side-dot--reference" aria-hidden="true" /> Show reference
      </button>
      <button type="button" className="button button--small" aria-pressed={!playing && side === 'questioned'} onClick={() => store.dispatch({ type: 'flickerShow', side: 'questioned' })}>
        <span className="side-dot side-dot--questioned" aria-hidden="true" /> Show questioned
      </button>
      <label htmlFor={id}>Rate</label>
      <input
        id={id}
        type="range"
        min={FLICKER_RATES.min}
        max={FLICKER_RATES.max}
        step={0.5}
        value={rate}
        aria-label="Flicker rate (alternations per second)"
        aria-valuetext={`${rate} per second`}
        onChange={(e) => store.dispatch({ type: 'setFlickerRate', value: Number(e.target.value) })}
      />
      <span>{rate} /s</span>
    </div>
  );
}

export const flickerMode: CompareMode = {
  id: 'flicker',
  label: 'Flicker',
  hotkey: 'f',
  description: 'Alternates reference and questioned in place, so what changes catches the eye.',
  View: FlickerView,
  Controls: FlickerControls,
  adjust: { description: 'slower / faster', command: (s, d) => ({ type: 'setFlickerRate', value: s.flickerRate + d * 0.5 }) },
  toggle: { description: 'play / pause', command: { type: 'toggleFlicker' } },
};
