/**
 * The zone editor's state and the named commands that change it. Polygons
 * are in the capture's pixel frame; vertices are rounded to whole pixels
 * (zones mark features, not sub-pixel geometry) and clamped into the frame.
 *
 * Every command that changes the zone set records the set before it, so it
 * can be undone. Zone sets are never mutated, so a history entry is the
 * array itself. A command may carry a `gesture`: consecutive changes of one
 * gesture (a drag, typing into one field) are one undo step.
 *
 * A newer stored copy of the zones (another examiner's save, arriving with a
 * reload of the specimen) does not reset unsaved work: `rebase` carries it
 * over (see rebaseZones), and the zones changed on both sides wait in
 * `clashes` for the user to choose. The user may go on editing while a save
 * is in flight: `saved` takes in the stored copy it returns and keeps those
 * edits (see savedState).
 */
import { getFeatureType, type FeatureType, type FeatureZone, type FeatureZoneCreate, type LightSourceId } from '@exemplar/specimens-schema';

export type Point = [number, number];

export interface ZoneDraft {
  /** Local identity (the stored id for saved zones). */
  key: string;
  /** Absent for zones not saved yet. */
  id?: string;
  type: FeatureType;
  label: string;
  polygon: Point[];
  lightSources: LightSourceId[];
  personalised: boolean;
  expectedAppearance: string;
  notes: string;
}

export interface ZoneEditorState {
  frame: { width: number; height: number };
  zones: ZoneDraft[];
  selected: string | null;
  selectedVertex: number | null;
  /** Points placed so far while drawing a new zone; null when not drawing. */
  drawing: Point[] | null;
  /** The zones differ from `base`. */
  dirty: boolean;
  /** The zone set as loaded or last saved. */
  base: ZoneDraft[];
  /** Earlier zone sets, oldest first, at most HISTORY_LIMIT. */
  past: ZoneDraft[][];
  /** Undone zone sets, next redo first. */
  future: ZoneDraft[][];
  /** Gesture of the last change; a change of the same gesture joins its undo step. */
  gesture: string | null;
  /** Zones changed here and, differently, in the stored copy taken in by the last `rebase`: the user chooses. */
  clashes: ZoneClash[];
}

/**
 * A zone changed on both sides: `changed` here and there, `deleted-here` (and
 * changed there) or `deleted-there` (and changed here). Until the user chooses,
 * the editor shows their own version (the zone changed there but deleted here
 * stays deleted).
 */
export interface ZoneClash {
  kind: 'changed' | 'deleted-here' | 'deleted-there';
  /** The zone's key in the editor (its stored id). */
  key: string;
  /** The stored zone; null when it was deleted there. */
  stored: ZoneDraft | null;
  /** The zone as the user last had it (for `deleted-here`, as it was before they deleted it). */
  mine: ZoneDraft;
}

/** Undo steps kept: a long session does not grow memory without bound. */
export const HISTORY_LIMIT = 100;

export type ZoneCommand =
  | { type: 'reset'; zones: FeatureZone[]; frame: { width: number; height: number } }
  | { type: 'startDrawing' }
  | { type: 'addDrawPoint'; point: Point }
  | { type: 'finishDrawing'; defaults: Pick<ZoneDraft, 'type' | 'lightSources'> }
  | { type: 'cancelDrawing' }
  | { type: 'select'; key: string | null }
  | { type: 'selectVertex'; index: number | null }
  | { type: 'moveVertex'; key: string; index: number; point: Point; gesture?: string }
  | { type: 'insertVertex'; key: string; after: number; point: Point; gesture?: string }
  | { type: 'deleteVertex'; key: string; index: number }
  | { type: 'moveZone'; key: string; dx: number; dy: number; gesture?: string }
  | { type: 'deleteZone'; key: string }
  | { type: 'updateZone'; key: string; changes: Partial<Omit<ZoneDraft, 'key' | 'id' | 'polygon'>>; gesture?: string }
  /** A newer stored copy of the zones: unsaved work is carried over to it (rebaseZones); the history too. */
  | { type: 'rebase'; zones: FeatureZone[]; frame: { width: number; height: number } }
  /**
   * A save landed: `sent` are the zones it sent (the editor's zones when it started), `zones` the stored copy it
   * returned. Zones left as sent take their stored version; edits made while the save was in flight stay, as
   * unsaved changes on the stored copy (savedState).
   */
  | { type: 'saved'; sent: ZoneDraft[]; zones: FeatureZone[]; frame: { width: number; height: number } }
  /** Settles a clash: the user's version stays, or the stored one is taken (an undoable change). */
  | { type: 'settleClash'; key: string; keep: 'mine' | 'stored' }
  /** Back to the zones as loaded or saved; undoable, unlike `reset`. */
  | { type: 'revert' }
  /** While drawing: removes the last corner placed. */
  | { type: 'undo' }
  | { type: 'redo' };

