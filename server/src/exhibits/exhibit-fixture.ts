/**
 * A complete exhibit record over real images (made with sharp) held in a real
 * filesystem object store, for tests of this module and of its callers.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import yauzl from 'yauzl';
import { ZipFile } from 'yazl';
import { FsObjectStore } from '../stores/objects.fs';
import { objectKeys } from '../stores/objects.port';
import { nextZipEntry } from '../zip';
import { makeTestImage, sha256 } from '../test-helpers';
import { chainAuditEntry, type AuditEntry, type AuditEntryContent } from './chain';
import type { ExhibitFinding, ExhibitImageLoader, ExhibitImageRef, ExhibitInput } from './types';

export interface ExhibitFixture {
  input: ExhibitInput;
  load: ExhibitImageLoader;
  objects: FsObjectStore;
  /** Every object written, by key. */
  keys: string[];
  dir: string;
  cleanup(): Promise<void>;
}

/** A semi-transparent red blob on a transparent field, like the pipeline's heatmaps. */
async function makeHeatmap(width: number, height: number, seed: number): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <circle cx="${120 + seed * 40}" cy="140" r="50" fill="rgba(255,0,0,0.6)"/>
    <rect x="400" y="260" width="90" height="40" fill="rgba(255,160,0,0.5)"/></svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

export function custodyEntries(contents: AuditEntryContent[]): AuditEntry[] {
  const entries: AuditEntry[] = [];
  for (const content of contents) entries.push(chainAuditEntry(content, entries[entries.length - 1] ?? null));
  return entries;
}

/** The MRZ as read on the questioned image: the year of birth overtyped (87 → 84), check digits as printed for 870314. */
export const FIXTURE_MRZ = ['P<UTOMULLER<<HANS<<<<<<<<<<<<<<<<<<<<<<<<<<<', 'X1234567<7UTO8403145M3106017<<<<<<<<<<<<<<06'];

const MRZ_FINDINGS: ExhibitFinding[] = [
  {
    kind: 'mrz-check-failed',
    message: 'MRZ check digits of the date of birth, composite fields fail: the MRZ was altered or misprinted.',
    zoneId: 'zone-mrz',
    box: { x: 250, y: 380, width: 95, height: 22 },
    fields: ['birthDate', 'composite'],
    characters: [
      [1, 19],
      [1, 43],
    ],
    lines: FIXTURE_MRZ,
    // As the pipeline checked them (ICAO 7-3-1 sums: 840314 gives 6, the composite over the altered data 3).
    checks: [
      { field: 'birthDate', data: '840314', printed: '5', expected: 6, position: [1, 19] },
      { field: 'composite', data: 'X1234567<784031453106017<<<<<<<<<<<<<<0', printed: '6', expected: 3, position: [1, 43] },
    ],
    lightSource: 'white',
  },
  {
    kind: 'mrz-characters-misaligned',
    message: '1 MRZ character of a field whose check digit fails stands out of line with the printed grid (overtyped or pasted in).',
    zoneId: 'zone-mrz',
    box: { x: 290, y: 382, width: 14, height: 18 },
    characters: [[1, 14]],
    lines: FIXTURE_MRZ,
    characterFields: ['birthDate'],
    lightSource: 'white',
  },
];

/** The fixture comparison's white-light homography, reference → questioned pixels. */
export const FIXTURE_HOMOGRAPHY = [1.0823, 0.0112, 4.75, -0.0098, 1.0791, 6.125, 0.0000134, -0.0000071, 1];
/** The same, moved by the UV light's registration shift (0.31, -0.22) reference pixels. */
const FIXTURE_UV_HOMOGRAPHY = [1.0823, 0.0112, 5.083, -0.0098, 1.0791, 5.8846, 0.0000134, -0.0000071, 1];

