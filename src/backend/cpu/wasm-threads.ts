// A helper thread for the WebAssembly matmul, in Node (worker_threads): it instantiates the same
// module over the same shared WebAssembly.Memory and runs a list of kernel calls at a time,
// posted through a shared control array (Atomics.wait/notify, no messages), so the synchronous
// CPU backend can split a matmul's column panels between itself and the helper and block until
// both halves are done. Null where there are no worker threads or no shared memory (browsers
// without cross-origin isolation): the kernel then runs on one thread.

/** Control words: job counter, function index, call count, done counter, ready flag, then 10 arguments per call. */
const SEQ = 0;
const FN = 1;
const COUNT = 2;
const DONE = 3;
const READY = 4;
const ARGS = 8;
/** Calls one post holds. */
const CAPACITY = 1024;

/** Body of the worker (CommonJS, evaluated from this string). */
const WORKER = `
const { workerData } = require('node:worker_threads');
const { module, memory, ctrl, names } = workerData;
const ex = new WebAssembly.Instance(module, { env: { mem: memory } }).exports;
const fns = names.map((n) => ex[n]);
Atomics.store(ctrl, ${READY}, 1);
let seen = 0;
for (;;) {
  Atomics.wait(ctrl, ${SEQ}, seen);
  seen = Atomics.load(ctrl, ${SEQ});
  const f = fns[ctrl[${FN}]];
  for (let c = 0, n = ctrl[${COUNT}]; c < n; c++) {
    const a = ctrl.subarray(${ARGS} + 10 * c, ${ARGS} + 10 * c + 10);
    f(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9]);
  }
  Atomics.store(ctrl, ${DONE}, seen);
  Atomics.notify(ctrl, ${DONE});
}`;

export interface Helper {
  /** Whether the thread has started (until then the caller runs every call itself). */
  ready(): boolean;
  /** Calls one post holds. */
  readonly capacity: number;
  /** Starts `names[fn](...args)` for each of `calls` (at most `capacity`), in order, on the helper thread. */
  post(fn: number, calls: readonly (readonly number[])[]): void;
  /** Blocks until the posted call has returned. */
  wait(): void;
}

interface WorkerThreads {
  Worker: new (src: string, opts: { eval: boolean; workerData: unknown }) => { unref(): void; on(ev: string, f: (e: unknown) => void): void };
}

/** The worker_threads module where the platform has it synchronously (Node ≥ 20.16), else null. */
function workerThreads(): WorkerThreads | null {
  const p = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  return (p?.getBuiltinModule?.('node:worker_threads') as WorkerThreads | undefined) ?? null;
}

/** How many cores the platform reports (1 where unknown). */
export function coreCount(): number {
  const p = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const os = p?.getBuiltinModule?.('node:os') as { availableParallelism?: () => number } | undefined;
  return os?.availableParallelism?.() ?? 1;
}

/** A helper thread running `names` of `module` over the shared `memory`, or null. */
export function startHelper(module: WebAssembly.Module, memory: WebAssembly.Memory, names: readonly string[]): Helper | null {
  const wt = workerThreads();
  if (!wt || typeof SharedArrayBuffer !== 'function' || !(memory.buffer instanceof SharedArrayBuffer)) return null;
  const ctrl = new Int32Array(new SharedArrayBuffer((ARGS + 10 * CAPACITY) * 4));
  let failed: unknown = null;
  try {
    const w = new wt.Worker(WORKER, { eval: true, workerData: { module, memory, ctrl, names } });
    w.on('error', (e) => (failed = e));
    w.unref(); // never keeps the process alive
  } catch {
    return null;
  }
  return {
    ready: () => Atomics.load(ctrl, READY) === 1,
    capacity: CAPACITY,
    post(fn, calls) {
      ctrl[FN] = fn;
      ctrl[COUNT] = calls.length;
      calls.forEach((args, c) => ctrl.set(args, ARGS + 10 * c));
      Atomics.add(ctrl, SEQ, 1);
      Atomics.notify(ctrl, SEQ);
    },
    wait() {
      const want = Atomics.load(ctrl, SEQ);
      for (let d: number; (d = Atomics.load(ctrl, DONE)) !== want; ) {
        if (Atomics.wait(ctrl, DONE, d, 60_000) === 'timed-out' || failed)
          throw new Error(`wasm matmul helper thread failed: ${String(failed ?? 'timed out')}`);
      }
    },
  };
}
