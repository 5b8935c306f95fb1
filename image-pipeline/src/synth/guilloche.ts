/**
 * Parametric line patterns of security printing (guilloche rosettes, wave
 * backgrounds, frames) as SVG path data. All lengths are in pixels; the
 * parameters come from a design so that a counterfeit with "nearly the same"
 * pattern can be produced by changing one of them.
 */

/** Number formatting for path data: 0.1 px is below any rendering difference. */
export function n(v: number): string {
  return String(Math.round(v * 10) / 10);
}

function polyline(points: ReadonlyArray<readonly [number, number]>, close: boolean): string {
  if (points.length === 0) return '';
  let d = `M${n(points[0]![0])} ${n(points[0]![1])}`;
  for (let i = 1; i < points.length; i++) d += `L${n(points[i]![0])} ${n(points[i]![1])}`;
  return close ? `${d}Z` : d;
}

export interface RosetteParams {
  cx: number;
  cy: number;
  /** Mean radius of the band. */
  radius: number;
  /** Amplitude of the main lobes. */
  amplitude: number;
  /** Number of main lobes around the circle. */
  lobes: number;
  /** Frequency of the secondary modulation (a different integer from lobes gives the interlacing). */
  harmonic: number;
  /** Amplitude of the secondary modulation. */
  harmonicAmplitude: number;
  /** Number of interlaced curves. */
  strands: number;
  /** Phase shift of the secondary modulation per strand (radians). */
  twist: number;
}

/** Closed interlaced curves r(θ) = R + A sin(L(θ − sα)) + B sin(Mθ + sβ), s = strand. */
export function rosettePath(p: RosetteParams): string {
  const samples = Math.max(360, Math.min(1440, Math.round(p.radius * 2.2)));
  const alpha = (2 * Math.PI) / (p.lobes * p.strands);
  let d = '';
  for (let s = 0; s < p.strands; s++) {
    const pts: Array<[number, number]> = [];
    for (let i = 0; i < samples; i++) {
      const t = (i / samples) * 2 * Math.PI;
      const r = p.radius + p.amplitude * Math.sin(p.lobes * (t - s * alpha)) + p.harmonicAmplitude * Math.sin(p.harmonic * t + s * p.twist);
      pts.push([p.cx + r * Math.cos(t), p.cy + r * Math.sin(t)]);
    }
    d += polyline(pts, true);
  }
  return d;
}

/** Outer radius a rosette can reach: its zone. */
export function rosetteExtent(p: RosetteParams): number {
  return p.radius + Math.abs(p.amplitude) + Math.abs(p.harmonicAmplitude);
}

/** Inner radius of a rosette (its hub), where an emblem may sit. */
export function rosetteHub(p: RosetteParams): number {
  return Math.max(0, p.radius - Math.abs(p.amplitude) - Math.abs(p.harmonicAmplitude));
}

/** Spirograph (hypotrochoid) rings with a rotating pen arm, drawn as `copies` rotated copies. */
export function spirographPath(cx: number, cy: number, outer: number, inner: number, pen: number, copies: number): string {
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  const turns = inner / gcd(outer, inner);
  const samples = Math.round(240 * turns);
  let d = '';
  for (let c = 0; c < copies; c++) {
    const rot = (c / copies) * ((2 * Math.PI) / (outer / gcd(outer, inner)));
    const pts: Array<[number, number]> = [];
    for (let i = 0; i < samples; i++) {
      const t = (i / samples) * 2 * Math.PI * turns;
      const x = (outer - inner) * Math.cos(t) + pen * Math.cos(((outer - inner) / inner) * t);
      const y = (outer - inner) * Math.sin(t) - pen * Math.sin(((outer - inner) / inner) * t);
      pts.push([cx + x * Math.cos(rot) - y * Math.sin(rot), cy + x * Math.sin(rot) + y * Math.cos(rot)]);
    }
    d += polyline(pts, true);
  }
  return d;
}

export interface WaveFieldParams {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  /** Distance between successive lines. */
  spacing: number;
  amplitude: number;
  wavelength: number;
  /** Phase advance per line: makes the field drift into moiré-like bands. */
  phaseStep: number;
  /** Second, slower modulation. */
  amplitude2: number;
  wavelength2: number;
}

/** Lines of a wave background; `select(k)` picks which line indices to draw (e.g. every third for a second ink). */
export function waveFieldPath(p: WaveFieldParams, select: (k: number) => boolean = () => true): string {
  const step = 6;
  let d = '';
  const lines = Math.floor((p.y1 - p.y0) / p.spacing) + 1;
  for (let k = 0; k < lines; k++) {
    if (!select(k)) continue;
    const base = p.y0 + k * p.spacing;
    const pts: Array<[number, number]> = [];
    for (let x = p.x0; x <= p.x1 + step; x += step) {
      const y =
        base +
        p.amplitude * Math.sin((2 * Math.PI * x) / p.wavelength + k * p.phaseStep) +
        p.amplitude2 * Math.sin((2 * Math.PI * x) / p.wavelength2 - k * p.phaseStep * 0.37);
      pts.push([Math.min(x, p.x1), y]);
    }
    d += polyline(pts, false);
  }
  return d;
}

/** A wavy line running round a rectangle at `inset` from its edge (a guilloche frame). */
export function framePath(width: number, height: number, inset: number, amplitude: number, period: number, phase: number): string {
  const w = width - 2 * inset;
  const h = height - 2 * inset;
  const perimeter = 2 * (w + h);
  const count = Math.max(4, Math.round(perimeter / period));
  const samples = count * 16;
  const pts: Array<[number, number]> = [];
  for (let i = 0; i < samples; i++) {
    const s = (i / samples) * perimeter;
    let x: number;
    let y: number;
    let nx: number;
    let ny: number;
    if (s < w) [x, y, nx, ny] = [inset + s, inset, 0, 1];
    else if (s < w + h) [x, y, nx, ny] = [inset + w, inset + (s - w), -1, 0];
    else if (s < 2 * w + h) [x, y, nx, ny] = [inset + w - (s - w - h), inset + h, 0, -1];
    else [x, y, nx, ny] = [inset, inset + h - (s - 2 * w - h), 1, 0];
    const off = amplitude * Math.sin((2 * Math.PI * i) / 16 + phase);
    pts.push([x + nx * off, y + ny * off]);
  }
  return polyline(pts, true);
}

/** Regular polygon approximating a circle, for zones. */
export function circlePolygon(cx: number, cy: number, r: number, sides = 32): Array<[number, number]> {
  const pts: Array<[number, number]> = [];
  for (let i = 0; i < sides; i++) {
    const t = (i / sides) * 2 * Math.PI;
    pts.push([cx + r * Math.cos(t), cy + r * Math.sin(t)]);
  }
  return pts;
}