export const MIN_VERTICES = 3;

let localCounter = 0;
const newKey = () => `new-${++localCounter}`;

export function draftFromZone(z: FeatureZone): ZoneDraft {
  return {
    key: z.id,
    id: z.id,
    type: z.type,
    label: z.label ?? '',
    polygon: z.polygon.map(([x, y]) => [x, y] as Point),
    lightSources: [...z.lightSources],
    personalised: z.personalised,
    expectedAppearance: z.expectedAppearance ?? '',
    notes: z.notes ?? '',
  };
}

/** A fresh editor on `zones`, with no history: used when the capture changes (a save lands through `saved`). */
export function initialZoneState(zones: FeatureZone[], frame: { width: number; height: number }): ZoneEditorState {
  const drafts = zones.map(draftFromZone);
  return { frame, zones: drafts, selected: null, selectedVertex: null, drawing: null, dirty: false, base: drafts, past: [], future: [], gesture: null, clashes: [] };
}

const samePoints = (a: Point[], b: Point[]) => a.length === b.length && a.every((p, i) => p[0] === b[i]![0] && p[1] === b[i]![1]);

/** Whether two drafts hold the same zone content (the local key aside). */
export function sameZone(a: ZoneDraft, b: ZoneDraft): boolean {
  return (
    a.id === b.id &&
    a.type === b.type &&
    a.label === b.label &&
    samePoints(a.polygon, b.polygon) &&
    a.lightSources.length === b.lightSources.length &&
    a.lightSources.every((l, i) => l === b.lightSources[i]) &&
    a.personalised === b.personalised &&
    a.expectedAppearance === b.expectedAppearance &&
    a.notes === b.notes
  );
}

const sameZones = (a: ZoneDraft[], b: ZoneDraft[]) => a.length === b.length && a.every((z, i) => sameZone(z, b[i]!));

/** `base` itself when `zones` hold the same: `dirty` and the history compare zone sets by identity. */
const asBaseIfSame = (zones: ZoneDraft[], base: ZoneDraft[]) => (zones !== base && sameZones(zones, base) ? base : zones);

/** A zone kept although it was deleted in the store: saved again as a new zone (the store knows its id no more). */
function asNewZone(zone: ZoneDraft): ZoneDraft {
  const { id: _dropped, ...rest } = zone;
  return rest;
}

/**
 * Carries the user's zones over to a newer stored copy. `base` is the stored
 * zone set they were made from, `stored` the newer one. A zone the user left
 * as it was in `base` takes the stored version (or goes, if it was deleted
 * there); a zone drawn here stays, and so does one changed here. Where the
 * stored version moved too, to something else than the user's, the zone is a
 * clash for the user to settle; so is a clash still open from before (`open`)
 * while the stored version differs from theirs. A zone deleted here stays
 * deleted, a clash if it was changed there. Zones added there come last.
 */
