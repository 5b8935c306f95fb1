/**
 * Human labels for the controlled vocabularies, read from specimens-schema
 * (the schema files are the single source of truth for values and labels).
 */
import {
  capturePages,
  classifications,
  documentCategories,
  featureTypes,
  forgeryMethods,
  getFeatureType,
  getIssuingState,
  getLightSource,
  issuingStates,
  lightSources,
  specimenStatuses,
  type VocabularyEntry,
} from '@exemplar/specimens-schema';

function labeller(list: readonly VocabularyEntry<string>[]): (id: string) => string {
  const byId = new Map(list.map((e) => [e.id, e.label]));
  return (id) => byId.get(id) ?? id;
}

export const statusLabel = labeller(specimenStatuses);
export const categoryLabel = labeller(documentCategories);
export const forgeryMethodLabel = labeller(forgeryMethods);
export const classificationLabel = labeller(classifications);
export const lightLabel = (id: string) => getLightSource(id)?.label ?? id;

const GEOMETRY_SHORT: Record<string, string> = { oblique: ' obl.', transmitted: ' tr.', coaxial: '' };
/** A few characters for overlays: "W", "UV365", "IR870", "IR tr.", "Coax", "OVD". */
export function lightShortLabel(id: string): string {
  const l = getLightSource(id);
  if (!l) return id;
  if (l.mode === 'ovd') return 'OVD';
  if (l.mode === 'anti-stokes') return 'A-S';
  if (l.geometry === 'coaxial') return 'Coax';
  const base = l.band === 'visible' ? 'W' : `${l.band.toUpperCase()}${l.wavelengthNm ?? ''}`;
  const suffix = l.mode === 'luminescence' && l.band === 'ir' ? ' lum.' : (GEOMETRY_SHORT[l.geometry] ?? '');
  return base + suffix;
}
export const featureTypeLabel = (id: string) => getFeatureType(id)?.label ?? id;
export const issuingStateLabel = (code: string) => {
  const entry = getIssuingState(code);
  return entry ? `${entry.label} (${code})` : code;
};
/** "Utopia (UTO)": the name without its explanatory parenthesis, for lists and cards. */
export const issuingStateShortLabel = (code: string) => {
  const entry = getIssuingState(code);
  if (!entry) return code;
  const name = entry.label.replace(/\s*\(.*\)\s*$/, '');
  return name === code ? code : `${name} (${code})`;
};
export const pageLabel = (page: string) => {
  const fixed = capturePages.find((p) => p.id === page);
  if (fixed) return fixed.label;
  const n = /^page-(\d+)$/.exec(page)?.[1];
  return n ? `Page ${n}` : page;
};

/** Light sources in vocabulary order, so switchers and slots always list them the same way. */
const lightOrder = new Map(lightSources.map((l, i) => [l.id as string, i]));
export function byLightOrder(a: string, b: string): number {
  return (lightOrder.get(a) ?? 999) - (lightOrder.get(b) ?? 999);
}

export { classifications, documentCategories, featureTypes, forgeryMethods, issuingStates, lightSources, specimenStatuses };
