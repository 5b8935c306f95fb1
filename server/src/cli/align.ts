/**
 * `exemplar align --reference R --questioned Q [--ignore-zone x,y,w,h]… [--json]`:
 * the homography mapping reference pixel coordinates to questioned ones.
 *
 * Exit codes: 0 aligned; 2 refused by the quality gate (unrelated images,
 * too little structure, implausible warp) with `{ "ok": false, "reason" }`;
 * 1 when an input cannot be read or decoded (message on stderr).
 *
 * Pixel coordinates are those of the upright images (EXIF orientation
 * applied), pixel centres at integers, as in the Oxford `H1toNp` files.
 * OpenCV runs on this process's main thread: the CLI is not the server.
 */
import fs from 'node:fs/promises';
import { InvalidArgumentError, type Command } from 'commander';
import { alignImages, decodeForAnalysis, type AlignResult, type GreyImage, type ZoneRect } from '@exemplar/image-pipeline';
import { ExemplarError } from '../errors';
import { CliExit, processIo, type CliIo } from './output';

/** The exit code of a refusal, distinct from 1 (bad input or failure). */
export const ALIGN_REFUSED_EXIT = 2;

interface AlignCommandOptions {
  reference: string;
  questioned: string;
  ignoreZone: ZoneRect[];
  json?: boolean;
}

function parseZone(value: string, previous: ZoneRect[]): ZoneRect[] {
  const parts = value.split(',').map((v) => Number(v.trim()));
  if (parts.length !== 4 || parts.some((v) => !Number.isFinite(v)) || parts[2]! <= 0 || parts[3]! <= 0) {
    throw new InvalidArgumentError('expected x,y,width,height in reference pixels (width and height > 0)');
  }
  const [x, y, width, height] = parts as [number, number, number, number];
  return [...previous, { x, y, width, height }];
}

async function decodeGrey(role: 'reference' | 'questioned', file: string): Promise<GreyImage> {
  try {
    await fs.access(file);
  } catch {
    throw new ExemplarError('IMAGE_NOT_FOUND', `${role} image not found: ${file}`, { path: file });
  }
  const img = await decodeForAnalysis(file, { channels: 'grey' });
  return { data: img.data, width: img.width, height: img.height };
}

function formatHuman(r: AlignResult, decodeMs: number): string {
  if (!r.ok) return `refused: ${r.reason}\n  ${r.diagnostics.message}\n`;
  const rows = [0, 1, 2].map((i) => r.homography.slice(3 * i, 3 * i + 3).map((v) => v.toPrecision(8).padStart(16)).join(''));
  const t = r.elapsedMs;
  return [
    `aligned: ${r.inliers} refined correspondences, RMSE ${r.rmse.toFixed(3)} px (${r.diagnostics.message})`,
    'homography, reference → questioned pixels:',
    ...rows,
    `time: ${t.total.toFixed(0)} ms (features ${t.features.toFixed(0)}, match ${t.match.toFixed(0)}, estimate ${t.estimate.toFixed(0)}, fallback ${t.fallback.toFixed(0)}, refine ${t.refine.toFixed(0)}); decode ${decodeMs.toFixed(0)} ms`,
    '',
  ].join('\n');
}

/** The contract JSON: exactly these keys. */
function formatJson(r: AlignResult, decodeMs: number): string {
  const body = r.ok
    ? { ok: true, homography: r.homography, inliers: r.inliers, rmse: r.rmse, elapsedMs: { decode: Math.round(decodeMs * 1000) / 1000, ...r.elapsedMs } }
    : { ok: false, reason: r.reason };
  return `${JSON.stringify(body)}\n`;
}

export function registerAlignCommand(program: Command, io: CliIo = processIo): void {
  program
    .command('align')
    .description('estimate the homography mapping reference pixel coordinates to questioned ones (exit 2 when the images do not align)')
    .requiredOption('--reference <file>', 'reference image (the exemplar)')
    .requiredOption('--questioned <file>', 'questioned image (scan or photo)')
    .option('--ignore-zone <x,y,w,h>', 'reference zone to ignore, e.g. the holder photo (repeatable)', parseZone, [] as ZoneRect[])
    .option('--json', 'print one JSON object: {ok, homography, inliers, rmse, elapsedMs} or {ok: false, reason}')
    .action(async (opts: AlignCommandOptions) => {
      const t0 = performance.now();
      const [reference, questioned] = await Promise.all([decodeGrey('reference', opts.reference), decodeGrey('questioned', opts.questioned)]);
      const decodeMs = performance.now() - t0;
      const result = await alignImages(reference, questioned, { ignoreZones: opts.ignoreZone });
      io.stdout.write(opts.json ? formatJson(result, decodeMs) : formatHuman(result, decodeMs));
      if (!result.ok) throw new CliExit(ALIGN_REFUSED_EXIT);
    });
}
