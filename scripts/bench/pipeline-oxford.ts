/**
 * Oxford affine benchmark: our alignment (opencv-js, `alignImages`) against
 * the native OpenCV anchor (`../shared/bench/native_align.py`, Debian
 * python3-opencv, one thread), in the same run, on the same 25 pairs.
 *
 * Speed is only meaningful as a ratio taken in one run: pairs are
 * interleaved (ours, then native, pair by pair) so that load from other
 * processes hits both sides alike, and both sides should be pinned to one
 * CPU — run this under `taskset -c N`; the Python child is pinned to the
 * same CPU. Decoding is excluded from the times on both sides, and each
 * side's time for a pair is the median of `repeat` runs in a warm process
 * (as `oxford_eval.py` does).
 *
 *     npx tsc -b scripts && taskset -c 0 node scripts/dist/bench/pipeline-oxford.js [--repeat 3] [--no-native]
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { alignImages, cornerError, decodeForAnalysis, refineAlignment, type AlignResult, type GreyImage } from '@exemplar/image-pipeline';

export interface OxfordBenchOptions {
  /** Folder with `pairs.json` and the sequences; default `../shared/benchdata/oxford-affine` from the repository root. */
  data?: string;
  /** Folder with `native_align.py`; default `../shared/bench`. */
  nativeDir?: string;
  python?: string;
  /** Timed runs per pair and side; the median is kept. */
  repeat?: number;
  /** Also run the native baseline (default true). */
  native?: boolean;
  /** CPU for the Python child when this process is not pinned to a single CPU. */
  cpu?: number;
  /** Progress lines (stderr by default). */
  log?: (line: string) => void;
}

interface PairSpec {
  sequence: string;
  pair: string;
  reference: string;
  query: string;
  width: number;
  height: number;
  truth: number[];
}

export interface SideResult {
  error: number | null;
  ms: number;
  inliers: number;
}

export interface OursResult extends SideResult {
  /**
   * Corner error after refining *from the published homography* (untimed):
   * where our refinement objective puts the optimum. Far from 0 means the
   * images themselves disagree with the ground truth (relief, lens
   * distortion, a not quite planar scene), not that matching failed.
   */
  errorFromTruthStart: number | null;
  ok: boolean;
  reason: string | null;
  chosen: string | null;
  /** The sharper image and the blur that equalised it with the other before the last refinement pass. */
  blur: { image: string; sigma: number } | null;
  stages: Record<string, number>;
}

export interface MethodSummary {
  pairs: number;
  failures: number;
  medianCornerErrorPx: number | null;
  meanCornerErrorPx: number | null;
  meanCornerErrorPxWhenErrLe10: number | null;
  'acc@1px': number;
  'acc@3px': number;
  'acc@5px': number;
  'acc@10px': number;
  meanMsPerPair: number;
  medianMsPerPair: number;
  maxMsPerPair: number;
}

export interface OxfordBenchReport {
  meta: Record<string, unknown>;
  summary: {
    ours: MethodSummary;
    /** Our refinement started at the ground truth: the accuracy the data allow this objective. */
    oursFromTruthStart: { 'acc@1px': number; medianCornerErrorPx: number | null; pairsOver1px: string[] };
    nativeOrb?: MethodSummary;
    nativeAkaze?: MethodSummary;
  };
  ratios?: { oursOverNativeOrbMeanMs: number; oursOverNativeAkazeMeanMs: number; medianPerPairOursOverNativeOrb: number };
  targets: Record<string, { target: string; value: number | null; met: boolean }>;
  pairs: { sequence: string; pair: string; ours: OursResult; nativeOrb?: SideResult; nativeAkaze?: SideResult }[];
}

export function repoRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg) && 'workspaces' in (JSON.parse(readFileSync(pkg, 'utf8')) as object)) return dir;
    if (path.dirname(dir) === dir) throw new Error('repository root (package.json with workspaces) not found');
  }
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const round = (v: number, d = 3) => Math.round(v * 10 ** d) / 10 ** d;

