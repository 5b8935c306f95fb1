/**
 * What the CLI prints besides a command's own result: errors on stderr (coded,
 * no stack unless asked), and progress — a bar on a terminal, plain lines
 * otherwise so that logs and CI output stay readable.
 */
import { SingleBar, Presets } from 'cli-progress';
import { isExemplarError } from '../errors';

export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  /** Where `--password-stdin` reads; process.stdin when absent. */
  stdin?: NodeJS.ReadableStream;
}

export const processIo: CliIo = { stdout: process.stdout, stderr: process.stderr };

/** Thrown by a command that has already printed its outcome and only needs a non-zero exit. */
export class CliExit extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
    this.name = 'CliExit';
  }
}

/** The shell's convention for a process stopped by SIGINT. */
export const INTERRUPTED_EXIT = 130;

/**
 * Runs a long, row-by-row job so that the first Ctrl-C (SIGINT) or SIGTERM
 * lets the unit in progress finish or roll back — never half-written — and a
 * second one stops at once.
 */
export async function whileInterruptible<T>(io: CliIo, finishing: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(INTERRUPTED_EXIT);
    controller.abort();
    io.stderr.write(`\n${signal}: ${finishing}, then stopping (send it again to stop at once)\n`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await fn(controller.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

export function wantsStack(verbose: boolean | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(verbose) || Boolean(env.DEBUG);
}

/** One line (two with details) naming the error code; the stack only when asked. */
export function formatError(err: unknown, withStack: boolean): string {
  const lines: string[] = [];
  if (isExemplarError(err)) {
    lines.push(`exemplar: ${err.code}: ${err.message}`);
    const details = Object.keys(err.details).length ? JSON.stringify(err.details) : '';
    if (details && details.length <= 2000) lines.push(`  details: ${details}`);
  } else if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    lines.push(`exemplar: ${typeof code === 'string' ? `${code}: ` : ''}${err.message}`);
  } else {
    lines.push(`exemplar: ${String(err)}`);
  }
  if (withStack && err instanceof Error && err.stack) lines.push(err.stack);
  return lines.join('\n') + '\n';
}

export interface Progress {
  /** Advances by `n` units (default 1); `label` says what was just done. */
  tick(label: string, n?: number): void;
  /** A message that must not be lost under the bar (a refusal, a warning). */
  note(message: string): void;
  stop(): void;
}

/** A bar on a TTY, otherwise one line per tick. `total` 0 gives a silent progress. */
export function startProgress(io: CliIo, title: string, total: number, unit: string): Progress {
  const out = io.stderr;
  if (total === 0) return { tick() {}, note: (m) => out.write(`${m}\n`), stop() {} };
  if (out.isTTY) {
    const bar = new SingleBar(
      { format: `${title} [{bar}] {percentage}% | {value}/{total} ${unit} | {label}`, stream: out as NodeJS.WriteStream, hideCursor: true, clearOnComplete: false },
      Presets.shades_classic,
    );
    bar.start(total, 0, { label: '' });
    return {
      tick: (label, n = 1) => bar.increment(n, { label }),
      note: (m) => {
        // cli-progress redraws over the current line; write above it.
        out.write(`\r\x1b[K${m}\n`);
        bar.render();
      },
      stop: () => bar.stop(),
    };
  }
  let done = 0;
  return {
    tick: (label, n = 1) => {
      done += n;
      out.write(`${title}: ${done}/${total} ${unit} ${label}\n`);
    },
    note: (m) => out.write(`${m}\n`),
    stop() {},
  };
}
