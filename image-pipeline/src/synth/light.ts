/**
 * The spectral model of the synthetic documents: every element is printed
 * with an ink whose appearance is given per light source, so that one
 * geometry yields consistent white, UV and IR images.
 */

import type { LightSourceId } from '@exemplar/specimens-schema';

/** Light sources the generator renders (ids of specimens-schema's light-source vocabulary). */
export type SynthLight = Extract<LightSourceId, 'white' | 'uv-365' | 'ir-870'>;
export const SYNTH_LIGHTS: readonly SynthLight[] = ['white', 'uv-365', 'ir-870'];

export interface Ink {
  /** Colour under white light; absent for inks invisible in daylight (UV-only inks). */
  white?: string;
  /** Fluorescence colour under UV 365 nm; absent for UV-dull inks, which do not show on UV-dull paper. */
  uv?: string;
  /** Absorbance at 870 nm, 0 (IR-transparent, vanishes) to 1 (carbon black). */
  ir?: number;
}

/** Paper reflectance in IR; absorbing inks darken it in proportion to their absorbance. */
export const PAPER_IR = 212;

type Rgb = [number, number, number];

export function parseColour(hex: string): Rgb {
  const m = /^#([0-9a-f]{6})$/i.exec(hex);
  if (!m) throw new RangeError(`colour must be #rrggbb: ${hex}`);
  const v = parseInt(m[1]!, 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

export function toHex([r, g, b]: Rgb): string {
  const c = (v: number) => Math.max(0, Math.min(255, Math.round(v))).toString(16).padStart(2, '0');
  return `#${c(r)}${c(g)}${c(b)}`;
}

/** Linear blend: t = 0 gives a, t = 1 gives b. */
export function mixColour(a: string, b: string, t: number): string {
  const x = parseColour(a);
  const y = parseColour(b);
  return toHex([x[0] + (y[0] - x[0]) * t, x[1] + (y[1] - x[1]) * t, x[2] + (y[2] - x[2]) * t]);
}

/** Relative luminance in [0, 1] (Rec. 709 weights on gamma-encoded values; close enough for ink mapping). */
export function luminance(hex: string): number {
  const [r, g, b] = parseColour(hex);
  return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
}

export function greyHex(level: number): string {
  return toHex([level, level, level]);
}

/** IR appearance of an ink with the given absorbance. */
export function irGrey(absorbance: number): string {
  return greyHex(PAPER_IR * (1 - Math.max(0, Math.min(1, absorbance))));
}

/** Colour of `ink` under `light`, or null when it cannot be seen there. */
export function inkColour(ink: Ink, light: SynthLight): string | null {
  switch (light) {
    case 'white':
      return ink.white ?? null;
    case 'uv-365':
      return ink.uv ?? null;
    case 'ir-870':
      return ink.ir !== undefined && ink.ir > 0 ? irGrey(ink.ir) : null;
  }
}

/**
 * Colour printing with a carbon-bearing black (inkjet or laser personalisation):
 * under IR only the dark components remain, so shadows and hair stay dark
 * while skin and light backgrounds fade towards the paper.
 */
export function carbonPrintIr(hex: string): string {
  const l = luminance(hex);
  return greyHex(PAPER_IR * Math.pow(l, 0.55));
}

/** A drawable that knows how it looks under each light; returns '' where it does not show. */
export type Layer = (light: SynthLight) => string;
