/**
 * Synthetic, face-like portraits and signatures. They are drawings made
 * from a seed (never a real face) with enough structure — hair, eyes,
 * mouth, shoulders — for photo substitutions to be visible and for feature
 * matching to find corners in the photo area.
 */
import { n } from './guilloche';
import { createRng, integer, pick, uniform, type Rng } from './prng';

export type PortraitSex = 'F' | 'M' | 'X';

export interface FaceParams {
  skin: string;
  skinShade: string;
  hair: string;
  hairStyle: 'short' | 'long' | 'bob' | 'bun' | 'curly' | 'receding';
  iris: string;
  clothing: string;
  collar: string;
  backdrop: string;
  lips: string;
  headRx: number;
  headRy: number;
  jaw: number;
  eyeGap: number;
  eyeY: number;
  eyeSize: number;
  browLift: number;
  noseLength: number;
  mouthWidth: number;
  mouthY: number;
  beard: boolean;
  parting: number;
}

const SKIN: ReadonlyArray<[string, string]> = [
  ['#f1d3bd', '#d9ad92'],
  ['#e8bf9f', '#c9957a'],
  ['#d9a77f', '#b77f5c'],
  ['#c68c63', '#9e6643'],
  ['#a96e48', '#7f4e30'],
  ['#8a5535', '#613820'],
  ['#6b3f26', '#4a2917'],
];
const HAIR = ['#1c1512', '#2e1f16', '#4a3122', '#6b4a2e', '#8c5a2b', '#a8743d', '#c9a66b', '#8f8a84', '#2a2a2e'];
const IRIS = ['#3b2a1e', '#4e3626', '#5a6e3a', '#3d5a7a', '#6b7f8f', '#2f2620'];
const CLOTHING = ['#2d3a4f', '#4a4f55', '#1f2a36', '#5b3a3a', '#2f4a3a', '#6a6a70', '#3a3350'];
const BACKDROP = ['#dfe6ec', '#e3e6e8', '#d8e0e8', '#e8e6e1'];
const LIPS = ['#b86a6a', '#a85d5d', '#9c5a50', '#c07a78', '#8a4a44'];

export function faceFromSeed(seed: number, sex: PortraitSex): FaceParams {
  const rng = createRng(seed);
  const skin = pick(rng, SKIN);
  const female = sex === 'F' || (sex === 'X' && rng() < 0.5);
  const styles: FaceParams['hairStyle'][] = female ? ['long', 'bob', 'bun', 'curly', 'long'] : ['short', 'short', 'curly', 'receding'];
  return {
    skin: skin[0],
    skinShade: skin[1],
    hair: pick(rng, HAIR),
    hairStyle: pick(rng, styles),
    iris: pick(rng, IRIS),
    clothing: pick(rng, CLOTHING),
    collar: rng() < 0.5 ? '#f2f2f0' : '#c9ccd2',
    backdrop: pick(rng, BACKDROP),
    lips: pick(rng, LIPS),
    headRx: uniform(rng, 24, 27.5),
    headRy: uniform(rng, 31, 34),
    jaw: uniform(rng, female ? 0.42 : 0.5, female ? 0.55 : 0.66),
    eyeGap: uniform(rng, 9.6, 11.4),
    eyeY: uniform(rng, -3.5, -0.5),
    eyeSize: uniform(rng, 0.9, 1.12),
    browLift: uniform(rng, 5, 6.8),
    noseLength: uniform(rng, 12, 15),
    mouthWidth: uniform(rng, 7.5, 10),
    mouthY: uniform(rng, 21, 23.5),
    beard: !female && rng() < 0.35,
    parting: uniform(rng, -8, 8),
  };
}

/** Maps a colour of the drawing to what is printed: [colour, opacity], or null to leave it out. */
export type PortraitPaint = (hex: string) => [string, number] | null;

export interface PortraitPlacement {
  x: number;
  y: number;
  /** Width in pixels; the height is width × 1.28 (the 100 × 128 drawing space). */
  width: number;
  /** Rotation about the centre of the placement, degrees. */
  rotationDeg?: number;
  /** Unique within the SVG document (clip paths are named after it). */
  id: string;
  /** Draw the plain backdrop (photos) or leave it out (ghost images). */
  backdrop: boolean;
}

export const PORTRAIT_ASPECT = 1.28;

