/** @jest-environment jsdom */
import '../../test/dom-setup';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { Comparison as ApiComparison } from '@exemplar/specimens-schema';
import { ALTERED_BIRTH_DATE_FINDINGS, ALTERED_BIRTH_DATE_MRZ, makeApiComparison, makeCapture, makeImage, makeLightResult, makeSpecimen, makeZone } from '../../test/fixtures';
import { createTestApi, ok, on, renderApp } from '../../test/test-api';
import { stageLabel } from './api';

const emblem = makeZone({ type: 'uv-fluorescent-ink', label: 'Sun emblem', lightSources: ['uv-365'], polygon: [[1200, 300], [1500, 300], [1500, 600], [1200, 600]] });
const capture = makeCapture({ id: 'cap000001', images: [makeImage('white'), makeImage('uv-365')], zones: [emblem] });
const reference = makeSpecimen({ id: 'spec000001', title: 'Utopia passport, 2019 series — holder A', captures: [capture] });
const region = { box: { x: 1210, y: 310, width: 280, height: 280 }, polygon: [[1210, 310], [1490, 310], [1490, 590]], area: 40000, score: 0.83, peak: 0.99 };

const done = makeApiComparison({
  status: 'done',
  progress: { fraction: 1, stage: 'store' },
  request: { reference: { specimenId: reference.id, captureId: capture.id }, notes: 'Case 2024-117\nseized at gate 4' },
  startedAt: '2024-05-01T10:00:01Z',
  finishedAt: '2024-05-01T10:00:03Z',
  result: {
    anchorLight: 'white',
    alignment: { homography: [1, 0, 0, 0, 1, 0, 0, 0, 1], inliers: 420, rmse: 0.4, method: 'akaze', message: 'ok' },
    lights: [
      makeLightResult('white'),
      makeLightResult('uv-365', {
        regions: [region],
        zoneVerdicts: [{ zoneId: emblem.id, type: 'uv-fluorescent-ink', label: 'Sun emblem', verdict: 'absent', score: 0.92, flaggedShare: 0.8, signal: { reference: 80, questioned: 5 }, coverage: 1 }],
      }),
    ],
    skipped: [{ lightSource: 'ir-870', reason: 'not-in-questioned' }],
    parameters: {},
    versions: {},
    elapsedMs: { total: 1800 },
  },
});

test('every stage a comparison job reports is named in words, never by its id', () => {
  // The runner's stages (server comparison-runner) and the pipeline's (image-pipeline pool), in the order a job passes them.
  const stages = ['queued', 'start', 'identify', 'confirm-reference', 'fetch', 'decode', 'align', 'compare', 'compare:uv-365', 'store'];
  for (const stage of stages) expect(stageLabel(stage)).not.toContain(stage);
  expect(stageLabel('compare')).toBe('Comparing the light sources');
});

test('a running comparison shows live progress, then opens the viewer with the result', async () => {
  const answers: ApiComparison[] = [
    makeApiComparison({ status: 'running', progress: { fraction: 0.18, stage: 'align' } }),
    makeApiComparison({ status: 'running', progress: { fraction: 0.6, stage: 'compare:uv-365' } }),
    done,
  ];
  const api = createTestApi(
    on('GET', '/api/comparisons/cmp0001', () => ok(answers.length > 1 ? answers.shift() : answers[0])),
    on('GET', `/api/specimens/${reference.id}`, ok(reference)),
  );
  const { location } = renderApp(api, '/comparisons/cmp0001');
  const user = userEvent.setup();

  expect(await screen.findByText('Aligning the questioned document to the reference — 18%')).toBeInTheDocument();
  expect(screen.getByRole('progressbar', { name: 'Comparison progress' })).toHaveAttribute('value', '0.18');
  expect(await screen.findByText('Comparing under UV 365 nm — 60%', {}, { timeout: 3000 })).toBeInTheDocument();

  const reg = await screen.findByRole('link', { name: reference.title }, { timeout: 3000 });
  expect(reg).toHaveAttribute('href', `/specimens/${reference.id}`);
  // The notes' first line names the questioned document.
  expect(screen.getByText(/Questioned: Case 2024-117/)).toBeInTheDocument();
  // Its id shows, for linking it to a case.
  expect(reg.closest('p')).toHaveTextContent(`id ${done.id}`);

  await user.keyboard('2');
  await waitFor(() => expect(location.current.search).toContain('light=uv-365'));
  // A region's numbers say what they are: its score, its box in reference pixels.
  expect(screen.getByRole('region', { name: 'Flagged regions (1)' })).toHaveTextContent('score 0.83280 × 280 px at x 1210, y 310 (reference)');
  // The zone verdict is placed with the outline of the reference's zone.
  const verdicts = screen.getByRole('region', { name: 'Security features (1)' });
  expect(within(verdicts).getByRole('button', { name: 'Zoom to UV-fluorescent ink — Sun emblem' })).toBeInTheDocument();
  expect(within(verdicts).getByText('Absent')).toBeInTheDocument();
  expect(screen.getByRole('region', { name: 'Not compared' })).toHaveTextContent('no questioned image was given under this light');

  await user.keyboard('h');
  await waitFor(() => expect(location.current.search).toContain('mode=heatmap'));
  // The reference comes from the specimen (deep zoom); the heatmap from the comparison's outputs.
  const viewer = screen.getByRole('group', { name: /Difference heatmap/ });
  expect(viewer).toHaveAttribute('data-layers', 'reference heatmap');
});

