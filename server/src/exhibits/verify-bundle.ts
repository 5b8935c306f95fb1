/**
 * Offline check of an exhibit bundle: every file re-hashed (streamed), the
 * manifest listing exactly the files present, its entries hash, the report
 * hash, the custody log's hash chain, and the record's images all present.
 * Nothing is trusted from the bundle without being recomputed.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import yauzl from 'yauzl';
import { ExemplarError } from '../errors';
import { BUNDLE_PATHS, EXHIBIT_FORMAT, comparePaths, manifestEntriesHash, type ManifestFile } from './bundle';
import { verifyAuditChain } from './chain';
import { listImageUses } from './images';
import type { ExhibitInput } from './types';
import { nextZipEntry } from '../zip';

/** The checks, in the order they are reported. */
export const BUNDLE_CHECKS = ['zip', 'manifest', 'files', 'listing', 'entries-hash', 'report', 'custody-log', 'record'] as const;
export type BundleCheck = (typeof BUNDLE_CHECKS)[number];

export const BUNDLE_CHECK_TITLES: Readonly<Record<BundleCheck, string>> = {
  zip: 'zip archive readable',
  manifest: 'manifest.json present and well-formed',
  files: 'every listed file hashes to its SHA-256 and size',
  listing: 'manifest lists exactly the files present',
  'entries-hash': 'manifest entries hash',
  report: 'report.pdf matches the manifest report hash',
  'custody-log': 'custody log hash chain intact',
  record: 'every image of exhibit.json is in the bundle',
};

export interface BundleProblem {
  check: BundleCheck;
  message: string;
  /** The bundle file concerned. */
  path?: string;
  /** The custody-log entry concerned. */
  seq?: number;
}

export interface BundleVerification {
  ok: boolean;
  /** The path verified, or `<buffer>`. */
  bundle: string;
  format: string | null;
  case: { id: string; reference: string; title: string } | null;
  generatedAt: string | null;
  checks: { check: BundleCheck; ok: boolean; title: string }[];
  /** Every problem found, grouped by check in BUNDLE_CHECKS order. */
  problems: BundleProblem[];
  files: { listed: number; present: number; bytesHashed: number };
  entriesSha256: string | null;
  reportSha256: string | null;
  custodyLog: { entries: number; head: string | null; gaps: { after: number; before: number }[] } | null;
}

/** JSON members read into memory; anything larger is not one of ours. */
const MAX_JSON_BYTES = 64 * 1024 * 1024;
const SHA256_HEX = /^[0-9a-f]{64}$/;

interface PresentFile {
  sha256: string;
  bytes: number;
  /** Kept for the JSON members only. */
  data?: Buffer;
}

