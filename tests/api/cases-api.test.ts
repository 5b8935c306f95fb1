/**
 * Cases and court exhibits over real HTTP on the real app: a real reference
 * document catalogued, a real questioned capture compared by the pipeline,
 * then a case built on them. Route × role (examiners manage, an assigned
 * prosecutor reads, an unassigned one gets 404, border officers and viewers
 * 403), notes and conclusion, every read audited, and exhibits: the same
 * case state gives byte-identical PDF and bundle, the bundle passes
 * `verifyBundle`, and a change (a note) gives a new exhibit whose custody
 * log carries the earlier downloads.
 */
import { getSchema } from '@exemplar/specimens-schema';
import { OPINION_SCALE, verifyBundle, type ExhibitInput } from '../../server/src/exhibits';
import { unzipBundle } from '../../server/src/exhibits/exhibit-fixture';
import { pdfTextRuns } from '../../server/src/exhibits/pdf-text';
import { buildTestApp, MINIMAL_SPECIMEN, multipartBody, sha256, type TestApp } from '../../server/src/test-helpers';
import { catalogue, DESIGNS, HOLDERS, renderCapture, waitForComparison } from './comparison-fixtures';

// A real comparison through the pipeline on a shared machine: slowness is not a failure.
jest.setTimeout(900_000);

let t: TestApp;
let specimenId: string;
let comparisonId: string;
/** The questioned white image the comparison was submitted with. */
let questionedWhite: Buffer;
/** How the submitter described the questioned document: the exhibit names it so. */
const SUBMITTER_NOTES = 'Utopia passport presented by the holder at Gate 4; seized for a reprinted date of birth.\nHolder says it was renewed in 2024.';

beforeAll(async () => {
  t = await buildTestApp({ EXEMPLAR_PIPELINE_THREADS: '1' });
  const reference = await renderCapture(DESIGNS.passport, HOLDERS.passportA, { dpi: 100, lights: ['white'], noiseSeed: 1 });
  const questioned = await renderCapture(DESIGNS.passport, HOLDERS.passportA, { dpi: 100, lights: ['white'], noiseSeed: 2, variant: { alterFields: { dateOfBirth: '1984-03-14' } } });
  const made = await catalogue(t, { title: 'Utopia passport, 2019 series (case reference)' }, [{ page: 'data-page', capture: reference }]);
  specimenId = made.specimen.id;
  questionedWhite = questioned.images.white!;
  const upload = multipartBody([
    { name: 'comparison', value: JSON.stringify({ reference: { specimenId, captureId: made.captures[0]!.id }, notes: SUBMITTER_NOTES }) },
    { name: 'white', filename: 'seized-white.png', data: questioned.images.white!, contentType: 'image/png' },
  ]);
  const submitted = await (await t.login('examiner')).inject({ method: 'POST', url: '/api/comparisons', payload: upload.payload, headers: upload.headers });
  expect(submitted.statusCode).toBe(202);
  comparisonId = submitted.json().id;
  expect((await waitForComparison(t, comparisonId)).status).toBe('done');
});

afterAll(async () => {
  await t?.close();
});

async function as(role: Parameters<TestApp['login']>[0]) {
  return t.login(role);
}

async function auditOf(target: string): Promise<Array<Record<string, any>>> {
  const res = await (await as('admin')).inject({ method: 'GET', url: `/api/audit?order=asc&limit=1000&target=${encodeURIComponent(target)}` });
  expect(res.statusCode).toBe(200);
  return res.json().items;
}

describe('case schema', () => {
  it('uses the opinion scale of the exhibits module', () => {
    const schema = getSchema('case') as unknown as { definitions: { opinion: { enum: string[] } } };
    expect(schema.definitions.opinion.enum).toEqual([...OPINION_SCALE]);
  });
});

describe('the comparison a case is built on', () => {
  it('is in the audit trail from submission to its outputs', async () => {
    const entries = await auditOf(`comparison:${comparisonId}`);
    expect(entries.map((e) => [e.action, e.actor])).toEqual([
      ['comparison.submit', 'examiner'],
      ['comparison.complete', 'comparison-runner'],
    ]);
    const done = (await (await as('examiner')).inject({ method: 'GET', url: `/api/comparisons/${comparisonId}` })).json();
    const white = done.result.lights.find((l: { lightSource: string }) => l.lightSource === 'white');
    expect(entries[1]!.hashes).toMatchObject({ 'white/aligned': white.outputs.aligned.sha256, 'white/heatmap': white.outputs.heatmap.sha256 });
  });
});

