/**
 * Bulk-import manifests: the two formats `exemplar import` reads and the one
 * `exemplar export` writes, parsed into one plan (`ManifestPlan`).
 *
 * JSON (`manifest.json`, what `export` writes) — either an array of rows or
 * `{ "format": "exemplar-manifest", "version": 1, "specimens": [rows] }`:
 *
 *   { "ref": "utopia-p-2019",            // optional local name other rows' `imitates` may use
 *     "id": "Xy12ab34",                  // optional: kept as the specimen id; a row whose id is
 *                                        //   already in the catalogue is skipped (idempotent re-import)
 *     "specimen": { ...create body as for POST /api/specimens; "imitates": a ref, an id of
 *                   another row, or the id of a specimen already in the catalogue },
 *     "captures": [ { "page": "data-page", "dpi": 600, "device": "...", "capturedAt": "...",
 *                     "notes": "...",
 *                     "images": { "white": "relative/path.jpg",
 *                                 "uv-365": { "file": "originals/<sha>.png", "sha256": "<sha>",
 *                                             "originalName": "scan-uv.png" } },
 *                     "zones": [ FeatureZone without id, or with the id it had ] } ] }
 *
 * CSV (one line per image; lines with the same `specimenRef` form one specimen,
 * and within it lines with the same `page` form one capture). Columns (header
 * names exact; unknown columns are an error, so a typo never drops data):
 *   specimenRef (required), id, status, forgeryMethods (`;`-separated),
 *   issuingState, documentCategory, documentCode, series, issuedFrom, issuedTo,
 *   title, description, notes, imitates, modusOperandi, provenanceSource,
 *   seizedPlace, seizedAt, caseReference, classification, tags (`;`-separated),
 *   page (required), dpi, device, capturedAt, captureNotes, zonesFile (a JSON
 *   file holding the capture's zones), lightSource (required), file (required),
 *   sha256, originalName.
 * Specimen and capture columns may be repeated on every line of the group or
 * given once; two different non-empty values in one group refuse the specimen.
 *
 * Image paths are relative to the import folder and must stay inside it. When
 * a `sha256` is given, the file must hash to it (exports always carry it).
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { ExemplarError } from '../errors';
import { digestStream } from '../stores/objects.common';
import { assertStorableJson, readTextFile } from './text-file';

export const MANIFEST_FORMAT = 'exemplar-manifest';
export const MANIFEST_VERSION = 1;

export interface PlannedImage {
  lightSource: string;
  /** As written in the manifest (relative to the import folder). */
  file: string;
  /** Resolved absolute path, inside the import folder. */
  path: string;
  sha256?: string;
  originalName?: string;
}

export interface PlannedCapture {
  /** page, dpi, device, capturedAt, notes — passed to ingest as the capture's metadata. */
  meta: Record<string, unknown>;
  images: PlannedImage[];
  zones: Record<string, unknown>[];
  /** CSV only: a JSON file holding the zones, read by `loadZoneFiles`. */
  zonesFile?: string;
}

export interface PlannedSpecimen {
  /** Where the row is in the manifest, for the summary: `specimens[3]` or `lines 4-9`. */
  row: string;
  ref?: string;
  id?: string;
  /** The create body; `imitates` as written in the manifest (resolved at import). */
  body: Record<string, unknown>;
  captures: PlannedCapture[];
  /** Set when the row is refused before anything is written. */
  problem?: ExemplarError;
}

export interface ManifestPlan {
  manifestPath: string;
  format: 'json' | 'csv';
  rows: PlannedSpecimen[];
}

const CSV_COLUMNS = [
  'specimenRef', 'id', 'status', 'forgeryMethods', 'issuingState', 'documentCategory', 'documentCode', 'series',
  'issuedFrom', 'issuedTo', 'title', 'description', 'notes', 'imitates', 'modusOperandi', 'provenanceSource',
  'seizedPlace', 'seizedAt', 'caseReference', 'classification', 'tags', 'page', 'dpi', 'device', 'capturedAt',
  'captureNotes', 'zonesFile', 'lightSource', 'file', 'sha256', 'originalName',
] as const;
type CsvColumn = (typeof CSV_COLUMNS)[number];
const CSV_REQUIRED: CsvColumn[] = ['specimenRef', 'page', 'lightSource', 'file'];

