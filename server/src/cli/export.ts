/**
 * `exemplar export <folder> [filters] [--ids a,b]`: writes a folder that
 * `exemplar import` takes back:
 *
 *   <folder>/manifest.json              the JSON manifest (see manifest.ts), one row per
 *                                       specimen with its id, record, captures and zones
 *   <folder>/originals/<sha256>.<ext>   every original, byte-exact, once per sha256
 *
 * Each original is streamed from the object store and re-hashed on the way; a
 * stored object that no longer matches its sha256 fails the export (run
 * `exemplar verify`), and nothing of the export is left behind. The manifest
 * is written last, so a folder with a manifest is a complete export.
 *
 * Specimens that a selected specimen imitates are exported with it (unless
 * --no-imitated), so that the `imitates` links still hold after an import
 * into an empty library.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { InvalidArgumentError, type Command } from 'commander';
import type { Capture, CaptureImage, Specimen } from '@exemplar/specimens-schema';
import { ExemplarError } from '../errors';
import { hashingStage } from '../stores/objects.common';
import type { CatalogStore, SpecimenQuery } from '../stores/catalog.port';
import { objectKeys, type ObjectStore } from '../stores/objects.port';
import { MANIFEST_FORMAT, MANIFEST_VERSION } from './manifest';
import { startProgress, type CliIo, type Progress } from './output';
import { withCliContext } from './with-context';

export interface ExportOptions {
  /** Filters as in GET /api/specimens; ignored when `ids` is given. */
  query?: Omit<SpecimenQuery, 'limit' | 'cursor' | 'sort'>;
  ids?: string[];
  /** Also export the specimens the selected ones imitate (default true). */
  withImitated?: boolean;
  startProgress?: (images: number) => Progress;
  exemplarVersion?: string;
}

export interface ExportSummary {
  folder: string;
  specimens: number;
  /** Specimens added because a selected specimen imitates them. */
  imitatedAdded: number;
  images: number;
  /** Distinct originals written (identical bytes once). */
  originals: number;
  bytes: number;
}

/** Fields of a stored specimen that the server sets; the rest is the create body. */
const SERVER_FIELDS = ['id', 'revision', 'captures', 'createdBy', 'createdAt', 'updatedBy', 'updatedAt'] as const;

const EXTENSIONS: Record<CaptureImage['format'], string> = { jpeg: 'jpg', png: 'png', tiff: 'tif', webp: 'webp' };

export const exportedFileOf = (image: Pick<CaptureImage, 'sha256' | 'format'>) => `originals/${image.sha256}.${EXTENSIONS[image.format]}`;

export async function exportLibrary(stores: { catalog: CatalogStore; objects: ObjectStore }, folder: string, options: ExportOptions = {}): Promise<ExportSummary> {
  const root = path.resolve(folder);
  await prepareEmptyFolder(root);
  try {
    const { ids, imitatedAdded, images } = await selectSpecimens(stores.catalog, options);
    await fs.mkdir(path.join(root, 'originals'), { recursive: true });
    // Rows are written one by one, so an export of a large library holds one record at a time.
    const tmp = path.join(root, `.manifest-${randomUUID()}.json`);
    const manifest = await fs.open(tmp, 'wx');
    const progress = options.startProgress?.(images);
    const summary: ExportSummary = { folder: root, specimens: 0, imitatedAdded, images: 0, originals: 0, bytes: 0 };
    const written = new Set<string>();
    try {
      const head = {
        format: MANIFEST_FORMAT,
        version: MANIFEST_VERSION,
        exportedAt: new Date().toISOString(),
        ...(options.exemplarVersion ? { exemplarVersion: options.exemplarVersion } : {}),
        selection: options.ids ? { ids: options.ids } : { query: options.query ?? {} },
      };
      await manifest.write(`${JSON.stringify(head).slice(0, -1)},"specimens":[\n`);
      for (const id of ids) {
        const specimen = await stores.catalog.specimens.get(id);
        if (!specimen) throw new ExemplarError('CONFLICT', `specimen ${id} was deleted during the export`, { id });
        for (const image of specimen.captures.flatMap((c) => c.images)) {
          if (!written.has(image.sha256)) {
            summary.bytes += await copyOriginal(stores.objects, image.sha256, path.join(root, exportedFileOf(image)));
            written.add(image.sha256);
          }
          summary.images += 1;
          progress?.tick(image.sha256.slice(0, 12));
        }
        await manifest.write(`${summary.specimens ? ',\n' : ''}${JSON.stringify(manifestRow(specimen))}`);
        summary.specimens += 1;
      }
      await manifest.write('\n]}\n');
      await manifest.sync();
    } finally {
      progress?.stop();
      await manifest.close();
    }
    // Last: a folder holding manifest.json is a complete export.
    await fs.rename(tmp, path.join(root, 'manifest.json'));
    summary.originals = written.size;
    return summary;
  } catch (err) {
    // Leave the folder as we found it (empty or absent): a partial export must not pass for one.
    await fs.rm(root, { recursive: true, force: true }).catch(() => undefined);
    throw err;
  }
}

