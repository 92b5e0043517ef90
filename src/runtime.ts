// The runtime: which backend is active (init), realization of lazy nodes (schedule + execute),
// readback, buffer lifetimes (buffers return to the backend when their node is collected or
// disposed) and profile().

import type { Backend } from './backend/backend.js';
import { CpuBackend } from './backend/cpu/cpu.js';
import { setWasmMatmulFma, setWasmMatmulThreads } from './backend/cpu/wasm-matmul.js';
import type { HostArray } from './dtype.js';
import { ArgumentError, BackendError } from './errors.js';
import { installRuntime, setActiveBackendName } from './ir/host.js';
import type { Node, RealizedBuffer } from './ir/node.js';
import { setElementLimit } from './ir/shape.js';
import { markComputed, valuesToKeep } from './recompute.js';
import { type Fingerprint, PlanCache, fingerprint } from './schedule/plan-cache.js';
import { type Schedule, schedule } from './schedule/scheduler.js';
import { type AdapterFacts, type BackendChoice, chooseAuto, currentEnvironment, describeAdapter } from './backend/choice.js';

export type BackendName = 'cpu' | 'webgpu' | 'auto';

export interface InitOptions {
  backend?: BackendName;
  /** The CPU backend's matmul (it applies whichever backend is chosen: the CPU backend may be chosen later). */
  cpu?: CpuOptions;
}

export interface CpuOptions {
  /**
   * A fused multiply-add per step (one rounding instead of two) where the engine has relaxed SIMD
   * (Chrome ≥ 114, Node ≥ 22): faster, and more accurate. false: a separate multiply and add
   * everywhere, so products are bit-identical on every engine. Default true; kept until changed.
   */
  fma?: boolean;
  /** Threads for large products: 2 (where Node's worker threads are available) or 1. Default 2 on 2+ cores; kept until changed. */
  threads?: 1 | 2;
}

/** Applies init's cpu options, after checking them. */
function applyCpuOptions(cpu: unknown): void {
  if (cpu === undefined) return;
  const form = 'init({ cpu: { fma?: boolean, threads?: 1 | 2 } })';
  if (typeof cpu !== 'object' || cpu === null || Array.isArray(cpu)) throw new ArgumentError(`init: cpu must be an object, as in ${form}; got ${String(cpu)}`);
  const { fma, threads, ...rest } = cpu as CpuOptions;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) throw new ArgumentError(`init: unknown cpu option${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; expected ${form}`);
  if (fma !== undefined && typeof fma !== 'boolean') throw new ArgumentError(`init: cpu.fma must be true or false; got ${String(fma)}`);
  if (threads !== undefined && threads !== 1 && threads !== 2) throw new ArgumentError(`init: cpu.threads must be 1 or 2; got ${String(threads)}`);
  if (fma !== undefined) setWasmMatmulFma(fma);
  if (threads !== undefined) setWasmMatmulThreads(threads);
}

let active: Backend | null = null;

/**
 * Optional WebGPU factory, installed by the WebGPU backend module when it is available: the
 * adapter found and how to make a backend on it, or why none was found (drivers tried, what to
 * install).
 */
type WebGPUFactory = () => Promise<{ adapter: AdapterFacts; create: () => Backend } | string>;
let webgpuFactory: WebGPUFactory | null = null;

export function registerWebGPU(factory: WebGPUFactory): void {
  webgpuFactory = factory;
}

let choice: BackendChoice = { backend: 'cpu', requested: 'cpu', reason: 'init() was not called: the CPU backend is the default', adapter: null };

/** What the last init() chose and why (backend, what was asked, the reason, the adapter considered). */
export function backendInfo(): BackendChoice {
  return choice;
}

/**
 * Chooses the backend and returns its name; backendInfo() says why. 'webgpu' takes whatever
 * adapter exists; 'auto' takes a hardware GPU, and a software adapter (SwiftShader, llvmpipe,
 * WARP, any fallback adapter) only on a page's main thread, where the CPU backend would block the
 * UI; otherwise the CPU backend (src/backend/choice.ts).
 */
