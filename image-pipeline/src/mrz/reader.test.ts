import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createMrzReader, MRZ_WORKER_FILE } from './reader';
import { renderMrzImage } from './render-mrz';

// The worker runs the compiled reader: `npx tsc -b image-pipeline` first (npm test builds).
const TD1 = ['I<UTOD231458907<<<<<<<<<<<<<<<', '7408122F1204159UTO<<<<<<<<<<<6', 'ERIKSSON<<ANNA<MARIA<<<<<<<<<<'];

let dir: string;
let file: string;
beforeAll(async () => {
  await fs.access(MRZ_WORKER_FILE);
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mrz-reader-'));
  file = path.join(dir, 'td1.jpg');
  await fs.writeFile(file, await renderMrzImage(TD1, { pitch: 16, rotateDeg: 3, noiseSigma: 5, jpegQuality: 85, seed: 2 }));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('MRZ reader in a worker thread', () => {
  it('reads an image file off the calling thread', async () => {
    const reader = createMrzReader({ concurrency: 1, maxQueue: 1, timeoutMs: 60_000 });
    try {
      const r = await reader.read(file);
      expect(r.found).toBe(true);
      expect(r.reading).toMatchObject({ format: 'TD1', lines: TD1, checkDigitsValid: true });
    } finally {
      await reader.close();
    }
  });

  it('refuses a read beyond its queue at once, and queues within it', async () => {
    const reader = createMrzReader({ concurrency: 1, maxQueue: 1, timeoutMs: 60_000 });
    try {
      const first = reader.read(file);
      const second = reader.read(file);
      await expect(reader.read(file)).rejects.toMatchObject({ name: 'MrzReaderError', code: 'BUSY' });
      expect((await first).found).toBe(true);
      expect((await second).found).toBe(true);
    } finally {
      await reader.close();
    }
  });

  it('stops a read that takes too long', async () => {
    const reader = createMrzReader({ concurrency: 1, maxQueue: 0, timeoutMs: 5 });
    try {
      await expect(reader.read(file)).rejects.toMatchObject({ code: 'TIMEOUT' });
      // The slot is free again.
      await expect(reader.read(file)).rejects.toMatchObject({ code: 'TIMEOUT' });
    } finally {
      await reader.close();
    }
  });

  it('refuses reads once closed, and passes image errors through', async () => {
    const reader = createMrzReader({ concurrency: 1, maxQueue: 0, timeoutMs: 60_000 });
    const bad = path.join(dir, 'bad.jpg');
    await fs.writeFile(bad, Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46]));
    await expect(reader.read(bad)).rejects.toMatchObject({ name: 'ImageError', code: 'IMAGE_CORRUPT' });
    await reader.close();
    await expect(reader.read(file)).rejects.toMatchObject({ code: 'CLOSED' });
  });
});