function loadPairs(data: string): PairSpec[] {
  const manifest = JSON.parse(readFileSync(path.join(data, 'pairs.json'), 'utf8')) as {
    sequences: Record<string, { image_size_wh: Record<string, [number, number]>; pairs: { ref: string; query: string; H: number[][] }[] }>;
  };
  const out: PairSpec[] = [];
  for (const sequence of Object.keys(manifest.sequences).sort()) {
    const seq = manifest.sequences[sequence]!;
    for (const p of seq.pairs) {
      const [width, height] = seq.image_size_wh[p.ref]!;
      out.push({
        sequence,
        pair: `${p.ref.replace(/\D/g, '')}-${p.query.replace(/\D/g, '')}`,
        reference: path.join(data, sequence, p.ref),
        query: path.join(data, sequence, p.query),
        width,
        height,
        truth: p.H.flat(),
      });
    }
  }
  return out;
}

export function summarize(rows: readonly SideResult[]): MethodSummary {
  const errs = rows.map((r) => r.error).filter((e): e is number => e !== null);
  const acc = (t: number) => round(rows.filter((r) => r.error !== null && r.error <= t).length / rows.length);
  const ms = rows.map((r) => r.ms);
  const le10 = errs.filter((e) => e <= 10);
  return {
    pairs: rows.length,
    failures: rows.length - errs.length,
    medianCornerErrorPx: errs.length ? round(median(errs)) : null,
    meanCornerErrorPx: errs.length ? round(errs.reduce((a, b) => a + b, 0) / errs.length) : null,
    meanCornerErrorPxWhenErrLe10: le10.length ? round(le10.reduce((a, b) => a + b, 0) / le10.length) : null,
    'acc@1px': acc(1),
    'acc@3px': acc(3),
    'acc@5px': acc(5),
    'acc@10px': acc(10),
    meanMsPerPair: round(ms.reduce((a, b) => a + b, 0) / ms.length, 1),
    medianMsPerPair: round(median(ms), 1),
    maxMsPerPair: round(Math.max(...ms), 1),
  };
}

/** CPUs this process may run on, from /proc (Linux); null elsewhere. */
function allowedCpus(): string | null {
  try {
    const m = /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? m[1]! : null;
  } catch {
    return null;
  }
}

/**
 * A long-lived Python process running native_align.py's own `align_gray`
 * (the function its command line calls) on request, so that its timings are
 * taken warm and repeated in-process like oxford_eval.py's.
 */
const NATIVE_SERVER = `
import json, statistics, sys
sys.path.insert(0, sys.argv[1])
import cv2
from native_align import align_gray, load_gray
cv2.setNumThreads(1)
print(json.dumps({"ready": True, "opencv": cv2.__version__, "threads": cv2.getNumThreads()}), flush=True)
for line in sys.stdin:
    req = json.loads(line)
    ref, sr = load_gray(req["reference"])
    qry, sq = load_gray(req["query"])
    out = {}
    for det in req["detectors"]:
        times = []
        res = None
        for _ in range(req["repeat"]):
            res = align_gray(ref, qry, det, None, sr, sq)
            times.append(res["elapsed_ms"]["total"])
        out[det] = {"homography": res["homography"], "inliers": res["inliers"], "ms": statistics.median(times)}
    print(json.dumps(out), flush=True)
`;

class NativeAligner {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: Interface;
  private readonly pending: ((line: string) => void)[] = [];
  private stderr = '';

  constructor(python: string, nativeDir: string, cpu: string) {
    this.child = spawn('taskset', ['-c', cpu, python, '-c', NATIVE_SERVER, nativeDir], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr.on('data', (c: Buffer) => {
      this.stderr = (this.stderr + c.toString('utf8')).slice(-4000);
    });
    this.lines = createInterface({ input: this.child.stdout });
    this.lines.on('line', (line) => this.pending.shift()?.(line));
  }

  private next(): Promise<string> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`native aligner exited (${code}): ${this.stderr.trim()}`));
      this.child.once('exit', onExit);
      this.pending.push((line) => {
        this.child.off('exit', onExit);
        resolve(line);
      });
    });
  }

  async ready(): Promise<{ opencv: string; threads: number }> {
    return JSON.parse(await this.next()) as { opencv: string; threads: number };
  }

  async align(reference: string, query: string, repeat: number): Promise<Record<'orb' | 'akaze', { homography: number[][] | null; inliers: number; ms: number }>> {
    const answer = this.next();
    this.child.stdin.write(`${JSON.stringify({ reference, query, detectors: ['orb', 'akaze'], repeat })}\n`);
    return JSON.parse(await answer) as Record<'orb' | 'akaze', { homography: number[][] | null; inliers: number; ms: number }>;
  }

  close(): void {
    this.child.stdin.end();
  }
}

