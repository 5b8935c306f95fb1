/**
 * Turns a design, a holder and an optional fraud variant into a scene: one
 * geometry whose layers know how they look under white, UV and IR light,
 * the feature zones of the capture and, for frauds, where they differ from
 * the genuine.
 */
import { CONSTANT_FIELDS, designSizePx, fieldValue, pxPerMm, type DocumentDesign, type FieldKey, type RosetteSpec } from './designs';
import { boundsOf, boxPolygon, rectPolygon, type Box, type Point, type Polygon } from './geometry';
import { circlePolygon, framePath, n, rosetteExtent, rosettePath, waveFieldPath } from './guilloche';
import { formatVizDate, type Holder } from './holders';
import { carbonPrintIr, greyHex, inkColour, irGrey, luminance, mixColour, PAPER_IR, type Ink, type Layer, type SynthLight } from './light';
import { ocrBTextSvg } from '../mrz/ocr-b-svg';
import { formatTd1Mrz, formatTd3Mrz, type MrzData, type MrzSex } from './mrz';
import { faceFromSeed, portraitSvg, PORTRAIT_ASPECT, signaturePath, type PortraitPaint } from './portrait';
import { createRng, hashSeed, pick, uniform } from './prng';
import type { AlteredRegion, Scene, SynthFeatureType, SynthFeatureZone } from './scene';

export const FONTS = {
  label: 'DejaVu Sans Condensed',
  value: 'DejaVu Sans',
  header: 'DejaVu Serif',
} as const;

/** How a fraud departs from the genuine document. */
export interface DocumentVariant {
  /** Photo substitution: another face on photo paper glued over the original, slightly off. */
  substitutePhoto?: { faceSeed: number; sex: MrzSex; offsetMm: [number, number]; rotationDeg: number };
  /**
   * Data alteration: the values are erased and reprinted in the forger's ink (`alterInk`); the
   * same characters are overtyped in the MRZ, off the printer's grid, without recomputing its check digits.
   */
  alterFields?: Partial<Pick<Holder, 'dateOfBirth' | 'documentNumber' | 'dateOfExpiry'>>;
  /** The forger's ink for `alterFields`: inkjet (the default) vanishes in IR; laser toner is carbon black and absorbs IR like the original print. */
  alterInk?: 'inkjet' | 'toner';
  /** Counterfeit without the UV-fluorescent emblem. */
  omitUvEmblem?: boolean;
  /** Counterfeit on paper without fluorescent fibres. */
  omitUvFibres?: boolean;
  /** Personal data typeset in another typeface (the counterfeiter lacked the font). */
  substituteFont?: { keys: FieldKey[]; fontFamily: string };
  /** Counterfeit background: one rosette drawn with other parameters. */
  rosette?: { index: number; changes: Partial<Omit<RosetteSpec, 'cx' | 'cy' | 'colour'>> };
}

const PERSONALISATION: Ink = { white: '#1b1b24', ir: 0.95 };
/** Office or inkjet ink of a forger: looks black, vanishes in IR. */
const FORGER_INK: Ink = { white: '#24232b', ir: 0.06 };
/** Laser toner of a forger: carbon black, dark in IR too. */
const FORGER_TONER: Ink = { white: '#222128', ir: 0.92 };
/** How far right of the printer's grid the forger's retyped MRZ characters land, in pitches (a fifth: off the grid, as re-registered type is). */
const FORGER_SHIFT_PITCH = 0.2;
const SIGNATURE_INK: Ink = { white: '#1d2a5c', ir: 0.85 };

const FIELD_ZONE: Partial<Record<FieldKey, SynthFeatureType>> = {
  surname: 'name',
  givenNames: 'name',
  documentNumber: 'document-number',
  dateOfBirth: 'date-of-birth',
  placeOfBirth: 'place-of-birth',
  nationality: 'nationality',
  sex: 'sex',
  dateOfIssue: 'date-of-issue',
  dateOfExpiry: 'date-of-expiry',
  authority: 'issuing-authority',
  personalNumber: 'personal-number',
  address: 'address',
  height: 'other-personal-data',
  permitType: 'other-personal-data',
  remarks: 'other-personal-data',
};

const FIELD_LABEL: Record<FieldKey, string> = {
  documentCode: 'Document type',
  issuingState: 'Issuing state',
  documentNumber: 'Document number',
  surname: 'Surname',
  givenNames: 'Given names',
  nationality: 'Nationality',
  dateOfBirth: 'Date of birth',
  personalNumber: 'Personal number',
  sex: 'Sex',
  placeOfBirth: 'Place of birth',
  dateOfIssue: 'Date of issue',
  authority: 'Issuing authority',
  dateOfExpiry: 'Date of expiry',
  address: 'Address',
  height: 'Height',
  permitType: 'Type of permit',
  remarks: 'Remarks',
};

function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * Advance widths (em) of the sans typefaces, coarse but on the safe side: used
 * to size ground-truth boxes around printed values, never to lay text out.
 */
