/**
 * Stress benchmark: alignment on synthetic pairs of the kinds the Oxford
 * set leaves out — zoom with rotation, steep views of a repetitive brick
 * wall, heavy defocus of foliage — with exact homographies, ours beside the
 * native OpenCV baseline in the same run (`benchOxford` on the pairs that
 * `stress-pairs.py` writes, one set per seed).
 *
 * The generator runs on Debian's python3-opencv (as the native baseline
 * does); its natural sources are Oxford img1 images from ../shared.
 *
 *     npx tsc -b scripts && taskset -c 0 node scripts/dist/bench/pipeline-stress.js [--seeds 1,2] [--repeat 1] [--no-native]
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { benchOxford, repoRoot, summarize, type MethodSummary, type OxfordBenchReport } from './pipeline-oxford';

const run = promisify(execFile);

export interface StressBenchOptions {
  seeds?: readonly number[];
  repeat?: number;
  native?: boolean;
  python?: string;
  log?: (line: string) => void;
}

type Row = OxfordBenchReport['pairs'][number] & { seed: number };

/** The kind of a sequence: the part of its name before the source (`zoomrot-boat` → `zoomrot`). */
const kindOf = (sequence: string) => sequence.split('-')[0]!;

export async function benchStress(opts: StressBenchOptions = {}) {
  const seeds = opts.seeds ?? [1];
  const python = opts.python ?? '/usr/bin/python3';
  const generator = path.join(repoRoot(), 'scripts', 'bench', 'stress-pairs.py');
  const rows: Row[] = [];
  let meta: Record<string, unknown> = {};
  for (const seed of seeds) {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'exemplar-stress-'));
    try {
      await run(python, [generator, dir, String(seed)], { maxBuffer: 16 * 1024 * 1024 }).catch((err: unknown) => {
        const e = err as NodeJS.ErrnoException & { stderr?: string };
        if (e.code === 'ENOENT') throw new Error(`${python} not found: the pair generator needs Python 3 with OpenCV (Debian: apt-get install python3-opencv)`);
        // The generator's own message (missing OpenCV, missing ../shared images) is its last line of stderr.
        throw new Error(e.stderr?.trim().split('\n').pop() || e.message);
      });
      const report = await benchOxford({ data: dir, repeat: opts.repeat ?? 1, native: opts.native, python, log: opts.log });
      meta = report.meta;
      for (const p of report.pairs) rows.push({ ...p, seed });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  const by = (pick: (r: Row) => boolean) => {
    const sel = rows.filter(pick);
    const out: { ours: MethodSummary; nativeOrb?: MethodSummary; nativeAkaze?: MethodSummary } = { ours: summarize(sel.map((r) => r.ours)) };
    if (sel.every((r) => r.nativeOrb)) out.nativeOrb = summarize(sel.map((r) => r.nativeOrb!));
    if (sel.every((r) => r.nativeAkaze)) out.nativeAkaze = summarize(sel.map((r) => r.nativeAkaze!));
    return out;
  };
  const kinds = [...new Set(rows.map((r) => kindOf(r.sequence)))];
  return {
    benchmark: 'pipeline-stress',
    meta: { ...meta, data: `scripts/bench/stress-pairs.py, seeds ${seeds.join(',')}`, seeds },
    summary: { all: by(() => true), ...Object.fromEntries(kinds.map((k) => [k, by((r) => kindOf(r.sequence) === k)])) },
    pairs: rows,
  };
}

function parseArgs(argv: readonly string[]): StressBenchOptions {
  const opts: { seeds?: number[]; repeat?: number; native?: boolean } = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--seeds') opts.seeds = value().split(',').map(Number);
    else if (a === '--repeat') opts.repeat = Number(value());
    else if (a === '--no-native') opts.native = false;
    else throw new Error(`unknown argument ${a} (use --seeds 1,2, --repeat N, --no-native)`);
  }
  if (opts.seeds?.some((s) => !Number.isInteger(s))) throw new Error('--seeds takes whole numbers separated by commas');
  return opts;
}

if (require.main === module) {
  Promise.resolve()
    .then(() => benchStress(parseArgs(process.argv.slice(2))))
    .then((report) => process.stdout.write(`${JSON.stringify(report, null, 1)}\n`))
    .catch((err: unknown) => {
      process.stderr.write(`pipeline-stress: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    });
}