const SHA256_RE = /^[0-9a-f]{64}$/;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const bad = (message: string, details: Record<string, unknown> = {}) => new ExemplarError('BAD_REQUEST', message, details);

/** Finds the manifest: the given path (relative to cwd), else `manifest.json` or `manifest.csv` in the folder. */
export async function locateManifest(folder: string, manifest?: string): Promise<string> {
  if (manifest) {
    const p = path.resolve(manifest);
    if (!(await isFile(p))) throw new ExemplarError('NOT_FOUND', `manifest ${manifest} not found`, { manifest: p });
    return p;
  }
  for (const name of ['manifest.json', 'manifest.csv']) {
    const p = path.join(folder, name);
    if (await isFile(p)) return p;
  }
  throw new ExemplarError('NOT_FOUND', `no manifest.json or manifest.csv in ${folder} (use --manifest)`, { folder });
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}

/** Reads and parses a manifest. A manifest that cannot be read at all throws; a bad row only marks that row. */
export async function readManifest(folder: string, manifestPath: string): Promise<ManifestPlan> {
  const root = path.resolve(folder);
  const text = await readTextFile(manifestPath);
  const format = manifestPath.toLowerCase().endsWith('.csv') ? 'csv' : 'json';
  const rows = format === 'csv' ? planFromCsv(root, text) : planFromJson(root, text, manifestPath);
  checkUniqueKeys(rows);
  return { manifestPath, format, rows };
}

// ---------------------------------------------------------------- JSON

export function planFromJson(root: string, text: string, file = 'the manifest'): PlannedSpecimen[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    throw bad(`manifest is not valid JSON: ${(err as Error).message}`);
  }
  assertStorableJson(doc, file);
  let rows: unknown;
  if (Array.isArray(doc)) rows = doc;
  else if (isObject(doc) && Array.isArray(doc.specimens)) {
    if (doc.format !== undefined && doc.format !== MANIFEST_FORMAT) throw bad(`manifest format "${String(doc.format)}" is not ${MANIFEST_FORMAT}`);
    if (doc.version !== undefined && doc.version !== MANIFEST_VERSION) {
      throw bad(`manifest version ${String(doc.version)} is not supported (this exemplar reads version ${MANIFEST_VERSION})`);
    }
    rows = doc.specimens;
  } else throw bad('manifest must be an array of specimens or an object with a "specimens" array');

  return (rows as unknown[]).map((raw, i) => {
    const row = `specimens[${i}]`;
    try {
      return planJsonRow(root, row, raw);
    } catch (err) {
      return { row, body: {}, captures: [], problem: asExemplarError(err), ...refAndId(raw) };
    }
  });
}

function refAndId(raw: unknown): { ref?: string; id?: string } {
  if (!isObject(raw)) return {};
  return {
    ...(typeof raw.ref === 'string' ? { ref: raw.ref } : {}),
    ...(typeof raw.id === 'string' ? { id: raw.id } : {}),
  };
}

/** `record` is what an export adds for information (revision, created/updated by and at); import ignores it. */
const ROW_KEYS = ['ref', 'id', 'specimen', 'captures', 'record'];
const IMAGE_KEYS = ['file', 'sha256', 'originalName', 'bytes', 'format', 'width', 'height'];

function rejectUnknownKeys(where: string, value: Record<string, unknown>, known: string[]): void {
  const unknown = Object.keys(value).filter((k) => !known.includes(k));
  if (unknown.length) throw bad(`${where} has unknown key(s) ${unknown.join(', ')} (known: ${known.join(', ')})`, { unknown });
}

