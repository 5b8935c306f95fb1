import { useId } from 'react';
import { useStoreSelector } from '../../../shared/store/store';
import { DeepZoomViewer } from '../../../shared/viewer/deep-zoom-viewer';
import { lightLabel } from '../../../shared/vocabulary';
import { SideTag } from '../side-tag';
import type { CompareMode, ModeControlsProps, ModeViewProps } from './mode';

function HeatmapView({ light, store, overlay, reference, questioned }: ModeViewProps) {
  const opacity = useStoreSelector(store, (s) => s.heatmapOpacity);
  return (
    <DeepZoomViewer
      label={`Difference heatmap of the questioned image against the reference, ${lightLabel(light.lightSource)}`}
      frame={light.frame}
      layers={[
        { id: 'reference', source: light.reference },
        { id: 'heatmap', source: light.heatmap, opacity },
      ]}
      channel={store.channel}
      overlay={overlay}
      className="viewer--compare viewer--heatmap"
    >
      <span className="side-tags">
        <SideTag side="questioned" title={questioned.title} extra="differences in colour" />
        <SideTag side="reference" title={reference.title} extra="in grey beneath" />
      </span>
    </DeepZoomViewer>
  );
}

function HeatmapControls({ store, light }: ModeControlsProps) {
  const opacity = useStoreSelector(store, (s) => s.heatmapOpacity);
  const id = useId();
  return (
    <div className="mode-controls">
      <label htmlFor={id}>Reference in colour</label>
      <input
        id={id}
        type="range"
        min={0}
        max={100}
        value={Math.round(opacity * 100)}
        aria-label="Opacity of the difference heatmap"
        aria-valuetext={`${Math.round(opacity * 100)}% heatmap`}
        onChange={(e) => store.dispatch({ type: 'setHeatmapOpacity', value: Number(e.target.value) / 100 })}
      />
      <span>Heatmap {Math.round(opacity * 100)}%</span>
      <span className="heat-legend" aria-hidden="true">
        <span className="heat-legend__bar" /> stronger difference →
      </span>
      {(light.overexposedShare ?? 0) > 0 && (
        <span className="heat-legend" aria-hidden="true">
          <span className="heat-legend__blown" /> blown out (glare): no detail
        </span>
      )}
      {(light.blownOutRegions?.length ?? 0) > 0 && (
        <span className="heat-legend" aria-hidden="true">
          <span className="heat-legend__blown-out-area" /> B: blown out, not judged
        </span>
      )}
    </div>
  );
}

export const heatmapMode: CompareMode = {
  id: 'heatmap',
  label: 'Heatmap',
  hotkey: 'h',
  description: 'Where and how strongly the questioned image differs from the reference.',
  View: HeatmapView,
  Controls: HeatmapControls,
  adjust: { description: 'fade the heatmap out / in', command: (s, d) => ({ type: 'setHeatmapOpacity', value: Math.round((s.heatmapOpacity + d * 0.1) * 10) / 10 }) },
};
