import {
  featureGroups,
  getFeatureType,
  validate,
  type Capture,
  type FeatureType,
  type LightSourceId,
  type Specimen,
} from '@exemplar/specimens-schema';
import { useEffect, useId, useLayoutEffect, useMemo, useReducer, useRef, useState, type PointerEvent as ReactPointerEvent } from 'react';
import { useApi } from '../../shared/api/api-context';
import { errorMessage, isApiError } from '../../shared/api/client';
import { imagePaths } from '../../shared/api/images';
import { useActionError } from '../../shared/auth/use-action-error';
import { featureTypeLabel, featureTypes, lightLabel, lightSources } from '../../shared/vocabulary';
import { captureFrame, orderedImages } from '../specimen/capture-view';
import { LightSwitcher } from '../specimen/light-switcher';
import { replaceZones } from './api';
import {
  canRedo,
  canUndo,
  clientToFrame,
  initialZoneState,
  MIN_VERTICES,
  zoneEditorReducer,
  zonesForSave,
  type Point,
  type ZoneClash,
  type ZoneCommand,
  type ZoneDraft,
} from './zone-editor-state';

type ZoneChanges = Extract<ZoneCommand, { type: 'updateZone' }>['changes'];

type View = { x: number; y: number; width: number; height: number };

type Drag =
  | { kind: 'vertex'; key: string; index: number; gesture: string }
  | { kind: 'zone'; key: string; last: Point; gesture: string }
  | { kind: 'pan'; startClient: Point; startView: View };

const GROUP_LABELS: Record<string, string> = {
  substrate: 'Substrate',
  printing: 'Printing',
  ink: 'Inks',
  protection: 'Protection (OVD, laminates)',
  personalisation: 'Personalisation technique',
  data: 'Data fields',
  construction: 'Construction',
};

/**
 * Draws and edits the feature zones of one capture, then saves them all at once.
 * Whether zones are unsaved is told through `onDirtyChange` (false again once it
 * is gone), so the page that holds the editor can keep them from being dropped.
 * A newer revision of the specimen (the page reloads it after an upload, takes
 * the stored copy after a save of the form, or brings zones another examiner
 * saved) does not reset the editor: unsaved zones are carried over to it, and
 * a zone changed on both sides is shown for the user to choose.
 */