export function rebaseZones(
  mine: ZoneDraft[],
  base: ZoneDraft[],
  stored: ZoneDraft[],
  open: readonly ZoneClash[] = [],
): { zones: ZoneDraft[]; clashes: ZoneClash[] } {
  if (sameZones(mine, base) && !open.length) return { zones: stored, clashes: [] };
  const byId = (zones: ZoneDraft[]) => new Map(zones.flatMap((z) => (z.id ? [[z.id, z] as const] : [])));
  const baseById = byId(base);
  const storedById = byId(stored);
  const mineByKey = new Map(mine.map((z) => [z.key, z]));
  const openByKey = new Map(open.map((c) => [c.key, c]));
  const zones: ZoneDraft[] = [];
  const clashes: ZoneClash[] = [];

  for (const zone of mine) {
    const was = zone.id ? baseById.get(zone.id) : undefined;
    if (!was) {
      // Drawn here (or kept here after the store deleted it): stays, and so does a clash about it.
      zones.push(zone);
      const clash = openByKey.get(zone.key);
      if (clash?.kind === 'deleted-there') clashes.push({ ...clash, mine: zone });
      continue;
    }
    const now = storedById.get(was.id!);
    if (sameZone(zone, was)) {
      if (now) zones.push(now);
      continue;
    }
    if (!now) {
      const kept = asNewZone(zone);
      zones.push(kept);
      clashes.push({ kind: 'deleted-there', key: zone.key, stored: null, mine: kept });
      continue;
    }
    zones.push(zone);
    const movedThere = !sameZone(now, was) || openByKey.has(zone.key);
    if (movedThere && !sameZone(zone, now)) clashes.push({ kind: 'changed', key: zone.key, stored: now, mine: zone });
  }

  for (const was of base) {
    if (!was.id || mineByKey.has(was.key)) continue;
    const now = storedById.get(was.id);
    // Deleted here; a change made there meanwhile (or one still waiting for the user) is a clash.
    if (now && (!sameZone(now, was) || openByKey.get(was.key)?.kind === 'deleted-here')) {
      clashes.push({ kind: 'deleted-here', key: was.key, stored: now, mine: openByKey.get(was.key)?.mine ?? was });
    }
  }

  for (const now of stored) if (!baseById.has(now.id!) && !mineByKey.has(now.key)) zones.push(now);
  return { zones: asBaseIfSame(zones, stored), clashes };
}

export function canUndo(state: ZoneEditorState): boolean {
  return state.drawing ? state.drawing.length > 0 : state.past.length > 0;
}

export function canRedo(state: ZoneEditorState): boolean {
  return !state.drawing && state.future.length > 0;
}

function clampPoint([x, y]: Point, frame: { width: number; height: number }): Point {
  return [Math.round(Math.min(Math.max(x, 0), frame.width)), Math.round(Math.min(Math.max(y, 0), frame.height))];
}

function mapZone(state: ZoneEditorState, key: string, change: (z: ZoneDraft) => ZoneDraft): ZoneEditorState {
  let changed = false;
  const zones = state.zones.map((z) => {
    if (z.key !== key) return z;
    const next = change(z);
    changed = changed || next !== z;
    return next;
  });
  return changed ? { ...state, zones } : state;
}

export function zoneEditorReducer(state: ZoneEditorState, c: ZoneCommand): ZoneEditorState {
  switch (c.type) {
    case 'reset':
      return initialZoneState(c.zones, c.frame);
    case 'undo': {
      if (state.drawing) return state.drawing.length > 0 ? { ...state, drawing: state.drawing.slice(0, -1) } : state;
      const previous = state.past[state.past.length - 1];
      if (!previous) return state;
      return showZones(state, previous, state.past.slice(0, -1), [state.zones, ...state.future]);
    }
    case 'redo': {
      const next = state.future[0];
      if (state.drawing || !next) return state;
      return showZones(state, next, [...state.past, state.zones].slice(-HISTORY_LIMIT), state.future.slice(1));
    }
    case 'revert':
      if (state.zones === state.base) return state;
      return recordChange(state, { ...state, zones: state.base, selected: null, selectedVertex: null, drawing: null, clashes: [] }, null);
    case 'rebase':
      return rebaseState(state, c.zones.map(draftFromZone), c.frame);
    case 'saved':
      return savedState(state, c.sent, c.zones.map(draftFromZone), c.frame);
    case 'settleClash':
      return settleClash(state, c.key, c.keep);
  }
  const next = applyEdit(state, c);
  if (next.zones !== state.zones) return recordChange(state, next, 'gesture' in c ? (c.gesture ?? null) : null);
  // A new selection ends a run of typing: the next edit is a step of its own.
  return c.type === 'select' && next.gesture !== null ? { ...next, gesture: null } : next;
}

/**
 * The editor on a newer stored copy: the zones on screen and every zone set of
 * the history are carried over to it, so undo never brings back a stored zone
 * as it was before; a drawing in progress goes on.
 */
function rebaseState(state: ZoneEditorState, stored: ZoneDraft[], frame: { width: number; height: number }): ZoneEditorState {
  const carried = rebaseZones(state.zones, state.base, stored, state.clashes);
  const carry = (zones: ZoneDraft[]) => rebaseZones(zones, state.base, stored).zones;
  const zones = carried.zones;
  const selected = state.selected !== null && zones.some((z) => z.key === state.selected) ? state.selected : null;
  return {
    ...state,
    frame,
    base: stored,
    zones,
    past: state.past.map(carry),
    future: state.future.map(carry),
    selected,
    selectedVertex: selected === state.selected ? state.selectedVertex : null,
    gesture: null,
    dirty: zones !== stored,
    clashes: carried.clashes,
  };
}