/** Verifies the bundle at `source` (a file path, or its bytes). Throws NOT_FOUND only when the file does not exist. */
export async function verifyBundle(source: string | Buffer): Promise<BundleVerification> {
  const result: BundleVerification = {
    ok: false,
    bundle: typeof source === 'string' ? source : '<buffer>',
    format: null,
    case: null,
    generatedAt: null,
    checks: [],
    problems: [],
    files: { listed: 0, present: 0, bytesHashed: 0 },
    entriesSha256: null,
    reportSha256: null,
    custodyLog: null,
  };
  const problem = (check: BundleCheck, message: string, extra: { path?: string; seq?: number } = {}) => result.problems.push({ check, message, ...extra });
  const skipped = new Set<BundleCheck>();

  if (typeof source === 'string') {
    const stat = await fs.stat(source).catch(() => null);
    if (!stat) throw new ExemplarError('NOT_FOUND', `bundle ${source} not found`, { path: source });
    if (!stat.isFile()) throw new ExemplarError('BAD_REQUEST', `bundle ${source} is not a file`, { path: source });
  }

  const present = new Map<string, PresentFile>();
  try {
    await readZip(source, present, (path, message) => problem('zip', message, { path }), result.files);
  } catch (err) {
    problem('zip', `not a readable zip archive: ${err instanceof Error ? err.message : String(err)}`);
  }
  result.files.present = present.size;

  const manifest = parseManifest(present.get(BUNDLE_PATHS.manifest), (message) => problem('manifest', message, { path: BUNDLE_PATHS.manifest }));
  if (manifest) {
    result.format = manifest.format;
    result.case = manifest.case;
    result.generatedAt = manifest.generatedAt;
    result.files.listed = manifest.files.length;

    // files: each listed file present with the listed hash and size.
    const listed = new Set<string>();
    for (const f of manifest.files) {
      if (listed.has(f.path)) problem('listing', `listed twice: ${f.path}`, { path: f.path });
      listed.add(f.path);
      const actual = present.get(f.path);
      if (!actual) {
        problem('listing', `listed but missing: ${f.path}`, { path: f.path });
        continue;
      }
      if (actual.sha256 !== f.sha256) problem('files', `${f.path} hashes to ${actual.sha256}, the manifest says ${f.sha256}`, { path: f.path });
      else if (actual.bytes !== f.bytes) problem('files', `${f.path} has ${actual.bytes} bytes, the manifest says ${f.bytes}`, { path: f.path });
      // Images are stored under their own hash: a rename is caught even with a rewritten manifest.
      const named = /^(?:originals|outputs)\/([0-9a-f]{64})\.[a-z0-9]+$/.exec(f.path);
      if (named && named[1] !== actual.sha256) problem('files', `${f.path} is named after ${named[1]} but hashes to ${actual.sha256}`, { path: f.path });
    }
    // listing: nothing present that the manifest does not list.
    for (const path of present.keys()) {
      if (path !== BUNDLE_PATHS.manifest && !listed.has(path)) problem('listing', `present but not listed: ${path}`, { path });
    }

    // entries-hash
    const sorted = [...manifest.files].sort((a, b) => comparePaths(a.path, b.path));
    if (sorted.some((f, i) => f !== manifest.files[i])) problem('entries-hash', 'manifest files are not sorted by path');
    const entriesHash = manifestEntriesHash(manifest.files);
    result.entriesSha256 = entriesHash;
    if (entriesHash !== manifest.entriesSha256) problem('entries-hash', `entries hash to ${entriesHash}, the manifest says ${manifest.entriesSha256}`);

    // report
    const report = present.get(manifest.report.path);
    if (manifest.report.path !== BUNDLE_PATHS.report) problem('report', `the manifest names ${manifest.report.path} as the report`);
    if (!report) problem('report', `${manifest.report.path} is missing`, { path: manifest.report.path });
    else {
      result.reportSha256 = report.sha256;
      if (report.sha256 !== manifest.report.sha256) problem('report', `report.pdf hashes to ${report.sha256}, the manifest says ${manifest.report.sha256}`, { path: manifest.report.path });
      const listedReport = manifest.files.find((f) => f.path === manifest.report.path);
      if (listedReport && listedReport.sha256 !== manifest.report.sha256) problem('report', 'the report hash differs from the report file entry', { path: manifest.report.path });
      if (!report.data?.subarray(0, 5).equals(Buffer.from('%PDF-'))) problem('report', 'report.pdf is not a PDF', { path: manifest.report.path });
    }
  } else {
    for (const c of ['files', 'listing', 'entries-hash', 'report'] as const) skipped.add(c);
  }

  // custody-log: the chain is recomputed from the entries themselves.
  const custody = present.get(BUNDLE_PATHS.custodyLog);
  if (!custody?.data) problem('custody-log', `${BUNDLE_PATHS.custodyLog} is missing`, { path: BUNDLE_PATHS.custodyLog });
  else {
    const entries = parseJson(custody.data);
    if (!Array.isArray(entries)) problem('custody-log', `${BUNDLE_PATHS.custodyLog} is not a JSON array`, { path: BUNDLE_PATHS.custodyLog });
    else {
      const chain = verifyAuditChain(entries);
      result.custodyLog = { entries: chain.entries, head: chain.head, gaps: chain.gaps };
      for (const p of chain.problems) problem('custody-log', p.message, { path: BUNDLE_PATHS.custodyLog, ...(p.seq !== null ? { seq: p.seq } : {}) });
      if (manifest) {
        if (manifest.custodyLog.entries !== chain.entries) problem('custody-log', `the log holds ${chain.entries} entries, the manifest says ${manifest.custodyLog.entries}`);
        if (manifest.custodyLog.head !== chain.head) problem('custody-log', `the log ends at ${chain.head ?? 'nothing'}, the manifest says ${manifest.custodyLog.head ?? 'nothing'}`);
      }
    }
  }

  // record: the images the report was rendered from are all in the bundle.
  const record = present.get(BUNDLE_PATHS.record);
  if (!record?.data) problem('record', `${BUNDLE_PATHS.record} is missing`, { path: BUNDLE_PATHS.record });
  else {
    const parsed = parseJson(record.data) as ExhibitInput | undefined;
    let uses: ReturnType<typeof listImageUses> | undefined;
    try {
      uses = parsed ? listImageUses(parsed) : undefined;
    } catch {
      uses = undefined;
    }
    if (!uses) problem('record', `${BUNDLE_PATHS.record} is not an exhibit record`, { path: BUNDLE_PATHS.record });
    else {
      const hashes = new Set([...present.values()].map((f) => f.sha256));
      const missing = new Set<string>();
      for (const u of uses) if (!hashes.has(u.ref.sha256) && !missing.has(u.ref.sha256)) missing.add(u.ref.sha256);
      for (const sha of missing) problem('record', `image ${sha} (${uses.find((u) => u.ref.sha256 === sha)?.role ?? ''}) is not in the bundle`);
    }
  }

  const failed = new Set(result.problems.map((p) => p.check));
  result.checks = BUNDLE_CHECKS.map((check) => ({ check, ok: !failed.has(check) && !skipped.has(check), title: BUNDLE_CHECK_TITLES[check] }));
  result.problems.sort((a, b) => BUNDLE_CHECKS.indexOf(a.check) - BUNDLE_CHECKS.indexOf(b.check));
  result.ok = result.checks.every((c) => c.ok);
  return result;
}