export async function init(opts: InitOptions = {}): Promise<'cpu' | 'webgpu'> {
  const form = "init({ backend: 'cpu' | 'webgpu' | 'auto' })";
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) {
    const got = typeof opts === 'string' ? `the string '${opts}' (write init({ backend: '${opts}' }))` : Array.isArray(opts) ? 'an array' : String(opts);
    throw new ArgumentError(`init: expected an options object, ${form}, or no argument; got ${got}`);
  }
  const want = opts.backend ?? 'auto';
  if (want !== 'cpu' && want !== 'webgpu' && want !== 'auto') {
    throw new ArgumentError(`init: backend must be 'cpu', 'webgpu' or 'auto', as in ${form}; got ${String(want)}`);
  }
  applyCpuOptions(opts.cpu);
  if (want === 'cpu') {
    setBackend(new CpuBackend(), { backend: 'cpu', requested: 'cpu', reason: 'asked for', adapter: null });
    return 'cpu';
  }
  const gpu = webgpuFactory ? await webgpuFactory() : 'the WebGPU backend module is not loaded';
  if (want === 'webgpu') {
    if (typeof gpu === 'string') throw new BackendError(`init: no WebGPU adapter was found: ${gpu}`);
    setBackend(gpu.create(), { backend: 'webgpu', requested: 'webgpu', reason: 'asked for', adapter: describeAdapter(gpu.adapter) });
    return 'webgpu';
  }
  const c = typeof gpu === 'string' ? chooseAuto(null, currentEnvironment(), gpu) : chooseAuto(gpu.adapter, currentEnvironment());
  setBackend(c.backend === 'webgpu' && typeof gpu !== 'string' ? gpu.create() : new CpuBackend(), c);
  return c.backend;
}

function setBackend(b: Backend, chosen?: BackendChoice): void {
  if (active && active !== b) active.destroy();
  active = b;
  setActiveBackendName(b.name, b.stackedChannels, b.storageBufferLimit);
  if (chosen) choice = chosen;
  const why = b.name === 'cpu' ? 'the longest JS typed array' : "the device's maxBufferSize and maxStorageBufferBindingSize, at 4 bytes per element";
  setElementLimit(b.maxElements, `the ${b.name} backend (${why})`);
}

/** The active backend (the CPU backend until init() says otherwise). */
export function backend(): Backend {
  if (!active) setBackend(new CpuBackend());
  return active!;
}

const finalizer = new FinalizationRegistry<RealizedBuffer>((buf) => buf.release());

/** Nodes an asynchronous realization is using, with their counts, and those disposed meanwhile. */
const pins = new Map<Node, number>();
const deferred = new Set<Node>();

/** Frees a node's value now (dispose): the node cannot be used afterwards. */
export function releaseNode(node: Node): void {
  node.disposed = true;
  if (pins.has(node)) {
    deferred.add(node); // an asynchronous realization or read in flight still needs it
    return;
  }
  if (node.buffer) {
    finalizer.unregister(node);
    node.buffer.release();
    node.buffer = null;
  }
  node.inputs = [];
}

/** Keeps `nodes` (and what they need) from being freed by dispose() until `unpin`. */
function pin(nodes: Iterable<Node>): void {
  for (const n of nodes) pins.set(n, (pins.get(n) ?? 0) + 1);
}

function unpin(nodes: Iterable<Node>): void {
  for (const n of nodes) {
    const c = pins.get(n)! - 1;
    if (c > 0) {
      pins.set(n, c);
      continue;
    }
    pins.delete(n);
    if (deferred.delete(n)) releaseNode(n);
  }
}

function attach(node: Node, buf: RealizedBuffer): void {
  node.buffer = buf;
  node.inputs = []; // the graph above a realized node is no longer needed
  finalizer.register(node, buf, node);
}

/** Moves a value computed on the CPU backend to backend `b` (after init() switched backends). */
function migrate(n: Node, b: Backend): void {
  const old = n.buffer!;
  if (old.backendName !== 'cpu') {
    throw new BackendError(
      `a tensor of shape [${n.shape.join(', ')}] lives on the ${old.backendName} backend, but ${b.name} is active now; read it with data() and create a new tensor`,
    );
  }
  finalizer.unregister(n);
  // upload before the release: the CPU backend reuses the arrays it frees
  const moved = b.upload(old.handle as HostArray, n.dtype);
  old.release();
  attach(n, moved);
}

interface Job {
  /** The nodes to realize: those asked for, then the values kept against the laziness trap (recompute.ts). */
  readonly pending: readonly Node[];
  readonly schedule: Schedule;
  /** The unrealized nodes the plan computes (marked `computed` once it ran). */
  readonly walked: readonly Node[];
  /** The fingerprint of the nodes asked for (null when the plan cache is off). */
  readonly fp: Fingerprint | null;
}

