/**
 * `exemplar import <folder> [--manifest file] [--dry-run]`: bulk import of
 * specimens with their captures (formats in `manifest.ts`).
 *
 * Each manifest row is all-or-nothing: the specimen is created, then each
 * capture is ingested through the same service as an upload; if anything
 * fails, the specimen (and with it every object only it referenced) is
 * deleted again and the row is reported as refused. Other rows go on.
 *
 * Idempotency: a row that carries an `id` (every row of an export does) keeps
 * that id; when the catalogue already holds it, the row is skipped — provided
 * the stored specimen already holds every image of the row, else it is
 * refused (CONFLICT), since importing would silently drop data. Rows without
 * an id are always created anew.
 *
 * Order: a row whose `imitates` names another row (by ref or id) is imported
 * after that row; if that row is refused, so is this one.
 */
import type { Command } from 'commander';
import path from 'node:path';
import { isImageError, probeImage } from '@exemplar/image-pipeline';
import { validate, validateSpecimenCreate } from '@exemplar/specimens-schema';
import { ExemplarError } from '../errors';
import type { AppContext } from '../context';
import type { Actor } from '../services/actor';
import { valueOrThrow } from '../services/common';
import {
  asExemplarError,
  checkImageFile,
  loadZoneFiles,
  locateManifest,
  readManifest,
  sha256File,
  type ManifestPlan,
  type PlannedCapture,
  type PlannedImage,
  type PlannedSpecimen,
} from './manifest';
import { CliExit, INTERRUPTED_EXIT, startProgress, whileInterruptible, type CliIo, type Progress } from './output';
import { CLI_ACTOR, withCliContext } from './with-context';

export interface ImportOptions {
  manifest?: string;
  dryRun?: boolean;
  actor?: Actor;
  /** Called once the number of images to import is known. */
  startProgress?: (images: number) => Progress;
  /** When aborted, the row in progress is finished (or rolled back) and the rest is not attempted. */
  signal?: AbortSignal;
}

