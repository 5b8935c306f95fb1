/**
 * `exemplar exchange …` between two labs' data folders, run in-process
 * through the same `runCli` the binary calls: key, partners add/list/revoke,
 * export by id and by query, dry run, import, re-import, and a revoked
 * signer refused with a non-zero exit and nothing written.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { PartnerKey } from '@exemplar/specimens-schema';
import type { ImportReport } from '../../server/src/services/exchange.service';
import { systemActor } from '../../server/src/services/actor';
import { allSpecimens, GENUINE, MRZ_ZONE, objectKeysIn, runExemplar, tempDir, withStores, writeImage } from '../cli/helpers';

jest.setTimeout(600_000);

let labA: string;
let labB: string;
let work: string;
let specimenId: string;

beforeAll(async () => {
  [labA, labB, work] = await Promise.all([tempDir('lab-a'), tempDir('lab-b'), tempDir('exchange-work')]);
  const white = path.join(work, 'white.png');
  const ir = path.join(work, 'ir.png');
  await writeImage(white, 11);
  await writeImage(ir, 12);
  specimenId = await withStores(labA, async (ctx) => {
    const actor = systemActor('test');
    const s = await ctx.services.specimens.create({ ...GENUINE, status: 'counterfeit' }, actor);
    await ctx.services.ingest.addCapture(s.id, { page: 'data-page', zones: [MRZ_ZONE] }, [
      { lightSource: 'white', path: white },
      { lightSource: 'ir-870', path: ir },
    ], actor);
    return s.id;
  });
});
afterAll(async () => {
  for (const dir of [labA, labB, work]) if (dir) await fs.rm(dir, { recursive: true, force: true });
});

it('exchanges a specimen between two labs, refusing it once the key is revoked', async () => {
  const key = await runExemplar(labA, 'exchange', 'key', '--json');
  expect(key.code).toBe(0);
  const { publicKey, fingerprint, labId } = JSON.parse(key.stdout) as { publicKey: string; fingerprint: string; labId: string };
  expect(labId).toBe('exemplar-lab');
  expect((await fs.stat(path.join(labA, 'lab-key.pem'))).mode & 0o777).toBe(0o600);
  const keyFile = path.join(work, 'lab-a.pub.pem');
  await fs.writeFile(keyFile, publicKey);

  const pkg = path.join(work, 'a.zip');
  const exported = await runExemplar(labA, 'exchange', 'export', '--specimen', specimenId, '--out', pkg, '--json');
  expect(exported.code).toBe(0);
  expect(JSON.parse(exported.stdout)).toMatchObject({ specimens: 1, originals: 2, specimenIds: [specimenId] });
  // By query as well; an explicit --key that does not exist is refused rather than created.
  const byQuery = await runExemplar(labA, 'exchange', 'export', '--query', 'status=counterfeit', 'issuingState=UTO', '--out', path.join(work, 'q.zip'), '--json');
  expect(JSON.parse(byQuery.stdout).specimenIds).toEqual([specimenId]);
  const missingKey = await runExemplar(labA, 'exchange', 'export', '--specimen', specimenId, '--out', path.join(work, 'k.zip'), '--key', path.join(work, 'nope.pem'));
  expect(missingKey.code).not.toBe(0);
  await expect(fs.access(path.join(work, 'nope.pem'))).rejects.toThrow();

  const untrusted = await runExemplar(labB, 'exchange', 'import', pkg);
  expect(untrusted.code).toBe(1);
  expect(untrusted.stderr).toContain('UNTRUSTED_SIGNER');

  const added = await runExemplar(labB, 'exchange', 'partners', 'add', 'Lab A', keyFile, '--json');
  expect(added.code).toBe(0);
  const partner = JSON.parse(added.stdout) as PartnerKey;
  expect(partner).toMatchObject({ name: 'Lab A', fingerprint, revoked: false, addedBy: 'cli' });

  const dry = await runExemplar(labB, 'exchange', 'import', pkg, '--dry-run', '--json');
  expect(dry.code).toBe(0);
  expect((JSON.parse(dry.stdout) as ImportReport).imported.map((i) => i.sourceId)).toEqual([specimenId]);
  expect(await withStores(labB, async (ctx) => (await allSpecimens(ctx)).length)).toBe(0);

  const imported = await runExemplar(labB, 'exchange', 'import', pkg);
  expect(imported.code).toBe(0);
  expect(imported.stdout).toContain('Imported 1, skipped 0, conflicts 0, errors 0');
  const keysAfterImport = await withStores(labB, async (ctx) => {
    const [copy] = await allSpecimens(ctx);
    expect(copy).toMatchObject({ id: specimenId, status: 'counterfeit', title: GENUINE.title });
    expect(copy!.captures[0]!.zones).toEqual([expect.objectContaining({ type: 'mrz', label: 'MRZ' })]);
    return objectKeysIn(ctx);
  });

  const again = await runExemplar(labB, 'exchange', 'import', pkg, '--json');
  expect(again.code).toBe(0);
  expect((JSON.parse(again.stdout) as ImportReport).skipped.map((s) => s.id)).toEqual([specimenId]);

  const list = await runExemplar(labB, 'exchange', 'partners', 'list');
  expect(list.stdout).toContain(fingerprint);
  const revoked = await runExemplar(labB, 'exchange', 'partners', 'revoke', fingerprint, '--json');
  expect(revoked.code).toBe(0);
  expect(JSON.parse(revoked.stdout)).toMatchObject({ id: partner.id, revoked: true });

  const refused = await runExemplar(labB, 'exchange', 'import', pkg);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toMatch(/UNTRUSTED_SIGNER: .*revoked/);
  expect(await withStores(labB, objectKeysIn)).toEqual(keysAfterImport);
});
