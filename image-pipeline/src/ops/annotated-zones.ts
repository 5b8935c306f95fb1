/**
 * Personalised comparison zones from MIDV-2020 field annotations (one JSON
 * object per holder: field id → quad in template pixels). Shared by the
 * comparison tests and the documents bench so that both mark the same zones.
 */
import type { ComparisonZone } from './zone-verdicts';

export type FieldQuads = Record<string, { quad: [number, number][] }>;

const FIELD_TYPES: Record<string, ComparisonZone['type']> = {
  photo: 'photo',
  face: 'photo',
  signature: 'signature',
  name: 'name',
  surname: 'name',
  birth_date: 'date-of-birth',
  birth_place: 'place-of-birth',
  issue_date: 'date-of-issue',
  expiry_date: 'date-of-expiry',
  gender: 'sex',
  id_number: 'personal-number',
  number: 'document-number',
  nationality: 'nationality',
  authority: 'issuing-authority',
};

/**
 * Every annotated field of every holder as a personalised zone under white
 * light. A field's zone must cover its longest value, so callers pass the
 * annotations of all holders of a template (a tight quad round "Agani" would
 * leave the end of "Ahmetaj" outside); ids carry the holder's index.
 */
export function personalisedZonesFromAnnotations(holders: readonly FieldQuads[]): ComparisonZone[] {
  return holders.flatMap((fields, k) =>
    Object.entries(fields).map(([id, f]) => ({ id: `${id}-${k}`, type: FIELD_TYPES[id] ?? 'other-personal-data', polygon: f.quad, personalised: true, lightSources: ['white' as const] })),
  );
}
