/** @jest-environment jsdom */
import '../../test/dom-setup';
import { act, fireEvent, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter } from 'react-router-dom';
import { ApiProvider } from '../../shared/api/api-context';
import { padRect } from '../../shared/viewer/view-channel';
import { makeViewerLight } from '../../test/fixtures';
import { createTestApi } from '../../test/test-api';
import { ComparisonViewer } from './comparison-viewer';
import { createCompareStore } from './store';
import { compareModes } from './modes';
import type { Comparison, ComparisonLight } from './types';

// A comparison result as the viewer receives it (built here; the API's own answers are covered in comparison-page.test).
function light(lightSource: string, regions: ComparisonLight['regions'], zoneVerdicts: ComparisonLight['zoneVerdicts'] = []): ComparisonLight {
  return makeViewerLight(lightSource, { regions, zoneVerdicts });
}
const altered = { id: 'r1', box: { x: 600, y: 500, width: 180, height: 40 }, polygon: [[600, 500], [780, 500], [780, 540], [600, 540]] as [number, number][], score: 0.91, personalised: false };
const stamp = { id: 'r2', box: { x: 1500, y: 900, width: 120, height: 120 }, polygon: [], score: 0.64, personalised: false };
const photo = { id: 'p1', box: { x: 100, y: 300, width: 400, height: 500 }, polygon: [], score: 0.8, personalised: true };
const emblem = { id: 'r1', box: { x: 1200, y: 300, width: 300, height: 300 }, polygon: [], score: 0.77, personalised: false };
const comparison: Comparison = {
  id: 'cmp123',
  status: 'done',
  progress: { fraction: 1, stage: 'done' },
  error: null,
  reference: { specimenId: 'spec01', captureId: 'cap01', title: 'Utopia passport, 2019 series' },
  questioned: { title: 'Case 2024-117' },
  lights: [
    light('white', [altered, stamp, photo], [
      { zoneId: 'z1', type: 'guilloche', label: 'Rosette', verdict: 'consistent', score: 0.05, polygon: [[1000, 200], [1400, 200], [1400, 600]] },
      { zoneId: 'z2', type: 'microprint', verdict: 'different', score: 0.6, polygon: [[10, 10], [50, 10], [50, 20]] },
    ]),
    light('uv-365', [emblem], [{ zoneId: 'z3', type: 'uv-fluorescent-ink', label: 'Sun emblem', verdict: 'absent', score: 0.9 }]),
  ],
  skipped: [{ lightSource: 'ir-870', reason: 'not in the questioned capture' }],
};

function renderViewer(props: Partial<Parameters<typeof ComparisonViewer>[0]> = {}) {
  const api = createTestApi();
  return render(
    <ApiProvider client={api.client}>
      <MemoryRouter>
        <ComparisonViewer comparison={comparison} {...props} />
      </MemoryRouter>
    </ApiProvider>,
  );
}

const viewers = () => screen.getAllByRole('group').filter((g) => g.classList.contains('viewer'));
const regionIds = (viewer: HTMLElement) => [...viewer.querySelectorAll('[data-region-id]')].map((g) => g.getAttribute('data-region-id'));

test('every mode shows the flagged regions in each of its viewers and marks the questioned image', async () => {
  const { container } = renderViewer();
  const user = userEvent.setup();
  const root = container.querySelector('.compare') as HTMLElement;
  for (const mode of compareModes) {
    await user.keyboard(mode.hotkey);
    expect(root).toHaveAttribute('data-mode', mode.id);
    expect(screen.getByRole('button', { name: new RegExp(`^${mode.label}`) })).toHaveAttribute('aria-pressed', 'true');
    const shown = viewers();
    expect(shown.length).toBeGreaterThan(0);
    for (const v of shown) {
      // The overlay is portalled into the viewer once OpenSeadragon has made its canvas.
      await screen.findAllByText('1', { selector: 'text' });
      expect(regionIds(v)).toEqual(['r1', 'r2', 'p1']);
    }
    const tags = [...root.querySelectorAll('[data-side="questioned"]')];
    expect(tags.length).toBeGreaterThan(0);
    expect(tags.some((t) => t.textContent?.includes('Questioned'))).toBe(true);
  }
});

