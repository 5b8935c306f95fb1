/**
 * `exemplar serve`: opens the stores, seeds the demo library into an empty
 * catalogue (unless EXEMPLAR_SEED_DEMO=never), then serves the API until
 * SIGINT / SIGTERM, when requests in flight finish and the stores close
 * (startServer handles the signals).
 */
import type { Command } from 'commander';
import { createDemoAccounts, describeDemoAccounts } from '../auth/demo-accounts';
import { openContext } from '../context';
import { seedDemoIfEmpty } from '../demo/seed';
import { startServer } from '../server';
import { CliExit, INTERRUPTED_EXIT, formatError, wantsStack, whileInterruptible, type CliIo } from './output';
import { cliConfig } from './with-context';

export function registerServeCommand(program: Command, io: CliIo): void {
  program
    .command('serve')
    .description('serve the HTTP API (HOST, PORT and the stores from the environment); seeds the demo library into an empty catalogue')
    .action(async (_opts: unknown, cmd: Command) => {
      const config = cliConfig(cmd);
      const context = await openContext(config, { warmPipeline: true });
      try {
        const seeding = await whileInterruptible(io, 'finishing the current demo specimen', (signal) =>
          seedDemoIfEmpty(context, {
            signal,
            onProgress: (p) => {
              if (p.done === 1) io.stderr.write('Empty catalogue: seeding the demo library (EXEMPLAR_SEED_DEMO=never skips this)\n');
              io.stderr.write(`  demo ${p.done}/${p.total} ${p.key} ${p.outcome}\n`);
            },
          }),
        );
        if (seeding.seeded && seeding.result.notAttempted.length) {
          await context.close();
          io.stderr.write('Stopped while seeding the demo library; not serving. `exemplar seed-demo --force` finishes it.\n');
          throw new CliExit(INTERRUPTED_EXIT);
        }
        if (seeding.seeded) {
          io.stderr.write(`Demo library seeded: ${seeding.result.created.length} specimen(s).\n`);
          const demo = await createDemoAccounts(context);
          if (demo) io.stderr.write(describeDemoAccounts(demo));
        }
      } catch (err) {
        if (err instanceof CliExit) throw err;
        // The library works without the demo; each demo specimen is all-or-nothing, so nothing half-made stays.
        const verbose = cmd.optsWithGlobals<{ verbose?: boolean }>().verbose;
        io.stderr.write(`Seeding the demo library failed; serving without it.\n${formatError(err, wantsStack(verbose))}`);
      }
      let server;
      try {
        server = await startServer(config, { context });
      } catch (err) {
        await context.close();
        throw err;
      }
      io.stdout.write(`Exemplar is listening on ${server.url} (data: ${config.dataDir}; API docs at ${server.url}/api/docs)\n`);
      if ((await context.services.auth.countUsers()) === 0) {
        io.stderr.write('No users yet: create the first admin with `echo "$PASSWORD" | npx exemplar users add --username NAME --role admin --password-stdin`.\n');
      }
    });
}
