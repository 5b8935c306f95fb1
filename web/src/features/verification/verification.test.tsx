/** @jest-environment jsdom */
import '../../test/dom-setup';
import type { IdentificationCandidate, VerificationRequest } from '@exemplar/specimens-schema';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { makeComparisonWithFindings, makeRegisterEntry, makeVerificationRequest } from '../../test/fixtures';
import { createTestApi, ok, on, renderApp, sessionAs, type RecordedRequest } from '../../test/test-api';

const png = (name: string) => new File([new Uint8Array(3000)], name, { type: 'image/png' });

test('a border officer sends images per light source with urgency, notes and MRZ lines in one upload', async () => {
  const created = makeVerificationRequest({ id: 'vr0001', submittedBy: 'border.officer' });
  const api = createTestApi(
    sessionAs('border-officer'),
    on('POST', '/api/verification-requests', ok(created, 201)),
    on('GET', '/api/verification-requests/vr0001', ok(created)),
  );
  const { location } = renderApp(api, '/verification/new');
  const user = userEvent.setup();

  await user.upload(await screen.findByLabelText('Add several image files'), [png('doc_white.png'), png('doc_uv-365.png')]);
  const slots = screen.getByRole('list', { name: 'Images by light source' });
  expect(within(slots).getByText('doc_uv-365.png').closest('li')).toHaveAttribute('data-light', 'uv-365');
  // The tablet camera is offered for every light source.
  expect(screen.getByLabelText('Take the IR 870 nm image with the camera')).toHaveAttribute('capture', 'environment');

  await user.click(screen.getByRole('radio', { name: /Immediate/ }));
  await user.type(screen.getByRole('textbox', { name: 'Notes' }), 'Photo looks re-laminated');
  await user.type(screen.getByRole('textbox', { name: 'MRZ lines (if readable)' }), 'P<UTOERIKSSON<<ANNA<MARIA');
  expect(screen.getByText('An MRZ has 2 or 3 lines.')).toBeInTheDocument();
  expect(screen.getByRole('button', { name: /Send request/ })).toBeDisabled();
  await user.type(screen.getByRole('textbox', { name: 'MRZ lines (if readable)' }), '{enter}l898902c36 uto7408122f1204159zE184226B<<<<<10');
  await user.click(screen.getByRole('button', { name: 'Send request (2 images)' }));

  await waitFor(() => expect(location.current.pathname).toBe('/verification/vr0001'));
  const form = api.calls('POST', '/api/verification-requests')[0]!.body as FormData;
  expect(JSON.parse(form.get('request') as string)).toEqual({
    urgency: 'immediate',
    notes: 'Photo looks re-laminated',
    mrz: { lines: ['P<UTOERIKSSON<<ANNA<MARIA', 'L898902C36UTO7408122F1204159ZE184226B<<<<<10'] },
  });
  expect((form.get('white') as File).name).toBe('doc_white.png');
  expect((form.get('uv-365') as File).name).toBe('doc_uv-365.png');
  expect(api.calls('POST', '/api/verification-requests')[0]!.headers['x-csrf-token']).toBe('csrf-border-officer');
});

