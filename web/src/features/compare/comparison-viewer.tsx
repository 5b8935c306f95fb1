import { useCallback, useEffect, useMemo, useState } from 'react';
import { useStoreSelector } from '../../shared/store/store';
import { lightLabel } from '../../shared/vocabulary';
import { isTypingTarget, LightSwitcher } from '../specimen/light-switcher';
import { FindingList } from './finding-list';
import { FindingOverlay } from './finding-overlay';
import { compareModes, modeById, type CompareMode } from './modes';
import { RegionList } from './region-list';
import { RegionOverlay } from './region-overlay';
import { SIDE_LABELS } from './side-tag';
import { createCompareStore, initialCompareState, type CompareCommand, type CompareStore } from './store';
import type { Comparison, ComparisonLight } from './types';
import { ZoneVerdicts } from './zone-verdicts';

export interface Shortcut {
  keys: string;
  description: string;
}

/** Every shortcut of the viewer, for the help panel (built from the registered modes). */
export function shortcutList(modes: readonly CompareMode[]): Shortcut[] {
  return [
    ...modes.map((m) => ({ keys: m.hotkey.toUpperCase(), description: `${m.label} mode` })),
    { keys: '1 … 9', description: 'light source' },
    { keys: 'N / P', description: 'next / previous flagged region' },
    { keys: 'M', description: 'next document-check finding (MRZ)' },
    { keys: '0', description: 'whole document' },
    { keys: 'R', description: 'show / hide region outlines' },
    ...modes.filter((m) => m.adjust).map((m) => ({ keys: '[ / ]', description: `${m.label}: ${m.adjust!.description}` })),
    ...modes.filter((m) => m.toggle).map((m) => ({ keys: 'Space', description: `${m.label}: ${m.toggle!.description}` })),
    { keys: '?', description: 'this list' },
  ];
}

/** The command a key press stands for in the current state, or null. Digits are left to the light switcher. */
export function commandForKey(key: string, mode: CompareMode, light: ComparisonLight | undefined, state: ReturnType<CompareStore['getState']>): CompareCommand | null {
  const lower = key.toLowerCase();
  const target = compareModes.find((m) => m.hotkey === lower);
  if (target) return { type: 'setMode', mode: target.id };
  if (key === '0') return { type: 'fitAll' };
  if (lower === 'r') return { type: 'toggleRegions' };
  if (key === '[' || key === ']') return mode.adjust ? mode.adjust.command(state, key === '[' ? -1 : 1) : null;
  if (key === ' ') return mode.toggle?.command ?? null;
  if ((lower === 'n' || lower === 'p') && light) {
    const flagged = light.regions.filter((r) => !r.personalised);
    if (flagged.length === 0) return null;
    const at = flagged.findIndex((r) => r.id === state.selectedRegion);
    const next = lower === 'n' ? (at + 1) % flagged.length : at <= 0 ? flagged.length - 1 : at - 1;
    const region = flagged[next]!;
    return { type: 'focusRegion', id: region.id, box: region.box };
  }
  if (lower === 'm' && light && light.findings.length > 0) {
    const at = light.findings.findIndex((f) => f.id === state.selectedRegion);
    const finding = light.findings[(at + 1) % light.findings.length]!;
    return { type: 'focusRegion', id: finding.id, box: finding.box };
  }
  return null;
}

export interface ComparisonViewerProps {
  comparison: Comparison;
  /** Initial mode and light (e.g. from the URL). */
  initialMode?: string;
  initialLight?: string;
  onModeChange?: (mode: string) => void;
  onLightChange?: (light: string) => void;
  /** The view store, when the caller keeps it (otherwise the viewer makes its own). */
  store?: CompareStore;
}

