// Garbage collection for tests of buffer lifetimes: a full collection on demand (V8's gc, exposed
// at run time), and the backend's live bytes once every finalizer that is going to run has run.

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { _backend } from '../../src/internal.js';

setFlagsFromString('--expose_gc');
/** V8's full collection. */
export const gc = runInNewContext('gc') as () => void;

/**
 * Live buffer bytes once collected tensors' buffers went back. Finalizers run after the
 * collection, later on a loaded machine (and earlier tests' garbage may still be pending):
 * collect until the live bytes stop falling (3 rounds in a row), at most 50 rounds.
 */
export async function liveBytesAfterCollection(): Promise<number> {
  let last = Number.POSITIVE_INFINITY;
  for (let i = 0, still = 0; i < 50 && still < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 5));
    const now = _backend().stats.liveBytes;
    still = now < last ? 0 : still + 1;
    last = Math.min(last, now);
  }
  return _backend().stats.liveBytes;
}
