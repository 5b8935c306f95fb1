/**
 * `exemplar verify [--repair] [--json]`: proves the object store still holds
 * every original the catalogue references, byte for byte (each original is
 * re-hashed, streamed), and that their derivatives exist.
 *
 * `--repair` never touches an original the catalogue references (a corrupted
 * or missing original can only be restored from a backup or an export): it
 * regenerates missing derivatives from their original, and removes objects no
 * specimen references — left behind when a process died between writing
 * objects and committing the record. Objects younger than `--grace` minutes
 * are kept, because an upload running in another process (the server) writes
 * its objects before its record.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { InvalidArgumentError, type Command } from 'commander';
import { makeDerivatives } from '@exemplar/image-pipeline';
import type { CaptureImage } from '@exemplar/specimens-schema';
import type { AppContext } from '../context';
import { ExemplarError } from '../errors';
import { DERIVATIVE_NAMES } from '../services/derivative-names';
import { digestStream } from '../stores/objects.common';
import type { CatalogStore } from '../stores/catalog.port';
import { objectKeys, type ObjectStore } from '../stores/objects.port';
import { CliExit, startProgress, type CliIo, type Progress } from './output';
import { withCliContext } from './with-context';

export interface VerifyOptions {
  repair?: boolean;
  /** Unreferenced objects modified within this many milliseconds are kept. */
  graceMs?: number;
  /**
   * Re-creates the named objects of one original from its bytes (`--repair`):
   * derivative names (`thumbnail`, `preview`, `dzi`) and `keypoints`.
   */
  regenerate?: (image: { sha256: string; lightSource: string }, names: string[]) => Promise<void>;
  /** Called once the number of originals to check is known. */
  startProgress?: (originals: number) => Progress;
  now?: Date;
}

export interface VerifyReport {
  ok: boolean;
  repair: boolean;
  specimens: number;
  /** Distinct originals referenced (identical bytes are stored once). */
  originals: number;
  bytesHashed: number;
  /** Stored bytes that no longer hash to their sha256. */
  mismatches: { sha256: string; key: string; actualSha256: string; bytes: number; specimens: string[] }[];
  missingOriginals: { sha256: string; key: string; specimens: string[] }[];
  missingDerivatives: { sha256: string; name: string; key: string; specimens: string[]; repaired: boolean; error?: string }[];
  unreferenced: { key: string; bytes: number; lastModified: string; removed: boolean; keptBecause?: string }[];
}

/** Only what verify needs, so that a large catalogue fits in memory. */
interface ReferencedOriginal {
  lightSource: string;
  /** Every other object the image's records name: derivatives and identification keypoints, by name. */
  objects: Record<string, string>;
  specimens: Set<string>;
}

/** The objects an image record names besides its original. */
export function recordObjects(image: CaptureImage): Record<string, string> {
  const objects: Record<string, string> = {};
  for (const [name, key] of Object.entries(image.derivatives) as [string, string | undefined][]) if (key) objects[name] = key;
  if (image.identification) objects.keypoints = image.identification.keypoints;
  return objects;
}

/** The sha256 an originals/ or derivatives/ key belongs to, or undefined for other keys. */
function shaOfKey(key: string): string | undefined {
  const m = /^(?:originals|derivatives)\/[0-9a-f]{2}\/([0-9a-f]{64})(?:\/|$)/.exec(key);
  return m?.[1];
}