function estimateTextWidth(text: string, sizePx: number, family: string): number {
  const narrow = family.includes('Condensed') || family.includes('Narrow') ? 0.9 : 1;
  let em = 0;
  for (const c of text) {
    if (c === ' ') em += 0.32;
    else if (/[0-9]/.test(c)) em += 0.64;
    else if (/[MW]/.test(c)) em += 0.9;
    else if (/[IJ1]/.test(c)) em += 0.35;
    else if (/[A-Z]/.test(c)) em += 0.74;
    else if (/[.,:;'’/-]/.test(c)) em += 0.36;
    else em += 0.62;
  }
  return em * sizePx * narrow;
}

function mrzData(design: DocumentDesign, holder: Holder): MrzData {
  return {
    documentCode: design.documentCode,
    issuingState: design.issuingState,
    surname: holder.surname,
    givenNames: holder.givenNames,
    documentNumber: holder.documentNumber,
    nationality: holder.nationality,
    dateOfBirth: holder.dateOfBirth,
    sex: holder.sex,
    dateOfExpiry: holder.dateOfExpiry,
    optionalData: design.mrz?.format === 'TD3' ? (holder.personalNumber ?? '') : '',
  };
}

export function formatMrz(design: DocumentDesign, holder: Holder): string[] {
  if (!design.mrz) return [];
  return design.mrz.format === 'TD3' ? formatTd3Mrz(mrzData(design, holder)) : formatTd1Mrz(mrzData(design, holder));
}

/** [line, first, last] character ranges of MRZ fields that an alteration may overtype. */
const MRZ_FIELD_RANGES: Record<'TD1' | 'TD3', Record<'dateOfBirth' | 'documentNumber' | 'dateOfExpiry', [number, number, number]>> = {
  TD3: { documentNumber: [1, 0, 8], dateOfBirth: [1, 13, 18], dateOfExpiry: [1, 21, 26] },
  TD1: { documentNumber: [0, 5, 13], dateOfBirth: [1, 0, 5], dateOfExpiry: [1, 8, 13] },
};

export function composeScene(design: DocumentDesign, holder: Holder, variant: DocumentVariant = {}): Scene {
  const k = pxPerMm(design);
  const mm = (v: number) => v * k;
  const { width: W, height: H } = designSizePx(design);
  const pal = design.palette;
  const background: Layer[] = [];
  const overlay: Layer[] = [];
  const zones: SynthFeatureZone[] = [];
  const altered: AlteredRegion[] = [];
  const pagePolygon = rectPolygon(0, 0, W, H);
  const inkLayer = (ink: Ink, draw: (colour: string, light: SynthLight) => string): Layer => (light) => {
    const c = inkColour(ink, light);
    return c ? draw(c, light) : '';
  };
  const addZone = (zone: Omit<SynthFeatureZone, 'polygon'> & { polygon: Polygon }) => {
    zones.push({ ...zone, polygon: zone.polygon.map(([x, y]): Point => [Math.round(Math.min(W, Math.max(0, x)) * 10) / 10, Math.round(Math.min(H, Math.max(0, y)) * 10) / 10]) });
  };
  const addAltered = (lights: SynthLight[], polygon: Polygon, label: string) => {
    for (const lightSource of lights) altered.push({ lightSource, label, polygon: polygon.map(([x, y]): Point => [Math.round(Math.min(W, Math.max(0, x)) * 10) / 10, Math.round(Math.min(H, Math.max(0, y)) * 10) / 10]) });
  };

  // --- Background print (offset inks: visible in white, IR-transparent, UV-dull) -----------------
  const rainbowGradient = (id: string, stops: readonly string[]) =>
    `<linearGradient id="${id}" gradientUnits="userSpaceOnUse" x1="0" y1="0" x2="${W}" y2="${n(H * 0.35)}">${stops
      .map((c, i) => `<stop offset="${Math.round((i / Math.max(1, stops.length - 1)) * 1000) / 1000}" stop-color="${c}"/>`)
      .join('')}</linearGradient>`;
  const waveTop = mm(design.waves.top);
  const waveBottom = mm(design.waves.bottom);
  const waveParams = {
    x0: 0,
    x1: W,
    y0: waveTop - mm(design.waves.amplitude * 2),
    y1: waveBottom,
    spacing: mm(design.waves.spacing),
    amplitude: mm(design.waves.amplitude),
    wavelength: mm(design.waves.wavelength),
    phaseStep: design.waves.phaseStep,
    amplitude2: mm(design.waves.amplitude * 0.45),
    wavelength2: mm(design.waves.wavelength * 0.37),
  };
  const waveClip = `<clipPath id="wave-area"><rect x="0" y="${n(waveTop)}" width="${W}" height="${n(waveBottom - waveTop)}"/></clipPath>`;
  const lineW = Math.max(0.9, mm(0.065));
  background.push((light) => {
    if (light !== 'white') return '';
    const wash = `<rect x="0" y="${n(waveTop)}" width="${W}" height="${n(waveBottom - waveTop)}" fill="url(#rainbow)" fill-opacity="0.22"/>`;
    const a = `<path d="${waveFieldPath(waveParams)}" fill="none" stroke="url(#rainbow)" stroke-width="${n(lineW)}"/>`;
    const b = `<path d="${waveFieldPath({ ...waveParams, phaseStep: -waveParams.phaseStep * 0.8, wavelength: waveParams.wavelength * 1.13 })}" fill="none" stroke="url(#rainbow)" stroke-opacity="0.75" stroke-width="${n(lineW * 0.8)}"/>`;
    return `<defs>${rainbowGradient('rainbow', pal.rainbow)}${waveClip}</defs><g clip-path="url(#wave-area)">${wash}${a}${b}</g>`;
  });
  // Fluorescent rainbow: a sparse family of lines printed in an ink that is pale in daylight and glows under UV.
  const fluoParams = { ...waveParams, spacing: waveParams.spacing * 3.2, amplitude: waveParams.amplitude * 1.6, phaseStep: waveParams.phaseStep * 1.9 };
  background.push((light) => {
    if (light === 'ir-870') return '';
    const d = waveFieldPath(fluoParams);
    if (light === 'white') {
      return `<defs>${rainbowGradient('rainbow-fluo', pal.rainbow.map((c) => mixColour(c, '#806040', 0.25)))}</defs><g clip-path="url(#wave-area)"><path d="${d}" fill="none" stroke="url(#rainbow-fluo)" stroke-width="${n(lineW * 1.1)}" stroke-opacity="0.8"/></g>`;
    }
    return `<defs>${rainbowGradient('rainbow-uv', pal.uvRainbow)}</defs><g clip-path="url(#wave-area)"><path d="${d}" fill="none" stroke="url(#rainbow-uv)" stroke-width="${n(lineW * 3.5)}" stroke-opacity="0.12"/><path d="${d}" fill="none" stroke="url(#rainbow-uv)" stroke-width="${n(lineW * 1.1)}" stroke-opacity="0.55"/></g>`;
  });
  addZone({
    id: 'zone-rainbow-printing',
    type: 'rainbow-printing',
    label: 'Rainbow-printed wave background',
    polygon: rectPolygon(0, waveTop, W, waveBottom - waveTop),
    lightSources: ['white', 'uv-365'],
    expectedAppearance: 'Fine wave lines shading seamlessly from rose through yellow and green to blue; under UV 365 nm every third line fluoresces green to orange.',
    personalised: false,
  });

  // MRZ clear zone: pale, IR-transparent lines that OCR readers ignore.
  if (design.mrz) {
    const top = mm(design.mrz.clearTop);
    background.push(
      inkLayer({ white: pal.mrzTint }, (c) => `<path d="${waveFieldPath({ ...waveParams, y0: top, y1: H, spacing: waveParams.spacing * 1.4, amplitude: waveParams.amplitude * 0.5 })}" fill="none" stroke="${c}" stroke-width="${n(lineW)}"/>`),
    );
  }

  // Guilloche frame round the page.
  background.push(
    inkLayer({ white: pal.frame }, (c) => {
      const inset = mm(1.6);
      const d1 = framePath(W, H, inset, mm(0.35), mm(2.4), 0);
      const d2 = framePath(W, H, inset + mm(0.35), mm(0.35), mm(2.4), Math.PI);
      return `<path d="${d1}${d2}" fill="none" stroke="${c}" stroke-width="${n(lineW)}" stroke-opacity="0.85"/>`;
    }),
  );

  // Rosettes: an outer woven band and an inner one derived from it, so that changing one parameter changes both.
  const rosetteBands = (s: RosetteSpec) => {
    const outer = {
      cx: mm(s.cx),
      cy: mm(s.cy),
      radius: mm(s.radius),
      amplitude: mm(s.amplitude),
      lobes: s.lobes,
      harmonic: s.harmonic,
      harmonicAmplitude: mm(s.harmonicAmplitude),
      strands: s.strands,
      twist: s.twist,
    };
    const inner = { ...outer, radius: outer.radius * 0.56, amplitude: outer.amplitude * 0.6, lobes: Math.max(3, Math.round(s.lobes * 0.6)), harmonicAmplitude: outer.harmonicAmplitude * 0.7, strands: Math.max(6, Math.round(s.strands * 0.7)) };
    return { outer, inner };
  };
  const rosetteLayer = (s: RosetteSpec): Layer =>
    inkLayer({ white: s.colour }, (c) => {
      const { outer, inner } = rosetteBands(s);
      const w = n(Math.max(0.9, mm(s.line)));
      return `<path d="${rosettePath(outer)}" fill="none" stroke="${c}" stroke-width="${w}" stroke-opacity="0.85"/><path d="${rosettePath(inner)}" fill="none" stroke="${mixColour(c, pal.frame, 0.55)}" stroke-width="${w}" stroke-opacity="0.75"/>`;
    });
  design.rosettes.forEach((spec, index) => {
    const changes = variant.rosette && variant.rosette.index === index ? variant.rosette.changes : undefined;
    const drawn = { ...spec, ...changes };
    background.push(rosetteLayer(drawn));
    const extent = rosetteExtent(rosetteBands(spec).outer) + 3;
    addZone({
      id: `zone-guilloche-${index + 1}`,
      type: 'guilloche',
      label: `Guilloche rosette ${index + 1}`,
      polygon: circlePolygon(mm(spec.cx), mm(spec.cy), extent),
      lightSources: ['white'],
      expectedAppearance: `Rosette of two woven bands, the outer one of ${spec.strands} lines with ${spec.lobes} lobes; lines unbroken and evenly spaced; IR-transparent.`,
      personalised: false,
    });
    if (changes) {
      const r = Math.max(extent, rosetteExtent(rosetteBands(drawn).outer) + 3);
      addAltered(['white'], circlePolygon(mm(spec.cx), mm(spec.cy), r), `Rosette ${index + 1} drawn with other parameters`);
    }
  });

  // Microprint line.
  if (design.microprint) {
    const mp = design.microprint;
    const size = mm(mp.size);
    const x0 = mm(mp.x0);
    const x1 = mm(mp.x1);
    const repeats = Math.ceil((x1 - x0) / estimateTextWidth(mp.text, size, FONTS.value)) + 1;
    background.push(
      inkLayer({ white: pal.accent }, (c) => {
        const text = escapeXml(mp.text.repeat(repeats));
        return `<clipPath id="microprint-clip"><rect x="${n(x0)}" y="${n(mm(mp.y) - size)}" width="${n(x1 - x0)}" height="${n(size * 1.5)}"/></clipPath><text clip-path="url(#microprint-clip)" x="${n(x0)}" y="${n(mm(mp.y))}" font-family="${FONTS.value}" font-size="${n(size)}" fill="${c}">${text}</text>`;
      }),
    );
    addZone({
      id: 'zone-microprint',
      type: 'microprint',
      label: 'Microprinted line',
      polygon: rectPolygon(x0 - 2, mm(mp.y) - size - 2, x1 - x0 + 4, size * 1.5 + 4),
      lightSources: ['white'],
      expectedAppearance: `Appears as a thin line; under magnification the text "${mp.text}" repeated, sharp and legible.`,
      personalised: false,
    });
  }

  // --- UV-only features ----------------------------------------------------------------------
  if (design.uvEmblem) {
    const e = design.uvEmblem;
    const cx = mm(e.cx);
    const cy = mm(e.cy);
    const r = mm(e.r);
    const [ringColour, rayColour] = pal.uvEmblem;
    const halo = Math.max(3, r * 0.04);
    // Rays, their halo, the blur of the lens, and the chord error of a 32-gon.
    const emblemExtent = r + halo + 10;
    if (!variant.omitUvEmblem) {
      background.push((light) => {
        if (light !== 'uv-365') return '';
        let rays = '';
        for (let i = 0; i < 24; i++) {
          const t = (i / 24) * 2 * Math.PI;
          const outer = i % 2 === 0 ? r : r * 0.78;
          const half = (Math.PI / 24) * 0.55;
          const p = (a: number, rr: number) => `${n(cx + rr * Math.cos(a))} ${n(cy + rr * Math.sin(a))}`;
          rays += `M${p(t - half, r * 0.4)}L${p(t, outer)}L${p(t + half, r * 0.4)}Z`;
        }
        const ringWidth = r * 0.05;
        const ring = (width: number, opacity: number) => `<circle cx="${n(cx)}" cy="${n(cy)}" r="${n(r * 0.33)}" fill="none" stroke="${ringColour}" stroke-width="${n(width)}" stroke-opacity="${opacity}"/>`;
        // Halo first, then the bright core: fluorescence bleeds into the paper around it.
        return (
          `<path d="${rays}" fill="${rayColour}" fill-opacity="0.28" stroke="${rayColour}" stroke-width="${n(halo * 2)}" stroke-opacity="0.28" stroke-linejoin="round"/><path d="${rays}" fill="${rayColour}"/>` +
          ring(ringWidth + halo * 2, 0.28) +
          ring(ringWidth, 1) +
          `<text x="${n(cx)}" y="${n(cy + r * 0.068)}" text-anchor="middle" font-family="${FONTS.header}" font-weight="bold" font-size="${n(r * 0.19)}" fill="${ringColour}">UTO</text>`
        );
      });
    } else {
      addAltered(['uv-365'], circlePolygon(cx, cy, emblemExtent), 'UV-fluorescent emblem missing');
    }
    addZone({
      id: 'zone-uv-emblem',
      type: 'uv-fluorescent-ink',
      label: 'Fluorescent sun emblem',
      polygon: circlePolygon(cx, cy, emblemExtent),
      lightSources: ['uv-365'],
      expectedAppearance: 'Invisible in white light; under UV 365 nm a sun of 24 rays glows yellow-green round an orange-red ring with the letters UTO.',
      personalised: false,
    });
  }

  {
    const rng = createRng(hashSeed(design.seed, design.id, 'fibres'));
    const colours = ['#ff4a4a', '#ffe04a', '#4ab4ff', '#ff4a4a', '#7dff6a'];
    const fibres: Array<{ d: string; colour: string; box: Box }> = [];
    for (let i = 0; i < design.fibres; i++) {
      const x = uniform(rng, 0.02, 0.98) * W;
      const y = uniform(rng, 0.02, 0.98) * H;
      const len = mm(uniform(rng, 1.6, 4.2));
      const a = uniform(rng, 0, Math.PI);
      const bend = uniform(rng, -0.35, 0.35) * len;
      const x2 = x + len * Math.cos(a);
      const y2 = y + len * Math.sin(a);
      const qx = (x + x2) / 2 - bend * Math.sin(a);
      const qy = (y + y2) / 2 + bend * Math.cos(a);
      fibres.push({ d: `M${n(x)} ${n(y)}Q${n(qx)} ${n(qy)} ${n(x2)} ${n(y2)}`, colour: pick(rng, colours), box: boundsOf([[x, y], [x2, y2], [qx, qy]]) });
    }
    const fw = Math.max(1.2, mm(0.09));
    if (!variant.omitUvFibres) {
      background.push((light) =>
        light === 'uv-365'
          ? fibres.map((f) => `<path d="${f.d}" fill="none" stroke="${f.colour}" stroke-width="${n(fw * 3.2)}" stroke-opacity="0.3" stroke-linecap="round"/><path d="${f.d}" fill="none" stroke="${f.colour}" stroke-width="${n(fw)}" stroke-linecap="round"/>`).join('')
          : '',
      );
    } else {
      for (const f of fibres) addAltered(['uv-365'], boxPolygon(f.box, 6), 'Fluorescent fibre missing');
    }
    addZone({
      id: 'zone-uv-fibres',
      type: 'uv-fibres',
      label: 'Fluorescent fibres',
      polygon: pagePolygon,
      lightSources: ['uv-365'],
      expectedAppearance: 'Short curved fibres scattered in the paper glow red, yellow, blue and green under UV 365 nm; invisible in white light.',
      personalised: false,
    });
    addZone({
      id: 'zone-uv-dull-paper',
      type: 'uv-dull-substrate',
      label: 'UV-dull paper',
      polygon: pagePolygon,
      lightSources: ['uv-365'],
      expectedAppearance: 'The paper does not fluoresce: it stays dark blue-violet under UV 365 nm.',
      personalised: false,
    });
  }

  // --- Header: coat of arms in a metameric ink pair, state name and document title -------------
  {
    const a = design.arms;
    const s = mm(a.size);
    const cx = mm(a.cx);
    const cy = mm(a.cy);
    const w = s * 0.8;
    const top = cy - s / 2;
    const shield = `M${n(cx - w / 2)} ${n(top)}H${n(cx + w / 2)}V${n(top + s * 0.55)}Q${n(cx + w / 2)} ${n(top + s * 0.85)} ${n(cx)} ${n(top + s)}Q${n(cx - w / 2)} ${n(top + s * 0.85)} ${n(cx - w / 2)} ${n(top + s * 0.55)}Z`;
    let star = '';
    for (let i = 0; i < 16; i++) {
      const t = (i / 16) * 2 * Math.PI - Math.PI / 2;
      const rr = i % 2 === 0 ? s * 0.26 : s * 0.11;
      star += `${i === 0 ? 'M' : 'L'}${n(cx + rr * Math.cos(t))} ${n(cy - s * 0.04 + rr * Math.sin(t))}`;
    }
    star += 'Z';
    // Shield and star share the visible colour; only the star absorbs IR (the hidden image of a metameric pair).
    background.push(inkLayer({ white: pal.accent }, (c) => `<path d="${shield}" fill="${c}"/>`));
    background.push(inkLayer({ white: pal.accent, ir: 0.8 }, (c) => `<path d="${star}" fill="${c}"/>`));
    background.push(inkLayer({ white: '#d9b65a' }, (c) => `<path d="${shield}" fill="none" stroke="${c}" stroke-width="${n(s * 0.03)}"/><path d="M${n(cx - w * 0.3)} ${n(top + s * 0.78)}H${n(cx + w * 0.3)}" stroke="${c}" stroke-width="${n(s * 0.025)}"/>`));
    addZone({
      id: 'zone-arms-ir-star',
      type: 'ir-absorbing-ink',
      label: 'Hidden star in the coat of arms',
      polygon: circlePolygon(cx, cy - s * 0.04, s * 0.3, 16),
      lightSources: ['ir-870'],
      expectedAppearance: 'In white light the shield is uniformly blue; under IR 870 nm a dark sixteen-ray star appears in it.',
      personalised: false,
    });
    addZone({
      id: 'zone-arms-shield',
      type: 'ir-transparent-ink',
      label: 'Coat of arms (metameric pair)',
      polygon: boxPolygon({ x: cx - w / 2, y: top, width: w, height: s }, 4),
      lightSources: ['white'],
      expectedAppearance: 'Blue shield with gold rim; the shield ink vanishes under IR 870 nm, leaving only the star.',
      personalised: false,
    });
    const hd = design.header;
    background.push(
      inkLayer({ white: pal.accent }, (c) => {
        const state = `<text x="${n(mm(hd.x))}" y="${n(mm(hd.stateY))}" font-family="${FONTS.header}" font-weight="bold" font-size="${n(mm(hd.stateSize))}" fill="${c}">${escapeXml(hd.state)}</text>`;
        const title = `<text x="${n(mm(hd.x))}" y="${n(mm(hd.titleY))}" font-family="${FONTS.value}" font-size="${n(mm(hd.titleSize))}" letter-spacing="${n(mm(0.25))}" fill="${c}">${escapeXml(hd.title)}</text>`;
        return state + title;
      }),
    );
  }

  // --- Labels (pre-printed with the background, IR-transparent) ---------------------------------
  const labelSize = mm(design.labelSize);
  const valueSize = mm(design.valueSize);
  background.push(
    inkLayer({ white: pal.label }, (c) => {
      let out = '';
      for (const f of design.fields) out += `<text x="${n(mm(f.x))}" y="${n(mm(f.y))}" font-family="${FONTS.label}" font-size="${n(labelSize)}" fill="${c}">${escapeXml(f.label)}</text>`;
      if (design.signature) out += `<text x="${n(mm(design.signature.x))}" y="${n(mm(design.signature.y))}" font-family="${FONTS.label}" font-size="${n(labelSize * 0.92)}" fill="${c}">${escapeXml(design.signature.label)}</text>`;
      return out;
    }),
  );

  // --- Photo and ghost image ------------------------------------------------------------------
  const face = faceFromSeed(holder.faceSeed, holder.sex);
  const photoPaint: Record<SynthLight, PortraitPaint> = {
    white: (hex) => [hex, 1],
    'ir-870': (hex) => [carbonPrintIr(hex), 1],
    'uv-365': () => null,
  };
  if (design.photo) {
    const p = design.photo;
    const box = { x: mm(p.x), y: mm(p.y), width: mm(p.width), height: mm(p.width) * PORTRAIT_ASPECT };
    overlay.push((light) => portraitSvg(face, photoPaint[light], { ...box, id: 'photo', backdrop: true }));
    addZone({
      id: 'zone-photo',
      type: 'photo',
      label: 'Holder’s photograph',
      polygon: boxPolygon(box),
      lightSources: ['white', 'ir-870'],
      expectedAppearance: 'Colour portrait printed into the page; under IR 870 nm it remains as a grey image (carbon-bearing black).',
      personalised: true,
    });
    if (design.photoSeal) {
      // Printed over the corner of the photograph, binding it to the page.
      const seal = design.photoSeal;
      overlay.push(rosetteLayer(seal));
      addZone({
        id: 'zone-photo-integration',
        type: 'photo-integration',
        label: 'Guilloche seal over the photograph',
        polygon: circlePolygon(mm(seal.cx), mm(seal.cy), rosetteExtent(rosetteBands(seal).outer) + 3),
        lightSources: ['white'],
        expectedAppearance: 'A small rosette printed across the lower corner of the photograph, its lines continuous from the page onto the photo.',
        personalised: true,
      });
    }
    if (variant.substitutePhoto) {
      const sp = variant.substitutePhoto;
      const other = faceFromSeed(sp.faceSeed, sp.sex);
      const at = { ...box, x: box.x + mm(sp.offsetMm[0]), y: box.y + mm(sp.offsetMm[1]), rotationDeg: sp.rotationDeg };
      // Photographic paper with optical brighteners glows under UV; its dye image is IR-transparent.
      const substitutePaint: Record<SynthLight, PortraitPaint> = {
        white: (hex) => [hex, 1],
        'ir-870': (hex) => [greyHex(PAPER_IR + 14 - 30 * (1 - luminance(hex)) ** 2), 1],
        'uv-365': (hex) => [mixColour('#8d93e0', '#1a1838', (1 - luminance(hex)) * 0.8), 1],
      };
      overlay.push((light) => {
        const edge = light === 'white' ? `<g transform="translate(${n(at.x)} ${n(at.y)}) rotate(${n(sp.rotationDeg)} ${n(box.width / 2)} ${n(box.height / 2)})"><rect x="-1.5" y="-1.5" width="${n(box.width + 3)}" height="${n(box.height + 3)}" fill="none" stroke="#6e6a66" stroke-opacity="0.55" stroke-width="2"/></g>` : '';
        return portraitSvg(other, substitutePaint[light], { ...at, id: 'substitute', backdrop: true }) + edge;
      });
      const corners = (b: typeof at): Point[] => {
        const c = [b.x + b.width / 2, b.y + b.height / 2];
        const t = ((b.rotationDeg ?? 0) * Math.PI) / 180;
        return rectPolygon(b.x, b.y, b.width, b.height).map(([x, y]): Point => {
          const dx = x - c[0]!;
          const dy = y - c[1]!;
          return [c[0]! + dx * Math.cos(t) - dy * Math.sin(t), c[1]! + dx * Math.sin(t) + dy * Math.cos(t)];
        });
      };
      const region = boxPolygon(boundsOf([...boxPolygon(box), ...corners(at)]), 4);
      addAltered(['white', 'uv-365', 'ir-870'], region, 'Photograph replaced');
    }
  }
  if (design.ghost) {
    const g = design.ghost;
    const box = { x: mm(g.x), y: mm(g.y), width: mm(g.width), height: mm(g.width) * PORTRAIT_ASPECT };
    const ghostPaint: Record<SynthLight, PortraitPaint> = {
      white: (hex) => [pal.ghost, 0.04 + 0.3 * (1 - luminance(hex))],
      'uv-365': (hex) => [mixColour('#3a4a20', '#d8ff8a', 0.25 + 0.75 * (1 - luminance(hex))), 0.85],
      'ir-870': () => null,
    };
    overlay.push((light) => portraitSvg(face, ghostPaint[light], { ...box, id: 'ghost', backdrop: false }));
    addZone({
      id: 'zone-ghost-image',
      type: 'ghost-image',
      label: 'Ghost image',
      polygon: boxPolygon(box),
      lightSources: ['white', 'uv-365'],
      expectedAppearance: 'Faint monochrome repeat of the portrait, same face as the main photograph; fluoresces yellow-green under UV 365 nm.',
      personalised: true,
    });
  }

  // --- Personal data ----------------------------------------------------------------------------
  const alteredHolder: Holder = { ...holder, ...variant.alterFields };
  const forgerInk = variant.alterInk === 'toner' ? FORGER_TONER : FORGER_INK;
  for (const f of design.fields) {
    const x = mm(f.x);
    const baseline = mm(f.y + design.valueGap);
    const value = fieldValue(f.key, holder, design, formatVizDate);
    const forged = variant.alterFields && f.key in variant.alterFields ? fieldValue(f.key, alteredHolder, design, formatVizDate) : undefined;
    const family = variant.substituteFont?.keys.includes(f.key) ? variant.substituteFont.fontFamily : FONTS.value;
    const textEl = (c: string, content: string, dy = 0, scale = 1) =>
      `<text x="${n(x)}" y="${n(baseline + dy)}" font-family="${family}" font-size="${n(valueSize * scale)}" fill="${c}">${escapeXml(content)}</text>`;
    const slot: Box = { x: x - mm(0.5), y: baseline - valueSize * 0.86, width: mm(f.width) + mm(0.5), height: valueSize * 1.12 };
    if (forged === undefined) {
      overlay.push(inkLayer(PERSONALISATION, (c) => textEl(c, value)));
    } else {
      // Chemical erasure leaves a faint stain and makes the sensitised paper fluoresce.
      const w = Math.max(estimateTextWidth(value, valueSize, family), estimateTextWidth(forged, valueSize, family));
      const stain: Box = { x: x - mm(0.8), y: baseline - valueSize * 0.95, width: w + mm(1.6), height: valueSize * 1.3 };
      overlay.push((light) => {
        const rx = n(stain.width / 2);
        const ry = n(stain.height / 2);
        const e = (fill: string, opacity: number) => `<ellipse cx="${n(stain.x + stain.width / 2)}" cy="${n(stain.y + stain.height / 2)}" rx="${rx}" ry="${ry}" fill="${fill}" fill-opacity="${opacity}"/>`;
        if (light === 'white') return e('#c8b27a', 0.1);
        if (light === 'uv-365') return e('#6a70c8', 0.2) + `<rect x="${n(stain.x + mm(0.4))}" y="${n(stain.y + mm(0.3))}" width="${n(stain.width - mm(0.8))}" height="${n(stain.height - mm(0.6))}" rx="${n(mm(0.6))}" fill="#7a80d8" fill-opacity="0.35"/>`;
        return '';
      });
      overlay.push(inkLayer(forgerInk, (c) => textEl(c, forged, mm(0.09), 0.985)));
      addAltered(['white', 'uv-365', 'ir-870'], boxPolygon(stain, 3), `${FIELD_LABEL[f.key]} erased and reprinted`);
    }
    if (variant.substituteFont?.keys.includes(f.key)) {
      const w = Math.max(estimateTextWidth(value, valueSize, family), estimateTextWidth(value, valueSize, FONTS.value));
      addAltered(['white', 'ir-870'], boxPolygon({ x: x - 2, y: baseline - valueSize * 0.86, width: w + mm(0.8), height: valueSize * 1.1 }, 3), `${FIELD_LABEL[f.key]} in a substitute typeface`);
    }
    const zoneType = FIELD_ZONE[f.key];
    if (zoneType && !CONSTANT_FIELDS.has(f.key)) {
      addZone({
        id: `zone-${kebab(f.key)}`,
        type: zoneType,
        label: FIELD_LABEL[f.key],
        polygon: boxPolygon(slot),
        lightSources: ['white', 'ir-870'],
        expectedAppearance: `${FIELD_LABEL[f.key]} printed in ${FONTS.value} with carbon-bearing black: dark under IR 870 nm.`,
        personalised: true,
      });
    }
  }

  // --- Signature ------------------------------------------------------------------------------
  if (design.signature) {
    const s = design.signature;
    const box = { x: mm(s.x), y: mm(s.y) + mm(0.6), width: mm(s.width), height: mm(s.height) };
    const d = signaturePath(holder.signatureSeed, box);
    overlay.push(inkLayer(SIGNATURE_INK, (c) => `<path d="${d}" fill="none" stroke="${c}" stroke-width="${n(Math.max(1.5, mm(0.22)))}" stroke-linecap="round" stroke-linejoin="round"/>`));
    addZone({
      id: 'zone-signature',
      type: 'signature',
      label: 'Holder’s signature',
      polygon: boxPolygon(box, mm(0.6)),
      lightSources: ['white', 'ir-870'],
      expectedAppearance: 'Digitised signature printed in dark blue, IR-absorbing.',
      personalised: true,
    });
  }

  // --- MRZ --------------------------------------------------------------------------------------
  let printedMrz: string[] = [];
  if (design.mrz) {
    const m = design.mrz;
    const original = formatMrz(design, holder);
    printedMrz = [...original];
    const changed: Array<{ line: number; index: number; char: string }> = [];
    if (variant.alterFields) {
      const forgedLines = formatMrz(design, alteredHolder);
      for (const key of Object.keys(variant.alterFields) as Array<keyof typeof MRZ_FIELD_RANGES.TD3>) {
        const [line, first, last] = MRZ_FIELD_RANGES[m.format][key];
        for (let i = first; i <= last; i++) {
          const c = forgedLines[line]![i]!;
          if (c !== original[line]![i]) changed.push({ line, index: i, char: c });
        }
      }
      for (const ch of changed) {
        const l = printedMrz[ch.line]!;
        printedMrz[ch.line] = l.slice(0, ch.index) + ch.char + l.slice(ch.index + 1);
      }
    }
    const pitch = mm(m.pitch);
    const left = mm(m.left);
    const size = mm(m.fontSize);
    const xs = (count: number) => Array.from({ length: count }, (_, i) => left + i * pitch);
    overlay.push(
      inkLayer(PERSONALISATION, (c) =>
        original
          .map((line, li) => {
            // Overtyped characters are drawn by the forger's layer; leave their cells empty here.
            const shown = [...line].map((ch, i) => (changed.some((x) => x.line === li && x.index === i) ? ' ' : ch)).join('');
            return ocrBTextSvg(shown, { x: xs(line.length), y: mm(m.baselines[li]!), fontSize: size, fill: c });
          })
          .join(''),
      ),
    );
    if (changed.length > 0) {
      // The altered area spans the emptied cell and the retyped character, which stands off the grid.
      const cells = changed.map((ch) => ({ x: left + ch.index * pitch - pitch * 0.1, y: mm(m.baselines[ch.line]!) - size * 0.78, width: pitch * (1 + FORGER_SHIFT_PITCH), height: size * 0.9 }));
      overlay.push((light) => {
        if (light !== 'uv-365') return '';
        return cells.map((b) => `<rect x="${n(b.x)}" y="${n(b.y)}" width="${n(b.width)}" height="${n(b.height)}" rx="${n(pitch * 0.2)}" fill="#7a80d8" fill-opacity="0.35"/>`).join('');
      });
      overlay.push(
        inkLayer(forgerInk, (c) =>
          changed.map((ch) => ocrBTextSvg(ch.char, { x: left + (ch.index + FORGER_SHIFT_PITCH) * pitch, y: mm(m.baselines[ch.line]!) + mm(0.07), fontSize: size, fill: c })).join(''),
        ),
      );
      const byLine = new Map<number, Box[]>();
      for (const [i, ch] of changed.entries()) byLine.set(ch.line, [...(byLine.get(ch.line) ?? []), cells[i]!]);
      for (const boxes of byLine.values()) {
        addAltered(['white', 'uv-365', 'ir-870'], boxPolygon(boundsOf(boxes.flatMap((b) => boxPolygon(b))), 4), 'MRZ characters overtyped (check digits not recomputed)');
      }
    }
    const top = mm(m.baselines[0]!) - size * 0.85;
    const bottom = mm(m.baselines[m.baselines.length - 1]!) + size * 0.2;
    const chars = original[0]!.length;
    addZone({
      id: 'zone-mrz',
      type: 'mrz',
      label: `Machine readable zone (${m.format})`,
      polygon: rectPolygon(left - mm(1), top - mm(0.8), chars * pitch + mm(2.5), bottom - top + mm(1.6)),
      lightSources: ['white', 'ir-870'],
      expectedAppearance: 'OCR-B characters at 10 per inch, carbon-bearing: fully dark under IR 870 nm; check digits consistent with the visual zone.',
      personalised: true,
    });
  }

  return {
    width: W,
    height: H,
    cornerRadius: mm(design.cornerRadiusMm),
    paper: { white: pal.paper, 'uv-365': '#17183c', 'ir-870': irGrey(0) },
    background,
    overlay,
    backgroundKey: JSON.stringify([design.id, design.seed, variant.rosette ?? null, !!variant.omitUvEmblem, !!variant.omitUvFibres]),
    zones,
    altered,
    mrz: printedMrz,
  };
}