export interface ImportedRow {
  row: string;
  ref?: string;
  id: string;
  captures: number;
  images: number;
}
export interface SkippedRow {
  row: string;
  ref?: string;
  id: string;
  reason: string;
}
export interface RefusedRow {
  row: string;
  ref?: string;
  /** The image file the refusal is about, when it is about one. */
  file?: string;
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

export interface ImportSummary {
  manifest: string;
  dryRun: boolean;
  /** With --dry-run: the rows that would be imported (their `id` is the manifest's, or empty). */
  imported: ImportedRow[];
  skipped: SkippedRow[];
  refused: RefusedRow[];
  /** Rows left untouched because the import was interrupted. */
  notAttempted: { row: string; ref?: string }[];
}

export async function importFolder(ctx: AppContext, folder: string, options: ImportOptions = {}): Promise<ImportSummary> {
  const manifestPath = await locateManifest(folder, options.manifest);
  const plan = await readManifest(folder, manifestPath);
  return importPlan(ctx, plan, options);
}

type Outcome = { kind: 'imported' | 'skipped'; id: string } | { kind: 'would-import'; id?: string } | { kind: 'refused' };

export async function importPlan(ctx: AppContext, plan: ManifestPlan, options: ImportOptions = {}): Promise<ImportSummary> {
  const actor = options.actor ?? CLI_ACTOR;
  const dryRun = Boolean(options.dryRun);
  const summary: ImportSummary = { manifest: plan.manifestPath, dryRun, imported: [], skipped: [], refused: [], notAttempted: [] };
  const { ordered, cyclic } = orderByImitates(plan.rows);
  const outcomes = new Map<PlannedSpecimen, Outcome>();
  const byKey = rowKeys(plan.rows);
  const imageCount = (r: PlannedSpecimen) => r.captures.reduce((n, c) => n + c.images.length, 0);
  const progress = options.startProgress?.(plan.rows.reduce((n, r) => n + imageCount(r), 0));

  try {
    for (const row of ordered) {
      if (options.signal?.aborted) {
        summary.notAttempted.push({ row: row.row, ...(row.ref ? { ref: row.ref } : {}) });
        continue;
      }
      const label = row.ref ?? row.id ?? row.row;
      let ticked = 0;
      const tick = (n: number, what = '') => {
        ticked += n;
        progress?.tick(`${label}${what}`, n);
      };
      try {
        if (row.problem) throw row.problem;
        if (cyclic.has(row)) throw new ExemplarError('BAD_REQUEST', `${row.row}: imitates forms a cycle`, { imitates: row.body.imitates });
        await loadZoneFiles(row);
        const body = { ...row.body };
        await resolveImitates(ctx, row, body, byKey, outcomes, dryRun);

        if (row.id && (await ctx.catalog.specimens.get(row.id))) {
          const reason = await compareWithStored(ctx, row, row.id);
          outcomes.set(row, { kind: 'skipped', id: row.id });
          summary.skipped.push({ row: row.row, ...(row.ref ? { ref: row.ref } : {}), id: row.id, reason });
          tick(imageCount(row), ' skipped');
          continue;
        }
        for (const capture of row.captures) for (const image of capture.images) await checkImageFile(image);

        if (dryRun) {
          valueOrThrow(validateSpecimenCreate(body), 'specimen');
          for (const capture of row.captures) {
            valueOrThrow(validate('capture-create', capture.zones.length ? { ...capture.meta, zones: capture.zones } : capture.meta), 'capture');
            for (const image of capture.images) await probeFile(ctx, image);
          }
          outcomes.set(row, { kind: 'would-import', ...(row.id ? { id: row.id } : {}) });
          summary.imported.push({ row: row.row, ...(row.ref ? { ref: row.ref } : {}), id: row.id ?? '', captures: row.captures.length, images: imageCount(row) });
          tick(imageCount(row));
          continue;
        }
        const created = await createSpecimenWithCaptures(ctx, { body, captures: row.captures, ...(row.id ? { id: row.id } : {}) }, actor, (n) => tick(n));
        outcomes.set(row, { kind: 'imported', id: created.id });
        summary.imported.push({ row: row.row, ...(row.ref ? { ref: row.ref } : {}), id: created.id, captures: row.captures.length, images: imageCount(row) });
      } catch (err) {
        const e = asExemplarError(err);
        outcomes.set(row, { kind: 'refused' });
        const file = typeof e.details.file === 'string' ? e.details.file : undefined;
        const refused: RefusedRow = {
          row: row.row,
          ...(row.ref ? { ref: row.ref } : {}),
          ...(file ? { file } : {}),
          code: e.code,
          message: e.message,
          ...(Object.keys(e.details).length ? { details: e.details } : {}),
        };
        summary.refused.push(refused);
        progress?.note(`refused ${row.row}${row.ref ? ` (${row.ref})` : ''}${file ? ` ${file}` : ''}: ${e.code}: ${e.message}`);
        tick(imageCount(row) - ticked, ' refused');
      }
    }
  } finally {
    progress?.stop();
  }
  return summary;
}

export interface SpecimenToCreate {
  /** Kept as the specimen's id when given (restoring an export). */
  id?: string;
  body: Record<string, unknown>;
  captures: PlannedCapture[];
}

/**
 * Creates one specimen and ingests its captures; all or nothing. Used by
 * `import` and by the demo seeding. `onImage` is told how many images each
 * finished capture held.
 */
export async function createSpecimenWithCaptures(
  ctx: AppContext,
  input: SpecimenToCreate,
  actor: Actor,
  onImages?: (n: number) => void,
): Promise<{ id: string }> {
  // An export's rows keep their ids, so links and a second import of the same export find them.
  const specimen = await ctx.services.specimens.create(input.body, actor, input.id ? { id: input.id } : {});
  try {
    for (const capture of input.captures) {
      const meta = capture.zones.length ? { ...capture.meta, zones: capture.zones } : capture.meta;
      const files = capture.images.map((i) => ({ lightSource: i.lightSource, path: i.path, ...(i.originalName ? { originalName: i.originalName } : {}) }));
      try {
        await ctx.services.ingest.addCapture(specimen.id, meta, files, actor);
      } catch (err) {
        throw withFile(asExemplarError(err), capture);
      }
      onImages?.(capture.images.length);
    }
    return { id: specimen.id };
  } catch (err) {
    try {
      await ctx.services.specimens.delete(specimen.id, undefined, actor);
    } catch (cleanupErr) {
      throw new ExemplarError('INTERNAL', `${(err as Error).message}; and removing the half-imported specimen ${specimen.id} failed: ${(cleanupErr as Error).message}`, {
        specimenId: specimen.id,
      }, { cause: err });
    }
    throw err;
  }
}

/** The checks ingest makes on a file before storing it (type, pixel limit, full decode), for --dry-run. */
async function probeFile(ctx: AppContext, image: PlannedImage): Promise<void> {
  try {
    await probeImage(image.path, { maxPixels: ctx.config.limits.maxImagePixels });
  } catch (err) {
    if (!isImageError(err)) throw err;
    throw new ExemplarError(err.code, `${image.file}: ${err.message}`, { ...err.details, file: image.file, lightSource: image.lightSource });
  }
}

/** Names the file an ingest error is about: ingest reports the light source (or the form field named after it). */
function withFile(err: ExemplarError, capture: PlannedCapture): ExemplarError {
  if (typeof err.details.file === 'string') return err;
  const ls = err.details.lightSource ?? err.details.field;
  const image = capture.images.find((i) => i.lightSource === ls) ?? (capture.images.length === 1 ? capture.images[0] : undefined);
  if (!image) return err;
  return new ExemplarError(err.code, `${image.file}: ${err.message}`, { ...err.details, file: image.file }, { cause: err });
}

function rowKeys(rows: PlannedSpecimen[]): Map<string, PlannedSpecimen> {
  const keys = new Map<string, PlannedSpecimen>();
  for (const r of rows) {
    if (r.problem) continue;
    if (r.ref) keys.set(r.ref, r);
    // A ref wins over an id when both spell the same (refs are the manifest's own names).
    if (r.id && !keys.has(r.id)) keys.set(r.id, r);
  }
  return keys;
}

/** Rows in an order where every row comes after the row it imitates; rows on a cycle are set apart. */
function orderByImitates(rows: PlannedSpecimen[]): { ordered: PlannedSpecimen[]; cyclic: Set<PlannedSpecimen> } {
  const keys = rowKeys(rows);
  const ordered: PlannedSpecimen[] = [];
  const cyclic = new Set<PlannedSpecimen>();
  const state = new Map<PlannedSpecimen, 'visiting' | 'done'>();
  const visit = (row: PlannedSpecimen, trail: PlannedSpecimen[]) => {
    const s = state.get(row);
    if (s === 'done') return;
    if (s === 'visiting') {
      for (const r of trail.slice(trail.indexOf(row))) cyclic.add(r);
      return;
    }
    state.set(row, 'visiting');
    const target = typeof row.body.imitates === 'string' ? keys.get(row.body.imitates) : undefined;
    if (target && target !== row) visit(target, [...trail, row]);
    else if (target === row) cyclic.add(row);
    state.set(row, 'done');
    ordered.push(row);
  };
  for (const r of rows) visit(r, []);
  return { ordered, cyclic };
}

async function resolveImitates(
  ctx: AppContext,
  row: PlannedSpecimen,
  body: Record<string, unknown>,
  keys: Map<string, PlannedSpecimen>,
  outcomes: Map<PlannedSpecimen, Outcome>,
  dryRun: boolean,
): Promise<void> {
  const target = body.imitates;
  if (typeof target !== 'string') return;
  const dep = keys.get(target);
  if (dep) {
    const outcome = outcomes.get(dep);
    if (!outcome || outcome.kind === 'refused') {
      throw new ExemplarError('UNPROCESSABLE', `imitates ${dep.row}${dep.ref ? ` (${dep.ref})` : ''}, which was refused`, { imitates: target });
    }
    if (outcome.id) body.imitates = outcome.id;
    else if (dryRun) delete body.imitates; // not created yet: the link is checked by the real import
    return;
  }
  if (!(await ctx.catalog.specimens.get(target))) {
    throw new ExemplarError('SPECIMEN_NOT_FOUND', `imitates "${target}": no row of the manifest has this ref or id, and the catalogue has no such specimen`, {
      imitates: target,
    });
  }
}

/** A skipped row must not hide data: every image of the row has to be in the stored specimen already. */
async function compareWithStored(ctx: AppContext, row: PlannedSpecimen, id: string): Promise<string> {
  const stored = await ctx.catalog.specimens.get(id);
  const have = new Set(stored?.captures.flatMap((c) => c.images.map((i) => i.sha256)) ?? []);
  for (const capture of row.captures) {
    for (const image of capture.images) {
      let sha = image.sha256;
      if (!sha) {
        await checkImageFile(image);
        sha = await sha256File(image.path);
      }
      if (!have.has(sha)) {
        throw new ExemplarError('CONFLICT', `specimen ${id} is already in the catalogue but lacks ${image.file}; import refused so that nothing is silently dropped`, {
          id,
          file: image.file,
          sha256: sha,
        });
      }
    }
  }
  return 'already in the catalogue with every image of the row';
}

export function formatImportSummary(s: ImportSummary): string {
  const verb = s.dryRun ? 'would import' : 'imported';
  const lines = [`${s.dryRun ? 'Dry run: ' : ''}${verb} ${s.imported.length}, skipped ${s.skipped.length}, refused ${s.refused.length} (manifest ${s.manifest})`];
  for (const r of s.skipped) lines.push(`  skipped  ${r.row}${r.ref ? ` (${r.ref})` : ''} ${r.id}: ${r.reason}`);
  for (const r of s.refused) lines.push(`  refused  ${r.row}${r.ref ? ` (${r.ref})` : ''}${r.file ? ` file ${r.file}` : ''}: ${r.code}: ${r.message}`);
  if (s.notAttempted.length) {
    lines.push(`Interrupted: ${s.notAttempted.length} row(s) not attempted: ${s.notAttempted.map((r) => r.ref ?? r.row).join(', ')}`);
    lines.push('  Running the import again skips rows that carry an id; rows without one would be created again.');
  }
  return lines.join('\n') + '\n';
}

const MANIFEST_HELP = `
Manifests (file paths are relative to <folder> and must stay inside it):

  manifest.json — what \`exemplar export\` writes; an array of rows, or
  { "format": "exemplar-manifest", "version": 1, "specimens": [rows] }. A row:
    { "ref": "utopia-p",          optional name that other rows' "imitates" may use
      "id": "Xy12ab34cd",         optional; kept as the specimen id (rows of an export have it)
      "specimen": { create body as for POST /api/specimens; "imitates": a ref, an id
                    of another row, or the id of a specimen already in the catalogue },
      "captures": [ { "page": "data-page", "dpi": 600, "device": "…", "capturedAt": "…",
                      "images": { "white": "scans/p1-white.jpg",
                                  "uv-365": { "file": "scans/p1-uv.png", "sha256": "…" } },
                      "zones": [ { "type": "mrz", "polygon": [[x,y],…], "lightSources": ["white"],
                                   "personalised": true } ] } ] }

  manifest.csv — one line per image; lines with the same specimenRef make one
  specimen, and within it lines with the same page make one capture. Columns:
    specimenRef, page, lightSource, file (required); id, status, forgeryMethods,
    issuingState, documentCategory, documentCode, series, issuedFrom, issuedTo,
    title, description, notes, imitates, modusOperandi, provenanceSource,
    seizedPlace, seizedAt, caseReference, classification, tags, dpi, device,
    capturedAt, captureNotes, zonesFile (JSON array of zones), sha256, originalName.
    forgeryMethods and tags are ;-separated. A specimen or capture value may be
    given once or repeated; two different values refuse the row.

Each row is all or nothing. A row whose id is already in the catalogue is
skipped (importing the same export twice adds nothing); rows without an id are
always created. A given sha256 must match the file. Exit code 1 if any row was
refused.
`;

export function registerImportCommand(program: Command, io: CliIo): void {
  program
    .command('import')
    .description('import specimens and their captures from a folder with manifest.json or manifest.csv')
    .argument('<folder>', 'folder holding the manifest and the image files it names (paths relative to it)')
    .option('--manifest <file>', 'manifest file (.json or .csv); default: manifest.json or manifest.csv in the folder')
    .option('--dry-run', 'check the manifest, files and records without writing anything')
    .option('--json', 'print the summary as JSON on stdout')
    .addHelpText('after', MANIFEST_HELP)
    .action(async (folder: string, opts: { manifest?: string; dryRun?: boolean; json?: boolean }, cmd: Command) => {
      const summary = await withCliContext(cmd, (ctx) =>
        whileInterruptible(io, 'finishing the current row', (signal) =>
          importFolder(ctx, path.resolve(folder), {
            ...(opts.manifest ? { manifest: opts.manifest } : {}),
            dryRun: Boolean(opts.dryRun),
            startProgress: (n) => startProgress(io, opts.dryRun ? 'check' : 'import', n, 'images'),
            signal,
          }),
        ),
      );
      io.stdout.write(opts.json ? JSON.stringify(summary, null, 2) + '\n' : formatImportSummary(summary));
      if (summary.notAttempted.length) throw new CliExit(INTERRUPTED_EXIT);
      if (summary.refused.length) throw new CliExit(1);
    });
}
