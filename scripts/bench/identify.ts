/**
 * Candidate identification benchmark, as JSON.
 *
 * Builds a catalogue in a temporary data folder through the real services
 * (openContext, SpecimensService.create, IngestService.addCapture: the same
 * decode, derivatives and identification descriptors as the API), from
 *
 * - the demo library (Utopian passports of two holders and frauds of holder A,
 *   identity card and residence permit front and back), white light only;
 * - the MIDV-2020 templates `alb_id/00.jpg` and `01.jpg` (each a specimen);
 * - the government specimen images of `passporteye-specimens` (the PNG of
 *   each PNG/JPEG pair; the JPEG is a query);
 * - optionally synthetic distractors (random document-like layouts), added in
 *   steps to show how query time grows with the catalogue.
 *
 * Queries, answered by IdentifyService.identifyFile as POST /api/identify does:
 * - seeded simulated hand-held photos (perspective, table, uneven light,
 *   blur, noise, JPEG) of every catalogued document page, and one harder
 *   photo of each (tilt up to 35°, any orientation, a third to a half size);
 * - photos of the SIDTD forgeries of template 00, which must find 00;
 * - the JPEG of each PNG/JPEG pair, which must find its PNG;
 * - unrelated images (Oxford scenes), which must verify no candidate.
 *
 * A query is correct at rank r when the r-th candidate is the expected
 * capture (`exact`). Demo frauds are near copies of the genuine they imitate,
 * so `family` also accepts any capture of the same page in that imitation
 * family (the imitated genuine and its other frauds); another holder's
 * genuine document of the same design is not in the family.
 *
 *     npx tsc -b scripts && node scripts/dist/bench/identify.js [--seeds 1,2] [--distractors 0,100,450] [--dump answers.jsonl]
 *
 * `--dump` writes every answer (candidates by title and page, with scores),
 * one JSON line per query, so two builds can be shown to rank alike.
 *
 * Timings depend on how busy the machine is: the JSON records the load average.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { buildDemoLibrary, descriptorSimilarity, simulatePhoto } from '@exemplar/image-pipeline';
import type { Capture, IdentificationResult } from '@exemplar/specimens-schema';
import { loadConfig } from '@exemplar/server/dist/config';
import { openContext, type AppContext } from '@exemplar/server/dist/context';
import { systemActor } from '@exemplar/server/dist/services/actor';

const DEFAULT_BENCH_DATA = path.resolve(__dirname, '../../../../shared/benchdata');

export interface IdentifyBenchOptions {
  benchData?: string;
  /** Photo seeds per catalogued page (default [1, 2]). */
  seeds?: readonly number[];
  /** Cumulative distractor counts; query time is measured at each (default [0]). */
  distractors?: readonly number[];
  /** Queries timed at each distractor step after the first (default 12). */
  scaleQueries?: number;
  log?: (line: string) => void;
  /** A file to write every answer to, one JSON line per query (specimen ids differ between runs; titles do not). */
  dump?: string;
}

interface CatalogueEntry {
  /** Stable name in the report. */
  name: string;
  specimenId: string;
  captureId: string;
  /** Imitation family: the key of the genuine a fraud imitates, else its own key. */
  family: string;
  page: string;
  /** A file to photograph (the white image as ingested). */
  file: string;
}

interface Query {
  id: string;
  kind: 'photo' | 'hard-photo' | 'forgery-photo' | 'png-jpeg' | 'unrelated';
  file: string;
  /** The expected capture (specimenId/captureId), absent for unrelated images. */
  expected?: string;
  /** Captures also accepted by the `family` measure. */
  family?: readonly string[];
}

interface QueryOutcome {
  id: string;
  kind: Query['kind'];
  rankExact: number | null;
  rankFamily: number | null;
  top: { name: string; verified: boolean; inliers: number; similarity: number } | null;
  verifiedCandidates: number;
  /** Rank of the expected capture by global descriptor alone (what decides whether it is verified at all). */
  descriptorRank: number | null;
  ms: number;
  /** CPU time of the whole process (worker threads included) during the query. */
  cpuMs: number;
}

