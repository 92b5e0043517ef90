// What the graph-building layers need from the runtime, without importing it: which backend is
// active (for the residency and dtype checks every op makes) and how to read or free a node's
// value. The runtime installs these when it loads (src/runtime.ts), so Tensor, ops, rules and AD
// never load the scheduler or a backend; the same pattern as setElementLimit in ./shape.ts.

import type { DType, HostArray } from '../dtype.js';
import { BackendError, DTypeError, fmtShape } from '../errors.js';
import type { Node } from './node.js';

/** The runtime services a Tensor handle calls (data(), dispose(), toString()). */
export interface RuntimeHost {
  read(node: Node): Promise<HostArray>;
  release(node: Node): void;
  /** The value if the host holds it now, without computing or waiting; null otherwise. */
  peek(node: Node): HostArray | null;
}

/**
 * The most storage buffers a plan lets one kernel bind on any backend: the CPU's (which has no
 * limit of its own), and a cap on a WebGPU device's. 12 is what Dawn's SwiftShader adapter allows,
 * so a plan is the same there and on the CPU; wider kernels merged no further on the networks
 * measured (docs/architecture.md).
 */
export const STORAGE_BUFFERS_PLANNED_MAX = 12;

let host: RuntimeHost | null = null;
let activeBackend = 'cpu';
let stackedByDefault = false; // the CPU backend's (Backend.stackedChannels), like activeBackend
let storageBufferLimit = STORAGE_BUFFERS_PLANNED_MAX; // the CPU backend's (Backend.storageBufferLimit)

/** Called once by the runtime when it loads. */
export function installRuntime(h: RuntimeHost): void {
  host = h;
}

/** The runtime, or an error saying it was never loaded (import wgad from src/index.ts). */
export function runtimeHost(): RuntimeHost {
  if (!host) throw new Error('wgad: the runtime is not loaded; import from the package entry point (src/index.ts)');
  return host;
}

/** Called by the runtime whenever init() switches backends (the backend's name, stackedChannels and storageBufferLimit). */
export function setActiveBackendName(name: string, stacked: boolean, storageBuffers: number): void {
  activeBackend = name;
  stackedByDefault = stacked;
  storageBufferLimit = storageBuffers;
}

/** The most storage buffers one kernel may bind on the active backend (what the scheduler plans for). */
export function activeStorageBufferLimit(): number {
  return storageBufferLimit;
}

/** Does the active backend want collapsed Taylor mode's matmul channels stacked by default? */
export function activeBackendStacksChannels(): boolean {
  return stackedByDefault;
}

/** The active backend's name ('cpu' or 'webgpu'): what a cost model that weighs the backend asks (pde's method 'auto'). */
export function activeBackendName(): string {
  return activeBackend;
}

/** Raises a DTypeError when the active backend cannot hold `dtype` (float64 on WebGPU). */
export function checkBackendDType(op: string, dtype: DType): void {
  if (dtype === 'float64' && activeBackend === 'webgpu') {
    throw new DTypeError(
      `${op}: float64 is not supported on the WebGPU backend (GPUs compute in float32); use float32, or init({ backend: 'cpu' }) for float64`,
    );
  }
}

/**
 * Raises when an op `op` is built on `node` (described by `what`) that the active backend cannot
 * read: a value computed on WebGPU after init() switched to the CPU (its device is gone), or a
 * float64 tensor (made on the CPU) while WebGPU is active. A float32 CPU value is fine: it moves.
 */
export function checkResident(op: string, node: Node, what: string): void {
  const name = activeBackend;
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
