/**
 * `exemplar exhibit verify BUNDLE [--json]`: checks a court-exhibit bundle
 * offline (no data folder, no server): every file re-hashed, the manifest,
 * the report hash and the custody log's hash chain. Exit 0 when intact, 1
 * when anything fails, naming what.
 */
import type { Command } from 'commander';
import { formatBundleVerification, verifyBundle } from '../exhibits';
import { CliExit, type CliIo } from './output';

export function registerExhibitCommand(program: Command, io: CliIo): void {
  const exhibit = program.command('exhibit').description('court exhibits: offline verification of an exhibit bundle');
  exhibit
    .command('verify')
    .description('re-hash every file of an exhibit bundle, check its manifest, report and custody log; exit 1 on any problem')
    .argument('<bundle>', 'path of the exhibit bundle (.zip)')
    .option('--json', 'print the result as JSON on stdout')
    .action(async (bundle: string, opts: { json?: boolean }) => {
      const result = await verifyBundle(bundle);
      io.stdout.write(opts.json ? JSON.stringify(result, null, 2) + '\n' : formatBundleVerification(result));
      if (!result.ok) throw new CliExit(1);
    });
}