/** Plans by the structure of the graph they compute (schedule/plan-cache.ts). */
const planCache = new PlanCache(64);
let planCacheOn = true;

/** Counts of the plan cache: schedules made, cache hits and misses, entries held. */
export function planCacheStats(): { schedules: number; hits: number; misses: number; entries: number } {
  return { schedules, ...planCache.stats, entries: planCache.size };
}

/** Turns plan reuse on or off (the entries stay; `clear` empties the cache); returns the previous setting. */
export function setPlanCache(on: boolean, clear = false): boolean {
  const was = planCacheOn;
  planCacheOn = on;
  if (clear) planCache.clear();
  return was;
}

let schedules = 0;

/** The schedule for `pending` (fingerprinted as `known`): the cached plan of a graph of the same structure, or a new one. */
function scheduleCached(pending: readonly Node[], known?: Fingerprint | null): Schedule {
  const fp = known !== undefined ? known : planCacheOn ? fingerprint(pending) : null;
  const hit = fp && planCache.lookup(fp);
  if (hit) return hit;
  schedules++;
  const s = schedule(pending);
  if (fp) planCache.store(fp, s);
  return s;
}

/**
 * Buffers of collected tensors go back to their backend through FinalizationRegistry callbacks,
 * which run as macrotasks: a loop that only awaits wgad (microtasks, as a CPU training loop does)
 * would starve them, and memory would grow without bound. So every EVENT_LOOP_TURN_EVERY
 * asynchronous realizations (data(), evaluate()) let the event loop turn once.
 */
const EVENT_LOOP_TURN_EVERY = 64;
let sinceTurn = 0;

function eventLoopTurnDue(): boolean {
  if (++sinceTurn < EVENT_LOOP_TURN_EVERY) return false;
  sinceTurn = 0;
  return true;
}

/** A promise that settles after the event loop has turned once (a macrotask). */
function eventLoopTurn(): Promise<void> {
  const g = globalThis as { setImmediate?: (f: () => void) => void };
  if (g.setImmediate) return new Promise((r) => g.setImmediate!(r));
  if (typeof MessageChannel !== 'undefined') {
    const c = new MessageChannel();
    return new Promise((r) => {
      c.port1.onmessage = () => {
        c.port1.close();
        r();
      };
      c.port2.postMessage(null);
    });
  }
  return new Promise((r) => setTimeout(r, 0));
}

/** Schedules the nodes of `nodes` that are not yet realized into one plan (null: nothing to do). */
function plan(b: Backend, nodes: readonly Node[]): Job | null {
  const asked = nodes.filter((n) => n.buffer === null || n.buffer.backendName !== b.name);
  for (const n of asked) {
    if (n.disposed) throw new ArgumentError('realize: a tensor was disposed');
  }
  if (asked.length === 0) return null;
  const fp = planCacheOn ? fingerprint(asked) : null;
  const { extra, walked } = valuesToKeep(asked, fp); // no laziness trap (recompute.ts)
  const pending = extra.length === 0 ? asked : [...asked, ...extra];
  return { pending, schedule: scheduleCached(pending, extra.length === 0 ? fp : undefined), walked, fp };
}

/** Runs a job's plan and attaches the results to its nodes. */
function run(b: Backend, { pending, schedule: { plan, targetSlots }, walked, fp }: Job): void {
  const inputs = new Map<number, RealizedBuffer>();
  plan.slots.forEach((s, i) => {
    if (!s.input) return;
    const n = s.input;
    if (n.buffer === null) attach(n, b.upload(n.p('const').data, n.dtype));
    else if (n.buffer.backendName !== b.name) {
      if (n.op !== 'const') migrate(n, b);
      else {
        // a constant's data is at hand: upload it again (the scheduler's own constants outlive backends)
        finalizer.unregister(n);
        attach(n, b.upload(n.p('const').data, n.dtype));
      }
    }
    inputs.set(i, n.buffer!);
  });
  const outs = b.execute(plan, inputs);
  const claimed = new Set<number>();
  pending.forEach((n, i) => {
    const slot = targetSlots[i]!;
    if (n.buffer) return;
    const buf = outs.get(slot) ?? inputs.get(slot);
    if (!buf) throw new Error(`realize: no buffer for slot ${slot}`);
    if (claimed.has(slot) || inputs.has(slot)) buf.retain();
    claimed.add(slot);
    attach(n, buf);
  });
  markComputed(walked, fp);
}

