/**
 * `exemplar users …`: the operator's user administration, straight on the
 * stores (so the first admin can be made before anyone can log in).
 * Passwords come only on stdin (`--password-stdin`), never as an argument,
 * which would sit in the shell history and the process list.
 */
import type { Command } from 'commander';
import type { User } from '../auth/auth.service';
import { ExemplarError } from '../errors';
import { ROLES } from '../services/actor';
import type { CliIo } from './output';
import { CLI_ACTOR, withCliContext } from './with-context';

/** The first line of stdin (a trailing CR/LF is not part of the password). */
export async function readPasswordFromStdin(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    chunks.push(bytes);
    // Earlier chunks had no newline, or the loop would have ended.
    if (bytes.includes(0x0a)) break;
  }
  const text = Buffer.concat(chunks).toString('utf8');
  const line = text.split(/\r?\n/)[0] ?? '';
  if (line === '') throw new ExemplarError('VALIDATION_FAILED', 'no password on stdin (pipe it in: `echo "$PASSWORD" | exemplar users … --password-stdin`)');
  return line;
}

function requireStdinFlag(flag: boolean | undefined): void {
  if (!flag) throw new ExemplarError('VALIDATION_FAILED', 'give the password on stdin with --password-stdin (never on the command line)');
}

const describeUser = (u: User) => `${u.username}\t${u.role}\t${u.disabled ? 'disabled' : 'enabled'}\t${u.displayName}`;

export function registerUsersCommand(program: Command, io: CliIo): void {
  const users = program.command('users').description(`manage users and their roles (${ROLES.join(', ')})`);
  const stdin = () => io.stdin ?? process.stdin;

  users
    .command('add')
    .description('create a user (the first admin too); the password is read from stdin')
    .requiredOption('--username <name>', 'user name (lower-case letters, digits, . _ @ -)')
    .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`)
    .option('--display-name <name>', 'name shown in the app and in reports')
    .option('--password-stdin', 'read the password (at least 10 characters) from the first line of stdin')
    .action(async (opts: { username: string; role: string; displayName?: string; passwordStdin?: boolean }, cmd: Command) => {
      requireStdinFlag(opts.passwordStdin);
      const password = await readPasswordFromStdin(stdin());
      const user = await withCliContext(cmd, (ctx) =>
        ctx.services.auth.createUser({ username: opts.username, role: opts.role, password, ...(opts.displayName !== undefined && { displayName: opts.displayName }) }, CLI_ACTOR),
      );
      io.stdout.write(`Created ${user.username} (${user.role}).\n`);
    });

  users
    .command('list')
    .description('list users: name, role, enabled/disabled, display name')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const list = await withCliContext(cmd, (ctx) => ctx.services.auth.listUsers(CLI_ACTOR));
      io.stdout.write(opts.json ? JSON.stringify(list, null, 2) + '\n' : list.map(describeUser).join('\n') + (list.length ? '\n' : ''));
    });

  users
    .command('set-role <username> <role>')
    .description("change a user's role (takes effect at their next request)")
    .action(async (username: string, role: string, _opts: unknown, cmd: Command) => {
      const user = await withCliContext(cmd, (ctx) => ctx.services.auth.updateUser(username, { role }, CLI_ACTOR));
      io.stdout.write(`${user.username} is now ${user.role}.\n`);
    });

  for (const [name, disabled] of [['disable', true], ['enable', false]] as const) {
    users
      .command(`${name} <username>`)
      .description(disabled ? 'disable a user (their sessions end at once; API tokens stop working)' : 'enable a disabled user')
      .action(async (username: string, _opts: unknown, cmd: Command) => {
        const user = await withCliContext(cmd, (ctx) => ctx.services.auth.updateUser(username, { disabled }, CLI_ACTOR));
        io.stdout.write(`${user.username} is ${user.disabled ? 'disabled' : 'enabled'}.\n`);
      });
  }

  users
    .command('passwd <username>')
    .description("set a user's password from stdin (their sessions end and their API tokens are revoked)")
    .option('--password-stdin', 'read the new password from the first line of stdin')
    .action(async (username: string, opts: { passwordStdin?: boolean }, cmd: Command) => {
      requireStdinFlag(opts.passwordStdin);
      const password = await readPasswordFromStdin(stdin());
      await withCliContext(cmd, (ctx) => ctx.services.auth.setPassword(username, { password }, CLI_ACTOR));
      io.stdout.write(`Password of ${username} set.\n`);
    });
}
