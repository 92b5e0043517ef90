// How the thread waits for Dawn in Node without taking a core from a software adapter.
//
// Dawn's Node binding (npm `webgpu`) settles its promises (mapAsync, onSubmittedWorkDone, ...) by
// polling: while any is pending it queues `wgpuInstanceProcessEvents` through the global
// `setImmediate`, again and again, so a pending read keeps the thread 100 % busy. On a software
// adapter (SwiftShader) the shaders run on worker threads of this same machine, and the polling
// thread takes one of its cores from them: on 2 cores a kernel of many workgroups ran on about one.
// While a wait made through waitQuietly() is pending, Dawn's poll (an unnamed native function) is
// queued after a short sleep on a futex (`Atomics.wait`, which Node allows on any thread), a sleep
// that grows with the number of polls from none to POLL_SLEEP_MAX_MS. Everything else passed to
// `setImmediate` is queued at once, as before. The backend waits this way on software adapters
// only: on a GPU the spinning costs no device time and sees the result soonest. In a browser
// nothing here applies (`navigator.gpu` has no such poll); without `setImmediate` or
// `Atomics.wait`, waits are left as they are.

/** The longest sleep between two polls (ms): the most a wait can overshoot the device's finish. */
export const POLL_SLEEP_MAX_MS = 0.2;
/** Polls that run without sleeping first, so that a short wait keeps its latency. */
const POLLS_BEFORE_SLEEP = 4;
const POLL_SLEEP_MIN_MS = 0.01;

type SetImmediate = (fn: (...args: unknown[]) => void, ...args: unknown[]) => unknown;
interface Host {
  setImmediate?: SetImmediate;
}

const host = globalThis as unknown as Host;
let pending = 0;
let polls = 0;
let original: SetImmediate | null = null;
let futex: Int32Array | null = null;

/** True for the callback Dawn's binding re-queues while its promises are pending. */
function isDawnPoll(fn: unknown): boolean {
  return typeof fn === 'function' && fn.name === '' && Function.prototype.toString.call(fn) === 'function () { [native code] }';
}

function sleepBeforePoll(): void {
  const n = polls++;
  if (n < POLLS_BEFORE_SLEEP || !futex) return;
  const ms = Math.min(POLL_SLEEP_MAX_MS, POLL_SLEEP_MIN_MS * 2 ** (n - POLLS_BEFORE_SLEEP));
  Atomics.wait(futex, 0, 0, ms);
}

function install(): void {
  const real = host.setImmediate;
  if (!real || typeof Atomics?.wait !== 'function' || typeof SharedArrayBuffer !== 'function') return;
  futex ??= new Int32Array(new SharedArrayBuffer(4));
  original = real;
  polls = 0;
  host.setImmediate = function quietSetImmediate(fn, ...args) {
    if (isDawnPoll(fn)) sleepBeforePoll();
    return real(fn, ...args);
  };
}

function uninstall(): void {
  // someone else may have replaced setImmediate since: leave theirs in place
  if (original && host.setImmediate?.name === 'quietSetImmediate') host.setImmediate = original;
  original = null;
}

/**
 * Awaits `work` (a promise Dawn settles) with Dawn's polling slowed to short sleeps, so the
 * device's worker threads get every core. Waits may nest or overlap; the hook is removed when
 * the last one settles.
 */
export async function waitQuietly<T>(work: Promise<T>): Promise<T> {
  if (pending++ === 0) install();
  try {
    return await work;
  } finally {
    if (--pending === 0) uninstall();
  }
}