export async function makeExhibitFixture(): Promise<ExhibitFixture> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'exhibit-'));
  const objects = new FsObjectStore(path.join(dir, 'objects'));
  await objects.init();
  const keys: string[] = [];
  const put = async (key: string, data: Buffer): Promise<ExhibitImageRef> => {
    await objects.put(key, data, { bytes: data.length });
    keys.push(key);
    return { key, sha256: sha256(data) };
  };
  const original = async (data: Buffer, prefix: 'originals' | 'questioned') => {
    const sha = sha256(data);
    return put(prefix === 'originals' ? objectKeys.original(sha) : objectKeys.questioned(sha), data);
  };

  const lights = ['white', 'uv-365'] as const;
  const refImages = await Promise.all(lights.map((_, i) => makeTestImage({ width: 640, height: 420, seed: 10 + i, format: 'jpeg' })));
  const qImages = await Promise.all(lights.map((_, i) => makeTestImage({ width: 700, height: 460, seed: 20 + i, format: i === 0 ? 'jpeg' : 'png' })));
  const reference = await Promise.all(refImages.map((d) => original(d, 'originals')));
  const questioned = await Promise.all(qImages.map((d) => original(d, 'questioned')));
  const aligned = await Promise.all(lights.map(async (light, i) => put(objectKeys.comparison('cmp-1', `${light}.aligned.png`), await makeTestImage({ width: 640, height: 420, seed: 30 + i, format: 'png' }))));
  const heatmaps = await Promise.all(lights.map(async (light, i) => put(objectKeys.comparison('cmp-1', `${light}.heatmap.png`), await makeHeatmap(640, 420, i))));

  const custodyLog = custodyEntries([
    { seq: 1, time: '2026-03-02T09:00:00.000Z', actor: 'officer-7', action: 'comparison.submit', target: 'comparison:cmp-1', requestId: 'req-1', hashes: { questioned: questioned[0]!.sha256 } },
    { seq: 2, time: '2026-03-02T09:05:00.000Z', actor: 'examiner-1', action: 'case.create', target: 'case:case-1', hashes: {} },
    { seq: 3, time: '2026-03-03T10:00:00.000Z', actor: 'examiner-1', action: 'original.read', target: `original:${reference[0]!.sha256}`, hashes: { original: reference[0]!.sha256 } },
    { seq: 4, time: '2026-03-04T16:30:00.000Z', actor: 'examiner-1', action: 'case.conclude', target: 'case:case-1', hashes: {}, details: { opinion: 'elimination', proposition: 'genuine' } },
    { seq: 5, time: '2026-03-05T08:00:00.000Z', actor: 'prosecutor-2', action: 'case.read', target: 'case:case-1', requestId: 'req-9', hashes: {} },
  ]);

  const input: ExhibitInput = {
    case: {
      id: 'case-1',
      title: 'Utopia passport presented at Gate 4 — Müller',
      reference: 'PRO-2026/0142',
      examiners: [
        { id: 'examiner-1', name: 'Dr. Ada Łukasiewicz', role: 'lead examiner' },
        { id: 'examiner-2', name: 'Ben Okafor', role: 'reviewer' },
      ],
      conclusion: {
        opinion: 'elimination',
        proposition: 'genuine',
        statement: 'The questioned data page was not produced by the issuing authority: the UV-365 fluorescence of the background is absent and the guilloche differs in white light.',
        concludedBy: 'examiner-1',
        concludedAt: '2026-03-04T16:30:00.000Z',
      },
      notes: [
        { time: '2026-03-03T10:05:00.000Z', author: 'examiner-1', text: 'Reference chosen by identification; capture quality adequate.' },
        { time: '2026-03-04T15:00:00.000Z', author: 'examiner-2', text: 'Reviewed heatmaps; region 1 in white light coincides with the guilloche.' },
      ],
    },
    questioned: [
      {
        id: 'sub-1',
        label: 'Passport no. X1234567 (holder MÜLLER)',
        submittedBy: 'officer-7',
        submittedAt: '2026-03-02T09:00:00.000Z',
        description: 'Presented at Gate 4.',
        images: lights.map((lightSource, i) => ({ ...questioned[i]!, lightSource, originalName: `gate4-${lightSource}.${i === 0 ? 'jpg' : 'png'}` })),
      },
    ],
    references: [
      {
        id: 'spec-1',
        title: 'Utopia passport, 2019 series',
        details: { issuingState: 'UTO', documentCode: 'P', series: '2019', status: 'genuine' },
        captureId: 'cap-1',
        images: lights.map((lightSource, i) => ({ ...reference[i]!, lightSource })),
      },
    ],
    comparisons: [
      {
        id: 'cmp-1',
        submissionId: 'sub-1',
        specimenId: 'spec-1',
        finishedAt: '2026-03-02T09:01:30.000Z',
        // A close-up photo, slightly turned and tilted: the questioned image shows part of the reference.
        anchorLight: 'white',
        alignment: {
          homography: FIXTURE_HOMOGRAPHY,
          inliers: 118,
          rmse: 0.318,
          method: 'orb-zoom-in',
          message: 'orb-zoom-in: 212 feature inliers; refined on 118 of 130 patches; the questioned image shows 86 % of the reference',
        },
        lights: lights.map((lightSource, i) => ({
          lightSource,
          // UV reuses the white-light homography, moved by a fraction of a pixel.
          homography: i === 0 ? FIXTURE_HOMOGRAPHY : FIXTURE_UV_HOMOGRAPHY,
          registration:
            i === 0
              ? { outcome: 'aligned' as const, anchorLight: 'white' as const, shift: [0, 0], correlation: { anchor: null, best: null } }
              : { outcome: 'refined' as const, anchorLight: 'white' as const, shift: [0.31, -0.22], correlation: { anchor: 0.612, best: 0.704 } },
          referenceSize: [640, 420] as [number, number],
          questionedSize: [700, 460] as [number, number],
          reference: reference[i]!,
          questioned: questioned[i]!,
          aligned: aligned[i]!,
          heatmap: heatmaps[i]!,
          // Glare off the laminate in the white photo: most of region 1 is blown out there.
          regions: [
            { box: { x: 70 + i * 40, y: 90, width: 100, height: 100 }, score: 0.81, peak: 0.97, area: 7850, polygon: [], overexposed: i === 0 ? 0.76 : 0 },
            { box: { x: 400, y: 260, width: 90, height: 40 }, score: 0.42, peak: 0.6, area: 3600, overexposed: 0 },
          ],
          // Differing only where the glare blows the white photo out: listed apart, not judged.
          blownOutRegions: i === 0 ? [{ box: { x: 300, y: 40, width: 120, height: 30 }, score: 0.66, peak: 0.9, area: 3100, polygon: [], overexposed: 0.97 }] : [],
          overexposedShare: i === 0 ? 0.054 : 0,
          zoneVerdicts: [
            { zoneId: 'zone-guilloche', label: 'Guilloche background', type: 'guilloche', verdict: i === 0 ? 'different' : 'consistent', score: 0.7, flaggedShare: 0.4, coverage: 1, signal: { reference: 0.5, questioned: 0.2 } },
            { zoneId: 'zone-uv', label: 'UV fibres', type: 'uv-fibres', verdict: i === 1 ? 'absent' : 'consistent', score: 0.1, flaggedShare: 0.02, coverage: 0.9, signal: { reference: 0.3, questioned: 0.01 } },
          ],
          // The MRZ is read once per capture, under white light: an overtyped date of birth as the pipeline reports it.
          findings: i === 0 ? MRZ_FINDINGS : [],
        })),
        parameters: { alignment: { method: 'akaze', pyramidLevels: 3, ransacThreshold: 3.5 }, difference: { coarseThreshold: 18, tile: 64 }, analysisSize: [1000, 656] },
        versions: { exemplar: '0.1.0', 'difference-stage': '3', 'opencv-js': '4.12.0', sharp: '0.35.5', libvips: '8.17.0' },
        // The examiner named the reference; identification found a counterfeit sample in the library that matches better.
        identification: {
          referenceChosenBy: 'submitter',
          method: 'orb-lsh-v2',
          searched: 120,
          candidates: [
            { specimenId: 'spec-9', captureId: 'cap-9', lightSource: 'white', score: 0.894, inliers: 210, similarity: 0.91, verified: true, title: 'Utopia passport 2019, counterfeit of the Port North batch', status: 'counterfeit', issuingState: 'UTO', documentCode: 'P', page: 'data-page' },
            { specimenId: 'spec-1', captureId: 'cap-1', lightSource: 'white', score: 0.737, inliers: 70, similarity: 0.88, verified: true, title: 'Utopia passport 2019', status: 'genuine', issuingState: 'UTO', documentCode: 'P', page: 'data-page' },
            { specimenId: 'spec-4', captureId: 'cap-4', lightSource: 'white', score: 0, inliers: 6, similarity: 0.8, verified: false, title: 'Utopia identity card 2021', status: 'genuine', issuingState: 'UTO', documentCode: 'ID', page: 'front' },
          ],
        },
      },
    ],
    softwareVersion: '0.1.0',
    custodyLog,
    generatedAt: '2026-03-04T16:30:00.000Z',
  };

  const load: ExhibitImageLoader = async (key) => {
    const chunks: Buffer[] = [];
    for await (const chunk of await objects.get(key)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  };
  return { input, load, objects, keys, dir, cleanup: () => fs.rm(dir, { recursive: true, force: true }) };
}

/** The entries of a bundle by path, in archive order (for tests that read what a bundle holds). */
export async function unzipBundle(bundle: Buffer): Promise<Map<string, Buffer>> {
  const zip = await yauzl.fromBufferPromise(bundle, { lazyEntries: true });
  const files = new Map<string, Buffer>();
  for (;;) {
    const entry = await nextZipEntry(zip);
    if (!entry) break;
    const chunks: Buffer[] = [];
    for await (const c of await zip.openReadStreamPromise(entry)) chunks.push(c as Buffer);
    files.set(entry.fileName, Buffer.concat(chunks));
  }
  return files;
}

/** A zip of `files` in their order, with default entry options (as a forger's tool would write it; not the builder's fixed layout). */
export async function rezipBundle(files: Map<string, Buffer>): Promise<Buffer> {
  const zip = new ZipFile();
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve) => {
    zip.outputStream.on('data', (c: Buffer) => chunks.push(c));
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
  });
  for (const [name, data] of files) zip.addBuffer(data, name);
  zip.end();
  return done;
}
