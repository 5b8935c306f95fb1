import { useId, useRef } from 'react';
import { useStoreSelector } from '../../../shared/store/store';
import { DeepZoomViewer } from '../../../shared/viewer/deep-zoom-viewer';
import { lightLabel } from '../../../shared/vocabulary';
import { SideTag } from '../side-tag';
import type { CompareMode, ModeControlsProps, ModeViewProps } from './mode';

/**
 * Two viewers stacked and synced: the questioned one on top, cut at the
 * divider. The cut is on screen (a curtain), so it stays put while the
 * document is panned beneath it.
 */
function SwipeView({ light, store, overlay, reference, questioned }: ModeViewProps) {
  const swipe = useStoreSelector(store, (s) => s.swipe);
  const box = useRef<HTMLDivElement>(null);
  const dragging = useRef(false);
  const moveTo = (clientX: number) => {
    const r = box.current?.getBoundingClientRect();
    if (r && r.width > 0) store.dispatch({ type: 'setSwipe', value: (clientX - r.left) / r.width });
  };
  const percent = Math.round(swipe * 100);
  return (
    <div className="compare-swipe" ref={box} data-swipe={percent}>
      <DeepZoomViewer
        label={`Reference: ${reference.title}, ${lightLabel(light.lightSource)}, right of the divider`}
        frame={light.frame}
        layers={[{ id: 'reference', source: light.reference }]}
        channel={store.channel}
        overlay={overlay}
        className="viewer--compare viewer--reference viewer--stacked"
      >
        <SideTag side="reference" title={reference.title} position="right" />
      </DeepZoomViewer>
      <DeepZoomViewer
        label={`Questioned: ${questioned.title}, ${lightLabel(light.lightSource)}, left of the divider`}
        frame={light.frame}
        layers={[{ id: 'questioned', source: light.questioned }]}
        channel={store.channel}
        overlay={overlay}
        tools={false}
        className="viewer--compare viewer--questioned viewer--stacked viewer--swipe-top"
        style={{ clipPath: `inset(0 ${100 - percent}% 0 0)` }}
      >
        <SideTag side="questioned" title={questioned.title} />
      </DeepZoomViewer>
      <div
        className="swipe-divider"
        style={{ left: `${percent}%` }}
        onPointerDown={(e) => {
          dragging.current = true;
          (e.target as Element).setPointerCapture?.(e.pointerId);
        }}
        onPointerMove={(e) => dragging.current && moveTo(e.clientX)}
        onPointerUp={() => (dragging.current = false)}
        onPointerCancel={() => (dragging.current = false)}
        aria-hidden="true"
      >
        <span className="swipe-divider__handle">⇔</span>
      </div>
    </div>
  );
}

function SwipeControls({ store }: ModeControlsProps) {
  const swipe = useStoreSelector(store, (s) => s.swipe);
  const id = useId();
  return (
    <div className="mode-controls">
      <label htmlFor={id}>
        <span className="side-dot side-dot--questioned" aria-hidden="true" /> Questioned (left)
      </label>
      <input
        id={id}
        type="range"
        min={0}
        max={100}
        value={Math.round(swipe * 100)}
        aria-label="Swipe divider position"
        aria-valuetext={`${Math.round(swipe * 100)}% questioned from the left`}
        onChange={(e) => store.dispatch({ type: 'setSwipe', value: Number(e.target.value) / 100 })}
      />
      <span>
        Reference (right) <span className="side-dot side-dot--reference" aria-hidden="true" />
      </span>
    </div>
  );
}

export const swipeMode: CompareMode = {
  id: 'swipe',
  label: 'Swipe',
  hotkey: 'w',
  description: 'The questioned image left of a divider, the reference right of it; drag the divider.',
  View: SwipeView,
  Controls: SwipeControls,
  adjust: { description: 'move the divider left / right', command: (s, d) => ({ type: 'setSwipe', value: Math.round((s.swipe + d * 0.05) * 100) / 100 }) },
};
