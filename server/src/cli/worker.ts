/**
 * `exemplar worker`: runs comparison jobs from the catalog's job queue, next
 * to the server and other workers on the same stores (MongoDB + S3, or one
 * data folder). Jobs are claimed with a lease and heartbeats, so a worker
 * that dies loses its job to another once the lease expires. SIGINT/SIGTERM
 * stops claiming and lets running jobs finish (a second signal stops at once;
 * the interrupted job is taken over by another worker later).
 */
import type { Command } from 'commander';
import { openContext } from '../context';
import type { RunnerLog } from '../services/comparison-runner';
import { INTERRUPTED_EXIT, type CliIo } from './output';
import { cliConfig } from './with-context';

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!/^[0-9]+$/.test(value) || !Number.isSafeInteger(n) || n < 1) throw new Error(`expected a positive whole number, got ${JSON.stringify(value)}`);
  return n;
}

function lineLog(io: CliIo): RunnerLog {
  const line = (level: string) => (obj: object, msg: string) => {
    const fields = Object.entries(obj)
      .filter(([k]) => k !== 'err')
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    const err = (obj as { err?: unknown }).err;
    io.stderr.write(`${new Date().toISOString()} ${level} ${msg}${fields ? ` ${fields}` : ''}${err instanceof Error ? ` (${err.message})` : ''}\n`);
  };
  return { info: line('info'), warn: line('warn'), error: line('error') };
}

export function registerWorkerCommand(program: Command, io: CliIo): void {
  program
    .command('worker')
    .description('run comparison jobs from the shared queue (beside the server and other workers on the same stores) until SIGINT/SIGTERM')
    .option('--concurrency <n>', 'comparison jobs run at once', positiveInteger, 1)
    .option('--once', 'run the jobs waiting now, then exit')
    .action(async (opts: { concurrency: number; once?: boolean }, cmd: Command) => {
      const config = cliConfig(cmd);
      const ctx = await openContext(config, { comparisonConcurrency: opts.concurrency, warmPipeline: true });
      const runner = ctx.comparisonRunner;
      try {
        if (opts.once) {
          let done = 0;
          await Promise.all(
            Array.from({ length: opts.concurrency }, async () => {
              while (await runner.runOnce()) done++;
            }),
          );
          io.stdout.write(`${done} comparison job(s) run\n`);
          return;
        }
        runner.start(lineLog(io));
        io.stderr.write(`worker ${runner.workerId}: running comparison jobs (${opts.concurrency} at once, ${config.pipeline.threads} pipeline threads); SIGINT or SIGTERM stops\n`);
        // The runner's timers do not hold the process open (a server's sockets do): this command must.
        const keepAlive = setInterval(() => undefined, 1 << 30);
        const signal = await new Promise<NodeJS.Signals>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        clearInterval(keepAlive);
        io.stderr.write(`${signal}: finishing the running comparison jobs, then stopping (send it again to stop at once)\n`);
        const again = () => process.exit(INTERRUPTED_EXIT);
        process.once('SIGINT', again);
        process.once('SIGTERM', again);
        await runner.stop();
      } finally {
        await ctx.close();
      }
    });
}
