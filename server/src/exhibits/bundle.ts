/**
 * Builds the exhibit: the PDF report and the zip bundle around it, both
 * reproducible from the record alone.
 *
 * Bundle layout (entries in this order, every one with the record's time):
 *   manifest.json      what follows, each file with its SHA-256 and size
 *   custody-log.json   the case's audit entries (hash chain, see chain.ts)
 *   exhibit.json       the record the report was rendered from
 *   originals/<sha256>.<ext>   questioned and reference images, byte-exact
 *   outputs/<sha256>.<ext>     aligned images and heatmaps
 *   report.pdf
 */
import { createHash } from 'node:crypto';
import { ZipFile } from 'yazl';
import { canonicalJson, verifyAuditChain } from './chain';
import { loadExhibitImages, type LoadedImage } from './images';
import { renderExhibitReport } from './report-pdf';
import type { ExhibitImageLoader, ExhibitInput } from './types';
import { validateExhibitInput } from './validate';

export const EXHIBIT_FORMAT = 'exemplar-exhibit/1';
export const BUNDLE_PATHS = { manifest: 'manifest.json', custodyLog: 'custody-log.json', record: 'exhibit.json', report: 'report.pdf' } as const;

export type ManifestFileKind = 'original' | 'output' | 'report' | 'custody-log' | 'record';

export interface ManifestFile {
  path: string;
  kind: ManifestFileKind;
  sha256: string;
  bytes: number;
}

export interface ExhibitManifest {
  format: typeof EXHIBIT_FORMAT;
  case: { id: string; reference: string; title: string };
  generatedAt: string;
  softwareVersion: string;
  report: { path: string; sha256: string };
  custodyLog: { path: string; entries: number; head: string | null };
  /** Every file of the bundle except manifest.json, sorted by path (byte order). */
  files: ManifestFile[];
  /**
   * SHA-256 of the lines `<sha256>␠␠<path>\n` of `files` in order — exactly
   * what `sha256sum` prints for them — so the set of entries has one hash a
   * signature or a court record can refer to.
   */
  entriesSha256: string;
}

export interface BuiltExhibit {
  report: Buffer;
  bundle: Buffer;
  manifest: ExhibitManifest;
  reportSha256: string;
  bundleSha256: string;
}

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The manifest's `entriesSha256` for a list of files (sorted by the caller). */
export function manifestEntriesHash(files: readonly Pick<ManifestFile, 'path' | 'sha256'>[]): string {
  return sha256Hex(files.map((f) => `${f.sha256}  ${f.path}\n`).join(''));
}

/** Byte order of UTF-8 paths, independent of locale. */
export function comparePaths(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * Checks the record, reads and verifies every image, renders the report and
 * zips the bundle. Throws VALIDATION_FAILED for a bad record,
 * INTEGRITY_FAILED when an image does not hash to its recorded SHA-256,
 * IMAGE_CORRUPT when one cannot be decoded.
 */
export async function buildExhibit(input: ExhibitInput, loadImage: ExhibitImageLoader): Promise<BuiltExhibit> {
  validateExhibitInput(input);
  const images = await loadExhibitImages(input, loadImage);
  const report = await renderExhibitReport(input, images);
  const { bundle, manifest } = await zipBundle(input, images, report);
  return { report, bundle, manifest, reportSha256: sha256Hex(report), bundleSha256: sha256Hex(bundle) };
}

/** Only the report, for a preview; the same bytes as the bundle's report.pdf. */
export async function buildExhibitReport(input: ExhibitInput, loadImage: ExhibitImageLoader): Promise<Buffer> {
  validateExhibitInput(input);
  return renderExhibitReport(input, await loadExhibitImages(input, loadImage));
}

function prettyJson(value: unknown): Buffer {
  // Parsing canonical JSON fixes the key order (sorted), whatever order the caller built the record in.
  return Buffer.from(JSON.stringify(JSON.parse(canonicalJson(value)), null, 2) + '\n', 'utf8');
}

async function zipBundle(input: ExhibitInput, images: Map<string, LoadedImage>, report: Buffer): Promise<{ bundle: Buffer; manifest: ExhibitManifest }> {
  const contents = new Map<string, { kind: ManifestFileKind; data: Buffer }>();
  contents.set(BUNDLE_PATHS.custodyLog, { kind: 'custody-log', data: prettyJson(input.custodyLog) });
  contents.set(BUNDLE_PATHS.record, { kind: 'record', data: prettyJson(input) });
  for (const img of images.values()) contents.set(img.bundlePath, { kind: img.kind, data: img.bytes });
  contents.set(BUNDLE_PATHS.report, { kind: 'report', data: report });

  const files: ManifestFile[] = [...contents.entries()]
    .map(([path, { kind, data }]) => ({ path, kind, sha256: sha256Hex(data), bytes: data.length }))
    .sort((a, b) => comparePaths(a.path, b.path));
  const chain = verifyAuditChain(input.custodyLog);
  const manifest: ExhibitManifest = {
    format: EXHIBIT_FORMAT,
    case: { id: input.case.id, reference: input.case.reference, title: input.case.title },
    generatedAt: input.generatedAt,
    softwareVersion: input.softwareVersion,
    report: { path: BUNDLE_PATHS.report, sha256: sha256Hex(report) },
    custodyLog: { path: BUNDLE_PATHS.custodyLog, entries: input.custodyLog.length, head: chain.head },
    files,
    entriesSha256: manifestEntriesHash(files),
  };

  const entries: [string, Buffer][] = [[BUNDLE_PATHS.manifest, Buffer.from(JSON.stringify(manifest, null, 2) + '\n', 'utf8')]];
  for (const path of [BUNDLE_PATHS.custodyLog, BUNDLE_PATHS.record]) entries.push([path, contents.get(path)!.data]);
  for (const f of files) if (f.kind === 'original') entries.push([f.path, contents.get(f.path)!.data]);
  for (const f of files) if (f.kind === 'output') entries.push([f.path, contents.get(f.path)!.data]);
  entries.push([BUNDLE_PATHS.report, report]);
  return { bundle: await zip(entries, zipTime(input.generatedAt)), manifest };
}

/**
 * Zip entries carry only a DOS time, which yazl fills from a Date's local
 * fields: a Date whose local fields are the record's UTC fields gives the
 * same bytes in every time zone. (No extended Unix timestamp is written.)
 */
function zipTime(iso: string): Date {
  const t = new Date(iso);
  const year = Math.min(Math.max(t.getUTCFullYear(), 1980), 2107);
  return new Date(year, t.getUTCMonth(), t.getUTCDate(), t.getUTCHours(), t.getUTCMinutes(), t.getUTCSeconds());
}

async function zip(entries: [string, Buffer][], mtime: Date): Promise<Buffer> {
  const zipFile = new ZipFile();
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    zipFile.outputStream.on('data', (c: Buffer) => chunks.push(c));
    zipFile.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    zipFile.outputStream.on('error', reject);
  });
  for (const [path, data] of entries) {
    // Images are already compressed; deflating them again only costs time.
    const compress = !/\.(jpg|png|webp|jp2|heif|gif)$/.test(path);
    zipFile.addBuffer(data, path, { mtime, mode: 0o100644, compress, forceDosTimestamp: true });
  }
  zipFile.end();
  return done;
}
