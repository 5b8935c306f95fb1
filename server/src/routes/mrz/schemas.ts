/**
 * Request and response schemas of the MRZ routes. The response schemas also
 * drive serialisation: nothing the service returns beyond them leaves.
 */
import { MRZ_CHECK_NAMES, MRZ_FORMATS } from '../../services/mrz.service';

const format = { enum: [...MRZ_FORMATS], description: 'TD1 (card, 3 × 30), TD2 (card, 2 × 36), TD3 (passport, 2 × 44), MRVA (visa, 2 × 44), MRVB (visa, 2 × 36)' } as const;

export const mrzParseBody = {
  type: 'object',
  required: ['lines'],
  additionalProperties: false,
  properties: {
    lines: {
      type: 'array',
      minItems: 2,
      maxItems: 3,
      items: { type: 'string', minLength: 1, maxLength: 64 },
      description: 'The MRZ lines as printed (A–Z, 0–9, <): 3 × 30, 2 × 36 or 2 × 44 characters.',
    },
    autocorrect: { type: 'boolean', description: 'Fix OCR confusions (O/0, I/1, B/8, S/5, Z/2, G/6) where a field allows only letters or only digits.' },
  },
} as const;

export interface MrzParseBody {
  lines: string[];
  autocorrect?: boolean;
}

const position = {
  line: { type: 'integer', minimum: 0 },
  start: { type: 'integer', minimum: 0 },
  end: { type: 'integer', minimum: 0 },
} as const;

export const mrzParseResultSchema = {
  type: 'object',
  description: 'Parse by the `mrz` package. A check key is present only where the format has that check digit.',
  required: ['format', 'valid', 'checkDigitsValid', 'fields', 'checks', 'errors', 'autocorrected', 'lines'],
  additionalProperties: false,
  properties: {
    format,
    valid: { type: 'boolean', description: 'Every field valid (real ISO/ICAO state codes, dates, sex) and every check digit holds.' },
    checkDigitsValid: { type: 'boolean', description: 'Every check digit of the format holds.' },
    fields: {
      type: 'object',
      description: 'Field values of the `mrz` package (null where invalid); visas: optionalData.',
      additionalProperties: { type: ['string', 'null'] },
    },
    checks: {
      type: 'object',
      additionalProperties: false,
      properties: Object.fromEntries(MRZ_CHECK_NAMES.map((n) => [n, { type: 'boolean' }])),
    },
    documentNumberRules: {
      type: 'object',
      description: 'TD1 document number continued in the optional data: the check digit with the filler at position 15 excluded (ICAO) and included.',
      required: ['icao', 'includingFiller'],
      additionalProperties: false,
      properties: { icao: { type: 'boolean' }, includingFiller: { type: 'boolean' } },
    },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        required: ['field', 'message', 'line', 'start', 'end'],
        additionalProperties: false,
        properties: { field: { type: 'string' }, message: { type: 'string' }, ...position },
      },
    },
    autocorrected: {
      type: 'array',
      items: {
        type: 'object',
        required: ['line', 'column', 'original', 'corrected'],
        additionalProperties: false,
        properties: { line: { type: 'integer' }, column: { type: 'integer' }, original: { type: 'string' }, corrected: { type: 'string' } },
      },
    },
    lines: { type: 'array', items: { type: 'string' }, description: 'The lines as parsed, autocorrections applied.' },
  },
} as const;

const point = { type: 'array', items: { type: 'number' }, minItems: 2, maxItems: 2 } as const;

const mrzReadingSchema = {
  type: 'object',
  description: 'What the reader saw, before parsing.',
  required: ['format', 'lines', 'rawLines', 'confidence', 'alternatives', 'corrections', 'checks', 'checkDigitsValid', 'documentNumberRule', 'meanConfidence', 'minConfidence', 'misaligned', 'quad', 'angleDeg'],
  additionalProperties: false,
  properties: {
    format,
    lines: { type: 'array', items: { type: 'string' }, description: 'After check-digit-driven correction.' },
    rawLines: { type: 'array', items: { type: 'string' }, description: 'The best-matching glyph of every position, before correction.' },
    confidence: { type: 'array', items: { type: 'array', items: { type: 'number', minimum: 0, maximum: 1 } }, description: 'Per line, per character: match score of the chosen glyph.' },
    alternatives: {
      type: 'array',
      description: 'Per line, per character: the three best glyphs.',
      items: {
        type: 'array',
        items: {
          type: 'array',
          items: { type: 'object', required: ['char', 'score'], additionalProperties: false, properties: { char: { type: 'string' }, score: { type: 'number' } } },
        },
      },
    },
    corrections: {
      type: 'array',
      items: {
        type: 'object',
        required: ['line', 'column', 'from', 'to', 'scoreLoss'],
        additionalProperties: false,
        properties: { line: { type: 'integer' }, column: { type: 'integer' }, from: { type: 'string' }, to: { type: 'string' }, scoreLoss: { type: 'number' } },
      },
    },
    checks: {
      type: 'array',
      items: { type: 'object', required: ['name', 'valid'], additionalProperties: false, properties: { name: { enum: [...MRZ_CHECK_NAMES] }, valid: { type: 'boolean' } } },
    },
    checkDigitsValid: { type: 'boolean' },
    documentNumberRule: { enum: ['standard', 'long-icao', 'long-including-filler'] },
    meanConfidence: { type: 'number' },
    minConfidence: { type: 'number' },
    misaligned: {
      type: 'array',
      description: 'Characters out of line with their row (shift in pitches, forward and down): what an overtyped or pasted-in character looks like.',
      items: {
        type: 'object',
        required: ['line', 'column', 'dx', 'dy'],
        additionalProperties: false,
        properties: { line: { type: 'integer' }, column: { type: 'integer' }, dx: { type: 'number' }, dy: { type: 'number' } },
      },
    },
    quad: { type: 'array', items: point, minItems: 4, maxItems: 4, description: 'Corners of the MRZ in the uploaded image (pixels of the upright image): top-left, top-right, bottom-right, bottom-left of the text.' },
    angleDeg: { type: 'number', description: 'Direction of the text rows, degrees clockwise (about 180 when upside down).' },
  },
} as const;

export const mrzReadResultSchema = {
  type: 'object',
  required: ['found', 'reading', 'parse', 'elapsedMs'],
  additionalProperties: false,
  properties: {
    found: { type: 'boolean', description: 'An MRZ was found and read with enough confidence to report.' },
    reading: { anyOf: [{ type: 'null' }, mrzReadingSchema] },
    parse: { anyOf: [{ type: 'null' }, mrzParseResultSchema], description: 'The reading parsed like typed lines.' },
    elapsedMs: { type: 'integer', minimum: 0 },
  },
} as const;
