/**
 * Synthetic multi-spectrum documents of the fictional state of Utopia (ICAO
 * test code UTO): the demo library, lower-level rendering for tests, an ICAO
 * MRZ module and a perspective photo simulator.
 */
export { buildDemoLibrary, demoLibraryPlan, iterateDemoLibrary, renderDemoSpecimen, toCaptureCreate, DEMO_CAPTURED_AT, DEMO_DEVICE } from './library';
export type { DemoAlteredRegion, DemoCapture, DemoLibraryOptions, DemoSpecimen, DemoSpecimenPlan, DemoSpecimenRecord } from './library';
export { renderDocument, renderScene, sceneSvg } from './render';
export type { RenderedDocument, RenderOptions, SynthImageFormat } from './render';
export { composeScene, formatMrz, FONTS } from './compose';
export type { DocumentVariant } from './compose';
export {
  UTOPIA_ID_CARD_2021_BACK,
  UTOPIA_ID_CARD_2021_FRONT,
  UTOPIA_PASSPORT_2019,
  UTOPIA_RESIDENCE_PERMIT_2020_BACK,
  UTOPIA_RESIDENCE_PERMIT_2020_FRONT,
  designSizePx,
  pxPerMm,
} from './designs';
export type { DesignPage, DocumentDesign, FieldKey, FieldSpec, MrzFormat, RosetteSpec } from './designs';
export { HOLDERS, formatVizDate } from './holders';
export type { Holder } from './holders';
export { SYNTH_LIGHTS } from './light';
export type { SynthLight } from './light';
export type { AlteredRegion, Scene, SynthFeatureType, SynthFeatureZone } from './scene';
export { formatTd1Mrz, formatTd3Mrz, mrzCheckDigit, toMrzDate, toMrzName } from './mrz';
export type { MrzData, MrzSex } from './mrz';
export { addGlare } from './glare';
export type { Glare } from './glare';
export { planPhoto, simulatePhoto } from './photo';
export type { BackgroundKind, PhotoPlan, SimulatedPhoto, SimulatePhotoOptions } from './photo';
// applyHomography / invertHomography come from ops/geometry at the package root (same convention).
export { homographyFromPoints, pointInPolygon } from './geometry';
export type { Polygon } from './geometry';
