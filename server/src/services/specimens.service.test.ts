/**
 * SpecimenService.create keeping a given id (how `exemplar import` restores
 * an export) on real stores: the same checks as any create, and the id kept.
 */
import fs from 'node:fs/promises';
import type { AppContext } from '../context';
import { ExemplarError } from '../errors';
import { MINIMAL_SPECIMEN, openTestContext } from '../test-helpers';
import { LOCAL_ACTOR, type Actor } from './actor';

let context: AppContext;
let dataDir: string;

beforeAll(async () => {
  ({ context, dataDir } = await openTestContext());
});
afterAll(async () => {
  await context.close();
  await fs.rm(dataDir, { recursive: true, force: true });
});

async function refusal(p: Promise<unknown>): Promise<ExemplarError> {
  const err: unknown = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ExemplarError);
  return err as ExemplarError;
}

describe('SpecimenService.create with { id }', () => {
  it('keeps the id, and refuses it a second time (CONFLICT) without touching the first', async () => {
    const { specimens } = context.services;
    const created = await specimens.create({ ...MINIMAL_SPECIMEN, title: 'Restored from an export' }, LOCAL_ACTOR, { id: 'restored-0000001' });
    expect(created).toMatchObject({ id: 'restored-0000001', revision: 1, title: 'Restored from an export', captures: [], createdBy: LOCAL_ACTOR.id });
    expect(await specimens.get('restored-0000001', LOCAL_ACTOR)).toEqual(created);

    const again = await refusal(specimens.create({ ...MINIMAL_SPECIMEN, title: 'Another' }, LOCAL_ACTOR, { id: 'restored-0000001' }));
    expect(again.code).toBe('CONFLICT');
    expect(await specimens.get('restored-0000001', LOCAL_ACTOR)).toEqual(created);
  });

  it('draws a new id without the option', async () => {
    const a = await context.services.specimens.create(MINIMAL_SPECIMEN, LOCAL_ACTOR);
    const b = await context.services.specimens.create(MINIMAL_SPECIMEN, LOCAL_ACTOR, {});
    expect(a.id).not.toBe(b.id);
  });

  it('applies the checks of every create: schema, id pattern, imitates, permission', async () => {
    const { specimens } = context.services;
    const cases: Array<[string, Promise<unknown>, string]> = [
      ['bad body', specimens.create({ ...MINIMAL_SPECIMEN, status: 'shiny' }, LOCAL_ACTOR, { id: 'restored-0000002' }), 'VALIDATION_FAILED'],
      ['id not a record id', specimens.create(MINIMAL_SPECIMEN, LOCAL_ACTOR, { id: 'no spaces/allowed' }), 'VALIDATION_FAILED'],
      ['imitates nothing', specimens.create({ ...MINIMAL_SPECIMEN, status: 'counterfeit', imitates: 'missing-0000001' }, LOCAL_ACTOR, { id: 'restored-0000003' }), 'VALIDATION_FAILED'],
      ['imitates itself', specimens.create({ ...MINIMAL_SPECIMEN, status: 'counterfeit', imitates: 'restored-0000004' }, LOCAL_ACTOR, { id: 'restored-0000004' }), 'VALIDATION_FAILED'],
      ['viewer may not write', specimens.create(MINIMAL_SPECIMEN, { id: 'v', role: 'viewer' } satisfies Actor, { id: 'restored-0000005' }), 'FORBIDDEN'],
    ];
    for (const [label, attempt, code] of cases) expect({ label, code: (await refusal(attempt)).code }).toEqual({ label, code });
    for (const id of ['restored-0000002', 'restored-0000003', 'restored-0000004', 'restored-0000005']) {
      expect((await refusal(specimens.get(id, LOCAL_ACTOR))).code).toBe('SPECIMEN_NOT_FOUND');
    }
  });
});