export function ZoneEditor({
  specimen,
  capture,
  onSaved,
  onReload,
  onDirtyChange,
}: {
  specimen: Specimen;
  capture: Capture;
  onSaved: (s: Specimen) => void;
  onReload: () => void;
  onDirtyChange?: (dirty: boolean) => void;
}) {
  const api = useApi();
  const frame = captureFrame(capture);
  const [state, dispatch] = useReducer(zoneEditorReducer, undefined, () => initialZoneState(capture.zones, frame));
  // The latest state, for a save to tell on landing whether the zones changed while it was in flight.
  const stateRef = useRef(state);
  useLayoutEffect(() => {
    stateRef.current = state;
  });
  const dirtyListener = useRef(onDirtyChange);
  dirtyListener.current = onDirtyChange;
  useEffect(() => dirtyListener.current?.(state.dirty), [state.dirty]);
  useEffect(() => () => dirtyListener.current?.(false), []);
  const images = orderedImages(capture);
  const [light, setLight] = useState<string>(images[0]?.lightSource ?? 'white');
  const image = images.find((i) => i.lightSource === light) ?? images[0];
  const [view, setView] = useState<View>({ x: 0, y: 0, width: frame.width, height: frame.height });
  const svgRef = useRef<SVGSVGElement>(null);
  const drag = useRef<Drag | null>(null);
  // Each drag is one undo step, however many moves it makes.
  const dragCount = useRef(0);
  const newGesture = () => `drag-${++dragCount.current}`;
  const [unitPx, setUnitPx] = useState(1);
  const [saving, setSaving] = useState(false);
  const [problems, setProblems] = useState<string[]>([]);
  /** The last save's failure (apart from a revision conflict); one for a session that had ended goes once the user logs in again. */
  const [saveError, setSaveError] = useActionError();
  const [conflict, setConflict] = useState<{ currentRevision: number | undefined } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [newType, setNewType] = useState<FeatureType>('guilloche');
  const panelId = useId();
  const clashRef = useRef<HTMLElement>(null);

  // The stored revision the zones on screen are based on: the one a save sends.
  const [baseRevision, setBaseRevision] = useState(specimen.revision);
  // A newer stored copy is taken in while rendering, so no render shows it with the old base: zones not changed here
  // take the stored ones, drawn and changed ones stay, clashes are listed.
  if (specimen.revision > baseRevision) {
    setBaseRevision(specimen.revision);
    dispatch({ type: 'rebase', zones: capture.zones, frame: captureFrame(capture) });
    setConflict(null);
  }

  // Handles keep their screen size: frame units per screen pixel.
  useLayoutEffect(() => {
    const svg = svgRef.current;
    if (!svg) return;
    const measure = () => {
      const r = svg.getBoundingClientRect();
      const scale = Math.min(r.width / view.width, r.height / view.height);
      setUnitPx(scale > 0 ? 1 / scale : view.width / 800);
    };
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(svg);
    return () => ro.disconnect();
  }, [view]);

  const toFrame = (e: { clientX: number; clientY: number }): Point => {
    const svg = svgRef.current;
    if (!svg) return [0, 0];
    return clientToFrame(e.clientX, e.clientY, svg.getBoundingClientRect(), view);
  };

  const selected = state.zones.find((z) => z.key === state.selected) ?? null;

  const onBackgroundDown = (e: ReactPointerEvent) => {
    if (e.button !== 0) return;
    const p = toFrame(e);
    if (state.drawing) {
      const first = state.drawing[0];
      if (first && state.drawing.length >= MIN_VERTICES && Math.hypot(first[0] - p[0], first[1] - p[1]) < 10 * unitPx) {
        dispatch({ type: 'finishDrawing', defaults: { type: newType, lightSources: [light as LightSourceId] } });
      } else {
        dispatch({ type: 'addDrawPoint', point: p });
      }
      return;
    }
    dispatch({ type: 'select', key: null });
    drag.current = { kind: 'pan', startClient: [e.clientX, e.clientY], startView: view };
    (e.target as Element).setPointerCapture?.(e.pointerId);
  };

  const onMove = (e: ReactPointerEvent) => {
    const d = drag.current;
    if (!d) return;
    if (d.kind === 'vertex') dispatch({ type: 'moveVertex', key: d.key, index: d.index, point: toFrame(e), gesture: d.gesture });
    else if (d.kind === 'zone') {
      const p = toFrame(e);
      dispatch({ type: 'moveZone', key: d.key, dx: p[0] - d.last[0], dy: p[1] - d.last[1], gesture: d.gesture });
      drag.current = { ...d, last: p };
    } else {
      const dx = (e.clientX - d.startClient[0]) * unitPx;
      const dy = (e.clientY - d.startClient[1]) * unitPx;
      setView({ ...d.startView, x: d.startView.x - dx, y: d.startView.y - dy });
    }
  };

  const endDrag = () => {
    drag.current = null;
  };

  const zoomAt = (factor: number, center?: Point) => {
    setView((v) => {
      const width = Math.min(Math.max(v.width / factor, 20), frame.width * 2);
      const height = (width * v.height) / v.width;
      const [cx, cy] = center ?? [v.x + v.width / 2, v.y + v.height / 2];
      return { x: cx - ((cx - v.x) * width) / v.width, y: cy - ((cy - v.y) * height) / v.height, width, height };
    });
  };

  const viewRef = useRef(view);
  viewRef.current = view;
  const zoomRef = useRef(zoomAt);
  zoomRef.current = zoomAt;
  // Wheel zoom needs a non-passive listener to keep the page from scrolling.
  useEffect(() => {
    const svg = svgRef.current;
    if (!svg) return;
    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      zoomRef.current(e.deltaY < 0 ? 1.25 : 0.8, clientToFrame(e.clientX, e.clientY, svg.getBoundingClientRect(), viewRef.current));
    };
    svg.addEventListener('wheel', onWheel, { passive: false });
    return () => svg.removeEventListener('wheel', onWheel);
  }, []);

  // Undo and redo work wherever the focus is in the editor, except in a text field, which keeps its own.
  const onEditorKeyDown = (e: React.KeyboardEvent) => {
    if (!(e.ctrlKey || e.metaKey) || e.altKey || editsText(e.target)) return;
    const key = e.key.toLowerCase();
    const command = key === 'z' ? (e.shiftKey ? 'redo' : 'undo') : key === 'y' && !e.shiftKey ? 'redo' : null;
    if (!command) return;
    e.preventDefault();
    // A gesture in progress ends here: a pointer still held would otherwise move the zones shown after the undo.
    drag.current = null;
    dispatch({ type: command });
  };

  const onKeyDown = (e: React.KeyboardEvent) => {
    if (e.key === 'Escape') {
      if (state.drawing) dispatch({ type: 'cancelDrawing' });
      else dispatch({ type: 'select', key: null });
    } else if (e.key === 'Enter' && state.drawing) {
      e.preventDefault();
      dispatch({ type: 'finishDrawing', defaults: { type: newType, lightSources: [light as LightSourceId] } });
    } else if ((e.key === 'Delete' || e.key === 'Backspace') && selected && state.selectedVertex !== null) {
      e.preventDefault();
      dispatch({ type: 'deleteVertex', key: selected.key, index: state.selectedVertex });
    }
  };

  const save = async () => {
    if (state.clashes.length) {
      setNotice(
        state.clashes.length === 1
          ? 'Choose first which version to keep of the zone changed on both sides.'
          : 'Choose first which versions to keep of the zones changed on both sides.',
      );
      requestAnimationFrame(() => clashRef.current?.focus());
      return;
    }
    // What this save sends: edits made while it is in flight are carried over to the stored copy it returns.
    const sent = state.zones;
    const body = zonesForSave(sent);
    const found: string[] = [];
    body.forEach((zone, i) => {
      const name = `Zone ${i + 1} (${featureTypeLabel(zone.type)})`;
      const result = validate('id' in zone ? 'feature-zone' : 'feature-zone-create', zone);
      if (!result.ok) for (const issue of result.errors) found.push(`${name}: ${issue.path.slice(1) || 'zone'} ${issue.message}`);
    });
    setProblems(found);
    setSaveError(null);
    setNotice(null);
    if (found.length) return;
    setSaving(true);
    try {
      const saved = await replaceZones(api, specimen.id, capture.id, baseRevision, body);
      // The saved zones are the new starting point: undo cannot reach back past a save.
      const stored = saved.captures.find((c) => c.id === capture.id);
      if (stored) dispatch({ type: 'saved', sent, zones: stored.zones, frame: captureFrame(stored) });
      setBaseRevision(saved.revision);
      setNotice(
        stateRef.current.zones === sent
          ? `Zones saved (revision ${saved.revision}).`
          : `Zones saved (revision ${saved.revision}); the changes made while saving are not saved yet.`,
      );
      onSaved(saved);
    } catch (err) {
      if (isApiError(err, 'REVISION_CONFLICT')) {
        const current = err.details['currentRevision'];
        setConflict({ currentRevision: typeof current === 'number' ? current : undefined });
      } else setSaveError(err);
    } finally {
      setSaving(false);
    }
  };

  const shownProblems =
    saveError === null ? problems : [...problems, `The zones were not saved: ${errorMessage(saveError)}`, ...(isApiError(saveError) ? saveError.issues.map((i) => `${i.path} ${i.message}`) : [])];

  const lightKey = images.map((i) => i.lightSource).join(',');
  const lights = useMemo(() => lightKey.split(',').filter(Boolean), [lightKey]);
  const handleR = 6 * unitPx;
  const points = (poly: Point[]) => poly.map(([x, y]) => `${x},${y}`).join(' ');

  if (!image) return <p className="muted">Upload images to this capture before marking zones.</p>;

  return (
    <div className="zone-editor" onKeyDown={onEditorKeyDown} data-revision={baseRevision}>
      <div className="zone-editor__toolbar" role="toolbar" aria-label="Zone tools">
        <LightSwitcher lights={lights} current={image.lightSource} onChange={setLight} label="Background light source" />
        <span className="spacer" />
        {state.drawing ? (
          <>
            <span className="muted" role="status">
              {state.drawing.length < MIN_VERTICES
                ? `Click on the image to place corners (${state.drawing.length} of at least ${MIN_VERTICES})`
                : `${state.drawing.length} corners — click the first corner or press Enter to finish`}
            </span>
            <button
              type="button"
              className="button button--primary"
              disabled={state.drawing.length < MIN_VERTICES}
              onClick={() => dispatch({ type: 'finishDrawing', defaults: { type: newType, lightSources: [light as LightSourceId] } })}
            >
              Finish zone
            </button>
            <button type="button" className="button" onClick={() => dispatch({ type: 'cancelDrawing' })}>
              Cancel
            </button>
          </>
        ) : (
          <>
            <label className="inline-field">
              New zone type{' '}
              <FeatureTypeSelect value={newType} onChange={setNewType} />
            </label>
            <button type="button" className="button" onClick={() => dispatch({ type: 'startDrawing' })}>
              Draw a zone
            </button>
          </>
        )}
        <button
          type="button"
          className="icon-button icon-button--light"
          aria-label={state.drawing ? 'Undo the last corner' : 'Undo zone change'}
          aria-keyshortcuts="Control+Z Meta+Z"
          title={state.drawing ? 'Undo the last corner (Ctrl+Z)' : 'Undo (Ctrl+Z)'}
          disabled={!canUndo(state)}
          onClick={() => dispatch({ type: 'undo' })}
        >
          ↶
        </button>
        <button
          type="button"
          className="icon-button icon-button--light"
          aria-label="Redo zone change"
          aria-keyshortcuts="Control+Shift+Z Control+Y Meta+Shift+Z"
          title="Redo (Ctrl+Shift+Z or Ctrl+Y)"
          disabled={!canRedo(state)}
          onClick={() => dispatch({ type: 'redo' })}
        >
          ↷
        </button>
        <button type="button" className="icon-button icon-button--light" aria-label="Zoom in on the zone image" onClick={() => zoomAt(1.5)}>
          +
        </button>
        <button type="button" className="icon-button icon-button--light" aria-label="Zoom out of the zone image" onClick={() => zoomAt(1 / 1.5)}>
          −
        </button>
        <button type="button" className="icon-button icon-button--light" aria-label="Show the whole zone image" onClick={() => setView({ x: 0, y: 0, width: frame.width, height: frame.height })}>
          ⤢
        </button>
      </div>

      <div className="zone-editor__body">
        <svg
          ref={svgRef}
          className={`zone-canvas ${state.drawing ? 'zone-canvas--drawing' : ''}`}
          viewBox={`${view.x} ${view.y} ${view.width} ${view.height}`}
          role="application"
          aria-label={`Zone drawing area, ${lightLabel(image.lightSource)} image. Escape cancels, Enter finishes a zone, Delete removes the selected corner, Control+Z undoes, Control+Shift+Z redoes.`}
          tabIndex={0}
          onKeyDown={onKeyDown}
          onPointerMove={onMove}
          onPointerUp={endDrag}
          onPointerCancel={endDrag}
          data-zone-count={state.zones.length}
        >
          <image href={api.url(imagePaths.preview(image.sha256))} x={0} y={0} width={frame.width} height={frame.height} preserveAspectRatio="none" />
          <rect x={-frame.width} y={-frame.height} width={frame.width * 3} height={frame.height * 3} fill="transparent" onPointerDown={onBackgroundDown} />
          {state.zones.map((zone, i) => {
            const isSelected = zone.key === state.selected;
            const shown = zone.lightSources.includes(image.lightSource);
            return (
              <g key={zone.key} className={`edit-zone ${isSelected ? 'edit-zone--selected' : ''} ${shown ? '' : 'edit-zone--dimmed'}`} data-zone-key={zone.key}>
                <polygon
                  points={points(zone.polygon)}
                  onPointerDown={(e) => {
                    if (state.drawing) return onBackgroundDown(e);
                    e.stopPropagation();
                    dispatch({ type: 'select', key: zone.key });
                    drag.current = { kind: 'zone', key: zone.key, last: toFrame(e), gesture: newGesture() };
                    (e.target as Element).setPointerCapture?.(e.pointerId);
                  }}
                >
                  <title>{`Zone ${i + 1}: ${featureTypeLabel(zone.type)}`}</title>
                </polygon>
                {isSelected &&
                  zone.polygon.map((p, idx) => {
                    const next = zone.polygon[(idx + 1) % zone.polygon.length]!;
                    return (
                      <g key={idx}>
                        <circle
                          className="edit-zone__midpoint"
                          cx={(p[0] + next[0]) / 2}
                          cy={(p[1] + next[1]) / 2}
                          r={handleR * 0.7}
                          onPointerDown={(e) => {
                            e.stopPropagation();
                            // Adding the corner and dragging it into place is one undo step.
                            const gesture = newGesture();
                            dispatch({ type: 'insertVertex', key: zone.key, after: idx, point: [(p[0] + next[0]) / 2, (p[1] + next[1]) / 2], gesture });
                            drag.current = { kind: 'vertex', key: zone.key, index: idx + 1, gesture };
                            (e.target as Element).setPointerCapture?.(e.pointerId);
                          }}
                        />
                        <circle
                          className={`edit-zone__vertex ${state.selectedVertex === idx ? 'edit-zone__vertex--selected' : ''}`}
                          cx={p[0]}
                          cy={p[1]}
                          r={handleR}
                          onPointerDown={(e) => {
                            e.stopPropagation();
                            dispatch({ type: 'selectVertex', index: idx });
                            drag.current = { kind: 'vertex', key: zone.key, index: idx, gesture: newGesture() };
                            (e.target as Element).setPointerCapture?.(e.pointerId);
                          }}
                        />
                      </g>
                    );
                  })}
              </g>
            );
          })}
          {/* Beside the user's own, the stored version of each zone changed on both sides (dashed). */}
          {state.clashes.map((clash) =>
            clash.stored ? <polygon key={`theirs-${clash.key}`} className="edit-zone__theirs" points={points(clash.stored.polygon)} /> : null,
          )}
          {state.drawing && state.drawing.length > 0 && (
            <g className="draw-zone">
              <polyline points={points(state.drawing)} />
              {state.drawing.map((p, i) => (
                <circle key={i} cx={p[0]} cy={p[1]} r={handleR} className={i === 0 ? 'draw-zone__first' : ''} />
              ))}
            </g>
          )}
        </svg>

        <aside className="zone-panel" aria-labelledby={`${panelId}-h`}>
          <h3 id={`${panelId}-h`}>Zones ({state.zones.length})</h3>
          {state.zones.length === 0 && !state.drawing && <p className="muted">No zones yet. Choose a type and draw one on the image.</p>}
          <ul className="zone-panel__list">
            {state.zones.map((zone, i) => (
              <li key={zone.key}>
                <button type="button" className="zone-panel__item" aria-pressed={zone.key === state.selected} onClick={() => dispatch({ type: 'select', key: zone.key })}>
                  {i + 1}. {featureTypeLabel(zone.type)}
                  {zone.label ? ` — ${zone.label}` : ''}
                  {!zone.id && <span className="pill">new</span>}
                </button>
              </li>
            ))}
          </ul>
          {selected && <ZoneProperties zone={selected} lights={lights} selectedVertex={state.selectedVertex} dispatch={dispatch} />}
        </aside>
      </div>

      {state.clashes.length > 0 && (
        <section className="state state--warn clashes" aria-labelledby={`${panelId}-clashes`} tabIndex={-1} ref={clashRef}>
          <strong id={`${panelId}-clashes`}>Zones also changed by someone else</strong>
          <p>
            Revision {baseRevision} was saved with other versions of {state.clashes.length === 1 ? 'a zone' : 'zones'} you changed (theirs is outlined in
            dashes). Choose what to keep; your other zones stay as they are.
          </p>
          <ul className="clashes__list">
            {state.clashes.map((clash) => (
              <ClashItem key={clash.key} clash={clash} zones={state.zones} dispatch={dispatch} />
            ))}
          </ul>
        </section>
      )}
      {conflict && (
        <div className="state state--error" role="alertdialog" aria-labelledby={`${panelId}-conflict`}>
          <strong id={`${panelId}-conflict`}>Someone else changed this specimen</strong>
          <p>
            Your zones were not saved: the specimen was saved by another user while you were editing
            {conflict.currentRevision ? ` (now revision ${conflict.currentRevision}; your zones are based on revision ${baseRevision})` : ''}. They stay on
            screen. Reload the specimen: the zones you did not change take the stored ones, yours stay, and any zone changed on both sides is listed for
            you to choose.
          </p>
          <div className="button-row">
            <button type="button" className="button button--primary" onClick={onReload}>
              Reload the specimen
            </button>
            <button type="button" className="button" onClick={() => setConflict(null)}>
              Not now
            </button>
          </div>
        </div>
      )}
      {shownProblems.length > 0 && (
        <div className="state state--error" role="alert">
          {shownProblems.map((p, i) => (
            <p key={i}>{p}</p>
          ))}
        </div>
      )}
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      <div className="button-row">
        <button type="button" className="button button--primary" onClick={() => void save()} disabled={saving || !state.dirty}>
          {saving ? 'Saving zones…' : 'Save zones'}
        </button>
        {state.dirty && (
          <button type="button" className="button" onClick={() => dispatch({ type: 'revert' })}>
            Discard zone changes
          </button>
        )}
      </div>
    </div>
  );
}

