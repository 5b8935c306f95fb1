/** @jest-environment jsdom */
import '../../test/dom-setup';
import { fireEvent, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { Specimen } from '@exemplar/specimens-schema';
import { useState } from 'react';
import { createMemoryRouter, RouterProvider } from 'react-router-dom';
import { ApiProvider } from '../../shared/api/api-context';
import { makeCapture, makeSpecimen, makeZone } from '../../test/fixtures';
import { createTestApi, ok, on, type TestApi } from '../../test/test-api';
import { ZoneEditor } from './zone-editor';

const rosette = makeZone({ type: 'guilloche', lightSources: ['white'] });
const capture = makeCapture({ zones: [rosette] });
const specimen = makeSpecimen({ revision: 3, captures: [capture] });

/** The editor as the editor page holds it: a save replaces the specimen, and so the capture. */
function Host({ initial }: { initial: Specimen }) {
  const [current, setCurrent] = useState(initial);
  return <ZoneEditor specimen={current} capture={current.captures[0]!} onSaved={setCurrent} onReload={() => undefined} />;
}

/** `landing`: each save is answered once it resolves (a save in flight until then). */
function renderEditor(landing?: Promise<void>): TestApi {
  const api = createTestApi(
    on('PUT', `/api/specimens/${specimen.id}/captures/${capture.id}/zones`, async (req) => {
      await landing;
      const { zones } = req.body as { zones: object[] };
      return ok({ ...specimen, revision: 4, captures: [{ ...capture, zones: zones.map((z, i) => ({ id: `zsaved${i}`, ...z })) }] });
    }),
  );
  // The editor holds in-app navigation while zones are unsaved, which takes a data router.
  const router = createMemoryRouter([{ path: '/', element: <Host initial={specimen} /> }]);
  render(
    <ApiProvider client={api.client}>
      <RouterProvider router={router} />
    </ApiProvider>,
  );
  const canvas = screen.getByRole('application', { name: /Zone drawing area/ });
  // jsdom does no layout: give the drawing area the box a browser would (1000×700 px for the 2000×1400 frame).
  canvas.getBoundingClientRect = () => ({ left: 0, top: 0, width: 1000, height: 700, right: 1000, bottom: 700, x: 0, y: 0, toJSON: () => ({}) });
  return api;
}

const undoButton = () => screen.getByRole('button', { name: 'Undo zone change' });
const redoButton = () => screen.getByRole('button', { name: 'Redo zone change' });
const props = () => screen.getByLabelText('Selected zone');
const typeSelect = () => within(props()).getByRole('combobox', { name: 'Type' });
const personalised = () => within(props()).getByRole('checkbox', { name: /Personalised/ });
const uvBox = () => within(props()).getByRole('checkbox', { name: 'UV 365 nm' });
const corner1x = () => within(props()).getByRole('spinbutton', { name: 'Corner 1 x' });

test('Ctrl+Z undoes zone changes one by one, Ctrl+Shift+Z and Ctrl+Y redo them, and the toolbar buttons follow', async () => {
  renderEditor();
  const user = userEvent.setup();
  expect(undoButton()).toBeDisabled();
  expect(redoButton()).toBeDisabled();
  expect(undoButton()).toHaveAttribute('aria-keyshortcuts', expect.stringContaining('Control+Z'));

  await user.click(screen.getByRole('button', { name: /^1\. Guilloche/ }));
  await user.selectOptions(typeSelect(), 'photo');
  // A photo differs between holders: the type brings personalised with it, in the same step.
  expect(personalised()).toBeChecked();
  await user.click(uvBox());
  await user.click(personalised());
  expect(undoButton()).toBeEnabled();
  expect(screen.getByRole('button', { name: 'Save zones' })).toBeEnabled();

  const canvas = screen.getByRole('application', { name: /Zone drawing area/ });
  canvas.focus();
  await user.keyboard('{Control>}z{/Control}');
  expect(personalised()).toBeChecked();
  expect(uvBox()).toBeChecked();
  await user.keyboard('{Control>}z{/Control}');
  expect(uvBox()).not.toBeChecked();
  await user.keyboard('{Control>}z{/Control}');
  expect(typeSelect()).toHaveValue('guilloche');
  expect(personalised()).not.toBeChecked();
  expect(undoButton()).toBeDisabled();
  expect(redoButton()).toBeEnabled();
  // Back where it started: nothing to save.
  expect(screen.getByRole('button', { name: 'Save zones' })).toBeDisabled();

  await user.keyboard('{Control>}{Shift>}z{/Shift}{/Control}');
  expect(typeSelect()).toHaveValue('photo');
  await user.keyboard('{Control>}y{/Control}');
  expect(uvBox()).toBeChecked();
  await user.click(redoButton());
  expect(personalised()).not.toBeChecked();
  expect(redoButton()).toBeDisabled();
  await user.click(undoButton());
  expect(personalised()).toBeChecked();
});

test('a corner drag is one step, and Ctrl+Z in a text field stays with the text', async () => {
  renderEditor();
  const user = userEvent.setup();
  await user.click(screen.getByRole('button', { name: /^1\. Guilloche/ }));
  const canvas = screen.getByRole('application', { name: /Zone drawing area/ });
  const firstCorner = canvas.querySelector('.edit-zone__vertex') as SVGCircleElement;
  fireEvent.pointerDown(firstCorner, { button: 0, clientX: 50, clientY: 50, pointerId: 1 });
  for (const x of [60, 70, 80]) fireEvent.pointerMove(canvas, { clientX: x, clientY: 40, pointerId: 1 });
  fireEvent.pointerUp(canvas, { pointerId: 1 });
  expect(corner1x()).toHaveValue(160);

  const label = within(props()).getByRole('textbox', { name: 'Label' });
  await user.type(label, 'Rosette');
  await user.keyboard('{Control>}z{/Control}');
  // The field's own undo (the browser's, not simulated by jsdom) is left alone: the zones are untouched.
  expect(label).toHaveValue('Rosette');
  expect(corner1x()).toHaveValue(160);

  canvas.focus();
  // The whole label typed is one step, the whole drag another.
  await user.keyboard('{Control>}z{/Control}');
  expect(label).toHaveValue('');
  expect(corner1x()).toHaveValue(160);
  await user.keyboard('{Control>}z{/Control}');
  expect(corner1x()).toHaveValue(100);
  expect(undoButton()).toBeDisabled();
});

test('while drawing, undo takes back the last corner placed', async () => {
  renderEditor();
  const user = userEvent.setup();
  await user.click(screen.getByRole('button', { name: 'Draw a zone' }));
  const canvas = screen.getByRole('application', { name: /Zone drawing area/ });
  const background = canvas.querySelector('rect') as SVGRectElement;
  expect(screen.getByRole('button', { name: 'Undo the last corner' })).toBeDisabled();
  fireEvent.pointerDown(background, { button: 0, clientX: 100, clientY: 100, pointerId: 1 });
  fireEvent.pointerDown(background, { button: 0, clientX: 300, clientY: 100, pointerId: 1 });
  expect(screen.getByRole('status')).toHaveTextContent('(2 of at least 3)');
  canvas.focus();
  await user.keyboard('{Control>}z{/Control}');
  expect(screen.getByRole('status')).toHaveTextContent('(1 of at least 3)');
  await user.click(screen.getByRole('button', { name: 'Undo the last corner' }));
  expect(screen.getByRole('status')).toHaveTextContent('(0 of at least 3)');
  expect(screen.getByRole('button', { name: 'Undo the last corner' })).toBeDisabled();
});

test('after a save the history starts again: the saved zones cannot be undone', async () => {
  const api = renderEditor();
  const user = userEvent.setup();
  await user.click(screen.getByRole('button', { name: /^1\. Guilloche/ }));
  await user.click(uvBox());
  expect(undoButton()).toBeEnabled();
  await user.click(screen.getByRole('button', { name: 'Save zones' }));
  expect(await screen.findByText('Zones saved (revision 4).')).toBeInTheDocument();
  expect(api.calls('PUT', `/api/specimens/${specimen.id}/captures/${capture.id}/zones`)).toHaveLength(1);
  expect(undoButton()).toBeDisabled();
  expect(redoButton()).toBeDisabled();
  const canvas = screen.getByRole('application', { name: /Zone drawing area/ });
  canvas.focus();
  await user.keyboard('{Control>}z{/Control}');
  expect(screen.getByRole('button', { name: 'Save zones' })).toBeDisabled();
  await user.click(screen.getByRole('button', { name: /^1\. Guilloche/ }));
  expect(uvBox()).toBeChecked();
});

test('edits made while a save is in flight stay on the saved zones, unsaved, and the next save sends them', async () => {
  let land!: () => void;
  const api = renderEditor(new Promise<void>((resolve) => (land = resolve)));
  const user = userEvent.setup();
  const zonesUrl = `/api/specimens/${specimen.id}/captures/${capture.id}/zones`;
  await user.click(screen.getByRole('button', { name: /^1\. Guilloche/ }));
  await user.click(uvBox());
  await user.click(screen.getByRole('button', { name: 'Save zones' }));
  expect(screen.getByRole('button', { name: 'Saving zones…' })).toBeDisabled();
  // Still editing while the save is on its way.
  await user.click(personalised());
  land();
  expect(await screen.findByText('Zones saved (revision 4); the changes made while saving are not saved yet.')).toBeInTheDocument();
  expect(api.calls('PUT', zonesUrl)[0]!.body).toMatchObject({ revision: 3, zones: [{ id: rosette.id, personalised: false }] });

  expect(uvBox()).toBeChecked();
  expect(personalised()).toBeChecked();
  const save = screen.getByRole('button', { name: 'Save zones' });
  expect(save).toBeEnabled();
  // One undo step back to the zones just saved.
  await user.click(undoButton());
  expect(personalised()).not.toBeChecked();
  expect(uvBox()).toBeChecked();
  expect(save).toBeDisabled();
  expect(undoButton()).toBeDisabled();
  await user.click(redoButton());

  await user.click(save);
  expect(await screen.findByText('Zones saved (revision 4).')).toBeInTheDocument();
  const second = api.calls('PUT', zonesUrl)[1]!.body as { revision: number; zones: Array<{ id?: string; personalised: boolean; lightSources: string[] }> };
  expect(second.revision).toBe(4);
  expect(second.zones).toHaveLength(1);
  expect(second.zones[0]).toMatchObject({ id: rosette.id, personalised: true, lightSources: expect.arrayContaining(['white', 'uv-365']) });
});
