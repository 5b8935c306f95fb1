import fs from 'node:fs/promises';
import { openTestContext } from '../test-helpers';
import { ROLES } from '../services/actor';
import { createDemoAccounts, describeDemoAccounts } from './demo-accounts';

it('makes one account per role, readable only by the owner, that can log in; never when users exist', async () => {
  const { context, dataDir } = await openTestContext();
  try {
    const demo = await createDemoAccounts(context);
    expect(demo).not.toBeNull();
    expect(demo!.accounts.map((a) => a.role)).toEqual([...ROLES]);
    expect((await fs.stat(demo!.file)).mode & 0o777).toBe(0o600);
    const text = await fs.readFile(demo!.file, 'utf8');
    for (const a of demo!.accounts) {
      expect(text).toContain(`${a.username}\t${a.role}\t${a.password}`);
      const session = await context.services.auth.login({ username: a.username, password: a.password }, { ip: '127.0.0.1' });
      expect(session.user.role).toBe(a.role);
    }
    expect(describeDemoAccounts(demo!)).toContain(demo!.accounts[0]!.password);
    expect(await createDemoAccounts(context)).toBeNull();
  } finally {
    await context.close();
    await fs.rm(dataDir, { recursive: true, force: true });
  }
});