test("an officer asks the laboratory about a comparison's document without choosing or photographing its images again", async () => {
  const compared = makeComparisonWithFindings({
    id: 'cmp0001',
    request: { reference: 'auto', notes: 'Passport presented at gate 4', mrz: { lines: ['P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<', 'L898902C36UTO7408122F1204159ZE184226B<<<<<10'] } },
  });
  const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4]);
  const created = makeVerificationRequest({ id: 'vr0020', submittedBy: 'border.officer' });
  const api = createTestApi(
    sessionAs('border-officer'),
    on('GET', '/api/comparisons/cmp0001', ok(compared)),
    on('GET', '/api/comparisons/cmp0001/questioned/white', { status: 200, raw: jpeg, headers: { 'content-type': 'image/jpeg' } }),
    on('POST', '/api/verification-requests', ok(created, 201)),
    on('GET', '/api/verification-requests/vr0020', ok(created)),
  );
  renderApp(api, '/comparisons/cmp0001');
  const user = userEvent.setup();
  await user.click(await screen.findByRole('link', { name: 'Ask the laboratory to verify' }));

  const slots = await screen.findByRole('list', { name: 'Images by light source' });
  expect(await within(slots).findByText('gate4-white.jpg')).toBeInTheDocument();
  expect(screen.getByRole('textbox', { name: 'Notes' })).toHaveValue('Passport presented at gate 4\nComparison cmp0001');
  expect(screen.getByRole('textbox', { name: 'MRZ lines (if readable)' })).toHaveValue(compared.request.mrz!.lines.join('\n'));
  await user.click(screen.getByRole('button', { name: 'Send request (1 image)' }));

  await waitFor(() => expect(api.calls('POST', '/api/verification-requests')).toHaveLength(1));
  const form = api.calls('POST', '/api/verification-requests')[0]!.body as FormData;
  const white = form.get('white') as File;
  expect(white.name).toBe('gate4-white.jpg');
  // The bytes the comparison stored (jsdom's File has no arrayBuffer(): read it as a browser would).
  const bytes = await new Promise<ArrayBuffer>((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result as ArrayBuffer);
    reader.onerror = () => reject(reader.error);
    reader.readAsArrayBuffer(white);
  });
  expect(new Uint8Array(bytes)).toEqual(jpeg);
  expect(white.type).toBe('image/jpeg');
  expect(JSON.parse(form.get('request') as string)).toMatchObject({ notes: 'Passport presented at gate 4\nComparison cmp0001', mrz: { lines: compared.request.mrz!.lines } });
});

test('the history names the comparison each link added, and an answer reads once, not "Answered → Answered"', async () => {
  const r = makeVerificationRequest({
    id: 'vr0021',
    status: 'answered',
    comparisons: ['cmp0031', 'cmp0032'],
    answer: { conclusion: 'genuine', message: 'Genuine.', answeredBy: 'erin', answeredAt: '2026-11-28T05:00:00Z' },
    history: [
      { at: '2026-11-28T03:00:00Z', actor: 'bo.officer', action: 'submit', to: 'submitted' },
      { at: '2026-11-28T03:10:00Z', actor: 'erin', action: 'claim', from: 'submitted', to: 'claimed' },
      { at: '2026-11-28T03:20:00Z', actor: 'erin', action: 'link-comparison', from: 'claimed', to: 'claimed', comparisonId: 'cmp0031' },
      { at: '2026-11-28T03:30:00Z', actor: 'erin', action: 'link-comparison', from: 'claimed', to: 'claimed', comparisonId: 'cmp0032' },
      { at: '2026-11-28T05:00:00Z', actor: 'erin', action: 'answer', from: 'claimed', to: 'answered', message: 'Genuine.' },
    ],
  });
  const api = createTestApi(
    on('GET', '/api/verification-requests/vr0021', ok(r)),
    on('GET', /^\/api\/comparisons\/cmp003[12]$/, (req) => ok(makeComparisonWithFindings({ id: req.url.pathname.split('/').pop()! }))),
  );
  renderApp(api, '/verification/vr0021');
  const history = await screen.findByRole('list', { name: 'History' });
  const entries = within(history).getAllByRole('listitem');
  expect(entries[2]).toHaveTextContent('Comparison cmp0031 linked');
  expect(within(entries[2]!).getByRole('link', { name: 'cmp0031' })).toHaveAttribute('href', '/comparisons/cmp0031');
  expect(entries[3]).toHaveTextContent('Comparison cmp0032 linked');
  expect(entries[4]).toHaveTextContent('Answered');
  expect(entries[4]).not.toHaveTextContent('Answered → Answered');
  expect(entries[1]).toHaveTextContent('Claimed → Being examined');
});

test('a refused image is marked at its light source', async () => {
  const api = createTestApi(
    sessionAs('border-officer'),
    on('POST', '/api/verification-requests', { status: 415, body: { code: 'IMAGE_UNSUPPORTED', message: 'not an image', details: { lightSource: 'white' } } }),
  );
  renderApp(api, '/verification/new');
  const user = userEvent.setup();
  await user.upload(await screen.findByLabelText('Image for White light'), png('x.png'));
  await user.click(screen.getByRole('button', { name: 'Send request (1 image)' }));
  expect(await screen.findByText('The request was not sent')).toBeInTheDocument();
  expect(within(screen.getByRole('list', { name: 'Images by light source' })).getByRole('alert')).toHaveTextContent('not an image');
});

