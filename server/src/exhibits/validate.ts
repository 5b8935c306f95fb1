/**
 * Checks an `ExhibitInput` before any image is read, so that a bad record
 * fails with one VALIDATION_FAILED listing every problem instead of a
 * half-rendered report.
 */
import { getCaseProposition, getSchema } from '@exemplar/specimens-schema';
import { ExemplarError } from '../errors';
import { canonicalJson, verifyAuditChain } from './chain';
import { OPINION_SCALE, type ExhibitImageRef, type ExhibitInput } from './types';

const SHA256_HEX = /^[0-9a-f]{64}$/;
/** The registration outcomes the comparison schema allows (read from it: the schema is the one list). */
const REGISTRATION_OUTCOMES: readonly string[] = (() => {
  const defs = getSchema('comparison')['definitions'] as { lightResult?: { properties?: { registration?: { properties?: { outcome?: { enum?: unknown } } } } } } | undefined;
  const values = defs?.lightResult?.properties?.registration?.properties?.outcome?.enum;
  if (!Array.isArray(values)) throw new Error('comparison schema: lightResult.registration.outcome has no enum');
  return Object.freeze(values.map(String));
})();
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;

export function validateExhibitInput(input: ExhibitInput): void {
  const problems: string[] = [];
  const need = (ok: boolean, message: string) => {
    if (!ok) problems.push(message);
  };
  const nonEmpty = (v: unknown, at: string) => need(typeof v === 'string' && v.trim() !== '', `${at} must be a non-empty string`);
  const time = (v: unknown, at: string) => need(typeof v === 'string' && ISO_UTC.test(v) && !Number.isNaN(Date.parse(v)), `${at} must be an ISO 8601 UTC time (…Z)`);
  const image = (ref: ExhibitImageRef | undefined, at: string) => {
    if (!ref || typeof ref !== 'object') return problems.push(`${at} is missing`);
    nonEmpty(ref.key, `${at}.key`);
    need(typeof ref.sha256 === 'string' && SHA256_HEX.test(ref.sha256), `${at}.sha256 must be 64 lowercase hex digits`);
  };
  const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
  const numbers = (v: unknown, n: number, at: string, what: string) => need(Array.isArray(v) && v.length === n && v.every(finite), `${at} must be ${what}`);
  const homography = (v: unknown, at: string) => numbers(v, 9, at, '9 finite numbers (row-major 3×3, reference → questioned pixels)');
  const size = (v: unknown, at: string) => need(Array.isArray(v) && v.length === 2 && v.every((x) => Number.isInteger(x) && (x as number) > 0), `${at} must be [width, height] in pixels`);
  const unique = (ids: string[], at: string) => {
    const seen = new Set<string>();
    for (const id of ids) {
      need(!seen.has(id), `${at}: duplicate id ${id}`);
      seen.add(id);
    }
  };

  const c = input.case;
  nonEmpty(c?.id, 'case.id');
  nonEmpty(c?.title, 'case.title');
  nonEmpty(c?.reference, 'case.reference');
  need(Array.isArray(c?.examiners) && c.examiners.length > 0, 'case.examiners must name at least one examiner');
  need((OPINION_SCALE as readonly string[]).includes(c?.conclusion?.opinion), `case.conclusion.opinion must be one of ${OPINION_SCALE.join(', ')}`);
  if (c?.conclusion) {
    time(c.conclusion.concludedAt, 'case.conclusion.concludedAt');
    const proposition: unknown = c.conclusion.proposition;
    need(proposition === undefined || (typeof proposition === 'string' && getCaseProposition(proposition) !== undefined), 'case.conclusion.proposition must be one of the case propositions, or absent (not recorded)');
    need(c.examiners?.some((e) => e.id === c.conclusion.concludedBy) ?? false, 'case.conclusion.concludedBy must be one of case.examiners');
  }
  (c?.notes ?? []).forEach((n, i) => time(n.time, `case.notes[${i}].time`));
  time(input.generatedAt, 'generatedAt');
  nonEmpty(input.softwareVersion, 'softwareVersion');

  unique(input.questioned.map((q) => q.id), 'questioned');
  unique(input.references.map((r) => r.id), 'references');
  unique(input.comparisons.map((x) => x.id), 'comparisons');
  input.questioned.forEach((q, i) => q.images.forEach((img, j) => image(img, `questioned[${i}].images[${j}]`)));
  input.references.forEach((r, i) => r.images.forEach((img, j) => image(img, `references[${i}].images[${j}]`)));
  const submissions = new Set(input.questioned.map((q) => q.id));
  const specimens = new Set(input.references.map((r) => r.id));
  input.comparisons.forEach((x, i) => {
    const at = `comparisons[${i}]`;
    need(submissions.has(x.submissionId), `${at}.submissionId ${x.submissionId} is not among questioned`);
    need(specimens.has(x.specimenId), `${at}.specimenId ${x.specimenId} is not among references`);
    time(x.finishedAt, `${at}.finishedAt`);
    unique(x.lights.map((l) => l.lightSource), `${at}.lights`);
    nonEmpty(x.anchorLight, `${at}.anchorLight`);
    const al = x.alignment;
    if (!al || typeof al !== 'object') problems.push(`${at}.alignment is missing`);
    else {
      homography(al.homography, `${at}.alignment.homography`);
      need(Number.isInteger(al.inliers) && al.inliers >= 0, `${at}.alignment.inliers must be a count`);
      need(finite(al.rmse) && al.rmse >= 0, `${at}.alignment.rmse must be a non-negative number`);
      need(al.method === null || typeof al.method === 'string', `${at}.alignment.method must be a string or null`);
      need(typeof al.message === 'string', `${at}.alignment.message must be a string`);
      // Recorded since the share of the reference shown was stored as a number; absent in older results.
      if (al.refinementPoints !== undefined) need(Number.isInteger(al.refinementPoints) && al.refinementPoints >= al.inliers, `${at}.alignment.refinementPoints must be a count of at least inliers`);
      if (al.referenceShown !== undefined) need(finite(al.referenceShown) && al.referenceShown > 0 && al.referenceShown <= 1, `${at}.alignment.referenceShown must be a share in (0, 1]`);
    }
    if (x.identification !== undefined) {
      const id = x.identification;
      need(['identification', 'alignment', 'submitter'].includes(id?.referenceChosenBy), `${at}.identification.referenceChosenBy must be identification, alignment or submitter`);
      need(Number.isInteger(id?.searched) && id.searched >= 0, `${at}.identification.searched must be a count`);
      need(id?.withheld === undefined || (Number.isInteger(id.withheld) && id.withheld > 0), `${at}.identification.withheld must be a positive count when present`);
      need(
        Array.isArray(id?.candidates) &&
          id.candidates.every((c) => typeof c?.specimenId === 'string' && typeof c.title === 'string' && typeof c.status === 'string' && typeof c.verified === 'boolean' && Number.isInteger(c.inliers) && c.inliers >= 0),
        `${at}.identification.candidates must list each candidate's specimen, title, status, verification and inliers`,
      );
    }
    x.lights.forEach((l, j) => {
      for (const name of ['questioned', 'reference', 'aligned', 'heatmap'] as const) image(l[name], `${at}.lights[${j}].${name}`);
      const lat = `${at}.lights[${j}]`;
      homography(l.homography, `${lat}.homography`);
      size(l.referenceSize, `${lat}.referenceSize`);
      size(l.questionedSize, `${lat}.questionedSize`);
      const reg = l.registration;
      need(!!reg && REGISTRATION_OUTCOMES.includes(reg.outcome), `${lat}.registration.outcome must be one of ${REGISTRATION_OUTCOMES.join(', ')}`);
      nonEmpty(reg?.anchorLight, `${lat}.registration.anchorLight`);
      numbers(reg?.shift, 2, `${lat}.registration.shift`, 'two finite numbers (reference pixels)');
      need(
        !!reg?.correlation && [reg.correlation.anchor, reg.correlation.best].every((c) => c === null || finite(c)),
        `${lat}.registration.correlation must give anchor and best (numbers, or null)`,
      );
      const share = (v: unknown) => finite(v) && v >= 0 && v <= 1;
      // Both recorded since the difference stage reports glare; absent in older results.
      if (l.overexposedShare !== undefined) need(share(l.overexposedShare), `${lat}.overexposedShare must be a share in [0, 1]`);
      (Array.isArray(l.regions) ? l.regions : []).forEach((g, k) => {
        if (g?.overexposed !== undefined) need(share(g.overexposed), `${lat}.regions[${k}].overexposed must be a share in [0, 1]`);
      });
      // Listed apart since difference stage 1.5.0; absent in older results (not recorded).
      if (l.blownOutRegions !== undefined) need(Array.isArray(l.blownOutRegions), `${lat}.blownOutRegions must be an array`);
      (Array.isArray(l.blownOutRegions) ? l.blownOutRegions : []).forEach((g, k) => {
        const b = g?.box;
        need(
          !!b && [b.x, b.y, b.width, b.height].every(finite) && b.width >= 0 && b.height >= 0,
          `${lat}.blownOutRegions[${k}].box must have finite x, y and non-negative width, height`,
        );
        need(g?.overexposed === undefined || share(g.overexposed), `${lat}.blownOutRegions[${k}].overexposed must be a share in [0, 1]`);
      });
      if (l.findings !== undefined && !Array.isArray(l.findings)) problems.push(`${at}.lights[${j}].findings must be an array`);
      (Array.isArray(l.findings) ? l.findings : []).forEach((f, k) => {
        const fat = `${at}.lights[${j}].findings[${k}]`;
        nonEmpty(f?.kind, `${fat}.kind`);
        const b = f?.box;
        need(!!b && [b.x, b.y, b.width, b.height].every((v) => typeof v === 'number' && Number.isFinite(v)) && b.width >= 0 && b.height >= 0, `${fat}.box must have finite x, y and non-negative width, height`);
        need(f?.fields === undefined || (Array.isArray(f.fields) && f.fields.every((n) => typeof n === 'string')), `${fat}.fields must be a list of names`);
        need(
          f?.checks === undefined ||
            (Array.isArray(f.checks) &&
              f.checks.every((c) => typeof c?.field === 'string' && typeof c.data === 'string' && typeof c.printed === 'string' && (c.expected === null || (Number.isInteger(c.expected) && c.expected >= 0 && c.expected <= 9)))),
          `${fat}.checks must list each check digit's field, data, digit printed and expected digit (0–9, or null)`,
        );
      });
    });
    try {
      canonicalJson(x.parameters);
    } catch (err) {
      problems.push(`${at}.parameters: ${err instanceof Error ? err.message : String(err)}`);
    }
  });

  // A custody log that does not verify now would make every bundle built from it fail verification.
  const chain = verifyAuditChain(input.custodyLog);
  for (const p of chain.problems) problems.push(`custodyLog: ${p.message}`);

  if (problems.length) {
    throw new ExemplarError('VALIDATION_FAILED', `exhibit record is invalid: ${problems[0]}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`, { problems });
  }
}
