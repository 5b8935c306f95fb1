/**
 * The lost, stolen and revoked documents register: one entry per issuing
 * state and document number (the pair a questioned document's MRZ gives),
 * kept in the RecordStore collection `register-entries` under a unique index
 * on that pair.
 *
 * Document numbers are stored normalised (upper case, spaces and MRZ fillers
 * removed), so a number typed from a page, read from an MRZ or imported from
 * a partner's spreadsheet all find the same entry.
 *
 * The automatic check (`hitsFor`, `hitsForMrz`) runs wherever a questioned
 * document's number becomes known; it answers only for actors who may read
 * the register, so a role without `register:read` learns nothing from it.
 */
import { getIssuingState, validate, type IssuingState, type RegisterEntry, type RegisterEntryCreate } from '@exemplar/specimens-schema';
import { parse as parseCsv } from 'csv-parse/sync';
import { ExemplarError } from '../errors';
import { assertCan, can } from '../auth/policy';
import { MAX_FIND_LIMIT, type RecordCollection, type RecordFilter, type RecordStore } from '../stores/records.port';
import type { Actor } from './actor';
import { newRecordId, timestamp, validationFailed, valueOrThrow } from './common';
import { parseMrz, type MrzParseResult } from './mrz.service';

export const REGISTER_COLLECTION = 'register-entries';
export const DEFAULT_REGISTER_LIMIT = 50;
export const MAX_REGISTER_LIMIT = 500;
/** A register export from an issuer can be large; beyond this, split the file. */
export const MAX_IMPORT_ROWS = 50_000;
/** Numbers looked up per query when an import checks for duplicates. */
const IMPORT_LOOKUP_CHUNK = 500;
/** Rows written per transaction in a `valid-rows` import. */
const IMPORT_INSERT_BATCH = 500;
export const REGISTER_CSV_COLUMNS = ['issuingState', 'documentNumber', 'documentCode', 'status', 'date', 'source', 'notes'] as const;
const REQUIRED_CSV_COLUMNS = ['issuingState', 'documentNumber', 'status', 'source'];

export type ImportMode = 'valid-rows' | 'all-or-nothing';
export const IMPORT_MODES: readonly ImportMode[] = ['valid-rows', 'all-or-nothing'];

/** What the audit trail needs from its service (contract: session2-contracts.md). */
export interface AuditRecorder {
  record(input: {
    actor: Actor;
    action: string;
    target: { kind: string; id: string };
    hashes?: readonly string[];
    details?: Record<string, unknown>;
  }): Promise<unknown>;
}

export interface RegisterQuery {
  issuingState?: string | undefined;
  documentNumber?: string | undefined;
  status?: string | undefined;
  limit?: number | undefined;
  offset?: number | undefined;
}

export interface RegisterPage {
  items: RegisterEntry[];
  total: number;
  limit: number;
  offset: number;
}

export interface ImportRowReport {
  /** Line of the file where the row starts, the header being line 1 (as a spreadsheet numbers rows). */
  row: number;
  ok: boolean;
  id?: string;
  duplicate?: boolean;
  errors: { field: string; message: string }[];
}

export interface ImportReport {
  mode: ImportMode;
  ok: boolean;
  imported: number;
  refused: number;
  duplicates: number;
  rows: ImportRowReport[];
}

/** The `mrz.lines` of a request body (comparison, verification) when they are a list of strings; schema validation reports anything else. */
export function mrzLinesIn(body: unknown): string[] | undefined {
  const lines = (body as { mrz?: { lines?: unknown } } | null)?.mrz?.lines;
  return Array.isArray(lines) && lines.every((l) => typeof l === 'string') ? lines : undefined;
}

/** Upper case, without spaces and MRZ fillers: how numbers are stored and looked up. */
export function normaliseDocumentNumber(input: string): string {
  return input.replace(/[\s<]/g, '').toUpperCase();
}

