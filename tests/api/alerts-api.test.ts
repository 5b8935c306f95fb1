/**
 * Document intelligence alerts through the real app (inject, real SQLite
 * file, real images through the ingest pipeline): drafting against a
 * fraudulent specimen, the four-eyes approval, what border officers and
 * viewers see, "new alerts" by time, the Atom feed parsed as XML, and the
 * audit trail of every write.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { Alert, Specimen } from '@exemplar/specimens-schema';
import { systemActor } from '../../server/src/services/actor';
import { buildTestApp, injectWith, makeTestImage, MINIMAL_SPECIMEN, type LoggedIn, type TestApp } from '../../server/src/test-helpers';

let t: TestApp;
let examiner: LoggedIn;
let second: LoggedIn;
let officer: LoggedIn;
let viewer: LoggedIn;
let fraud: Specimen;
let genuine: Specimen;

async function loginAs(username: string, role: 'examiner'): Promise<LoggedIn> {
  const password = randomBytes(12).toString('base64url');
  await t.context.services.auth.createUser({ username, role, password }, systemActor('test'));
  const res = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password } });
  expect(res.statusCode).toBe(200);
  const { token, csrfToken } = res.json<{ token: string; csrfToken: string }>();
  const headers = { authorization: `Bearer ${token}` };
  return { username, role, headers, token, csrfToken, inject: injectWith(t.app, headers) };
}

async function specimenWithCapture(status: string, extra: Record<string, unknown> = {}): Promise<Specimen> {
  const actor = systemActor('test');
  const created = await t.context.services.specimens.create({ ...MINIMAL_SPECIMEN, status, ...extra }, actor);
  const file = path.join(t.config.tmpDir, `img-${created.id}.png`);
  await fs.mkdir(t.config.tmpDir, { recursive: true });
  await fs.writeFile(file, await makeTestImage({ width: 320, height: 200, format: 'png', seed: 3 }));
  await t.context.services.ingest.addCapture(
    created.id,
    { page: 'data-page', zones: [{ type: 'watermark', polygon: [[10, 10], [100, 10], [100, 80]], lightSources: ['white'], personalised: false }] },
    [{ lightSource: 'white', path: file }],
    actor,
  );
  await fs.rm(file);
  const stored = await t.context.catalog.specimens.get(created.id);
  if (!stored) throw new Error('specimen vanished');
  return stored;
}

function draftBody(specimen: Specimen, overrides: Record<string, unknown> = {}) {
  const capture = specimen.captures[0]!;
  return {
    title: 'Counterfeit Utopia passports, 2019 series: <watermark> & "thread"',
    summary: 'Seized at two airports; the watermark is printed, not embedded.',
    checks: [
      { text: 'Hold against the light: the watermark must show in transmitted light only.', image: { captureId: capture.id, lightSource: 'white' }, zoneIds: [capture.zones[0]!.id] },
      { text: 'Check the laminate edge.' },
    ],
    specimenId: specimen.id,
    affected: { issuingState: 'UTO', documentCategory: 'passport', documentCode: 'P', series: '2019' },
    severity: 'high',
    ...overrides,
  };
}

async function draft(by: LoggedIn, body: unknown = draftBody(fraud)): Promise<Alert> {
  const res = await by.inject({ method: 'POST', url: '/api/alerts', payload: body as Record<string, unknown> });
  expect(res.statusCode).toBe(201);
  return res.json<Alert>();
}

async function act(by: LoggedIn, alert: Alert, action: string, extra: Record<string, unknown> = {}) {
  return by.inject({ method: 'POST', url: `/api/alerts/${alert.id}/${action}`, payload: { revision: alert.revision, ...extra } });
}

/** Drafted by `examiner`, approved by `second`. */
async function publish(body: unknown = draftBody(fraud)): Promise<Alert> {
  const drafted = await draft(examiner, body);
  const submitted = await act(examiner, drafted, 'submit');
  expect(submitted.statusCode).toBe(200);
  const approved = await act(second, submitted.json<Alert>(), 'approve');
  expect(approved.statusCode).toBe(200);
  return approved.json<Alert>();
}

beforeAll(async () => {
  t = await buildTestApp();
  examiner = await t.login('examiner');
  second = await loginAs('examiner-two', 'examiner');
  officer = await t.login('border-officer');
  viewer = await t.login('viewer');
  fraud = await specimenWithCapture('counterfeit', { title: 'Counterfeit Utopia passport' });
  genuine = await specimenWithCapture('genuine');
});
afterAll(async () => {
  await t.close();
});