function parseJson(data: Buffer): unknown {
  try {
    return JSON.parse(data.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

interface ParsedManifest {
  format: string;
  case: { id: string; reference: string; title: string };
  generatedAt: string;
  report: { path: string; sha256: string };
  custodyLog: { entries: number; head: string | null };
  files: ManifestFile[];
  entriesSha256: string;
}

function parseManifest(file: PresentFile | undefined, problem: (message: string) => void): ParsedManifest | null {
  if (!file?.data) {
    problem(`${BUNDLE_PATHS.manifest} is missing`);
    return null;
  }
  const m = parseJson(file.data) as Partial<ParsedManifest> | undefined;
  const str = (v: unknown) => typeof v === 'string';
  const bad = (message: string) => {
    problem(message);
    return null;
  };
  if (!m || typeof m !== 'object') return bad('manifest.json is not a JSON object');
  if (m.format !== EXHIBIT_FORMAT) return bad(`unknown format ${JSON.stringify(m.format)} (expected ${EXHIBIT_FORMAT})`);
  if (!m.case || !str(m.case.id) || !str(m.case.reference) || !str(m.case.title)) return bad('manifest case is malformed');
  if (!str(m.generatedAt)) return bad('manifest generatedAt is malformed');
  if (!m.report || !str(m.report.path) || !SHA256_HEX.test(String(m.report.sha256))) return bad('manifest report is malformed');
  if (!m.custodyLog || typeof m.custodyLog.entries !== 'number' || !(m.custodyLog.head === null || SHA256_HEX.test(String(m.custodyLog.head)))) return bad('manifest custodyLog is malformed');
  if (!str(m.entriesSha256)) return bad('manifest entriesSha256 is malformed');
  if (!Array.isArray(m.files)) return bad('manifest files is not a list');
  for (const f of m.files as unknown[]) {
    const e = f as Partial<ManifestFile> | null;
    if (!e || !str(e.path) || !SHA256_HEX.test(String(e.sha256)) || typeof e.bytes !== 'number') return bad(`manifest file entry ${JSON.stringify(f)} is malformed`);
  }
  return m as ParsedManifest;
}

async function readZip(
  source: string | Buffer,
  present: Map<string, PresentFile>,
  problem: (path: string, message: string) => void,
  totals: { bytesHashed: number },
): Promise<void> {
  // Names are validated by yauzl (no absolute paths, no `..`); a bad one fails the whole archive.
  const options: yauzl.Options = { lazyEntries: true, autoClose: true, validateEntrySizes: true, strictFileNames: true };
  const zip = typeof source === 'string' ? await yauzl.openPromise(source, options) : await yauzl.fromBufferPromise(source, options);
  try {
    for (;;) {
      const entry = await nextZipEntry(zip);
      if (!entry) break;
      const path = entry.fileName;
      if (path.endsWith('/')) continue; // a directory holds nothing to verify
      if (present.has(path)) {
        problem(path, `the archive holds ${path} twice`);
        continue;
      }
      const keepAll = path.endsWith('.json') && entry.uncompressedSize <= MAX_JSON_BYTES;
      const file = await hashEntry(zip, entry, keepAll, path === BUNDLE_PATHS.report);
      totals.bytesHashed += file.bytes;
      present.set(path, file);
    }
  } finally {
    zip.close();
  }
}

/** Streams an entry through SHA-256; keeps the bytes of JSON members, and the head of the report. */
async function hashEntry(zip: yauzl.ZipFile, entry: yauzl.Entry, keepAll: boolean, keepHead: boolean): Promise<PresentFile> {
  const stream = await zip.openReadStreamPromise(entry);
  const hash = createHash('sha256');
  const kept: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk);
    if (keepAll || (keepHead && bytes === 0)) kept.push(chunk);
    bytes += chunk.length;
  }
  return { sha256: hash.digest('hex'), bytes, ...(kept.length ? { data: Buffer.concat(kept) } : {}) };
}