describe('/api/cases', () => {
  let caseId: string;

  it('lets an examiner open a case; the creator joins the examiners; assignments are checked', async () => {
    const examiner = await as('examiner');
    await as('prosecutor'); // the test user exists once logged in
    const res = await examiner.inject({
      method: 'POST',
      url: '/api/cases',
      payload: { title: 'Seizure at border post 7', reference: 'CR-2026/0042', prosecutors: ['prosecutor'], comparisons: [comparisonId], specimens: [specimenId] },
    });
    expect(res.statusCode).toBe(201);
    const c = res.json();
    caseId = c.id;
    expect(res.headers.location).toBe(`/api/cases/${caseId}`);
    expect(c).toMatchObject({ revision: 1, status: 'open', examiners: ['examiner'], prosecutors: ['prosecutor'], comparisons: [comparisonId], specimens: [specimenId], notes: [], createdBy: 'examiner' });
    expect(c).not.toHaveProperty('conclusion');

    const bad = await examiner.inject({ method: 'POST', url: '/api/cases', payload: { title: 'x', reference: 'y', prosecutors: ['nobody', 'examiner'], comparisons: ['AAAAAAAAAAAA'] } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().details.errors.map((e: { path: string }) => e.path)).toEqual(['/prosecutors/0', '/prosecutors/1', '/comparisons/0']);
    expect((await examiner.inject({ method: 'POST', url: '/api/cases', payload: { title: 'x' } })).statusCode).toBe(400);
  });

  it('answers each role as the policy says', async () => {
    const other = await (await as('admin')).inject({ method: 'POST', url: '/api/cases', payload: { title: 'Another case', reference: 'CR-2026/0099' } });
    expect(other.statusCode).toBe(201);
    const otherId = other.json().id;

    expect((await t.app.inject({ method: 'GET', url: `/api/cases/${caseId}` })).statusCode).toBe(401);
    for (const role of ['examiner', 'admin'] as const) {
      const user = await as(role);
      expect((await user.inject({ method: 'GET', url: `/api/cases/${caseId}` })).statusCode).toBe(200);
      expect((await user.inject({ method: 'GET', url: `/api/cases/${otherId}` })).statusCode).toBe(200);
      expect((await user.inject({ method: 'GET', url: '/api/cases' })).json().total).toBe(2);
    }
    const prosecutor = await as('prosecutor');
    expect((await prosecutor.inject({ method: 'GET', url: `/api/cases/${caseId}` })).statusCode).toBe(200);
    const hidden = await prosecutor.inject({ method: 'GET', url: `/api/cases/${otherId}` });
    expect(hidden.statusCode).toBe(404);
    expect(hidden.json().code).toBe('NOT_FOUND');
    expect((await prosecutor.inject({ method: 'GET', url: '/api/cases/AAAAAAAAAAAA' })).statusCode).toBe(404);
    // The comparisons of the case by name, though the prosecutor may not open a comparison itself.
    expect((await prosecutor.inject({ method: 'GET', url: `/api/comparisons/${comparisonId}` })).statusCode).toBe(403);
    const linked = await prosecutor.inject({ method: 'GET', url: `/api/cases/${caseId}/comparisons` });
    expect(linked.statusCode).toBe(200);
    expect(linked.json()).toEqual({
      items: [{ id: comparisonId, label: `${SUBMITTER_NOTES.split('\n')[0]} (uploaded as seized-white.png)`, status: 'done', submittedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) }],
    });
    expect((await prosecutor.inject({ method: 'GET', url: `/api/cases/${otherId}/comparisons` })).statusCode).toBe(404);
    const listed = (await prosecutor.inject({ method: 'GET', url: '/api/cases' })).json();
    expect(listed).toEqual({ total: 1, items: [expect.objectContaining({ id: caseId, reference: 'CR-2026/0042', opinion: null, proposition: null })] });
    expect((await prosecutor.inject({ method: 'PATCH', url: `/api/cases/${caseId}`, payload: { revision: 1, title: 'mine now' } })).statusCode).toBe(403);
    expect((await prosecutor.inject({ method: 'POST', url: `/api/cases/${caseId}/notes`, payload: { text: 'hello' } })).statusCode).toBe(403);
    expect((await prosecutor.inject({ method: 'POST', url: '/api/cases', payload: { title: 'x', reference: 'y' } })).statusCode).toBe(403);

    for (const role of ['border-officer', 'viewer'] as const) {
      const user = await as(role);
      expect((await user.inject({ method: 'GET', url: '/api/cases' })).statusCode).toBe(403);
      expect((await user.inject({ method: 'GET', url: `/api/cases/${caseId}` })).statusCode).toBe(403);
      expect((await user.inject({ method: 'GET', url: `/api/cases/${caseId}/exhibit.pdf` })).statusCode).toBe(403);
    }
  });

  it('audits every read of a case by who read it', async () => {
    const entries = await auditOf(`case:${caseId}`);
    expect(entries[0]).toMatchObject({ action: 'case.create', actor: 'examiner' });
    const reads = entries.filter((e) => e.action === 'case.read').map((e) => e.actor);
    expect(reads).toEqual(['examiner', 'admin', 'prosecutor']);
  });

  it('refuses an exhibit before the conclusion (409), then records notes and the conclusion', async () => {
    const examiner = await as('examiner');
    const early = await examiner.inject({ method: 'GET', url: `/api/cases/${caseId}/exhibit.pdf` });
    expect(early.statusCode).toBe(409);
    expect(early.json().details.reason).toBe('NO_CONCLUSION');

    const noted = await examiner.inject({ method: 'POST', url: `/api/cases/${caseId}/notes`, payload: { text: 'Date of birth reprinted over an erased field (white light).' } });
    expect(noted.statusCode).toBe(201);
    expect(noted.json().notes).toEqual([{ id: expect.any(String), author: 'examiner', at: noted.json().updatedAt, text: 'Date of birth reprinted over an erased field (white light).' }]);
    const revision = noted.json().revision;
    const stale = await examiner.inject({ method: 'PUT', url: `/api/cases/${caseId}/conclusion`, payload: { revision: revision - 1, opinion: 'elimination', proposition: 'genuine', statement: 'x' } });
    expect(stale.statusCode).toBe(409);
    expect(stale.json()).toMatchObject({ code: 'REVISION_CONFLICT', details: { currentRevision: revision } });
    expect((await examiner.inject({ method: 'PUT', url: `/api/cases/${caseId}/conclusion`, payload: { revision, opinion: 'maybe', proposition: 'genuine', statement: 'x' } })).statusCode).toBe(400);
    // An opinion answers a stated proposition ("did" what): without one, or with one not in the vocabulary, nothing is recorded.
    const unstated = await examiner.inject({ method: 'PUT', url: `/api/cases/${caseId}/conclusion`, payload: { revision, opinion: 'probably-did-not', statement: 'x' } });
    expect(unstated.statusCode).toBe(400);
    expect(JSON.stringify(unstated.json())).toContain('proposition');
    expect((await examiner.inject({ method: 'PUT', url: `/api/cases/${caseId}/conclusion`, payload: { revision, opinion: 'probably-did-not', proposition: 'forged', statement: 'x' } })).statusCode).toBe(400);
    const concluded = await examiner.inject({
      method: 'PUT',
      url: `/api/cases/${caseId}/conclusion`,
      payload: { revision, opinion: 'probably-did-not', proposition: 'genuine', statement: 'The questioned passport was probably not issued as genuine with these personal data.' },
    });
    expect(concluded.statusCode).toBe(200);
    expect(concluded.json().conclusion).toEqual({ opinion: 'probably-did-not', proposition: 'genuine', statement: expect.any(String), concludedBy: 'examiner', concludedAt: concluded.json().updatedAt });
    expect((await auditOf(`case:${caseId}`)).map((e) => e.action).slice(-2)).toEqual(['case.note', 'case.conclude']);
    expect((await auditOf(`case:${caseId}`)).at(-1)!.details).toMatchObject({ opinion: 'probably-did-not', proposition: 'genuine' });
    // The list gives the opinion with what it answers.
    const listed = (await examiner.inject({ method: 'GET', url: '/api/cases' })).json() as { items: { id: string }[] };
    expect(listed.items.find((c) => c.id === caseId)).toMatchObject({ opinion: 'probably-did-not', proposition: 'genuine' });
  });

  it('serves a deterministic PDF and bundle to the assigned prosecutor; the bundle verifies; downloads are audited', async () => {
    const prosecutor = await as('prosecutor');
    const pdf1 = await prosecutor.inject({ method: 'GET', url: `/api/cases/${caseId}/exhibit.pdf` });
    expect(pdf1.statusCode).toBe(200);
    expect(pdf1.headers['content-type']).toBe('application/pdf');
    expect(pdf1.headers['content-disposition']).toBe('attachment; filename="CR-2026-0042-exhibit.pdf"');
    expect(pdf1.rawPayload.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(pdf1.headers['x-exhibit-sha256']).toBe(sha256(pdf1.rawPayload));
    const pdf2 = await (await as('examiner')).inject({ method: 'GET', url: `/api/cases/${caseId}/exhibit.pdf` });
    expect(Buffer.compare(pdf1.rawPayload, pdf2.rawPayload)).toBe(0);
    // The conclusion in words: the scale's step applied to the proposition the examiner stated.
    const words = pdfTextRuns(pdf1.rawPayload).join(' ').replace(/\s+/g, ' ');
    expect(words).toContain("Proposition Genuine: produced by the issuing authority's process");
    expect(words).toContain("The examiner's opinion is that the questioned document probably was not produced by the issuing authority's process (is not genuine).");

    const zip1 = await prosecutor.inject({ method: 'GET', url: `/api/cases/${caseId}/exhibit.zip` });
    expect(zip1.statusCode).toBe(200);
    expect(zip1.headers['content-type']).toBe('application/zip');
    const zip2 = await prosecutor.inject({ method: 'GET', url: `/api/cases/${caseId}/exhibit.zip` });
    expect(sha256(zip2.rawPayload)).toBe(sha256(zip1.rawPayload));

    const verified = await verifyBundle(zip1.rawPayload);
    expect(verified.problems).toEqual([]);
    expect(verified.ok).toBe(true);
    expect(verified.case).toMatchObject({ id: caseId });
    expect(verified.custodyLog!.entries).toBeGreaterThan(0);

    const downloads = (await auditOf(`case:${caseId}`)).filter((e) => e.action === 'exhibit.download');
    expect(downloads.map((e) => [e.actor, e.details.format])).toEqual([
      ['prosecutor', 'pdf'],
      ['examiner', 'pdf'],
      ['prosecutor', 'zip'],
      ['prosecutor', 'zip'],
    ]);
    expect(downloads[0]!.hashes).toEqual({ report: sha256(pdf1.rawPayload) });
    expect(downloads[2]!.hashes.bundle).toBe(sha256(zip1.rawPayload));
    // The PDF download is built alone; it must still be the bundle's report.pdf.
    expect(downloads[2]!.hashes.report).toBe(sha256(pdf1.rawPayload));
  });

  it('puts the comparison\'s findings (the overtyped MRZ) in the PDF and the bundle record, per light, as the comparison reported them', async () => {
    const done = (await (await as('examiner')).inject({ method: 'GET', url: `/api/comparisons/${comparisonId}` })).json();
    const white = done.result.lights.find((l: { lightSource: string }) => l.lightSource === 'white');
    // The altered date of birth: the MRZ's birth-date and composite check digits fail.
    expect(white.findings).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'mrz-check-failed', fields: ['birthDate', 'composite'] })]));

    const zip = await (await as('prosecutor')).inject({ method: 'GET', url: `/api/cases/${caseId}/exhibit.zip` });
    const files = await unzipBundle(zip.rawPayload);
    const record = JSON.parse(files.get('exhibit.json')!.toString('utf8')) as ExhibitInput;
    const exhibited = record.comparisons.find((c) => c.id === comparisonId)!;
    expect(exhibited.lights.map((l) => [l.lightSource, l.findings])).toEqual(done.result.lights.map((l: { lightSource: string; findings: unknown }) => [l.lightSource, l.findings]));

    const runs = pdfTextRuns(files.get('report.pdf')!);
    const table = runs.slice(runs.indexOf('Document-check findings'), runs.indexOf('Zone verdicts'));
    expect(table).toEqual(expect.arrayContaining(['M1', 'mrz-check-failed', 'birthDate, composite']));
    const failed = white.findings.find((f: { kind: string }) => f.kind === 'mrz-check-failed');
    expect(table).toEqual(expect.arrayContaining([String(failed.box.x), String(failed.box.y), String(failed.box.width), String(failed.box.height)]));
    // The digits as the comparison recorded them, and the light the MRZ was read under.
    const birth = failed.checks.find((c: { field: string }) => c.field === 'birthDate');
    const words = table.join(' ').replace(/\s+/g, ' ');
    expect(words).toContain(`M1 — birthDate ${birth.data}: printed ${birth.printed}, its data give ${birth.expected}.`);
    expect(words).toContain('MRZ as read on the questioned image under White light (white)');
    expect(runs).not.toContain('Not recorded: the record of this comparison holds no document checks (MRZ check digits).');
    // The library matches recorded with the comparison (its reference was named): in the record as the API gave them, and in the report.
    expect(done.identification).not.toBeNull();
    expect(exhibited.identification).toEqual({ referenceChosenBy: 'submitter', method: done.identification.method, searched: done.identification.searched, candidates: done.identification.candidates });
    expect(runs.join(' ').replace(/\s+/g, ' ')).toContain(`The reference was named by the submitter; the questioned image was also ranked against ${done.identification.searched} library images`);
  });

  it('names the questioned document as the submitter described it: notes, file name, submitter and time, beside its hash', async () => {
    const done = (await (await as('examiner')).inject({ method: 'GET', url: `/api/comparisons/${comparisonId}` })).json();
    const zip = await (await as('prosecutor')).inject({ method: 'GET', url: `/api/cases/${caseId}/exhibit.zip` });
    const files = await unzipBundle(zip.rawPayload);
    const record = JSON.parse(files.get('exhibit.json')!.toString('utf8')) as ExhibitInput;
    const label = 'Utopia passport presented by the holder at Gate 4; seized for a reprinted date of birth. (uploaded as seized-white.png)';
    expect(record.questioned).toEqual([
      {
        id: comparisonId,
        label,
        description: SUBMITTER_NOTES,
        submittedBy: 'examiner',
        submittedAt: done.createdAt,
        images: [{ lightSource: 'white', key: expect.any(String), sha256: sha256(questionedWhite), originalName: 'seized-white.png' }],
      },
    ]);

    const words = pdfTextRuns(files.get('report.pdf')!).join(' ').replace(/\s+/g, ' ');
    expect(words).not.toContain('Questioned document of comparison');
    // On the cover, in the case record and on the comparison's page.
    expect(words.split(label).length - 1).toBeGreaterThanOrEqual(3);
    expect(words).toContain(`Submitted examiner, ${done.createdAt}`);
    expect(words).toContain(`Description ${SUBMITTER_NOTES.replace(/\s+/g, ' ')}`);
    expect(words).toContain('White light (white) — seized-white.png');
    expect(words).toContain(sha256(questionedWhite));
  });

  it('puts the alignment the differences rest on in the bundle record and on the light\'s page of the PDF, as the comparison recorded it', async () => {
    const done = (await (await as('examiner')).inject({ method: 'GET', url: `/api/comparisons/${comparisonId}` })).json();
    const zip = await (await as('prosecutor')).inject({ method: 'GET', url: `/api/cases/${caseId}/exhibit.zip` });
    const files = await unzipBundle(zip.rawPayload);
    const record = JSON.parse(files.get('exhibit.json')!.toString('utf8')) as ExhibitInput;
    const exhibited = record.comparisons.find((c) => c.id === comparisonId)!;
    expect(exhibited.anchorLight).toBe(done.result.anchorLight);
    expect(exhibited.alignment).toEqual(done.result.alignment);
    type Light = { lightSource: string; homography: number[]; registration: unknown; referenceSize: number[]; questionedSize: number[] };
    const pick = (l: Light) => [l.lightSource, l.homography, l.registration, l.referenceSize, l.questionedSize];
    expect(exhibited.lights.map(pick)).toEqual(done.result.lights.map(pick));
    // The areas differing only where the questioned image is blown out, listed apart as the comparison recorded them.
    const blownOut = (l: { lightSource: string; blownOutRegions?: unknown }) => [l.lightSource, l.blownOutRegions];
    for (const l of done.result.lights) expect(l.blownOutRegions).toEqual(expect.any(Array));
    expect(exhibited.lights.map(blownOut)).toEqual(done.result.lights.map(blownOut));

    const runs = pdfTextRuns(files.get('report.pdf')!);
    const page = runs.indexOf('Alignment');
    expect(page).toBeGreaterThan(0);
    const section = runs.slice(page, runs.indexOf('Regions of difference', page));
    const words = section.join(' ').replace(/\s+/g, ' ');
    expect(words).toContain(`${Number(done.result.alignment.rmse.toFixed(3))} px (reprojection error of the agreeing points, questioned pixels)`);
    expect(words).toContain(done.result.alignment.message.replace(/\s+/g, ' '));
    expect(words).toContain('White light aligned on its own features (aligned)');
    // The white light's homography (the anchor's), every number as recorded.
    const white = done.result.lights.find((l: Light) => l.lightSource === 'white') as Light;
    expect(white.homography).toEqual(done.result.alignment.homography);
    expect(section.slice(section.indexOf("x'"))).toEqual(expect.arrayContaining(white.homography.map(String)));
  });

  it('gives a new exhibit after a change, whose custody log holds the earlier downloads', async () => {
    const before = await (await as('prosecutor')).inject({ method: 'GET', url: `/api/cases/${caseId}/exhibit.zip` });
    const examiner = await as('examiner');
    expect((await examiner.inject({ method: 'POST', url: `/api/cases/${caseId}/notes`, payload: { text: 'Reviewed by a second examiner.' } })).statusCode).toBe(201);
    const after = await (await as('prosecutor')).inject({ method: 'GET', url: `/api/cases/${caseId}/exhibit.zip` });
    expect(sha256(after.rawPayload)).not.toBe(sha256(before.rawPayload));
    const verified = await verifyBundle(after.rawPayload);
    expect(verified.ok).toBe(true);
    const full = await auditOf(`case:${caseId}`);
    const lastWrite = full.map((e) => e.action).lastIndexOf('case.note');
    // Every entry about the case up to the note (downloads included) is in the bundle's custody log.
    expect(verified.custodyLog!.entries).toBeGreaterThanOrEqual(lastWrite + 1);
  });

  it('makes an exhibit of a case without comparisons (reference specimens only)', async () => {
    const examiner = await as('examiner');
    const created = await examiner.inject({ method: 'POST', url: '/api/cases', payload: { title: 'Reference only', reference: 'CR-2026/0043', specimens: [specimenId] } });
    const concluded = await examiner.inject({
      method: 'PUT',
      url: `/api/cases/${created.json().id}/conclusion`,
      payload: { revision: created.json().revision, opinion: 'no-conclusion', proposition: 'common-origin', statement: 'No questioned material was submitted.' },
    });
    expect(concluded.statusCode).toBe(200);
    const zip = await examiner.inject({ method: 'GET', url: `/api/cases/${created.json().id}/exhibit.zip` });
    expect(zip.statusCode).toBe(200);
    expect((await verifyBundle(zip.rawPayload)).ok).toBe(true);
  });

  it('closes a case: changes refused until it is reopened', async () => {
    const examiner = await as('examiner');
    let c = (await examiner.inject({ method: 'GET', url: `/api/cases/${caseId}` })).json();
    const closed = await examiner.inject({ method: 'PATCH', url: `/api/cases/${caseId}`, payload: { revision: c.revision, status: 'closed' } });
    expect(closed.statusCode).toBe(200);
    c = closed.json();
    const refused = await examiner.inject({ method: 'PATCH', url: `/api/cases/${caseId}`, payload: { revision: c.revision, title: 'Edited after closing' } });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().details.reason).toBe('CASE_CLOSED');
    expect((await examiner.inject({ method: 'POST', url: `/api/cases/${caseId}/notes`, payload: { text: 'late' } })).statusCode).toBe(409);
    const reopened = await examiner.inject({ method: 'PATCH', url: `/api/cases/${caseId}`, payload: { revision: c.revision, status: 'open', title: 'Seizure at border post 7 (reopened)' } });
    expect(reopened.statusCode).toBe(200);
    expect(reopened.json()).toMatchObject({ status: 'open', title: 'Seizure at border post 7 (reopened)' });
    expect((await examiner.inject({ method: 'GET', url: '/api/cases?status=closed' })).json().total).toBe(0);
  });

  it('leaves out of the exhibit a library match classified above what its readers may see, saying so', async () => {
    const examiner = await as('examiner');
    const setClassification = async (classification: string) => {
      const current = (await examiner.inject({ method: 'GET', url: `/api/specimens/${specimenId}` })).json();
      const res = await examiner.inject({ method: 'PATCH', url: `/api/specimens/${specimenId}`, payload: { revision: current.revision, classification } });
      expect(res.statusCode).toBe(200);
    };
    const exhibited = async () => {
      const files = await unzipBundle((await (await as('examiner')).inject({ method: 'GET', url: `/api/cases/${caseId}/exhibit.zip` })).rawPayload);
      const record = JSON.parse(files.get('exhibit.json')!.toString('utf8')) as ExhibitInput;
      return { identification: record.comparisons.find((c) => c.id === comparisonId)!.identification!, words: pdfTextRuns(files.get('report.pdf')!).join(' ').replace(/\s+/g, ' ') };
    };
    // The only match recorded is the case's own reference specimen: public, it is named.
    const open = await exhibited();
    expect(open.identification.candidates.map((c) => c.specimenId)).toEqual([specimenId]);
    expect(open.identification.withheld).toBeUndefined();
    // Confidential, the examiner who ran the comparison could see it; a prosecutor reading the exhibit may not.
    await setClassification('confidential');
    try {
      const closed = await exhibited();
      expect(closed.identification.candidates).toEqual([]);
      expect(closed.identification.withheld).toBe(1);
      expect(closed.words).toContain('1 recorded match is left out: classified above what every reader of this exhibit may see, or deleted since.');
    } finally {
      await setClassification('public');
    }
  });
});

