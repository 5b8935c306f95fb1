/**
 * How deep-zoom viewers share a view. A view is the visible rectangle in the
 * pixel frame of the images (all layers of a viewer, and all viewers on one
 * channel, show images of the same frame), so it does not depend on image
 * resolution or on which viewer published it.
 */
import type { Store } from '../store/store';

export interface ViewRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface PublishedView {
  /** null: fit the whole frame. */
  rect: ViewRect | null;
  /** Who set it (a viewer ignores its own views). */
  source: string;
  /** Animate to it (a command such as "zoom to region") rather than jump (another viewer being dragged). */
  animate: boolean;
  /** Increments on every publish, so the same rectangle can be requested twice (e.g. "zoom to region" again). */
  seq: number;
}

export interface ViewChannel {
  current(): PublishedView;
  publish(rect: ViewRect | null, source: string, animate?: boolean): void;
  subscribe(listener: (view: PublishedView) => void): () => void;
}

/** A channel over any store that keeps a `PublishedView` and has a command to set it. */
export function storeViewChannel<S, C>(
  store: Store<S, C>,
  select: (state: S) => PublishedView,
  setView: (rect: ViewRect | null, source: string, animate: boolean) => C,
): ViewChannel {
  return {
    current: () => select(store.getState()),
    publish: (rect, source, animate = false) => store.dispatch(setView(rect, source, animate)),
    subscribe(listener) {
      return store.subscribe((state, previous) => {
        const view = select(state);
        if (view !== select(previous)) listener(view);
      });
    },
  };
}

/** Whether two views differ by more than a small fraction of the frame (float noise is not a change). */
export function sameView(a: ViewRect | null, b: ViewRect | null, frameWidth: number): boolean {
  if (a === null || b === null) return a === b;
  const eps = frameWidth * 1e-4;
  return Math.abs(a.x - b.x) < eps && Math.abs(a.y - b.y) < eps && Math.abs(a.width - b.width) < eps && Math.abs(a.height - b.height) < eps;
}

/** A rectangle grown by a margin on every side (as a fraction of its larger side), with a minimum size so tiny regions are shown in context. */
export function padRect(rect: ViewRect, margin = 0.6, minSize = 64): ViewRect {
  const pad = Math.max(rect.width, rect.height) * margin;
  const width = Math.max(rect.width + 2 * pad, minSize);
  const height = Math.max(rect.height + 2 * pad, minSize);
  return { x: rect.x + rect.width / 2 - width / 2, y: rect.y + rect.height / 2 - height / 2, width, height };
}