/** Computes every node in `nodes` that is not yet realized, in one plan. */
export function realize(nodes: readonly Node[]): void {
  const b = backend();
  const job = plan(b, nodes);
  if (job) run(b, job);
}

/**
 * realize(), but lets the backend get ready first without blocking (WebGPU compiles the plan's
 * new pipelines asynchronously); returns `then()`'s result directly when everything finished
 * synchronously. The nodes stay usable meanwhile (a dispose() waits), so a read started before a
 * dispose() still gets its value; `then` runs on the realized nodes before they are let go (a read
 * queues its copy there). Every EVENT_LOOP_TURN_EVERY calls, the result comes after one turn of
 * the event loop (collected tensors' buffers are freed then).
 */
export function realizeAsync<T>(nodes: readonly Node[], then: () => T): T | Promise<T> {
  const r = realizeThen(nodes, then);
  return eventLoopTurnDue() ? Promise.resolve(r).then((v) => eventLoopTurn().then(() => v)) : r;
}

function realizeThen<T>(nodes: readonly Node[], then: () => T): T | Promise<T> {
  const b = backend();
  const job = plan(b, nodes);
  const ready = job && b.prepare?.(job.schedule.plan);
  if (!ready) {
    if (job) run(b, job);
    return then();
  }
  const held = [...nodes, ...job.pending, ...job.schedule.plan.slots.flatMap((s) => (s.input ? [s.input] : []))];
  pin(held);
  return ready
    .then(() => {
      // another plan may have realized some of the nodes meanwhile, or init() switched backends
      if (backend() !== b || job.pending.some((n) => n.buffer !== null)) realize(nodes);
      else run(b, job);
      return then();
    })
    .finally(() => unpin(held));
}

/** Computes `node` and copies its value to the host. */
export async function readNode(node: Node): Promise<HostArray> {
  if (node.op === 'const' && node.buffer === null) return node.p('const').data.slice();
  const values = await realizeAsync([node], () => backend().read(node.buffer!, node.dtype, node.size));
  if (node.size <= KEEP_READ_ELEMENTS && node.buffer?.backendName !== 'cpu') readBack.set(node, values.slice());
  return values;
}

/**
 * Copies of small values read back from a device (WebGPU), so that toString() can show them
 * without waiting; they go with their node.
 */
const readBack = new WeakMap<Node, HostArray>();
const KEEP_READ_ELEMENTS = 1000;

/** The value of `node` if the host holds it: a constant, a CPU buffer, or a small value read back. */
function peekNode(node: Node): HostArray | null {
  if (node.disposed) return null;
  if (node.op === 'const') return node.p('const').data;
  if (node.buffer?.backendName === 'cpu') return node.buffer.handle as HostArray;
  return readBack.get(node) ?? null;
}

installRuntime({ read: readNode, release: releaseNode, peek: peekNode });

export interface ProfileResult<T = unknown> {
  /** Kernels executed by the callback. */
  kernels: number;
  /** Bytes of new buffers allocated. */
  bytesAllocated: number;
  /** Highest bytes held by live buffers while the callback ran. */
  peakBytes: number;
  /** Pipelines (compiled kernels) created. */
  pipelines: number;
  /** Milliseconds spent compiling them (part of `ms`). */
  compileMs: number;
  /** Plans executed. */
  plans: number;
  /** Wall-clock milliseconds. */
  ms: number;
  /** The active backend, and why init() chose it. */
  backend: BackendChoice;
  /** What the callback returned. */
  result: T;
}

/** Runs `fn` and reports what it executed on the active backend. */
export async function profile<T>(fn: () => Promise<T> | T): Promise<ProfileResult<T>> {
  const b = backend();
  const before = { ...b.stats };
  b.resetPeak();
  const t0 = performance.now();
  const result = await fn();
  const ms = performance.now() - t0;
  const s = b.stats;
  return {
    kernels: s.kernels - before.kernels,
    bytesAllocated: s.bytesAllocated - before.bytesAllocated,
    peakBytes: s.peakBytes,
    pipelines: s.pipelines - before.pipelines,
    compileMs: s.compileMs - before.compileMs,
    plans: s.plans - before.plans,
    ms,
    backend: choice,
    result,
  };
}
