/** @jest-environment jsdom */
import '../../test/dom-setup';
import { padRect } from '../../shared/viewer/view-channel';
import { compareModes } from './modes';
import { compareReducer, createCompareStore, initialCompareState, type CompareCommand } from './store';

test('named commands change the view state and keep values in range', () => {
  const run = (...cs: CompareCommand[]) => cs.reduce(compareReducer, initialCompareState());
  expect(run({ type: 'setOpacity', value: 1.7 }).opacity).toBe(1);
  expect(run({ type: 'setSwipe', value: -0.2 }).swipe).toBe(0);
  expect(run({ type: 'setFlickerRate', value: 100 }).flickerRate).toBe(10);
  expect(run({ type: 'flickerShow', side: 'reference' })).toMatchObject({ flickerPlaying: false, flickerSide: 'reference' });
  expect(run({ type: 'flickerTick' }, { type: 'flickerTick' }, { type: 'flickerTick' }).flickerSide).toBe('reference');
  const box = { x: 100, y: 200, width: 50, height: 20 };
  const focused = run({ type: 'toggleRegions' }, { type: 'focusRegion', id: 'r2', box });
  expect(focused).toMatchObject({ selectedRegion: 'r2', showRegions: true });
  expect(focused.view).toMatchObject({ rect: padRect(box), animate: true, seq: 1 });
  // A region belongs to one light source's result.
  expect(compareReducer(focused, { type: 'setLight', light: 'uv-365' }).selectedRegion).toBeNull();
});

test('the view is shared through the channel: every publish reaches the other viewers with who sent it', () => {
  const store = createCompareStore();
  const seen: unknown[] = [];
  store.channel.subscribe((v) => seen.push([v.source, v.rect, v.animate]));
  store.channel.publish({ x: 1, y: 2, width: 3, height: 4 }, 'viewer-a');
  store.dispatch({ type: 'setOpacity', value: 0.3 });
  store.dispatch({ type: 'fitAll' });
  expect(seen).toEqual([
    ['viewer-a', { x: 1, y: 2, width: 3, height: 4 }, false],
    ['command', null, true],
  ]);
});

test('modes are registered data with distinct letter hotkeys', () => {
  const keys = compareModes.map((m) => m.hotkey);
  expect(new Set(keys).size).toBe(keys.length);
  for (const m of compareModes) {
    expect(m.hotkey).toMatch(/^[a-z]$/);
    expect(['n', 'p', 'r', 'm'].includes(m.hotkey)).toBe(false);
    expect(typeof m.View).toBe('function');
  }
  expect(compareModes.map((m) => m.id)).toEqual(['side-by-side', 'overlay', 'swipe', 'flicker', 'heatmap']);
});