/**
 * The editor once a save has landed. The store keeps the zones in the order
 * sent and gives new ones an id, so `stored[i]` is what became of `sent[i]`
 * (this revision was written over the one the save was based on: nobody
 * else's change is in it). A zone still as sent takes its stored version; a
 * zone changed while the save was in flight stays as it is now, with the id
 * the store gave it, so the next save updates it; a zone drawn meanwhile
 * stays new; one deleted meanwhile stays deleted. A drawing in progress goes
 * on. Undo cannot reach back past the save: edits made in flight are one step,
 * back to the saved zones.
 */
function savedState(state: ZoneEditorState, sent: ZoneDraft[], stored: ZoneDraft[], frame: { width: number; height: number }): ZoneEditorState {
  const sentIndex = new Map(sent.map((z, i) => [z.key, i]));
  const rekeyed = new Map<string, string>();
  const carried = state.zones.map((zone) => {
    const i = sentIndex.get(zone.key);
    const now = i === undefined ? undefined : stored[i];
    if (i === undefined || !now) return zone;
    if (sameZone(zone, sent[i]!)) {
      rekeyed.set(zone.key, now.key);
      return now;
    }
    return zone.id === now.id ? zone : { ...zone, id: now.id };
  });
  const zones = asBaseIfSame(carried, stored);
  const selectedKey = state.selected === null ? null : (rekeyed.get(state.selected) ?? state.selected);
  const selected = selectedKey !== null && zones.some((z) => z.key === selectedKey) ? selectedKey : null;
  return {
    ...state,
    frame,
    base: stored,
    zones,
    past: zones === stored ? [] : [stored],
    future: [],
    selected,
    selectedVertex: selected !== null ? state.selectedVertex : null,
    gesture: null,
    dirty: zones !== stored,
  };
}

function settleClash(state: ZoneEditorState, key: string, keep: 'mine' | 'stored'): ZoneEditorState {
  const clash = state.clashes.find((c) => c.key === key);
  if (!clash) return state;
  const clashes = state.clashes.filter((c) => c !== clash);
  if (keep === 'mine') return { ...state, clashes };
  let zones: ZoneDraft[];
  if (clash.stored === null) zones = state.zones.filter((z) => z.key !== key);
  else if (state.zones.some((z) => z.key === key)) zones = state.zones.map((z) => (z.key === key ? clash.stored! : z));
  else {
    // Deleted here: back where the store has it among the zones shown.
    const at = state.base.findIndex((z) => z.key === key);
    const before = new Set(state.base.slice(0, Math.max(at, 0)).map((z) => z.key));
    const index = state.zones.filter((z) => before.has(z.key)).length;
    zones = [...state.zones.slice(0, index), clash.stored, ...state.zones.slice(index)];
  }
  zones = asBaseIfSame(zones, state.base);
  const selected = state.selected !== null && zones.some((z) => z.key === state.selected) ? state.selected : null;
  return recordChange(state, { ...state, zones, clashes, selected, selectedVertex: null }, null);
}

function recordChange(before: ZoneEditorState, after: ZoneEditorState, gesture: string | null): ZoneEditorState {
  const continues = gesture !== null && gesture === before.gesture;
  return {
    ...after,
    past: continues ? before.past : [...before.past, before.zones].slice(-HISTORY_LIMIT),
    future: [],
    gesture,
    dirty: after.zones !== before.base,
  };
}

/** Shows a zone set from the history; the selection stays if its zone is still there. */
function showZones(state: ZoneEditorState, zones: ZoneDraft[], past: ZoneDraft[][], future: ZoneDraft[][]): ZoneEditorState {
  const selected = state.selected !== null && zones.some((z) => z.key === state.selected) ? state.selected : null;
  return { ...state, zones, past, future, selected, selectedVertex: null, gesture: null, dirty: zones !== state.base };
}

