/**
 * `exemplar mrz LINE1 LINE2 [LINE3] [--json] [--autocorrect]` parses and
 * validates typed MRZ lines; `exemplar mrz --image FILE` reads the MRZ from
 * an image first. Exit codes (so that scripts can tell a bad document from a
 * bad call): 0 the MRZ is valid; 2 it was parsed but is not valid (a check
 * digit, a date, a state code); 3 no MRZ was found in the image; 1 anything
 * else (usage, input that is not MRZ lines, an unreadable image).
 */
import type { Command } from 'commander';
import { ExemplarError } from '../errors';
import { MrzService, type MrzImageResult, type MrzParseResult } from '../services/mrz.service';
import { CliExit, processIo, type CliIo } from './output';
import { CLI_ACTOR } from './with-context';

export const MRZ_EXIT = { valid: 0, invalid: 2, notFound: 3 } as const;

const FORMAT_NAMES: Record<MrzParseResult['format'], string> = {
  TD1: 'TD1 (card, 3 × 30)',
  TD2: 'TD2 (card, 2 × 36)',
  TD3: 'TD3 (passport, 2 × 44)',
  MRVA: 'MRV-A (visa, 2 × 44)',
  MRVB: 'MRV-B (visa, 2 × 36)',
};

const HELP = `
Exit codes: 0 valid; 2 parsed but not valid (see "valid" and "errors"); 3 no MRZ found in the image; 1 usage or input error.

Examples:
  exemplar mrz 'P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<' 'L898902C36UTO7408122F1204159ZE184226B<<<<<10' --json
  exemplar mrz "$(cat mrz.txt)"            (one argument holding the lines, one per line)
  exemplar mrz --image passport.jpg        (find the MRZ in a photo or scan, read it, then parse it)

JSON: { format, valid, checkDigitsValid, fields, checks: { documentNumber, birthDate, expirationDate, personalNumber, composite }, errors, … };
a check key is present only where the format has that check digit. With --image: also "found" and "reading" (lines, per-character confidence, corrections).`;

function table(rows: readonly (readonly [string, string])[]): string {
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join('\n');
}

export function formatParseResult(r: MrzParseResult): string {
  const errorOf = new Map(r.errors.map((e) => [e.field, e.message]));
  const out: string[] = [];
  out.push(`MRZ      ${FORMAT_NAMES[r.format]}`);
  out.push(`valid    ${r.valid ? 'yes' : `no (${r.errors.length} problem${r.errors.length === 1 ? '' : 's'})`}`);
  out.push(`lines    ${r.lines.join('\n         ')}`);
  out.push('', 'fields');
  out.push(table(Object.entries(r.fields).map(([k, v]) => [k, v === null ? `— ${errorOf.get(k) ?? 'invalid'}` : v === '' ? '(empty)' : v])));
  out.push('', 'check digits');
  out.push(table(Object.entries(r.checks).map(([k, ok]) => [k, ok ? 'ok' : `FAILS — ${errorOf.get(`${k}CheckDigit`) ?? 'invalid'}`])));
  if (r.documentNumberRules) {
    const { icao, includingFiller } = r.documentNumberRules;
    out.push(`  (document number continued in the optional data: ICAO rule ${icao ? 'holds' : 'fails'}, filler counted ${includingFiller ? 'holds' : 'fails'})`);
  }
  const other = r.errors.filter((e) => !e.field.endsWith('CheckDigit') && !(e.field in r.fields && r.fields[e.field] === null));
  if (other.length) out.push('', 'problems', table(other.map((e) => [e.field, e.message])));
  if (r.autocorrected.length) out.push('', `autocorrected  ${r.autocorrected.map((a) => `line ${a.line + 1} col ${a.column + 1}: ${a.original}→${a.corrected}`).join(', ')}`);
  return out.join('\n') + '\n';
}

function formatImageResult(file: string, r: MrzImageResult): string {
  if (!r.found || !r.reading) return `no MRZ found in ${file} (${r.elapsedMs} ms)\n`;
  const reading = r.reading;
  const head = [
    `read from ${file} in ${r.elapsedMs} ms: text at ${reading.angleDeg}°, mean character confidence ${reading.meanConfidence.toFixed(2)} (lowest ${reading.minConfidence.toFixed(2)})`,
    reading.corrections.length
      ? `corrected by check digits: ${reading.corrections.map((c) => `line ${c.line + 1} col ${c.column + 1}: ${c.from}→${c.to}`).join(', ')}`
      : 'no correction needed',
    ...(reading.misaligned.length
      ? [`out of line (overtyped?): ${reading.misaligned.map((m) => `line ${m.line + 1} col ${m.column + 1} (${m.dx >= 0 ? '+' : ''}${m.dx}, ${m.dy >= 0 ? '+' : ''}${m.dy} pitch)`).join(', ')}`]
      : []),
    '',
  ].join('\n');
  return head + '\n' + (r.parse ? formatParseResult(r.parse) : `lines    ${reading.lines.join('\n         ')}\n(the lines do not parse as an ICAO MRZ)\n`);
}

/** Lines from the arguments: one per argument, or one argument holding them all, one per text line. */
function collectLines(args: readonly string[]): string[] {
  return args.flatMap((a) => a.split(/\r?\n/)).map((l) => l.trim()).filter((l) => l.length > 0);
}

export function registerMrzCommand(program: Command, io: CliIo = processIo): void {
  program
    .command('mrz')
    .description('parse and validate a machine readable zone (TD1, TD2, TD3, MRV-A, MRV-B), typed or read from an image')
    .argument('[lines...]', 'the MRZ lines (2 or 3), as printed; quote them: < is a shell operator')
    .option('--json', 'print the result as JSON on stdout')
    .option('--autocorrect', 'fix OCR confusions (O/0, I/1, B/8, S/5, Z/2, G/6) where a field allows only letters or only digits')
    .option('--image <file>', 'read the MRZ from this image (JPEG, PNG, TIFF, WebP) instead of typed lines')
    .addHelpText('after', HELP)
    .action(async (args: string[], opts: { json?: boolean; autocorrect?: boolean; image?: string }) => {
      const service = new MrzService();
      if (opts.image) {
        if (args.length) throw new ExemplarError('VALIDATION_FAILED', 'give either MRZ lines or --image FILE, not both');
        const r = await service.readImage(opts.image, {}, CLI_ACTOR);
        if (opts.json) {
          io.stdout.write(JSON.stringify(r.found && r.parse ? { found: true, ...r.parse, reading: r.reading, elapsedMs: r.elapsedMs } : { found: r.found, reading: r.reading, elapsedMs: r.elapsedMs }, null, 2) + '\n');
        } else io.stdout.write(formatImageResult(opts.image, r));
        if (!r.found) throw new CliExit(MRZ_EXIT.notFound);
        if (!r.parse?.valid) throw new CliExit(MRZ_EXIT.invalid);
        return;
      }
      const lines = collectLines(args);
      if (lines.length === 0) throw new ExemplarError('VALIDATION_FAILED', 'no MRZ lines given (or use --image FILE); see exemplar mrz --help');
      const r = service.parse(lines, { autocorrect: Boolean(opts.autocorrect) }, CLI_ACTOR);
      io.stdout.write(opts.json ? JSON.stringify(r, null, 2) + '\n' : formatParseResult(r));
      if (!r.valid) throw new CliExit(MRZ_EXIT.invalid);
    });
}
