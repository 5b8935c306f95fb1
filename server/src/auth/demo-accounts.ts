/**
 * Accounts for a first look at a demo library: one user per role with a
 * random password, written once to `<dataDir>/demo-accounts.txt` (readable
 * by the owner only) so that whoever started `npm start` can log in. Made
 * only next to a freshly seeded demo library and only while no user exists,
 * so a real installation never gets them.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { AppContext } from '../context';
import { ROLES, systemActor, type Role } from '../services/actor';

export const DEMO_ACCOUNTS_FILE = 'demo-accounts.txt';

export interface DemoAccount {
  username: string;
  role: Role;
  password: string;
}

export interface DemoAccounts {
  file: string;
  accounts: DemoAccount[];
}

/** Creates the demo accounts unless a user exists already (then null). */
export async function createDemoAccounts(ctx: AppContext): Promise<DemoAccounts | null> {
  if ((await ctx.services.auth.countUsers()) > 0) return null;
  const actor = systemActor('seed-demo');
  const accounts: DemoAccount[] = [];
  for (const role of ROLES) {
    const account = { username: `demo-${role}`, role, password: randomBytes(12).toString('base64url') };
    await ctx.services.auth.createUser({ ...account, displayName: `Demo ${role.replace('-', ' ')}` }, actor);
    accounts.push(account);
  }
  const file = path.join(ctx.config.dataDir, DEMO_ACCOUNTS_FILE);
  const text = [
    '# Exemplar demo accounts (one per role). Created with the demo library; change or disable them',
    '# (`exemplar users passwd|disable`) before real use.',
    ...accounts.map((a) => `${a.username}\t${a.role}\t${a.password}`),
    '',
  ].join('\n');
  await fs.writeFile(file, text, { mode: 0o600 });
  // An existing file keeps its mode on rewrite.
  await fs.chmod(file, 0o600);
  return { file, accounts };
}

/** The lines the server prints once. */
export function describeDemoAccounts(demo: DemoAccounts): string {
  return [
    `Demo accounts (also in ${demo.file}, readable only by you):`,
    ...demo.accounts.map((a) => `  ${a.username.padEnd(22)} ${a.role.padEnd(15)} password: ${a.password}`),
    '',
  ].join('\n');
}
