/**
 * The MRZ reader for a server: decoding happens on libuv threads (sharp),
 * the reading itself — plain JavaScript, a few hundred milliseconds — in a
 * short-lived worker thread, so the event loop never runs it. Bounded: at
 * most `concurrency` reads run and `maxQueue` wait (more fail with BUSY at
 * once); a read taking longer than `timeoutMs` is stopped (TIMEOUT).
 *
 * A worker per read (not a pool): it needs no WebAssembly start, so it costs
 * a few milliseconds, holds no memory between reads and cannot be left in a
 * bad state by an earlier one.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { glyphTemplates } from './glyph-templates';
import type { GlyphTemplates } from './glyphs';
import type { MrzReadOptions, MrzReadResult } from './read';
import { decodeForMrz, toOriginalPixels, type MrzFileOptions } from './read-file';
import type { GreyImage } from '../ops/align-types';

/** Resolved from this file's folder, so it names the compiled worker both from `dist/` and from `src/` (tests run TypeScript). */
export const MRZ_WORKER_FILE = path.resolve(__dirname, '../../dist/mrz/worker.js');

export type MrzReaderErrorCode = 'BUSY' | 'TIMEOUT' | 'CLOSED' | 'WORKER_FAILED';

export class MrzReaderError extends Error {
  readonly code: MrzReaderErrorCode;
  readonly details: Record<string, unknown>;

  constructor(code: MrzReaderErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'MrzReaderError';
    this.code = code;
    this.details = details;
  }
}

export function isMrzReaderError(err: unknown): err is MrzReaderError {
  return err instanceof MrzReaderError;
}

export interface MrzWorkerRequest {
  image: GreyImage;
  templates: GlyphTemplates;
  options: MrzReadOptions;
}

export type MrzWorkerResponse = { ok: true; result: MrzReadResult } | { ok: false; message: string };

export interface MrzReaderOptions {
  concurrency: number;
  maxQueue: number;
  timeoutMs: number;
}

export interface MrzReader {
  /** Reads the MRZ of an image file; coordinates in the result are pixels of the upright original. */
  read(file: string, options?: MrzFileOptions): Promise<MrzReadResult>;
  /** Stops running reads (they fail with CLOSED) and refuses new ones. */
  close(): Promise<void>;
}

export function createMrzReader(options: MrzReaderOptions): MrzReader {
  const running = new Set<Worker>();
  const waiting: (() => void)[] = [];
  let active = 0;
  let closed = false;

  const acquire = async (): Promise<void> => {
    if (active < options.concurrency) {
      active++;
      return;
    }
    if (waiting.length >= options.maxQueue) throw new MrzReaderError('BUSY', 'the MRZ reader is busy; retry later', { concurrency: options.concurrency, maxQueue: options.maxQueue });
    await new Promise<void>((resolve) => waiting.push(resolve));
  };
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else active--;
  };

  const runInWorker = (request: MrzWorkerRequest): Promise<MrzReadResult> =>
    new Promise((resolve, reject) => {
      const worker = new Worker(MRZ_WORKER_FILE, { workerData: request, transferList: [request.image.data.buffer as ArrayBuffer] });
      running.add(worker);
      let settled = false;
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        running.delete(worker);
        void worker.terminate();
        fn();
      };
      const timer = setTimeout(() => finish(() => reject(new MrzReaderError('TIMEOUT', `reading the MRZ took longer than ${options.timeoutMs} ms`, { timeoutMs: options.timeoutMs }))), options.timeoutMs);
      worker.once('message', (msg: MrzWorkerResponse) =>
        finish(() => (msg.ok ? resolve(msg.result) : reject(new MrzReaderError('WORKER_FAILED', `the MRZ reader failed: ${msg.message}`)))),
      );
      worker.once('error', (err) => finish(() => reject(new MrzReaderError('WORKER_FAILED', `the MRZ reader failed: ${err.message}`))));
      worker.once('exit', (code) =>
        finish(() => reject(closed ? new MrzReaderError('CLOSED', 'the MRZ reader was closed') : new MrzReaderError('WORKER_FAILED', `the MRZ reader stopped (exit code ${code})`))),
      );
    });

  return {
    async read(file, readOptions = {}) {
      if (closed) throw new MrzReaderError('CLOSED', 'the MRZ reader was closed');
      await acquire();
      try {
        if (closed) throw new MrzReaderError('CLOSED', 'the MRZ reader was closed');
        const { maxPixels, ...rest } = readOptions;
        const [image, templates] = await Promise.all([decodeForMrz(file, maxPixels), glyphTemplates()]);
        // The decoded buffer is transferred; the templates are copied (the cache stays usable).
        const grey: GreyImage = { data: new Uint8Array(image.data), width: image.width, height: image.height };
        const result = await runInWorker({ image: grey, templates, options: rest });
        return toOriginalPixels(result, image.scale);
      } finally {
        release();
      }
    },
    async close() {
      closed = true;
      for (const w of waiting.splice(0)) {
      active++;
      w();
    }
      await Promise.all([...running].map((w) => w.terminate()));
    },
  };
}