test('side by side shows the reference and the aligned questioned image in two synced viewers', () => {
  renderViewer({ initialMode: 'side-by-side' });
  const [ref, q] = viewers();
  expect(ref).toHaveAccessibleName(/^Reference: Utopia passport/);
  expect(ref).toHaveAttribute('data-layers', 'reference');
  expect(q).toHaveAccessibleName(/^Questioned: Case 2024-117.*aligned to the reference/);
  expect(q).toHaveAttribute('data-layers', 'questioned');
  expect(ref).toHaveClass('viewer--reference');
  expect(q).toHaveClass('viewer--questioned');
});

test('a click on a flagged region selects it and zooms every view to it; N and P step through the regions', async () => {
  const store = createCompareStore();
  const { container } = renderViewer({ store });
  const user = userEvent.setup();
  const list = screen.getByRole('region', { name: 'Flagged regions (2)' });
  await user.click(within(list).getByRole('button', { name: /^Zoom to region 2, score 0.64/ }));
  expect(within(list).getByRole('button', { name: /^Zoom to region 2/ })).toHaveAttribute('aria-pressed', 'true');
  expect(container.querySelector('[data-region-id="r2"]')).toHaveClass('region--selected');
  expect(store.getState().view).toMatchObject({ rect: padRect(stamp.box), animate: true });

  await user.keyboard('n');
  expect(within(list).getByRole('button', { name: /^Zoom to region 1/ })).toHaveAttribute('aria-pressed', 'true');
  expect(store.getState().view.rect).toEqual(padRect(altered.box));
  await user.keyboard('p');
  expect(within(list).getByRole('button', { name: /^Zoom to region 2/ })).toHaveAttribute('aria-pressed', 'true');
  // Personalised differences are listed apart, as expected between holders.
  expect(screen.getByText(/Differences in personalised zones \(1\)/)).toBeInTheDocument();
});

test('a blown-out area zooms every view to it like a region, and N steps through the differences only', async () => {
  const band = { id: 'b1', box: { x: 40, y: 20, width: 1800, height: 90 }, polygon: [], score: 0.62, overexposed: 0.97, personalised: false };
  const glared: Comparison = { ...comparison, lights: [makeViewerLight('white', { regions: [altered, stamp], blownOutRegions: [band] })] };
  const store = createCompareStore();
  const { container } = renderViewer({ comparison: glared, store });
  const user = userEvent.setup();
  const list = screen.getByRole('region', { name: 'Flagged regions (2)' });
  await user.click(within(list).getByRole('button', { name: /^Zoom to blown-out area B1, / }));
  expect(within(list).getByRole('button', { name: /^Zoom to blown-out area B1/ })).toHaveAttribute('aria-pressed', 'true');
  expect(container.querySelector('[data-region-id="b1"]')).toHaveClass('region--selected');
  expect(store.getState().view).toMatchObject({ rect: padRect(band.box), animate: true });
  // Not a difference: N goes to the first flagged region, and back to it after the last.
  await user.keyboard('n');
  expect(store.getState().view.rect).toEqual(padRect(altered.box));
  await user.keyboard('n');
  await user.keyboard('n');
  expect(store.getState().view.rect).toEqual(padRect(altered.box));
});

test('number keys switch the light source: regions, verdicts and images follow', async () => {
  const onLight = jest.fn();
  const { container } = renderViewer({ onLightChange: onLight, initialMode: 'overlay' });
  const user = userEvent.setup();
  await user.keyboard('2');
  expect(container.querySelector('.compare')).toHaveAttribute('data-light', 'uv-365');
  expect(onLight).toHaveBeenLastCalledWith('uv-365');
  expect(screen.getByRole('region', { name: 'Flagged regions (1)' })).toBeInTheDocument();
  const verdicts = screen.getByRole('region', { name: 'Security features (1)' });
  expect(within(verdicts).getByText('Absent')).toBeInTheDocument();
  expect(viewers()[0]).toHaveAccessibleName(/UV 365 nm/);
  expect(screen.getByRole('region', { name: 'Not compared' })).toHaveTextContent('IR 870 nm: not in the questioned capture');
});

