// The backend interface: allocate, upload, run a kernel plan, read back. Backends own their
// buffers (typed arrays on CPU, GPUBuffers on WebGPU) and count what they do for profile().

import type { DType, HostArray } from '../dtype.js';
import type { RealizedBuffer } from '../ir/node.js';
import type { Plan } from '../schedule/kernel.js';

export interface BackendStats {
  /** Kernels executed (dispatches on WebGPU). */
  kernels: number;
  /** Plans executed (one command encoder each on WebGPU). */
  plans: number;
  /** Bytes of buffers allocated (fresh allocations, not pool reuse). */
  bytesAllocated: number;
  /** Bytes currently held by live buffers. */
  liveBytes: number;
  /** Highest liveBytes seen since the last resetPeak(). */
  peakBytes: number;
  /** Pipelines (compiled kernels) created. */
  pipelines: number;
  /** Milliseconds spent creating pipelines (compiling kernels). */
  compileMs: number;
  /** Buffers uploaded from the host. */
  uploads: number;
}

export interface Backend {
  readonly name: 'cpu' | 'webgpu';
  readonly stats: BackendStats;
  /**
   * Whether collapsed Taylor mode stacks a matmul's channels into one product by default here
   * (docs/taylor.md): where fused operand loads are cheap enough that one product over all
   * channels costs no more than one per channel.
   */
  readonly stackedChannels: boolean;
  /**
   * The most storage buffers one kernel may bind here (inputs and outputs), which the scheduler
   * plans for: at least 8 (WebGPU's default), at most STORAGE_BUFFERS_PLANNED_MAX (ir/host.ts).
   */
  readonly storageBufferLimit: number;
  /** The most elements one tensor may hold on this backend (checked when ops are built). */
  readonly maxElements: number;
  /** Copies host data into a new buffer. */
  upload(data: HostArray, dtype: DType): RealizedBuffer;
  /**
   * Runs a plan. `inputs[slot]` holds the buffers of the plan's input slots; returns the buffers
   * of the slots in `plan.keep` (temporaries are released after their last use).
   */
  execute(plan: Plan, inputs: ReadonlyMap<number, RealizedBuffer>): Map<number, RealizedBuffer>;
  /**
   * Optional: gets ready to execute `plan` without blocking (WebGPU compiles its pipelines
   * asynchronously); null when there is nothing to do. execute() works without it.
   */
  prepare?(plan: Plan): Promise<void> | null;
  /** Reads a buffer back to the host. */
  read(buffer: RealizedBuffer, dtype: DType, size: number): Promise<HostArray>;
  /** Frees cached resources (pools, pipelines). */
  destroy(): void;
  resetPeak(): void;
}

/** A buffer shared by the nodes that own it; `free()` runs when the last owner releases it. */
export abstract class RefCountedBuffer implements RealizedBuffer {
  abstract readonly backendName: string;
  abstract readonly handle: unknown;
  abstract readonly bytes: number;
  private owners = 1;
  protected abstract free(): void;
  retain(): void {
    this.owners++;
  }
  release(): void {
    if (this.owners <= 0) return;
    if (--this.owners === 0) this.free();
  }
  get released(): boolean {
    return this.owners <= 0;
  }
}

/** The temporaries of `plan` to free after each kernel, by kernel index (slots kept are never freed). */
export function slotsFreedAfter(plan: Plan): Map<number, number[]> {
  const at = new Map<number, number[]>();
  for (const [slot, last] of plan.lastUse) {
    if (plan.keep.has(slot)) continue;
    let l = at.get(last);
    if (!l) at.set(last, (l = []));
    l.push(slot);
  }
  return at;
}

export function newStats(): BackendStats {
  return { kernels: 0, plans: 0, bytesAllocated: 0, liveBytes: 0, peakBytes: 0, pipelines: 0, compileMs: 0, uploads: 0 };
}
