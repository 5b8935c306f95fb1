/**
 * One store for the comparison viewer's view state; every control changes it
 * through these named commands (what a keyboard shortcut, a button and a
 * test all call). The shared view (zoom and pan) lives here too, so every
 * mode and every viewer in a mode shows the same part of the document.
 */
import { createStore, type Store } from '../../shared/store/store';
import { padRect, storeViewChannel, type PublishedView, type ViewChannel, type ViewRect } from '../../shared/viewer/view-channel';
import type { Box } from './types';

export type Side = 'reference' | 'questioned';

export interface CompareViewState {
  mode: string;
  light: string;
  view: PublishedView;
  /** Overlay: opacity of the questioned image over the reference, 0..1. */
  opacity: number;
  /** Swipe: share of the viewer's width showing the questioned image, from the left, 0..1. */
  swipe: number;
  /** Flicker: alternations per second. */
  flickerRate: number;
  flickerPlaying: boolean;
  /** Flicker: the image on screen now. */
  flickerSide: Side;
  /** Heatmap: opacity of the heatmap over the reference, 0..1. */
  heatmapOpacity: number;
  /** The region, zone or finding selected (zoomed to): ids `r1`, `p1`, `zone:<id>`, `m1` … */
  selectedRegion: string | null;
  /** The item under the pointer or the keyboard focus in a list, drawn highlighted in every viewer. */
  hovered: string | null;
  showRegions: boolean;
}

export type CompareCommand =
  | { type: 'setMode'; mode: string }
  | { type: 'setLight'; light: string }
  | { type: 'setView'; rect: ViewRect | null; source: string; animate: boolean }
  | { type: 'fitAll' }
  | { type: 'setOpacity'; value: number }
  | { type: 'setSwipe'; value: number }
  | { type: 'setFlickerRate'; value: number }
  | { type: 'toggleFlicker' }
  | { type: 'flickerShow'; side: Side }
  | { type: 'flickerTick' }
  | { type: 'setHeatmapOpacity'; value: number }
  | { type: 'focusRegion'; id: string; box: Box }
  | { type: 'clearRegion' }
  | { type: 'hover'; id: string | null }
  | { type: 'toggleRegions' };

export const FLICKER_RATES = { min: 0.5, max: 10 } as const;

const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
const nextView = (state: CompareViewState, rect: ViewRect | null, source: string, animate: boolean): PublishedView => ({ rect, source, animate, seq: state.view.seq + 1 });

export function compareReducer(state: CompareViewState, c: CompareCommand): CompareViewState {
  switch (c.type) {
    case 'setMode':
      return state.mode === c.mode ? state : { ...state, mode: c.mode };
    case 'setLight':
      // A region or finding belongs to one light source's result.
      return state.light === c.light ? state : { ...state, light: c.light, selectedRegion: null, hovered: null };
    case 'setView':
      return { ...state, view: nextView(state, c.rect, c.source, c.animate) };
    case 'fitAll':
      return { ...state, view: nextView(state, null, 'command', true) };
    case 'setOpacity':
      return { ...state, opacity: clamp(c.value, 0, 1) };
    case 'setSwipe':
      return { ...state, swipe: clamp(c.value, 0, 1) };
    case 'setFlickerRate':
      return { ...state, flickerRate: clamp(c.value, FLICKER_RATES.min, FLICKER_RATES.max) };
    case 'toggleFlicker':
      return { ...state, flickerPlaying: !state.flickerPlaying };
    case 'flickerShow':
      return { ...state, flickerPlaying: false, flickerSide: c.side };
    case 'flickerTick':
      return { ...state, flickerSide: state.flickerSide === 'reference' ? 'questioned' : 'reference' };
    case 'setHeatmapOpacity':
      return { ...state, heatmapOpacity: clamp(c.value, 0, 1) };
    case 'focusRegion':
      return { ...state, selectedRegion: c.id, showRegions: true, view: nextView(state, padRect(c.box), 'command', true) };
    case 'clearRegion':
      return state.selectedRegion === null ? state : { ...state, selectedRegion: null };
    case 'hover':
      return state.hovered === c.id ? state : { ...state, hovered: c.id };
    case 'toggleRegions':
      return { ...state, showRegions: !state.showRegions };
  }
}

export interface CompareStore extends Store<CompareViewState, CompareCommand> {
  channel: ViewChannel;
}

export function initialCompareState(overrides: Partial<CompareViewState> = {}): CompareViewState {
  return {
    mode: 'side-by-side',
    light: 'white',
    view: { rect: null, source: 'init', animate: false, seq: 0 },
    opacity: 0.5,
    swipe: 0.5,
    flickerRate: 2,
    flickerPlaying: true,
    flickerSide: 'questioned',
    heatmapOpacity: 1,
    selectedRegion: null,
    hovered: null,
    showRegions: true,
    ...overrides,
  };
}

export function createCompareStore(initial: CompareViewState = initialCompareState()): CompareStore {
  const store = createStore(compareReducer, initial);
  const channel = storeViewChannel(store, (s) => s.view, (rect, source, animate): CompareCommand => ({ type: 'setView', rect, source, animate }));
  return { ...store, channel };
}