async function decodeGrey(file: string): Promise<GreyImage> {
  const img = await decodeForAnalysis(file, { channels: 'grey' });
  return { data: img.data, width: img.width, height: img.height };
}

function target(name: string, value: number | null, met: (v: number) => boolean): { target: string; value: number | null; met: boolean } {
  return { target: name, value, met: value !== null && met(value) };
}

export async function benchOxford(opts: OxfordBenchOptions = {}): Promise<OxfordBenchReport> {
  const root = repoRoot();
  const data = opts.data ?? path.resolve(root, '../shared/benchdata/oxford-affine');
  const nativeDir = opts.nativeDir ?? path.resolve(root, '../shared/bench');
  const repeat = Math.max(1, opts.repeat ?? 3);
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const pairs = loadPairs(data);
  const affinity = allowedCpus();
  const pinned = affinity !== null && /^\d+$/.test(affinity);
  const cpu = pinned ? affinity : String(opts.cpu ?? 0);
  if (!pinned) log(`warning: this process may run on CPUs ${affinity ?? '?'}; run it under \`taskset -c ${cpu}\` for comparable timings`);

  const native = opts.native === false ? null : new NativeAligner(opts.python ?? '/usr/bin/python3', nativeDir, cpu);
  const nativeInfo = native ? await native.ready() : null;
  const loadStart = os.loadavg();
  const started = new Date();
  const rows: OxfordBenchReport['pairs'] = [];
  try {
    // Warm-up (not timed): loads OpenCV and lets V8 compile the hot loops, as in a long-running worker.
    const first = pairs[0]!;
    await alignImages(await decodeGrey(first.reference), await decodeGrey(first.query));

    for (const p of pairs) {
      const [ref, qry] = [await decodeGrey(p.reference), await decodeGrey(p.query)];
      let result: AlignResult | null = null;
      const times: number[] = [];
      for (let i = 0; i < repeat; i++) {
        result = await alignImages(ref, qry);
        times.push(result.elapsedMs.total);
      }
      const r = result!;
      const ours: OursResult = {
        errorFromTruthStart: null,
        ok: r.ok,
        reason: r.ok ? null : r.reason,
        error: r.ok ? round(cornerError(r.homography, p.truth, p.width, p.height), 4) : null,
        ms: round(median(times), 1),
        inliers: r.ok ? r.inliers : 0,
        chosen: r.diagnostics.chosen,
        blur: r.diagnostics.blur ? { image: r.diagnostics.blur.image, sigma: round(r.diagnostics.blur.sigma, 2) } : null,
        stages: r.elapsedMs as unknown as Record<string, number>,
      };
      const fromTruth = await refineAlignment(ref, qry, p.truth);
      ours.errorFromTruthStart = fromTruth.ok ? round(cornerError(fromTruth.homography, p.truth, p.width, p.height), 4) : null;
      const row: OxfordBenchReport['pairs'][number] = { sequence: p.sequence, pair: p.pair, ours };
      if (native) {
        const n = await native.align(p.reference, p.query, repeat);
        const side = (d: 'orb' | 'akaze'): SideResult => ({
          error: n[d].homography ? round(cornerError(n[d].homography!.flat(), p.truth, p.width, p.height), 4) : null,
          ms: round(n[d].ms, 1),
          inliers: n[d].inliers,
        });
        row.nativeOrb = side('orb');
        row.nativeAkaze = side('akaze');
      }
      rows.push(row);
      const fmt = (s?: SideResult) => (s ? `${s.error === null ? 'FAIL' : s.error.toFixed(2)} px ${s.ms.toFixed(0)} ms` : '');
      log(`${p.sequence} ${p.pair}  ours ${fmt(ours)} (${ours.chosen ?? ours.reason}; from truth ${ours.errorFromTruthStart?.toFixed(2) ?? 'refused'})  orb ${fmt(row.nativeOrb)}  akaze ${fmt(row.nativeAkaze)}`);
    }
  } finally {
    native?.close();
  }

  const ours = summarize(rows.map((r) => r.ours));
  const report: OxfordBenchReport = {
    meta: {
      date: started.toISOString(),
      node: process.version,
      opencvJs: '@techstark/opencv-js (WebAssembly, single thread)',
      nativeOpenCv: nativeInfo?.opencv ?? null,
      nativeThreads: nativeInfo?.threads ?? null,
      nativeMode: 'native_align.align_gray in one warm Python process, median of repeats (as oxford_eval.py)',
      cpuAffinity: affinity,
      pythonPinnedToCpu: native ? cpu : null,
      repeat,
      loadAverageStart: loadStart.map((v) => round(v, 2)),
      loadAverageEnd: os.loadavg().map((v) => round(v, 2)),
      warmUp: 'one untimed alignment of the first pair before timing',
      errorMetric: 'mean distance of the 4 img1 corners mapped by H_est vs H_gt (px in imgN); refusals count as failures',
      data,
    },
    summary: {
      ours,
      oursFromTruthStart: {
        'acc@1px': round(rows.filter((r) => r.ours.errorFromTruthStart !== null && r.ours.errorFromTruthStart <= 1).length / rows.length),
        medianCornerErrorPx: (() => {
          const e = rows.map((r) => r.ours.errorFromTruthStart).filter((v): v is number => v !== null);
          return e.length ? round(median(e)) : null;
        })(),
        pairsOver1px: rows.filter((r) => !(r.ours.errorFromTruthStart !== null && r.ours.errorFromTruthStart <= 1)).map((r) => `${r.sequence} ${r.pair}`),
      },
    },
    targets: {},
    pairs: rows,
  };
  if (native) {
    const nativeOrb = summarize(rows.map((r) => r.nativeOrb!));
    const nativeAkaze = summarize(rows.map((r) => r.nativeAkaze!));
    report.summary.nativeOrb = nativeOrb;
    report.summary.nativeAkaze = nativeAkaze;
    report.ratios = {
      oursOverNativeOrbMeanMs: round(ours.meanMsPerPair / nativeOrb.meanMsPerPair),
      oursOverNativeAkazeMeanMs: round(ours.meanMsPerPair / nativeAkaze.meanMsPerPair),
      medianPerPairOursOverNativeOrb: round(median(rows.map((r) => r.ours.ms / r.nativeOrb!.ms))),
    };
  }
  report.targets = {
    'acc@3px': target('>= 0.92', ours['acc@3px'], (v) => v >= 0.92),
    'acc@1px': target('>= 0.80', ours['acc@1px'], (v) => v >= 0.8),
    medianCornerErrorPx: target('<= 0.5', ours.medianCornerErrorPx, (v) => v <= 0.5),
    meanMsVsNativeOrb: target('< 1 (ours / native ORB, mean ms per pair, same run)', report.ratios?.oursOverNativeOrbMeanMs ?? null, (v) => v < 1),
    maxMsPerPair: target('< 1000', ours.maxMsPerPair, (v) => v < 1000),
  };
  return report;
}

function parseArgs(argv: readonly string[]): OxfordBenchOptions {
  const opts: { repeat?: number; native?: boolean; data?: string } = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--repeat') opts.repeat = Number(argv[++i]);
    else if (a === '--no-native') opts.native = false;
    else if (a === '--data') opts.data = argv[++i]!;
    else throw new Error(`unknown argument ${a} (use --repeat N, --no-native, --data DIR)`);
  }
  return opts;
}

if (require.main === module) {
  benchOxford(parseArgs(process.argv.slice(2)))
    .then((report) => process.stdout.write(`${JSON.stringify(report, null, 1)}\n`))
    .catch((err: unknown) => {
      process.stderr.write(`pipeline-oxford: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    });
}
