/**
 * The document designs of the demo library, as data: page size and
 * resolution, where each element sits (millimetres from the top-left corner
 * of the page), inks and the parameters of the security printing. The
 * composer (compose.ts) turns a design, a holder and an optional fraud
 * variant into a scene.
 */
import type { Holder } from './holders';

export type MrzFormat = 'TD1' | 'TD3';
export type DesignPage = 'data-page' | 'front' | 'back';

/** Holder data a field shows; documentCode and issuingState are constants of the design. */
export type FieldKey =
  | 'documentCode'
  | 'issuingState'
  | 'documentNumber'
  | 'surname'
  | 'givenNames'
  | 'nationality'
  | 'dateOfBirth'
  | 'personalNumber'
  | 'sex'
  | 'placeOfBirth'
  | 'dateOfIssue'
  | 'authority'
  | 'dateOfExpiry'
  | 'address'
  | 'height'
  | 'permitType'
  | 'remarks';

export interface FieldSpec {
  key: FieldKey;
  /** Pre-printed label (bilingual, as on ICAO documents). */
  label: string;
  /** Left edge and label baseline, mm. */
  x: number;
  y: number;
  /** Width of the slot the value may occupy, mm (the personalised zone). */
  width: number;
}

/** Rosette parameters in mm (angles in radians); see guilloche.ts. */
export interface RosetteSpec {
  cx: number;
  cy: number;
  radius: number;
  amplitude: number;
  lobes: number;
  harmonic: number;
  harmonicAmplitude: number;
  strands: number;
  twist: number;
  /** Line width, mm. */
  line: number;
  colour: string;
}

