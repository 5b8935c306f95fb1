/** @jest-environment jsdom */
import '../../test/dom-setup';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { makeApiComparison, makeRegisterEntry } from '../../test/fixtures';
import { createTestApi, ok, on, renderApp, sessionAs } from '../../test/test-api';

const stolen = makeRegisterEntry({ documentNumber: 'L898902C3', status: 'stolen', source: 'Utopia police', date: '2026-10-01' });
const page = (items = [stolen]) => ok({ items, total: items.length, limit: 50, offset: 0 });

test('a border officer looks up a number: a hit is a red banner; no hit says so; no write controls', async () => {
  const api = createTestApi(
    sessionAs('border-officer'),
    on('GET', '/api/register', (req) => (req.url.searchParams.get('documentNumber') === 'l898 902c3' ? page() : req.url.searchParams.get('documentNumber') ? page([]) : page())),
  );
  const { location } = renderApp(api, '/register');
  const user = userEvent.setup();
  await screen.findByRole('table');
  expect(screen.queryByRole('heading', { name: 'Add an entry' })).not.toBeInTheDocument();
  expect(screen.queryByRole('heading', { name: 'Import a CSV file' })).not.toBeInTheDocument();

  await user.type(screen.getByRole('textbox', { name: 'Document number' }), 'l898 902c3');
  await user.click(screen.getByRole('button', { name: 'Look up' }));
  await waitFor(() => expect(new URLSearchParams(location.current.search).get('documentNumber')).toBe('l898 902c3'));
  expect(await screen.findByRole('alert', { name: 'Lookup result' })).toHaveTextContent('L898 902C3 is in the register (1 entry)');
  expect(within(screen.getByRole('table')).getByText('Stolen')).toBeInTheDocument();

  await user.clear(screen.getByRole('textbox', { name: 'Document number' }));
  await user.type(screen.getByRole('textbox', { name: 'Document number' }), 'X1');
  await user.click(screen.getByRole('button', { name: 'Look up' }));
  expect(await screen.findByRole('status', { name: 'Lookup result' })).toHaveTextContent('No entry for X1');
});

test('an examiner adds an entry; a duplicate is refused with a plain message', async () => {
  let n = 0;
  const api = createTestApi(
    on('GET', '/api/register', page([])),
    on('POST', '/api/register', (req) =>
      ++n === 1 ? ok(makeRegisterEntry(req.body as object), 201) : { status: 409, body: { code: 'CONFLICT', message: 'already registered', details: {} } },
    ),
  );
  renderApp(api, '/register');
  const user = userEvent.setup();
  const form = (await screen.findByRole('heading', { name: 'Add an entry' })).closest('section')!;
  const w = within(form);
  await user.type(w.getByRole('textbox', { name: 'Issuing state *' }), 'uto');
  await user.type(w.getByRole('textbox', { name: 'Document number *' }), 'AB123');
  await user.selectOptions(w.getByRole('combobox', { name: 'Entry status *' }), 'revoked');
  await user.type(w.getByRole('textbox', { name: 'Source *' }), 'Passport office');
  await user.click(w.getByRole('button', { name: 'Add to the register' }));
  expect(await w.findByRole('status')).toHaveTextContent('AB123 added to the register');
  expect(api.calls('POST', '/api/register')[0]!.body).toEqual({ issuingState: 'UTO', documentNumber: 'AB123', status: 'revoked', source: 'Passport office' });

  await user.type(w.getByRole('textbox', { name: 'Issuing state *' }), 'UTO');
  await user.type(w.getByRole('textbox', { name: 'Document number *' }), 'AB123');
  await user.type(w.getByRole('textbox', { name: 'Source *' }), 'Again');
  await user.click(w.getByRole('button', { name: 'Add to the register' }));
  expect(await w.findByRole('alert')).toHaveTextContent('already in the register');
});

