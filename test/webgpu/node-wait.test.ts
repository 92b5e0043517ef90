// The quiet wait for Dawn in Node (src/backend/webgpu/node-wait.ts): while a wait is pending,
// Dawn's poll (an unnamed native function re-queued through setImmediate) sleeps first, growing
// to POLL_SLEEP_MAX_MS, and nothing else does; the hook goes when the last wait settles; and a
// read on a software adapter really waits this way (few polls for its length).

import { afterEach, describe, expect, it, vi } from 'vitest';
import { POLL_SLEEP_MAX_MS, waitQuietly } from '../../src/backend/webgpu/node-wait.js';
import * as W from '../../src/index.js';
import { describeWebGPU } from './adapter.js';
import { gpu } from './util.js';

const NATIVE = 'function () { [native code] }';

/** A function Dawn's binding would queue: unnamed, and printed as native code (a bound function is). */
function dawnLikePoll(body: () => void): () => void {
  const f = body.bind(null);
  Object.defineProperty(f, 'name', { value: '' });
  expect(Function.prototype.toString.call(f)).toBe(NATIVE);
  return f;
}

/** Queues `first`'s chain of `n` re-queued callbacks (as Dawn's poll re-queues itself); resolves after the last. */
function requeue(n: number, make: (body: () => void) => () => void): Promise<void> {
  return new Promise<void>((done) => {
    let left = n;
    const cb = make(() => {
      if (--left === 0) done();
      else setImmediate(cb);
    });
    setImmediate(cb);
  });
}

function pending(): { work: Promise<void>; settle: () => void } {
  let settle!: () => void;
  const work = new Promise<void>((r) => {
    settle = r;
  });
  return { work, settle };
}

describe('waiting for Dawn without spinning', () => {
  const original = globalThis.setImmediate;
  afterEach(() => {
    vi.restoreAllMocks();
    globalThis.setImmediate = original;
  });

  it("Dawn's polls sleep first, 4 polls without, then 0.01 ms doubling up to POLL_SLEEP_MAX_MS; other callbacks do not", async () => {
    const sleeps = vi.spyOn(Atomics, 'wait');
    const { work, settle } = pending();
    const waiting = waitQuietly(work);
    await requeue(30, (body) => body); // plain callbacks: queued at once
    expect(sleeps).not.toHaveBeenCalled();
    await requeue(30, dawnLikePoll);
    const ms = sleeps.mock.calls.map((c) => c[3]);
    const want = Array.from({ length: 26 }, (_, i) => Math.min(POLL_SLEEP_MAX_MS, 0.01 * 2 ** i));
    expect(ms).toEqual(want);
    settle();
    await waiting;
  });

  it('the hook is removed when the last of overlapping waits settles, and results pass through', async () => {
    const a = pending();
    const b = pending();
    const wa = waitQuietly(a.work.then(() => 1));
    const wb = waitQuietly(b.work.then(() => 2));
    expect(globalThis.setImmediate).not.toBe(original);
    a.settle();
    expect(await wa).toBe(1);
    expect(globalThis.setImmediate).not.toBe(original);
    b.settle();
    expect(await wb).toBe(2);
    expect(globalThis.setImmediate).toBe(original);
  });

  it('a rejected wait removes the hook and rejects with its error', async () => {
    await expect(waitQuietly(Promise.reject(new Error('lost')))).rejects.toThrow('lost');
    expect(globalThis.setImmediate).toBe(original);
  });

  it('a setImmediate replaced by someone else during the wait is left in place', async () => {
    const { work, settle } = pending();
    const waiting = waitQuietly(work);
    const theirs = ((fn: () => void) => original(fn)) as unknown as typeof setImmediate;
    globalThis.setImmediate = theirs;
    settle();
    await waiting;
    expect(globalThis.setImmediate).toBe(theirs);
  });
});

describeWebGPU('reads on a software adapter wait without spinning', () => {
  it('a read polls Dawn about once per POLL_SLEEP_MAX_MS, not continuously (on a GPU it polls as Dawn does)', async () => {
    const real = globalThis.setImmediate;
    let polls = 0;
    globalThis.setImmediate = ((fn: () => void, ...args: unknown[]) => {
      if (fn.name === '' && Function.prototype.toString.call(fn) === NATIVE) polls++;
      return (real as (f: () => void, ...a: unknown[]) => NodeJS.Immediate)(fn, ...args);
    }) as typeof setImmediate;
    try {
      // a product long enough to be polled many times (tens of ms on SwiftShader)
      const a = W.randn([512, 256], { seed: 1 });
      const b = W.randn([256, 512], { seed: 2 });
      const f = (): Promise<ArrayLike<number>> => a.matmul(b).tanh().sum().data();
      await f(); // compiles the kernels (pipeline creation is polled as Dawn does)
      polls = 0;
      const t0 = performance.now();
      await f();
      const ms = performance.now() - t0;
      if (gpu().info.slowBarriers) {
        // 4 polls at once, 5 short sleeps, then one poll per POLL_SLEEP_MAX_MS at most; spinning
        // polls every few microseconds (thousands in this read)
        expect(polls).toBeLessThanOrEqual(10 + ms / POLL_SLEEP_MAX_MS);
      }
      expect(polls).toBeGreaterThan(0); // the spy sees Dawn's polls: the check above can fail
    } finally {
      globalThis.setImmediate = real;
    }
  });
});
