/** Fictional holders of the demo documents (Utopia after Thomas More: capital Amaurot on the river Anyder). */
import type { MrzSex } from './mrz';

export interface Holder {
  surname: string;
  givenNames: string;
  sex: MrzSex;
  /** ICAO nationality code. */
  nationality: string;
  /** Nationality as printed in the visual zone. */
  nationalityText: string;
  /** ISO dates YYYY-MM-DD. */
  dateOfBirth: string;
  placeOfBirth: string;
  documentNumber: string;
  dateOfIssue: string;
  dateOfExpiry: string;
  personalNumber?: string;
  authority: string;
  address?: string;
  height?: string;
  permitType?: string;
  remarks?: string;
  /** Seed of the synthetic portrait. */
  faceSeed: number;
  /** Seed of the signature stroke. */
  signatureSeed: number;
}

export const HOLDERS = {
  passportA: {
    surname: 'LINDQVIST',
    givenNames: 'ASTRID ELENA',
    sex: 'F',
    nationality: 'UTO',
    nationalityText: 'UTOPIAN',
    dateOfBirth: '1987-03-14',
    placeOfBirth: 'AMAUROT',
    documentNumber: 'U23C41897',
    dateOfIssue: '2021-06-02',
    dateOfExpiry: '2031-06-01',
    personalNumber: '870314T2205',
    authority: 'MINISTRY OF INTERIOR',
    faceSeed: 7,
    signatureSeed: 101,
  },
  passportB: {
    surname: 'OKONKWO BERG',
    givenNames: 'DANIEL JONAS',
    sex: 'M',
    nationality: 'UTO',
    nationalityText: 'UTOPIAN',
    dateOfBirth: '1979-11-27',
    placeOfBirth: 'ANYDER VALLEY',
    documentNumber: 'U27H80314',
    dateOfIssue: '2022-01-18',
    dateOfExpiry: '2032-01-17',
    personalNumber: '791127K8841',
    authority: 'MINISTRY OF INTERIOR',
    faceSeed: 8,
    signatureSeed: 202,
  },
  idCard: {
    surname: 'MARTINEZ SOLER',
    givenNames: 'LUCIA',
    sex: 'F',
    nationality: 'UTO',
    nationalityText: 'UTOPIAN',
    dateOfBirth: '1994-07-09',
    placeOfBirth: 'NEW ABRAXA',
    documentNumber: 'ID7T27451',
    dateOfIssue: '2022-09-15',
    dateOfExpiry: '2032-09-14',
    personalNumber: '940709H1178',
    authority: 'CITY OF AMAUROT',
    address: '14 ANYDER QUAY, AMAUROT',
    height: '168 CM',
    faceSeed: 6,
    signatureSeed: 303,
  },
  residencePermit: {
    surname: 'HASSANI',
    givenNames: 'YUSUF KAREEM',
    sex: 'M',
    nationality: 'XXA',
    nationalityText: 'STATELESS',
    dateOfBirth: '1990-02-21',
    placeOfBirth: 'UNKNOWN',
    documentNumber: 'RP0K58823',
    dateOfIssue: '2023-04-03',
    dateOfExpiry: '2028-04-02',
    authority: 'IMMIGRATION OFFICE',
    address: '7 HYTHLODAY ROW, AMAUROT',
    permitType: 'LONG-TERM RESIDENT',
    remarks: 'EMPLOYMENT PERMITTED',
    faceSeed: 12,
    signatureSeed: 404,
  },
  /** Face of the impostor whose photo is glued into the photo-substitution forgery. */
  impostor: {
    surname: 'NOWAK',
    givenNames: 'IRENA',
    sex: 'F',
    nationality: 'UTO',
    nationalityText: 'UTOPIAN',
    dateOfBirth: '1985-05-30',
    placeOfBirth: 'AMAUROT',
    documentNumber: 'U20A00000',
    dateOfIssue: '2021-01-01',
    dateOfExpiry: '2031-01-01',
    authority: 'MINISTRY OF INTERIOR',
    faceSeed: 8,
    signatureSeed: 505,
  },
} as const satisfies Record<string, Holder>;

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];

/** "14 MAR 1987": the visual-zone date format of the Utopian documents. */
export function formatVizDate(iso: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (!m) throw new RangeError(`not an ISO date: ${iso}`);
  return `${m[3]} ${MONTHS[Number(m[2]) - 1]} ${m[1]}`;
}
