/**
 * IdentifyService on a real catalogue (SQLite file, object folder, OpenCV in
 * the worker pool): what a query may see, and that its in-memory index
 * follows the catalogue between queries — a specimen catalogued after the
 * first query is found by the next, a specimen made confidential disappears
 * for roles that may not see it, a deleted one disappears for everyone; with
 * more candidates than one shortlist, the keypoint votes (in shared memory)
 * follow the catalogue the same way.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import {
  HOLDERS,
  renderDocument,
  simulatePhoto,
  UTOPIA_ID_CARD_2021_BACK,
  UTOPIA_ID_CARD_2021_FRONT,
  UTOPIA_PASSPORT_2019,
  UTOPIA_RESIDENCE_PERMIT_2020_BACK,
  UTOPIA_RESIDENCE_PERMIT_2020_FRONT,
  type DocumentDesign,
  type Holder,
} from '@exemplar/image-pipeline';
import type { AppContext } from '../context';
import { MINIMAL_SPECIMEN, openTestContext } from '../test-helpers';
import { LOCAL_ACTOR, type Actor } from './actor';

jest.setTimeout(600_000);

const OFFICER: Actor = { id: 'officer', role: 'border-officer' };
const EXAMINER: Actor = { id: 'examiner', role: 'examiner' };

let context: AppContext;
let dataDir: string;
let n = 0;

async function writeDocument(design: DocumentDesign, holder: Holder): Promise<string> {
  const doc = await renderDocument({ ...design, dpi: 150 }, holder, 'white', { format: 'png', noiseSeed: ++n });
  const file = path.join(dataDir, `doc-${n}.png`);
  await fs.writeFile(file, doc.image);
  return file;
}

async function photoOf(file: string, seed: number): Promise<string> {
  const photo = await simulatePhoto(await fs.readFile(file), { seed, maxTiltDeg: 15, maxRotationDeg: 10 });
  const out = path.join(dataDir, `photo-${seed}.jpg`);
  await fs.writeFile(out, photo.image);
  return out;
}

async function catalogue(file: string, extra: Record<string, unknown>) {
  const s = await context.services.specimens.create({ ...MINIMAL_SPECIMEN, ...extra }, LOCAL_ACTOR);
  const capture = await context.services.ingest.addCapture(s.id, { page: 'data-page' }, [{ lightSource: 'white', path: file }], LOCAL_ACTOR);
  return { specimenId: s.id, captureId: capture.id };
}

const identify = (file: string, actor: Actor) => context.services.identify.identifyFile(file, { k: 5 }, actor);

beforeAll(async () => {
  ({ context, dataDir } = await openTestContext());
});

afterAll(async () => {
  await context?.close();
});

it('finds a specimen catalogued after the first query, hides it once confidential from roles that may not see it, forgets it once deleted', async () => {
  const passportFile = await writeDocument(UTOPIA_PASSPORT_2019, HOLDERS.passportA);
  const passport = await catalogue(passportFile, { title: 'passport' });
  const cardFile = await writeDocument(UTOPIA_ID_CARD_2021_FRONT, HOLDERS.idCard);
  const cardPhoto = await photoOf(cardFile, 5);

  // Only the passport is catalogued: the card's photo verifies nothing.
  const before = await identify(cardPhoto, OFFICER);
  expect(before.searched).toBe(1);
  expect(before.candidates.some((c) => c.verified)).toBe(false);

  const card = await catalogue(cardFile, { title: 'identity card', documentCategory: 'id-card', documentCode: 'I', series: '2021' });
  const found = await identify(cardPhoto, OFFICER);
  expect(found.searched).toBe(2);
  expect(found.candidates[0]).toMatchObject({ specimenId: card.specimenId, captureId: card.captureId, verified: true, title: 'identity card' });

  const current = await context.services.specimens.get(card.specimenId, LOCAL_ACTOR);
  await context.services.specimens.patch(card.specimenId, { revision: current.revision, classification: 'confidential' }, LOCAL_ACTOR);
  const hidden = await identify(cardPhoto, OFFICER);
  expect(hidden.searched).toBe(1);
  expect(hidden.candidates.map((c) => c.specimenId)).toEqual([passport.specimenId]);
  // An examiner may see confidential specimens.
  expect((await identify(cardPhoto, EXAMINER)).candidates[0]).toMatchObject({ specimenId: card.specimenId, verified: true });

  await context.services.specimens.delete(card.specimenId, undefined, LOCAL_ACTOR);
  const gone = await identify(cardPhoto, EXAMINER);
  expect(gone.searched).toBe(1);
  expect(gone.candidates.map((c) => c.specimenId)).toEqual([passport.specimenId]);
});

it('a comparison job’s classifications narrow the candidates further', async () => {
  const file = await writeDocument(UTOPIA_PASSPORT_2019, HOLDERS.passportB);
  const restricted = await catalogue(file, { title: 'restricted passport', classification: 'restricted' });
  const photo = await photoOf(file, 9);
  const all = await context.services.identify.identifyFile(photo, { k: 5 }, EXAMINER);
  expect(all.candidates.map((c) => c.specimenId)).toContain(restricted.specimenId);
  const publicOnly = await context.services.identify.identifyFile(photo, { k: 5, classifications: ['public'] }, EXAMINER);
  expect(publicOnly.candidates.map((c) => c.specimenId)).not.toContain(restricted.specimenId);
});

// Runs the vote path (shared-memory votes, pruned as the index follows deletions) end to end. With this few
// candidates both shortlists cover them all, so the ranking does not hinge on the votes: shared-votes.test.ts
// shows the votes equal those counted on copied keypoints, and the identify bench's --dump whole answers.
it('answers through the shared-memory votes over more candidates than one shortlist, before and after deletions', async () => {
  const designs = [UTOPIA_PASSPORT_2019, UTOPIA_ID_CARD_2021_FRONT, UTOPIA_ID_CARD_2021_BACK, UTOPIA_RESIDENCE_PERMIT_2020_FRONT, UTOPIA_RESIDENCE_PERMIT_2020_BACK];
  const holders = [HOLDERS.passportA, HOLDERS.idCard, HOLDERS.residencePermit];
  const catalogued: { specimenId: string; captureId: string; file: string }[] = [];
  for (const [d, design] of designs.entries()) {
    for (const [h, holder] of holders.entries()) {
      const file = await writeDocument(design, holder);
      catalogued.push({ ...(await catalogue(file, { title: `votes ${d}/${h}`, issuingState: 'ISL' })), file });
    }
  }
  const filter = { issuingState: 'ISL' } as const;
  const target = catalogued[3]!;
  // Small and tilted: the kind of photo the votes are for.
  const photo = await simulatePhoto(await fs.readFile(target.file), { seed: 21, maxTiltDeg: 25, scale: [0.45, 0.55] });
  const photoFile = path.join(dataDir, 'votes-photo.jpg');
  await fs.writeFile(photoFile, photo.image);

  const first = await context.services.identify.identifyFile(photoFile, { k: 3, filter }, EXAMINER);
  expect(first.searched).toBe(catalogued.length);
  expect(first.candidates[0]).toMatchObject({ specimenId: target.specimenId, captureId: target.captureId, verified: true });
  // The same answer again, from votes already in memory.
  expect(await context.services.identify.identifyFile(photoFile, { k: 3, filter }, EXAMINER)).toEqual(first);

  // Deleted specimens leave the votes too: the rest still rank as before. Two of fifteen, so the candidates left
  // still outnumber one shortlist and the query votes again over the pruned shared memory.
  const deleted = catalogued.slice(0, 2);
  for (const c of deleted) await context.services.specimens.delete(c.specimenId, undefined, LOCAL_ACTOR);
  const after = await context.services.identify.identifyFile(photoFile, { k: 3, filter }, EXAMINER);
  expect(after.searched).toBe(catalogued.length - deleted.length);
  expect(after.candidates[0]).toEqual(first.candidates[0]);
  expect(after.candidates.map((c) => c.specimenId)).not.toEqual(expect.arrayContaining([catalogued[0]!.specimenId]));
});