function planJsonRow(root: string, row: string, raw: unknown): PlannedSpecimen {
  if (!isObject(raw)) throw bad(`${row} is not an object`);
  rejectUnknownKeys(row, raw, ROW_KEYS);
  const { ref, id, specimen, captures } = raw;
  if (ref !== undefined && (typeof ref !== 'string' || ref === '')) throw bad(`${row}.ref must be a non-empty string`);
  if (id !== undefined && (typeof id !== 'string' || id === '')) throw bad(`${row}.id must be a non-empty string`);
  if (!isObject(specimen)) throw bad(`${row}.specimen must be an object (the specimen's create body)`);
  if (captures !== undefined && !Array.isArray(captures)) throw bad(`${row}.captures must be an array`);
  const planned = (captures ?? []).map((c, j) => planJsonCapture(root, `${row}.captures[${j}]`, c));
  return { row, ...(ref ? { ref } : {}), ...(id ? { id } : {}), body: { ...specimen }, captures: planned };
}

function planJsonCapture(root: string, where: string, raw: unknown): PlannedCapture {
  if (!isObject(raw)) throw bad(`${where} is not an object`);
  const { images, zones, ...meta } = raw;
  // Server-assigned capture fields from an export are not metadata to re-send.
  for (const k of ['id', 'createdAt', 'createdBy']) delete meta[k];
  if (!isObject(images) || Object.keys(images).length === 0) throw bad(`${where}.images must map light sources to files`);
  const planned = Object.entries(images).map(([lightSource, v]) => {
    if (typeof v === 'string') return planImage(root, where, lightSource, v);
    if (isObject(v) && typeof v.file === 'string') {
      rejectUnknownKeys(`${where}.images.${lightSource}`, v, IMAGE_KEYS);
      return planImage(root, where, lightSource, v.file, optString(v.sha256, `${where}.images.${lightSource}.sha256`), optString(v.originalName, `${where}.images.${lightSource}.originalName`));
    }
    throw bad(`${where}.images.${lightSource} must be a relative path or { file, sha256?, originalName? }`);
  });
  if (zones !== undefined && (!Array.isArray(zones) || !zones.every(isObject))) throw bad(`${where}.zones must be an array of zone objects`);
  // Zone ids are assigned by the server; an export's ids are informative only.
  const planZones = ((zones ?? []) as Record<string, unknown>[]).map(({ id: _id, ...zone }) => zone);
  return { meta, images: planned, zones: planZones };
}

function optString(v: unknown, where: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw bad(`${where} must be a string`);
  return v;
}

function planImage(root: string, where: string, lightSource: string, file: string, sha256?: string, originalName?: string): PlannedImage {
  if (sha256 !== undefined && !SHA256_RE.test(sha256)) throw bad(`${where}: sha256 of ${file} is not 64 lowercase hex digits`, { file });
  return {
    lightSource,
    file,
    path: resolveInside(root, file, where),
    ...(sha256 ? { sha256 } : {}),
    originalName: originalName ?? path.basename(file),
  };
}

/** A manifest may only point at files inside the import folder. */
function resolveInside(root: string, file: string, where: string): string {
  if (file === '' || path.isAbsolute(file)) throw bad(`${where}: file path "${file}" must be relative to the import folder`, { file });
  const p = path.resolve(root, file);
  const rel = path.relative(root, p);
  if (rel.startsWith('..') || path.isAbsolute(rel)) throw bad(`${where}: file path "${file}" leaves the import folder`, { file });
  return p;
}

// ---------------------------------------------------------------- CSV

interface CsvRecord {
  line: number;
  values: Partial<Record<CsvColumn, string>>;
}

export function planFromCsv(root: string, text: string): PlannedSpecimen[] {
  let parsed: { record: Record<string, string>; info: { lines: number } }[];
  try {
    parsed = parseCsv(text, { columns: true, bom: true, trim: true, skip_empty_lines: true, info: true, relax_column_count: false });
  } catch (err) {
    throw bad(`manifest is not valid CSV: ${(err as Error).message}`);
  }
  const header = parsed[0] ? Object.keys(parsed[0].record) : [];
  const unknown = header.filter((h) => !(CSV_COLUMNS as readonly string[]).includes(h));
  if (unknown.length) throw bad(`unknown CSV column(s): ${unknown.join(', ')}`, { unknown, known: CSV_COLUMNS });
  const missing = CSV_REQUIRED.filter((c) => !header.includes(c));
  if (parsed.length && missing.length) throw bad(`CSV lacks required column(s): ${missing.join(', ')}`, { missing });

  // Group by specimenRef, keeping first-appearance order.
  const groups = new Map<string, CsvRecord[]>();
  for (const { record, info } of parsed) {
    const values: Partial<Record<CsvColumn, string>> = {};
    for (const [k, v] of Object.entries(record)) if (v !== '') values[k as CsvColumn] = v;
    const ref = values.specimenRef ?? '';
    const list = groups.get(ref) ?? [];
    list.push({ line: info.lines, values });
    groups.set(ref, list);
  }
  return [...groups.entries()].map(([ref, records]) => {
    const lines = records.map((r) => r.line);
    const row = lines.length === 1 ? `line ${lines[0]}` : `lines ${lines.join(',')}`;
    try {
      if (ref === '') throw bad(`${row}: specimenRef is empty`);
      return planCsvGroup(root, row, ref, records);
    } catch (err) {
      return { row, ...(ref ? { ref } : {}), body: {}, captures: [], problem: asExemplarError(err) };
    }
  });
}