const percentile = (sorted: readonly number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]! : 0);
const round = (v: number, d = 1) => Math.round(v * 10 ** d) / 10 ** d;
/** Median and 95th percentile of `xs` (in any order), rounded. */
const p50p95 = (xs: readonly number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return { p50: round(percentile(sorted, 50)), p95: round(percentile(sorted, 95)) };
};

/** Document codes and categories of the specimen images, from their file names. */
const SPECIMEN_FILES: Record<string, { issuingState: string; documentCategory: string; documentCode: string }> = {
  '0_pass-lva.jpg': { issuingState: 'LVA', documentCategory: 'passport', documentCode: 'P' },
  '100_id-rou.jpg': { issuingState: 'ROU', documentCategory: 'id-card', documentCode: 'ID' },
  '100_pass-bdr.jpg': { issuingState: 'D', documentCategory: 'passport', documentCode: 'P' },
  '100_pass-cze.jpg': { issuingState: 'CZE', documentCategory: 'passport', documentCode: 'P' },
  '100_pass-fin.png': { issuingState: 'FIN', documentCategory: 'passport', documentCode: 'P' },
  '100_pass-isl.png': { issuingState: 'ISL', documentCategory: 'passport', documentCode: 'P' },
  '100_pass-polx.jpg': { issuingState: 'POL', documentCategory: 'passport', documentCode: 'P' },
  '100_visa-usa.jpg': { issuingState: 'USA', documentCategory: 'visa', documentCode: 'V' },
  '62_pass-aus.png': { issuingState: 'AUS', documentCategory: 'passport', documentCode: 'P' },
  '77_card-cmw.png': { issuingState: 'XXX', documentCategory: 'other', documentCode: 'I' },
  'passport-td2.png': { issuingState: 'UTO', documentCategory: 'travel-document', documentCode: 'I' },
  'passport-td3.png': { issuingState: 'UTO', documentCategory: 'passport', documentCode: 'P' },
};

/** A random document-like layout (panels, lines of text, a rosette, a photo box): unrelated to every catalogued design. */
async function distractorImage(seed: number): Promise<Buffer> {
  let s = (seed * 2654435761) >>> 0 || 1;
  const rand = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
  const w = 1000;
  const h = Math.round(w * (0.63 + rand() * 0.1));
  const hue = Math.floor(rand() * 360);
  const parts: string[] = [`<rect width="${w}" height="${h}" fill="hsl(${hue},35%,88%)"/>`];
  for (let i = 0; i < 14; i++) {
    const r = 20 + rand() * 160;
    parts.push(`<circle cx="${rand() * w}" cy="${rand() * h}" r="${r}" fill="none" stroke="hsl(${(hue + rand() * 90) % 360},50%,55%)" stroke-width="${1 + rand() * 2}"/>`);
  }
  parts.push(`<rect x="${30 + rand() * 40}" y="${60 + rand() * 40}" width="${180 + rand() * 60}" height="${230 + rand() * 60}" fill="hsl(${hue},10%,${40 + rand() * 30}%)"/>`);
  const words = ['SURNAME', 'GIVEN NAMES', 'DATE OF BIRTH', 'NATIONALITY', 'AUTHORITY', 'DATE OF EXPIRY', 'PLACE OF BIRTH', 'DOCUMENT NO'];
  const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  for (let line = 0; line < 9; line++) {
    const x = 320 + rand() * 80;
    const y = 80 + line * ((h - 160) / 9);
    let text = '';
    for (let k = 0; k < 8 + rand() * 14; k++) text += letters[Math.floor(rand() * letters.length)];
    parts.push(`<text x="${x}" y="${y}" font-family="DejaVu Sans" font-size="14" fill="#333">${words[Math.floor(rand() * words.length)]}</text>`);
    parts.push(`<text x="${x}" y="${y + 22}" font-family="DejaVu Sans Mono" font-size="20" fill="#111">${text}</text>`);
  }
  let mrz = '';
  for (let k = 0; k < 44; k++) mrz += rand() < 0.3 ? '&lt;' : letters[Math.floor(rand() * letters.length)];
  parts.push(`<text x="30" y="${h - 50}" font-family="DejaVu Sans Mono" font-size="24" fill="#000">${mrz}</text>`);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">${parts.join('')}</svg>`;
  return sharp(Buffer.from(svg)).jpeg({ quality: 90 }).toBuffer();
}

