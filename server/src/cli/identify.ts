/**
 * `exemplar identify reindex [--json]`: re-describes every catalogued image
 * whose identification data was computed by an older method version, so that
 * identification can find it again (services/identify-reindex.ts). Safe to
 * stop and run again: it resumes where it stopped, and does nothing on an
 * up-to-date catalogue. Exit code 1 when an image could not be re-described.
 */
import type { Command } from 'commander';
import { reindexIdentification, type ReindexReport } from '../services/identify-reindex';
import { CliExit, startProgress, type CliIo } from './output';
import { CLI_ACTOR, withCliContext } from './with-context';

export function formatReindexReport(r: ReindexReport): string {
  const lines = [
    `${r.specimens} specimens; ${r.outdated} image(s) needed ${r.method} identification data`,
    `re-described ${r.redescribed}, records updated ${r.recordsUpdated}, old keypoint objects removed ${r.objectsRemoved}`,
  ];
  for (const f of r.failed) lines.push(`FAILED  ${f.sha256} (${f.specimens.join(', ')}): ${f.code} ${f.message}`);
  lines.push(r.failed.length === 0 ? 'OK' : 'FAILED (run again to retry)');
  return lines.join('\n') + '\n';
}

export function registerIdentifyCommand(program: Command, io: CliIo): void {
  const identify = program.command('identify').description('candidate identification: maintenance of the identification data');
  identify
    .command('reindex')
    .description('re-describe images whose identification data is of an older method version (resumable, idempotent)')
    .option('--json', 'print the report as JSON on stdout')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const report = await withCliContext(cmd, async (ctx) => {
        let progress: ReturnType<typeof startProgress> | undefined;
        try {
          return await reindexIdentification(
            { catalog: ctx.catalog, objects: ctx.objects, specimens: ctx.services.specimens, identify: ctx.services.identify, tmpDir: ctx.config.tmpDir },
            CLI_ACTOR,
            opts.json ? {} : { onProgress: (done, total) => (progress ??= startProgress(io, 'reindex', total, 'images')).tick('') },
          );
        } finally {
          progress?.stop();
        }
      });
      io.stdout.write(opts.json ? JSON.stringify(report, null, 2) + '\n' : formatReindexReport(report));
      if (report.failed.length > 0) throw new CliExit(1);
    });
}