export async function verifyLibrary(stores: { catalog: CatalogStore; objects: ObjectStore }, options: VerifyOptions = {}): Promise<VerifyReport> {
  const { catalog, objects } = stores;
  const repair = Boolean(options.repair);
  const graceMs = options.graceMs ?? 10 * 60 * 1000;
  const now = options.now ?? new Date();

  // 1. What the catalogue references.
  const originals = new Map<string, ReferencedOriginal>();
  let specimens = 0;
  for await (const id of catalog.specimens.ids()) {
    const specimen = await catalog.specimens.get(id);
    if (!specimen) continue; // deleted while we walked
    specimens += 1;
    for (const capture of specimen.captures) {
      for (const image of capture.images) {
        const ref = originals.get(image.sha256) ?? { lightSource: image.lightSource, objects: {}, specimens: new Set<string>() };
        Object.assign(ref.objects, recordObjects(image));
        ref.specimens.add(id);
        originals.set(image.sha256, ref);
      }
    }
  }
  const referencedKeys = new Set<string>();
  for await (const key of catalog.specimens.referencedObjectKeys()) referencedKeys.add(key);

  const report: VerifyReport = {
    ok: true,
    repair,
    specimens,
    originals: originals.size,
    bytesHashed: 0,
    mismatches: [],
    missingOriginals: [],
    missingDerivatives: [],
    unreferenced: [],
  };
  const progress = options.startProgress?.(originals.size);

  // 2. Every original re-hashed; every derivative present.
  for (const [sha256, { lightSource, objects: named, specimens: ids }] of originals) {
    const key = objectKeys.original(sha256);
    const specimenIds = [...ids].sort();
    let intact = false;
    let stream;
    try {
      stream = await objects.get(key);
    } catch (err) {
      if (!(err instanceof ExemplarError && err.code === 'OBJECT_NOT_FOUND')) {
        progress?.stop();
        throw err;
      }
    }
    if (!stream) {
      report.missingOriginals.push({ sha256, key, specimens: specimenIds });
      progress?.note(`missing original ${key} (specimens ${specimenIds.join(', ')})`);
    } else {
      const digest = await digestStream(stream);
      report.bytesHashed += digest.bytes;
      if (digest.sha256 !== sha256) {
        report.mismatches.push({ sha256, key, actualSha256: digest.sha256, bytes: digest.bytes, specimens: specimenIds });
        progress?.note(`MISMATCH ${key}: stored bytes hash to ${digest.sha256} (specimens ${specimenIds.join(', ')})`);
      } else intact = true;
    }

    const missing = [];
    for (const [name, key] of Object.entries(named)) {
      if (!(await objects.stat(key))) missing.push({ sha256, name, key, specimens: specimenIds, repaired: false } as VerifyReport['missingDerivatives'][number]);
    }
    if (missing.length && repair) {
      if (!intact) for (const m of missing) m.error = 'original is missing or corrupt';
      else if (!options.regenerate) for (const m of missing) m.error = 'no generator available';
      else {
        try {
          await options.regenerate({ sha256, lightSource }, missing.map((m) => m.name));
          for (const m of missing) m.repaired = (await objects.stat(m.key)) !== null;
          for (const m of missing) if (!m.repaired) m.error = 'regenerated, but the key is still absent';
        } catch (err) {
          for (const m of missing) m.error = err instanceof Error ? err.message : String(err);
        }
      }
    }
    for (const m of missing) progress?.note(`missing ${m.name} ${m.key}${m.repaired ? ' (regenerated)' : ''}`);
    report.missingDerivatives.push(...missing);
    progress?.tick(sha256.slice(0, 12));
  }

  // 3. Objects no specimen references. Comparison outputs belong to their jobs, not to the catalogue.
  for (const prefix of ['originals/', 'derivatives/']) {
    for await (const stat of objects.list(prefix)) {
      const sha = shaOfKey(stat.key);
      if (referencedKeys.has(stat.key) || (sha !== undefined && originals.has(sha))) continue;
      const entry: VerifyReport['unreferenced'][number] = {
        key: stat.key,
        bytes: stat.bytes,
        lastModified: stat.lastModified.toISOString(),
        removed: false,
      };
      if (repair) {
        if (now.getTime() - stat.lastModified.getTime() < graceMs) entry.keptBecause = `younger than the grace period (${Math.round(graceMs / 60000)} min); it may belong to an upload in progress`;
        else {
          await objects.delete(stat.key);
          entry.removed = true;
        }
      }
      report.unreferenced.push(entry);
    }
  }
  progress?.stop();

  // Unreferenced objects are harmless left-overs, so they alone do not fail verification.
  report.ok =
    report.mismatches.length === 0 &&
    report.missingOriginals.length === 0 &&
    report.missingDerivatives.every((m) => m.repaired);
  return report;
}