test('the questioned image shown under each light is named by that light\'s own file', async () => {
  const image = (light: string, name: string) => ({ sha256: `${light.length}`.padEnd(64, 'a'), bytes: 1000, width: 1900, height: 1350, format: 'jpeg' as const, url: `/api/comparisons/cmp0001/questioned/${light}`, originalName: name });
  const unnamed = makeApiComparison({
    ...done,
    request: { reference: done.request.reference },
    questioned: { white: image('white', 'gate4-white.jpg'), 'uv-365': image('uv-365', 'gate4-uv365.jpg') },
  });
  const api = createTestApi(on('GET', '/api/comparisons/cmp0001', ok(unnamed)), on('GET', `/api/specimens/${reference.id}`, ok(reference)));
  const { container } = renderApp(api, '/comparisons/cmp0001?light=white&mode=side-by-side');
  const caption = () => container.querySelector('.compare__caption')!;
  const questionedViewer = () => screen.getByRole('group', { name: /^Questioned: / });
  await screen.findByRole('link', { name: reference.title });
  expect(caption()).toHaveTextContent('Questioned: Questioned (gate4-white.jpg)');
  expect(questionedViewer()).toHaveAccessibleName(/^Questioned: Questioned \(gate4-white\.jpg\), White light/);

  const user = userEvent.setup();
  await user.keyboard('2');
  await waitFor(() => expect(container.querySelector('.compare')).toHaveAttribute('data-light', 'uv-365'));
  expect(caption()).toHaveTextContent('Questioned: Questioned (gate4-uv365.jpg)');
  expect(questionedViewer()).toHaveAccessibleName(/^Questioned: Questioned \(gate4-uv365\.jpg\), UV 365 nm/);
  expect(container.querySelector('.compare')).not.toHaveTextContent('gate4-white.jpg');
});

test('a shared link opens the same mode and light', async () => {
  const api = createTestApi(on('GET', '/api/comparisons/cmp0001', ok(done)), on('GET', `/api/specimens/${reference.id}`, ok(reference)));
  const { container } = renderApp(api, '/comparisons/cmp0001?mode=swipe&light=uv-365');
  await screen.findByRole('slider', { name: 'Swipe divider position' });
  expect(container.querySelector('.compare')).toHaveAttribute('data-light', 'uv-365');
});

test('a failed alignment says why in plain words, keeps the technical reason as detail for the examiner, and offers a new comparison', async () => {
  const technical = 'the white images could not be aligned (too-few-inliers): akaze: 12 feature inliers, 4 agreeing after refinement';
  const failed = makeApiComparison({ status: 'failed', progress: null, error: { code: 'ALIGNMENT_FAILED', message: technical } });
  renderApp(createTestApi(on('GET', '/api/comparisons/cmp0001', ok(failed))), '/comparisons/cmp0001');
  const alert = await screen.findByRole('alert');
  expect(alert).toHaveTextContent('The comparison failed');
  // The words come first, outside the detail; the pipeline's reason and code are in the detail, closed until asked for.
  const detail = alert.querySelector('details')!;
  expect(detail).not.toBeNull();
  expect(detail).not.toHaveAttribute('open');
  expect(detail.querySelector('summary')).toHaveTextContent('Technical detail');
  expect(detail).toHaveTextContent(technical);
  expect(detail).toHaveTextContent('ALIGNMENT_FAILED');
  const primary = [...alert.querySelectorAll('p')].filter((p) => !detail.contains(p));
  expect(primary.map((p) => p.textContent).join(' ')).toContain('could not be matched to the reference');
  expect(primary.map((p) => p.textContent).join(' ')).not.toContain('too-few-inliers');
  const user = userEvent.setup();
  await user.click(within(detail).getByText('Technical detail'));
  expect(detail).toHaveAttribute('open');
  expect(within(alert).getByRole('link', { name: 'Start another comparison' })).toHaveAttribute('href', '/compare');
});

