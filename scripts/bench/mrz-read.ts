/**
 * MRZ reading benchmark: every image of ../shared/benchdata/passporteye-specimens
 * (published specimens: scans, renders, two photos), then synthetic Utopian
 * documents from the synth generator — scans and simulated hand-held photos
 * (perspective, blur, noise, JPEG) — whose MRZ text is known exactly.
 *
 * Per image: found, lines read, every check digit valid, the expected MRZ
 * matched (where known), mean character confidence, corrections, time (wall
 * and CPU: on a shared machine the CPU time shows the work apart from the
 * wait for a core). Summary: the fraction of images with every check digit
 * valid, per set. Prints JSON on stdout and a Markdown table on stderr.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  HOLDERS,
  mrzGlyphTemplates,
  pxPerMm,
  readMrzFromFile,
  renderDocument,
  simulatePhoto,
  UTOPIA_ID_CARD_2021_BACK,
  UTOPIA_PASSPORT_2019,
  UTOPIA_RESIDENCE_PERMIT_2020_BACK,
  type DocumentDesign,
  type Holder,
} from '@exemplar/image-pipeline';

export interface MrzReadBenchOptions {
  /** The passporteye-specimens folder (default ../shared/benchdata/passporteye-specimens from the repository root). */
  specimensDir?: string;
  /** Synthetic photos per synthetic document (default 5). */
  photosPerDocument?: number;
  /** Where synthetic images are written (a temp folder by default, removed afterwards). */
  workDir?: string;
}

export interface MrzReadBenchRow {
  /**
   * `synthetic-altered`: a forged birth date overtyped in the MRZ without recomputing its check digits — read exactly, it must fail them.
   * `synthetic-altered-ir`: the same forgeries under reflected IR (870 nm), where the overtyping ink does not show and
   * the erased digits are blank cells: a reading must not pass them as valid (no expected text: what the blanks are
   * read as is not defined), and its time shows the cost of blank cells inside a row.
   */
  set: 'passporteye-specimens' | 'synthetic' | 'synthetic-altered' | 'synthetic-altered-ir';
  image: string;
  found: boolean;
  format: string | null;
  lines: string[] | null;
  allCheckDigitsValid: boolean;
  /** Null where the expected MRZ is not known. */
  matchesExpected: boolean | null;
  meanConfidence: number | null;
  corrections: number;
  angleDeg: number | null;
  wallMs: number;
  cpuMs: number;
}

export interface MrzReadBenchSummary {
  images: number;
  found: number;
  allCheckDigitsValid: number;
  fractionAllCheckDigitsValid: number;
  withExpected: number;
  matchingExpected: number;
  medianWallMs: number;
  medianCpuMs: number;
}

export interface MrzReadBenchResult {
  benchmark: 'mrz-read';
  unit: 'ms';
  templatesMs: number;
  rows: MrzReadBenchRow[];
  summary: Record<MrzReadBenchRow['set'], MrzReadBenchSummary>;
}

/** From scripts/dist/bench (compiled) or scripts/bench. */
const REPO_ROOT = path.resolve(__dirname, __dirname.split(path.sep).includes('dist') ? '../../..' : '../..');
const DEFAULT_SPECIMENS = path.resolve(REPO_ROOT, '../shared/benchdata/passporteye-specimens');

interface Expected {
  images: { file: string; expected_mrz_lines?: string[]; expected_fields_passporteye_naming?: { personal_number?: string[] } }[];
}

/** The expected lines and the variants the source accepts (the personal number may read 2E… or ZE…). */
function expectedVariants(e: Expected['images'][number] | undefined): string[][] | null {
  if (!e?.expected_mrz_lines) return null;
  const lines = e.expected_mrz_lines;
  const alternatives = e.expected_fields_passporteye_naming?.personal_number ?? [];
  const variants = [lines];
  for (const alt of alternatives) {
    if (lines.length === 2 && lines[1]!.length === 44) variants.push([lines[0]!, lines[1]!.slice(0, 28) + alt + lines[1]!.slice(28 + alt.length)]);
  }
  return variants;
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)]! : 0;
};