export function formatVerifyReport(r: VerifyReport): string {
  const lines = [
    `Checked ${r.originals} original(s) of ${r.specimens} specimen(s), ${r.bytesHashed} bytes re-hashed.`,
    `  hash mismatches:      ${r.mismatches.length}`,
    `  missing originals:    ${r.missingOriginals.length}`,
    `  missing derived:      ${r.missingDerivatives.length}${r.repair ? ` (${r.missingDerivatives.filter((m) => m.repaired).length} regenerated)` : ''}`,
    `  unreferenced objects: ${r.unreferenced.length}${r.repair ? ` (${r.unreferenced.filter((u) => u.removed).length} removed)` : ''}`,
  ];
  for (const m of r.mismatches) lines.push(`MISMATCH  ${m.key} hashes to ${m.actualSha256} — specimens ${m.specimens.join(', ')}`);
  for (const m of r.missingOriginals) lines.push(`MISSING   ${m.key} — specimens ${m.specimens.join(', ')}`);
  for (const m of r.missingDerivatives) lines.push(`${m.repaired ? 'REPAIRED' : 'MISSING '}  ${m.key} (${m.name})${m.error ? ` — ${m.error}` : ''}`);
  for (const u of r.unreferenced) lines.push(`${u.removed ? 'REMOVED ' : 'ORPHAN  '}  ${u.key} (${u.bytes} bytes)${u.keptBecause ? ` — kept: ${u.keptBecause}` : ''}`);
  if (!r.repair && r.unreferenced.length) lines.push('Run `exemplar verify --repair` to remove unreferenced objects.');
  if (r.mismatches.length || r.missingOriginals.length) lines.push('Corrupt or missing originals cannot be repaired here: restore them from a backup or an export.');
  lines.push(r.ok ? 'OK' : 'FAILED');
  return lines.join('\n') + '\n';
}

export function registerVerifyCommand(program: Command, io: CliIo): void {
  program
    .command('verify')
    .description('re-hash every original the catalogue references, check derivatives; non-zero exit on any problem')
    .option('--repair', 'regenerate missing derivatives and keypoints from their original, remove unreferenced objects (never a referenced original)')
    .option('--grace <minutes>', 'with --repair, keep unreferenced objects younger than this', parseMinutes, 10)
    .option('--json', 'print the report as JSON on stdout')
    .action(async (opts: { repair?: boolean; grace: number; json?: boolean }, cmd: Command) => {
      const report = await withCliContext(cmd, async (ctx) => {
        return verifyLibrary(ctx, {
          repair: Boolean(opts.repair),
          graceMs: opts.grace * 60_000,
          regenerate: (image, names) => regenerateObjects(ctx, image, names),
          ...(opts.json ? {} : { startProgress: (n: number) => startProgress(io, 'verify', n, 'originals') }),
        });
      });
      io.stdout.write(opts.json ? JSON.stringify(report, null, 2) + '\n' : formatVerifyReport(report));
      if (!report.ok) throw new CliExit(1);
    });
}

/**
 * Rebuilds objects of one original from its stored bytes, with the same code
 * as ingest: derivatives with image-pipeline's makeDerivatives, keypoints
 * with IdentifyService (both are computed from the pixels alone). Puts never
 * overwrite, so only the missing objects are written. The thumbnail goes last,
 * as in ingest: a stored thumbnail tells ingest the whole set exists.
 */
export async function regenerateObjects(
  ctx: Pick<AppContext, 'config' | 'objects' | 'services'>,
  image: { sha256: string; lightSource: string },
  names: string[],
): Promise<void> {
  await fs.mkdir(ctx.config.tmpDir, { recursive: true });
  const work = await fs.mkdtemp(path.join(ctx.config.tmpDir, 'repair-'));
  try {
    const original = path.join(work, 'original');
    await pipeline(await ctx.objects.get(objectKeys.original(image.sha256)), createWriteStream(original));
    if (names.some((n) => n !== 'keypoints')) {
      const out = path.join(work, 'derivatives');
      const manifest = await makeDerivatives(original, out, { maxPixels: ctx.config.limits.maxImagePixels });
      const files = [...manifest.files].sort((a, b) => Number(a.name === DERIVATIVE_NAMES.thumbnail) - Number(b.name === DERIVATIVE_NAMES.thumbnail));
      for (const f of files) {
        await ctx.objects.put(objectKeys.derivative(image.sha256, f.name), createReadStream(path.join(out, ...f.name.split('/'))), {
          contentType: f.contentType,
          bytes: f.bytes,
        });
      }
    }
    if (names.includes('keypoints')) {
      const described = await ctx.services.identify.describeForIngest({ path: original, lightSource: image.lightSource, sha256: image.sha256 });
      for (const o of described?.objects ?? []) await ctx.objects.put(o.key, o.body, { contentType: o.contentType, bytes: o.body.length });
    }
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}

function parseMinutes(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a number of minutes >= 0');
  return n;
}
