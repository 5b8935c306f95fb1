/**
 * Worker-thread entry of the MRZ reader (loaded from the compiled
 * `dist/mrz/worker.js`). It receives decoded grey pixels and the glyph
 * templates — both prepared by the calling thread, which owns sharp — and
 * answers the reading as plain data.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { readMrzFromGrey } from './read';
import type { MrzWorkerRequest, MrzWorkerResponse } from './reader';

const request = workerData as MrzWorkerRequest;
let response: MrzWorkerResponse;
try {
  response = { ok: true, result: readMrzFromGrey(request.image, request.templates, request.options) };
} catch (err) {
  response = { ok: false, message: err instanceof Error ? err.message : String(err) };
}
parentPort!.postMessage(response);
