/**
 * `exemplar audit verify [--json]`: checks the whole audit trail's hash
 * chain in the configured catalog (SQLite file or MongoDB). Exit 0 on an
 * intact chain, printing the number of entries and the head hash (keep it:
 * a later run proves nothing was appended-and-truncated since); exit 1
 * naming the first bad entry by seq when any entry was modified, deleted or
 * reordered.
 */
import type { Command } from 'commander';
import { verifyAuditLog } from '../audit/audit.verify';
import { CliExit, type CliIo } from './output';
import { withCliContext } from './with-context';

export function registerAuditCommand(program: Command, io: CliIo): void {
  const audit = program.command('audit').description('the tamper-evident audit trail');
  audit
    .command('verify')
    .description('check every entry of the audit trail against its hash and its predecessor; exit 1 naming the first bad entry')
    .option('--json', 'print the result as JSON on stdout')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const result = await withCliContext(cmd, (ctx) => verifyAuditLog(ctx.catalog.audit));
      if (opts.json) {
        io.stdout.write(JSON.stringify(result, null, 2) + '\n');
      } else if (result.ok) {
        io.stdout.write(`audit log intact: ${result.entries} entries, head ${result.head ?? '(empty log)'}${result.headSeq ? ` (seq ${result.headSeq})` : ''}\n`);
      } else {
        const bad = result.firstBad!;
        io.stderr.write(`audit log BROKEN: first bad entry seq ${bad.seq ?? '?'} (${bad.kind}): ${bad.message}\n`);
        for (const p of result.problems.slice(1, 20)) io.stderr.write(`  also seq ${p.seq ?? '?'} (${p.kind}): ${p.message}\n`);
        if (result.problems.length > 20) io.stderr.write(`  … ${result.problems.length - 20} more\n`);
      }
      if (!result.ok) throw new CliExit(1);
    });
}