/** One zone changed on both sides, in words, with the user's two choices. */
function ClashItem({ clash, zones, dispatch }: { clash: ZoneClash; zones: ZoneDraft[]; dispatch: React.Dispatch<ZoneCommand> }) {
  const index = zones.findIndex((z) => z.key === clash.key);
  const mine = zones[index] ?? clash.mine;
  const name =
    index >= 0 ? `Zone ${index + 1} (${featureTypeLabel(mine.type)})` : `The ${featureTypeLabel(mine.type)} zone${mine.label ? ` “${mine.label}”` : ''}`;
  const theirs = clash.stored ? zoneDifferences(clash.stored, mine) : [];
  const said =
    clash.kind === 'changed'
      ? 'changed here and by someone else'
      : clash.kind === 'deleted-here'
        ? 'deleted here, changed by someone else'
        : 'changed here, deleted by someone else (kept, it is saved as a new zone)';
  const [mineLabel, storedLabel] =
    clash.kind === 'changed' ? ['Keep mine', 'Take theirs'] : clash.kind === 'deleted-here' ? ['Keep it deleted', 'Take theirs'] : ['Keep mine', 'Delete it'];
  const settle = (keep: 'mine' | 'stored') => dispatch({ type: 'settleClash', key: clash.key, keep });
  return (
    <li>
      <strong>{name}</strong>: {said}.{theirs.length > 0 && ` Theirs has ${theirs.join(', ')}.`}
      <span className="button-row">
        <button type="button" className="button button--small" aria-label={`${mineLabel}: ${name}`} onClick={() => settle('mine')}>
          {mineLabel}
        </button>
        <button type="button" className="button button--small" aria-label={`${storedLabel}: ${name}`} onClick={() => settle('stored')}>
          {storedLabel}
        </button>
      </span>
    </li>
  );
}

