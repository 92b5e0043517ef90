// A helper thread for the WebAssembly matmul, in Node (worker_threads): it instantiates the same
// module over the same shared WebAssembly.Memory and runs one kernel call at a time, posted
// through a small shared control array (Atomics.wait/notify, no messages), so the synchronous
// CPU backend can split a call's column panels between itself and the helper and block until
// both halves are done. Null where there are no worker threads or no shared memory (browsers
// without cross-origin isolation): the kernel then runs on one thread.

/** Control words: job counter, function index, 10 arguments, done counter, ready flag. */
const SEQ = 0;
const FN = 1;
const ARGS = 2;
const DONE = 12;
const READY = 13;

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
  const a = ctrl.slice(${ARGS}, ${ARGS + 10});
  fns[ctrl[${FN}]](...a);
  Atomics.store(ctrl, ${DONE}, seen);
  Atomics.notify(ctrl, ${DONE});
}`;

export interface Helper {
  /** Whether the thread has started (until then the caller runs every call itself). */
  ready(): boolean;
  /** Starts `names[fn](...args)` on the helper thread. */
  post(fn: number, args: readonly number[]): void;
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
  const ctrl = new Int32Array(new SharedArrayBuffer(16 * 4));
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
    post(fn, args) {
      ctrl[FN] = fn;
      ctrl.set(args, ARGS);
      Atomics.add(ctrl, SEQ, 1);
      Atomics.notify(ctrl, SEQ);
    },
    wait() {
      const want = Atomics.load(ctrl, SEQ);
      for (let d; (d = Atomics.load(ctrl, DONE)) !== want; ) {
        if (Atomics.wait(ctrl, DONE, d, 60_000) === 'timed-out' || failed) throw new Error(`wasm matmul helper thread failed: ${String(failed ?? 'timed out')}`);
      }
    },
  };
}