const SPECIMEN_COLUMNS: CsvColumn[] = [
  'id', 'status', 'forgeryMethods', 'issuingState', 'documentCategory', 'documentCode', 'series', 'issuedFrom', 'issuedTo',
  'title', 'description', 'notes', 'imitates', 'modusOperandi', 'provenanceSource', 'seizedPlace', 'seizedAt',
  'caseReference', 'classification', 'tags',
];
const CAPTURE_COLUMNS: CsvColumn[] = ['dpi', 'device', 'capturedAt', 'captureNotes', 'zonesFile'];

/** The one value a column has across a group; two different values refuse it. */
function single(records: CsvRecord[], column: CsvColumn, row: string): string | undefined {
  let found: CsvRecord | undefined;
  for (const r of records) {
    const v = r.values[column];
    if (v === undefined) continue;
    if (found && found.values[column] !== v) {
      throw bad(`${row}: column ${column} is "${found.values[column]}" on line ${found.line} but "${v}" on line ${r.line}`, { column });
    }
    found ??= r;
  }
  return found?.values[column];
}

function intOf(v: string | undefined, column: string, row: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v)) throw bad(`${row}: ${column} "${v}" is not an integer`, { column });
  return Number(v);
}

const listOf = (v: string | undefined) => (v === undefined ? undefined : v.split(';').map((s) => s.trim()).filter(Boolean));

function planCsvGroup(root: string, row: string, ref: string, records: CsvRecord[]): PlannedSpecimen {
  const s = Object.fromEntries(SPECIMEN_COLUMNS.map((c) => [c, single(records, c, row)])) as Partial<Record<CsvColumn, string>>;
  const body: Record<string, unknown> = {};
  const put = (k: string, v: unknown) => {
    if (v !== undefined) body[k] = v;
  };
  put('status', s.status);
  put('forgeryMethods', listOf(s.forgeryMethods));
  put('issuingState', s.issuingState);
  put('documentCategory', s.documentCategory);
  put('documentCode', s.documentCode);
  put('series', s.series);
  const from = intOf(s.issuedFrom, 'issuedFrom', row);
  const to = intOf(s.issuedTo, 'issuedTo', row);
  if (from !== undefined || to !== undefined) body.issued = { ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) };
  put('title', s.title);
  put('description', s.description);
  put('notes', s.notes);
  put('imitates', s.imitates);
  put('modusOperandi', s.modusOperandi);
  const provenance: Record<string, string> = {};
  if (s.provenanceSource) provenance.source = s.provenanceSource;
  if (s.seizedPlace) provenance.seizedPlace = s.seizedPlace;
  if (s.seizedAt) provenance.seizedAt = s.seizedAt;
  if (s.caseReference) provenance.caseReference = s.caseReference;
  if (Object.keys(provenance).length) body.provenance = provenance;
  put('classification', s.classification);
  put('tags', listOf(s.tags) ?? []);

  // Captures: one per page, in first-appearance order.
  const byPage = new Map<string, CsvRecord[]>();
  for (const r of records) {
    const page = r.values.page;
    if (!page) throw bad(`${row}: line ${r.line} has no page`);
    byPage.set(page, [...(byPage.get(page) ?? []), r]);
  }
  const captures = [...byPage.entries()].map(([page, recs]) => {
    const where = `${row} page ${page}`;
    const c = Object.fromEntries(CAPTURE_COLUMNS.map((k) => [k, single(recs, k, where)])) as Partial<Record<CsvColumn, string>>;
    const meta: Record<string, unknown> = { page };
    const dpi = intOf(c.dpi, 'dpi', where);
    if (dpi !== undefined) meta.dpi = dpi;
    if (c.device) meta.device = c.device;
    if (c.capturedAt) meta.capturedAt = c.capturedAt;
    if (c.captureNotes) meta.notes = c.captureNotes;
    const images = recs.map((r) => {
      const at = `line ${r.line}`;
      if (!r.values.lightSource) throw bad(`${at}: lightSource is empty`);
      if (!r.values.file) throw bad(`${at}: file is empty`);
      return planImage(root, at, r.values.lightSource, r.values.file, r.values.sha256, r.values.originalName);
    });
    const capture: PlannedCapture = { meta, images, zones: [] };
    if (c.zonesFile) capture.zonesFile = resolveInside(root, c.zonesFile, where);
    return capture;
  });
  return { row, ref, ...(s.id ? { id: s.id } : {}), body, captures };
}