async function readOne(set: MrzReadBenchRow['set'], file: string, name: string, expected: string[][] | null): Promise<MrzReadBenchRow> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await readMrzFromFile(file);
  const wallMs = Math.round(performance.now() - t0);
  const cpu = process.cpuUsage(cpu0);
  const reading = r.reading;
  return {
    set,
    image: name,
    found: r.found,
    format: reading?.format ?? null,
    lines: reading?.lines ?? null,
    allCheckDigitsValid: Boolean(reading?.checkDigitsValid),
    matchesExpected: expected ? Boolean(reading && expected.some((e) => e.join('\n') === reading.lines.join('\n'))) : null,
    meanConfidence: reading ? Math.round(reading.meanConfidence * 1000) / 1000 : null,
    corrections: reading?.corrections.length ?? 0,
    angleDeg: reading?.angleDeg ?? null,
    wallMs,
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
  };
}

function summarise(rows: readonly MrzReadBenchRow[]): MrzReadBenchSummary {
  const valid = rows.filter((r) => r.allCheckDigitsValid).length;
  const withExpected = rows.filter((r) => r.matchesExpected !== null);
  return {
    images: rows.length,
    found: rows.filter((r) => r.found).length,
    allCheckDigitsValid: valid,
    fractionAllCheckDigitsValid: rows.length ? Math.round((valid / rows.length) * 1000) / 1000 : 0,
    withExpected: withExpected.length,
    matchingExpected: withExpected.filter((r) => r.matchesExpected).length,
    medianWallMs: median(rows.map((r) => r.wallMs)),
    medianCpuMs: median(rows.map((r) => r.cpuMs)),
  };
}

const SYNTHETIC: { name: string; design: DocumentDesign; holder: Holder }[] = [
  { name: 'passport-a', design: UTOPIA_PASSPORT_2019, holder: HOLDERS.passportA },
  { name: 'passport-b', design: UTOPIA_PASSPORT_2019, holder: HOLDERS.passportB },
  { name: 'id-card-back', design: UTOPIA_ID_CARD_2021_BACK, holder: HOLDERS.idCard },
  { name: 'residence-permit-back', design: UTOPIA_RESIDENCE_PERMIT_2020_BACK, holder: HOLDERS.residencePermit },
];