describe('drafting', () => {
  it('creates a draft linked to a fraudulent specimen, with history and authorship', async () => {
    const alert = await draft(examiner);
    expect(alert).toMatchObject({ status: 'draft', revision: 1, draftedBy: 'examiner', specimenId: fraud.id, severity: 'high' });
    expect(alert.history).toEqual([{ action: 'create', actor: 'examiner', at: alert.createdAt }]);
    const audit = await t.context.services.audit.list(systemActor('test'), { target: `alert:${alert.id}` });
    expect(audit.items.map((e) => e.action)).toEqual(['alert.create']);
  });

  it('refuses a genuine specimen, an unknown one, and checks pointing outside the specimen', async () => {
    const onGenuine = await examiner.inject({ method: 'POST', url: '/api/alerts', payload: draftBody(genuine, { checks: [{ text: 'x' }] }) });
    expect(onGenuine.statusCode).toBe(400);
    expect(onGenuine.json().details.errors).toEqual([expect.objectContaining({ path: '/specimenId', keyword: 'fraudulentSpecimen' })]);

    const unknown = await examiner.inject({ method: 'POST', url: '/api/alerts', payload: draftBody(fraud, { specimenId: 'NoSuchSpecimen1' }) });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().details.errors[0]).toMatchObject({ path: '/specimenId', keyword: 'specimenExists' });

    const capture = fraud.captures[0]!;
    const badRefs = await examiner.inject({
      method: 'POST',
      url: '/api/alerts',
      payload: draftBody(fraud, {
        checks: [
          { text: 'a', image: { captureId: capture.id, lightSource: 'uv-365' } },
          { text: 'b', image: { captureId: capture.id, lightSource: 'white' }, zoneIds: ['NotAZoneId12'] },
          { text: 'c', image: { captureId: genuine.captures[0]!.id, lightSource: 'white' } },
        ],
      }),
    });
    expect(badRefs.statusCode).toBe(400);
    expect(badRefs.json().details.errors.map((e: { path: string }) => e.path)).toEqual(['/checks/0/image/lightSource', '/checks/1/zoneIds/0', '/checks/2/image/captureId']);
  });

  it('refuses drafting to border officers and viewers', async () => {
    for (const who of [officer, viewer]) {
      const res = await who.inject({ method: 'POST', url: '/api/alerts', payload: draftBody(fraud) });
      expect(res.statusCode).toBe(403);
      expect(res.json().code).toBe('FORBIDDEN');
    }
  });

  it('answers 401 without credentials', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/api/alerts' })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'GET', url: '/api/alerts/feed.atom' })).statusCode).toBe(401);
  });
});