function applyEdit(state: ZoneEditorState, c: Exclude<ZoneCommand, { type: 'reset' | 'undo' | 'redo' | 'revert' | 'rebase' | 'saved' | 'settleClash' }>): ZoneEditorState {
  switch (c.type) {
    case 'startDrawing':
      return { ...state, drawing: [], selected: null, selectedVertex: null };
    case 'addDrawPoint':
      return state.drawing ? { ...state, drawing: [...state.drawing, clampPoint(c.point, state.frame)] } : state;
    case 'finishDrawing': {
      if (!state.drawing || state.drawing.length < MIN_VERTICES) return state;
      const entry = getFeatureType(c.defaults.type);
      const zone: ZoneDraft = {
        key: newKey(),
        type: c.defaults.type,
        label: '',
        polygon: state.drawing,
        lightSources: [...c.defaults.lightSources],
        personalised: entry?.personalised ?? false,
        expectedAppearance: '',
        notes: '',
      };
      return { ...state, zones: [...state.zones, zone], drawing: null, selected: zone.key, selectedVertex: null };
    }
    case 'cancelDrawing':
      return state.drawing ? { ...state, drawing: null } : state;
    case 'select':
      return state.selected === c.key && state.selectedVertex === null ? state : { ...state, selected: c.key, selectedVertex: null };
    case 'selectVertex':
      return { ...state, selectedVertex: c.index };
    case 'moveVertex':
      return mapZone(state, c.key, (z) => {
        const p = clampPoint(c.point, state.frame);
        const old = z.polygon[c.index];
        if (!old || (old[0] === p[0] && old[1] === p[1])) return z;
        return { ...z, polygon: z.polygon.map((q, i) => (i === c.index ? p : q)) };
      });
    case 'insertVertex': {
      const next = mapZone(state, c.key, (z) => ({ ...z, polygon: [...z.polygon.slice(0, c.after + 1), clampPoint(c.point, state.frame), ...z.polygon.slice(c.after + 1)] }));
      return next === state ? state : { ...next, selected: c.key, selectedVertex: c.after + 1 };
    }
    case 'deleteVertex': {
      const next = mapZone(state, c.key, (z) => (z.polygon.length <= MIN_VERTICES ? z : { ...z, polygon: z.polygon.filter((_, i) => i !== c.index) }));
      return next === state ? state : { ...next, selectedVertex: null };
    }
    case 'moveZone':
      return mapZone(state, c.key, (z) => {
        const xs = z.polygon.map((p) => p[0]);
        const ys = z.polygon.map((p) => p[1]);
        // The whole zone stops at the frame's edge rather than being squashed against it.
        const dx = Math.round(Math.min(Math.max(c.dx, -Math.min(...xs)), state.frame.width - Math.max(...xs)));
        const dy = Math.round(Math.min(Math.max(c.dy, -Math.min(...ys)), state.frame.height - Math.max(...ys)));
        if (dx === 0 && dy === 0) return z;
        return { ...z, polygon: z.polygon.map(([x, y]) => [x + dx, y + dy] as Point) };
      });
    case 'deleteZone': {
      const zones = state.zones.filter((z) => z.key !== c.key);
      if (zones.length === state.zones.length) return state;
      return { ...state, zones, selected: state.selected === c.key ? null : state.selected, selectedVertex: null };
    }
    case 'updateZone':
      return mapZone(state, c.key, (z) => ({ ...z, ...c.changes }));
  }
}

/** The body the zones route takes: kept zones with their id, new ones without; empty optional text left out. */
export function zonesForSave(zones: ZoneDraft[]): (FeatureZone | FeatureZoneCreate)[] {
  return zones.map((z) => {
    const body: Record<string, unknown> = {
      type: z.type,
      polygon: z.polygon,
      lightSources: z.lightSources,
      personalised: z.personalised,
    };
    if (z.id) body['id'] = z.id;
    if (z.label.trim()) body['label'] = z.label.trim();
    if (z.expectedAppearance.trim()) body['expectedAppearance'] = z.expectedAppearance.trim();
    if (z.notes.trim()) body['notes'] = z.notes.trim();
    return body as unknown as FeatureZone | FeatureZoneCreate;
  });
}

/**
 * Client coordinates → frame pixels for an SVG showing `view` (its viewBox)
 * in a box `rect` with the default preserveAspectRatio (xMidYMid meet).
 */
export function clientToFrame(
  clientX: number,
  clientY: number,
  rect: { left: number; top: number; width: number; height: number },
  view: { x: number; y: number; width: number; height: number },
): Point {
  const scale = Math.min(rect.width / view.width, rect.height / view.height);
  const offsetX = (rect.width - view.width * scale) / 2;
  const offsetY = (rect.height - view.height * scale) / 2;
  return [view.x + (clientX - rect.left - offsetX) / scale, view.y + (clientY - rect.top - offsetY) / scale];
}
