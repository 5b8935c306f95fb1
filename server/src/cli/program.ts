/**
 * The `exemplar` command-line program. Each command lives in its own module
 * under `cli/` and is registered here; `runCli` turns every failure into a
 * coded message on stderr and a non-zero exit code (no stack trace unless
 * `--verbose` or DEBUG is set).
 */
import { Command, CommanderError } from 'commander';
import { registerAlignCommand } from './align';
import { registerAuditCommand } from './audit';
import { registerCompareCommand } from './compare';
import { registerExhibitCommand } from './exhibit';
import { registerExchangeCommand } from './exchange';
import { registerExportCommand } from './export';
import { registerIdentifyCommand } from './identify';
import { registerImportCommand } from './import';
import { registerMrzCommand } from './mrz';
import { registerRegisterCommand } from './register';
import { CliExit, formatError, processIo, wantsStack, type CliIo } from './output';
import { registerSeedDemoCommand } from './seed-demo';
import { registerServeCommand } from './serve';
import { registerUsersCommand } from './users';
import { registerVerifyCommand } from './verify';
import { registerWorkerCommand } from './worker';

export type CommandRegistrar = (program: Command, io: CliIo) => void;

/** Registered in `--help` order. Later issues add their commands here. */
const REGISTRARS: CommandRegistrar[] = [
  registerServeCommand,
  registerImportCommand,
  registerExportCommand,
  registerVerifyCommand,
  registerSeedDemoCommand,
  registerMrzCommand,
  registerRegisterCommand,
  registerAlignCommand,
  registerCompareCommand,
  registerWorkerCommand,
  registerExchangeCommand,
  registerAuditCommand,
  registerUsersCommand,
  registerExhibitCommand,
  registerIdentifyCommand,
];

export function buildProgram(io: CliIo = processIo, version = readVersion()): Command {
  const program = new Command('exemplar')
    .description('Exemplar — forensic document reference library: server, bulk import/export, integrity checks, demo data')
    .version(version, '-V, --version')
    .option('--data-dir <dir>', 'data folder for the embedded stores (overrides EXEMPLAR_DATA_DIR)')
    .option('--verbose', 'print stack traces with errors')
    .showHelpAfterError('(run `exemplar --help` for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
  // Set before the subcommands are added so that they inherit exitOverride and output.
  for (const register of REGISTRARS) register(program, io);
  return program;
}

function readVersion(): string {
  // server/package.json sits next to dist/ and src/ alike.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('../../package.json') as { version: string }).version;
}

/** Parses `argv` (as in process.argv) and runs the command; resolves to the exit code. */
export async function runCli(argv: string[], io: CliIo = processIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode; // commander already printed help / the usage error
    if (err instanceof CliExit) return err.exitCode;
    const verbose = (program.opts() as { verbose?: boolean }).verbose;
    io.stderr.write(formatError(err, wantsStack(verbose)));
    return 1;
  }
}