test('a failure with no explanation of its own shows its message as the text, with its code', async () => {
  const failed = makeApiComparison({ status: 'failed', progress: null, error: { code: 'TIMEOUT', message: 'the comparison took longer than 600 s' } });
  renderApp(createTestApi(on('GET', '/api/comparisons/cmp0001', ok(failed))), '/comparisons/cmp0001');
  const alert = await screen.findByRole('alert');
  expect(alert).toHaveTextContent('the comparison took longer than 600 s (TIMEOUT)');
  expect(alert.querySelector('details')).toBeNull();
});

test('an unknown comparison is a clear dead end with a way out', async () => {
  renderApp(createTestApi(on('GET', '/api/comparisons/nosuch1', { status: 404, body: { code: 'JOB_NOT_FOUND', message: 'Comparison not found', details: {} } })), '/comparisons/nosuch1');
  expect(await screen.findByText('No such comparison')).toBeInTheDocument();
  expect(screen.getByRole('link', { name: 'Start a comparison' })).toBeInTheDocument();
});

test('a mistyped comparison address (an id the API refuses as malformed) is the same dead end, not a validation message with a retry', async () => {
  // What the server answers for /api/comparisons/nope: the id pattern is checked before any lookup.
  const malformed = {
    code: 'VALIDATION_FAILED',
    message: 'Invalid params: /id must match pattern: Server-generated record identifier',
    details: { in: 'params', errors: [{ path: '/id', message: 'must match pattern', keyword: 'pattern' }] },
  };
  renderApp(createTestApi(on('GET', '/api/comparisons/nope', { status: 400, body: malformed })), '/comparisons/nope');
  expect(await screen.findByText('No such comparison')).toBeInTheDocument();
  expect(screen.getByRole('link', { name: 'Start a comparison' })).toBeInTheDocument();
  expect(screen.queryByText(/Invalid params/)).not.toBeInTheDocument();
  expect(screen.queryByRole('button', { name: 'Try again' })).not.toBeInTheDocument();
});

test('a comparison the user may not open says why and offers no retry that could not help', async () => {
  renderApp(
    createTestApi(on('GET', '/api/comparisons/cmp0009', { status: 403, body: { code: 'FORBIDDEN', message: 'your role (prosecutor) may not do this', details: {} } })),
    '/comparisons/cmp0009',
  );
  expect(await screen.findByText('your role (prosecutor) may not do this')).toBeInTheDocument();
  expect(screen.queryByRole('button', { name: 'Try again' })).not.toBeInTheDocument();
});

test('an automatic reference that found no genuine match says what to do, and offers no run that would fail the same way', async () => {
  const failed = makeApiComparison({
    status: 'failed',
    progress: null,
    error: { code: 'NO_CANDIDATE', message: 'identification found no genuine reference capture matching the questioned image (12 images searched)' },
    request: { reference: 'auto' },
  });
  renderApp(createTestApi(on('GET', '/api/comparisons/cmp0001', ok(failed))), '/comparisons/cmp0001');
  expect(await screen.findByText(/Choose the reference yourself/)).toBeInTheDocument();
  expect(screen.getByRole('alert').querySelector('details')).toHaveTextContent('identification found no genuine reference capture matching the questioned image (12 images searched) (NO_CANDIDATE)');
  expect(screen.queryByRole('button', { name: 'Run it again' })).not.toBeInTheDocument();
  expect(screen.getByRole('link', { name: 'Start another comparison' })).toHaveAttribute('href', '/compare');
});