export async function benchMrzRead(options: MrzReadBenchOptions = {}): Promise<MrzReadBenchResult> {
  const specimensDir = options.specimensDir ?? DEFAULT_SPECIMENS;
  const photos = options.photosPerDocument ?? 5;
  const t0 = performance.now();
  await mrzGlyphTemplates();
  const templatesMs = Math.round(performance.now() - t0);

  const rows: MrzReadBenchRow[] = [];
  const expected = JSON.parse(await fs.readFile(path.join(specimensDir, 'expected.json'), 'utf8')) as Expected;
  const files = (await fs.readdir(specimensDir)).filter((f) => /\.(jpe?g|png|tiff?|webp)$/i.test(f)).sort();
  for (const f of files) {
    rows.push(await readOne('passporteye-specimens', path.join(specimensDir, f), f, expectedVariants(expected.images.find((e) => e.file === f))));
  }

  const workDir = options.workDir ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'bench-mrz-')));
  try {
    await fs.mkdir(workDir, { recursive: true });
    for (const doc of SYNTHETIC) {
      const rendered = await renderDocument(doc.design, doc.holder, 'white', { format: 'jpeg', quality: 90, noiseSeed: 1 });
      const scan = path.join(workDir, `${doc.name}-scan.jpg`);
      await fs.writeFile(scan, rendered.image);
      rows.push(await readOne('synthetic', scan, `${doc.name} scan`, [rendered.mrz]));
      for (let seed = 1; seed <= photos; seed++) {
        const photo = await simulatePhoto(rendered.image, { seed, cornerRadiusPx: doc.design.cornerRadiusMm * pxPerMm(doc.design) });
        const file = path.join(workDir, `${doc.name}-photo-${seed}.jpg`);
        await fs.writeFile(file, photo.image);
        rows.push(await readOne('synthetic', file, `${doc.name} photo ${seed} (tilt ${Math.round(Math.hypot(photo.params.tiltXDeg, photo.params.tiltYDeg))}°, roll ${Math.round(photo.params.rotationDeg)}°, scale ${photo.params.scale.toFixed(2)})`, [rendered.mrz]));
      }
    }
    for (const doc of SYNTHETIC.filter((d) => d.name === 'passport-a' || d.name === 'id-card-back')) {
      const forged = await renderDocument(doc.design, doc.holder, 'white', { format: 'jpeg', quality: 90, noiseSeed: 2, variant: { alterFields: { dateOfBirth: '1984-06-14' } } });
      const scan = path.join(workDir, `${doc.name}-altered-scan.jpg`);
      await fs.writeFile(scan, forged.image);
      rows.push(await readOne('synthetic-altered', scan, `${doc.name} altered birth date, scan`, [forged.mrz]));
      const photo = await simulatePhoto(forged.image, { seed: 7, cornerRadiusPx: doc.design.cornerRadiusMm * pxPerMm(doc.design) });
      const file = path.join(workDir, `${doc.name}-altered-photo.jpg`);
      await fs.writeFile(file, photo.image);
      rows.push(await readOne('synthetic-altered', file, `${doc.name} altered birth date, photo`, [forged.mrz]));

      const forgedIr = await renderDocument(doc.design, doc.holder, 'ir-870', { format: 'jpeg', quality: 90, noiseSeed: 2, variant: { alterFields: { dateOfBirth: '1984-06-14' } } });
      const irScan = path.join(workDir, `${doc.name}-altered-ir-scan.jpg`);
      await fs.writeFile(irScan, forgedIr.image);
      rows.push(await readOne('synthetic-altered-ir', irScan, `${doc.name} altered birth date, IR 870 nm scan`, null));
      const irPhoto = await simulatePhoto(forgedIr.image, { seed: 7, cornerRadiusPx: doc.design.cornerRadiusMm * pxPerMm(doc.design) });
      const irFile = path.join(workDir, `${doc.name}-altered-ir-photo.jpg`);
      await fs.writeFile(irFile, irPhoto.image);
      rows.push(await readOne('synthetic-altered-ir', irFile, `${doc.name} altered birth date, IR 870 nm photo`, null));
    }
  } finally {
    if (!options.workDir) await fs.rm(workDir, { recursive: true, force: true });
  }

  return {
    benchmark: 'mrz-read',
    unit: 'ms',
    templatesMs,
    rows,
    summary: {
      'passporteye-specimens': summarise(rows.filter((r) => r.set === 'passporteye-specimens')),
      synthetic: summarise(rows.filter((r) => r.set === 'synthetic')),
      'synthetic-altered': summarise(rows.filter((r) => r.set === 'synthetic-altered')),
      'synthetic-altered-ir': summarise(rows.filter((r) => r.set === 'synthetic-altered-ir')),
    },
  };
}

/** The table for a report. */
export function mrzReadTable(result: MrzReadBenchResult): string {
  const yn = (v: boolean | null) => (v === null ? '—' : v ? 'yes' : 'no');
  const out = ['| set | image | found | format | all check digits valid | matches expected | mean conf. | corrections | wall ms | CPU ms |', '|---|---|---|---|---|---|---|---|---|---|'];
  for (const r of result.rows) {
    out.push(`| ${r.set} | ${r.image} | ${yn(r.found)} | ${r.format ?? '—'} | ${yn(r.allCheckDigitsValid)} | ${yn(r.matchesExpected)} | ${r.meanConfidence ?? '—'} | ${r.corrections} | ${r.wallMs} | ${r.cpuMs} |`);
  }
  out.push('');
  for (const [set, s] of Object.entries(result.summary)) {
    out.push(`${set}: ${s.allCheckDigitsValid}/${s.images} images with every check digit valid (${(100 * s.fractionAllCheckDigitsValid).toFixed(1)}%), found ${s.found}/${s.images}, expected MRZ matched ${s.matchingExpected}/${s.withExpected}; median ${s.medianWallMs} ms wall, ${s.medianCpuMs} ms CPU`);
  }
  return out.join('\n') + '\n';
}

if (require.main === module) {
  // JSON on stdout (for tools); the table on stderr (for people).
  benchMrzRead()
    .then((r) => {
      process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      process.stderr.write(`\n${mrzReadTable(r)}`);
    })
    .catch((err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    });
}