test("an officer's list shows status, time left and the answer; a register hit is flagged", async () => {
  const hit = makeRegisterEntry();
  const answered = makeVerificationRequest({
    status: 'answered',
    notes: 'Blurred microprint',
    answer: { conclusion: 'fraudulent', fraudType: 'counterfeit', message: 'Counterfeit: no UV emblem.', answeredBy: 'erin', answeredAt: '2026-11-28T04:00:00Z' },
  });
  const waiting = makeVerificationRequest({ notes: 'Stolen?', registerHits: [hit], document: { issuingState: 'UTO', documentNumber: 'L898902C3' } });
  const api = createTestApi(sessionAs('border-officer'), on('GET', '/api/verification-requests', ok({ items: [waiting, answered], total: 2, limit: 50, offset: 0 })));
  renderApp(api, '/verification?view=all');
  const row = (await screen.findByRole('link', { name: 'Stolen?' })).closest('tr')!;
  expect(row).toHaveTextContent('Register hit');
  expect(row).toHaveTextContent(/left|overdue/);
  expect(screen.getByRole('link', { name: 'Blurred microprint' }).closest('tr')).toHaveTextContent('Fraudulent');
  expect(api.calls('GET', '/api/verification-requests')[0]!.url.searchParams.get('mine')).toBe('true');
  expect(screen.getByRole('heading', { name: 'My verification requests' })).toBeInTheDocument();
});

test("an officer's answered requests stay under Answered once closed, and an empty Open view points to them", async () => {
  const closed = makeVerificationRequest({
    id: 'vr0015',
    status: 'closed',
    notes: 'Seal under UV',
    answer: { conclusion: 'genuine', message: 'Genuine.', answeredBy: 'erin', answeredAt: '2026-11-28T04:00:00Z' },
  });
  const api = createTestApi(
    sessionAs('border-officer'),
    on('GET', '/api/verification-requests', (req) => {
      const status = req.url.searchParams.getAll('status').flatMap((s) => s.split(','));
      const items = status.includes('closed') ? [closed] : [];
      return ok({ items, total: items.length, limit: 50, offset: 0 });
    }),
  );
  renderApp(api, '/verification');
  expect(await screen.findByText('No open requests')).toBeInTheDocument();
  const user = userEvent.setup();
  await user.click(screen.getByRole('button', { name: 'Answered', pressed: false }));
  expect((await screen.findByRole('link', { name: 'Seal under UV' })).closest('tr')).toHaveTextContent('Genuine');
});

