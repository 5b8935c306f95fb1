/**
 * `exemplar compare --reference R --questioned Q [--zones Z.json] [--light white]
 *  [--homography '[9 numbers]'] --out DIR [--json]`: aligns the questioned image
 * to the reference (unless a homography is given), then compares them under
 * one light source and writes the aligned image, the heatmap and the full
 * result (regions, personalised regions, zone verdicts, parameters,
 * versions) into DIR.
 *
 * Exit codes: 0 compared; 2 alignment refused (`{ "ok": false, "reason" }`);
 * 1 when an input cannot be read, decoded or validated (message on stderr).
 * Region boxes are in reference pixels. OpenCV runs on this process's main
 * thread: the CLI is not the server.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import {
  alignImages,
  compareImages,
  decodeForAnalysis,
  isHomography,
  type ComparisonZone,
  type CompareResult,
  type GreyImage,
  type PixelImage,
  type ZoneRect,
} from '@exemplar/image-pipeline';
import { isLightSourceId, lightOverexposedNote, lightOverexposedShare, regionOverexposedNote, validate } from '@exemplar/specimens-schema';
import { ExemplarError } from '../errors';
import { ALIGN_REFUSED_EXIT } from './align';
import { CliExit, processIo, type CliIo } from './output';

interface CompareCommandOptions {
  reference: string;
  questioned: string;
  zones?: string;
  light: string;
  homography?: number[];
  out: string;
  json?: boolean;
}

function parseHomography(value: string): number[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new InvalidArgumentError('expected a JSON array of 9 numbers, row-major, reference → questioned pixels');
  }
  if (!isHomography(parsed)) throw new InvalidArgumentError('expected a JSON array of 9 finite numbers, row-major, reference → questioned pixels');
  return [...parsed];
}

function parseLight(value: string): string {
  if (!isLightSourceId(value)) throw new InvalidArgumentError(`unknown light source "${value}" (e.g. white, uv-365, ir-870)`);
  return value;
}

async function decodeRgb(role: 'reference' | 'questioned', file: string): Promise<PixelImage> {
  try {
    await fs.access(file);
  } catch {
    throw new ExemplarError('IMAGE_NOT_FOUND', `${role} image not found: ${file}`, { path: file });
  }
  const img = await decodeForAnalysis(file, { channels: 'rgb' });
  return { data: img.data, width: img.width, height: img.height, channels: img.channels };
}

/** Luminance as OpenCV's RGB2GRAY computes it, for alignment. */
function toGrey(img: PixelImage): GreyImage {
  if (img.channels === 1) return { data: img.data, width: img.width, height: img.height };
  const out = new Uint8Array(img.width * img.height);
  for (let i = 0, k = 0; i < out.length; i++, k += 3) out[i] = Math.round(0.299 * img.data[k]! + 0.587 * img.data[k + 1]! + 0.114 * img.data[k + 2]!);
  return { data: out, width: img.width, height: img.height };
}

/** Zones from a JSON file: an array of FeatureZone, or an object with a `zones` array (a capture record); each one validated. */
async function readZones(file: string): Promise<ComparisonZone[]> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    throw new ExemplarError('NOT_FOUND', `zones file not found: ${file}`, { path: file });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ExemplarError('VALIDATION_FAILED', `zones file is not JSON: ${file}`, { path: file, error: (err as Error).message });
  }
  const list = Array.isArray(parsed) ? parsed : (parsed as { zones?: unknown } | null)?.zones;
  if (!Array.isArray(list)) throw new ExemplarError('VALIDATION_FAILED', 'zones file must hold an array of feature zones or an object with a "zones" array', { path: file });
  return list.map((z, i) => {
    const v = validate('feature-zone', z);
    if (!v.ok) throw new ExemplarError('VALIDATION_FAILED', `zone ${i} is not a valid feature zone`, { path: file, index: i, errors: v.errors });
    return v.value;
  });
}

/** Bounding boxes of the personalised zones: alignment takes no refinement patch there (features are still matched there, see `AlignOptions.ignoreZones`). */
function ignoreZonesOf(zones: readonly ComparisonZone[]): ZoneRect[] {
  return zones
    .filter((z) => z.personalised)
    .map((z) => {
      const xs = z.polygon.map((p) => p[0]);
      const ys = z.polygon.map((p) => p[1]);
      const x = Math.min(...xs);
      const y = Math.min(...ys);
      return { x, y, width: Math.max(...xs) - x, height: Math.max(...ys) - y };
    })
    .filter((r) => r.width > 0 && r.height > 0);
}

/** Writes beside the target and renames, so that an interrupted run never leaves a half-written file. */
async function writeAtomic(file: string, data: Buffer | string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, data);
  await fs.rename(tmp, file);
}

interface Written {
  heatmap: string;
  aligned: string;
  result: string;
}