test('overlay opacity, swipe position and flicker are set by their controls and by [ ] and Space', async () => {
  const { container } = renderViewer({ initialMode: 'overlay' });
  const user = userEvent.setup();
  const slider = screen.getByRole('slider', { name: 'Opacity of the questioned image' });
  fireEvent.change(slider, { target: { value: '30' } });
  expect(viewers()[0]).toHaveAccessibleName(/at 30% opacity/);
  await user.keyboard(']');
  expect(slider).toHaveValue('40');

  await user.keyboard('w');
  const swipe = screen.getByRole('slider', { name: 'Swipe divider position' });
  fireEvent.change(swipe, { target: { value: '25' } });
  const top = container.querySelector('.viewer--swipe-top') as HTMLElement;
  expect(top.style.clipPath).toBe('inset(0 75% 0 0)');
  await user.keyboard('[[');
  expect(swipe).toHaveValue('20');

  await user.keyboard('f');
  const flicker = () => viewers()[0]!;
  expect(screen.getByRole('button', { name: 'Pause' })).toHaveAttribute('aria-pressed', 'true');
  await user.click(screen.getByRole('button', { name: /Show reference/ }));
  expect(flicker()).toHaveClass('viewer--reference');
  expect(flicker().querySelector('.side-tag')).toHaveAttribute('data-side', 'reference');
  expect(flicker().querySelector('[data-current]')).toHaveAttribute('data-side', 'reference');
  await user.click(screen.getByRole('button', { name: /Show questioned/ }));
  expect(flicker().querySelector('.side-tag')).toHaveAttribute('data-side', 'questioned');
  expect(flicker()).toHaveClass('viewer--questioned');
  // Space plays again (focus is not on a button after this click elsewhere).
  (document.activeElement as HTMLElement).blur();
  await user.keyboard(' ');
  expect(screen.getByRole('button', { name: 'Pause' })).toBeInTheDocument();
});

test('flicker alternates the images at the chosen rate', () => {
  jest.useFakeTimers();
  try {
    renderViewer({ initialMode: 'flicker' });
    const side = () => viewers()[0]!.querySelector('.side-tag')!.getAttribute('data-side');
    const first = side();
    // Two alternations per second by default.
    act(() => jest.advanceTimersByTime(500));
    expect(side()).not.toBe(first);
    act(() => jest.advanceTimersByTime(500));
    expect(side()).toBe(first);
  } finally {
    jest.useRealTimers();
  }
});

test('zone verdicts list absent and different features first, each zooming to its zone', async () => {
  const store = createCompareStore();
  renderViewer({ store });
  const user = userEvent.setup();
  const table = screen.getByRole('region', { name: 'Security features (2)' });
  const rows = within(table).getAllByRole('row').slice(1);
  expect(rows.map((r) => r.textContent)).toEqual([expect.stringMatching(/^Microprint.*Different/), expect.stringMatching(/^Guilloche — Rosette.*Consistent/)]);
  await user.click(within(table).getByRole('button', { name: 'Zoom to Guilloche — Rosette' }));
  expect(store.getState().view.rect).toEqual(padRect({ x: 1000, y: 200, width: 400, height: 400 }));
});

test('the shortcut list names every mode key', async () => {
  renderViewer();
  const user = userEvent.setup();
  await user.keyboard('?');
  const help = screen.getByRole('region', { name: 'Keyboard shortcuts' });
  for (const m of compareModes) expect(help).toHaveTextContent(`${m.hotkey.toUpperCase()}${m.label} mode`);
  await user.keyboard('{Escape}');
  expect(screen.queryByRole('region', { name: 'Keyboard shortcuts' })).not.toBeInTheDocument();
});
