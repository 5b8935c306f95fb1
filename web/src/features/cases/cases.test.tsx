/** @jest-environment jsdom */
import '../../test/dom-setup';
import { createHash } from 'node:crypto';
import { validate } from '@exemplar/specimens-schema';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { makeApiComparison, makeComparisonWithFindings, makeSpecimen } from '../../test/fixtures';
import { createTestApi, ok, on, renderApp, sessionAs } from '../../test/test-api';
import type { Case, CaseSummary } from './api';

const specimen = makeSpecimen({ title: 'Utopia passport, 2019 series' });

function makeCase(overrides: Partial<Case> = {}): Case {
  const c: Case = {
    id: 'case000001',
    revision: 3,
    title: 'Forged passport at Port North',
    reference: 'PN-2026-17',
    status: 'open',
    examiners: ['erin'],
    prosecutors: ['pat'],
    comparisons: ['cmp0001'],
    specimens: [specimen.id],
    notes: [{ id: 'note000001', author: 'erin', at: '2026-11-01T09:00:00Z', text: 'Microprint blurred under magnification.' }],
    createdBy: 'erin',
    createdAt: '2026-11-01T08:00:00Z',
    updatedBy: 'erin',
    updatedAt: '2026-11-01T09:00:00Z',
    ...overrides,
  };
  const result = validate('case', c);
  if (!result.ok) throw new Error(`test fixture is not a valid case: ${JSON.stringify(result.errors)}`);
  return c;
}

const summary = (c: Case): CaseSummary => ({
  id: c.id,
  title: c.title,
  reference: c.reference,
  status: c.status,
  examiners: c.examiners,
  prosecutors: c.prosecutors,
  opinion: c.conclusion?.opinion ?? null,
  proposition: c.conclusion?.proposition ?? null,
  updatedAt: c.updatedAt,
});

const specimenHandler = on('GET', `/api/specimens/${specimen.id}`, ok(specimen));

