/**
 * Vocabularies as arrays with their metadata, read from the entries of the
 * vocabulary schema files (title → label, `x-*` annotations → fields), so
 * the UI, the server and validation all share one list.
 */
import type {
  CaseProposition,
  Classification,
  DocumentCategory,
  FeatureGroup,
  FeatureType,
  ForgeryMethod,
  IssuingState,
  IssuingStateKind,
  LightBand,
  LightGeometry,
  LightMode,
  LightSourceId,
  SpecimenStatus,
} from './generated/types';
import {
  capturePageSchema,
  casePropositionSchema,
  classificationSchema,
  documentCategorySchema,
  featureTypeSchema,
  forgeryMethodSchema,
  issuingStateSchema,
  lightSourceSchema,
  specimenStatusSchema,
  type JsonSchema,
} from './schemas';

/** One value of a vocabulary with its human label. */
export interface VocabularyEntry<Id extends string> {
  readonly id: Id;
  readonly label: string;
  readonly description?: string;
}

export interface LightSource extends VocabularyEntry<LightSourceId> {
  readonly band: LightBand;
  /** Peak illumination wavelength when the light is narrow-band; null for broadband light. */
  readonly wavelengthNm: number | null;
  readonly geometry: LightGeometry;
  readonly mode: LightMode;
}

export interface FeatureTypeEntry extends VocabularyEntry<FeatureType> {
  readonly group: FeatureGroup;
  /** Default of FeatureZone.personalised for a zone of this type. */
  readonly personalised: boolean;
}

export interface SpecimenStatusEntry extends VocabularyEntry<SpecimenStatus> {
  /** True when the document is, or is used as, a fraudulent document. */
  readonly isFraud: boolean;
}

export interface ClassificationEntry extends VocabularyEntry<Classification> {
  /** Higher is more restricted; clearance for a rank covers every lower rank. */
  readonly rank: number;
}

export interface IssuingStateEntry extends VocabularyEntry<IssuingState> {
  readonly kind: IssuingStateKind;
}

type Raw = Readonly<Record<string, unknown>>;

/** A vocabulary file validates with its root `enum` (fast for Ajv and for
 * fast-json-stringify, one error per bad value) and documents each value in
 * `definitions.entries.oneOf`; scripts/generate-types.js checks they agree. */
function entriesOf(schema: JsonSchema): Raw[] {
  const defs = schema['definitions'] as { entries?: { oneOf?: unknown } } | undefined;
  const oneOf = defs?.entries?.oneOf;
  if (!Array.isArray(oneOf)) throw new Error(`${schema.$id} is not a vocabulary (no definitions.entries.oneOf)`);
  return oneOf as Raw[];
}

function str(entry: Raw, key: string, schema: JsonSchema): string {
  const v = entry[key];
  if (typeof v !== 'string') throw new Error(`${schema.$id}: entry ${JSON.stringify(entry['const'])} lacks string "${key}"`);
  return v;
}

function base<Id extends string>(entry: Raw, schema: JsonSchema): VocabularyEntry<Id> {
  const out: { id: Id; label: string; description?: string } = {
    id: str(entry, 'const', schema) as Id,
    label: str(entry, 'title', schema),
  };
  if (typeof entry['description'] === 'string') out.description = entry['description'];
  return out;
}

function vocabulary<Id extends string, T extends VocabularyEntry<Id>>(
  schema: JsonSchema,
  extra: (entry: Raw) => Omit<T, keyof VocabularyEntry<Id>>,
): readonly T[] {
  return Object.freeze(
    entriesOf(schema)
      .filter((e) => 'const' in e)
      .map((e) => Object.freeze({ ...base<Id>(e, schema), ...extra(e) }) as T),
  );
}

export const lightSources: readonly LightSource[] = vocabulary<LightSourceId, LightSource>(lightSourceSchema, (e) => ({
  band: str(e, 'x-band', lightSourceSchema) as LightBand,
  wavelengthNm: typeof e['x-wavelength-nm'] === 'number' ? e['x-wavelength-nm'] : null,
  geometry: str(e, 'x-geometry', lightSourceSchema) as LightGeometry,
  mode: str(e, 'x-mode', lightSourceSchema) as LightMode,
}));

export const featureTypes: readonly FeatureTypeEntry[] = vocabulary<FeatureType, FeatureTypeEntry>(featureTypeSchema, (e) => ({
  group: str(e, 'x-group', featureTypeSchema) as FeatureGroup,
  personalised: e['x-personalised'] === true,
}));