export function portraitSvg(face: FaceParams, paint: PortraitPaint, at: PortraitPlacement): string {
  const parts: string[] = [];
  const opacity = (a: number, attr = 'fill-opacity') => (a < 0.995 ? ` ${attr}="${Math.max(0.01, Math.round(a * 100) / 100)}"` : '');
  const shape = (d: string, hex: string, extra = '') => {
    const p = paint(hex);
    if (p) parts.push(`<path d="${d}" fill="${p[0]}"${opacity(p[1])}${extra}/>`);
  };
  const stroke = (d: string, hex: string, width: number, alpha = 1) => {
    const p = paint(hex);
    if (p) parts.push(`<path d="${d}" fill="none" stroke="${p[0]}" stroke-width="${width}" stroke-linecap="round" stroke-linejoin="round"${opacity(p[1] * alpha, 'stroke-opacity')}/>`);
  };
  const ellipse = (cx: number, cy: number, rx: number, ry: number, hex: string, alpha = 1) => {
    const p = paint(hex);
    if (p) parts.push(`<ellipse cx="${n(cx)}" cy="${n(cy)}" rx="${n(rx)}" ry="${n(ry)}" fill="${p[0]}"${opacity(p[1] * alpha)}/>`);
  };

  const f = face;
  const cx = 50;
  const cy = 55;
  const rx = f.headRx;
  const ry = f.headRy;
  const neckW = rx * 0.48;

  if (at.backdrop) {
    shape('M0 0H100V128H0Z', f.backdrop);
    // Studio light falls off towards the bottom corners.
    ellipse(50, 50, 50, 50, '#ffffff', 0.1);
  }
  // Hair behind the head.
  if (f.hairStyle === 'long') shape(`M${n(cx - rx - 5)} ${n(cy - 4)}C${n(cx - rx - 7)} ${n(cy - ry - 10)} ${n(cx + rx + 7)} ${n(cy - ry - 10)} ${n(cx + rx + 5)} ${n(cy - 4)}L${n(cx + rx + 8)} ${n(cy + ry + 24)}Q${cx} ${n(cy + ry + 30)} ${n(cx - rx - 8)} ${n(cy + ry + 24)}Z`, f.hair);
  if (f.hairStyle === 'bob') shape(`M${n(cx - rx - 4)} ${n(cy)}C${n(cx - rx - 6)} ${n(cy - ry - 9)} ${n(cx + rx + 6)} ${n(cy - ry - 9)} ${n(cx + rx + 4)} ${n(cy)}L${n(cx + rx + 4)} ${n(cy + ry * 0.55)}Q${cx} ${n(cy + ry * 0.7)} ${n(cx - rx - 4)} ${n(cy + ry * 0.55)}Z`, f.hair);
  if (f.hairStyle === 'bun') ellipse(cx, cy - ry - 5, 10, 8, f.hair);

  // Shoulders and clothing.
  const sh = cy + ry + 12;
  shape(`M0 128L0 ${n(sh + 10)}C8 ${n(sh - 2)} 26 ${n(sh - 6)} ${n(cx - neckW - 3)} ${n(sh - 6)}L${n(cx + neckW + 3)} ${n(sh - 6)}C74 ${n(sh - 6)} 92 ${n(sh - 2)} 100 ${n(sh + 10)}L100 128Z`, f.clothing);
  shape(`M${n(cx - neckW - 3)} ${n(sh - 6)}L${cx} ${n(sh + 14)}L${n(cx + neckW + 3)} ${n(sh - 6)}Z`, f.collar);
  // Neck, shaded under the jaw.
  shape(`M${n(cx - neckW)} ${n(cy + ry - 10)}L${n(cx - neckW)} ${n(sh - 2)}Q${cx} ${n(sh + 9)} ${n(cx + neckW)} ${n(sh - 2)}L${n(cx + neckW)} ${n(cy + ry - 10)}Z`, f.skin);
  shape(`M${n(cx - neckW)} ${n(cy + ry - 6)}Q${cx} ${n(cy + ry + 6)} ${n(cx + neckW)} ${n(cy + ry - 6)}L${n(cx + neckW)} ${n(cy + ry + 2)}Q${cx} ${n(cy + ry + 10)} ${n(cx - neckW)} ${n(cy + ry + 2)}Z`, f.skinShade);
  // Ears.
  ellipse(cx - rx + 0.5, cy + 3, 4, 7, f.skinShade);
  ellipse(cx + rx - 0.5, cy + 3, 4, 7, f.skinShade);
  // Head.
  const head = `M${cx} ${n(cy - ry)}C${n(cx + rx * 0.92)} ${n(cy - ry)} ${n(cx + rx)} ${n(cy - ry * 0.45)} ${n(cx + rx)} ${n(cy)}C${n(cx + rx)} ${n(cy + ry * 0.55)} ${n(cx + rx * f.jaw)} ${n(cy + ry * 0.96)} ${cx} ${n(cy + ry)}C${n(cx - rx * f.jaw)} ${n(cy + ry * 0.96)} ${n(cx - rx)} ${n(cy + ry * 0.55)} ${n(cx - rx)} ${n(cy)}C${n(cx - rx)} ${n(cy - ry * 0.45)} ${n(cx - rx * 0.92)} ${n(cy - ry)} ${cx} ${n(cy - ry)}Z`;
  shape(head, f.skin);
  // Side shading gives the head volume.
  parts.push(`<clipPath id="${at.id}-head"><path d="${head}"/></clipPath><g clip-path="url(#${at.id}-head)">`);
  ellipse(cx - rx * 0.95, cy + 6, rx * 0.34, ry * 0.8, f.skinShade, 0.45);
  ellipse(cx + rx * 0.95, cy + 6, rx * 0.34, ry * 0.8, f.skinShade, 0.45);
  ellipse(cx, cy + ry * 1.02, rx * 0.5, ry * 0.14, f.skinShade, 0.3);
  parts.push('</g>');
  if (f.beard) {
    shape(`M${n(cx - rx + 1)} ${n(cy + 4)}C${n(cx - rx + 2)} ${n(cy + ry * 0.8)} ${n(cx - 8)} ${n(cy + ry + 1)} ${cx} ${n(cy + ry + 1)}C${n(cx + 8)} ${n(cy + ry + 1)} ${n(cx + rx - 2)} ${n(cy + ry * 0.8)} ${n(cx + rx - 1)} ${n(cy + 4)}C${n(cx + rx - 6)} ${n(cy + 16)} ${n(cx - rx + 6)} ${n(cy + 16)} ${n(cx - rx + 1)} ${n(cy + 4)}Z`, f.hair, '');
  }
  // Eyes, brows.
  const ey = cy + f.eyeY;
  for (const side of [-1, 1]) {
    const ex = cx + side * f.eyeGap;
    const s = f.eyeSize;
    ellipse(ex, ey, 4.3 * s, 2.1 * s, '#f4f1ec');
    ellipse(ex + side * 0.2, ey + 0.1, 1.9 * s, 1.9 * s, f.iris);
    ellipse(ex + side * 0.2, ey + 0.1, 0.85 * s, 0.85 * s, '#111111');
    ellipse(ex + side * 0.2 - 0.6, ey - 0.6, 0.35 * s, 0.35 * s, '#ffffff');
    stroke(`M${n(ex - 4.6 * s)} ${n(ey + 0.3)}Q${n(ex)} ${n(ey - 3.4 * s)} ${n(ex + 4.6 * s)} ${n(ey + 0.3)}`, '#2a1e18', 0.75);
    stroke(`M${n(ex - 3.6 * s)} ${n(ey + 1.9 * s)}Q${n(ex)} ${n(ey + 3 * s)} ${n(ex + 3.6 * s)} ${n(ey + 1.6 * s)}`, f.skinShade, 0.5);
    const by = ey - f.browLift;
    stroke(`M${n(ex - side * 5)} ${n(by + 1.2)}Q${n(ex - side * 0.5)} ${n(by - 1.6)} ${n(ex + side * 5.4)} ${n(by + 0.4)}`, f.hair, 1.5);
  }
  // Nose and mouth.
  const nb = ey + f.noseLength;
  stroke(`M${n(cx - 1.2)} ${n(ey + 2)}Q${n(cx - 3.6)} ${n(nb - 2)} ${n(cx - 2.6)} ${n(nb)}Q${cx} ${n(nb + 1.6)} ${n(cx + 2.6)} ${n(nb)}`, f.skinShade, 0.8);
  ellipse(cx - 1.7, nb + 0.2, 0.9, 0.55, '#4a2e24', 0.6);
  ellipse(cx + 1.7, nb + 0.2, 0.9, 0.55, '#4a2e24', 0.6);
  const my = cy + f.mouthY;
  const mw = f.mouthWidth;
  shape(`M${n(cx - mw)} ${n(my)}Q${n(cx - mw * 0.4)} ${n(my - 2.4)} ${cx} ${n(my - 1.4)}Q${n(cx + mw * 0.4)} ${n(my - 2.4)} ${n(cx + mw)} ${n(my)}Q${cx} ${n(my + 0.6)} ${n(cx - mw)} ${n(my)}Z`, f.lips);
  shape(`M${n(cx - mw)} ${n(my)}Q${cx} ${n(my + 0.6)} ${n(cx + mw)} ${n(my)}Q${n(cx + mw * 0.5)} ${n(my + 3.4)} ${cx} ${n(my + 3.4)}Q${n(cx - mw * 0.5)} ${n(my + 3.4)} ${n(cx - mw)} ${n(my)}Z`, f.lips);
  stroke(`M${n(cx - mw)} ${n(my)}Q${cx} ${n(my + 0.9)} ${n(cx + mw)} ${n(my)}`, '#5a2e2a', 0.6);
  // Hair in front.
  const top = cy - ry;
  const line = f.hairStyle === 'receding' ? cy - ry * 0.62 : cy - ry * 0.42;
  const px = cx + f.parting;
  shape(`M${n(cx - rx - 1.5)} ${n(cy + 3)}C${n(cx - rx - 3.5)} ${n(top - 15)} ${n(cx + rx + 3.5)} ${n(top - 15)} ${n(cx + rx + 1.5)} ${n(cy + 3)}C${n(cx + rx - 1.5)} ${n(line + 4)} ${n(cx + rx * 0.45)} ${n(line - 1)} ${n(px)} ${n(line - 3)}C${n(cx - rx * 0.45)} ${n(line)} ${n(cx - rx + 1.5)} ${n(line + 3)} ${n(cx - rx - 1.5)} ${n(cy + 3)}Z`, f.hair);
  if (f.hairStyle === 'curly') {
    for (let i = 0; i <= 10; i++) {
      const t = Math.PI + (i / 10) * Math.PI;
      ellipse(cx + (rx + 1.5) * Math.cos(t), cy - 4 + (ry + 3) * Math.sin(t) * 0.95, 4.2, 4.2, f.hair);
    }
  }
  // Hair strands catch the light.
  stroke(`M${n(px)} ${n(line - 3)}Q${n(cx - rx * 0.3)} ${n(top - 2)} ${n(cx - rx)} ${n(cy - 6)}`, '#ffffff', 0.5, 0.18);
  stroke(`M${n(px)} ${n(line - 3)}Q${n(cx + rx * 0.3)} ${n(top - 2)} ${n(cx + rx)} ${n(cy - 6)}`, '#ffffff', 0.5, 0.18);

  const scale = at.width / 100;
  const rot = at.rotationDeg ? ` rotate(${n(at.rotationDeg)} 50 64)` : '';
  return `<g transform="translate(${n(at.x)} ${n(at.y)}) scale(${Math.round(scale * 10000) / 10000})${rot}">${parts.join('')}</g>`;
}

