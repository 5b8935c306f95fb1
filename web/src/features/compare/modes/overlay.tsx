import { useId } from 'react';
import { useStoreSelector } from '../../../shared/store/store';
import { DeepZoomViewer } from '../../../shared/viewer/deep-zoom-viewer';
import { lightLabel } from '../../../shared/vocabulary';
import { SideTag } from '../side-tag';
import type { CompareMode, ModeControlsProps, ModeViewProps } from './mode';

function OverlayView({ light, store, overlay, reference, questioned }: ModeViewProps) {
  const opacity = useStoreSelector(store, (s) => s.opacity);
  const percent = Math.round(opacity * 100);
  return (
    <DeepZoomViewer
      label={`Questioned over reference at ${percent}% opacity, ${lightLabel(light.lightSource)}`}
      frame={light.frame}
      layers={[
        { id: 'reference', source: light.reference },
        { id: 'questioned', source: light.questioned, opacity },
      ]}
      channel={store.channel}
      overlay={overlay}
      className="viewer--compare viewer--blend"
    >
      <span className="side-tags">
        <SideTag side="questioned" title={questioned.title} extra={`${percent}% on top`} />
        <SideTag side="reference" title={reference.title} extra={`${100 - percent}% through`} />
      </span>
      <span className="blend-bar" aria-hidden="true" style={{ ['--mix' as string]: `${percent}%` }} />
    </DeepZoomViewer>
  );
}

function OverlayControls({ store }: ModeControlsProps) {
  const opacity = useStoreSelector(store, (s) => s.opacity);
  const id = useId();
  return (
    <div className="mode-controls">
      <label htmlFor={id}>
        <span className="side-dot side-dot--reference" aria-hidden="true" /> Reference
      </label>
      <input
        id={id}
        type="range"
        min={0}
        max={100}
        step={1}
        value={Math.round(opacity * 100)}
        aria-label="Opacity of the questioned image"
        aria-valuetext={`${Math.round(opacity * 100)}% questioned`}
        onChange={(e) => store.dispatch({ type: 'setOpacity', value: Number(e.target.value) / 100 })}
      />
      <span>
        Questioned <span className="side-dot side-dot--questioned" aria-hidden="true" /> {Math.round(opacity * 100)}%
      </span>
    </div>
  );
}

export const overlayMode: CompareMode = {
  id: 'overlay',
  label: 'Overlay',
  hotkey: 'o',
  description: 'The questioned image over the reference (onion skin); the slider sets its opacity.',
  View: OverlayView,
  Controls: OverlayControls,
  adjust: { description: 'less / more questioned', command: (s, d) => ({ type: 'setOpacity', value: Math.round((s.opacity + d * 0.1) * 10) / 10 }) },
};
