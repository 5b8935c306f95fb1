/**
 * OpenSeadragon behind a declarative interface: a stack of image layers of
 * one pixel frame (each with opacity and an optional clip), an SVG overlay
 * drawn in frame pixel coordinates, and an optional channel through which
 * several viewers share one view.
 *
 * Layers are stretched to the same world size, so a 2048-px preview and a
 * 9000-px deep-zoom set of the same frame line up exactly. Replacing a
 * layer's source keeps the view (the world does not change), and the old
 * image stays until the new one has loaded, so switching light sources does
 * not flash.
 *
 * OpenSeadragon is fetched only when the first viewer mounts (it is most of
 * the app's weight and pages without images never need it); later viewers
 * get the loaded module at once.
 *
 * Render signal: the root element's `data-state` is `loading`, `ready` (every
 * layer fully drawn) or `error`; browser tests wait for it.
 */
import type OpenSeadragon from 'openseadragon';
import { useEffect, useId, useRef, useState, type CSSProperties, type ReactNode } from 'react';
import { createPortal } from 'react-dom';
import type { ImageSource } from '../api/images';
import { sameView, type PublishedView, type ViewChannel, type ViewRect } from './view-channel';

export interface ViewerLayer {
  /** Stable identity of the layer (e.g. "reference", "questioned"); a new source under the same id replaces the image in place. */
  id: string;
  source: ImageSource;
  /** 0..1, default 1. */
  opacity?: number;
  /** Only this part of the frame (frame pixels) is drawn; null or absent draws everything. */
  clip?: ViewRect | null;
}

export type ViewerState = 'loading' | 'ready' | 'error';

export interface DeepZoomViewerProps {
  /** Accessible name of the viewer (e.g. "Reference, UV 365 nm"). */
  label: string;
  /** Size of the pixel frame the layers and the overlay share. */
  frame: { width: number; height: number };
  layers: ViewerLayer[];
  channel?: ViewChannel;
  /** SVG content in frame pixel coordinates, drawn over the image and following pan and zoom. */
  overlay?: ReactNode;
  /** Shown over the viewer, fixed on screen (labels, legends). */
  children?: ReactNode;
  className?: string;
  style?: CSSProperties;
  /** Zoom buttons (default shown); off for a viewer stacked under another's. */
  tools?: boolean;
  onStateChange?: (state: ViewerState) => void;
}

type OsdModule = typeof OpenSeadragon;

let loadedOsd: OsdModule | null = null;
let loadingOsd: Promise<OsdModule> | null = null;

/** One fetch of the OpenSeadragon chunk for every viewer; a failed fetch is tried again by the next caller. */
function loadOpenSeadragon(): Promise<OsdModule> {
  loadingOsd ??= import('openseadragon').then(
    (m) => (loadedOsd = m.default),
    (err: unknown) => {
      loadingOsd = null;
      throw err;
    },
  );
  return loadingOsd;
}

interface LayerItem {
  url: string;
  item: OpenSeadragon.TiledImage;
}

function tileSourceOf(source: ImageSource): string | object {
  return source.kind === 'dzi' ? source.url : { type: 'image', url: source.url, buildPyramid: true };
}

/** Frame pixels → OSD viewport coordinates, where the frame is 1 wide. */
function toViewport(osd: OsdModule, rect: ViewRect, frameWidth: number): OpenSeadragon.Rect {
  return new osd.Rect(rect.x / frameWidth, rect.y / frameWidth, rect.width / frameWidth, rect.height / frameWidth);
}

function fromViewport(rect: OpenSeadragon.Rect, frameWidth: number): ViewRect {
  return { x: rect.x * frameWidth, y: rect.y * frameWidth, width: rect.width * frameWidth, height: rect.height * frameWidth };
}

const USER_EVENTS = ['canvas-drag', 'canvas-scroll', 'canvas-pinch', 'canvas-key', 'canvas-double-click', 'canvas-click', 'canvas-press'] as const;

