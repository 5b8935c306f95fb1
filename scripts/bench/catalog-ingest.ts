/**
 * Ingest benchmark: time to ingest one 3-image capture (white, UV 365, IR 870
 * at 2000×1400) through the same IngestService the API and the CLI use, on
 * the embedded stores (SQLite file + object folder). Each run uses fresh
 * images so de-duplication never short-cuts the work.
 *
 *   node scripts/dist/bench/catalog-ingest.js [--runs 5]
 *
 * sharp gives each operation one thread on glibc Linux unless
 * MALLOC_ARENA_MAX is set (then one per core); the JSON says which applied.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { loadConfig } from '@exemplar/server/dist/config';
import { openContext } from '@exemplar/server/dist/context';
import { systemActor } from '@exemplar/server/dist/services/actor';

export interface IngestBenchOptions {
  runs: number;
  width: number;
  height: number;
  dir?: string;
}

export interface IngestBenchResult {
  imagesPerCapture: number;
  width: number;
  height: number;
  runs: number;
  msPerCapture: { median: number; p95: number; max: number; all: number[] };
  /** The first run also starts the pipeline's worker threads (OpenCV) that compute the identification descriptor. */
  firstCaptureMs: number;
  bytesPerCapture: number;
  /** What the timings depend on besides the code: sharp's thread count per operation and how busy the machine was. */
  conditions: { cpus: number; sharpConcurrency: number; loadAverage1m: { before: number; after: number } };
}

const LIGHTS = ['white', 'uv-365', 'ir-870'] as const;

/** A document-like test image: smooth background, fine line pattern and noise, so JPEG size and decode cost are realistic. */
async function makeImage(width: number, height: number, seed: number, light: (typeof LIGHTS)[number]): Promise<Buffer> {
  const channels = 3;
  const data = Buffer.alloc(width * height * channels);
  let state = (seed * 2654435761) >>> 0;
  const rand = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
  const base = light === 'white' ? [236, 230, 214] : light === 'uv-365' ? [18, 16, 40] : [200, 200, 200];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const wave = Math.sin((x + seed * 7) / 9 + Math.sin(y / 37) * 3) * Math.cos(y / 11);
      const line = wave > 0.92 ? -70 : 0;
      const n = (rand() - 0.5) * 12;
      const i = (y * width + x) * channels;
      for (let c = 0; c < channels; c++) data[i + c] = Math.max(0, Math.min(255, base[c]! + line + n));
    }
  }
  return sharp(data, { raw: { width, height, channels } }).jpeg({ quality: 90 }).toBuffer();
}

function percentile(sorted: readonly number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export async function benchCatalogIngest(options: IngestBenchOptions): Promise<IngestBenchResult> {
  const dir = options.dir ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'exemplar-bench-ingest-')));
  const config = loadConfig({ EXEMPLAR_DATA_DIR: dir, EXEMPLAR_SEED_DEMO: 'never', LOG_LEVEL: 'silent' });
  const ctx = await openContext(config);
  const actor = systemActor('bench');
  const loadBefore = os.loadavg()[0] ?? 0;
  const times: number[] = [];
  let bytes = 0;
  try {
    const specimen = await ctx.services.specimens.create(
      { status: 'genuine', issuingState: 'UTO', documentCategory: 'passport', documentCode: 'P', series: '2019', title: 'Ingest benchmark', classification: 'public', tags: ['bench'] },
      actor,
    );
    const imageDir = path.join(dir, 'bench-images');
    await fs.mkdir(imageDir, { recursive: true });
    for (let run = 0; run < options.runs; run++) {
      const files = [];
      for (const light of LIGHTS) {
        const file = path.join(imageDir, `${run}-${light}.jpg`);
        const image = await makeImage(options.width, options.height, run * 10 + LIGHTS.indexOf(light) + 1, light);
        await fs.writeFile(file, image);
        if (run === 0) bytes += image.length;
        files.push({ lightSource: light, path: file, originalName: path.basename(file) });
      }
      const start = process.hrtime.bigint();
      await ctx.services.ingest.addCapture(specimen.id, { page: 'data-page', dpi: 400, device: 'bench' }, files, actor);
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
  } finally {
    await ctx.close();
    if (!options.dir) await fs.rm(dir, { recursive: true, force: true });
  }
  const sorted = [...times].sort((a, b) => a - b);
  const round = (v: number) => Math.round(v * 10) / 10;
  return {
    imagesPerCapture: LIGHTS.length,
    width: options.width,
    height: options.height,
    runs: options.runs,
    msPerCapture: { median: round(percentile(sorted, 50)), p95: round(percentile(sorted, 95)), max: round(sorted[sorted.length - 1]!), all: times.map(round) },
    firstCaptureMs: round(times[0]!),
    bytesPerCapture: bytes,
    conditions: {
      cpus: os.availableParallelism(),
      sharpConcurrency: sharp.concurrency(),
      loadAverage1m: { before: round(loadBefore), after: round(os.loadavg()[0] ?? 0) },
    },
  };
}

if (require.main === module) {
  const i = process.argv.indexOf('--runs');
  const runs = i >= 0 ? Number(process.argv[i + 1]) : 5;
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs takes a positive whole number');
  benchCatalogIngest({ runs, width: 2000, height: 1400 })
    .then((r) => process.stdout.write(`${JSON.stringify(r, null, 2)}\n`))
    .catch((err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    });
}
