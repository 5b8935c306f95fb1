/**
 * Text files the CLI imports (manifests, zone files, register CSV) are read
 * as strict UTF-8. Read leniently, a byte sequence that is not UTF-8 (a
 * Latin-1 export, a surrogate written as CESU-8 does) would become U+FFFD
 * and be stored so, silently changing the text; it is refused instead,
 * naming the file and line. JSON read from them must also be text that can
 * be stored (no unpaired `\ud800` escapes): see `assertStorableJson`.
 */
import fs from 'node:fs/promises';
import { ExemplarError } from '../errors';
import { assertWellFormedText } from '../services/common';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** The file's text (a leading byte order mark dropped); VALIDATION_FAILED naming the first line that is not UTF-8. */
export async function readTextFile(file: string): Promise<string> {
  const bytes = await fs.readFile(file);
  try {
    return strictUtf8.decode(bytes);
  } catch {
    const lenient = bytes.toString('utf8');
    const at = lenient.indexOf('\uFFFD');
    const line = at < 0 ? 1 : lenient.slice(0, at).split('\n').length;
    throw new ExemplarError('VALIDATION_FAILED', `${file} is not UTF-8 text (line ${line}); save it as UTF-8`, { file, line });
  }
}

/** VALIDATION_FAILED naming each field of JSON read from `file` whose string holds an unpaired UTF-16 surrogate. */
export function assertStorableJson(value: unknown, file: string): void {
  assertWellFormedText(value, `JSON in ${file}`, { details: { file } });
}