export interface BoxMm {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface DocumentDesign {
  /** Stable id, also the seed namespace: "<model>/<page>". */
  id: string;
  /** What the design belongs to, for titles: "Utopia passport, 2019 series". */
  model: string;
  page: DesignPage;
  documentCode: string;
  issuingState: string;
  widthMm: number;
  heightMm: number;
  dpi: number;
  cornerRadiusMm: number;
  seed: number;
  palette: {
    paper: string;
    /** Colour stops of the rainbow (iris) printed background, left to right. */
    rainbow: string[];
    /** Fluorescence of the fluorescent rainbow lines under UV, left to right. */
    uvRainbow: string[];
    guilloche: string;
    frame: string;
    accent: string;
    label: string;
    mrzTint: string;
    ghost: string;
    uvEmblem: [string, string];
  };
  header: { state: string; title: string; x: number; stateY: number; titleY: number; stateSize: number; titleSize: number };
  /** Coat of arms in the header, printed with a metameric ink pair (its star absorbs IR). */
  arms: { cx: number; cy: number; size: number };
  photo?: BoxMm;
  ghost?: BoxMm;
  signature?: BoxMm & { label: string };
  fields: FieldSpec[];
  /** Nationality in the visual zone: "UTOPIAN / UTO" on passports, the code alone where space is short. */
  nationalityStyle: 'text-and-code' | 'code';
  labelSize: number;
  valueSize: number;
  valueGap: number;
  waves: { top: number; bottom: number; spacing: number; amplitude: number; wavelength: number; phaseStep: number };
  rosettes: RosetteSpec[];
  /** Small rosette printed over the photograph's corner (photo integration). */
  photoSeal?: RosetteSpec;
  uvEmblem?: { cx: number; cy: number; r: number };
  fibres: number;
  microprint?: { y: number; x0: number; x1: number; text: string; size: number };
  mrz?: { format: MrzFormat; left: number; baselines: number[]; pitch: number; fontSize: number; clearTop: number };
}

/** Pixels per millimetre of a design. */
export function pxPerMm(design: DocumentDesign): number {
  return design.dpi / 25.4;
}

export function designSizePx(design: DocumentDesign): { width: number; height: number } {
  const k = pxPerMm(design);
  return { width: Math.round(design.widthMm * k), height: Math.round(design.heightMm * k) };
}

const PASSPORT_PALETTE: DocumentDesign['palette'] = {
  paper: '#f5f1e6',
  rainbow: ['#e7a9bd', '#eccf96', '#b9d9a6', '#9fc3e3', '#c3a9df'],
  uvRainbow: ['#4cff7a', '#d8ff3c', '#ffb030'],
  guilloche: '#3f7f8c',
  frame: '#8a5c8f',
  accent: '#1f3566',
  label: '#3d4f86',
  mrzTint: '#dbe6f0',
  ghost: '#6a5040',
  uvEmblem: ['#ff6a3d', '#c8ff4a'],
};

export const UTOPIA_PASSPORT_2019: DocumentDesign = {
  id: 'uto-passport-2019/data-page',
  model: 'Utopia passport, 2019 series',
  page: 'data-page',
  documentCode: 'P',
  issuingState: 'UTO',
  widthMm: 125,
  heightMm: 88,
  dpi: 400,
  cornerRadiusMm: 0,
  seed: 2019,
  palette: PASSPORT_PALETTE,
  header: { state: 'REPUBLIC OF UTOPIA · RÉPUBLIQUE D’UTOPIE', title: 'PASSPORT · PASSEPORT', x: 42, stateY: 7.2, titleY: 11.6, stateSize: 2.45, titleSize: 2.3 },
  arms: { cx: 20.5, cy: 7.2, size: 9 },
  photo: { x: 5.5, y: 15, width: 31, height: 39.7 },
  ghost: { x: 101, y: 31, width: 17, height: 21.8 },
  signature: { x: 6, y: 58, width: 30, height: 6.2, label: 'Holder’s signature / Signature du titulaire' },
  fields: [
    { key: 'documentCode', label: 'Type / Type', x: 42, y: 16, width: 14 },
    { key: 'issuingState', label: 'Code / Code', x: 58, y: 16, width: 16 },
    { key: 'documentNumber', label: 'Passport No. / N° de passeport', x: 82, y: 16, width: 38 },
    { key: 'surname', label: 'Surname / Nom', x: 42, y: 22.2, width: 76 },
    { key: 'givenNames', label: 'Given names / Prénoms', x: 42, y: 28.4, width: 56 },
    { key: 'nationality', label: 'Nationality / Nationalité', x: 42, y: 34.6, width: 40 },
    { key: 'dateOfBirth', label: 'Date of birth / Date de naissance', x: 42, y: 40.8, width: 28 },
    { key: 'personalNumber', label: 'Personal No. / N° personnel', x: 72, y: 40.8, width: 27 },
    { key: 'sex', label: 'Sex / Sexe', x: 42, y: 47, width: 12 },
    { key: 'placeOfBirth', label: 'Place of birth / Lieu de naissance', x: 58, y: 47, width: 40 },
    { key: 'dateOfIssue', label: 'Date of issue / Date de délivrance', x: 42, y: 53.2, width: 28 },
    { key: 'authority', label: 'Authority / Autorité', x: 72, y: 53.2, width: 48 },
    { key: 'dateOfExpiry', label: 'Date of expiry / Date d’expiration', x: 42, y: 59.4, width: 28 },
  ],
  nationalityStyle: 'text-and-code',
  labelSize: 1.45,
  valueSize: 2.85,
  valueGap: 3.7,
  waves: { top: 0, bottom: 64.8, spacing: 0.9, amplitude: 1.6, wavelength: 21, phaseStep: 0.21 },
  rosettes: [
    { cx: 96, cy: 38, radius: 16, amplitude: 3.5, lobes: 9, harmonic: 27, harmonicAmplitude: 0.6, strands: 36, twist: 0.35, line: 0.07, colour: '#3f7f8c' },
  ],
  photoSeal: { cx: 34.5, cy: 52.5, radius: 4.2, amplitude: 0.8, lobes: 7, harmonic: 21, harmonicAmplitude: 0.25, strands: 18, twist: 0.4, line: 0.06, colour: '#8a5c8f' },
  uvEmblem: { cx: 72, cy: 38, r: 14 },
  fibres: 140,
  microprint: { y: 65.6, x0: 5, x1: 120, text: 'REPUBLICOFUTOPIA', size: 0.55 },
  mrz: { format: 'TD3', left: 6.6, baselines: [77.2, 82.4], pitch: 2.54, fontSize: 3.55, clearTop: 66.6 },
};

const CARD_FIELDS_LAYOUT = { labelSize: 1.35, valueSize: 2.55, valueGap: 3.35 } as const;

export const UTOPIA_ID_CARD_2021_FRONT: DocumentDesign = {
  id: 'uto-id-card-2021/front',
  model: 'Utopia identity card, 2021 series',
  page: 'front',
  documentCode: 'ID',
  issuingState: 'UTO',
  widthMm: 85.6,
  heightMm: 54,
  dpi: 500,
  cornerRadiusMm: 3.18,
  seed: 2021,
  palette: {
    ...PASSPORT_PALETTE,
    paper: '#f3f2ec',
    rainbow: ['#a9c6e7', '#bfe0d0', '#efe2a5', '#ebb9a4', '#c9b3e0'],
    guilloche: '#3d6aa6',
    frame: '#5b8a6e',
    accent: '#17365f',
    label: '#2f5a8a',
  },
  header: { state: 'REPUBLIC OF UTOPIA', title: 'IDENTITY CARD · CARTE D’IDENTITÉ', x: 15, stateY: 5.4, titleY: 8.8, stateSize: 2.6, titleSize: 1.9 },
  arms: { cx: 8, cy: 5.6, size: 7.5 },
  photo: { x: 4, y: 12, width: 21, height: 26.9 },
  ghost: { x: 67.5, y: 31.5, width: 13, height: 16.6 },
  signature: { x: 28, y: 40.6, width: 30, height: 7, label: 'Signature / Signature' },
  fields: [
    { key: 'surname', label: 'Surname / Nom', x: 28, y: 13.4, width: 54 },
    { key: 'givenNames', label: 'Given names / Prénoms', x: 28, y: 20, width: 54 },
    { key: 'sex', label: 'Sex / Sexe', x: 28, y: 26.6, width: 8 },
    { key: 'nationality', label: 'Nationality / Nationalité', x: 37, y: 26.6, width: 17 },
    { key: 'dateOfBirth', label: 'Date of birth / Date de naissance', x: 56, y: 26.6, width: 25 },
    { key: 'documentNumber', label: 'Document No. / N° du document', x: 28, y: 33.2, width: 26 },
    { key: 'dateOfExpiry', label: 'Date of expiry / Date d’expiration', x: 56, y: 33.2, width: 25 },
  ],
  nationalityStyle: 'code',
  ...CARD_FIELDS_LAYOUT,
  waves: { top: 0, bottom: 54, spacing: 0.8, amplitude: 1.2, wavelength: 16, phaseStep: 0.27 },
  rosettes: [
    { cx: 66, cy: 22, radius: 11, amplitude: 1.5, lobes: 14, harmonic: 28, harmonicAmplitude: 0.8, strands: 24, twist: 0.13, line: 0.06, colour: '#3d6aa6' },
  ],
  photoSeal: { cx: 23.6, cy: 37, radius: 3.1, amplitude: 0.6, lobes: 7, harmonic: 21, harmonicAmplitude: 0.2, strands: 16, twist: 0.4, line: 0.05, colour: '#5b8a6e' },
  uvEmblem: { cx: 46, cy: 29, r: 11 },
  fibres: 90,
  microprint: { y: 10.6, x0: 4, x1: 81.6, text: 'UTOPIAIDENTITYCARD', size: 0.5 },
};

export const UTOPIA_ID_CARD_2021_BACK: DocumentDesign = {
  ...UTOPIA_ID_CARD_2021_FRONT,
  id: 'uto-id-card-2021/back',
  page: 'back',
  seed: 2022,
  header: { ...UTOPIA_ID_CARD_2021_FRONT.header, state: 'REPUBLIC OF UTOPIA', title: 'IDENTITY CARD · CARTE D’IDENTITÉ', x: 15, stateY: 5.4, titleY: 8.8 },
  photo: undefined,
  photoSeal: undefined,
  ghost: undefined,
  signature: undefined,
  fields: [
    { key: 'address', label: 'Address / Adresse', x: 4, y: 12.4, width: 62 },
    { key: 'placeOfBirth', label: 'Place of birth / Lieu de naissance', x: 4, y: 18.6, width: 34 },
    { key: 'height', label: 'Height / Taille', x: 42, y: 18.6, width: 16 },
    { key: 'dateOfIssue', label: 'Date of issue / Date de délivrance', x: 4, y: 24.8, width: 25 },
    { key: 'authority', label: 'Authority / Autorité', x: 31, y: 24.8, width: 36 },
    { key: 'personalNumber', label: 'Personal No. / N° personnel', x: 4, y: 31, width: 26 },
  ],
  rosettes: [
    { cx: 74, cy: 19, radius: 8.5, amplitude: 1.6, lobes: 12, harmonic: 5, harmonicAmplitude: 1.4, strands: 30, twist: 0.1, line: 0.06, colour: '#5b8a6e' },
  ],
  uvEmblem: undefined,
  waves: { top: 0, bottom: 36, spacing: 0.8, amplitude: 1.2, wavelength: 16, phaseStep: 0.27 },
  microprint: { y: 36.9, x0: 4, x1: 81.6, text: 'UTOPIAIDENTITYCARD', size: 0.5 },
  mrz: { format: 'TD1', left: 4.7, baselines: [41.6, 46.2, 50.8], pitch: 2.54, fontSize: 3.55, clearTop: 37.6 },
};

const PERMIT_PALETTE: DocumentDesign['palette'] = {
  ...PASSPORT_PALETTE,
  paper: '#f1f3ea',
  rainbow: ['#b6dcc4', '#e8e3a2', '#f0c0a0', '#d6b4d8', '#a9cbe4'],
  uvRainbow: ['#5ad8ff', '#4cff9a', '#e4ff40'],
  guilloche: '#3d7a4e',
  frame: '#a0683c',
  accent: '#1f4a33',
  label: '#2f6a48',
  uvEmblem: ['#ffd23a', '#ff5ab4'],
};

export const UTOPIA_RESIDENCE_PERMIT_2020_FRONT: DocumentDesign = {
  ...UTOPIA_ID_CARD_2021_FRONT,
  id: 'uto-residence-permit-2020/front',
  model: 'Utopia residence permit, 2020 series',
  documentCode: 'IR',
  seed: 2020,
  palette: PERMIT_PALETTE,
  header: { state: 'REPUBLIC OF UTOPIA', title: 'RESIDENCE PERMIT · TITRE DE SÉJOUR', x: 15, stateY: 5.4, titleY: 8.8, stateSize: 2.6, titleSize: 1.9 },
  fields: [
    { key: 'surname', label: 'Surname / Nom', x: 28, y: 13.4, width: 54 },
    { key: 'givenNames', label: 'Given names / Prénoms', x: 28, y: 20, width: 54 },
    { key: 'permitType', label: 'Type of permit / Type de titre', x: 28, y: 26.6, width: 38 },
    { key: 'sex', label: 'Sex / Sexe', x: 70, y: 26.6, width: 8 },
    { key: 'nationality', label: 'Nationality / Nationalité', x: 28, y: 33.2, width: 12 },
    { key: 'dateOfBirth', label: 'Date of birth / Date de naissance', x: 45, y: 33.2, width: 24 },
    { key: 'dateOfExpiry', label: 'Valid until / Valable jusqu’au', x: 63, y: 39.8, width: 20 },
  ],
  rosettes: [
    { cx: 68, cy: 21, radius: 10, amplitude: 2.2, lobes: 8, harmonic: 24, harmonicAmplitude: 0.5, strands: 30, twist: 0.35, line: 0.06, colour: '#3d7a4e' },
  ],
  uvEmblem: { cx: 48, cy: 27, r: 10.5 },
  microprint: { y: 10.6, x0: 4, x1: 81.6, text: 'UTOPIARESIDENCEPERMIT', size: 0.5 },
};

export const UTOPIA_RESIDENCE_PERMIT_2020_BACK: DocumentDesign = {
  ...UTOPIA_ID_CARD_2021_BACK,
  id: 'uto-residence-permit-2020/back',
  model: 'Utopia residence permit, 2020 series',
  documentCode: 'IR',
  seed: 2023,
  palette: PERMIT_PALETTE,
  header: { ...UTOPIA_RESIDENCE_PERMIT_2020_FRONT.header },
  fields: [
    { key: 'documentNumber', label: 'Document No. / N° du document', x: 4, y: 12.4, width: 27 },
    { key: 'placeOfBirth', label: 'Place of birth / Lieu de naissance', x: 34, y: 12.4, width: 30 },
    { key: 'address', label: 'Address / Adresse', x: 4, y: 18.6, width: 62 },
    { key: 'dateOfIssue', label: 'Date of issue / Date de délivrance', x: 4, y: 24.8, width: 25 },
    { key: 'authority', label: 'Authority / Autorité', x: 31, y: 24.8, width: 36 },
    { key: 'remarks', label: 'Remarks / Mentions', x: 4, y: 31, width: 62 },
  ],
  rosettes: [
    { cx: 75, cy: 20, radius: 8, amplitude: 1.3, lobes: 16, harmonic: 6, harmonicAmplitude: 1.2, strands: 30, twist: 0.12, line: 0.06, colour: '#a0683c' },
  ],
  microprint: { y: 36.9, x0: 4, x1: 81.6, text: 'UTOPIARESIDENCEPERMIT', size: 0.5 },
};

/** Fields whose value the design prints but which do not depend on the holder. */
export const CONSTANT_FIELDS: ReadonlySet<FieldKey> = new Set(['documentCode', 'issuingState']);

export function fieldValue(key: FieldKey, holder: Holder, design: DocumentDesign, formatDate: (iso: string) => string): string {
  switch (key) {
    case 'documentCode':
      return design.documentCode;
    case 'issuingState':
      return design.issuingState;
    case 'nationality':
      return design.nationalityStyle === 'code' ? holder.nationality : `${holder.nationalityText} / ${holder.nationality}`;
    case 'dateOfBirth':
    case 'dateOfIssue':
    case 'dateOfExpiry':
      return formatDate(holder[key]);
    default:
      return holder[key] ?? '';
  }
}