export const specimenStatuses: readonly SpecimenStatusEntry[] = vocabulary<SpecimenStatus, SpecimenStatusEntry>(
  specimenStatusSchema,
  (e) => ({ isFraud: e['x-fraud'] === true }),
);

export const forgeryMethods: readonly VocabularyEntry<ForgeryMethod>[] = vocabulary(forgeryMethodSchema, () => ({}));

export const issuingStates: readonly IssuingStateEntry[] = vocabulary<IssuingState, IssuingStateEntry>(issuingStateSchema, (e) => ({
  kind: str(e, 'x-code-kind', issuingStateSchema) as IssuingStateKind,
}));

export const documentCategories: readonly VocabularyEntry<DocumentCategory>[] = vocabulary(documentCategorySchema, () => ({}));

export const classifications: readonly ClassificationEntry[] = vocabulary<Classification, ClassificationEntry>(
  classificationSchema,
  (e) => {
    const rank = e['x-rank'];
    if (typeof rank !== 'number') throw new Error(`${classificationSchema.$id}: entry lacks x-rank`);
    return { rank };
  },
);

export interface CasePropositionEntry extends VocabularyEntry<CaseProposition> {
  /** What the questioned document did if the proposition holds: `was produced by the issuing authority's process (is genuine)`. */
  readonly clause: string;
  /** The same, denied: `was not produced by …`. */
  readonly clauseNot: string;
}

/** The propositions an examiner's opinion on a case answers (see opinion-wording.ts). */
export const casePropositions: readonly CasePropositionEntry[] = vocabulary<CaseProposition, CasePropositionEntry>(casePropositionSchema, (e) => ({
  clause: str(e, 'x-clause', casePropositionSchema),
  clauseNot: str(e, 'x-clause-not', casePropositionSchema),
}));

/** The fixed capture pages (`page-N` pages are open-ended and not listed). */
export const capturePages: readonly VocabularyEntry<string>[] = vocabulary(capturePageSchema, () => ({}));

/** The enums of the annotation vocabularies (bands, geometries, modes, feature groups, code kinds). */
function definitionEnum<T extends string>(schema: JsonSchema, name: string): readonly T[] {
  const defs = schema['definitions'] as Record<string, { enum?: unknown }> | undefined;
  const values = defs?.[name]?.enum;
  if (!Array.isArray(values)) throw new Error(`${schema.$id}: definitions/${name} has no enum`);
  return Object.freeze(values as T[]);
}
export const lightBands = definitionEnum<LightBand>(lightSourceSchema, 'band');
export const lightGeometries = definitionEnum<LightGeometry>(lightSourceSchema, 'geometry');
export const lightModes = definitionEnum<LightMode>(lightSourceSchema, 'mode');
export const featureGroups = definitionEnum<FeatureGroup>(featureTypeSchema, 'group');
export const issuingStateKinds = definitionEnum<IssuingStateKind>(issuingStateSchema, 'codeKind');

function indexById<T extends { id: string }>(list: readonly T[]): ReadonlyMap<T['id'], T> {
  return new Map(list.map((e) => [e.id, e]));
}
const lightSourceById = indexById(lightSources);
const featureTypeById = indexById(featureTypes);
const statusById = indexById(specimenStatuses);
const issuingStateById = indexById(issuingStates);
const classificationById = indexById(classifications);

/** Metadata of a light source; undefined for an unknown id (e.g. an unchecked multipart field name). */
export function getLightSource(id: string): LightSource | undefined {
  return lightSourceById.get(id as LightSourceId);
}
export function isLightSourceId(id: string): id is LightSourceId {
  return lightSourceById.has(id as LightSourceId);
}
export function getFeatureType(id: string): FeatureTypeEntry | undefined {
  return featureTypeById.get(id as FeatureType);
}
export function getIssuingState(code: string): IssuingStateEntry | undefined {
  return issuingStateById.get(code as IssuingState);
}
/** True for statuses of fraudulent documents (counterfeit, forgery, …). */
export function isFraudStatus(status: SpecimenStatus): boolean {
  return statusById.get(status)?.isFraud === true;
}
/** Rank of a classification level (public 0 < restricted < confidential). */
export function classificationRank(level: Classification): number {
  const entry = classificationById.get(level);
  if (!entry) throw new Error(`unknown classification "${level}"`);
  return entry.rank;
}
