import { validate } from '@exemplar/specimens-schema';
import { makeZone } from '../../test/fixtures';
import {
  canRedo,
  canUndo,
  clientToFrame,
  HISTORY_LIMIT,
  initialZoneState,
  zoneEditorReducer,
  zonesForSave,
  type ZoneCommand,
  type ZoneEditorState,
} from './zone-editor-state';

const frame = { width: 2000, height: 1400 };
const run = (state: ZoneEditorState, ...commands: ZoneCommand[]) => commands.reduce(zoneEditorReducer, state);

test('drawing places corners, finishes into a selected new zone with the type defaults', () => {
  const s = run(
    initialZoneState([], frame),
    { type: 'startDrawing' },
    { type: 'addDrawPoint', point: [10.4, 20.6] },
    { type: 'addDrawPoint', point: [300, 20] },
    { type: 'finishDrawing', defaults: { type: 'photo', lightSources: ['white'] } },
  );
  // Two corners are not a polygon: finishing waits.
  expect(s.drawing).toHaveLength(2);
  expect(s.zones).toHaveLength(0);
  const done = run(s, { type: 'addDrawPoint', point: [2500, -5] }, { type: 'finishDrawing', defaults: { type: 'photo', lightSources: ['white'] } });
  expect(done.drawing).toBeNull();
  expect(done.zones).toHaveLength(1);
  const zone = done.zones[0]!;
  expect(zone.polygon).toEqual([
    [10, 21],
    [300, 20],
    [2000, 0],
  ]);
  // A photo differs between holders: personalised by default.
  expect(zone.personalised).toBe(true);
  expect(done.selected).toBe(zone.key);
  expect(done.dirty).toBe(true);
});

test('corners can be moved, inserted and deleted, never below three', () => {
  const zone = makeZone();
  let s = run(initialZoneState([zone], frame), { type: 'select', key: zone.id });
  s = run(s, { type: 'moveVertex', key: zone.id, index: 0, point: [50, 60] });
  expect(s.zones[0]!.polygon[0]).toEqual([50, 60]);
  s = run(s, { type: 'insertVertex', key: zone.id, after: 0, point: [200, 80] });
  expect(s.zones[0]!.polygon).toHaveLength(5);
  expect(s.zones[0]!.polygon[1]).toEqual([200, 80]);
  expect(s.selectedVertex).toBe(1);
  s = run(s, { type: 'deleteVertex', key: zone.id, index: 1 }, { type: 'deleteVertex', key: zone.id, index: 1 });
  expect(s.zones[0]!.polygon).toHaveLength(3);
  const same = run(s, { type: 'deleteVertex', key: zone.id, index: 0 });
  expect(same).toBe(s);
});

test('moving a zone keeps its shape and stops at the frame edge', () => {
  const zone = makeZone({ polygon: [[100, 100], [400, 100], [400, 200]] });
  const s = run(initialZoneState([zone], frame), { type: 'moveZone', key: zone.id, dx: -500, dy: 30 });
  expect(s.zones[0]!.polygon).toEqual([[0, 130], [300, 130], [300, 230]]);
});

test('the save body keeps ids of stored zones, drops empty text, and passes the schema', () => {
  const kept = makeZone({ label: 'Rosette', lightSources: ['white', 'uv-365'] });
  let s = run(initialZoneState([kept], frame), { type: 'updateZone', key: kept.id, changes: { label: '', notes: 'checked' } });
  s = run(s, { type: 'startDrawing' }, { type: 'addDrawPoint', point: [1, 1] }, { type: 'addDrawPoint', point: [50, 1] }, { type: 'addDrawPoint', point: [50, 50] }, {
    type: 'finishDrawing',
    defaults: { type: 'uv-fibres', lightSources: ['uv-365'] },
  });
  const body = zonesForSave(s.zones);
  expect(body[0]).toEqual({ id: kept.id, type: 'microprint', polygon: kept.polygon, lightSources: ['white', 'uv-365'], personalised: false, notes: 'checked' });
  expect(body[1]).not.toHaveProperty('id');
  expect(validate('feature-zone', body[0]).ok).toBe(true);
  expect(validate('feature-zone-create', body[1]).ok).toBe(true);
});