function rankOf(result: IdentificationResult, accept: (key: string) => boolean): number | null {
  const i = result.candidates.findIndex((c) => c.verified && accept(`${c.specimenId}/${c.captureId}`));
  return i < 0 ? null : i + 1;
}

/** Queries not answered right at rank 1, and unrelated images that verified a candidate. */
const misses = (outcomes: readonly QueryOutcome[]) =>
  outcomes
    .filter((o) => (o.kind !== 'unrelated' ? o.rankExact !== 1 : o.verifiedCandidates > 0))
    .map((o) => ({ id: o.id, rankExact: o.rankExact, rankFamily: o.rankFamily, descriptorRank: o.descriptorRank, top: o.top }));

function summarise(outcomes: readonly QueryOutcome[]) {
  const known = outcomes.filter((o) => o.kind !== 'unrelated');
  const unrelated = outcomes.filter((o) => o.kind === 'unrelated');
  const acc = (pick: (o: QueryOutcome) => number | null, k: number) => round(known.filter((o) => (pick(o) ?? Infinity) <= k).length / Math.max(1, known.length), 3);
  const mrr = (pick: (o: QueryOutcome) => number | null) => round(known.reduce((sum, o) => sum + (pick(o) ? 1 / pick(o)! : 0), 0) / Math.max(1, known.length), 3);
  const ms = outcomes.map((o) => o.ms);
  const byKind: Record<string, { queries: number; top1: number; top1Family: number }> = {};
  for (const o of known) {
    const e = (byKind[o.kind] ??= { queries: 0, top1: 0, top1Family: 0 });
    e.queries++;
    if (o.rankExact === 1) e.top1++;
    if (o.rankFamily === 1) e.top1Family++;
  }
  return {
    queries: known.length,
    exact: { top1: acc((o) => o.rankExact, 1), top3: acc((o) => o.rankExact, 3), mrr: mrr((o) => o.rankExact) },
    family: { top1: acc((o) => o.rankFamily, 1), top3: acc((o) => o.rankFamily, 3), mrr: mrr((o) => o.rankFamily) },
    byKind,
    descriptorRank: (() => {
      const r = known.map((o) => o.descriptorRank ?? Infinity).sort((a, b) => a - b);
      return { median: percentile(r, 50), p95: percentile(r, 95), max: r[r.length - 1] ?? 0, within12: known.filter((o) => (o.descriptorRank ?? Infinity) <= 12).length };
    })(),
    unrelated: { queries: unrelated.length, withVerifiedCandidate: unrelated.filter((o) => o.verifiedCandidates > 0).length },
    msPerQuery: { ...p50p95(ms), max: round(ms.length ? Math.max(...ms) : 0) },
    cpuMsPerQuery: p50p95(outcomes.map((o) => o.cpuMs)),
  };
}