test('the examiner queue asks for open requests in the server order; claiming and answering a fraud', async () => {
  let current = makeVerificationRequest({ id: 'vr0009', registerHits: [makeRegisterEntry({ status: 'stolen-blank', source: 'Interpol SLTD' })], document: { issuingState: 'UTO', documentNumber: 'L898902C3' } });
  const update = (req: RecordedRequest, patch: Partial<VerificationRequest>) => {
    current = { ...current, ...patch, revision: current.revision + 1 };
    return ok(current);
  };
  const api = createTestApi(
    on('GET', '/api/verification-requests', ok({ items: [current], total: 1, limit: 50, offset: 0 })),
    on('GET', '/api/verification-requests/vr0009', () => ok(current)),
    on('POST', '/api/verification-requests/vr0009/claim', (req) => update(req, { status: 'claimed', claimedBy: 'examiner', claimedAt: '2026-11-28T03:30:00Z' })),
    on('POST', '/api/verification-requests/vr0009/comparisons', (req) => update(req, { comparisons: [(req.body as { comparisonId: string }).comparisonId] })),
    on('POST', '/api/verification-requests/vr0009/answer', (req) =>
      update(req, { status: 'answered', answer: { ...(req.body as VerificationRequest['answer'] & object), answeredBy: 'examiner', answeredAt: '2026-11-28T03:50:00Z' } }),
    ),
  );
  const { location } = renderApp(api, '/verification');
  const user = userEvent.setup();
  await screen.findByRole('heading', { name: 'Verification queue' });
  expect(api.calls('GET', '/api/verification-requests')[0]!.url.searchParams.getAll('status')).toEqual(['submitted', 'claimed']);
  await user.click(await screen.findByRole('link', { name: current.notes! }));
  await waitFor(() => expect(location.current.pathname).toBe('/verification/vr0009'));

  // The register hit is the first thing on the page.
  expect(await screen.findByRole('alert', { name: 'Register hit' })).toHaveTextContent(/Stolen blank.*since 2026-10-01.*reported by Interpol SLTD/);
  expect(screen.getByRole('img', { name: 'Questioned document under White light' })).toHaveAttribute('src', '/api/verification-requests/vr0009/questioned/white');

  await user.click(screen.getByRole('button', { name: 'Claim this request' }));
  await user.type(await screen.findByRole('textbox', { name: 'Link a comparison (id)' }), 'cmp0042');
  await user.click(screen.getByRole('button', { name: 'Link' }));
  expect(await screen.findByRole('link', { name: 'Comparison cmp0042' })).toHaveAttribute('href', '/comparisons/cmp0042');

  const answer = screen.getByRole('form', { name: 'Answer' });
  await user.click(within(answer).getByRole('radio', { name: 'Fraudulent' }));
  await user.type(within(answer).getByRole('textbox', { name: 'Message to the officer' }), 'Counterfeit: the UV emblem is missing.');
  await user.click(within(answer).getByRole('button', { name: 'Send answer' }));
  expect(within(answer).getByRole('alert')).toHaveTextContent('needs its fraud type');
  await user.selectOptions(within(answer).getByRole('combobox', { name: 'Fraud type' }), 'counterfeit');
  await user.click(within(answer).getByRole('button', { name: 'Send answer' }));

  expect(await screen.findByRole('heading', { level: 1, name: 'Answer: Fraudulent' })).toBeInTheDocument();
  expect(api.calls('POST', '/api/verification-requests/vr0009/answer')[0]!.body).toEqual({ conclusion: 'fraudulent', fraudType: 'counterfeit', message: 'Counterfeit: the UV emblem is missing.' });
});

test('a claim lost to another examiner says who has it', async () => {
  const r = makeVerificationRequest({ id: 'vr0010' });
  const api = createTestApi(
    on('GET', '/api/verification-requests/vr0010', ok(r)),
    on('POST', '/api/verification-requests/vr0010/claim', { status: 409, body: { code: 'CONFLICT', message: 'claimed', details: { claimedBy: 'otto' } } }),
  );
  renderApp(api, '/verification/vr0010');
  await userEvent.setup().click(await screen.findByRole('button', { name: 'Claim this request' }));
  expect(await screen.findByRole('alert')).toHaveTextContent('otto has claimed this request already.');
});

test('the submitter answers a question from the examiner', async () => {
  let current = makeVerificationRequest({
    id: 'vr0011',
    submittedBy: 'border.officer',
    status: 'returned-for-information',
    history: [
      { at: '2026-11-28T03:00:00Z', actor: 'border.officer', action: 'submit', to: 'submitted' },
      { at: '2026-11-28T03:20:00Z', actor: 'erin', action: 'return', from: 'claimed', to: 'returned-for-information', message: 'Please send the UV 254 image.' },
    ],
  });
  const api = createTestApi(
    sessionAs('border-officer'),
    on('GET', '/api/verification-requests/vr0011', () => ok(current)),
    on('POST', '/api/verification-requests/vr0011/reply', () => {
      current = { ...current, status: 'submitted' };
      return ok(current);
    }),
  );
  renderApp(api, '/verification/vr0011');
  const user = userEvent.setup();
  expect(await screen.findByText(/Please send the UV 254 image\./, { selector: '.notice *, .notice' })).toBeInTheDocument();
  // The history tells what happened in words.
  expect(screen.getByRole('list', { name: 'History' })).toHaveTextContent('Submitted → Waiting for an examiner');
  expect(screen.getByRole('list', { name: 'History' })).toHaveTextContent('Returned with a question → Question for the submitter');
  await user.type(screen.getByRole('textbox', { name: 'Your reply' }), 'No UV 254 lamp at this post.');
  await user.click(screen.getByRole('button', { name: 'Send reply' }));
  expect(await screen.findByRole('heading', { level: 1, name: 'Waiting for an examiner' })).toBeInTheDocument();
  expect(api.calls('POST', '/api/verification-requests/vr0011/reply')[0]!.body).toEqual({ message: 'No UV 254 lamp at this post.' });
  expect(screen.queryByRole('button', { name: 'Claim this request' })).not.toBeInTheDocument();
});