test('a comparison that timed out runs again on the images it already stored', async () => {
  const failed = makeApiComparison({ status: 'failed', progress: null, error: { code: 'TIMEOUT', message: 'took too long' }, request: { reference: { specimenId: reference.id, captureId: capture.id }, notes: 'Case 9' } });
  const api = createTestApi(
    on('GET', '/api/comparisons/cmp0001', ok(failed)),
    on('POST', '/api/comparisons', ok(makeApiComparison({ id: 'cmp0002' }), 202)),
    on('GET', '/api/comparisons/cmp0002', ok(makeApiComparison({ id: 'cmp0002', status: 'queued' }))),
  );
  const { location } = renderApp(api, '/comparisons/cmp0001');
  const user = userEvent.setup();
  await user.click(await screen.findByRole('button', { name: 'Run it again' }));
  await waitFor(() => expect(location.current.pathname).toBe('/comparisons/cmp0002'));
  expect(api.calls('POST', '/api/comparisons')[0]!.body).toEqual({
    reference: { specimenId: reference.id, captureId: capture.id },
    notes: 'Case 9',
    questioned: { images: { white: failed.questioned['white']!.sha256 } },
  });
  expect(await screen.findByText(/Waiting for a worker/)).toBeInTheDocument();
});

test('a dropped connection while following a job is retried before an error is shown', async () => {
  let calls = 0;
  const api = createTestApi(
    on('GET', '/api/comparisons/cmp0001', () => {
      calls += 1;
      return calls === 2 ? { status: 503, body: { code: 'QUEUE_FULL', message: 'busy', details: {} } } : ok(calls === 1 ? makeApiComparison({ status: 'running', progress: { fraction: 0.5, stage: 'align' } }) : done);
    }),
    on('GET', `/api/specimens/${reference.id}`, ok(reference)),
  );
  renderApp(api, '/comparisons/cmp0001');
  expect(await screen.findByRole('link', { name: reference.title }, { timeout: 6000 })).toBeInTheDocument();
  expect(calls).toBe(3);
});

test('the MRZ findings of the API answer are listed in words under their light, with what was read', async () => {
  const lines = ALTERED_BIRTH_DATE_MRZ;
  const white = makeLightResult('white', {
    findings: ALTERED_BIRTH_DATE_FINDINGS.slice(0, 1),
    stats: { mrz: [{ zoneId: 'zone-mrz', found: true, format: 'TD3', lines, checkDigitsValid: false, meanConfidence: 0.9 }] },
  });
  const withFindings = makeApiComparison({ ...done, result: { ...done.result!, lights: [white, done.result!.lights[1]!] } });
  const api = createTestApi(on('GET', '/api/comparisons/cmp0001', ok(withFindings)), on('GET', `/api/specimens/${reference.id}`, ok(reference)));
  renderApp(api, '/comparisons/cmp0001?light=white');
  const list = await screen.findByRole('region', { name: 'Document checks (1)' });
  expect(within(list).getByRole('button', { name: /^Zoom to finding M1: MRZ check digits fail: date of birth, composite/ })).toBeInTheDocument();
  expect(list).toHaveTextContent('Date of birth 840314 (YYMMDD): check digit read as 5, but the data as read give 6.');
  // A result made before findings existed (the UV light here has none) shows no such panel.
  const user = userEvent.setup();
  await user.keyboard('2');
  await waitFor(() => expect(screen.queryByRole('region', { name: /Document checks/ })).toBeNull());
});

test('the alignment the differences rest on is stated: method, points agreeing, RMSE, the share a close-up shows, and each light\'s registration', async () => {
  const closeUp = makeApiComparison({
    ...done,
    result: {
      ...done.result!,
      alignment: {
        homography: [0.5012, 0.0021, -412.5, -0.0018, 0.4987, -230.25, 0.0000012, -0.0000008, 1],
        inliers: 118,
        rmse: 0.318,
        method: 'orb-tilt2-x',
        message: 'orb-tilt2-x: 64 feature inliers; refined on 118 of 130 patches; the questioned image shows 38 % of the reference',
      },
      lights: [
        makeLightResult('white'),
        makeLightResult('uv-365', { registration: { outcome: 'refined', anchorLight: 'white', shift: [0.3, -0.4], correlation: { anchor: 0.61, best: 0.7 } } }),
      ],
    },
  });
  const api = createTestApi(on('GET', '/api/comparisons/cmp0001', ok(closeUp)), on('GET', `/api/specimens/${reference.id}`, ok(reference)));
  renderApp(api, '/comparisons/cmp0001');
  const block = await screen.findByRole('group', { name: 'Alignment' });
  const summary = block.querySelector('summary')!;
  expect(summary).toHaveTextContent('Alignment: features (ORB), simulated tilt · 118 of 130 refinement points agree · RMSE 0.32 px · the questioned image shows 38 % of the reference (only that part was compared)');
  const lights = block.querySelector('dl')!;
  expect(lights).toHaveAccessibleName('Registration per light source');
  expect([...lights.querySelectorAll('dt')].map((t) => [t.textContent, t.nextElementSibling?.textContent])).toEqual([
    ['White light', 'aligned on its own features'],
    ['UV 365 nm', 'reused the alignment under White light, refined by 0.50 px'],
  ]);
  expect(within(block).getByLabelText('Homography')).toHaveTextContent('0.5012 0.002100 -412.50 -0.001800 0.4987 -230.25 1.200e-6 -8.000e-7 1.000');
  expect(block).toHaveTextContent('As recorded: orb-tilt2-x: 64 feature inliers');
  // The user opens it to read the registrations; the summary stays the control.
  const user = userEvent.setup();
  await user.click(summary);
  expect(block).toHaveAttribute('open');
});