/** What the stored version of a zone has that the user's has not, in the editor's words. */
function zoneDifferences(theirs: ZoneDraft, mine: ZoneDraft): string[] {
  const out: string[] = [];
  if (theirs.type !== mine.type) out.push(`type ${featureTypeLabel(theirs.type)}`);
  if (theirs.label !== mine.label) out.push(theirs.label ? `label “${theirs.label}”` : 'no label');
  if (theirs.polygon.length !== mine.polygon.length || theirs.polygon.some(([x, y], i) => x !== mine.polygon[i]![0] || y !== mine.polygon[i]![1])) {
    out.push('other corners');
  }
  if (theirs.lightSources.join() !== mine.lightSources.join()) out.push(`shown under ${theirs.lightSources.map((l) => lightLabel(l)).join(', ') || 'no light'}`);
  if (theirs.personalised !== mine.personalised) out.push(theirs.personalised ? 'personalised' : 'not personalised');
  if (theirs.expectedAppearance !== mine.expectedAppearance) out.push(theirs.expectedAppearance ? `expected appearance “${theirs.expectedAppearance}”` : 'no expected appearance');
  if (theirs.notes !== mine.notes) out.push('other notes');
  return out;
}

export function FeatureTypeSelect({ value, onChange, id }: { value: FeatureType; onChange: (t: FeatureType) => void; id?: string }) {
  return (
    <select id={id} value={value} onChange={(e) => onChange(e.target.value as FeatureType)}>
      {featureGroups.map((group) => (
        <optgroup key={group} label={GROUP_LABELS[group] ?? group}>
          {featureTypes
            .filter((t) => t.group === group)
            .map((t) => (
              <option key={t.id} value={t.id}>
                {t.label}
              </option>
            ))}
        </optgroup>
      ))}
    </select>
  );
}