export function DeepZoomViewer({ label, frame, layers, channel, overlay, children, className, style, tools = true, onStateChange }: DeepZoomViewerProps) {
  const viewerId = useId();
  const rootRef = useRef<HTMLDivElement>(null);
  const hostRef = useRef<HTMLDivElement>(null);
  // The module is a function: kept through initialiser and updater functions so React does not call it.
  const [osd, setOsd] = useState<OsdModule | null>(() => loadedOsd);
  const [osdAttempt, setOsdAttempt] = useState(0);
  const viewerRef = useRef<OpenSeadragon.Viewer | null>(null);
  // The effects that talk to OpenSeadragon run again once it exists.
  const [viewer, setViewer] = useState<OpenSeadragon.Viewer | null>(null);
  const itemsRef = useRef(new Map<string, LayerItem>());
  const failedRef = useRef(new Set<string>());
  const frameRef = useRef(frame);
  frameRef.current = frame;
  const layersRef = useRef(layers);
  layersRef.current = layers;
  const [overlayHost, setOverlayHost] = useState<SVGGElement | null>(null);
  const [state, setState] = useState<ViewerState>('loading');
  const [failure, setFailure] = useState<string | null>(null);
  const onStateRef = useRef(onStateChange);
  onStateRef.current = onStateChange;
  const userActive = useRef(false);
  const channelRef = useRef(channel);
  channelRef.current = channel;

  const refreshState = () => {
    const wanted = layersRef.current;
    let next: ViewerState = 'ready';
    if (failedRef.current.size > 0) next = 'error';
    else if (
      wanted.some((l) => {
        const entry = itemsRef.current.get(l.id);
        return !entry || entry.url !== l.source.url || !entry.item.getFullyLoaded();
      })
    )
      next = 'loading';
    setState((s) => (s === next ? s : next));
  };

  useEffect(() => {
    if (osd) return;
    let cancelled = false;
    setFailure(null);
    setState('loading');
    loadOpenSeadragon().then(
      (m) => {
        if (!cancelled) setOsd(() => m);
      },
      (err: unknown) => {
        if (cancelled) return;
        setFailure(`The image viewer could not be loaded (${err instanceof Error ? err.message : String(err)}).`);
        setState('error');
      },
    );
    return () => {
      cancelled = true;
    };
  }, [osd, osdAttempt]);

  // The OSD viewer lives as long as the component.
  useEffect(() => {
    const host = hostRef.current;
    if (!host || !osd) return;
    let viewer: OpenSeadragon.Viewer;
    try {
      viewer = osd({
        element: host,
        // Canvas first: per-layer clipping and opacity are exact there; HTML where canvas is missing.
        drawer: ['canvas', 'html'],
        showNavigationControl: false,
        showNavigator: false,
        animationTime: 0.4,
        springStiffness: 8,
        visibilityRatio: 0.2,
        minZoomImageRatio: 0.5,
        // Examiners inspect single pixels: allow zooming well past 1:1, and do not blur them.
        maxZoomPixelRatio: 8,
        imageSmoothingEnabled: false,
        gestureSettingsMouse: { clickToZoom: false, dblClickToZoom: true, scrollToZoom: true },
        gestureSettingsTouch: { pinchToZoom: true, flickEnabled: true },
        preserveImageSizeOnResize: true,
      } as OpenSeadragon.Options);
    } catch (err) {
      setFailure(`This browser cannot show deep-zoom images (${(err as Error).message}).`);
      setState('error');
      return;
    }
    viewerRef.current = viewer;
    setViewer(viewer);
    // OpenSeadragon makes its canvas a keyboard focus stop (arrows pan, +/- zoom) but leaves it unnamed and without a role.
    viewer.canvas.setAttribute('role', 'application');

    const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    svg.setAttribute('class', 'viewer__overlay');
    svg.setAttribute('aria-hidden', 'true');
    const g = document.createElementNS('http://www.w3.org/2000/svg', 'g');
    svg.appendChild(g);
    viewer.canvas.appendChild(svg);
    setOverlayHost(g);

    const placeOverlay = () => {
      const w = frameRef.current.width;
      const origin = viewer.viewport.pixelFromPoint(new osd.Point(0, 0), true);
      const corner = viewer.viewport.pixelFromPoint(new osd.Point(1, 0), true);
      const scale = (corner.x - origin.x) / w;
      g.setAttribute('transform', `translate(${origin.x} ${origin.y}) scale(${scale})`);
      // Overlay text and strokes keep their screen size whatever the zoom.
      svg.style.setProperty('--overlay-scale', String(scale > 0 ? scale : 1));
    };

    const publish = () => {
      const ch = channelRef.current;
      if (!ch || !userActive.current) return;
      const rect = fromViewport(viewer.viewport.getBounds(true), frameRef.current.width);
      if (!sameView(rect, ch.current().rect, frameRef.current.width)) ch.publish(rect, viewerId);
    };

    viewer.addHandler('update-viewport', placeOverlay);
    viewer.addHandler('resize', placeOverlay);
    viewer.addHandler('viewport-change', publish);
    // Render signal for browser tests and assistive tech: set while the view moves, without a React render per frame.
    viewer.addHandler('animation-start', () => rootRef.current?.setAttribute('data-animating', 'true'));
    viewer.addHandler('animation-finish', () => {
      rootRef.current?.removeAttribute('data-animating');
      publish();
      userActive.current = false;
    });
    for (const name of USER_EVENTS) viewer.addHandler(name, () => (userActive.current = true));

    return () => {
      viewer.destroy();
      viewerRef.current = null;
      setViewer(null);
      itemsRef.current.clear();
      setOverlayHost(null);
    };
  }, [viewerId, osd]);

  // Follow the shared view.
  useEffect(() => {
    if (!channel || !viewer || !osd) return;
    const apply = (view: PublishedView, immediately: boolean) => {
      if (viewerRef.current !== viewer || viewer.world.getItemCount() === 0) return;
      if (view.rect === null) viewer.viewport.goHome(immediately);
      else {
        const current = fromViewport(viewer.viewport.getBounds(true), frameRef.current.width);
        if (!sameView(view.rect, current, frameRef.current.width)) viewer.viewport.fitBounds(toViewport(osd, view.rect, frameRef.current.width), immediately);
      }
    };
    const unsubscribe = channel.subscribe((view) => {
      if (view.source !== viewerId) apply(view, !view.animate);
    });
    // A viewer that appears later (a mode switch) starts at the channel's view, once an image gives the world its size.
    if (viewer.world.getItemCount() > 0) apply(channel.current(), true);
    else viewer.world.addOnceHandler('add-item', () => setTimeout(() => apply(channel.current(), true), 0));
    return unsubscribe;
  }, [channel, viewerId, viewer, osd]);

  // Reconcile layers with the world.
  const layerKey = layers.map((l) => `${l.id}=${l.source.url}`).join('|');
  useEffect(() => {
    if (!viewer || !osd) return;
    const items = itemsRef.current;
    const wanted = new Map(layers.map((l) => [l.id, l]));
    for (const [id, entry] of items) {
      if (!wanted.has(id)) {
        viewer.world.removeItem(entry.item);
        items.delete(id);
      }
    }
    failedRef.current.clear();
    setFailure(null);
    for (const layer of layers) {
      const entry = items.get(layer.id);
      if (entry && entry.url === layer.source.url) continue;
      const url = layer.source.url;
      viewer.addTiledImage({
        tileSource: tileSourceOf(layer.source),
        x: 0,
        y: 0,
        width: 1,
        opacity: layer.opacity ?? 1,
        // Layers at opacity 0 (flicker) load their tiles too, so switching is instant.
        preload: true,
        success: (event: { item: OpenSeadragon.TiledImage }) => {
          const current = layersRef.current.find((l) => l.id === layer.id);
          if (!viewerRef.current || !current || current.source.url !== url) {
            viewer.world.removeItem(event.item);
            return;
          }
          const previous = items.get(layer.id);
          items.set(layer.id, { url, item: event.item });
          applyLayerProps(osd, event.item, current, frameRef.current);
          orderLayers(viewer, layersRef.current, items);
          const settle = () => {
            if (previous) viewer.world.removeItem(previous.item);
            refreshState();
          };
          event.item.addHandler('fully-loaded-change', refreshState);
          if (event.item.getFullyLoaded()) settle();
          else event.item.addOnceHandler('fully-loaded-change', settle);
          refreshState();
        },
        error: () => {
          failedRef.current.add(layer.id);
          setFailure('The image could not be loaded.');
          refreshState();
        },
      } as unknown as OpenSeadragon.TileSourceSpecifier);
    }
    refreshState();
    // layerKey stands for the sources of `layers`.
  }, [layerKey, viewer, osd]);

  // Opacity and clip change often (sliders, flicker): applied without touching sources.
  useEffect(() => {
    if (!viewer || !osd) return;
    for (const layer of layers) {
      const entry = itemsRef.current.get(layer.id);
      if (entry) applyLayerProps(osd, entry.item, layer, frame);
    }
    viewer.forceRedraw();
  });

  useEffect(() => onStateRef.current?.(state), [state]);

  const zoomBy = (factor: number) => {
    if (!viewer) return;
    userActive.current = true;
    viewer.viewport.zoomBy(factor);
    viewer.viewport.applyConstraints();
  };

  // A layer whose source just changed is loading from this very render on (the world catches up in an effect).
  // The focus stop is named after the image shown, which changes with the light in the same viewer.
  useEffect(() => {
    viewer?.canvas.setAttribute('aria-label', `${label}: arrow keys move the image, + and - zoom, 0 shows it whole`);
  }, [viewer, label]);

  const shownState: ViewerState =
    state !== 'error' && layers.some((l) => itemsRef.current.get(l.id)?.url !== l.source.url) && viewerRef.current ? 'loading' : state;

  return (
    <div
      ref={rootRef}
      className={`viewer ${className ?? ''}`}
      style={style}
      role="group"
      aria-label={label}
      data-state={shownState}
      data-layers={layers.map((l) => l.id).join(' ')}
    >
      <div ref={hostRef} className="viewer__canvas" />
      {overlayHost && overlay ? createPortal(overlay, overlayHost) : null}
      {tools && <div className="viewer__tools">
        <button type="button" className="icon-button" aria-label={`Zoom in (${label})`} title="Zoom in" onClick={() => zoomBy(1.6)}>
          +
        </button>
        <button type="button" className="icon-button" aria-label={`Zoom out (${label})`} title="Zoom out" onClick={() => zoomBy(1 / 1.6)}>
          −
        </button>
        <button
          type="button"
          className="icon-button"
          aria-label={`Fit whole image (${label})`}
          title="Fit whole image"
          onClick={() => {
            userActive.current = true;
            viewer?.viewport.goHome();
          }}
        >
          ⤢
        </button>
      </div>}
      {shownState === 'loading' && (
        <div className="viewer__status" role="status">
          <span className="spinner" aria-hidden="true" /> {osd ? 'Loading image…' : 'Loading the image viewer…'}
        </div>
      )}
      {failure && (
        <div className="viewer__status viewer__status--error" role="alert">
          {failure}
          {!osd && (
            <button type="button" className="button" onClick={() => setOsdAttempt((n) => n + 1)}>
              Try again
            </button>
          )}
        </div>
      )}
      {children}
    </div>
  );
}

