/** Small robust statistics for the MRZ reader's geometry. */

export const median = (xs: readonly number[]): number => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export const quantile = (xs: readonly number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.round(q * (s.length - 1))))]!;
};

/** A polynomial c0 + c1·x + c2·x² (c2 absent for a line). */
export type Poly = readonly number[];

export const evalPoly = (c: Poly, x: number): number => c[0]! + (c[1] ?? 0) * x + (c[2] ?? 0) * x * x;

export const polySlope = (c: Poly, x: number): number => (c[1] ?? 0) + 2 * (c[2] ?? 0) * x;

/**
 * Least squares of y on 1, x (and x²), refitted without the points further
 * than `reject` from the previous fit. x is centred internally so that the
 * normal equations stay well conditioned for pixel coordinates.
 */
export function robustPoly(xs: readonly number[], ys: readonly number[], degree: 1 | 2, reject: number): number[] | null {
  const mx = xs.length ? xs.reduce((s, v) => s + v, 0) / xs.length : 0;
  const solve = (idx: readonly number[]): number[] | null => {
    const k = degree + 1;
    if (idx.length < k + 1) return null;
    const A = Array.from({ length: k }, () => new Array<number>(k + 1).fill(0));
    for (const i of idx) {
      const x = xs[i]! - mx;
      const f = [1, x, x * x].slice(0, k);
      for (let r = 0; r < k; r++) {
        for (let c = 0; c < k; c++) A[r]![c]! += f[r]! * f[c]!;
        A[r]![k]! += f[r]! * ys[i]!;
      }
    }
    for (let c = 0; c < k; c++) {
      let p = c;
      for (let r = c + 1; r < k; r++) if (Math.abs(A[r]![c]!) > Math.abs(A[p]![c]!)) p = r;
      if (Math.abs(A[p]![c]!) < 1e-12) return null;
      [A[c], A[p]] = [A[p]!, A[c]!];
      for (let r = 0; r < k; r++) {
        if (r === c) continue;
        const factor = A[r]![c]! / A[c]![c]!;
        for (let cc = c; cc <= k; cc++) A[r]![cc]! -= factor * A[c]![cc]!;
      }
    }
    const centred = A.map((row, r) => row[k]! / row[r]!);
    // Back to powers of the uncentred x.
    const [a0, a1 = 0, a2 = 0] = centred;
    return degree === 1 ? [a0! - a1 * mx, a1] : [a0! - a1 * mx + a2 * mx * mx, a1 - 2 * a2 * mx, a2];
  };
  let idx = xs.map((_, i) => i);
  let coef = solve(idx);
  for (let iter = 0; iter < 3 && coef; iter++) {
    const c = coef;
    const res = idx.map((i) => Math.abs(ys[i]! - evalPoly(c, xs[i]!)));
    const keep = idx.filter((_, j) => res[j]! <= Math.max(reject, 2.5 * median(res)));
    if (keep.length === idx.length) break;
    const next = solve(keep);
    if (!next) break;
    idx = keep;
    coef = next;
  }
  return coef;
}

/**
 * Robust linear least squares: y ≈ features·coef, refitted without the rows
 * further than max(`reject`, 2.5 × median residual) from the previous fit.
 * Returns null when the system is singular (too few or degenerate rows).
 */
export function robustLinear(features: readonly (readonly number[])[], ys: readonly number[], reject: number): number[] | null {
  const k = features[0]?.length ?? 0;
  const solve = (idx: readonly number[]): number[] | null => {
    if (idx.length < k + 1) return null;
    const A = Array.from({ length: k }, () => new Array<number>(k + 1).fill(0));
    for (const i of idx) {
      const f = features[i]!;
      for (let r = 0; r < k; r++) {
        for (let c = 0; c < k; c++) A[r]![c]! += f[r]! * f[c]!;
        A[r]![k]! += f[r]! * ys[i]!;
      }
    }
    for (let c = 0; c < k; c++) {
      let p = c;
      for (let r = c + 1; r < k; r++) if (Math.abs(A[r]![c]!) > Math.abs(A[p]![c]!)) p = r;
      if (Math.abs(A[p]![c]!) < 1e-9) return null;
      [A[c], A[p]] = [A[p]!, A[c]!];
      for (let r = 0; r < k; r++) {
        if (r === c) continue;
        const factor = A[r]![c]! / A[c]![c]!;
        for (let cc = c; cc <= k; cc++) A[r]![cc]! -= factor * A[c]![cc]!;
      }
    }
    return A.map((row, r) => row[k]! / row[r]!);
  };
  const predict = (c: readonly number[], i: number) => features[i]!.reduce((s, f, j) => s + f * c[j]!, 0);
  let idx = ys.map((_, i) => i);
  let coef = solve(idx);
  for (let iter = 0; iter < 3 && coef; iter++) {
    const c = coef;
    const res = idx.map((i) => Math.abs(ys[i]! - predict(c, i)));
    const keep = idx.filter((_, j) => res[j]! <= Math.max(reject, 2.5 * median(res)));
    if (keep.length === idx.length) break;
    const next = solve(keep);
    if (!next) break;
    idx = keep;
    coef = next;
  }
  return coef;
}
