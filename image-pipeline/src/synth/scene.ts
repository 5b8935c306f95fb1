/** What the composer hands to the renderer: size, paper, layers, zones and the ground truth of a fraud. */
import type { FeatureType, FeatureZone } from '@exemplar/specimens-schema';
import type { Polygon } from './geometry';
import type { Layer, SynthLight } from './light';

/** Zone types the generator emits (ids of the feature-type vocabulary). */
export type SynthFeatureType = FeatureType;

/** A feature zone as specimens-schema defines it; the generator always fills label and expected appearance. */
export type SynthFeatureZone = FeatureZone & { label: string; expectedAppearance: string; lightSources: SynthLight[] };

/** Where a fraud differs from the genuine it imitates, per light source. */
export interface AlteredRegion {
  lightSource: SynthLight;
  polygon: Polygon;
  /** What was changed there. */
  label: string;
}

export interface Scene {
  width: number;
  height: number;
  /** Rounded card corners, px (0 for a passport page). */
  cornerRadius: number;
  paper: Record<SynthLight, string>;
  /** Layers that depend only on the design (and a counterfeit's changes to it): rendered once and cached. */
  background: Layer[];
  /** Holder-specific layers and alterations, drawn over the background. */
  overlay: Layer[];
  /** Identifies the background: equal keys render equal backgrounds. */
  backgroundKey: string;
  zones: SynthFeatureZone[];
  altered: AlteredRegion[];
  /** The MRZ as printed (after any alteration), one string per line. */
  mrz: string[];
}
