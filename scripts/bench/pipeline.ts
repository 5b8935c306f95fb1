/**
 * `npm run bench:pipeline`: the comparison pipeline's benchmarks in one JSON
 * document.
 *
 * - Oxford pairs, ours beside the native OpenCV baseline in the same run: the
 *   two vCPUs here differ in speed, so that part runs in a child pinned to
 *   CPU 0 (`taskset`), where the bench also pins its native Python child.
 * - A full 3-light capture comparison (2000×1400) through the worker pool on
 *   both cores, as a flat scan and as a perspective photo.
 * - The difference stage on documents (MIDV-2020/SIDTD forgeries and more
 *   generated from the same template, as scans and photos; a genuine pair of
 *   two holders, PNG/JPEG pairs, perspective photos of synthetic documents
 *   with a known homography) and its time per light source.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { benchCapture } from './pipeline-capture';
import { benchDocuments } from './pipeline-documents';

const run = promisify(execFile);

async function oxfordPinned(repeat: number): Promise<unknown> {
  const script = path.join(__dirname, 'pipeline-oxford.js');
  const { stdout } = await run('taskset', ['-c', '0', process.execPath, script, '--repeat', String(repeat)], {
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout) as unknown;
}

async function main(): Promise<void> {
  const repeatArg = process.argv.indexOf('--repeat');
  const repeat = repeatArg >= 0 ? Number(process.argv[repeatArg + 1]) : 3;
  const oxford = await oxfordPinned(repeat);
  const capture = await benchCapture({ threads: 2, runs: 3 });
  const capturePhoto = await benchCapture({ threads: 2, runs: 3, photo: true });
  const documents = await benchDocuments({ runs: repeat });
  process.stdout.write(`${JSON.stringify({ benchmark: 'pipeline', node: process.version, oxford, capture, capturePhoto, documents }, null, 1)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:pipeline failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
