/**
 * Machine readable zones: reading them from images (OCR-B templates with
 * check-digit-driven correction) and the ICAO check digit. Parsing fields is
 * the server's job (the `mrz` package).
 */
export { computeMrzCheckDigit, isValidMrzCheckDigit, mrzCharValue, MRZ_ALPHABET, MRZ_FILLER } from './check-digit';
export { LAYOUTS as MRZ_LAYOUTS, formatsFor as mrzFormatsFor } from './layouts';
export type { CheckGroup as MrzCheckGroup, CheckName as MrzCheckName, MrzFormat as MrzDocumentFormat, MrzLayout } from './layouts';
export { checkMrzLines, correctMrz, checkDigitDetails as mrzCheckDigitDetails, verifyCheckDigits as verifyMrzCheckDigits, DEFAULT_CORRECTION_OPTIONS as DEFAULT_MRZ_CORRECTION_OPTIONS } from './correct';
export type { CharCandidate as MrzCharCandidate, CheckDetail as MrzCheckDetail, CheckResult as MrzCheckResult, Correction as MrzCorrection, CorrectionOptions as MrzCorrectionOptions } from './correct';
export { glyphTemplates as mrzGlyphTemplates } from './glyph-templates';
export { ocrBTextSvg, type OcrBTextOptions } from './ocr-b-svg';
export type { GlyphTemplates as MrzGlyphTemplates } from './glyphs';
export { readMrzFromGrey } from './read';
export type { MrzImageReading, MrzReadOptions, MrzReadResult } from './read';
export { readMrzFromFile, MRZ_READ_LONG_EDGE } from './read-file';
export type { MrzFileOptions } from './read-file';
export { createMrzReader, isMrzReaderError, MrzReaderError, MRZ_WORKER_FILE } from './reader';
export type { MrzReader, MrzReaderErrorCode, MrzReaderOptions } from './reader';
export { renderMrzImage } from './render-mrz';
export type { RenderMrzOptions } from './render-mrz';
