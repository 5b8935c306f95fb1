/**
 * `exemplar register import FILE.csv [--all-or-nothing] [--json]`: bulk
 * import into the lost, stolen and revoked documents register, through the
 * same service and per-row checks as the API. Exit 0 when every row was
 * imported; 2 when any row was refused (the report says which and why);
 * 1 for a file that cannot be read as a register CSV.
 */
import type { Command } from 'commander';
import { ExemplarError } from '../errors';
import { REGISTER_CSV_COLUMNS, type ImportReport } from '../services/register.service';
import { CliExit, type CliIo } from './output';
import { readTextFile } from './text-file';
import { CLI_ACTOR, withCliContext } from './with-context';

export const REGISTER_IMPORT_EXIT = { ok: 0, refused: 2 } as const;

function formatReport(file: string, r: ImportReport): string {
  const out = [`${file}: ${r.imported} imported, ${r.refused} refused (${r.duplicates} duplicate${r.duplicates === 1 ? '' : 's'}), mode ${r.mode}`];
  for (const row of r.rows) {
    if (row.ok) continue;
    const why = row.errors.length > 0 ? row.errors.map((e) => `${e.field} ${e.message}`).join('; ') : 'not imported (another row was refused)';
    out.push(`  row ${row.row}: ${row.duplicate ? 'duplicate — ' : ''}${why}`);
  }
  if (r.mode === 'all-or-nothing' && !r.ok) out.push('Nothing was imported.');
  return out.join('\n') + '\n';
}

export function registerRegisterCommand(program: Command, io: CliIo): void {
  const register = program.command('register').description('the lost, stolen and revoked documents register');
  register
    .command('import')
    .description(`import entries from CSV (header row: ${REGISTER_CSV_COLUMNS.join(',')}); exit 2 when any row is refused`)
    .argument('<file>', 'CSV file, UTF-8')
    .option('--all-or-nothing', 'import nothing unless every row is valid')
    .option('--json', 'print the report as JSON ({mode, ok, imported, refused, duplicates, rows: [{row, ok, id?, duplicate?, errors}]})')
    .action(async (file: string, opts: { allOrNothing?: boolean; json?: boolean }, cmd: Command) => {
      let csv: string;
      try {
        csv = await readTextFile(file);
      } catch (err) {
        if (err instanceof ExemplarError) throw err;
        throw new ExemplarError('BAD_REQUEST', `cannot read ${file}: ${(err as Error).message}`, { file });
      }
      const mode = opts.allOrNothing ? 'all-or-nothing' : 'valid-rows';
      const report = await withCliContext(cmd, (ctx) => ctx.services.register.importCsv(CLI_ACTOR, csv, mode));
      io.stdout.write(opts.json ? JSON.stringify(report, null, 2) + '\n' : formatReport(file, report));
      if (!report.ok) throw new CliExit(REGISTER_IMPORT_EXIT.refused);
    });
}