/** A handwritten-looking signature: a few pen-down strokes of loops and a flourish, fitted into the box. */
export function signaturePath(seed: number, box: { x: number; y: number; width: number; height: number }): string {
  const rng: Rng = createRng(seed);
  const strokes = integer(rng, 2, 3);
  const pts: string[] = [];
  let x = 0;
  const total = 100;
  for (let s = 0; s < strokes; s++) {
    const len = (total / strokes) * uniform(rng, 0.75, 1.05);
    const letters = integer(rng, 3, 7);
    const amp = uniform(rng, 13, 20);
    const slant = uniform(rng, 0.25, 0.45);
    // Each letter: a small loop, a tall ascender, a descender or an arch, of its own width.
    const shapes = Array.from({ length: letters }, (_, k) => {
      const kind = k === 0 ? 1.7 : pick(rng, [0.55, 0.6, 0.7, 1.6, -1.2, 0.9]);
      return { height: kind * uniform(rng, 0.85, 1.15), width: uniform(rng, 0.7, 1.35), loop: uniform(rng, 1.2, 4.5), arch: rng() < 0.3 };
    });
    const widthSum = shapes.reduce((a, b) => a + b.width, 0);
    const seg: Array<[number, number]> = [];
    let lx = x;
    for (const [k, shape] of shapes.entries()) {
      const advance = (len * shape.width) / widthSum;
      for (let i = k === 0 ? 0 : 1; i <= 40; i++) {
        const t = i / 40;
        const phase = t * 2 * Math.PI;
        const lift = shape.arch ? Math.abs(Math.sin(phase / 2)) : Math.sin(phase / 2) ** 2;
        const yy = 50 - amp * shape.height * lift;
        const xx = lx + t * advance - shape.loop * Math.sin(phase) + slant * (50 - yy) * 0.3;
        seg.push([xx, yy + ((lx - x + t * advance) / len - 0.5) * 5]);
      }
      lx += advance;
    }
    x += len + uniform(rng, 2, 6);
    pts.push(`M${seg.map(([a, b]) => `${n(a)} ${n(b)}`).join('L')}`);
  }
  // Underline flourish.
  const fy = uniform(rng, 64, 72);
  pts.push(`M${n(uniform(rng, 5, 20))} ${n(fy)}Q${n(x * 0.6)} ${n(fy + uniform(rng, 4, 12))} ${n(x + 4)} ${n(fy - uniform(rng, 6, 14))}`);
  // Loops swing up to 4.5 units left of their letter: keep them inside the box.
  const sx = box.width / (x + 14);
  const sy = box.height / 100;
  return pts
    .join('')
    .replace(/(-?\d+(?:\.\d+)?) (-?\d+(?:\.\d+)?)/g, (_m, a: string, b: string) => `${n(box.x + (Number(a) + 6) * sx)} ${n(box.y + Number(b) * sy)}`);
}
