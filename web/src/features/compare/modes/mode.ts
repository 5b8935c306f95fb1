/**
 * A comparison mode is data: an id, a label, a hotkey, the view it renders
 * and (optionally) its own controls and adjustments. The viewer knows
 * nothing about any particular mode; adding one is adding a file here and
 * listing it in `index.ts`.
 */
import type { ComponentType, ReactNode } from 'react';
import type { CompareCommand, CompareStore, CompareViewState } from '../store';
import type { ComparisonLight, ComparisonSide } from '../types';

export interface ModeViewProps {
  light: ComparisonLight;
  store: CompareStore;
  /** Flagged regions (and the selected one) as SVG in reference pixels; every viewer of the mode draws it. */
  overlay: ReactNode;
  reference: ComparisonSide;
  questioned: ComparisonSide;
}

export interface ModeControlsProps {
  store: CompareStore;
  /** The light shown (its legend may depend on what its result recorded). */
  light: ComparisonLight;
}

export interface CompareMode {
  id: string;
  label: string;
  /** One key, shown on the mode's button; never a digit (digits pick light sources). */
  hotkey: string;
  description: string;
  View: ComponentType<ModeViewProps>;
  Controls?: ComponentType<ModeControlsProps>;
  /** What `[` (−1) and `]` (+1) do in this mode, e.g. change the opacity. */
  adjust?: { description: string; command: (state: CompareViewState, direction: -1 | 1) => CompareCommand };
  /** What Space does in this mode. */
  toggle?: { description: string; command: CompareCommand };
}