export async function benchIdentify(options: IdentifyBenchOptions = {}) {
  const benchData = options.benchData ?? DEFAULT_BENCH_DATA;
  const seeds = options.seeds ?? [1, 2];
  const steps = options.distractors ?? [0];
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  // Answers are appended query by query: an earlier run's must not stay in the file two builds are compared by.
  if (options.dump) await fs.writeFile(options.dump, '');
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'exemplar-bench-identify-'));
  const work = path.join(dir, 'bench-files');
  await fs.mkdir(work, { recursive: true });
  const config = loadConfig({ EXEMPLAR_DATA_DIR: path.join(dir, 'data'), EXEMPLAR_SEED_DEMO: 'never', LOG_LEVEL: 'silent' });
  const ctx: AppContext = await openContext(config);
  const actor = systemActor('bench-identify');
  const loadBefore = os.loadavg()[0] ?? 0;
  const catalogue: CatalogueEntry[] = [];
  const ingestMs: number[] = [];
  let images = 0;
  /** Global descriptors by capture key, to see where the descriptor stage ranks the expected capture. */
  const descriptors = new Map<string, Uint8Array>();
  const remember = (specimenId: string, capture: Capture) => {
    const d = capture.images.find((i) => i.identification)?.identification?.descriptor;
    if (d) descriptors.set(`${specimenId}/${capture.id}`, new Uint8Array(Buffer.from(d, 'base64')));
  };

  const add = async (record: Record<string, unknown>, pages: { page: string; file: string; name: string }[], family: string) => {
    const specimen = await ctx.services.specimens.create({ classification: 'public', ...record }, actor);
    for (const p of pages) {
      const start = process.hrtime.bigint();
      const capture = await ctx.services.ingest.addCapture(specimen.id, { page: p.page, dpi: 300, device: 'bench' }, [{ lightSource: 'white', path: p.file, originalName: path.basename(p.file) }], actor);
      ingestMs.push(Number(process.hrtime.bigint() - start) / 1e6);
      remember(specimen.id, capture);
      images++;
      catalogue.push({ name: p.name, specimenId: specimen.id, captureId: capture.id, family, page: p.page, file: p.file });
    }
  };

  try {
    log('catalogue: demo library');
    for (const demo of await buildDemoLibrary({ seed: 1 })) {
      const pages = [];
      for (const c of demo.captures) {
        const file = path.join(work, `${demo.key}-${c.page}.jpg`);
        await fs.writeFile(file, c.images.white);
        pages.push({ page: c.page, file, name: `${demo.key}/${c.page}` });
      }
      const { imitates, ...record } = demo.specimen;
      await add(record, pages, imitates ?? demo.key);
    }
    log('catalogue: MIDV-2020 templates');
    const alb = path.join(benchData, 'midv2020-sidtd/alb_id');
    for (const holder of ['00', '01']) {
      await add(
        { status: 'genuine', issuingState: 'ALB', documentCategory: 'id-card', documentCode: 'ID', title: `MIDV-2020 Albanian ID card template ${holder}`, tags: ['bench'] },
        [{ page: 'front', file: path.join(alb, `${holder}.jpg`), name: `alb_id/${holder}` }],
        `alb_id/${holder}`,
      );
    }
    log('catalogue: government specimen images');
    const pe = path.join(benchData, 'passporteye-specimens');
    for (const [file, meta] of Object.entries(SPECIMEN_FILES)) {
      await add({ status: 'genuine', ...meta, title: `Specimen ${file}`, tags: ['bench'] }, [{ page: meta.documentCategory === 'passport' ? 'data-page' : 'front', file: path.join(pe, file), name: `passporteye/${file}` }], `passporteye/${file}`);
    }

    const keyOf = (e: CatalogueEntry) => `${e.specimenId}/${e.captureId}`;
    const familyOf = (e: CatalogueEntry) => catalogue.filter((o) => o.family === e.family && o.page === e.page).map(keyOf);
    const queries: Query[] = [];
    log('queries: photos');
    for (const e of catalogue) {
      for (const seed of seeds) {
        const photo = await simulatePhoto(await fs.readFile(e.file), { seed: seed * 1000 + queries.length });
        const file = path.join(work, `q${queries.length}.jpg`);
        await fs.writeFile(file, photo.image);
        queries.push({ id: `photo:${e.name}#${seed}`, kind: 'photo', file, expected: keyOf(e), family: familyOf(e) });
      }
      // Harder: steep tilt, any orientation (a document handed over upside down), small and so low-resolution.
      const hard = await simulatePhoto(await fs.readFile(e.file), { seed: 31 * queries.length + 17, maxTiltDeg: 35, maxRotationDeg: 180, scale: [0.3, 0.6] });
      const hardFile = path.join(work, `q${queries.length}.jpg`);
      await fs.writeFile(hardFile, hard.image);
      queries.push({ id: `hard-photo:${e.name}`, kind: 'hard-photo', file: hardFile, expected: keyOf(e), family: familyOf(e) });
    }
    const alb00 = catalogue.find((e) => e.name === 'alb_id/00')!;
    for (const forged of ['fake_alb00.jpg', 'fake_ir_alb00.jpg']) {
      for (const seed of seeds) {
        const photo = await simulatePhoto(await fs.readFile(path.join(alb, forged)), { seed: seed * 7919 + queries.length });
        const file = path.join(work, `q${queries.length}.jpg`);
        await fs.writeFile(file, photo.image);
        queries.push({ id: `forgery-photo:${forged}#${seed}`, kind: 'forgery-photo', file, expected: keyOf(alb00), family: [keyOf(alb00)] });
      }
    }
    for (const pair of ['passport-td2', 'passport-td3']) {
      const target = catalogue.find((e) => e.name === `passporteye/${pair}.png`)!;
      queries.push({ id: `png-jpeg:${pair}`, kind: 'png-jpeg', file: path.join(pe, `${pair}.jpg`), expected: keyOf(target), family: [keyOf(target)] });
    }
    for (const seq of ['graf', 'boat', 'bikes', 'leuven', 'ubc']) {
      for (const img of ['img1', 'img4']) queries.push({ id: `unrelated:oxford/${seq}/${img}`, kind: 'unrelated', file: path.join(benchData, 'oxford-affine', seq, `${img}.png`) });
    }

    const nameOf = new Map(catalogue.map((e) => [keyOf(e), e.name]));
    const runQuery = async (q: Query): Promise<QueryOutcome> => {
      const start = process.hrtime.bigint();
      const cpu = process.cpuUsage();
      const result = await ctx.services.identify.identifyFile(q.file, { k: 5 }, actor);
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      const used = process.cpuUsage(cpu);
      if (options.dump) {
        const answer = result.candidates.map(({ title, page, lightSource, verified, inliers, similarity, score }) => ({ title, page, lightSource, verified, inliers, similarity, score }));
        await fs.appendFile(options.dump, `${JSON.stringify({ query: q.id, catalogueImages: images, searched: result.searched, verified: result.verified, candidates: answer })}\n`);
      }
      const first = result.candidates[0];
      let descriptorRank: number | null = null;
      if (q.expected) {
        const global = (await ctx.pipeline.describeFile(q.file)).global;
        const expected = descriptorSimilarity(global, descriptors.get(q.expected)!);
        descriptorRank = 1 + [...descriptors.values()].filter((d) => descriptorSimilarity(global, d) > expected).length;
      }
      return {
        id: q.id,
        kind: q.kind,
        rankExact: q.expected ? rankOf(result, (k) => k === q.expected) : null,
        rankFamily: q.family ? rankOf(result, (k) => q.family!.includes(k)) : null,
        top: first ? { name: nameOf.get(`${first.specimenId}/${first.captureId}`) ?? 'distractor', verified: first.verified, inliers: first.inliers, similarity: first.similarity } : null,
        verifiedCandidates: result.candidates.filter((c) => c.verified).length,
        descriptorRank,
        ms: round(ms),
        cpuMs: round((used.user + used.system) / 1000),
      };
    };

    // Warm-up: starts the worker threads and OpenCV, which the first query would otherwise pay for.
    await runQuery(queries[0]!);
    const scaling: { catalogueImages: number; queries: number; msPerQuery: { p50: number; p95: number }; cpuMsPerQuery: { p50: number; p95: number }; searched: number }[] = [];
    let full: QueryOutcome[] = [];
    let distractors = 0;
    const scaleQueries = options.scaleQueries ?? 12;
    for (const [step, target] of steps.entries()) {
      if (target > distractors) log(`catalogue: distractors ${distractors} → ${target}`);
      for (; distractors < target; distractors++) {
        const file = path.join(work, `distractor-${distractors}.jpg`);
        await fs.writeFile(file, await distractorImage(distractors + 1));
        const specimen = await ctx.services.specimens.create(
          { status: 'genuine', issuingState: 'XXX', documentCategory: 'other', title: `Distractor ${distractors}`, classification: 'public', tags: ['bench', 'distractor'] },
          actor,
        );
        remember(specimen.id, await ctx.services.ingest.addCapture(specimen.id, { page: 'front', dpi: 300, device: 'bench' }, [{ lightSource: 'white', path: file, originalName: path.basename(file) }], actor));
        images++;
      }
      const isLast = step === steps.length - 1;
      // Every query at the first and the last size; a fixed subset between (timing only).
      const subset = step === 0 || isLast ? queries : queries.filter((_, i) => i % Math.max(1, Math.floor(queries.length / scaleQueries)) === 0).slice(0, scaleQueries);
      log(`queries: ${subset.length} at ${images} catalogue images`);
      const outcomes: QueryOutcome[] = [];
      for (const q of subset) outcomes.push(await runQuery(q));
      const searched = (await ctx.services.identify.identifyFile(queries[0]!.file, { k: 1 }, actor)).searched;
      scaling.push({ catalogueImages: images, queries: subset.length, msPerQuery: p50p95(outcomes.map((o) => o.ms)), cpuMsPerQuery: p50p95(outcomes.map((o) => o.cpuMs)), searched });
      if (step === 0) full = outcomes;
      if (isLast && step > 0) (scaling[scaling.length - 1] as Record<string, unknown>).accuracyAtThisSize = { ...summarise(outcomes), misses: misses(outcomes) };
    }

    return {
      catalogue: { specimens: new Set(catalogue.map((e) => e.specimenId)).size, images: catalogue.length, distractors },
      ...summarise(full),
      misses: misses(full),
      scaling,
      ingestMsPerImage: p50p95(ingestMs),
      conditions: { cpus: os.availableParallelism(), loadAverage1m: { before: round(loadBefore), after: round(os.loadavg()[0] ?? 0) }, note: 'shared machine: timings are noisy' },
    };
  } finally {
    await ctx.close();
    await fs.rm(dir, { recursive: true, force: true });
  }
}

function listArg(name: string): number[] | undefined {
  const i = process.argv.indexOf(name);
  if (i < 0) return undefined;
  const values = (process.argv[i + 1] ?? '').split(',').map(Number);
  if (values.some((v) => !Number.isInteger(v) || v < 0)) throw new Error(`${name} takes comma-separated whole numbers`);
  return values;
}

if (require.main === module) {
  const distractors = listArg('--distractors');
  if (distractors && distractors.some((v, i) => i > 0 && v < distractors[i - 1]!)) throw new Error('--distractors counts must not decrease');
  const dumpAt = process.argv.indexOf('--dump');
  const dump = dumpAt < 0 ? undefined : process.argv[dumpAt + 1];
  if (dumpAt >= 0 && !dump) throw new Error('--dump takes a file name');
  benchIdentify({ seeds: listArg('--seeds'), distractors, dump })
    .then((r) => process.stdout.write(`${JSON.stringify(r, null, 2)}\n`))
    .catch((err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    });
}
