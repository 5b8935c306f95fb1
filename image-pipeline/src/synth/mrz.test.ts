import { verifyCheckDigits } from '../mrz/correct';
import { LAYOUTS } from '../mrz/layouts';
import { formatTd1Mrz, formatTd3Mrz, mrzCheckDigit, toMrzName } from './mrz';

// The specimen MRZs printed in ICAO Doc 9303 (parts 4 and 5) are the reference vectors.
const ICAO_TD3 = ['P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<', 'L898902C36UTO7408122F1204159ZE184226B<<<<<10'];
const ICAO_TD1 = ['I<UTOD231458907<<<<<<<<<<<<<<<', '7408122F1204159UTO<<<<<<<<<<<6', 'ERIKSSON<<ANNA<MARIA<<<<<<<<<<'];

describe('MRZ', () => {
  it('computes the 7-3-1 check digits of the ICAO examples', () => {
    expect(mrzCheckDigit('L898902C3')).toBe(6);
    expect(mrzCheckDigit('740812')).toBe(2);
    expect(mrzCheckDigit('120415')).toBe(9);
    expect(mrzCheckDigit('ZE184226B<<<<<')).toBe(1);
    expect(mrzCheckDigit('D23145890')).toBe(7);
  });

  it('composes the ICAO TD3 example byte for byte', () => {
    const lines = formatTd3Mrz({
      documentCode: 'P',
      issuingState: 'UTO',
      surname: 'Eriksson',
      givenNames: 'Anna María',
      documentNumber: 'L898902C3',
      nationality: 'UTO',
      dateOfBirth: '1974-08-12',
      sex: 'F',
      dateOfExpiry: '2012-04-15',
      optionalData: 'ZE184226B',
    });
    expect(lines).toEqual(ICAO_TD3);
  });

  it('composes the ICAO TD1 example byte for byte', () => {
    const lines = formatTd1Mrz({
      documentCode: 'I',
      issuingState: 'UTO',
      surname: 'ERIKSSON',
      givenNames: 'ANNA MARIA',
      documentNumber: 'D23145890',
      nationality: 'UTO',
      dateOfBirth: '1974-08-12',
      sex: 'F',
      dateOfExpiry: '2012-04-15',
    });
    expect(lines).toEqual(ICAO_TD1);
  });

  it('composes MRZs whose every check digit the reader verifies', () => {
    expect(verifyCheckDigits(LAYOUTS.TD3, ICAO_TD3).every((c) => c.valid)).toBe(true);
    expect(verifyCheckDigits(LAYOUTS.TD1, ICAO_TD1).every((c) => c.valid)).toBe(true);
  });

  it('an altered birth date breaks its check digit and the composite', () => {
    const altered = [ICAO_TD3[0]!, ICAO_TD3[1]!.replace('740812', '760812')];
    expect(verifyCheckDigits(LAYOUTS.TD3, altered).filter((c) => !c.valid).map((c) => c.name)).toEqual(['birthDate', 'composite']);
  });

  it('transliterates and truncates names to the field length', () => {
    expect(toMrzName("D'Artagnan-Ruíz", 'José Luis', 30)).toBe('DARTAGNAN<RUIZ<<JOSE<LUIS<<<<<');
    expect(toMrzName('Abcdefghijklmnopqrstuvwxyz', 'Abcdefgh', 30)).toHaveLength(30);
  });

});
