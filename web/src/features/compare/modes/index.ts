/** The registered comparison modes, in the order of their buttons. A new mode: one file beside these, one line here. */
import { flickerMode } from './flicker';
import { heatmapMode } from './heatmap';
import type { CompareMode } from './mode';
import { overlayMode } from './overlay';
import { sideBySideMode } from './side-by-side';
import { swipeMode } from './swipe';

export const compareModes: readonly CompareMode[] = [sideBySideMode, overlayMode, swipeMode, flickerMode, heatmapMode];

export function modeById(id: string): CompareMode {
  return compareModes.find((m) => m.id === id) ?? compareModes[0]!;
}

export type { CompareMode, ModeControlsProps, ModeViewProps } from './mode';