test('a comparison of the whole reference says nothing of a share, and takes the points from the record when the message gives none', async () => {
  const api = createTestApi(on('GET', '/api/comparisons/cmp0001', ok(done)), on('GET', `/api/specimens/${reference.id}`, ok(reference)));
  renderApp(api, '/comparisons/cmp0001');
  const block = await screen.findByRole('group', { name: 'Alignment' });
  expect(block.querySelector('summary')).toHaveTextContent(/^Alignment: features \(AKAZE\) · 420 refinement points agree · RMSE 0\.40 px$/);
  expect(block).not.toHaveTextContent('% of the reference');
});

test('the heatmap legend shows the white hatching of blown-out areas only for a light that recorded some', async () => {
  const white = makeLightResult('white', { regions: [region], stats: { overexposedShare: 0.054 } });
  const uv = makeLightResult('uv-365', { regions: [region], stats: { overexposedShare: 0 } });
  const glared = makeApiComparison({ ...done, result: { ...done.result!, lights: [white, uv] } });
  const api = createTestApi(on('GET', '/api/comparisons/cmp0001', ok(glared)), on('GET', `/api/specimens/${reference.id}`, ok(reference)));
  const { container } = renderApp(api, '/comparisons/cmp0001?light=white');
  await screen.findByRole('region', { name: 'Flagged regions (1)' });
  const user = userEvent.setup();
  await user.keyboard('h');
  await waitFor(() => expect(container.querySelector('.compare')).toHaveAttribute('data-mode', 'heatmap'));
  expect(container.querySelector('.mode-controls')).toHaveTextContent('blown out (glare): no detail');
  await user.keyboard('2');
  await waitFor(() => expect(container.querySelector('.compare')).toHaveAttribute('data-light', 'uv-365'));
  expect(container.querySelector('.mode-controls')).not.toHaveTextContent(/blown out/);
});

test('where the questioned image is blown out (glare) the page says so: for the light, and for each region mostly blown out', async () => {
  const glare = { ...region, box: { x: 300, y: 200, width: 160, height: 90 }, polygon: [[300, 200], [460, 200], [460, 290]], score: 0.71, overexposed: 0.76 };
  const slight = { ...region, box: { x: 900, y: 700, width: 60, height: 30 }, polygon: [[900, 700], [960, 700], [960, 730]], score: 0.55, overexposed: 0.02 };
  const white = makeLightResult('white', { regions: [glare, slight], stats: { comparedShare: 0.98, overexposedShare: 0.054 } });
  // UV: hardly any glare, and a region from a result made before glare was recorded.
  const uv = makeLightResult('uv-365', { regions: [region], stats: { overexposedShare: 0.002 } });
  const glared = makeApiComparison({ ...done, result: { ...done.result!, lights: [white, uv] } });
  const api = createTestApi(on('GET', '/api/comparisons/cmp0001', ok(glared)), on('GET', `/api/specimens/${reference.id}`, ok(reference)));
  renderApp(api, '/comparisons/cmp0001?light=white');

  const list = await screen.findByRole('region', { name: 'Flagged regions (2)' });
  expect(list).toHaveTextContent('The questioned image is blown out (glare or overexposure) over 5.4 % of the compared area; those pixels show no detail.');
  const first = within(list).getByRole('button', { name: /^Zoom to region 1, score 0.71/ });
  expect(first).toHaveTextContent('Questioned image blown out (glare) over 76 % of this region — the difference may be the light');
  expect(first).toHaveAccessibleName(/; questioned image blown out \(glare\) over 76 % of this region — the difference may be the light$/);
  // 2 % of a region blown out cannot account for its difference: nothing is said.
  const second = within(list).getByRole('button', { name: /^Zoom to region 2, score 0.55/ });
  expect(second).not.toHaveTextContent(/blown out/);

  const user = userEvent.setup();
  await user.keyboard('2');
  const uvList = await screen.findByRole('region', { name: 'Flagged regions (1)' });
  expect(uvList).not.toHaveTextContent(/blown out/);
});

