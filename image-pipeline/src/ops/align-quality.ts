/**
 * Plausibility of a homography between a reference document image and a
 * questioned capture of it. The limits are deliberately loose: they refuse
 * only warps that no camera or scanner produces from a flat document
 * (mirror images, horizons crossing the document, extreme shear or zoom).
 */
import { applyHomography, homographyDenominator, homographyJacobian, imageCorners, isConvexPolygon, polygonArea } from './geometry';
import type { Homography, Point } from './geometry';

export interface WarpLimits {
  /** Bounds on the local scale (questioned px per reference px, geometric mean of both axes). */
  minScale: number;
  maxScale: number;
  /** Largest ratio of the two singular values of the local linear map (shear/foreshortening). */
  maxAnisotropy: number;
  /** Largest ratio between the local scales at two reference corners (strength of perspective). */
  maxScaleSpread: number;
}

export const DEFAULT_WARP_LIMITS: WarpLimits = {
  minScale: 1 / 16,
  maxScale: 16,
  maxAnisotropy: 8,
  maxScaleSpread: 8,
};

export interface WarpMetrics {
  scale: number;
  anisotropy: number;
  scaleSpread: number;
  /** Smallest over largest homogeneous denominator at the corners (0 or less: the horizon crosses the reference). */
  denominatorRatio: number;
}

function singularValues(j: readonly [number, number, number, number]): [number, number] {
  const [a, b, c, d] = j;
  const s1 = a * a + b * b + c * c + d * d;
  const det = a * d - b * c;
  const disc = Math.sqrt(Math.max(0, s1 * s1 - 4 * det * det));
  return [Math.sqrt((s1 + disc) / 2), Math.sqrt(Math.max(0, (s1 - disc) / 2))];
}

export function warpMetrics(h: Homography, width: number, height: number): WarpMetrics {
  const corners = imageCorners(width, height);
  const dens = corners.map(([x, y]) => homographyDenominator(h, x, y));
  const maxDen = Math.max(...dens.map(Math.abs));
  const denominatorRatio = Math.min(...dens) / (maxDen || 1) * Math.sign(homographyDenominator(h, (width - 1) / 2, (height - 1) / 2));
  const scales: number[] = [];
  let anisotropy = 1;
  for (const [x, y] of [...corners, [(width - 1) / 2, (height - 1) / 2] as Point]) {
    const [s1, s2] = singularValues(homographyJacobian(h, x, y));
    scales.push(Math.sqrt(s1 * s2));
    anisotropy = Math.max(anisotropy, s2 > 0 ? s1 / s2 : Number.POSITIVE_INFINITY);
  }
  const scale = scales[4]!;
  const scaleSpread = Math.max(...scales) / Math.max(1e-12, Math.min(...scales));
  return { scale, anisotropy, scaleSpread, denominatorRatio };
}

/** Why the warp is implausible, or null when it is acceptable. */
export function implausibleWarp(h: Homography, width: number, height: number, limits: WarpLimits = DEFAULT_WARP_LIMITS): string | null {
  const m = warpMetrics(h, width, height);
  if (!(m.denominatorRatio > 0.05)) return 'the horizon of the warp crosses or nearly touches the reference image';
  const mapped = imageCorners(width, height).map(([x, y]) => applyHomography(h, x, y));
  if (!isConvexPolygon(mapped)) return 'the reference corners do not map to a convex quadrilateral';
  if (!(polygonArea(mapped) > 0)) return 'the warp mirrors the image (orientation flip)';
  if (!(m.scale >= limits.minScale && m.scale <= limits.maxScale)) return `implausible scale ${m.scale.toFixed(3)}`;
  if (!(m.anisotropy <= limits.maxAnisotropy)) return `implausible shear/foreshortening (singular value ratio ${m.anisotropy.toFixed(2)})`;
  if (!(m.scaleSpread <= limits.maxScaleSpread)) return `implausible perspective (local scale varies ${m.scaleSpread.toFixed(2)}× across the image)`;
  return null;
}
