/**
 * `npm run bench:catalog`: ingest time of a 3-image 2000×1400 capture and
 * search latency at 10k and 100k specimens, on the embedded stores. Prints
 * one JSON document with the targets beside the measurements.
 *
 *   node scripts/dist/bench/catalog.js [--sizes 10000,100000] [--dir bench-out] [--reuse] [--runs 5]
 */
import path from 'node:path';
import { benchCatalogIngest } from './catalog-ingest';
import { benchCatalogSearch } from './catalog-search';

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const sizes = (option('sizes') ?? '10000,100000').split(',').map((s) => Number(s));
  if (sizes.some((n) => !Number.isInteger(n) || n <= 0)) throw new Error('--sizes takes a comma-separated list of positive whole numbers');
  const runs = Number(option('runs') ?? '5');
  const dir = path.resolve(option('dir') ?? 'bench-out');
  const ingest = await benchCatalogIngest({ runs, width: 2000, height: 1400 });
  const search = await benchCatalogSearch({ sizes, dir, reuse: process.argv.includes('--reuse') });
  const largest = search.sizes.find((s) => s.size === 100_000);
  const result = {
    benchmark: 'catalog',
    node: process.version,
    ingest,
    search,
    targets: {
      ingestMsPerCapture: { target: 1500, measuredMedian: ingest.msPerCapture.median, met: ingest.msPerCapture.median <= 1500 },
      searchP95At100k: largest ? { target: 50, measured: largest.overall.p95, met: largest.overall.p95 <= 50 } : null,
    },
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:catalog failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
