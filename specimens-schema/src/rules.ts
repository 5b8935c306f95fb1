/**
 * Rules on specimens that JSON Schema cannot state (comparisons between
 * fields, uniqueness of a field across array items). They complement, never
 * repeat, the schema: run them on data that already passed `validate`.
 */
import type { Specimen, SpecimenCreate, SpecimenPatch } from './generated/types';
import { validate, type ValidationIssue, type ValidationResult } from './validation';

/**
 * Semantic checks of a specimen (full record or create body):
 * - `issued.from` <= `issued.to`;
 * - `imitates` is not the specimen itself;
 * - `updatedAt` is not before `createdAt`;
 * - capture ids are unique, zone ids are unique within the specimen;
 * - a capture has at most one image per light source;
 * - zone vertices lie inside the capture's images (when it has images).
 * Returns the issues found; empty when the record is consistent.
 */
export function checkSpecimenRules(record: Specimen | SpecimenCreate): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const issue = (path: string, message: string, keyword: string) => issues.push({ path, message, keyword });

  const { issued } = record;
  if (issued?.from !== undefined && issued.to !== undefined && issued.from > issued.to) {
    issue('/issued/to', 'must not be earlier than the year of first issue', 'issuedRange');
  }
  if ('id' in record && record.imitates !== undefined && record.imitates === record.id) {
    issue('/imitates', 'must not be the specimen itself', 'imitatesSelf');
  }
  if ('createdAt' in record && Date.parse(record.updatedAt) < Date.parse(record.createdAt)) {
    issue('/updatedAt', 'must not be earlier than createdAt', 'timestampOrder');
  }

  const captures = 'captures' in record ? record.captures : [];
  const captureIds = new Set<string>();
  const zoneIds = new Set<string>();
  captures.forEach((capture, c) => {
    const at = `/captures/${c}`;
    if (captureIds.has(capture.id)) issue(`${at}/id`, 'duplicates the id of another capture', 'uniqueId');
    captureIds.add(capture.id);

    const lights = new Set<string>();
    capture.images.forEach((image, i) => {
      if (lights.has(image.lightSource)) issue(`${at}/images/${i}/lightSource`, 'a capture has at most one image per light source', 'uniqueLightSource');
      lights.add(image.lightSource);
    });

    // Images of one capture share a frame, but a device may crop one slightly: accept the largest.
    const width = Math.max(0, ...capture.images.map((im) => im.width));
    const height = Math.max(0, ...capture.images.map((im) => im.height));
    capture.zones.forEach((zone, z) => {
      if (zoneIds.has(zone.id)) issue(`${at}/zones/${z}/id`, 'duplicates the id of another zone', 'uniqueId');
      zoneIds.add(zone.id);
      if (capture.images.length === 0) return;
      const outside = zone.polygon.findIndex(([x, y]) => x > width || y > height);
      if (outside !== -1) issue(`${at}/zones/${z}/polygon/${outside}`, `lies outside the images (${width}×${height} px)`, 'zoneBounds');
    });
  });
  return issues;
}

function validateWithRules<N extends 'specimen' | 'specimen-create'>(name: N, data: unknown) {
  const result = validate(name, data);
  if (!result.ok) return result;
  const errors = checkSpecimenRules(result.value);
  return errors.length ? ({ ok: false, errors } as const) : result;
}

/** Schema and semantic rules for a full specimen record. */
export function validateSpecimen(data: unknown): ValidationResult<Specimen> {
  return validateWithRules('specimen', data);
}

/** Schema and semantic rules for a create body. */
export function validateSpecimenCreate(data: unknown): ValidationResult<SpecimenCreate> {
  return validateWithRules('specimen-create', data);
}

/**
 * Applies a patch to a specimen: a present field replaces the stored one,
 * `null` removes an optional field, `revision` is not copied (the store bumps
 * it). The result is a new object; validate it with `validateSpecimen`, since
 * a patch on its own cannot show e.g. that status left "forgery" while
 * forgeryMethods stayed.
 */
export function mergeSpecimenPatch(current: Specimen, patch: SpecimenPatch): Specimen {
  const merged: Record<string, unknown> = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    if (key === 'revision' || value === undefined) continue;
    if (value === null) delete merged[key];
    else merged[key] = value;
  }
  return merged as unknown as Specimen;
}