describe('evidence a case relies on', () => {
  it('keeps the reference capture and specimen of a comparison in a case: deleting them is refused and the original stays', async () => {
    const examiner = await as('examiner');
    const opened = await examiner.inject({ method: 'POST', url: '/api/cases', payload: { title: 'Reference capture kept', reference: 'CR-2026/0076', comparisons: [comparisonId] } });
    expect(opened.statusCode).toBe(201);
    const specimen = (await examiner.inject({ method: 'GET', url: `/api/specimens/${specimenId}` })).json();
    const capture = specimen.captures[0];
    const original = capture.images[0].sha256;

    const deleteCapture = await examiner.inject({ method: 'DELETE', url: `/api/specimens/${specimenId}/captures/${capture.id}?revision=${specimen.revision}` });
    expect(deleteCapture.statusCode).toBe(409);
    expect(deleteCapture.json()).toMatchObject({ code: 'CONFLICT', details: { reason: 'EVIDENCE', comparisons: [comparisonId] } });
    expect(deleteCapture.json().details.cases).toContain(opened.json().id);

    const deleteSpecimen = await (await as('admin')).inject({ method: 'DELETE', url: `/api/specimens/${specimenId}` });
    expect(deleteSpecimen.statusCode).toBe(409);
    expect(deleteSpecimen.json()).toMatchObject({ code: 'CONFLICT', details: { reason: 'EVIDENCE', comparisons: [comparisonId] } });

    const after = (await examiner.inject({ method: 'GET', url: `/api/specimens/${specimenId}` })).json();
    expect({ revision: after.revision, captures: after.captures.map((c: { id: string }) => c.id) }).toEqual({ revision: specimen.revision, captures: [capture.id] });
    const download = await examiner.inject({ method: 'GET', url: `/api/images/${original}` });
    expect(download.statusCode).toBe(200);
    expect(sha256(download.rawPayload)).toBe(original);
  });

  it('keeps a reference specimen a case lists until the case no longer lists it', async () => {
    const examiner = await as('examiner');
    const listed = (await examiner.inject({ method: 'POST', url: '/api/specimens', payload: { ...MINIMAL_SPECIMEN, title: 'Listed in a case only' } })).json();
    const opened = await examiner.inject({ method: 'POST', url: '/api/cases', payload: { title: 'Reference kept', reference: 'CR-2026/0077', specimens: [listed.id] } });
    expect(opened.statusCode).toBe(201);

    const refused = await examiner.inject({ method: 'DELETE', url: `/api/specimens/${listed.id}` });
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ details: { reason: 'EVIDENCE', cases: [opened.json().id], comparisons: [] } });

    const unlisted = await examiner.inject({ method: 'PATCH', url: `/api/cases/${opened.json().id}`, payload: { revision: opened.json().revision, specimens: [] } });
    expect(unlisted.statusCode).toBe(200);
    expect((await examiner.inject({ method: 'DELETE', url: `/api/specimens/${listed.id}` })).statusCode).toBe(204);
  });
});