async function writeOutputs(outDir: string, light: string, homography: number[], result: CompareResult): Promise<Written> {
  await fs.mkdir(outDir, { recursive: true });
  const files: Written = {
    heatmap: path.resolve(outDir, `heatmap-${light}.png`),
    aligned: path.resolve(outDir, `aligned-${light}.png`),
    result: path.resolve(outDir, `regions-${light}.json`),
  };
  const { heatmapPng, alignedPng, ...rest } = result;
  await writeAtomic(files.heatmap, heatmapPng);
  await writeAtomic(files.aligned, alignedPng);
  await writeAtomic(files.result, `${JSON.stringify({ homography, ...rest, heatmap: files.heatmap, aligned: files.aligned }, null, 2)}\n`);
  return files;
}

function formatHuman(homography: number[], result: CompareResult, files: Written): string {
  const lines = [
    `compared under ${result.lightSource}: ${result.regions.length} region(s), ${result.personalisedRegions.length} in personalised zones${result.blownOutRegions.length > 0 ? `, ${result.blownOutRegions.length} blown out (not judged)` : ''}`,
    `homography, reference → questioned pixels: ${homography.map((v) => v.toPrecision(6)).join(' ')}`,
  ];
  const glare = lightOverexposedNote(lightOverexposedShare(result.stats));
  if (glare) lines.push(glare);
  for (const r of result.regions) {
    const note = regionOverexposedNote(r);
    lines.push(`  region x=${r.box.x} y=${r.box.y} w=${r.box.width} h=${r.box.height} score=${r.score}${note ? ` (${note})` : ''}`);
  }
  for (const r of result.blownOutRegions) {
    lines.push(`  blown out, not judged: x=${r.box.x} y=${r.box.y} w=${r.box.width} h=${r.box.height} score=${r.score} (${regionOverexposedNote(r) ?? 'questioned image blown out'})`);
  }
  for (const v of result.zoneVerdicts) if (v.verdict !== 'consistent') lines.push(`  zone ${v.zoneId} (${v.type}): ${v.verdict}, score ${v.score}`);
  lines.push(`heatmap: ${files.heatmap}`, `aligned: ${files.aligned}`, `result:  ${files.result}`, '');
  return lines.join('\n');
}

export function registerCompareCommand(program: Command, io: CliIo = processIo): void {
  program
    .command('compare')
    .description('align a questioned image to a reference and highlight their differences under one light source (exit 2 when the images do not align)')
    .requiredOption('--reference <file>', 'reference image (the exemplar)')
    .requiredOption('--questioned <file>', 'questioned image (scan or photo)')
    .requiredOption('--out <dir>', 'folder for heatmap-<light>.png, aligned-<light>.png and regions-<light>.json (created if missing)')
    .option('--zones <file>', 'reference feature zones (JSON: an array of FeatureZone, or an object with "zones")')
    .option('--light <id>', 'light source of both images', parseLight, 'white')
    .option('--homography <json>', 'skip alignment: 9 numbers, row-major, reference → questioned pixels', parseHomography)
    .option('--json', 'print one JSON object: {ok, homography, regions: [{x, y, width, height, score}], blownOutRegions: [… , overexposed], heatmap, aligned} or {ok: false, reason}')
    .action(async (opts: CompareCommandOptions) => {
      const zones = opts.zones ? await readZones(opts.zones) : [];
      const [reference, questioned] = await Promise.all([decodeRgb('reference', opts.reference), decodeRgb('questioned', opts.questioned)]);
      let homography = opts.homography;
      if (!homography) {
        const aligned = await alignImages(toGrey(reference), toGrey(questioned), { ignoreZones: ignoreZonesOf(zones) });
        if (!aligned.ok) {
          io.stdout.write(opts.json ? `${JSON.stringify({ ok: false, reason: aligned.reason })}\n` : `refused: ${aligned.reason}\n  ${aligned.diagnostics.message}\n`);
          throw new CliExit(ALIGN_REFUSED_EXIT);
        }
        homography = aligned.homography;
      }
      const result = await compareImages({ reference, questioned, homography, lightSource: opts.light, zones });
      const files = await writeOutputs(opts.out, opts.light, homography, result);
      if (opts.json) {
        const box = (r: CompareResult['regions'][number]) => ({ x: r.box.x, y: r.box.y, width: r.box.width, height: r.box.height, score: r.score });
        const regions = result.regions.map(box);
        // Where the questioned image is blown out: not differences, but the examiner is told where nothing could be judged.
        const blownOutRegions = result.blownOutRegions.map((r) => ({ ...box(r), overexposed: r.overexposed }));
        io.stdout.write(`${JSON.stringify({ ok: true, homography, regions, blownOutRegions, heatmap: files.heatmap, aligned: files.aligned })}\n`);
      } else {
        io.stdout.write(formatHuman(homography, result, files));
      }
    });
}