test('pointer positions map to frame pixels through the letterboxed viewBox', () => {
  // A 2000×1400 view in a 1000×1000 box: scale 0.5, 150 px bands above and below.
  const rect = { left: 10, top: 20, width: 1000, height: 1000 };
  const view = { x: 0, y: 0, width: 2000, height: 1400 };
  expect(clientToFrame(10, 170, rect, view)).toEqual([0, 0]);
  expect(clientToFrame(1010, 870, rect, view)).toEqual([2000, 1400]);
  expect(clientToFrame(510, 520, rect, { x: 100, y: 50, width: 500, height: 500 })).toEqual([350, 300]);
});

const triangle = (x: number): ZoneCommand[] => [
  { type: 'startDrawing' },
  { type: 'addDrawPoint', point: [x, 10] },
  { type: 'addDrawPoint', point: [x + 100, 10] },
  { type: 'addDrawPoint', point: [x + 100, 90] },
  { type: 'finishDrawing', defaults: { type: 'guilloche', lightSources: ['white'] } },
];

test('each kind of zone change is undone and redone in order; a new change drops what was undone', () => {
  const zone = makeZone();
  const start = initialZoneState([zone], frame);
  const steps: ZoneCommand[][] = [
    triangle(500),
    [{ type: 'moveVertex', key: zone.id, index: 0, point: [10, 10] }],
    [{ type: 'updateZone', key: zone.id, changes: { type: 'photo', personalised: true } }],
    [{ type: 'updateZone', key: zone.id, changes: { lightSources: ['white', 'uv-365'] } }],
    [{ type: 'updateZone', key: zone.id, changes: { personalised: false } }],
    [{ type: 'deleteZone', key: zone.id }],
  ];
  const states = [start];
  for (const step of steps) states.push(run(states[states.length - 1]!, ...step));
  const end = states[states.length - 1]!;
  expect(end.zones.map((z) => z.type)).toEqual(['guilloche']);
  expect(end.past).toHaveLength(steps.length);

  let s = end;
  for (let i = steps.length - 1; i >= 0; i--) {
    s = run(s, { type: 'undo' });
    expect(s.zones).toEqual(states[i]!.zones);
  }
  expect(s.zones).toBe(start.zones);
  expect(s.dirty).toBe(false);
  expect(canUndo(s)).toBe(false);
  expect(run(s, { type: 'undo' })).toBe(s);

  for (let i = 1; i <= steps.length; i++) {
    s = run(s, { type: 'redo' });
    expect(s.zones).toEqual(states[i]!.zones);
    expect(s.dirty).toBe(true);
  }
  expect(canRedo(s)).toBe(false);

  s = run(s, { type: 'undo' }, { type: 'undo' });
  expect(canRedo(s)).toBe(true);
  s = run(s, { type: 'updateZone', key: zone.id, changes: { label: 'Rosette' } });
  expect(canRedo(s)).toBe(false);
  expect(run(s, { type: 'undo' }).zones).toEqual(states[steps.length - 2]!.zones);
});

test('a drag or a run of typing is one undo step; selecting another zone ends the run', () => {
  const a = makeZone();
  const b = makeZone({ polygon: [[600, 600], [700, 600], [700, 700]] });
  let s = initialZoneState([a, b], frame);
  // A corner inserted and dragged into place, then the same corner dragged again.
  s = run(
    s,
    { type: 'insertVertex', key: a.id, after: 0, point: [250, 100], gesture: 'drag-1' },
    { type: 'moveVertex', key: a.id, index: 1, point: [250, 60], gesture: 'drag-1' },
    { type: 'moveVertex', key: a.id, index: 1, point: [250, 40], gesture: 'drag-1' },
    { type: 'moveVertex', key: a.id, index: 1, point: [260, 40], gesture: 'drag-2' },
  );
  expect(s.past).toHaveLength(2);
  expect(run(s, { type: 'undo' }).zones[0]!.polygon[1]).toEqual([250, 40]);
  expect(run(s, { type: 'undo' }, { type: 'undo' }).zones[0]!.polygon).toEqual(a.polygon);

  s = run(
    initialZoneState([a, b], frame),
    { type: 'updateZone', key: a.id, changes: { label: 'R' }, gesture: `label:${a.id}` },
    { type: 'updateZone', key: a.id, changes: { label: 'Ro' }, gesture: `label:${a.id}` },
    { type: 'select', key: b.id },
    { type: 'select', key: a.id },
    { type: 'updateZone', key: a.id, changes: { label: 'Ros' }, gesture: `label:${a.id}` },
  );
  expect(s.past).toHaveLength(2);
  expect(run(s, { type: 'undo' }).zones[0]!.label).toBe('Ro');
  // Typing after an undo starts a new step rather than joining the undone one.
  const typed = run(s, { type: 'undo' }, { type: 'updateZone', key: a.id, changes: { label: 'Rox' }, gesture: `label:${a.id}` });
  expect(run(typed, { type: 'undo' }).zones[0]!.label).toBe('Ro');
});