function ZoneProperties({
  zone,
  lights,
  selectedVertex,
  dispatch,
}: {
  zone: ZoneDraft;
  lights: string[];
  selectedVertex: number | null;
  dispatch: React.Dispatch<ZoneCommand>;
}) {
  const id = useId();
  const update = (changes: ZoneChanges, gesture?: string) => dispatch({ type: 'updateZone', key: zone.key, changes, ...(gesture ? { gesture } : {}) });
  const otherLights = lightSources.filter((l) => !lights.includes(l.id));
  const toggleLight = (l: LightSourceId, on: boolean) =>
    update({ lightSources: on ? [...zone.lightSources, l] : zone.lightSources.filter((x) => x !== l) });
  return (
    <div className="zone-props" aria-label="Selected zone">
      <div className="field">
        <label htmlFor={`${id}-type`} className="field__label">
          Type
        </label>
        <FeatureTypeSelect
          id={`${id}-type`}
          value={zone.type}
          onChange={(t) => update({ type: t, personalised: getFeatureType(t)?.personalised ?? zone.personalised })}
        />
      </div>
      <div className="field">
        <label htmlFor={`${id}-label`} className="field__label">
          Label
        </label>
        <input id={`${id}-label`} type="text" value={zone.label} onChange={(e) => update({ label: e.target.value }, `label:${zone.key}`)} />
      </div>
      <label className="toggle">
        <input type="checkbox" checked={zone.personalised} onChange={(e) => update({ personalised: e.target.checked })} /> Personalised (differs between
        holders)
      </label>
      <fieldset className="checkbox-group">
        <legend className="field__label">Shows under</legend>
        {lights.map((l) => (
          <label key={l} className="toggle">
            <input type="checkbox" checked={zone.lightSources.includes(l as LightSourceId)} onChange={(e) => toggleLight(l as LightSourceId, e.target.checked)} />
            {lightLabel(l)}
          </label>
        ))}
        {otherLights.length > 0 && (
          <details>
            <summary>Other light sources</summary>
            {otherLights.map((l) => (
              <label key={l.id} className="toggle">
                <input type="checkbox" checked={zone.lightSources.includes(l.id)} onChange={(e) => toggleLight(l.id, e.target.checked)} />
                {l.label}
              </label>
            ))}
          </details>
        )}
        {zone.lightSources.length === 0 && <span className="field__error">Tick at least one light source.</span>}
      </fieldset>
      <div className="field">
        <label htmlFor={`${id}-expected`} className="field__label">
          Expected appearance
        </label>
        <textarea id={`${id}-expected`} value={zone.expectedAppearance} onChange={(e) => update({ expectedAppearance: e.target.value }, `expected:${zone.key}`)} />
      </div>
      <fieldset className="checkbox-group">
        <legend className="field__label">Corners (pixels)</legend>
        <ol className="vertex-list">
          {zone.polygon.map(([x, y], i) => (
            <li key={i} className={selectedVertex === i ? 'vertex-list__item--selected' : ''}>
              <input
                type="number"
                aria-label={`Corner ${i + 1} x`}
                value={x}
                onChange={(e) => dispatch({ type: 'moveVertex', key: zone.key, index: i, point: [Number(e.target.value), y], gesture: `corner:${zone.key}:${i}:x` })}
              />
              <input
                type="number"
                aria-label={`Corner ${i + 1} y`}
                value={y}
                onChange={(e) => dispatch({ type: 'moveVertex', key: zone.key, index: i, point: [x, Number(e.target.value)], gesture: `corner:${zone.key}:${i}:y` })}
              />
              <button
                type="button"
                className="link-button"
                aria-label={`Delete corner ${i + 1}`}
                disabled={zone.polygon.length <= MIN_VERTICES}
                onClick={() => dispatch({ type: 'deleteVertex', key: zone.key, index: i })}
              >
                ×
              </button>
            </li>
          ))}
        </ol>
        <span className="field__hint">Drag corners on the image; drag a small mid-edge dot to add a corner.</span>
      </fieldset>
      <button type="button" className="button button--danger" onClick={() => dispatch({ type: 'deleteZone', key: zone.key })}>
        Delete zone
      </button>
    </div>
  );
}

const NON_TEXT_INPUTS = new Set(['checkbox', 'radio', 'button', 'submit', 'reset', 'range', 'color', 'file']);

/** Whether the element is a field where Ctrl+Z belongs to the text being typed. */
function editsText(target: EventTarget): boolean {
  if (target instanceof HTMLTextAreaElement) return true;
  if (target instanceof HTMLInputElement) return !NON_TEXT_INPUTS.has(target.type);
  return target instanceof HTMLElement && target.isContentEditable;
}