/** Reads the CSV `zonesFile`s of a row into its captures; a bad file refuses the row. */
export async function loadZoneFiles(plan: PlannedSpecimen): Promise<void> {
  for (const capture of plan.captures) {
    const file = capture.zonesFile;
    if (!file) continue;
    let zones: unknown;
    try {
      zones = JSON.parse(await readTextFile(file));
    } catch (err) {
      throw bad(`zones file ${file}: ${(err as Error).message}`, { file });
    }
    assertStorableJson(zones, file);
    if (!Array.isArray(zones) || !zones.every(isObject)) throw bad(`zones file ${file} must hold an array of zone objects`, { file });
    capture.zones = zones;
  }
}

// ---------------------------------------------------------------- checks

/** Duplicate refs or ids would make `imitates` and idempotency ambiguous: the later row is refused. */
function checkUniqueKeys(rows: PlannedSpecimen[]): void {
  const refs = new Map<string, string>();
  const ids = new Map<string, string>();
  for (const r of rows) {
    if (r.problem) continue;
    if (r.ref !== undefined) {
      const first = refs.get(r.ref);
      if (first) r.problem = bad(`${r.row}: ref "${r.ref}" is already used by ${first}`, { ref: r.ref });
      else refs.set(r.ref, r.row);
    }
    if (r.id !== undefined && !r.problem) {
      const first = ids.get(r.id);
      if (first) r.problem = bad(`${r.row}: id "${r.id}" is already used by ${first}`, { id: r.id });
      else ids.set(r.id, r.row);
    }
    if (!r.problem) {
      for (const c of r.captures) {
        const seen = new Set<string>();
        for (const im of c.images) {
          if (seen.has(im.lightSource)) {
            r.problem = bad(`${r.row}: two images for light source ${im.lightSource} on page ${String(c.meta.page)}`, { lightSource: im.lightSource });
          }
          seen.add(im.lightSource);
        }
      }
    }
  }
}

/** Checks an image file exists inside the folder and, when the manifest gives one, matches its sha256. */
export async function checkImageFile(image: PlannedImage): Promise<void> {
  let st;
  try {
    st = await stat(image.path);
  } catch {
    throw new ExemplarError('NOT_FOUND', `file ${image.file} not found`, { file: image.file });
  }
  if (!st.isFile()) throw bad(`${image.file} is not a regular file`, { file: image.file });
  if (image.sha256) {
    const actual = await sha256File(image.path);
    if (actual !== image.sha256) {
      throw new ExemplarError('INTEGRITY_FAILED', `file ${image.file} does not match the manifest's sha256`, { file: image.file, expected: image.sha256, actual });
    }
  }
}

export async function sha256File(p: string): Promise<string> {
  return (await digestStream(createReadStream(p))).sha256;
}

export function asExemplarError(err: unknown): ExemplarError {
  if (err instanceof ExemplarError) return err;
  return new ExemplarError('INTERNAL', err instanceof Error ? err.message : String(err), {}, { cause: err });
}
