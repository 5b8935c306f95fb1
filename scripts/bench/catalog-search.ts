/**
 * Search benchmark for the embedded catalog: fills a real SQLite file with N
 * synthetic specimens through the adapter (seeded, so every run searches the
 * same library), then times a fixed, seeded mix of the searches people make:
 * the landing page, one or two facet filters, free text, text with filters,
 * and a page deep into the results — every one with all facet counts.
 *
 * The first search of a process loads the adapter's in-memory index; it is
 * reported apart (`firstSearchMs`) and the mix runs after it.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { seededRandom, syntheticSpecimens } from '@exemplar/server/dist/stores/catalog.fixtures';
import type { FacetName, SpecimenPage, SpecimenQuery, SpecimenSort } from '@exemplar/server/dist/stores/catalog.port';
import { SqliteCatalogStore } from '@exemplar/server/dist/stores/catalog.sqlite';

export interface CatalogSearchBenchOptions {
  /** Library sizes to measure, e.g. [10_000, 100_000]. */
  sizes: number[];
  /** Folder for the SQLite files (one per size, replaced on every run). */
  dir: string;
  /** Timed searches per query kind; default 60. */
  perKind?: number;
  seed?: number;
  /** Keep a file from an earlier run with the same size and seed instead of filling it again (fillMs is then null). */
  reuse?: boolean;
}

export interface LatencySummary {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Wall-clock latency, and the CPU time the process spent on it: on a shared machine the second shows the work apart from the wait for a core. */
export interface QuerySummary extends LatencySummary {
  cpu: Omit<LatencySummary, 'count'>;
}

export interface CatalogSearchBenchSize {
  size: number;
  fillMs: number | null;
  fileBytes: number;
  firstSearchMs: number;
  queries: Record<QueryKind, QuerySummary>;
  overall: QuerySummary;
}

export interface CatalogSearchBenchResult {
  benchmark: 'catalog-search';
  adapter: 'sqlite';
  unit: 'ms';
  sizes: CatalogSearchBenchSize[];
}

const KINDS = ['landing', 'oneFacet', 'twoFacets', 'text', 'textAndFilters', 'deepPage'] as const;
type QueryKind = (typeof KINDS)[number];

/** Specimens are generated and written in chunks so that memory stays flat at any size. */
const CHUNK = 5000;
/** How deep `deepPage` goes: page 21 of 50, past the first thousand results. */
const DEEP_PAGES = 20;
const TEXT = ['passport', 'utopia', 'germ', 'fran', 'ident card', 'hologram', 'laminate', 'microprint ink', '2019', 'counterfeit', 'photo', 'pa', 'visa 2015'];

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function summarise(samples: number[]): LatencySummary {
  const s = [...samples].sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 100) / 100;
  return { count: s.length, p50: r(percentile(s, 50)), p95: r(percentile(s, 95)), p99: r(percentile(s, 99)), max: r(s[s.length - 1] ?? 0) };
}

async function fill(store: SqliteCatalogStore, size: number, seed: number): Promise<void> {
  for (let start = 0, chunk = 0; start < size; start += CHUNK, chunk++) {
    const batch = syntheticSpecimens(Math.min(CHUNK, size - start), seed + chunk, `c${chunk}x`);
    for (const s of batch) await store.specimens.create(s);
  }
}

/** Query makers draw their values from the library's own facets, most often the popular ones, as users click them. */
function queryMaker(landing: SpecimenPage, rand: () => number) {
  const pickValue = (facet: FacetName): string => {
    const top = landing.facets[facet].slice(0, 8);
    if (top.length === 0) throw new Error(`the library has no ${facet} values`);
    return top[Math.floor(rand() ** 1.5 * top.length)]!.value;
  };
  const filterFacets: FacetName[] = ['issuingState', 'documentCategory', 'status', 'classification', 'lightSource', 'featureType', 'tags', 'forgeryMethod', 'documentCode'];
  const sorts: SpecimenSort[] = ['-updatedAt', '-updatedAt', '-updatedAt', 'title', '-createdAt', 'issuingState'];
  const filter = (): SpecimenQuery => {
    const facet = filterFacets[Math.floor(rand() * filterFacets.length)]!;
    return { [facet]: [pickValue(facet)] };
  };
  const sort = () => sorts[Math.floor(rand() * sorts.length)]!;
  const text = () => TEXT[Math.floor(rand() * TEXT.length)]!;
  return {
    landing: (): SpecimenQuery => ({}),
    oneFacet: (): SpecimenQuery => ({ ...filter(), sort: sort() }),
    twoFacets: (): SpecimenQuery => ({ ...filter(), ...filter(), sort: sort() }),
    text: (): SpecimenQuery => ({ q: text(), sort: rand() < 0.5 ? 'relevance' : '-updatedAt' }),
    textAndFilters: (): SpecimenQuery => ({ q: text(), ...filter(), ...(rand() < 0.5 ? filter() : {}), sort: rand() < 0.5 ? 'relevance' : sort() }),
    deepPage: (): SpecimenQuery => ({ ...(rand() < 0.5 ? filter() : {}), sort: sort() }),
  } satisfies Record<QueryKind, () => SpecimenQuery>;
}

