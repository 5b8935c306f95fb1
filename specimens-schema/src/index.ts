/**
 * @exemplar/specimens-schema — the JSON Schema files in ../schemas are the
 * single source of truth; the types below are generated from them
 * (scripts/generate-types.js) and everything else is read from them at runtime.
 */
export type * from './generated/types';
export * from './schemas';
export * from './vocabularies';
export * from './validation';
export * from './rules';
export * from './identification';
export * from './alignment';
export * from './overexposure';
export * from './opinion-wording';