async function prepareEmptyFolder(root: string): Promise<void> {
  try {
    const entries = await fs.readdir(root);
    if (entries.length) throw new ExemplarError('CONFLICT', `export folder ${root} is not empty`, { folder: root });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await fs.mkdir(root, { recursive: true });
}

/** The ids to export (in the order found), and the number of images for progress; records are not kept. */
export async function selectSpecimens(catalog: CatalogStore, options: ExportOptions): Promise<{ ids: string[]; imitatedAdded: number; images: number }> {
  const selected = new Map<string, string | undefined>(); // id -> the id it imitates
  let images = 0;
  const take = (s: Specimen) => {
    selected.set(s.id, s.imitates);
    images += s.captures.reduce((n, c) => n + c.images.length, 0);
  };
  if (options.ids) {
    for (const id of options.ids) {
      if (selected.has(id)) continue;
      const s = await catalog.specimens.get(id);
      if (!s) throw new ExemplarError('SPECIMEN_NOT_FOUND', `specimen ${id} not found`, { id });
      take(s);
    }
  } else {
    let cursor: string | undefined;
    do {
      const page = await catalog.specimens.search({ ...options.query, sort: 'createdAt', limit: 200, ...(cursor ? { cursor } : {}) });
      for (const s of page.items) take(s);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }
  let imitatedAdded = 0;
  if (options.withImitated !== false) {
    const pending = [...selected.values()];
    while (pending.length) {
      const target = pending.pop();
      if (!target || selected.has(target)) continue;
      const s = await catalog.specimens.get(target);
      if (!s) continue; // a dangling link stays as it is; import will report it
      take(s);
      imitatedAdded += 1;
      pending.push(s.imitates);
    }
  }
  return { ids: [...selected.keys()], imitatedAdded, images };
}

/** Streams one original into `dest`, hashing it; INTEGRITY_FAILED if the stored bytes no longer match. */
async function copyOriginal(objects: ObjectStore, sha256: string, dest: string): Promise<number> {
  const key = objectKeys.original(sha256);
  const tmp = `${dest}.part`;
  const hashing = hashingStage();
  try {
    await pipeline(await objects.get(key), hashing.stage, createWriteStream(tmp, { flags: 'wx' }));
    const digest = hashing.digest();
    if (digest.sha256 !== sha256) {
      throw new ExemplarError('INTEGRITY_FAILED', `stored original ${key} no longer matches its sha256 (run \`exemplar verify\`)`, { key, actualSha256: digest.sha256 });
    }
    await fs.rename(tmp, dest);
    return digest.bytes;
  } finally {
    await fs.rm(tmp, { force: true });
  }
}

export function manifestRow(s: Specimen) {
  const specimen: Record<string, unknown> = { ...s };
  for (const k of SERVER_FIELDS) delete specimen[k];
  return {
    ref: s.id,
    id: s.id,
    specimen,
    captures: s.captures.map(manifestCapture),
    /** Informative: import gives these fields new values. */
    record: { revision: s.revision, createdBy: s.createdBy, createdAt: s.createdAt, updatedBy: s.updatedBy, updatedAt: s.updatedAt },
  };
}

function manifestCapture(c: Capture) {
  const { images, zones, ...meta } = c;
  return {
    ...meta,
    images: Object.fromEntries(
      images.map((i) => [
        i.lightSource,
        {
          file: exportedFileOf(i),
          sha256: i.sha256,
          bytes: i.bytes,
          format: i.format,
          width: i.width,
          height: i.height,
          ...(i.originalName ? { originalName: i.originalName } : {}),
        },
      ]),
    ),
    zones,
  };
}

// ---------------------------------------------------------------- command

const LIST_FILTERS = [
  ['issuingState', 'issuing-state'],
  ['documentCategory', 'document-category'],
  ['documentCode', 'document-code'],
  ['status', 'status'],
  ['forgeryMethod', 'forgery-method'],
  ['featureType', 'feature-type'],
  ['lightSource', 'light-source'],
  ['classification', 'classification'],
  ['tags', 'tags'],
] as const;

const collectList = (v: string, prev: string[] = []) => [...prev, ...v.split(',').map((s) => s.trim()).filter(Boolean)];

function parseYear(v: string): number {
  if (!/^\d{4}$/.test(v)) throw new InvalidArgumentError('expected a four-digit year');
  return Number(v);
}

export function registerExportCommand(program: Command, io: CliIo): void {
  const cmd = program
    .command('export')
    .description('write specimens, their records and byte-exact originals to a folder that `import` takes back')
    .argument('<folder>', 'destination folder (created; must be empty)')
    .option('--ids <ids>', 'export these specimen ids (comma-separated); filters are then ignored', collectList)
    .option('--q <text>', 'free text over title, description, notes, series');
  for (const [field, flag] of LIST_FILTERS) {
    const how = field === 'tags' ? 'every tag listed must be present' : 'any of the values';
    cmd.option(`--${flag} <values>`, `filter on ${flag.replace(/-/g, ' ')}: ${how} (comma-separated or repeated)`, collectList);
  }
  cmd
    .option('--year-from <year>', 'issued in or after this year', parseYear)
    .option('--year-to <year>', 'issued in or before this year', parseYear)
    .option('--imitates <id>', 'specimens that imitate this one')
    .option('--no-imitated', 'do not add the specimens that exported specimens imitate')
    .option('--json', 'print the summary as JSON on stdout')
    .action(async (folder: string, opts: Record<string, unknown>, c: Command) => {
      const query: NonNullable<ExportOptions['query']> = {};
      for (const [field] of LIST_FILTERS) if (Array.isArray(opts[field])) query[field] = opts[field] as string[];
      if (typeof opts.q === 'string') query.q = opts.q;
      if (typeof opts.yearFrom === 'number') query.yearFrom = opts.yearFrom;
      if (typeof opts.yearTo === 'number') query.yearTo = opts.yearTo;
      if (typeof opts.imitates === 'string') query.imitates = opts.imitates;
      const summary = await withCliContext(c, (ctx) =>
        exportLibrary(ctx, folder, {
          query,
          ...(Array.isArray(opts.ids) ? { ids: opts.ids as string[] } : {}),
          withImitated: opts.imitated !== false,
          exemplarVersion: program.version() ?? '',
          startProgress: (n) => startProgress(io, 'export', n, 'images'),
        }),
      );
      io.stdout.write(
        opts.json
          ? JSON.stringify(summary, null, 2) + '\n'
          : `Exported ${summary.specimens} specimen(s)${summary.imitatedAdded ? ` (${summary.imitatedAdded} added because others imitate them)` : ''}, ${summary.images} image(s), ${summary.originals} original file(s), ${summary.bytes} bytes to ${summary.folder}\n`,
      );
    });
}