test('the history keeps the most recent steps only', () => {
  const zone = makeZone();
  let s = initialZoneState([zone], frame);
  const extra = 7;
  for (let i = 1; i <= HISTORY_LIMIT + extra; i++) s = run(s, { type: 'moveZone', key: zone.id, dx: 1, dy: 0 });
  expect(s.zones[0]!.polygon[0]).toEqual([100 + HISTORY_LIMIT + extra, 100]);
  expect(s.past).toHaveLength(HISTORY_LIMIT);
  while (canUndo(s)) s = run(s, { type: 'undo' });
  // The oldest steps are gone: the zone goes back only as far as the limit allows, and stays unsaved.
  expect(s.zones[0]!.polygon[0]).toEqual([100 + extra, 100]);
  expect(s.dirty).toBe(true);
  for (let i = 0; i < HISTORY_LIMIT + extra; i++) s = run(s, { type: 'redo' });
  expect(s.zones[0]!.polygon[0]).toEqual([100 + HISTORY_LIMIT + extra, 100]);
  expect(s.past).toHaveLength(HISTORY_LIMIT);
});

test('undo drops a selection whose zone it removes, and keeps one that is still there', () => {
  const zone = makeZone();
  const drawn = run(initialZoneState([zone], frame), ...triangle(500));
  expect(drawn.selected).toBe(drawn.zones[1]!.key);
  const undone = run(drawn, { type: 'undo' });
  expect(undone.zones).toHaveLength(1);
  expect(undone.selected).toBeNull();
  const moved = run(initialZoneState([zone], frame), { type: 'select', key: zone.id }, { type: 'moveZone', key: zone.id, dx: 5, dy: 5 });
  expect(run(moved, { type: 'undo' }).selected).toBe(zone.id);
});

test('while drawing, undo takes back the last corner and redo waits', () => {
  const zone = makeZone();
  let s = run(initialZoneState([zone], frame), { type: 'moveZone', key: zone.id, dx: 5, dy: 0 }, { type: 'undo' });
  expect(canRedo(s)).toBe(true);
  s = run(s, { type: 'startDrawing' });
  expect(canUndo(s)).toBe(false);
  expect(canRedo(s)).toBe(false);
  s = run(s, { type: 'addDrawPoint', point: [1, 1] }, { type: 'addDrawPoint', point: [9, 9] });
  s = run(s, { type: 'undo' }, { type: 'redo' });
  expect(s.drawing).toEqual([[1, 1]]);
  // The zones were not touched by undoing a corner.
  expect(s.zones[0]!.polygon).toEqual(zone.polygon);
  s = run(s, { type: 'cancelDrawing' }, { type: 'redo' });
  expect(s.zones[0]!.polygon[0]).toEqual([105, 100]);
});

test('discarding changes is one undoable step; loading zones (a new capture, a save) starts a new history', () => {
  const zone = makeZone();
  let s = run(initialZoneState([zone], frame), { type: 'deleteZone', key: zone.id }, ...triangle(10));
  expect(s.dirty).toBe(true);
  s = run(s, { type: 'revert' });
  expect(s.zones).toBe(s.base);
  expect(s.dirty).toBe(false);
  s = run(s, { type: 'undo' });
  expect(s.zones.map((z) => z.type)).toEqual(['guilloche']);
  expect(s.dirty).toBe(true);

  const saved = run(s, { type: 'reset', zones: [makeZone({ type: 'guilloche' })], frame });
  expect(saved.dirty).toBe(false);
  expect(canUndo(saved)).toBe(false);
  expect(canRedo(run(s, { type: 'undo' }, { type: 'reset', zones: [], frame }))).toBe(false);
});

