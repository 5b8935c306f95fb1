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
export const featureTypeLabel = (id: string) => getFeatureType(id)?.label ?? id;
export const issuingStateLabel = (code: string) => {
  const entry = getIssuingState(code);
  return entry ? `${entry.label} (${code})` : code;
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