describe('four eyes', () => {
  it('refuses approval by the drafter, and by an examiner who edited the alert', async () => {
    const drafted = await draft(examiner);
    const submitted = (await act(examiner, drafted, 'submit')).json<Alert>();
    expect(submitted.status).toBe('pending-approval');

    const self = await act(examiner, submitted, 'approve');
    expect(self.statusCode).toBe(403);
    expect(self.json()).toMatchObject({ code: 'FOUR_EYES_REQUIRED' });

    // The second examiner edits it: it goes back to draft, and now neither may approve it.
    const edited = await second.inject({ method: 'PATCH', url: `/api/alerts/${submitted.id}`, payload: { revision: submitted.revision, severity: 'critical' } });
    expect(edited.statusCode).toBe(200);
    expect(edited.json<Alert>()).toMatchObject({ status: 'draft', severity: 'critical' });
    const resubmitted = (await act(examiner, edited.json<Alert>(), 'submit')).json<Alert>();
    for (const who of [examiner, second]) {
      const res = await act(who, resubmitted, 'approve');
      expect(res.statusCode).toBe(403);
      expect(res.json().code).toBe('FOUR_EYES_REQUIRED');
    }
    const admin = await t.login('admin');
    const approved = await act(admin, resubmitted, 'approve');
    expect(approved.statusCode).toBe(200);
    expect(approved.json<Alert>()).toMatchObject({ status: 'published', approvedBy: 'admin', draftedBy: 'examiner' });
    expect(approved.json<Alert>().history.map((h) => [h.action, h.actor])).toEqual([
      ['create', 'examiner'],
      ['submit', 'examiner'],
      ['edit', 'examiner-two'],
      ['submit', 'examiner'],
      ['approve', 'admin'],
    ]);
  });

  it('publishes once a second examiner approves; published alerts cannot be edited, only withdrawn', async () => {
    const published = await publish();
    expect(published).toMatchObject({ status: 'published', approvedBy: 'examiner-two' });
    expect(Date.parse(published.publishedAt!)).not.toBeNaN();

    const edit = await examiner.inject({ method: 'PATCH', url: `/api/alerts/${published.id}`, payload: { revision: published.revision, title: 'changed' } });
    expect(edit.statusCode).toBe(409);
    expect(edit.json()).toMatchObject({ code: 'ALERT_STATE', details: { status: 'published' } });

    const stale = await act(second, { ...published, revision: published.revision - 1 }, 'withdraw');
    expect(stale.statusCode).toBe(409);
    expect(stale.json()).toMatchObject({ code: 'REVISION_CONFLICT', details: { currentRevision: published.revision } });

    const officerWithdraw = await act(officer, published, 'withdraw');
    expect(officerWithdraw.statusCode).toBe(403);

    const withdrawn = await act(second, published, 'withdraw', { note: 'superseded' });
    expect(withdrawn.statusCode).toBe(200);
    expect(withdrawn.json<Alert>()).toMatchObject({ status: 'withdrawn', withdrawnBy: 'examiner-two' });
    expect(withdrawn.json<Alert>().history.at(-1)).toMatchObject({ action: 'withdraw', note: 'superseded' });
    expect((await officer.inject({ method: 'GET', url: `/api/alerts/${published.id}` })).statusCode).toBe(404);

    const audit = await t.context.services.audit.list(systemActor('test'), { target: `alert:${published.id}` });
    expect(audit.items.map((e) => e.action).sort()).toEqual(['alert.approve', 'alert.create', 'alert.submit', 'alert.withdraw']);
  });

  it('a rejected alert returns to draft; only drafts can be deleted', async () => {
    const drafted = await draft(examiner);
    const submitted = (await act(examiner, drafted, 'submit')).json<Alert>();
    const del = await examiner.inject({ method: 'DELETE', url: `/api/alerts/${submitted.id}?revision=${submitted.revision}` });
    expect(del.statusCode).toBe(409);
    const rejected = await act(second, submitted, 'reject', { note: 'add the UV view' });
    expect(rejected.json<Alert>()).toMatchObject({ status: 'draft' });
    expect(rejected.json<Alert>().submittedAt).toBeUndefined();
    const gone = await examiner.inject({ method: 'DELETE', url: `/api/alerts/${submitted.id}?revision=${rejected.json<Alert>().revision}` });
    expect(gone.statusCode).toBe(204);
    expect((await examiner.inject({ method: 'GET', url: `/api/alerts/${submitted.id}` })).statusCode).toBe(404);
  });
});