test('a newer stored copy: zones not changed here take it, drawn and changed ones stay, and zones changed on both sides are clashes', () => {
  const rosette = makeZone({ type: 'guilloche', label: 'Rosette' });
  const photo = makeZone({ type: 'photo' });
  const thread = makeZone({ type: 'security-thread' });
  const chip = makeZone({ type: 'contactless-chip' });
  const mrz = makeZone({ type: 'mrz' });
  let s = run(
    initialZoneState([rosette, photo, thread, chip, mrz], frame),
    { type: 'updateZone', key: rosette.id, changes: { label: 'Rosette, fine lines' } },
    { type: 'deleteZone', key: thread.id },
    { type: 'updateZone', key: chip.id, changes: { notes: 'Antenna visible under IR' } },
    ...triangle(900),
  );
  const drawn = s.zones.find((z) => !z.id)!;
  const moved = (z: typeof photo) => ({ ...z, polygon: z.polygon.map(([x, y]) => [x + 40, y] as [number, number]) });
  const hologram = makeZone({ type: 'hologram' });
  // Stored meanwhile: the rosette's label, the photo and the thread moved, the chip and the MRZ deleted, a hologram added.
  s = run(s, { type: 'rebase', zones: [{ ...rosette, label: 'Rosette (theirs)' }, moved(photo), moved(thread), hologram], frame });

  expect(s.zones.map((z) => [z.key, z.id, z.label, z.notes])).toEqual([
    [rosette.id, rosette.id, 'Rosette, fine lines', ''],
    [photo.id, photo.id, '', ''],
    // Changed here, deleted there: kept, to be saved as a new zone.
    [chip.id, undefined, '', 'Antenna visible under IR'],
    [drawn.key, undefined, '', ''],
    [hologram.id, hologram.id, '', ''],
  ]);
  expect(s.zones[1]!.polygon).toEqual(moved(photo).polygon);
  expect(s.clashes.map((c) => [c.kind, c.key])).toEqual([
    ['changed', rosette.id],
    ['deleted-there', chip.id],
    // Deleted here, moved there: stays deleted until the user chooses.
    ['deleted-here', thread.id],
  ]);
  expect(s.dirty).toBe(true);

  // Choices: their label, their thread back where they keep it, my chip kept.
  s = run(s, { type: 'settleClash', key: rosette.id, keep: 'stored' }, { type: 'settleClash', key: thread.id, keep: 'stored' }, { type: 'settleClash', key: chip.id, keep: 'mine' });
  expect(s.clashes).toEqual([]);
  expect(s.zones.map((z) => z.key)).toEqual([rosette.id, photo.id, thread.id, chip.id, drawn.key, hologram.id]);
  expect(s.zones[0]!.label).toBe('Rosette (theirs)');
  expect(s.zones[2]!.polygon).toEqual(moved(thread).polygon);
  // Taking theirs is a change of its own: undone, the label is mine again.
  expect(run(s, { type: 'undo' }, { type: 'undo' }).zones[0]!.label).toBe('Rosette, fine lines');
  expect(zonesForSave(s.zones).map((z) => ('id' in z ? z.id : undefined))).toEqual([rosette.id, photo.id, thread.id, undefined, undefined, hologram.id]);
});

test('a newer stored copy with nothing changed here is taken as it is, and the history is carried over to it', () => {
  const rosette = makeZone({ type: 'guilloche' });
  const photo = makeZone({ type: 'photo' });
  const untouched = run(initialZoneState([rosette], frame), { type: 'rebase', zones: [{ ...rosette, label: 'Theirs' }, photo], frame });
  expect(untouched.dirty).toBe(false);
  expect(untouched.zones).toBe(untouched.base);
  expect(untouched.zones.map((z) => z.label)).toEqual(['Theirs', '']);

  // A zone drawn and a drawing in progress survive; undoing back to the start shows the stored copy, not the old one.
  let s = run(initialZoneState([rosette], frame), ...triangle(900), { type: 'startDrawing' }, { type: 'addDrawPoint', point: [5, 5] });
  s = run(s, { type: 'rebase', zones: [{ ...rosette, label: 'Theirs' }], frame });
  expect(s.zones.map((z) => z.label)).toEqual(['Theirs', '']);
  expect(s.zones).toHaveLength(2);
  expect(s.drawing).toEqual([[5, 5]]);
  s = run(s, { type: 'cancelDrawing' }, { type: 'undo' });
  expect(s.zones).toBe(s.base);
  expect(s.zones[0]!.label).toBe('Theirs');
  expect(s.dirty).toBe(false);
  expect(run(s, { type: 'redo' }).zones).toHaveLength(2);
});

