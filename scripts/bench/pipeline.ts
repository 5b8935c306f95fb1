/**
 * `npm run bench:pipeline`: the comparison pipeline's benchmarks in one JSON
 * document. Run it pinned to one CPU for the Oxford timing ratio to mean
 * anything (`taskset -c 0 npm run bench:pipeline`); the native OpenCV
 * baseline runs in the same run on the same pairs.
 */
import { benchOxford } from './pipeline-oxford';

async function main(): Promise<void> {
  const repeatArg = process.argv.indexOf('--repeat');
  const repeat = repeatArg >= 0 ? Number(process.argv[repeatArg + 1]) : 3;
  const oxford = await benchOxford({ repeat });
  process.stdout.write(`${JSON.stringify({ benchmark: 'pipeline', node: process.version, oxford }, null, 1)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:pipeline failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
