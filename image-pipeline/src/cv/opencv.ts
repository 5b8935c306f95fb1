/**
 * The one place that loads OpenCV (WebAssembly). Load it only inside worker
 * threads or CLI/bench processes, never on the server's event loop.
 *
 * Quirks handled here:
 * - the module object is a thenable whose `then` resolves with itself, so
 *   `await`ing it directly never settles: we take the ready callback once and
 *   delete `then`;
 * - at load it installs process-wide `unhandledRejection` and
 *   `uncaughtException` handlers that would swallow our errors: they are removed;
 * - its heap grows to at most 1 GiB and never shrinks: every Mat must be
 *   freed, so callers use `withMats`.
 */
import type * as OpenCv from '@techstark/opencv-js';

export type Cv = typeof OpenCv;
export type Mat = OpenCv.Mat;

let loading: Promise<Cv> | undefined;

export function loadOpenCv(): Promise<Cv> {
  loading ??= new Promise<Cv>((resolve, reject) => {
    const events = ['unhandledRejection', 'uncaughtException'] as const;
    const before = new Map(events.map((e) => [e, new Set(process.listeners(e as 'uncaughtException'))]));
    let mod: Cv & { then?: unknown };
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      mod = require('@techstark/opencv-js') as Cv & { then?: unknown };
    } catch (err) {
      reject(err);
      return;
    }
    for (const e of events) {
      for (const l of process.listeners(e as 'uncaughtException')) {
        if (!before.get(e)?.has(l)) process.removeListener(e, l);
      }
    }
    const finish = () => {
      delete mod.then;
      resolve(mod);
    };
    if (typeof mod.then === 'function') {
      (mod.then as (cb: () => void) => void)(finish);
    } else {
      finish();
    }
  });
  return loading;
}

/** Anything with a `delete()` that owns WebAssembly memory (Mat, MatVector, KeyPointVector, detectors…). */
export interface Deletable {
  delete(): void;
  isDeleted?: () => boolean;
}

/**
 * Runs `fn` with a tracker; every object passed to `track` is deleted when
 * `fn` settles, whether it returned or threw. Return plain JS values (numbers,
 * typed-array copies), never a tracked object.
 */
export async function withMats<T>(fn: (track: <M extends Deletable>(m: M) => M) => Promise<T> | T): Promise<T> {
  const owned: Deletable[] = [];
  const track = <M extends Deletable>(m: M): M => {
    owned.push(m);
    return m;
  };
  try {
    return await fn(track);
  } finally {
    for (let i = owned.length - 1; i >= 0; i--) {
      const m = owned[i]!;
      try {
        if (!m.isDeleted || !m.isDeleted()) m.delete();
      } catch {
        // already freed by OpenCV itself (e.g. moved into a vector): nothing to release
      }
    }
  }
}