/** The issuing state and document number an MRZ carries (the state from the raw line: the `mrz` package nulls codes it does not know, such as specimen states). */
export function documentOfMrz(parse: MrzParseResult): { issuingState?: IssuingState; documentCode?: string; documentNumber?: string } {
  const line1 = parse.lines[0] ?? '';
  const state = line1.slice(2, 5).replace(/</g, '');
  const code = line1.slice(0, 2).replace(/</g, '');
  const rawNumber = parse.format === 'TD1' ? line1.slice(5, 14) : (parse.lines[1] ?? '').slice(0, 9);
  const number = normaliseDocumentNumber(parse.fields['documentNumber'] ?? rawNumber);
  return {
    ...(getIssuingState(state) && { issuingState: state as IssuingState }),
    ...(/^[A-Z][A-Z0-9]?$/.test(code) && { documentCode: code }),
    ...(/^[A-Z0-9]{1,40}$/.test(number) && { documentNumber: number }),
  };
}

export class RegisterService {
  private readonly entries: RecordCollection<RegisterEntry>;
  private readonly audit: AuditRecorder;

  constructor(deps: { records: RecordStore; audit: AuditRecorder }) {
    this.entries = deps.records.collection<RegisterEntry>({
      name: REGISTER_COLLECTION,
      indexes: [{ fields: ['issuingState', 'documentNumber'], unique: true }, { fields: ['documentNumber'] }],
    });
    this.audit = deps.audit;
  }