test('what differs only where the questioned image is blown out is listed apart, after the differences, as not judged and not counted with them', async () => {
  // A difference partly blown out stays a difference with its note; two areas mostly blown out are listed apart.
  const partly = { ...region, box: { x: 900, y: 700, width: 60, height: 30 }, polygon: [[900, 700], [960, 700], [960, 730]], score: 0.55, overexposed: 0.3 };
  const band = { ...region, box: { x: 40, y: 20, width: 1800, height: 90 }, polygon: [[40, 20], [1840, 20], [1840, 110]], score: 0.62, overexposed: 0.97 };
  const star = { ...region, box: { x: 300, y: 200, width: 160, height: 90 }, polygon: [[300, 200], [460, 200], [460, 290]], score: 0.48, overexposed: 0.64 };
  const white = makeLightResult('white', { regions: [partly], blownOutRegions: [band, star], stats: { overexposedShare: 0.081 } });
  // UV: a result made before blown-out areas were listed apart (no field): nothing is said of them.
  const uv = makeLightResult('uv-365', { regions: [region], stats: { overexposedShare: 0.002 } });
  const glared = makeApiComparison({ ...done, result: { ...done.result!, lights: [white, uv] } });
  const api = createTestApi(on('GET', '/api/comparisons/cmp0001', ok(glared)), on('GET', `/api/specimens/${reference.id}`, ok(reference)));
  const { container } = renderApp(api, '/comparisons/cmp0001?light=white');

  // Counted apart: one flagged region, in the list and in the caption.
  const list = await screen.findByRole('region', { name: 'Flagged regions (1)' });
  expect(container.querySelector('.compare__caption')).toHaveTextContent('1 flagged region ·');
  expect(within(list).getAllByRole('button', { name: /^Zoom to region / })).toHaveLength(1);
  expect(within(list).getByRole('button', { name: /^Zoom to region 1, score 0.55/ })).toHaveTextContent(
    'Questioned image blown out (glare) over 30 % of this region — the rest of it shows detail',
  );
  const apart = within(list).getByRole('region', { name: 'Blown out — not judged (2)' });
  expect(apart).toHaveTextContent('2 areas differ only where the questioned image is blown out (glare or overexposure): no detail shows there, so they are not judged or counted as differences.');
  const b1 = within(apart).getByRole('button', { name: 'Zoom to blown-out area B1, 1800 × 90 px at x 40, y 20 (reference); blown out in the questioned image (glare), over 97 % of this area — no detail shows there, not judged' });
  const b2 = within(apart).getByRole('button', { name: /^Zoom to blown-out area B2, 160 × 90 px at x 300, y 200 \(reference\); .* over 64 % of this area/ });
  // After the differences, in the panel's order; not scored, since not judged.
  expect(list.querySelector('.region-list')!.compareDocumentPosition(apart) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
  expect(apart.querySelector('meter')).toBeNull();
  // Outlined apart over the image, dashed and numbered B1, B2.
  await waitFor(() => expect(container.querySelector('[data-region-id="b1"]')).toHaveClass('region--blown-out'));
  expect(container.querySelector('[data-region-id="b2"] .region__label')).toHaveTextContent('B2');

  // Focused by keyboard like a region: Enter on the item selects it and its outline.
  const user = userEvent.setup();
  b2.focus();
  await user.keyboard('{Enter}');
  expect(b2).toHaveAttribute('aria-pressed', 'true');
  expect(b1).toHaveAttribute('aria-pressed', 'false');
  expect(container.querySelector('[data-region-id="b2"]')).toHaveClass('region--selected');

  // The heatmap legend names the dashed outlines.
  b2.blur();
  await user.keyboard('h');
  await waitFor(() => expect(container.querySelector('.compare')).toHaveAttribute('data-mode', 'heatmap'));
  expect(container.querySelector('.mode-controls')).toHaveTextContent('B: blown out, not judged');

  await user.keyboard('2');
  const uvList = await screen.findByRole('region', { name: 'Flagged regions (1)' });
  await waitFor(() => expect(container.querySelector('.compare')).toHaveAttribute('data-light', 'uv-365'));
  expect(uvList).not.toHaveTextContent(/not judged/);
  expect(container.querySelector('.mode-controls')).not.toHaveTextContent(/not judged/);
  expect(container.querySelector('[data-region-id^="b"]')).toBeNull();
});
