// The runtime: which backend is active (init), realization of lazy nodes (schedule + execute),
// readback, buffer lifetimes (buffers return to the backend when their node is collected or
// disposed) and profile().

import type { Backend } from './backend/backend.js';
import { CpuBackend } from './backend/cpu/cpu.js';
import type { DType, HostArray } from './dtype.js';
import { ArgumentError, BackendError, DTypeError, fmtShape } from './errors.js';
import type { Node, RealizedBuffer } from './ir/node.js';
import { setElementLimit } from './ir/shape.js';
import { schedule } from './schedule/scheduler.js';

export type BackendName = 'cpu' | 'webgpu' | 'auto';

export interface InitOptions {
  backend?: BackendName;
}

let active: Backend | null = null;

/**
 * Optional WebGPU factory, installed by the WebGPU backend module when it is available: a backend,
 * or why none could be made (which drivers were tried, what to install).
 */
type WebGPUFactory = () => Promise<Backend | string>;
let webgpuFactory: WebGPUFactory | null = null;

export function registerWebGPU(factory: WebGPUFactory): void {
  webgpuFactory = factory;
}

/**
 * Chooses the backend. 'auto' picks WebGPU when an adapter exists, else the CPU. Returns the name
 * of the backend chosen.
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
  if (want === 'cpu') {
    setBackend(new CpuBackend());
    return 'cpu';
  }
  const gpu = webgpuFactory ? await webgpuFactory() : 'the WebGPU backend module is not loaded';
  if (typeof gpu !== 'string') {
    setBackend(gpu);
    return 'webgpu';
  }
  if (want === 'webgpu') {
    throw new BackendError(`init: no WebGPU adapter was found: ${gpu}`);
  }
  setBackend(new CpuBackend());
  return 'cpu';
}

function setBackend(b: Backend): void {
  if (active && active !== b) active.destroy();
  active = b;
  const why = b.name === 'cpu' ? 'the longest JS typed array' : "the device's maxBufferSize and maxStorageBufferBindingSize, at 4 bytes per element";
  setElementLimit(b.maxElements, `the ${b.name} backend (${why})`);
}

/** Raises a DTypeError when the active backend cannot hold `dtype` (float64 on WebGPU). */
export function checkBackendDType(op: string, dtype: DType): void {
  if (dtype === 'float64' && active?.name === 'webgpu') {
    throw new DTypeError(`${op}: float64 is not supported on the WebGPU backend (GPUs compute in float32); use float32, or init({ backend: 'cpu' }) for float64`);
  }
}

/**
 * Raises when an op `op` is built on `node` (described by `what`) that the active backend cannot
 * read: a value computed on WebGPU after init() switched to the CPU (its device is gone), or a
 * float64 tensor (made on the CPU) while WebGPU is active. A float32 CPU value is fine: it moves.
 */
export function checkResident(op: string, node: Node, what: string): void {
  const name = active?.name ?? 'cpu';
  const home = node.buffer?.backendName;
  if (home !== undefined && home !== name && home !== 'cpu') {
    throw new BackendError(
      `${op}: ${what} (shape ${fmtShape(node.shape)}) lives on the ${home} backend, which is no longer active (init() switched to ${name}); ` +
        'read it with data() before switching backends and create a new tensor from the values',
    );
  }
  if (node.dtype === 'float64' && name === 'webgpu') {
    throw new DTypeError(
      `${op}: float64 is not supported on the WebGPU backend (GPUs compute in float32), but ${what} (shape ${fmtShape(node.shape)}) is a float64 tensor made on the CPU backend; ` +
        "read it with data() and create a float32 tensor, or init({ backend: 'cpu' }) to keep float64",
    );
  }
}

/** The active backend (the CPU backend until init() says otherwise). */
export function backend(): Backend {
  if (!active) setBackend(new CpuBackend());
  return active!;
}

const finalizer = new FinalizationRegistry<RealizedBuffer>((buf) => buf.release());

/** Frees a node's value now (dispose): the node cannot be used afterwards. */
export function releaseNode(node: Node): void {
  node.disposed = true;
  if (node.buffer) {
    finalizer.unregister(node);
    node.buffer.release();
    node.buffer = null;
  }
  node.inputs = [];
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
    throw new BackendError(`a tensor of shape [${n.shape.join(', ')}] lives on the ${old.backendName} backend, but ${b.name} is active now; read it with data() and create a new tensor`);
  }
  finalizer.unregister(n);
  old.release();
  attach(n, b.upload(old.handle as HostArray, n.dtype));
}

/** Computes every node in `nodes` that is not yet realized, in one plan. */
export function realize(nodes: readonly Node[]): void {
  const b = backend();
  const pending = nodes.filter((n) => n.buffer === null || n.buffer.backendName !== b.name);
  for (const n of pending) {
    if (n.disposed) throw new ArgumentError('realize: a tensor was disposed');
  }
  if (pending.length === 0) return;
  const { plan, targetSlots } = schedule(pending);
  const inputs = new Map<number, RealizedBuffer>();
  plan.slots.forEach((s, i) => {
    if (!s.input) return;
    const n = s.input;
    if (n.buffer === null) attach(n, b.upload(n.p('const').data, n.dtype));
    else if (n.buffer.backendName !== b.name) migrate(n, b);
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
}

/** Computes `node` and copies its value to the host. */
export async function readNode(node: Node): Promise<HostArray> {
  if (node.op === 'const' && node.buffer === null) return node.p('const').data.slice();
  realize([node]);
  return backend().read(node.buffer!, node.dtype, node.size);
}

export interface ProfileResult<T = unknown> {
  /** Kernels executed by the callback. */
  kernels: number;
  /** Bytes of new buffers allocated. */
  bytesAllocated: number;
  /** Highest bytes held by live buffers while the callback ran. */
  peakBytes: number;
  /** Pipelines (compiled kernels) created. */
  pipelines: number;
  /** Plans executed. */
  plans: number;
  /** Wall-clock milliseconds. */
  ms: number;
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
    plans: s.plans - before.plans,
    ms,
    result,
  };
}
