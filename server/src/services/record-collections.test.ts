/**
 * The services' record collections, as the app opens them (a real SQLite
 * file): every index a service declares exists, whichever service asked for
 * its collection first.
 */
import Database from 'better-sqlite3';
import fs from 'node:fs/promises';
import path from 'node:path';
import { openTestContext } from '../test-helpers';

describe('record collections opened by the services', () => {
  it('have the indexes their services declare (verification requests, though cases open that collection first)', async () => {
    const { context, dataDir } = await openTestContext();
    try {
      const db = new Database(path.join(dataDir, 'catalog.sqlite'), { readonly: true });
      try {
        const names = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'records_verification_requests_%'").all() as { name: string }[]).map((r) => r.name);
        expect(names.sort()).toEqual(['records_verification_requests_0', 'records_verification_requests_1', 'records_verification_requests_2']);
      } finally {
        db.close();
      }
    } finally {
      await context.close();
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  });
});