test('on the request form the MRZ read from the white image fills the lines, with its check digits and a register hit shown', async () => {
  const lines = ['P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<', 'L898902C36UTO7408122F1204159ZE184226B<<<<<10'];
  const parse = { format: 'TD3', valid: true, checkDigitsValid: false, fields: {}, checks: { documentNumber: true, birthDate: false }, errors: [], autocorrected: [], lines };
  const api = createTestApi(
    sessionAs('border-officer'),
    on('POST', '/api/mrz/read', ok({ found: true, reading: null, parse, elapsedMs: 12, registerHits: [makeRegisterEntry({ source: 'SLTD' })] })),
    on('POST', '/api/mrz/parse', ok({ ...parse, registerHits: [] })),
  );
  renderApp(api, '/verification/new');
  const user = userEvent.setup();
  await user.upload(await screen.findByLabelText('Image for White light'), png('white.png'));
  await user.click(screen.getByRole('button', { name: 'Read the MRZ from the white-light image' }));
  expect(await screen.findByRole('alert', { name: 'Register hit' })).toHaveTextContent('reported by SLTD');
  expect(screen.getByRole('textbox', { name: 'MRZ lines (if readable)' })).toHaveValue(lines.join('\n'));
  expect(screen.getByText(/TD3: check digits fail/)).toBeInTheDocument();
  expect(screen.getByText(/✗ date of birth/)).toBeInTheDocument();
  expect((api.calls('POST', '/api/mrz/read')[0]!.body as FormData).get('image')).toBeInstanceOf(File);

  await user.click(screen.getByRole('button', { name: 'Check the MRZ' }));
  expect(await screen.findByText('Checked against the lost/stolen register: no entry for this document.')).toBeInTheDocument();
  expect(api.calls('POST', '/api/mrz/parse')[0]!.body).toEqual({ lines });
});

test('a linked comparison shows its findings in words; one the user may not read is still linked', async () => {
  const r = makeVerificationRequest({ id: 'vr0011', status: 'answered', comparisons: ['cmp0001', 'cmp0404'] });
  const compared = makeComparisonWithFindings();
  const api = createTestApi(
    on('GET', '/api/verification-requests/vr0011', ok(r)),
    on('GET', '/api/comparisons/cmp0001', ok(compared)),
    on('GET', '/api/comparisons/cmp0404', { status: 404, body: { code: 'JOB_NOT_FOUND', message: 'Comparison not found', details: {} } }),
  );
  renderApp(api, '/verification/vr0011');
  const summary = await screen.findByLabelText('Findings of comparison cmp0001');
  expect(summary).toHaveTextContent('White light');
  expect(within(summary).getAllByRole('listitem').map((li) => li.querySelector('strong')?.textContent)).toEqual([
    'MRZ check digits fail: date of birth, composite',
    'Overtyping in the MRZ: 1 character out of line (date of birth)',
  ]);
  expect(summary).toHaveTextContent('Date of birth 840314 (YYMMDD): check digit read as 5, but the data as read give 6.');
  expect(screen.getByRole('link', { name: 'Comparison cmp0404' })).toHaveAttribute('href', '/comparisons/cmp0404');
  expect(screen.queryByLabelText('Findings of comparison cmp0404')).toBeNull();
});

