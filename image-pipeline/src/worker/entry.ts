/**
 * Worker-thread entry of the pipeline pool (loaded by piscina from the
 * compiled `dist/worker/entry.js`). The default export is a promise of the
 * task handler, which piscina awaits before the worker takes tasks: OpenCV
 * (a multi-second WebAssembly start) is loaded once per worker, up front.
 *
 * Every task answers a `WorkerResponse` — errors included, as data — with
 * the size of the WebAssembly heap. After an error (OpenCV state may be
 * damaged, Mats may have leaked) or once the heap, which never shrinks, has
 * grown past the configured limit, the worker writes its threadId into the
 * shared retire flags *before* answering; the pool's load balancer then
 * gives it no further task and the pool terminates it once the answer is in.
 */
import { threadId, workerData } from 'node:worker_threads';
import { loadOpenCv } from '../cv/opencv';
import { glyphTemplates } from '../mrz/glyph-templates';
import { runTask } from './handlers';
import { warmUpWorker } from './warm-up';
import type { WorkerConfig, WorkerErrorData, WorkerResponse, WorkerTask } from './protocol';

const config = workerData as WorkerConfig;
const flags = new Int32Array(config.retireFlags);

function heapBytes(cv: unknown): number {
  const heap = (cv as { HEAPU8?: Uint8Array }).HEAPU8;
  return heap ? heap.length : 0;
}

function errorData(err: unknown): WorkerErrorData {
  if (err instanceof Error) {
    return { name: err.name, message: err.message, code: err instanceof TypeError || err instanceof RangeError ? 'INVALID_INPUT' : 'WORKER_FAILED' };
  }
  // OpenCV's WebAssembly throws raw numbers (pointers to C++ exceptions).
  return { name: 'OpenCvError', message: `OpenCV raised ${typeof err === 'number' ? `exception ${err}` : String(err)}`, code: 'WORKER_FAILED' };
}

async function handle(task: WorkerTask): Promise<WorkerResponse> {
  const cv = await loadOpenCv();
  let response: WorkerResponse;
  try {
    const value = await runTask(task);
    const heap = heapBytes(cv);
    response = { ok: true, value, threadId, heapBytes: heap, retire: heap > config.heapLimitBytes };
  } catch (err) {
    response = { ok: false, error: errorData(err), threadId, heapBytes: heapBytes(cv), retire: true };
  }
  if (response.retire) Atomics.store(flags, threadId % flags.length, threadId);
  return response;
}

// The MRZ glyph templates are rendered while OpenCV compiles, so the first comparison that reads an MRZ does not
// wait for them. Not awaited: should rendering them fail, only MRZ reading fails (and says why), not every task.
glyphTemplates().catch(() => undefined);

// Ready only once warm: a task waiting for the warm-up would cost no more than running cold, and later ones far less.
export default loadOpenCv()
  .then(() => warmUpWorker())
  .then(() => handle);
