/**
 * How a CLI command reaches the stores: the same config and context the
 * server uses (so the CLI works on MongoDB + S3 too), opened for the command
 * and always closed, even when the command fails.
 */
import type { Command } from 'commander';
import { loadConfig, type Config } from '../config';
import { openContext, type AppContext } from '../context';
import { systemActor, type Actor } from '../services/actor';

/** The config for a command: the environment, with the global `--data-dir` taking precedence. */
export function cliConfig(cmd: Command, env: NodeJS.ProcessEnv = process.env): Config {
  const { dataDir } = cmd.optsWithGlobals<{ dataDir?: string }>();
  return loadConfig(dataDir ? { ...env, EXEMPLAR_DATA_DIR: dataDir } : env);
}

export async function withCliContext<T>(cmd: Command, fn: (ctx: AppContext) => Promise<T>): Promise<T> {
  const ctx = await openContext(cliConfig(cmd));
  try {
    return await fn(ctx);
  } finally {
    await ctx.close();
  }
}

/** Records written by the CLI name it as their author. */
export const CLI_ACTOR: Actor = systemActor('cli');
