import { DeepZoomViewer } from '../../../shared/viewer/deep-zoom-viewer';
import { lightLabel } from '../../../shared/vocabulary';
import { SideTag } from '../side-tag';
import type { CompareMode, ModeViewProps } from './mode';

function SideBySideView({ light, store, overlay, reference, questioned }: ModeViewProps) {
  return (
    <div className="compare-split">
      <DeepZoomViewer
        label={`Reference: ${reference.title}, ${lightLabel(light.lightSource)}`}
        frame={light.frame}
        layers={[{ id: 'reference', source: light.reference }]}
        channel={store.channel}
        overlay={overlay}
        className="viewer--compare viewer--reference"
      >
        <SideTag side="reference" title={reference.title} />
      </DeepZoomViewer>
      <DeepZoomViewer
        label={`Questioned: ${questioned.title}, ${lightLabel(light.lightSource)}, aligned to the reference`}
        frame={light.frame}
        layers={[{ id: 'questioned', source: light.questioned }]}
        channel={store.channel}
        overlay={overlay}
        className="viewer--compare viewer--questioned"
      >
        <SideTag side="questioned" title={questioned.title} extra="aligned to the reference" />
      </DeepZoomViewer>
    </div>
  );
}

export const sideBySideMode: CompareMode = {
  id: 'side-by-side',
  label: 'Side by side',
  hotkey: 's',
  description: 'Reference and questioned next to each other; zoom and pan move both.',
  View: SideBySideView,
};
