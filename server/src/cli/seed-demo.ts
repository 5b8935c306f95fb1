/**
 * `exemplar seed-demo [--force]`: seeds the demo library into the current
 * data folder. Refuses a non-empty catalogue unless --force; demo specimens
 * already present (by their `demo:<key>` tag) are never created twice.
 */
import type { Command } from 'commander';
import { ExemplarError } from '../errors';
import { demoLibraryPlan } from '@exemplar/image-pipeline';
import { DEMO_SEED, seedDemoLibrary, type SeedResult } from '../demo/seed';
import { CliExit, INTERRUPTED_EXIT, startProgress, whileInterruptible, type CliIo } from './output';
import { withCliContext } from './with-context';

export function registerSeedDemoCommand(program: Command, io: CliIo): void {
  program
    .command('seed-demo')
    .description('seed the synthetic demo library (fictional issuers, genuine specimens and frauds) into the data folder')
    .option('--force', 'seed even though the catalogue is not empty (demo specimens already present are skipped)')
    .option('--keys <keys>', 'seed only these demo specimens (comma-separated keys) and the genuine ones they imitate', (v: string) =>
      v.split(',').map((k) => k.trim()).filter(Boolean),
    )
    .option('--json', 'print the result as JSON on stdout')
    .addHelpText('after', () => {
      const plans = demoLibraryPlan({ seed: DEMO_SEED });
      return `\nDemo specimens (--keys):\n${plans.map((p) => `  ${p.key}${p.specimen.imitates ? `  (imitates ${p.specimen.imitates})` : ''}`).join('\n')}\n`;
    })
    .action(async (opts: { force?: boolean; keys?: string[]; json?: boolean }, cmd: Command) => {
      const result = await withCliContext(cmd, async (ctx): Promise<SeedResult> => {
        const count = await ctx.catalog.specimens.count();
        if (count > 0 && !opts.force) {
          throw new ExemplarError('CONFLICT', `the catalogue already holds ${count} specimen(s); use --force to add the demo library alongside them`, { count });
        }
        io.stderr.write('Generating the demo library…\n');
        let progress: ReturnType<typeof startProgress> | undefined;
        try {
          return await whileInterruptible(io, 'finishing the current specimen', (signal) => seedDemoLibrary(ctx, {
            signal,
            ...(opts.keys ? { keys: opts.keys } : {}),
            onProgress: (p) => {
              progress ??= startProgress(io, 'seed-demo', p.total, 'specimens');
              progress.tick(`${p.key} ${p.outcome}`);
            },
          }));
        } finally {
          progress?.stop();
        }
      });
      io.stdout.write(
        opts.json
          ? JSON.stringify(result, null, 2) + '\n'
          : `Demo library: ${result.created.length} specimen(s) created, ${result.present.length} already present.${result.notAttempted.length ? ` Interrupted: ${result.notAttempted.length} not seeded; run seed-demo --force to finish.` : ''}\n`,
      );
      if (result.notAttempted.length) throw new CliExit(INTERRUPTED_EXIT);
    });
}