describe('a questioned document that came in through a verification request', () => {
  it("puts the request's submission and the reads of its images in the custody log of a case built on the linked comparison", async () => {
    const officer = await as('border-officer');
    const examiner = await as('examiner');
    const prosecutor = await as('prosecutor');
    const { payload, headers } = multipartBody([
      { name: 'request', value: JSON.stringify({ urgency: 'routine', location: 'Port 3' }) },
      { name: 'white', filename: 'seized-white.png', data: questionedWhite, contentType: 'image/png' },
    ]);
    const submitted = await officer.inject({ method: 'POST', url: '/api/verification-requests', payload, headers });
    expect(submitted.statusCode).toBe(201);
    const request = submitted.json();
    // The same bytes as the comparison's questioned image: the examiner reads them and links the comparison.
    expect(request.questioned.white.sha256).toBe(sha256(questionedWhite));
    expect((await examiner.inject({ method: 'POST', url: `/api/verification-requests/${request.id}/claim`, payload: {} })).statusCode).toBe(200);
    expect((await examiner.inject({ method: 'GET', url: request.questioned.white.url })).statusCode).toBe(200);
    const linked = await examiner.inject({ method: 'POST', url: `/api/verification-requests/${request.id}/comparisons`, payload: { comparisonId } });
    expect(linked.statusCode).toBe(200);

    const opened = await examiner.inject({ method: 'POST', url: '/api/cases', payload: { title: 'Seizure at port 3', reference: 'CR-2026/0078', prosecutors: ['prosecutor'], comparisons: [comparisonId] } });
    expect(opened.statusCode).toBe(201);
    const concluded = await examiner.inject({
      method: 'PUT',
      url: `/api/cases/${opened.json().id}/conclusion`,
      payload: { revision: opened.json().revision, opinion: 'probably-did-not', proposition: 'genuine', statement: 'Altered date of birth.' },
    });
    expect(concluded.statusCode).toBe(200);
    const zip = await prosecutor.inject({ method: 'GET', url: `/api/cases/${opened.json().id}/exhibit.zip` });
    expect(zip.statusCode).toBe(200);
    const custody = JSON.parse((await unzipBundle(zip.rawPayload)).get('custody-log.json')!.toString('utf8')) as Array<Record<string, any>>;
    const aboutRequest = custody.filter((e) => e.target === `verification-request:${request.id}`).map((e) => [e.action, e.actor]);
    expect(aboutRequest).toEqual(expect.arrayContaining([
      ['verification.submit', 'border-officer'],
      ['verification.claim', 'examiner'],
      ['image.read-original', 'examiner'],
      ['verification.link-comparison', 'examiner'],
    ]));
    expect((await verifyBundle(zip.rawPayload)).ok).toBe(true);
  });
});

