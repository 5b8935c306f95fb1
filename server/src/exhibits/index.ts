/**
 * Court exhibits (issue 5): a deterministic PDF report and a zip bundle built
 * from a case record, and the offline verification of such a bundle.
 *
 * This module knows nothing of stores, routes or users: the caller (the
 * cases service) assembles an `ExhibitInput` from the case, its comparisons
 * and its slice of the audit log, and passes a loader that reads object-store
 * keys. Everything the output depends on is in the input, so the same record
 * gives the same bytes — years later too, with the same software versions.
 *
 * Building
 *   buildExhibit(input: ExhibitInput, loadImage: (key: string) => Promise<Buffer>): Promise<BuiltExhibit>
 *     → { report: Buffer (PDF), bundle: Buffer (zip), manifest: ExhibitManifest, reportSha256, bundleSha256 }
 *     Throws ExemplarError:
 *       VALIDATION_FAILED  the record is malformed (details.problems lists every problem),
 *                          including a custody log whose chain does not verify;
 *       INTEGRITY_FAILED   an image's bytes do not hash to the recorded sha256
 *                          (details: key, role, expectedSha256, actualSha256);
 *       IMAGE_CORRUPT      an image cannot be decoded;
 *       loader errors (e.g. OBJECT_NOT_FOUND) pass through unchanged.
 *   buildExhibitReport(input, loadImage): Promise<Buffer>   the PDF alone (same bytes as in the bundle).
 *   `generatedAt` must come from the record (e.g. the conclusion's time): it
 *   sets the PDF dates and ID and the zip entry times.
 *
 * Verifying
 *   verifyBundle(pathOrBytes: string | Buffer): Promise<BundleVerification>
 *     → { ok, checks: [{check, ok, title}], problems: [{check, message, path?, seq?}], files, entriesSha256,
 *         reportSha256, custodyLog: {entries, head, gaps}, case, generatedAt, format }
 *     Never throws for a damaged bundle (that is a result with ok: false);
 *     throws NOT_FOUND only when the path does not exist.
 *   formatBundleVerification(result): string   the readable report the CLI prints.
 *
 * Audit chain (shared with the audit log — import these, do not re-implement)
 *   auditEntryHash(entry, prevHash): string   sha256(canonicalJson(entry without hash/prevHash) + prevHash)
 *   chainAuditEntry(content, prev | null): AuditEntry   sets prevHash (AUDIT_GENESIS_HASH first) and hash
 *   verifyAuditChain(entries, { complete? }): ChainVerification   firstBad names the first bad entry;
 *     `complete: true` for the whole log (starts at genesis, no seq gaps),
 *     omitted for a case's custody slice (gaps allowed, links checked where seqs are consecutive).
 *   canonicalJson(value): string   sorted keys, no white space, refuses non-JSON values (Dates included).
 *
 * Vocabulary
 *   OPINION_SCALE (const array, ASTM E1658 order), Opinion, OPINION_LABELS, parseOpinion('inconclusive' → 'no-conclusion').
 */
export {
  AUDIT_GENESIS_HASH,
  auditEntryContent,
  auditEntryHash,
  canonicalJson,
  chainAuditEntry,
  verifyAuditChain,
  type AuditEntry,
  type AuditEntryContent,
  type ChainProblem,
  type ChainProblemKind,
  type ChainVerification,
  type JsonValue,
} from './chain';
export {
  BUNDLE_PATHS,
  EXHIBIT_FORMAT,
  buildExhibit,
  buildExhibitReport,
  manifestEntriesHash,
  sha256Hex,
  type BuiltExhibit,
  type ExhibitManifest,
  type ManifestFile,
  type ManifestFileKind,
} from './bundle';
export { formatBundleVerification } from './format';
export { BUNDLE_CHECKS, BUNDLE_CHECK_TITLES, verifyBundle, type BundleCheck, type BundleProblem, type BundleVerification } from './verify-bundle';
export { validateExhibitInput } from './validate';
export {
  OPINION_LABELS,
  OPINION_SCALE,
  parseOpinion,
  type ExhibitAlignment,
  type ExhibitCase,
  type ExhibitComparison,
  type ExhibitComparisonLight,
  type ExhibitConclusion,
  type ExhibitFinding,
  type ExhibitImageLoader,
  type ExhibitImageRef,
  type ExhibitInput,
  type ExhibitLightImage,
  type ExhibitNote,
  type ExhibitPerson,
  type ExhibitReferenceSpecimen,
  type ExhibitRegion,
  type ExhibitRegistration,
  type ExhibitSubmission,
  type ExhibitZoneVerdict,
  type Opinion,
} from './types';