test('a clash left open stays open through the next stored copy while theirs still differs, and discarding the changes ends it', () => {
  const rosette = makeZone({ type: 'guilloche' });
  let s = run(initialZoneState([rosette], frame), { type: 'updateZone', key: rosette.id, changes: { label: 'Mine' } });
  s = run(s, { type: 'rebase', zones: [{ ...rosette, label: 'Theirs' }], frame });
  expect(s.clashes).toHaveLength(1);
  // Another save that does not touch the rosette (the specimen form, an upload): the question is still open.
  s = run(s, { type: 'rebase', zones: [{ ...rosette, label: 'Theirs' }], frame });
  expect(s.clashes.map((c) => [c.kind, c.stored?.label])).toEqual([['changed', 'Theirs']]);
  // They came round to the same label: nothing left to choose.
  expect(run(s, { type: 'rebase', zones: [{ ...rosette, label: 'Mine' }], frame }).clashes).toEqual([]);
  s = run(s, { type: 'revert' });
  expect(s.clashes).toEqual([]);
  expect(s.zones[0]!.label).toBe('Theirs');
  expect(s.dirty).toBe(false);
});

test('a save that lands keeps the edits made while it was in flight, on the stored copy, with the ids the store gave', () => {
  const rosette = makeZone({ type: 'guilloche' });
  const photo = makeZone({ type: 'photo' });
  let s = run(initialZoneState([rosette, photo], frame), { type: 'updateZone', key: rosette.id, changes: { label: ' Rosette ' } }, ...triangle(900));
  const sent = s.zones;
  const drawn = sent[2]!;
  // The store trims text and gives the new zone an id, in the order sent.
  const stored = zonesForSave(sent).map((z, i) => ('id' in z ? z : { id: `zsaved${i}`, ...z }));

  // Nothing changed in flight: the stored copy, clean, with no history.
  const clean = run(s, { type: 'saved', sent, zones: stored, frame });
  expect(clean.zones).toBe(clean.base);
  expect(clean.zones.map((z) => [z.key, z.id, z.label])).toEqual([
    [rosette.id, rosette.id, 'Rosette'],
    [photo.id, photo.id, ''],
    ['zsaved2', 'zsaved2', ''],
  ]);
  expect(clean.dirty).toBe(false);
  expect(canUndo(clean)).toBe(false);
  // The selection follows the drawn zone to its stored key.
  expect(clean.selected).toBe('zsaved2');

  // In flight: the photo's notes, the drawn zone's label, a zone drawn, a drawing begun.
  s = run(
    s,
    { type: 'updateZone', key: photo.id, changes: { notes: 'Edge worn' } },
    { type: 'updateZone', key: drawn.key, changes: { label: 'Seal' } },
    ...triangle(1200),
    { type: 'startDrawing' },
    { type: 'addDrawPoint', point: [5, 5] },
  );
  const landed = run(s, { type: 'saved', sent, zones: stored, frame });
  expect(landed.zones.map((z) => [z.id, z.label, z.notes])).toEqual([
    [rosette.id, 'Rosette', ''],
    [photo.id, '', 'Edge worn'],
    // Saved once: it has its id now, so the next save updates it instead of adding it twice.
    ['zsaved2', 'Seal', ''],
    [undefined, '', ''],
  ]);
  expect(landed.base.map((z) => z.id)).toEqual([rosette.id, photo.id, 'zsaved2']);
  expect(landed.dirty).toBe(true);
  expect(landed.drawing).toEqual([[5, 5]]);
  expect(zonesForSave(landed.zones).map((z) => ('id' in z ? z.id : undefined))).toEqual([rosette.id, photo.id, 'zsaved2', undefined]);
  // The edits made in flight are one undo step, back to the saved zones; none reaches past the save.
  const undone = run(landed, { type: 'cancelDrawing' }, { type: 'undo' });
  expect(undone.zones).toBe(undone.base);
  expect(undone.dirty).toBe(false);
  expect(canUndo(undone)).toBe(false);

  // A zone deleted in flight stays deleted.
  const before = initialZoneState([rosette, photo], frame);
  const gone = run(before, { type: 'deleteZone', key: rosette.id }, { type: 'saved', sent: before.zones, zones: [rosette, photo], frame });
  expect(gone.zones.map((z) => z.id)).toEqual([photo.id]);
  expect(gone.dirty).toBe(true);
});
