/**
 * Text files the CLI imports (manifests, zone files, register CSV) are read
 * as strict UTF-8, as the API reads a register CSV: bytes that are not UTF-8
 * are refused, naming the file and line, instead of being stored as U+FFFD.
 * JSON read from them must also be text that can be stored (no unpaired
 * `\ud800` escapes): see `assertStorableJson`.
 */
import fs from 'node:fs/promises';
import { assertWellFormedText, decodeUtf8Text } from '../services/common';

/** The file's text; VALIDATION_FAILED naming the first line that is not UTF-8 (decodeUtf8Text). */
export async function readTextFile(file: string): Promise<string> {
  return decodeUtf8Text(await fs.readFile(file), file, { file });
}

/** VALIDATION_FAILED naming each field of JSON read from `file` whose string holds an unpaired UTF-16 surrogate. */
export function assertStorableJson(value: unknown, file: string): void {
  assertWellFormedText(value, `JSON in ${file}`, { details: { file } });
}