  /** A lookup (with `documentNumber`, normalised first) or the list, newest first. */
  async find(actor: Actor, query: RegisterQuery = {}): Promise<RegisterPage> {
    assertCan(actor, 'register:read');
    const limit = query.limit ?? DEFAULT_REGISTER_LIMIT;
    const offset = query.offset ?? 0;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_REGISTER_LIMIT) throw new ExemplarError('BAD_REQUEST', `limit must be an integer from 1 to ${MAX_REGISTER_LIMIT}`, { limit });
    if (!Number.isInteger(offset) || offset < 0) throw new ExemplarError('BAD_REQUEST', 'offset must be a non-negative integer', { offset });
    const filter: Record<string, string> = {};
    if (query.issuingState !== undefined) filter['issuingState'] = query.issuingState;
    if (query.status !== undefined) filter['status'] = query.status;
    if (query.documentNumber !== undefined) {
      const number = normaliseDocumentNumber(query.documentNumber);
      if (number === '') throw validationFailed('lookup', [{ path: '/documentNumber', message: 'needs at least one letter or digit', keyword: 'pattern' }]);
      filter['documentNumber'] = number;
    }
    const [items, total] = await Promise.all([
      this.entries.find({ filter, sort: [{ field: 'createdAt', direction: -1 }], limit, offset }),
      this.entries.count(filter),
    ]);
    return { items, total, limit, offset };
  }

  async get(actor: Actor, id: string): Promise<RegisterEntry> {
    assertCan(actor, 'register:read');
    const entry = await this.entries.get(id);
    if (!entry) throw new ExemplarError('NOT_FOUND', 'Register entry not found', { id });
    return entry;
  }

  async create(actor: Actor, body: unknown): Promise<RegisterEntry> {
    assertCan(actor, 'register:write');
    const input = valueOrThrow(validate('register-entry-create', body), 'register entry');
    const entry = await this.insert(actor, input);
    await this.audit.record({ actor, action: 'register.create', target: { kind: 'register-entry', id: entry.id }, details: summary(entry) });
    return entry;
  }

  async update(actor: Actor, id: string, body: unknown): Promise<RegisterEntry> {
    assertCan(actor, 'register:write');
    const patch = valueOrThrow(validate('register-entry-patch', body), 'register entry change');
    const current = await this.entries.get(id);
    if (!current) throw new ExemplarError('NOT_FOUND', 'Register entry not found', { id });
    const { revision, ...changes } = patch;
    const next: Record<string, unknown> = { ...current };
    for (const [field, value] of Object.entries(changes)) {
      if (value === null) delete next[field];
      else next[field] = field === 'documentNumber' ? normaliseDocumentNumber(value as string) : value;
    }
    next['updatedBy'] = actor.id;
    next['updatedAt'] = timestamp();
    const checked = valueOrThrow(validate('register-entry', next), 'register entry');
    const saved = await this.conflictAsDuplicate(checked, () => this.entries.replace(id, revision, checked));
    await this.audit.record({ actor, action: 'register.update', target: { kind: 'register-entry', id }, details: { ...summary(saved), fields: Object.keys(changes) } });
    return saved;
  }

  async remove(actor: Actor, id: string, revision?: number): Promise<void> {
    assertCan(actor, 'register:write');
    const current = await this.entries.get(id);
    if (!current || !(await this.entries.delete(id, revision))) throw new ExemplarError('NOT_FOUND', 'Register entry not found', { id });
    await this.audit.record({ actor, action: 'register.delete', target: { kind: 'register-entry', id }, details: summary(current) });
  }

  /**
   * Entries matching a questioned document; `undefined` when the actor may
   * not read the register (the caller then reports nothing rather than "no hit").
   * Without a known issuing state every state's entry for the number counts.
   */
  async hitsFor(actor: Actor, document: { issuingState?: string | undefined; documentNumber?: string | undefined }): Promise<RegisterEntry[] | undefined> {
    if (!can(actor, 'register:read')) return undefined;
    if (document.documentNumber === undefined) return [];
    const number = normaliseDocumentNumber(document.documentNumber);
    if (number === '') return [];
    const filter: RecordFilter = { documentNumber: number, ...(document.issuingState !== undefined && { issuingState: document.issuingState }) };
    return this.entries.find({ filter, sort: [{ field: 'createdAt', direction: -1 }], limit: 100 });
  }

  async hitsForMrz(actor: Actor, parse: MrzParseResult): Promise<RegisterEntry[] | undefined> {
    return this.hitsFor(actor, documentOfMrz(parse));
  }

  /** MRZ lines as typed: VALIDATION_FAILED when they are not an MRZ (so callers check them before storing anything). */
  async hitsForMrzLines(actor: Actor, lines: readonly string[]): Promise<RegisterEntry[] | undefined> {
    return this.hitsForMrz(actor, parseMrz(lines));
  }

  /**
   * A CSV file (header row naming the columns) checked row by row: in
   * `valid-rows` mode every valid row is imported; in `all-or-nothing` mode
   * nothing is unless every row is valid. A row repeating an entry already
   * in the register, or an earlier row of the file, is refused as a duplicate.
   */
  async importCsv(actor: Actor, csv: string, mode: ImportMode = 'valid-rows'): Promise<ImportReport> {
    assertCan(actor, 'register:write');
    const rows = parseRegisterCsv(csv);
    const existing = await this.existingIds(rows.map((r) => r.values['documentNumber']).filter((n): n is string => n !== undefined).map(normaliseDocumentNumber));
    const reports: ImportRowReport[] = [];
    const accepted: AcceptedRow[] = [];
    const seen = new Map<string, number>();
    for (const { row, values } of rows) {
      const report: ImportRowReport = { row, ok: false, errors: [] };
      reports.push(report);
      const result = validate('register-entry-create', values);
      if (!result.ok) {
        report.errors = result.errors.map((e) => ({ field: e.path.replace(/^\//, '').split('/')[0] || 'row', message: e.message }));
        continue;
      }
      const input = result.value;
      const key = `${input.issuingState}:${normaliseDocumentNumber(input.documentNumber)}`;
      const earlier = seen.get(key);
      if (earlier !== undefined) {
        report.duplicate = true;
        report.errors = [{ field: 'documentNumber', message: `repeats row ${earlier}` }];
        continue;
      }
      seen.set(key, row);
      const existingId = existing.get(key);
      if (existingId !== undefined) {
        report.duplicate = true;
        report.errors = [{ field: 'documentNumber', message: `is already in the register (entry ${existingId})` }];
        continue;
      }
      accepted.push({ report, input });
    }

    const refusedBefore = reports.filter((r) => r.errors.length > 0).length;
    if (mode === 'valid-rows' || refusedBefore === 0) {
      if (mode === 'all-or-nothing') await this.insertAllOrNothing(actor, accepted);
      else for (let i = 0; i < accepted.length; i += IMPORT_INSERT_BATCH) await this.insertBatch(actor, accepted.slice(i, i + IMPORT_INSERT_BATCH));
    }
    const imported = reports.filter((r) => r.ok);
    const report: ImportReport = {
      mode,
      ok: imported.length === reports.length,
      imported: imported.length,
      refused: reports.length - imported.length,
      duplicates: reports.filter((r) => r.duplicate).length,
      rows: reports,
    };
    await this.audit.record({
      actor,
      action: 'register.import',
      target: { kind: 'register', id: REGISTER_COLLECTION },
      details: { mode, rows: reports.length, imported: report.imported, refused: report.refused, duplicates: report.duplicates, ids: imported.map((r) => r.id) },
    });
    return report;
  }

  /** Valid rows in one atomic write (one commit, not one per row); a batch that meets a number taken meanwhile goes row by row. */
  private async insertBatch(actor: Actor, batch: readonly AcceptedRow[]): Promise<void> {
    const entries = batch.map(({ input }) => this.newEntry(actor, input));
    try {
      await this.entries.insertMany(entries);
      batch.forEach(({ report }, i) => Object.assign(report, { ok: true, id: entries[i]!.id }));
      return;
    } catch (err) {
      if (!(err instanceof ExemplarError) || err.code !== 'CONFLICT') throw err;
    }
    for (const [i, { report }] of batch.entries()) {
      try {
        await this.entries.insert(entries[i]!);
        Object.assign(report, { ok: true, id: entries[i]!.id });
      } catch (err) {
        if (!(err instanceof ExemplarError) || err.code !== 'CONFLICT') throw err;
        markTaken(report);
      }
    }
  }

  private async insertAllOrNothing(actor: Actor, accepted: readonly AcceptedRow[]): Promise<void> {
    const entries = accepted.map(({ input }) => this.newEntry(actor, input));
    try {
      await this.entries.insertMany(entries);
      accepted.forEach(({ report }, i) => Object.assign(report, { ok: true, id: entries[i]!.id }));
    } catch (err) {
      // Another writer took a number between the check and the write: nothing was stored.
      if (!(err instanceof ExemplarError) || err.code !== 'CONFLICT') throw err;
      const index = typeof err.details['index'] === 'number' ? err.details['index'] : 0;
      const row = accepted[index];
      if (row) markTaken(row.report);
    }
  }

  /** Ids of the entries holding these numbers, by `state:number` (one query per chunk rather than one per row). */
  private async existingIds(numbers: readonly string[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    const unique = [...new Set(numbers.filter((n) => n !== ''))];
    for (let i = 0; i < unique.length; i += IMPORT_LOOKUP_CHUNK) {
      const chunk = unique.slice(i, i + IMPORT_LOOKUP_CHUNK);
      for (let offset = 0; ; offset += MAX_FIND_LIMIT) {
        const page = await this.entries.find({ filter: { documentNumber: { $in: chunk } }, limit: MAX_FIND_LIMIT, offset });
        for (const e of page) found.set(`${e.issuingState}:${e.documentNumber}`, e.id);
        if (page.length < MAX_FIND_LIMIT) break;
      }
    }
    return found;
  }

  private async insert(actor: Actor, input: RegisterEntryCreate): Promise<RegisterEntry> {
    const entry = this.newEntry(actor, input);
    return this.conflictAsDuplicate(entry, () => this.entries.insert(entry));
  }

  private newEntry(actor: Actor, input: RegisterEntryCreate): RegisterEntry {
    const now = timestamp();
    return valueOrThrow(
      validate('register-entry', {
        ...input,
        id: newRecordId(),
        revision: 1,
        documentNumber: normaliseDocumentNumber(input.documentNumber),
        createdBy: actor.id,
        createdAt: now,
        updatedBy: actor.id,
        updatedAt: now,
      }),
      'register entry',
    );
  }

  /** A unique-index CONFLICT said in the register's terms. */
  private async conflictAsDuplicate<T>(entry: RegisterEntry, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (err) {
      if (err instanceof ExemplarError && err.code === 'CONFLICT') {
        const existing = await this.entries.findOne({ issuingState: entry.issuingState, documentNumber: entry.documentNumber });
        throw new ExemplarError('CONFLICT', `${entry.issuingState} document ${entry.documentNumber} is already in the register`, {
          issuingState: entry.issuingState,
          documentNumber: entry.documentNumber,
          ...(existing && { existingId: existing.id }),
        });
      }
      throw err;
    }
  }
}

const summary = (e: RegisterEntry) => ({ issuingState: e.issuingState, documentNumber: e.documentNumber, status: e.status });

/**
 * Rows of a register CSV as objects of the known columns (empty cells left
 * out, so an optional column may be blank). A file without the header, with
 * an unknown or repeated column, or with rows of the wrong width is refused
 * as a whole: its rows cannot be read reliably.
 */
export function parseRegisterCsv(csv: string): { row: number; values: Record<string, string> }[] {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parseCsv(csv, { bom: true, skip_empty_lines: true, relax_column_count: false, trim: true, info: true }) as unknown as typeof records;
  } catch (err) {
    throw new ExemplarError('BAD_REQUEST', `The file is not readable CSV: ${(err as Error).message}`, { reason: (err as Error).message });
  }
  const [first, ...data] = records;
  const header = first?.record;
  if (!header) throw new ExemplarError('BAD_REQUEST', 'The file is empty; it needs a header row naming the columns', { columns: REGISTER_CSV_COLUMNS });
  const known = new Set<string>(REGISTER_CSV_COLUMNS);
  const unknown = header.filter((h) => !known.has(h));
  const repeated = header.filter((h, i) => header.indexOf(h) !== i);
  const missing = REQUIRED_CSV_COLUMNS.filter((c) => !header.includes(c));
  if (unknown.length > 0 || repeated.length > 0 || missing.length > 0) {
    throw new ExemplarError(
      'BAD_REQUEST',
      `The header row must name the columns ${REGISTER_CSV_COLUMNS.join(', ')} (${REQUIRED_CSV_COLUMNS.join(', ')} required)`,
      { unknown, repeated, missing, columns: REGISTER_CSV_COLUMNS },
    );
  }
  if (data.length > MAX_IMPORT_ROWS) throw new ExemplarError('PAYLOAD_TOO_LARGE', `The file has ${data.length} rows; at most ${MAX_IMPORT_ROWS} per import`, { rows: data.length, maxRows: MAX_IMPORT_ROWS });
  return data.map(({ record, info }) => {
    const values: Record<string, string> = {};
    header.forEach((column, c) => {
      const cell = record[c];
      if (cell !== undefined && cell !== '') values[column] = cell;
    });
    // csv-parse counts lines up to the end of the record; a quoted cell may span several.
    const spanned = record.reduce((n, cell) => n + (cell.match(/\n/g)?.length ?? 0), 0);
    return { row: info.lines - spanned, values };
  });
}

interface AcceptedRow {
  report: ImportRowReport;
  input: RegisterEntryCreate;
}

function markTaken(report: ImportRowReport): void {
  report.duplicate = true;
  report.errors = [{ field: 'documentNumber', message: 'is already in the register' }];
}