function applyLayerProps(osd: OsdModule, item: OpenSeadragon.TiledImage, layer: ViewerLayer, frame: { width: number; height: number }) {
  const opacity = layer.opacity ?? 1;
  if (item.getOpacity() !== opacity) item.setOpacity(opacity);
  // The clip is in the layer's own image pixels, which may differ in resolution from the frame.
  const clip = layer.clip;
  const size = item.source.dimensions;
  if (clip) {
    const s = size.x / frame.width;
    const rect = new osd.Rect(clip.x * s, clip.y * s, clip.width * s, clip.height * s);
    const old = item.getClip();
    if (!old || old.x !== rect.x || old.y !== rect.y || old.width !== rect.width || old.height !== rect.height) item.setClip(rect);
  } else if (item.getClip()) {
    item.setClip(null as unknown as OpenSeadragon.Rect);
  }
}

/** Puts world items in the order of `layers` (first at the bottom). */
function orderLayers(viewer: OpenSeadragon.Viewer, layers: ViewerLayer[], items: Map<string, LayerItem>) {
  let index = 0;
  for (const layer of layers) {
    const entry = items.get(layer.id);
    if (!entry) continue;
    const count = viewer.world.getItemCount();
    viewer.world.setItemIndex(entry.item, Math.min(index, count - 1));
    index += 1;
  }
}
