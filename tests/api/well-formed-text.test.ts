/**
 * Text that cannot be stored as written is refused at the API's edge: a
 * JSON string holding an unpaired UTF-16 surrogate (`"\ud800"`, which UTF-8
 * and so BSON and SQLite cannot hold; MongoDB would store U+FFFD) gets 400
 * VALIDATION_FAILED naming the field, on every route, JSON body or multipart
 * JSON field. Real HTTP through inject, a real SQLite file.
 */
import type { Specimen } from '@exemplar/specimens-schema';
import { buildTestApp, makeTestImage, MINIMAL_SPECIMEN, multipartBody, type TestApp } from '../../server/src/test-helpers';

let t: TestApp;

beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(async () => {
  await t.close();
});

const json = { 'content-type': 'application/json' };
// JSON.stringify writes a lone surrogate as its escape, as a client's JSON would carry it.
const body = (value: unknown) => JSON.stringify(value);

function expectRefused(res: { statusCode: number; json: () => unknown }, paths: string[]) {
  expect(res.statusCode).toBe(400);
  expect(res.json()).toEqual({
    code: 'VALIDATION_FAILED',
    message: expect.stringContaining('unpaired UTF-16 surrogate'),
    details: expect.objectContaining({ errors: paths.map((path) => expect.objectContaining({ path, keyword: 'wellFormedText' })) }),
  });
}

describe('JSON bodies with unpaired surrogates', () => {
  it('refuses a specimen whose fields hold one, naming each field, and stores nothing', async () => {
    const examiner = await t.login('examiner');
    const before = await t.context.catalog.specimens.count();
    expect(body({ title: 'x\ud800' })).toBe('{"title":"x\\ud800"}');
    const res = await examiner.inject({ method: 'POST', url: '/api/specimens', headers: json, payload: body({ ...MINIMAL_SPECIMEN, title: 'Passport \ud800', tags: ['ok', '\udc00x'] }) });
    expectRefused(res, ['/title', '/tags/1']);
    expect(res.json<{ details: { in: string } }>().details.in).toBe('body');
    expect(await t.context.catalog.specimens.count()).toBe(before);
  });

  it('accepts a well-formed pair (a character beyond the BMP) and stores it as sent', async () => {
    const res = await (await t.login('examiner')).inject({ method: 'POST', url: '/api/specimens', headers: json, payload: body({ ...MINIMAL_SPECIMEN, title: 'Seal \ud83d\udd8b' }) });
    expect(res.statusCode).toBe(201);
    expect(res.json<Specimen>().title).toBe('Seal \u{1F58B}');
  });

  it('refuses one in a property name, and on a route with no record behind it (login)', async () => {
    const examiner = await t.login('examiner');
    const created = await examiner.inject({ method: 'POST', url: '/api/specimens', payload: MINIMAL_SPECIMEN });
    const specimen = created.json<Specimen>();
    const patch = await examiner.inject({ method: 'PATCH', url: `/api/specimens/${specimen.id}`, headers: json, payload: body({ revision: specimen.revision, 'ti\ud800tle': 'x' }) });
    expectRefused(patch, ['/ti\ud800tle']);
    const login = await t.app.inject({ method: 'POST', url: '/api/auth/login', headers: json, payload: body({ username: 'examiner\udfff', password: 'whatever-password' }) });
    expectRefused(login, ['/username']);
  });

  it('refuses one in the JSON field of a capture upload, naming the field', async () => {
    const examiner = await t.login('examiner');
    const specimen = (await examiner.inject({ method: 'POST', url: '/api/specimens', payload: MINIMAL_SPECIMEN })).json<Specimen>();
    const { payload, headers } = multipartBody([
      { name: 'capture', value: body({ page: 'front', notes: 'seen under UV \ud800' }) },
      { name: 'white', filename: 'white.png', data: await makeTestImage({ width: 200, height: 140, seed: 5 }) },
    ]);
    const res = await examiner.inject({ method: 'POST', url: `/api/specimens/${specimen.id}/captures`, payload, headers });
    expectRefused(res, ['/capture/notes']);
    expect((await t.context.catalog.specimens.get(specimen.id))?.captures).toEqual([]);
  });
});

describe('JSON bodies nested deeper than the call stack', () => {
  // JSON.parse takes any depth; a check that recursed per level would overflow the stack and answer 500.
  const nested = (depth: number, inner: string) => `${'['.repeat(depth)}${inner}${']'.repeat(depth)}`;

  it('answers 400 from the route schema, not 500, for a well-formed one (login, before any session)', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/auth/login', headers: json, payload: `{"username":${nested(100_000, '"x"')},"password":"whatever-password"}` });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('still finds an unpaired surrogate at the bottom of one, naming its path', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/auth/login', headers: json, payload: `{"username":${nested(100_000, '"x\\ud800"')},"password":"whatever-password"}` });
    expectRefused(res, [`/username${'/0'.repeat(100_000)}`]);
  });
});