test('an incomplete or refused entry is explained in the words of the form, field by field', async () => {
  const api = createTestApi(
    on('GET', '/api/register', page([])),
    on('POST', '/api/register', {
      status: 400,
      body: {
        code: 'VALIDATION_FAILED',
        message: 'Invalid body: /issuingState is not a known issuing state code',
        details: { errors: [{ path: '/issuingState', message: 'is not a known issuing state code', keyword: 'enum' }] },
      },
    }),
  );
  renderApp(api, '/register');
  const user = userEvent.setup();
  const form = (await screen.findByRole('heading', { name: 'Add an entry' })).closest('section')!;
  const w = within(form);
  // Nothing is sent without the required fields.
  await user.click(w.getByRole('button', { name: 'Add to the register' }));
  expect(await w.findByRole('alert')).toHaveTextContent('An entry needs an issuing state, a document number and a source.');
  expect(api.calls('POST', '/api/register')).toHaveLength(0);

  await user.type(w.getByRole('textbox', { name: 'Issuing state *' }), 'XQZ');
  await user.type(w.getByRole('textbox', { name: 'Document number *' }), 'AB123');
  await user.type(w.getByRole('textbox', { name: 'Source *' }), 'Passport office');
  await user.click(w.getByRole('button', { name: 'Add to the register' }));
  await waitFor(() => expect(w.getByRole('alert')).toHaveTextContent('The entry was not added:Issuing state is not a known issuing state code'));
  expect(w.getByRole('alert')).not.toHaveTextContent('Invalid body');
});

test('a CSV import shows the per-row report; an all-or-nothing refusal shows the same report with nothing imported', async () => {
  const report = {
    mode: 'valid-rows',
    ok: false,
    imported: 2,
    refused: 2,
    duplicates: 1,
    rows: [
      { row: 2, ok: true, id: 'r1', errors: [] },
      { row: 3, ok: false, errors: [{ field: 'status', message: 'must be one of lost, stolen, stolen-blank, revoked, invalid' }] },
      { row: 4, ok: true, id: 'r2', errors: [] },
      { row: 5, ok: false, duplicate: true, errors: [{ field: 'documentNumber', message: 'already in the register' }] },
    ],
  };
  const api = createTestApi(
    on('GET', '/api/register', page([])),
    on('POST', '/api/register/import', (req) =>
      req.url.searchParams.get('mode') === 'all-or-nothing'
        ? { status: 422, body: { code: 'UNPROCESSABLE', message: 'some rows are invalid', details: { ...report, mode: 'all-or-nothing', imported: 0 } } }
        : ok(report),
    ),
  );
  renderApp(api, '/register');
  const user = userEvent.setup();
  await user.upload(await screen.findByLabelText('CSV file'), new File(['issuingState,documentNumber,status,source\n'], 'sltd.csv', { type: 'text/csv' }));
  await user.click(screen.getByRole('button', { name: 'Import' }));
  const result = await screen.findByRole('status', { name: 'Import report' });
  expect(result).toHaveTextContent('2 imported, 2 refused (1 duplicate)');
  const rows = within(result).getAllByRole('row').slice(1);
  expect(rows.map((r) => r.textContent)).toEqual([expect.stringMatching(/^3.*status: must be one of/), expect.stringMatching(/^5.*duplicate.*already in the register/)]);
  expect((api.calls('POST', '/api/register/import')[0]!.body as FormData).get('file')).toBeInstanceOf(File);
  // The list reloads after rows were imported.
  await waitFor(() => expect(api.calls('GET', '/api/register').length).toBeGreaterThanOrEqual(2));

  await user.click(screen.getByRole('radio', { name: 'Import nothing' }));
  await user.click(screen.getByRole('button', { name: 'Import' }));
  expect(await screen.findByText(/Nothing imported: some rows are invalid/)).toBeInTheDocument();
});

test('a comparison whose MRZ is in the register shows the red banner above the result', async () => {
  const running = makeApiComparison({ status: 'running', progress: { fraction: 0.4, stage: 'aligning' }, registerHits: [stolen] });
  const api = createTestApi(sessionAs('border-officer'), on('GET', `/api/comparisons/${running.id}`, ok(running)));
  renderApp(api, `/comparisons/${running.id}`);
  expect(await screen.findByRole('alert', { name: 'Register hit' })).toHaveTextContent(/Stolen.*L898902C3.*reported by Utopia police/);
});
