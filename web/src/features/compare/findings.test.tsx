/** @jest-environment jsdom */
import '../../test/dom-setup';
import { act, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { ComparisonFinding } from '@exemplar/specimens-schema';
import { MemoryRouter } from 'react-router-dom';
import { ApiProvider } from '../../shared/api/api-context';
import { padRect } from '../../shared/viewer/view-channel';
import { ALTERED_BIRTH_DATE_FINDINGS, ALTERED_BIRTH_DATE_MRZ, makeViewerLight } from '../../test/fixtures';
import { createTestApi } from '../../test/test-api';
import { ComparisonViewer } from './comparison-viewer';
import { describeFindings, mrzOutcomeOf } from './findings';
import { compareModes } from './modes';
import { createCompareStore } from './store';
import type { Comparison } from './types';

const ALTERED_MRZ = ALTERED_BIRTH_DATE_MRZ;
const [checkFailed, overtyped] = ALTERED_BIRTH_DATE_FINDINGS as [ComparisonFinding, ComparisonFinding];

describe('describeFindings', () => {
  it('says which check digit fails, with the digit printed and the one its data give, as the comparison recorded them', () => {
    const [failed, overtype] = describeFindings([checkFailed, overtyped]);
    expect(failed).toMatchObject({ id: 'm1', kind: 'mrz-check-failed', title: 'MRZ check digits fail: date of birth, composite', box: checkFailed.box });
    // 840314 gives 6; the 5 printed is the genuine 870314's digit.
    expect(failed!.details[0]).toBe('Date of birth 840314 (YYMMDD): check digit read as 5, but the data as read give 6.');
    expect(failed!.details[1]).toBe('The composite check digit (over the document number, dates and optional data): check digit read as 0, but the data as read give 7.');
    expect(failed!.details.at(-1)).toBe('MRZ read under white light.');
    expect(failed!.mrz).toEqual({ lines: ALTERED_MRZ, marked: [[1, 19], [1, 43]] });
    expect(overtype).toMatchObject({ id: 'm2', title: 'Overtyping in the MRZ: 1 character out of line (date of birth)' });
    expect(overtype!.details[0]).toBe('In the date of birth: “4” at line 2, position 15.');
  });

  it('takes the digits from the record, never from the MRZ lines: a recorded digit is shown as recorded', () => {
    // Lines and record disagree on purpose: what the pipeline checked is what the examiner is told.
    const [f] = describeFindings([{ ...checkFailed, fields: ['birthDate'], checks: [{ field: 'birthDate', data: '840314', printed: '5', expected: 3, position: [1, 19] }] }]);
    expect(f!.details[0]).toBe('Date of birth 840314 (YYMMDD): check digit read as 5, but the data as read give 3.');
  });

  it('says so where the data give no digit for sure (a continued TD1 document number), and names the light read under', () => {
    const [f] = describeFindings([
      { ...checkFailed, fields: ['documentNumber'], characters: [[0, 18]], checks: [{ field: 'documentNumber', data: '000590240601', printed: '4', expected: null, position: [0, 18] }], lightSource: 'ir-870' },
    ]);
    expect(f!.details).toEqual(['Document number 000590240601: check digit read as 4, which does not match its data.', 'The MRZ was altered without recomputing its check digits, or misprinted.', 'MRZ read under IR 870 nm.']);
  });

  it('shows a comparison made before the digits were recorded without inventing them: the digit printed, and that the expected one was not recorded', () => {
    const old: ComparisonFinding[] = [checkFailed, overtyped].map(({ checks: _c, characterFields: _f, lightSource: _l, ...f }) => f);
    const [failed, overtype] = describeFindings(old);
    expect(failed!.title).toBe('MRZ check digits fail: date of birth, composite');
    expect(failed!.details).toEqual([
      'Date of birth: check digit read as 5; the digit its data give was not recorded with this comparison.',
      'The composite check digit (over the document number, dates and optional data): check digit read as 0; the digit its data give was not recorded with this comparison.',
      'The MRZ was altered without recomputing its check digits, or misprinted.',
    ]);
    expect(failed!.details.join(' ')).not.toMatch(/give \d/);
    expect(failed!.mrz).toEqual({ lines: ALTERED_MRZ, marked: [[1, 19], [1, 43]] });
    // No field recorded per character: the character is still placed, in the MRZ as a whole.
    expect(overtype!.title).toBe('Overtyping in the MRZ: 1 character out of line');
    expect(overtype!.details[0]).toBe('In the MRZ: “4” at line 2, position 15.');
  });

  it('still says which field fails when the finding carries neither digits nor MRZ lines', () => {
    const [f] = describeFindings([{ kind: 'mrz-check-failed', message: checkFailed.message, zoneId: checkFailed.zoneId, box: checkFailed.box, fields: ['documentNumber'] }]);
    expect(f!.title).toBe('MRZ check digit fails: document number');
    expect(f!.details[0]).toBe('Document number: the check digit does not match its data (the digit it should be was not recorded with this comparison).');
    expect(f!.mrz).toBeUndefined();
  });

  it('reads the MRZ outcome the pipeline keeps in the light’s stats', () => {
    expect(mrzOutcomeOf({ stats: {} })).toBeUndefined();
    expect(mrzOutcomeOf({ stats: { mrz: [{ zoneId: 'z', found: true, checkDigitsValid: true }] } })).toBe('valid');
    expect(mrzOutcomeOf({ stats: { mrz: [{ zoneId: 'z', found: true, checkDigitsValid: false }] } })).toBe('invalid');
    expect(mrzOutcomeOf({ stats: { mrz: [{ zoneId: 'z', found: false, checkDigitsValid: null }] } })).toBe('not-read');
  });
});

/* ---------- In the viewer ---------- */

const light = makeViewerLight;
const personal = { id: 'p1', box: { x: 880, y: 560, width: 300, height: 40 }, polygon: [], score: 0.7, personalised: true };
const comparison: Comparison = {
  id: 'cmp123',
  status: 'done',
  progress: null,
  error: null,
  reference: { title: 'Utopia passport, 2019 series' },
  questioned: { title: 'Seized at gate 4' },
  lights: [light('white', { regions: [personal], findings: describeFindings([checkFailed, overtyped]), mrz: 'invalid' }), light('ir-870')],
  skipped: [],
};

function renderViewer() {
  const store = createCompareStore();
  const api = createTestApi();
  const view = render(
    <ApiProvider client={api.client}>
      <MemoryRouter>
        <ComparisonViewer comparison={comparison} store={store} />
      </MemoryRouter>
    </ApiProvider>,
  );
  return { ...view, store, user: userEvent.setup() };
}

const viewers = () => screen.getAllByRole('group').filter((g) => g.classList.contains('viewer'));
const findingBoxes = (scope: ParentNode) => [...scope.querySelectorAll('[data-finding-id]')].filter((e) => e.tagName.toLowerCase() === 'g');

test('the findings are listed in words and drawn as boxes, apart from the regions, in every viewer of every mode', async () => {
  const { container, user } = renderViewer();
  const list = screen.getByRole('region', { name: 'Document checks (2)' });
  const items = within(list).getAllByRole('button');
  expect(items.map((b) => b.textContent)).toEqual(['M1Zoom to finding M1: MRZ check digits fail: date of birth, composite', 'M2Zoom to finding M2: Overtyping in the MRZ: 1 character out of line (date of birth)']);
  expect(items[0]).toHaveAccessibleDescription(/Date of birth 840314 \(YYMMDD\): check digit read as 5, but the data as read give 6\./);
  // The MRZ as read, the failing check digits marked.
  const mrz = within(list).getAllByLabelText('MRZ as read on the questioned document')[0]!;
  expect([...mrz.querySelectorAll('mark')].map((m) => m.textContent)).toEqual(['5', '0']);
  expect(container.querySelector('.compare__caption')).toHaveTextContent('2 MRZ findings');

  for (const mode of compareModes) {
    await user.keyboard(mode.hotkey);
    for (const v of viewers()) {
      await within(v).findAllByText('M1', { selector: 'text' });
      expect(findingBoxes(v).map((g) => g.getAttribute('data-finding-id'))).toEqual(['m1', 'm2']);
      const frame = v.querySelector('[data-finding-id="m1"] .finding__frame')!;
      expect([frame.getAttribute('x'), frame.getAttribute('y'), frame.getAttribute('width'), frame.getAttribute('height')]).toEqual(['900', '1210', '260', '60']);
      // Regions keep their own drawing: a finding is no region.
      expect(v.querySelector('[data-region-id="p1"]')).not.toBeNull();
      expect(v.querySelector('[data-finding-id="m1"]')).not.toHaveClass('region');
    }
  }
});

test('a finding is selected by click, M or Enter; hover and keyboard focus highlight its box; another light has none', async () => {
  const { container, store, user } = renderViewer();
  const list = screen.getByRole('region', { name: 'Document checks (2)' });
  const second = within(list).getByRole('button', { name: /^Zoom to finding M2/ });

  await user.hover(second);
  expect(store.getState().hovered).toBe('m2');
  await within(viewers()[0]!).findAllByText('M2', { selector: 'text' });
  for (const g of container.querySelectorAll('g[data-finding-id="m2"]')) expect(g).toHaveClass('finding--hovered');
  expect(container.querySelector('li[data-finding-id="m2"]')).toHaveClass('finding-item--hovered');
  await user.unhover(second);
  expect(container.querySelector('g.finding--hovered')).toBeNull();

  await user.click(second);
  expect(second).toHaveAttribute('aria-pressed', 'true');
  expect(store.getState().view).toMatchObject({ rect: padRect(overtyped.box), animate: true });
  for (const g of container.querySelectorAll('g[data-finding-id="m2"]')) expect(g).toHaveClass('finding--selected');

  // M steps to the next finding (and round).
  act(() => (document.activeElement as HTMLElement).blur());
  await user.keyboard('m');
  expect(within(list).getByRole('button', { name: /^Zoom to finding M1/ })).toHaveAttribute('aria-pressed', 'true');
  expect(store.getState().view.rect).toEqual(padRect(checkFailed.box));

  // Keyboard only: Tab to a finding highlights it, Enter zooms to it.
  act(() => second.focus());
  expect(store.getState().hovered).toBe('m2');
  await user.keyboard('{Enter}');
  expect(store.getState().selectedRegion).toBe('m2');

  // Outlines off hides the boxes too.
  await user.click(screen.getByRole('checkbox', { name: 'Outlines' }));
  expect(container.querySelector('g[data-finding-id]')).toBeNull();
  await user.click(screen.getByRole('checkbox', { name: 'Outlines' }));

  // IR: the MRZ is read once per capture, under white light.
  act(() => (document.activeElement as HTMLElement).blur());
  await user.keyboard('2');
  expect(container.querySelector('.compare')).toHaveAttribute('data-light', 'ir-870');
  expect(screen.queryByRole('region', { name: /Document checks/ })).toBeNull();
  expect(container.querySelector('g[data-finding-id]')).toBeNull();
  expect(store.getState().hovered).toBeNull();
});

test('the help lists the findings key', async () => {
  const { user } = renderViewer();
  await user.keyboard('?');
  expect(screen.getByRole('region', { name: 'Keyboard shortcuts' })).toHaveTextContent('Mnext document-check finding (MRZ)');
});