describe('reads of the same image bytes outside the case', () => {
  it('leaves out of the custody log a read made through a comparison the case does not link, keeping those made through its own', async () => {
    const examiner = await as('examiner');
    const prosecutor = await as('prosecutor');
    const done = (await examiner.inject({ method: 'GET', url: `/api/comparisons/${comparisonId}` })).json();
    // Another comparison of the very same bytes (content-addressed: the same stored object), cancelled at once: no work needed.
    const other = multipartBody([
      { name: 'comparison', value: JSON.stringify({ reference: done.request.reference, notes: 'Unrelated submission of the same image.' }) },
      { name: 'white', filename: 'elsewhere.png', data: questionedWhite, contentType: 'image/png' },
    ]);
    const submitted = await examiner.inject({ method: 'POST', url: '/api/comparisons', payload: other.payload, headers: other.headers });
    expect(submitted.statusCode).toBe(202);
    const otherId = submitted.json().id as string;
    expect((await examiner.inject({ method: 'DELETE', url: `/api/comparisons/${otherId}` })).statusCode).toBe(200);
    expect((await examiner.inject({ method: 'GET', url: `/api/comparisons/${otherId}/questioned/white` })).statusCode).toBe(200);
    expect((await examiner.inject({ method: 'GET', url: `/api/comparisons/${comparisonId}/questioned/white` })).statusCode).toBe(200);
    const imageTarget = `image:${sha256(questionedWhite)}`;
    expect((await auditOf(imageTarget)).map((e) => e.details?.comparisonId)).toEqual(expect.arrayContaining([otherId, comparisonId]));

    const opened = await examiner.inject({ method: 'POST', url: '/api/cases', payload: { title: 'Same bytes elsewhere', reference: 'CR-2026/0080', prosecutors: ['prosecutor'], comparisons: [comparisonId] } });
    const concluded = await examiner.inject({ method: 'PUT', url: `/api/cases/${opened.json().id}/conclusion`, payload: { revision: opened.json().revision, opinion: 'no-conclusion', proposition: 'genuine', statement: 'Custody only.' } });
    expect(concluded.statusCode).toBe(200);
    const zip = await prosecutor.inject({ method: 'GET', url: `/api/cases/${opened.json().id}/exhibit.zip` });
    expect(zip.statusCode).toBe(200);
    const custody = JSON.parse((await unzipBundle(zip.rawPayload)).get('custody-log.json')!.toString('utf8')) as Array<Record<string, any>>;
    const reads = custody.filter((e) => e.target === imageTarget && e.action === 'image.read-original').map((e) => e.details?.comparisonId);
    expect(reads).toContain(comparisonId);
    expect(reads).not.toContain(otherId);
    expect(JSON.stringify(custody)).not.toContain(otherId);
    expect((await verifyBundle(zip.rawPayload)).ok).toBe(true);
  });
});