test('the case list shows the cases of the chosen status and opens one', async () => {
  const open = makeCase();
  const closed = makeCase({ id: 'case000002', reference: 'PN-2025-03', status: 'closed', conclusion: { opinion: 'elimination', proposition: 'genuine', statement: 's', concludedBy: 'erin', concludedAt: '2025-01-01T00:00:00Z' } });
  // Concluded before propositions were asked.
  const older = makeCase({ id: 'case000003', reference: 'PN-2024-11', status: 'closed', conclusion: { opinion: 'probably-did', statement: 's', concludedBy: 'erin', concludedAt: '2024-01-01T00:00:00Z' } });
  const api = createTestApi(
    on('GET', '/api/cases', (req) => ok({ items: [open, closed, older].filter((c) => req.url.searchParams.get('status') === c.status).map(summary), total: 1 })),
    on('GET', '/api/cases/case000002', ok(closed)),
    specimenHandler,
  );
  const { location } = renderApp(api, '/cases');
  const user = userEvent.setup();
  expect(await screen.findByRole('link', { name: 'PN-2026-17' })).toBeInTheDocument();
  expect(screen.getByRole('link', { name: 'New case' })).toBeInTheDocument();

  await user.click(screen.getByRole('button', { name: 'Closed' }));
  const row = (await screen.findByRole('link', { name: 'PN-2025-03' })).closest('tr')!;
  // The opinion with what it answers, so that "Elimination" is not read without its proposition.
  expect(row).toHaveTextContent(/Elimination\s*Genuine: produced by the issuing authority's process/);
  expect((await screen.findByRole('link', { name: 'PN-2024-11' })).closest('tr')!).toHaveTextContent(/Probably did\s*proposition not recorded/);
  expect(api.calls('GET', '/api/cases').at(-1)!.url.searchParams.get('status')).toBe('closed');
  await user.click(within(row).getByRole('link', { name: 'PN-2025-03' }));
  await waitFor(() => expect(location.current.pathname).toBe('/cases/case000002'));
  expect(await screen.findByRole('heading', { level: 1, name: closed.title })).toBeInTheDocument();
});

test('an empty list says why, for a prosecutor without assignments', async () => {
  const api = createTestApi(sessionAs('prosecutor'), on('GET', '/api/cases', ok({ items: [], total: 0 })));
  renderApp(api, '/cases');
  expect(await screen.findByText('No open cases')).toBeInTheDocument();
  expect(screen.getByText(/When an examiner assigns you/)).toBeInTheDocument();
  expect(screen.queryByRole('link', { name: 'New case' })).not.toBeInTheDocument();
});

test('a case the server refuses field by field is explained at the fields, not in the API\'s words at the top', async () => {
  const api = createTestApi(
    on('POST', '/api/cases', {
      status: 400,
      body: {
        code: 'VALIDATION_FAILED',
        message: 'Invalid case: /prosecutors/0 no user nobody-here',
        details: { errors: [{ path: '/prosecutors/0', message: 'no user nobody-here', keyword: 'exists' }] },
      },
    }),
    specimenHandler,
  );
  renderApp(api, '/cases/new');
  const user = userEvent.setup();
  await user.type(await screen.findByRole('textbox', { name: /^Title/ }), 'Forged passport at Port North');
  await user.type(screen.getByRole('textbox', { name: /^Reference( \*)?$/ }), 'PN-2026-17');
  await user.type(screen.getByRole('textbox', { name: /^Prosecutors/ }), 'nobody-here');
  await user.click(screen.getByRole('button', { name: 'Create case' }));
  const alert = await screen.findByRole('alert');
  expect(alert).toHaveTextContent('Check the fields marked below.');
  expect(alert).not.toHaveTextContent('/prosecutors/0');
  expect(screen.getByText('Prosecutors no user nobody-here')).toBeInTheDocument();
});

test('creating a case sends the lists; names the API does not know are shown at their field', async () => {
  let attempt = 0;
  const api = createTestApi(
    on('POST', '/api/cases', (req) =>
      ++attempt === 1
        ? { status: 400, body: { code: 'BAD_REQUEST', message: 'unknown users or records', details: { unknown: { prosecutors: ['patt'] } } } }
        : ok(makeCase({ id: 'case000009', ...(req.body as object) }), 201),
    ),
    on('GET', '/api/cases/case000009', ok(makeCase({ id: 'case000009' }))),
    specimenHandler,
  );
  const { location } = renderApp(api, '/cases/new');
  const user = userEvent.setup();
  await user.type(await screen.findByRole('textbox', { name: /^Title/ }), 'Forged passport at Port North');
  await user.type(screen.getByRole('textbox', { name: /^Reference( \*)?$/ }), 'PN-2026-17');
  await user.type(screen.getByRole('textbox', { name: /^Prosecutors/ }), 'patt, ');
  // Ids pasted and not added with "Add ids" are linked all the same when the case is saved.
  await user.type(screen.getByRole('textbox', { name: 'Paste comparison ids' }), 'cmp0001 cmp0002');
  await user.click(screen.getByRole('button', { name: 'Create case' }));
  expect(await screen.findByText(/Prosecutors not found: patt/)).toBeInTheDocument();
  expect(screen.getByRole('textbox', { name: /^Prosecutors/ })).toHaveAttribute('aria-invalid', 'true');

  await user.clear(screen.getByRole('textbox', { name: /^Prosecutors/ }));
  await user.type(screen.getByRole('textbox', { name: /^Prosecutors/ }), 'pat');
  await user.click(screen.getByRole('button', { name: 'Create case' }));
  await waitFor(() => expect(location.current.pathname).toBe('/cases/case000009'));
  expect(api.calls('POST', '/api/cases')[1]!.body).toEqual({
    title: 'Forged passport at Port North',
    reference: 'PN-2026-17',
    examiners: [],
    prosecutors: ['pat'],
    comparisons: ['cmp0001', 'cmp0002'],
    specimens: [],
  });
});

test('an examiner links comparisons and specimens by choosing them by name, not by typing ids; pasted ids still work', async () => {
  const reference = makeSpecimen({ id: 'spec000510', title: 'Utopia passport, 2019 series — holder A' });
  const fake = makeSpecimen({ id: 'spec000511', title: 'Utopia ID card, counterfeit (Port North ring)', status: 'counterfeit' });
  const cmp = (id: string, notes: string, createdAt: string) =>
    makeApiComparison({ id, status: 'done', result: null, createdBy: 'bo.officer', createdAt, reference: { specimenId: reference.id, captureId: 'cap000001' }, request: { reference: { specimenId: reference.id, captureId: 'cap000001' }, notes } });
  const gate4 = makeApiComparison({ ...cmp('cmp0104', 'Passport seized at gate 4', '2026-11-03T10:00:00Z'), status: 'failed', error: { code: 'NO_CANDIDATE', message: 'none' } });
  const gate7 = cmp('cmp0107', 'ID card from gate 7', '2026-11-02T10:00:00Z');
  const older = cmp('cmp0099', 'Visa sticker, lounge B', '2026-10-01T10:00:00Z');
  const api = createTestApi(
    sessionAs('examiner'),
    on('GET', '/api/comparisons', (req) => {
      // The API searches (its own tests check how); here: the notes containing the text.
      const q = req.url.searchParams.get('q')?.toLowerCase();
      if (q) return ok({ items: [gate4, gate7, older].filter((c) => c.request.notes!.toLowerCase().includes(q)), nextCursor: null });
      return ok(req.url.searchParams.get('cursor') === 'cmp0107' ? { items: [older], nextCursor: null } : { items: [gate4, gate7], nextCursor: 'cmp0107' });
    }),
    on('GET', '/api/specimens', (req) => ok({ items: (req.url.searchParams.get('q') ?? '').startsWith('utopia') ? [reference, fake] : [], facets: {}, total: 2, nextCursor: null })),
    on('GET', `/api/specimens/${reference.id}`, ok(reference)),
    on('GET', '/api/specimens/spec000099', { status: 404, body: { code: 'SPECIMEN_NOT_FOUND', message: 'no such specimen', details: {} } }),
    on('POST', '/api/cases', (req) => ok(makeCase({ id: 'case000010', ...(req.body as object) }), 201)),
    on('GET', '/api/cases/case000010', ok(makeCase({ id: 'case000010' }))),
    specimenHandler,
  );
  const { location } = renderApp(api, '/cases/new');
  const user = userEvent.setup();
  await user.type(await screen.findByRole('textbox', { name: /^Title/ }), 'Port North ring');
  await user.type(screen.getByRole('textbox', { name: /^Reference( \*)?$/ }), 'PN-2026-40');

  // Comparisons: the list the examiner may read, newest first, named by what was examined, against what, when and how it ended.
  await user.click(screen.getByRole('button', { name: 'Choose comparisons…' }));
  const finder = await screen.findByRole('group', { name: 'Choose comparisons' });
  const table = await within(finder).findByRole('table', { name: 'Comparisons to link' });
  const rows = () => within(table).getAllByRole('row').slice(1);
  expect(rows().map((r) => within(r).getAllByRole('cell')[0]!.textContent)).toEqual(['Passport seized at gate 4', 'ID card from gate 7']);
  expect(rows()[0]).toHaveTextContent('Failed');
  expect(rows()[0]).toHaveTextContent('bo.officer');
  expect(await within(rows()[1]!).findByText('Utopia passport, 2019 series — holder A')).toBeInTheDocument();

  // Searched by the API once typing pauses (Enter does not submit the case half-made); linked with one click.
  await user.type(within(finder).getByRole('searchbox', { name: 'Search the comparisons' }), 'gate 7{Enter}');
  await waitFor(() => expect(rows()).toHaveLength(1));
  expect(api.calls('GET', '/api/comparisons').at(-1)!.url.searchParams.get('q')).toBe('gate 7');
  expect(api.calls('POST', '/api/cases')).toHaveLength(0);
  await user.click(within(rows()[0]!).getByRole('button', { name: /^Link ID card from gate 7/ }));
  expect(within(rows()[0]!).getByText('Linked')).toBeInTheDocument();
  await user.clear(within(finder).getByRole('searchbox', { name: 'Search the comparisons' }));
  // Older ones a page further back.
  await user.click(within(finder).getByRole('button', { name: 'Older comparisons (2 shown)' }));
  await within(table).findByText('Visa sticker, lounge B');
  expect(api.calls('GET', '/api/comparisons').at(-1)!.url.searchParams.get('cursor')).toBe('cmp0107');
  await user.click(within(table).getByRole('button', { name: /^Link Visa sticker, lounge B/ }));
  await user.click(within(finder).getByRole('button', { name: /^Link Passport seized at gate 4/ }));
  const linked = screen.getByRole('list', { name: 'Linked comparisons' });
  expect(within(linked).getAllByRole('listitem').map((li) => li.querySelector('strong')?.textContent)).toEqual(['ID card from gate 7', 'Visa sticker, lounge B', 'Passport seized at gate 4']);
  await user.click(within(linked).getByRole('button', { name: /^Remove Visa sticker, lounge B/ }));
  expect(within(linked).getAllByRole('listitem')).toHaveLength(2);

  // Specimens: through the library search, shown by title.
  // Enter in a search box does not submit the case half-made.
  await user.type(screen.getByRole('searchbox', { name: 'Search the library' }), 'utopia{Enter}');
  const found = await screen.findByRole('list', { name: 'Specimens found' });
  await user.click(within(found).getByRole('button', { name: 'Add Utopia ID card, counterfeit (Port North ring)' }));
  expect(within(found).getByRole('button', { name: 'Add Utopia ID card, counterfeit (Port North ring)' })).toBeDisabled();
  const specimens = screen.getByRole('list', { name: 'Linked reference specimens' });
  expect(within(specimens).getByText('Utopia ID card, counterfeit (Port North ring)')).toBeInTheDocument();
  expect(api.calls('GET', '/api/specimens').at(-1)!.url.searchParams.get('q')).toBe('utopia');

  // A pasted id is added with Enter (not saving the form) and named once the API answers; one that is not there says so.
  await user.type(screen.getByRole('textbox', { name: 'Paste specimen ids' }), `${reference.id}, spec000099{Enter}`);
  expect(api.calls('POST', '/api/cases')).toHaveLength(0);
  expect(await within(specimens).findByText('Utopia passport, 2019 series — holder A')).toBeInTheDocument();
  expect(await within(specimens).findByText(/no such specimen/)).toBeInTheDocument();
  await user.click(within(specimens).getByRole('button', { name: 'Remove specimen spec000099' }));

  await user.click(screen.getByRole('button', { name: 'Create case' }));
  await waitFor(() => expect(location.current.pathname).toBe('/cases/case000010'));
  expect(api.calls('POST', '/api/cases')[0]!.body).toEqual({
    title: 'Port North ring',
    reference: 'PN-2026-40',
    examiners: [],
    prosecutors: [],
    comparisons: ['cmp0107', 'cmp0104'],
    specimens: [fake.id, reference.id],
  });
});

test('editing a case shows what it links by name, and saves it without what was removed', async () => {
  const linked = makeComparisonWithFindings({ id: 'cmp0001', request: { reference: 'auto', notes: 'Passport seized at gate 4' } });
  const api = createTestApi(
    sessionAs('examiner'),
    on('GET', '/api/cases/case000001', ok(makeCase({ comparisons: ['cmp0001'], specimens: [specimen.id] }))),
    on('GET', '/api/comparisons/cmp0001', ok(linked)),
    on('PATCH', '/api/cases/case000001', (req) => ok(makeCase({ ...(req.body as object), revision: 4 }))),
    specimenHandler,
  );
  const { location } = renderApp(api, '/cases/case000001/edit');
  const user = userEvent.setup();
  const comparisons = await screen.findByRole('list', { name: 'Linked comparisons' });
  expect(await within(comparisons).findByText('Passport seized at gate 4')).toBeInTheDocument();
  const specimens = screen.getByRole('list', { name: 'Linked reference specimens' });
  expect(await within(specimens).findByText('Utopia passport, 2019 series')).toBeInTheDocument();
  await user.click(within(specimens).getByRole('button', { name: 'Remove Utopia passport, 2019 series' }));
  expect(within(screen.getByRole('group', { name: /^Reference specimens/ })).getByText('None linked yet.')).toBeInTheDocument();
  await user.click(screen.getByRole('button', { name: 'Save case' }));
  await waitFor(() => expect(location.current.pathname).toBe('/cases/case000001'));
  expect(api.calls('PATCH', '/api/cases/case000001')[0]!.body).toMatchObject({ comparisons: ['cmp0001'], specimens: [] });
});

test('the case page shows people, linked material and notes; an examiner adds a note and concludes on the scale', async () => {
  let current = makeCase();
  const api = createTestApi(
    on('GET', '/api/cases/case000001', () => ok(current)),
    on('POST', '/api/cases/case000001/notes', (req) => {
      current = { ...current, revision: current.revision + 1, notes: [...current.notes, { id: 'note000002', author: 'erin', at: '2026-11-02T10:00:00Z', text: (req.body as { text: string }).text }] };
      return ok(current, 201);
    }),
    on('PUT', '/api/cases/case000001/conclusion', (req) => {
      const { opinion, proposition, statement } = req.body as { opinion: 'probably-did-not'; proposition: 'genuine'; statement: string };
      current = { ...current, revision: current.revision + 1, conclusion: { opinion, proposition, statement, concludedBy: 'erin', concludedAt: '2026-11-02T11:00:00Z' } };
      return ok(current);
    }),
    specimenHandler,
    on('GET', '/api/comparisons/cmp0001', ok(makeComparisonWithFindings())),
  );
  renderApp(api, '/cases/case000001');
  const user = userEvent.setup();
  await screen.findByRole('heading', { level: 1, name: 'Forged passport at Port North' });
  expect(screen.getByText('Case PN-2026-17')).toBeInTheDocument();
  expect(within(screen.getByRole('region', { name: 'Assigned' })).getByText('pat')).toBeInTheDocument();
  expect(within(screen.getByRole('list', { name: 'Comparisons' })).getByRole('link', { name: 'Comparison cmp0001' })).toHaveAttribute('href', '/comparisons/cmp0001');
  // What the comparison found on the document's own terms reads on the case page.
  expect(await screen.findByLabelText('Findings of comparison cmp0001')).toHaveTextContent('MRZ check digits fail: date of birth, composite');
  expect(await screen.findByRole('link', { name: 'Utopia passport, 2019 series' })).toHaveAttribute('href', `/specimens/${specimen.id}`);
  expect(screen.getByRole('list', { name: 'Notes' })).toHaveTextContent('Microprint blurred');

  await user.type(screen.getByRole('textbox', { name: 'Add a note' }), 'UV emblem absent.');
  await user.click(screen.getByRole('button', { name: 'Add note' }));
  expect(await within(screen.getByRole('list', { name: 'Notes' })).findByText('UV emblem absent.')).toBeInTheDocument();

  await user.click(screen.getByRole('button', { name: 'Conclude' }));
  await user.click(screen.getByRole('button', { name: 'Save conclusion' }));
  expect(screen.getByRole('alert')).toHaveTextContent('Choose the proposition and an opinion');
  await user.click(screen.getByRole('radio', { name: /^Probably did not/ }));
  await user.type(screen.getByRole('textbox', { name: 'Statement' }), 'The document is probably not genuine.');
  // Without the proposition the opinion answers nothing stated: nothing is sent.
  await user.click(screen.getByRole('button', { name: 'Save conclusion' }));
  expect(screen.getByRole('alert')).toHaveTextContent('Choose the proposition');
  expect(api.calls('PUT', '/api/cases/case000001/conclusion')).toHaveLength(0);
  await user.click(within(screen.getByRole('group', { name: 'Proposition (what the opinion answers)' })).getByRole('radio', { name: /^Genuine: produced by the issuing authority's process/ }));
  await user.click(screen.getByRole('button', { name: 'Save conclusion' }));
  const scale = await screen.findByRole('list', { name: 'Opinion scale' });
  expect(within(scale).getByText('Probably did not').closest('li')).toHaveAttribute('aria-current', 'step');
  expect(api.calls('PUT', '/api/cases/case000001/conclusion')[0]!.body).toEqual({ revision: 4, opinion: 'probably-did-not', proposition: 'genuine', statement: 'The document is probably not genuine.' });
  const panel = screen.getByRole('region', { name: 'Conclusion' });
  expect(panel).toHaveTextContent("Proposition: Genuine: produced by the issuing authority's process");
  expect(panel).toHaveTextContent("The examiner's opinion is that the questioned document probably was not produced by the issuing authority's process (is not genuine).");
});

test('a stale revision on concluding offers to reload rather than overwrite', async () => {
  const api = createTestApi(
    on('GET', '/api/cases/case000001', ok(makeCase())),
    on('PUT', '/api/cases/case000001/conclusion', { status: 409, body: { code: 'REVISION_CONFLICT', message: 'stale', details: { currentRevision: 5 } } }),
    specimenHandler,
  );
  renderApp(api, '/cases/case000001');
  const user = userEvent.setup();
  await user.click(await screen.findByRole('button', { name: 'Conclude' }));
  await user.click(screen.getByRole('radio', { name: /^Elimination/ }));
  await user.click(screen.getByRole('radio', { name: /^Altered after production/ }));
  await user.type(screen.getByRole('textbox', { name: 'Statement' }), 'x');
  await user.click(screen.getByRole('button', { name: 'Save conclusion' }));
  expect(await screen.findByText('Someone else changed this case meanwhile')).toBeInTheDocument();
  await user.click(screen.getByRole('button', { name: 'Reload the case' }));
  await waitFor(() => expect(api.calls('GET', '/api/cases/case000001')).toHaveLength(2));
});

test('a prosecutor reads an assigned case, cannot change it, and downloads the exhibit with its SHA-256 checked', async () => {
  const pdf = new TextEncoder().encode('%PDF-1.7 exhibit bytes');
  const digest = createHash('sha256').update(pdf).digest('hex');
  const concluded = makeCase({ conclusion: { opinion: 'identification', statement: 'Genuine.', concludedBy: 'erin', concludedAt: '2026-11-03T10:00:00Z' } });
  const api = createTestApi(
    sessionAs('prosecutor'),
    on('GET', '/api/cases/case000001', ok(concluded)),
    on('GET', '/api/cases/case000001/exhibit.pdf', {
      status: 200,
      raw: pdf,
      headers: { 'content-type': 'application/pdf', 'content-disposition': 'attachment; filename="PN-2026-17-exhibit.pdf"', 'x-exhibit-sha256': digest },
    }),
    on('GET', '/api/cases/case000001/exhibit.zip', { status: 200, raw: new TextEncoder().encode('PK bundle'), headers: { 'content-type': 'application/zip', 'x-exhibit-sha256': '0'.repeat(64) } }),
    on('GET', '/api/cases/case000001/comparisons', ok({ items: [{ id: 'cmp0001', label: 'Passport seized at gate 4 (uploaded as gate4-white.jpg)', status: 'done', submittedAt: '2026-11-01T08:30:00Z' }] })),
    specimenHandler,
  );
  const saved: string[] = [];
  const click = jest.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
    saved.push(this.download);
  });
  renderApp(api, '/cases/case000001');
  const user = userEvent.setup();
  await screen.findByRole('heading', { level: 1, name: concluded.title });
  // Concluded before propositions were asked: said so, and no sentence makes one up.
  const conclusion = screen.getByRole('region', { name: 'Conclusion' });
  expect(conclusion).toHaveTextContent('Proposition: not recorded');
  expect(conclusion).not.toHaveTextContent("The examiner's opinion is that");
  expect(screen.queryByRole('link', { name: 'Edit case' })).not.toBeInTheDocument();
  expect(screen.queryByRole('button', { name: 'Conclude' })).not.toBeInTheDocument();
  expect(screen.queryByRole('textbox', { name: 'Add a note' })).not.toBeInTheDocument();
  expect(screen.getByRole('link', { name: 'Direct link to the exhibit report (PDF)' })).toHaveAttribute('href', '/api/cases/case000001/exhibit.pdf');

  await user.click(screen.getByRole('button', { name: 'Download exhibit report (PDF)' }));
  const result = await screen.findByRole('status', { name: 'exhibit report (PDF) downloaded' });
  expect(result).toHaveTextContent(digest);
  expect(result).toHaveTextContent('matches the server’s digest');
  expect(saved).toEqual(['PN-2026-17-exhibit.pdf']);
  // A prosecutor may not read comparisons: none is asked for, and none is a link to a page that would refuse them; the bundle holds them.
  // Each is named all the same, by the questioned document it examined, as the exhibit names it.
  const comparisons = screen.getByRole('list', { name: 'Comparisons' });
  expect(await within(comparisons).findByText('Passport seized at gate 4 (uploaded as gate4-white.jpg)')).toBeInTheDocument();
  expect(comparisons).toHaveTextContent('finished, submitted');
  expect(comparisons).toHaveTextContent('(comparison cmp0001)');
  expect(within(comparisons).queryByRole('link')).not.toBeInTheDocument();
  expect(screen.getByText('Their images and results are in the exhibit bundle.')).toBeInTheDocument();
  expect(api.requests.filter((r) => r.url.pathname.startsWith('/api/comparisons'))).toEqual([]);

  // A copy whose bytes do not hash to what the server announced is flagged, not silently kept.
  await user.click(screen.getByRole('button', { name: 'Download exhibit bundle (zip)' }));
  expect(await screen.findByRole('status', { name: 'exhibit bundle (zip) downloaded' })).toHaveTextContent('does not match');
  click.mockRestore();
});

test('before the case has a conclusion the exhibits cannot be asked for: no download that can only be refused, no dead link', async () => {
  const api = createTestApi(on('GET', '/api/cases/case000001', ok(makeCase())), specimenHandler);
  renderApp(api, '/cases/case000001');
  expect(await screen.findByText('The exhibits can be produced once the case has a conclusion.')).toBeInTheDocument();
  expect(screen.getByRole('button', { name: 'Download exhibit report (PDF)' })).toBeDisabled();
  expect(screen.getByRole('button', { name: 'Download exhibit bundle (zip)' })).toBeDisabled();
  expect(screen.queryByRole('link', { name: /^Direct link to the exhibit/ })).not.toBeInTheDocument();
  expect(api.calls('GET', '/api/cases/case000001/exhibit.pdf')).toEqual([]);
});

test('border officers have no cases', async () => {
  const api = createTestApi(sessionAs('border-officer'));
  renderApp(api, '/cases');
  expect(await screen.findByText('This page is not available to your role')).toBeInTheDocument();
  expect(within(screen.getByRole('navigation', { name: 'Main' })).queryByRole('link', { name: 'Cases' })).not.toBeInTheDocument();
});

test('a case lists each comparison with the questioned document it examined, so several read apart', async () => {
  const api = createTestApi(
    on('GET', '/api/cases/case000001', ok(makeCase({ comparisons: ['cmp0001', 'cmp0002'], specimens: [] }))),
    on('GET', '/api/comparisons/cmp0001', ok(makeComparisonWithFindings({ id: 'cmp0001', request: { reference: 'auto', notes: 'Passport seized at gate 4\nholder detained' } }))),
    on('GET', '/api/comparisons/cmp0002', ok(makeComparisonWithFindings({ id: 'cmp0002' }))),
  );
  renderApp(api, '/cases/case000001');
  const list = await screen.findByRole('list', { name: 'Comparisons' });
  const items = within(list).getAllByRole('listitem').filter((li) => li.parentElement === list);
  await waitFor(() => expect(items[0]).toHaveTextContent('Comparison cmp0001 — Passport seized at gate 4'));
  expect(items[1]).toHaveTextContent('Comparison cmp0002 — Questioned (gate4-white.jpg)');
});

