import { validate } from '@exemplar/specimens-schema';
import { makeZone } from '../../test/fixtures';
import { clientToFrame, initialZoneState, zoneEditorReducer, zonesForSave, type ZoneCommand, type ZoneEditorState } from './zone-editor-state';

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