export function ComparisonViewer({ comparison, initialMode, initialLight, onModeChange, onLightChange, store: given }: ComparisonViewerProps) {
  const lights = comparison.lights;
  const [store] = useState(
    () =>
      given ??
      createCompareStore(
      initialCompareState({
        mode: modeById(initialMode ?? '').id,
        light: lights.find((l) => l.lightSource === initialLight)?.lightSource ?? lights[0]?.lightSource ?? 'white',
      }),
    ),
  );
  const modeId = useStoreSelector(store, (s) => s.mode);
  const lightId = useStoreSelector(store, (s) => s.light);
  const selected = useStoreSelector(store, (s) => s.selectedRegion);
  const showRegions = useStoreSelector(store, (s) => s.showRegions);
  const mode = modeById(modeId);
  const light = lights.find((l) => l.lightSource === lightId) ?? lights[0];
  const [help, setHelp] = useState(false);

  useEffect(() => onModeChange?.(modeId), [modeId, onModeChange]);
  useEffect(() => onLightChange?.(lightId), [lightId, onLightChange]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey || isTypingTarget(e.target)) return;
      if (e.key === '?') {
        setHelp((h) => !h);
        return;
      }
      if (e.key === 'Escape') {
        setHelp(false);
        return;
      }
      // Space on a focused button presses it; only elsewhere is it the mode's toggle.
      if (e.key === ' ' && e.target instanceof HTMLElement && e.target.closest('button, a, [role="button"]')) return;
      const command = commandForKey(e.key, modeById(store.getState().mode), light, store.getState());
      if (command) {
        e.preventDefault();
        store.dispatch(command);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [store, light]);

  const setLight = useCallback((l: string) => store.dispatch({ type: 'setLight', light: l }), [store]);
  const lightIds = useMemo(() => lights.map((l) => l.lightSource), [lights]);
  // Findings over the regions: they are few, small and the stronger evidence.
  const overlay = light ? (
    <>
      <RegionOverlay regions={light.regions} blownOut={light.blownOutRegions} selected={selected} visible={showRegions} />
      <FindingOverlay findings={light.findings} store={store} />
    </>
  ) : null;
  const flaggedCount = light?.regions.filter((r) => !r.personalised).length ?? 0;
  const findingCount = light?.findings.length ?? 0;

  if (!light) return <p className="muted">This comparison produced no light source to show.</p>;
  const { View, Controls } = mode;
  const questioned = light.questionedTitle ? { ...comparison.questioned, title: light.questionedTitle } : comparison.questioned;

  return (
    <div className="compare" data-mode={mode.id} data-light={light.lightSource}>
      <div className="compare__bar">
        <div className="mode-switcher" role="group" aria-label="Comparison mode">
          {compareModes.map((m) => (
            <button
              key={m.id}
              type="button"
              className="mode-button"
              aria-pressed={m.id === mode.id}
              aria-keyshortcuts={m.hotkey.toUpperCase()}
              data-mode-id={m.id}
              title={m.description}
              onClick={() => store.dispatch({ type: 'setMode', mode: m.id })}
            >
              {m.label} <kbd aria-hidden="true">{m.hotkey.toUpperCase()}</kbd>
            </button>
          ))}
        </div>
        <LightSwitcher lights={lightIds} current={light.lightSource} onChange={setLight} />
      </div>

      {help && (
        <section id="compare-shortcuts" className="panel shortcuts" aria-label="Keyboard shortcuts">
          <dl>
            {shortcutList(compareModes).map((s, i) => (
              <div key={i}>
                <dt>
                  <kbd>{s.keys}</kbd>
                </dt>
                <dd>{s.description}</dd>
              </div>
            ))}
          </dl>
        </section>
      )}

      <div className="compare__layout">
        <div className="compare__stage">
          <div className="compare__caption">
            <p>
              <strong>{mode.label}</strong> · {lightLabel(light.lightSource)} · {flaggedCount} flagged region{flaggedCount === 1 ? '' : 's'} ·{' '}
              {findingCount > 0 && (
                <>
                  <span className="finding-count">
                    {findingCount} MRZ finding{findingCount === 1 ? '' : 's'}
                  </span>{' '}
                  ·{' '}
                </>
              )}
              <span className="side-dot side-dot--questioned" aria-hidden="true" /> {SIDE_LABELS.questioned}: {questioned.title} ·{' '}
              <span className="side-dot side-dot--reference" aria-hidden="true" /> {SIDE_LABELS.reference}: {comparison.reference.title}
            </p>
            <span className="compare__tools">
              <label className="toggle">
                <input type="checkbox" checked={showRegions} onChange={() => store.dispatch({ type: 'toggleRegions' })} /> Outlines
              </label>
              <button type="button" className="button button--small" onClick={() => store.dispatch({ type: 'fitAll' })}>
                Whole document
              </button>
              <button type="button" className="button button--small" aria-expanded={help} aria-controls="compare-shortcuts" onClick={() => setHelp((h) => !h)}>
                Shortcuts <kbd aria-hidden="true">?</kbd>
              </button>
            </span>
          </div>
          <View key={mode.id} light={light} store={store} overlay={overlay} reference={comparison.reference} questioned={questioned} />
          {Controls && <Controls store={store} light={light} />}
        </div>
        <aside className="compare__side">
          <FindingList findings={light.findings} mrz={light.mrz} store={store} />
          <RegionList regions={light.regions} blownOut={light.blownOutRegions} overexposedShare={light.overexposedShare} store={store} />
          <ZoneVerdicts verdicts={light.zoneVerdicts} store={store} />
          {comparison.skipped.length > 0 && (
            <section className="panel" aria-labelledby="skipped-heading">
              <h2 id="skipped-heading">Not compared</h2>
              <ul>
                {comparison.skipped.map((s) => (
                  <li key={s.lightSource}>
                    {lightLabel(s.lightSource)}: {s.reason}
                  </li>
                ))}
              </ul>
            </section>
          )}
        </aside>
      </div>
    </div>
  );
}