describe('reading', () => {
  it('border officers and viewers see published alerts only; drafts answer 404', async () => {
    const drafted = await draft(examiner);
    const published = await publish();
    for (const who of [officer, viewer]) {
      expect((await who.inject({ method: 'GET', url: `/api/alerts/${drafted.id}` })).statusCode).toBe(404);
      const one = await who.inject({ method: 'GET', url: `/api/alerts/${published.id}` });
      expect(one.statusCode).toBe(200);
      expect(one.json<Alert>().id).toBe(published.id);
      const list = await who.inject({ method: 'GET', url: '/api/alerts?status=draft&limit=200' });
      expect(list.statusCode).toBe(200);
      const items = list.json<{ items: Alert[]; total: number }>().items;
      expect(items.length).toBeGreaterThan(0);
      expect(items.every((a) => a.status === 'published')).toBe(true);
    }
    const drafts = await examiner.inject({ method: 'GET', url: '/api/alerts?status=draft&limit=200' });
    expect(drafts.json<{ items: Alert[] }>().items.map((a) => a.id)).toContain(drafted.id);
    // Prosecutors have no alerts:read.
    const prosecutor = await t.login('prosecutor');
    expect((await prosecutor.inject({ method: 'GET', url: '/api/alerts' })).statusCode).toBe(403);
  });

  it('publishes at the specimen classification: viewers miss restricted alerts, confidential specimens cannot be published about', async () => {
    const restricted = await specimenWithCapture('counterfeit', { title: 'Restricted counterfeit', classification: 'restricted' });
    const published = await publish(draftBody(restricted));
    expect(published.classification).toBe('restricted');
    expect((await officer.inject({ method: 'GET', url: `/api/alerts/${published.id}` })).statusCode).toBe(200);
    expect((await viewer.inject({ method: 'GET', url: `/api/alerts/${published.id}` })).statusCode).toBe(404);
    const viewerList = await viewer.inject({ method: 'GET', url: '/api/alerts?limit=200' });
    expect(viewerList.json<{ items: Alert[] }>().items.map((a) => a.id)).not.toContain(published.id);
    const officerList = await officer.inject({ method: 'GET', url: '/api/alerts?limit=200' });
    expect(officerList.json<{ items: Alert[] }>().items.map((a) => a.id)).toContain(published.id);
    const viewerFeed = await viewer.inject({ method: 'GET', url: '/api/alerts/feed.atom' });
    expect(viewerFeed.body).not.toContain(published.id);

    const confidential = await specimenWithCapture('counterfeit', { title: 'Confidential counterfeit', classification: 'confidential' });
    const drafted = await draft(examiner, draftBody(confidential));
    const submitted = (await act(examiner, drafted, 'submit')).json<Alert>();
    const refused = await act(second, submitted, 'approve');
    expect(refused.statusCode).toBe(400);
    expect(refused.json<{ code: string }>().code).toBe('VALIDATION_FAILED');
  });

  it('?since= gives the alerts published after that time, newest first', async () => {
    const before = await publish();
    const mark = before.publishedAt!;
    await new Promise((r) => setTimeout(r, 5));
    const a = await publish(draftBody(fraud, { title: 'First new alert' }));
    const b = await publish(draftBody(fraud, { title: 'Second new alert' }));
    const res = await officer.inject({ method: 'GET', url: `/api/alerts?since=${encodeURIComponent(mark)}` });
    expect(res.statusCode).toBe(200);
    const ids = res.json<{ items: Alert[] }>().items.map((x) => x.id);
    expect(ids).toEqual([b.id, a.id]);
    expect((await officer.inject({ method: 'GET', url: '/api/alerts?since=yesterday' })).statusCode).toBe(400);
  });
});

describe('Atom feed', () => {
  it('is well-formed Atom 1.0 with the published alerts only, escaped, newest first, and stable', async () => {
    const drafted = await draft(examiner, draftBody(fraud, { title: 'Draft only <secret>' }));
    const published = await publish(draftBody(fraud, { title: 'Feed <b>bold</b> & "quoted" \u0007bell', summary: 'a < b & c > d' }));

    // A feed reader with a personal API token (Bearer), as a border post would configure it.
    const res = await officer.inject({ method: 'GET', url: '/api/alerts/feed.atom' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/atom\+xml/);
    expect(XMLValidator.validate(res.body)).toBe(true);

    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', isArray: (name) => name === 'entry' || name === 'link' }).parse(res.body);
    const feed = doc.feed;
    expect(feed['@xmlns']).toBe('http://www.w3.org/2005/Atom');
    expect(feed.id).toMatch(/^urn:exemplar:/);
    expect(typeof feed.title).toBe('string');
    const entries = feed.entry as Array<Record<string, any>>;
    expect(entries.every((e) => /^urn:exemplar:alert:/.test(e.id))).toBe(true);
    expect(entries.map((e) => e.id)).not.toContain(`urn:exemplar:alert:${drafted.id}`);
    const mine = entries.find((e) => e.id === `urn:exemplar:alert:${published.id}`)!;
    expect(mine.title['#text']).toBe('Feed <b>bold</b> & "quoted" bell');
    expect(mine.summary['#text']).toBe('a < b & c > d');
    expect(mine.updated).toBe(published.publishedAt);
    expect(mine.link[0]['@href']).toBe(`http://localhost:80/alerts/${published.id}`);
    // Newest first, and the feed's updated is its newest entry's.
    const times = entries.map((e) => e.updated as string);
    expect([...times].sort().reverse()).toEqual(times);
    expect(feed.updated).toBe(times[0]);

    const again = await officer.inject({ method: 'GET', url: '/api/alerts/feed.atom' });
    expect(again.body).toBe(res.body);
  });
});