describe('outputs of a comparison a case is built on', () => {
  it('records who downloaded one, with its hash, in the custody log of the case', async () => {
    const examiner = await as('examiner');
    const prosecutor = await as('prosecutor');
    const done = (await examiner.inject({ method: 'GET', url: `/api/comparisons/${comparisonId}` })).json();
    const heatmap = done.result.lights.find((l: { lightSource: string }) => l.lightSource === 'white').outputs.heatmap;
    const got = await examiner.inject({ method: 'GET', url: heatmap.url });
    expect(got.statusCode).toBe(200);
    expect(sha256(got.rawPayload)).toBe(heatmap.sha256);
    const entries = await auditOf(`comparison:${comparisonId}`);
    expect(entries[entries.length - 1]).toMatchObject({ action: 'comparison.read-output', actor: 'examiner', hashes: { output: heatmap.sha256 }, details: { name: heatmap.name } });

    // A read joins the custody log at the case's next write, and never changes the exhibit on its own.
    const opened = await examiner.inject({ method: 'POST', url: '/api/cases', payload: { title: 'Outputs read', reference: 'CR-2026/0079', prosecutors: ['prosecutor'], comparisons: [comparisonId] } });
    const concluded = await examiner.inject({ method: 'PUT', url: `/api/cases/${opened.json().id}/conclusion`, payload: { revision: opened.json().revision, opinion: 'no-conclusion', proposition: 'genuine', statement: 'Outputs only.' } });
    expect(concluded.statusCode).toBe(200);
    const first = await prosecutor.inject({ method: 'GET', url: `/api/cases/${opened.json().id}/exhibit.zip` });
    const custody = JSON.parse((await unzipBundle(first.rawPayload)).get('custody-log.json')!.toString('utf8')) as Array<Record<string, any>>;
    expect(custody).toEqual(expect.arrayContaining([expect.objectContaining({ action: 'comparison.read-output', actor: 'examiner', target: `comparison:${comparisonId}` })]));
    expect((await examiner.inject({ method: 'GET', url: heatmap.url })).statusCode).toBe(200);
    const second = await prosecutor.inject({ method: 'GET', url: `/api/cases/${opened.json().id}/exhibit.zip` });
    expect(sha256(second.rawPayload)).toBe(sha256(first.rawPayload));
  });

  it('records a download only when the output is sent: a conditional GET answered 304, or a HEAD, records nothing', async () => {
    const examiner = await as('examiner');
    const done = (await examiner.inject({ method: 'GET', url: `/api/comparisons/${comparisonId}` })).json();
    const aligned = done.result.lights.find((l: { lightSource: string }) => l.lightSource === 'white').outputs.aligned;
    const reads = async () => (await auditOf(`comparison:${comparisonId}`)).filter((e) => e.action === 'comparison.read-output');
    const before = (await reads()).length;

    const notModified = await examiner.inject({ method: 'GET', url: aligned.url, headers: { 'if-none-match': `"${aligned.sha256}"` } });
    expect(notModified.statusCode).toBe(304);
    expect(notModified.rawPayload.length).toBe(0);
    const head = await examiner.inject({ method: 'HEAD', url: aligned.url });
    expect(head.statusCode).toBe(200);
    expect(head.rawPayload.length).toBe(0);
    expect(await reads()).toHaveLength(before);

    const got = await examiner.inject({ method: 'GET', url: aligned.url });
    expect(got.statusCode).toBe(200);
    expect(sha256(got.rawPayload)).toBe(aligned.sha256);
    const afterGet = await reads();
    expect(afterGet).toHaveLength(before + 1);
    expect(afterGet[afterGet.length - 1]).toMatchObject({ actor: 'examiner', hashes: { output: aligned.sha256 }, details: { name: aligned.name } });
    const part = await examiner.inject({ method: 'GET', url: aligned.url, headers: { range: 'bytes=0-99' } });
    expect(part.statusCode).toBe(206);
    expect(await reads()).toHaveLength(before + 2);
  });
});