interface Sample {
  wall: number;
  cpu: number;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  return (await sampled(fn)).wall;
}

async function sampled(fn: () => Promise<unknown>): Promise<Sample> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1000 };
}

function summariseSamples(samples: Sample[]): QuerySummary {
  const cpu = summarise(samples.map((s) => s.cpu));
  return { ...summarise(samples.map((s) => s.wall)), cpu: { p50: cpu.p50, p95: cpu.p95, p99: cpu.p99, max: cpu.max } };
}

async function countIn(file: string): Promise<number | null> {
  try {
    await fs.access(file);
  } catch {
    return null;
  }
  const store = new SqliteCatalogStore({ file });
  try {
    await store.init();
    return await store.specimens.count();
  } finally {
    await store.close();
  }
}

async function benchSize(size: number, dir: string, perKind: number, seed: number, reuse: boolean): Promise<CatalogSearchBenchSize> {
  const file = path.join(dir, `catalog-search-${size}-${seed}.sqlite`);
  let fillMs: number | null = null;
  if (!(reuse && (await countIn(file)) === size)) {
    for (const suffix of ['', '-wal', '-shm']) await fs.rm(file + suffix, { force: true });
    // NORMAL only speeds up the fill (no fsync per commit); searches do not write.
    const writer = new SqliteCatalogStore({ file, synchronous: 'NORMAL' });
    await writer.init();
    fillMs = Math.round(await timed(() => fill(writer, size, seed)));
    await writer.close();
  }

  // A fresh instance, as a server starting on an existing library.
  const store = new SqliteCatalogStore({ file });
  await store.init();
  try {
    let landing: SpecimenPage | undefined;
    const firstSearchMs = await timed(async () => {
      landing = await store.specimens.search({});
    });
    const make = queryMaker(landing!, seededRandom(seed ^ 0x5eed));
    const samples = Object.fromEntries(KINDS.map((k) => [k, [] as Sample[]])) as Record<QueryKind, Sample[]>;
    // Interleaved, so that no kind gets a warmer cache than another.
    for (let i = 0; i < perKind; i++) {
      for (const kind of KINDS) {
        const q = make[kind]();
        if (kind === 'deepPage') {
          let cursor: string | null = null;
          for (let p = 0; p < DEEP_PAGES; p++) {
            const page: SpecimenPage = await store.specimens.search({ ...q, ...(cursor ? { cursor } : {}) });
            cursor = page.nextCursor;
            if (!cursor) break;
          }
          if (!cursor) continue;
          const at = cursor;
          samples[kind].push(await sampled(() => store.specimens.search({ ...q, cursor: at })));
        } else {
          samples[kind].push(await sampled(() => store.specimens.search(q)));
        }
      }
    }
    const queries = Object.fromEntries(KINDS.map((k) => [k, summariseSamples(samples[k])])) as Record<QueryKind, QuerySummary>;
    const { size: fileBytes } = await fs.stat(file);
    return { size, fillMs, fileBytes, firstSearchMs: Math.round(firstSearchMs), queries, overall: summariseSamples(KINDS.flatMap((k) => samples[k])) };
  } finally {
    await store.close();
  }
}

export async function benchCatalogSearch(opts: CatalogSearchBenchOptions): Promise<CatalogSearchBenchResult> {
  await fs.mkdir(opts.dir, { recursive: true });
  const sizes: CatalogSearchBenchSize[] = [];
  for (const size of opts.sizes) sizes.push(await benchSize(size, opts.dir, opts.perKind ?? 60, opts.seed ?? 20240601, opts.reuse ?? false));
  return { benchmark: 'catalog-search', adapter: 'sqlite', unit: 'ms', sizes };
}

if (require.main === module) {
  const sizes = (process.argv[2] ?? '10000,100000').split(',').map(Number);
  const dir = process.argv[3] ?? path.resolve('bench-out');
  benchCatalogSearch({ sizes, dir })
    .then((r) => process.stdout.write(`${JSON.stringify(r, null, 2)}\n`))
    .catch((err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    });
}