test("an officer's request lists the examiner's comparison as text, not a link to a page that says it does not exist; their own is linked with its findings", async () => {
  const r = makeVerificationRequest({ id: 'vr0014', status: 'answered', comparisons: ['cmp0001', 'cmp0777'] });
  const api = createTestApi(
    sessionAs('border-officer'),
    on('GET', '/api/verification-requests/vr0014', ok(r)),
    on('GET', '/api/comparisons/cmp0001', ok(makeComparisonWithFindings())),
    // An examiner's comparison: a border officer may read only their own, and the API does not tell the two apart.
    on('GET', '/api/comparisons/cmp0777', { status: 404, body: { code: 'JOB_NOT_FOUND', message: 'Comparison cmp0777 not found', details: { id: 'cmp0777' } } }),
  );
  renderApp(api, '/verification/vr0014');
  const list = await screen.findByRole('list', { name: 'Linked comparisons' });
  expect(within(list).getByRole('link', { name: 'Comparison cmp0001' })).toHaveAttribute('href', '/comparisons/cmp0001');
  expect(await screen.findByLabelText('Findings of comparison cmp0001')).toHaveTextContent('MRZ check digits fail: date of birth, composite');
  const other = await within(list).findByText(/made in the laboratory/);
  expect(other.closest('li')).toHaveTextContent('Comparison cmp0777');
  expect(within(list).queryByRole('link', { name: 'Comparison cmp0777' })).toBeNull();
});

test('a comparison stored before findings carried their check digits still reads, saying the expected digit was not recorded', async () => {
  const r = makeVerificationRequest({ id: 'vr0012', status: 'answered', comparisons: ['cmp0002'] });
  const current = makeComparisonWithFindings({ id: 'cmp0002' });
  // As stored then: no digits, no field per character, no light read under.
  const stored = {
    ...current,
    result: {
      ...current.result!,
      lights: current.result!.lights.map((l) => ({ ...l, ...(l.findings && { findings: l.findings.map(({ checks: _c, characterFields: _f, lightSource: _l, ...f }) => f) }) })),
    },
  };
  const api = createTestApi(on('GET', '/api/verification-requests/vr0012', ok(r)), on('GET', '/api/comparisons/cmp0002', ok(stored)));
  renderApp(api, '/verification/vr0012');
  const summary = await screen.findByLabelText('Findings of comparison cmp0002');
  expect(within(summary).getAllByRole('listitem').map((li) => li.querySelector('strong')?.textContent)).toEqual(['MRZ check digits fail: date of birth, composite', 'Overtyping in the MRZ: 1 character out of line']);
  expect(summary).toHaveTextContent('Date of birth: check digit read as 5; the digit its data give was not recorded with this comparison.');
  expect(summary.textContent).not.toMatch(/data as read give \d/);
  expect(summary.textContent).not.toContain('MRZ read under');
});

test('a linked comparison whose questioned image matched a known fraud better than any genuine reference says so', async () => {
  const r = makeVerificationRequest({ id: 'vr0013', status: 'answered', comparisons: ['cmp0003'] });
  const candidate = (specimenId: string, title: string, status: 'genuine' | 'counterfeit', inliers: number): IdentificationCandidate => ({
    specimenId,
    captureId: `cap${specimenId.slice(4)}`,
    lightSource: 'white',
    score: 0.8,
    inliers,
    similarity: 0.8,
    verified: true,
    title,
    status,
    issuingState: 'UTO',
    page: 'data-page',
  });
  const compared = makeComparisonWithFindings({
    id: 'cmp0003',
    identification: { method: 'orb-lsh-v2', searched: 9, verified: 2, candidates: [candidate('spec000007', 'Utopia passport — counterfeit of batch 7', 'counterfeit', 250), candidate('spec000001', 'Utopia passport — genuine', 'genuine', 80)] },
  });
  const api = createTestApi(on('GET', '/api/verification-requests/vr0013', ok(r)), on('GET', '/api/comparisons/cmp0003', ok(compared)));
  renderApp(api, '/verification/vr0013');
  const note = await screen.findByLabelText('Known fraud match of comparison cmp0003');
  expect(within(note).getByRole('link', { name: 'Utopia passport — counterfeit of batch 7' })).toHaveAttribute('href', '/specimens/spec000007');
  expect(note).toHaveTextContent('(250 points agree)');
  // The genuine candidate matched less well: only the counterfeit is named.
  expect(within(note).getAllByRole('link')).toHaveLength(1);
});
