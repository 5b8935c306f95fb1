/**
 * What the automatic register check reads from an MRZ: the issuing state
 * from the line itself (the `mrz` package nulls codes it does not know, such
 * as the specimen state UTO), the document number normalised — including a
 * TD1 long number continued in the optional data — and CSV parsing rules.
 */
import { parseMrz } from './mrz.service';
import { documentOfMrz, normaliseDocumentNumber, parseRegisterCsv } from './register.service';

describe('documentOfMrz', () => {
  it('TD3 of the specimen state UTO', () => {
    const parse = parseMrz(['P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<', 'L898902C36UTO7408122F1204159ZE184226B<<<<<10']);
    expect(documentOfMrz(parse)).toEqual({ issuingState: 'UTO', documentCode: 'P', documentNumber: 'L898902C3' });
  });

  it('TD1 with a long document number continued in the optional data', () => {
    const parse = parseMrz(['I<UTOD23145890<7349<<<<<<<<<<<', '3407127M9507122UTO<<<<<<<<<<<2', 'STEVENSON<<PETER<JOHN<<<<<<<<<']);
    expect(documentOfMrz(parse)).toEqual({ issuingState: 'UTO', documentCode: 'I', documentNumber: 'D23145890734' });
  });

  it('a one-letter state code (D) padded with fillers', () => {
    const parse = parseMrz(['P<D<<MUSTERMANN<<ERIKA<<<<<<<<<<<<<<<<<<<<<<', 'C01X00T478D<<6408125F2702283<<<<<<<<<<<<<<<4']);
    expect(documentOfMrz(parse)).toMatchObject({ issuingState: 'D', documentNumber: 'C01X00T47' });
  });
});

it('normaliseDocumentNumber removes spaces and fillers and upper-cases', () => {
  expect(normaliseDocumentNumber(' ab 12<3c\t')).toBe('AB123C');
});

describe('parseRegisterCsv', () => {
  it('reads quoted cells, a BOM and CRLF, leaves empty cells out and numbers rows by line', () => {
    const rows = parseRegisterCsv('\uFEFFissuingState,documentNumber,status,source,notes\r\nUTO,A1,lost,"MFA, consular",\r\n\r\nUTO,A2,stolen,police,"two\r\nlines"\r\n');
    expect(rows).toEqual([
      { row: 2, values: { issuingState: 'UTO', documentNumber: 'A1', status: 'lost', source: 'MFA, consular' } },
      { row: 5, values: { issuingState: 'UTO', documentNumber: 'A2', status: 'stolen', source: 'police', notes: 'two\r\nlines' } },
    ]);
  });

  it('refuses a ragged file as a whole', () => {
    expect(() => parseRegisterCsv('issuingState,documentNumber,status,source\nUTO,A1,lost\n')).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
  });
});
