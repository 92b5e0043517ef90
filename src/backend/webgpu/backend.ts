// The WebGPU backend: float32 storage buffers from a size-bucketed pool, compute pipelines cached
// by their WGSL source and override constants, one command encoder (and one compute pass) per
// plan, asynchronous readback through pooled staging buffers. Buffers return to the pool when
// their last owner releases them (RealizedBuffer refcounts). Device loss, WebGPU validation
// errors, float64 and device limits surface as BackendError / DTypeError, never as a hang or a
// silent wrong value.

import type { DType, HostArray } from '../../dtype.js';
import { BackendError, DTypeError } from '../../errors.js';
import type { RealizedBuffer } from '../../ir/node.js';
import { STORAGE_BUFFERS_PLANNED_MAX } from '../../ir/host.js';
import type { Kernel, Plan } from '../../schedule/kernel.js';
import { type Backend, RefCountedBuffer, newStats, slotsFreedAfter } from '../backend.js';
import type { DeviceInfo } from './device.js';
import { waitQuietly } from './node-wait.js';
import { loopProgram } from '../../../kernels/loop.js';
import { matmulProgram } from '../../../kernels/matmul.js';
import { type CodegenOptions, type KernelProgram, type MatmulVariant, kernelLabel, slotGroups } from '../../../kernels/program.js';
import { type Failure, type Pipeline, type PipelineCache, pipelineCache } from './pipelines.js';
import { BufferPool } from './pool.js';

const MAP_MODE_READ = 0x1;

/** A float32 value in a GPU storage buffer, refcounted; returns to its backend's pool. */
export class GpuBuffer extends RefCountedBuffer {
  readonly backendName = 'webgpu';
  /** The outcome of the plan that wrote this buffer (null: uploaded, nothing can have failed). */
  failure: Failure | null = null;
  constructor(
    readonly handle: GPUBuffer,
    private readonly home: WebGpuBackend,
  ) {
    super();
  }
  get bytes(): number {
    return this.handle.size;
  }
  protected free(): void {
    this.home.recycle(this);
  }
  get device(): GPUDevice {
    return this.home.device;
  }
}

/**
 * A float64 value handed to the WebGPU backend: kept on the host, never uploaded. Any kernel that
 * reads it is float64 and fails with a DTypeError naming its ops.
 */
class HostBuffer implements RealizedBuffer {
  readonly backendName = 'webgpu';
  constructor(readonly handle: HostArray) {}
  get bytes(): number {
    return 0;
  }
  retain(): void {}
  release(): void {}
}

/** A kernel's generated program and the pipeline that runs it. */
interface Compiled extends Pipeline {
  readonly program: KernelProgram;
}

/** Output elements a kernel computes (0: it does nothing and is not dispatched). */
function work(k: Kernel): number {
  return k.type === 'matmul' ? k.batch * k.m * k.n : k.outShape.reduce((a, b) => a * b, 1);
}

/** First non-null message of `failures` (null when all succeeded). */
function firstFailure(failures: readonly Failure[]): Failure {
  if (failures.length === 0) return Promise.resolve(null);
  return Promise.all(failures).then((msgs) => msgs.find((m) => m !== null) ?? null);
}

/** The label of each kernel of a plan, for messages: `exp, add+mul (2 of 5 kernels)`. */
function planLabel(plan: Plan): string {
  const labels = [...new Set(plan.kernels.map(kernelLabel))];
  const shown = labels.slice(0, 6).join(', ') + (labels.length > 6 ? ', ...' : '');
  return `${plan.kernels.length} kernel${plan.kernels.length === 1 ? '' : 's'}: ${shown}`;
}

export interface WebGpuOptions {
  /** Matmul kernel: 'auto' (tiled on GPUs, register-blocked on SwiftShader, rows there for large fused operand loads), or forced. */
  matmul?: 'auto' | MatmulVariant;
  /** Bytes of freed buffers kept for reuse (default 512 MiB); beyond it they are destroyed. */
  poolBytes?: number;
}

export class WebGpuBackend implements Backend {
  readonly name = 'webgpu' as const;
  /**
   * Stacked channels on GPUs, whose tiled matmul stages an operand's fused loads once per tile;
   * not on slow-barrier adapters (SwiftShader), where only the register-blocked template is fast
   * and a stacked operand's loads (every channel's expression, selected) made the collapsed
   * Laplacian 4x slower (docs/taylor.md).
   */
  get stackedChannels(): boolean {
    return !this.info.slowBarriers;
  }
  readonly stats = newStats();
  /** The device's maxStorageBuffersPerShaderStage (requested at its adapter's), up to what plans use. */
  readonly storageBufferLimit: number;
  readonly device: GPUDevice;
  /** Adapter description, e.g. 'google swiftshader (fallback adapter)'. */
  readonly adapterDescription: string;
  private readonly pool: BufferPool;
  /** The device's pipelines, keyed by WGSL source and override constants (shared with other backends on the device). */
  private readonly pipelines: PipelineCache;
  /** Per kernel object (kernels are immutable; jit replays the same ones): no codegen on a hit. */
  private programOf = new WeakMap<Kernel, KernelProgram>();
  private compiledOf = new WeakMap<Kernel, Compiled>();
  private readonly codegen: CodegenOptions;
  private destroyed = false;
  private uncaptured: string | null = null;

  constructor(
    readonly info: DeviceInfo,
    opts: WebGpuOptions = {},
  ) {
    this.device = info.device;
    this.adapterDescription = info.description;
    this.pipelines = pipelineCache(this.device);
    const L = this.device.limits;
    this.storageBufferLimit = Math.min(L.maxStorageBuffersPerShaderStage, STORAGE_BUFFERS_PLANNED_MAX);
    this.pool = new BufferPool(
      this.device,
      Math.min(L.maxBufferSize, L.maxStorageBufferBindingSize),
      (bytes) => {
        this.stats.bytesAllocated += bytes;
      },
      opts.poolBytes,
    );
    this.codegen = { slowBarriers: info.slowBarriers, matmul: opts.matmul ?? 'auto', maxWorkgroupsPerDim: L.maxComputeWorkgroupsPerDimension };
    this.device.onuncapturederror = (ev: GPUUncapturedErrorEvent) => {
      this.uncaptured ??= ev.error.message;
    };
  }

  /** The most float32 elements one buffer may hold on this device. */
  get maxElements(): number {
    const L = this.device.limits;
    return Math.floor(Math.min(L.maxBufferSize, L.maxStorageBufferBindingSize) / 4);
  }

  /** Which matmul kernel runs: 'tiled' (workgroup memory) or 'register' (no barriers; 4x8 blocks past 32 columns, 8x8 past 32 rows and columns); 'register-wide', 'register-8x8' or 'rows' when forced (auto picks rows per kernel). */
  get matmulVariant(): MatmulVariant {
    return this.codegen.matmul === 'auto' ? (this.codegen.slowBarriers ? 'register' : 'tiled') : this.codegen.matmul;
  }

  /** Forces a matmul variant (benchmarks, tests); 'auto' chooses by adapter. */
  setMatmulVariant(v: 'auto' | MatmulVariant): void {
    (this.codegen as { matmul: typeof v }).matmul = v;
    this.programOf = new WeakMap(); // programs depend on the variant
    this.compiledOf = new WeakMap();
  }

  private get lostInfo(): GPUDeviceLostInfo | null {
    return this.info.loss.info;
  }

  // ----- state checks -----

  private checkUsable(op: string): void {
    if (this.lostInfo) {
      throw new BackendError(
        `${op}: the WebGPU device was lost (${this.lostInfo.reason}: ${this.lostInfo.message || 'no message'}); ` +
          'values computed on it are gone. Call init() again to acquire a new device.',
      );
    }
    if (this.uncaptured) {
      const m = this.uncaptured;
      this.uncaptured = null;
      throw new BackendError(`${op}: an earlier WebGPU operation failed outside any wgad plan (WebGPU said: ${m})`);
    }
  }

  private checkSize(bytes: number, what: string): void {
    const L = this.device.limits;
    if (bytes > L.maxBufferSize) {
      throw new BackendError(`${what}: ${bytes} bytes exceed the device limit maxBufferSize (${L.maxBufferSize} bytes) on ${this.adapterDescription}`);
    }
    if (bytes > L.maxStorageBufferBindingSize) {
      throw new BackendError(
        `${what}: ${bytes} bytes exceed the device limit maxStorageBufferBindingSize (${L.maxStorageBufferBindingSize} bytes) on ${this.adapterDescription}`,
      );
    }
  }

  // ----- buffers -----

  private newBuffer(bytes: number, what: string): GpuBuffer {
    this.checkSize(bytes, what);
    const buf = new GpuBuffer(this.pool.acquire('storage', bytes), this);
    this.stats.liveBytes += buf.bytes;
    if (this.stats.liveBytes > this.stats.peakBytes) this.stats.peakBytes = this.stats.liveBytes;
    return buf;
  }

  /** Called by GpuBuffer when its last owner lets go. */
  recycle(buf: GpuBuffer): void {
    this.stats.liveBytes -= buf.bytes;
    if (this.destroyed || this.lostInfo) buf.handle.destroy();
    else this.pool.release('storage', buf.handle);
  }

  upload(data: HostArray, dtype: DType): RealizedBuffer {
    this.checkUsable('upload');
    if (dtype === 'float64' || data instanceof Float64Array) return new HostBuffer(data);
    this.stats.uploads++;
    const buf = this.newBuffer(data.byteLength, `a tensor of ${data.length} elements`);
    if (data.byteLength > 0) this.device.queue.writeBuffer(buf.handle, 0, data.buffer, data.byteOffset, data.byteLength);
    return buf;
  }

  // ----- pipelines -----

  /** The kernel's program, generated once per kernel object. */
  private program(k: Kernel): KernelProgram {
    let program = this.programOf.get(k);
    if (program) return program;
    program = k.type === 'loop' ? loopProgram(k, this.codegen, slotGroups(k)) : matmulProgram(k, this.codegen, slotGroups(k));
    if (program.scalars !== k.scalars.length) throw new Error(`webgpu: ${program.label} declares ${program.scalars} scalars for ${k.scalars.length}`);
    this.programOf.set(k, program);
    return program;
  }

  /** The kernel's program and its pipeline (created now if no earlier plan or prepare() made it). */
  private compile(k: Kernel): Compiled {
    const hit = this.compiledOf.get(k);
    if (hit) return hit;
    const program = this.program(k);
    const before = this.cacheCounts();
    const c = { program, ...this.pipelines.get(program) };
    this.countCompiles(before);
    this.compiledOf.set(k, c);
    return c;
  }

  private cacheCounts(): [number, number] {
    return [this.pipelines.created, this.pipelines.compileMs];
  }

  /** Adds the pipelines the (shared) cache created since `before`, and their time, to this backend's stats. */
  private countCompiles([n, ms]: [number, number]): void {
    this.stats.pipelines += this.pipelines.created - n;
    this.stats.compileMs += this.pipelines.compileMs - ms;
  }

  /**
   * Compiles the pipelines `plan` needs asynchronously and concurrently, so that executing it does
   * not block on shader compilation (the first call of a computation is mostly that).
   */
  prepare(plan: Plan): Promise<void> | null {
    this.checkUsable('prepare');
    const programs = plan.kernels.filter((k) => work(k) > 0 && !this.compiledOf.has(k)).map((k) => this.program(k));
    const before = this.cacheCounts();
    const ready = this.pipelines.prepare(programs)?.then(() => this.countCompiles(before));
    return ready ? this.waitFor(ready) : null;
  }

  // ----- execution -----

  execute(plan: Plan, inputs: ReadonlyMap<number, RealizedBuffer>): Map<number, RealizedBuffer> {
    this.checkUsable('execute');
    for (const k of plan.kernels) {
      if (k.dtype === 'float64' || k.outs.some((o) => plan.slots[o.slot]!.dtype === 'float64')) {
        throw new DTypeError(
          `${kernelLabel(k)}: float64 is not supported on the WebGPU backend (WGSL has no 64-bit floats); ` +
            "use float32 tensors, or init({ backend: 'cpu' }) for float64",
        );
      }
    }
    for (const [slot] of inputs) {
      if (plan.slots[slot]!.dtype === 'float64') {
        throw new DTypeError(
          "float64 tensors cannot be read by a WebGPU kernel (WGSL has no 64-bit floats); cast with astype('float32') on the CPU backend, or init({ backend: 'cpu' })",
        );
      }
    }
    // device limits first: nothing is allocated or encoded for a plan that cannot run
    for (const k of plan.kernels) {
      for (const o of k.outs) this.checkSize(plan.slots[o.slot]!.size * 4, `the output of ${kernelLabel(k)} (${plan.slots[o.slot]!.size} elements)`);
    }
    this.stats.plans++;
    if (plan.kernels.length === 0) return new Map();
    const bufs = new Map<number, RealizedBuffer>();
    const temps: GpuBuffer[] = [];
    for (const [slot, b] of inputs) {
      if (b instanceof GpuBuffer) {
        if (b.released) throw new BackendError('execute: a tensor read by this plan was already freed (disposed)');
        if (b.device !== this.device)
          throw new BackendError(
            'execute: a tensor read by this plan lives on a WebGPU device that was lost or replaced; read it with data() before init() and create a new tensor',
          );
        bufs.set(slot, b);
      } else if (b.handle instanceof Float32Array) {
        // a value from another backend (the CPU): upload for this plan
        const t = this.upload(b.handle, 'float32') as GpuBuffer;
        temps.push(t);
        bufs.set(slot, t);
      } else throw new BackendError(`execute: cannot read a ${b.backendName} buffer on the WebGPU backend`);
    }
    // compile everything first, so a failure leaves nothing half-encoded; empty kernels do nothing
    const compiled = plan.kernels.map((k) => (work(k) > 0 ? this.compile(k) : null));
    // scalars of every kernel in one uniform buffer; each kernel's block is sized by its program
    const blockBytes = (c: Compiled | null): number => (c ? 16 * Math.ceil(c.program.scalars / 4) : 0);
    const align = this.device.limits.minUniformBufferOffsetAlignment;
    const uniformOffsets: number[] = [];
    let ubytes = 0;
    compiled.forEach((c) => {
      uniformOffsets.push(ubytes);
      ubytes += Math.ceil(blockBytes(c) / align) * align;
    });
    let ubuf: GPUBuffer | null = null;
    if (ubytes > 0) {
      ubuf = this.pool.acquire('uniform', ubytes);
      const data = new Float32Array(ubytes / 4);
      plan.kernels.forEach((k, i) => {
        if (blockBytes(compiled[i]!) > 0) data.set(k.scalars, uniformOffsets[i]! / 4);
      });
      this.device.queue.writeBuffer(ubuf, 0, data.buffer, 0, ubytes);
    }
    const releaseAt = slotsFreedAfter(plan);
    // WebGPU reports a rejected command asynchronously: the plan's error scopes, its pipelines'
    // verdicts and its inputs' outcomes become the outcome of every buffer it writes
    const scopes: GPUErrorFilter[] = ['validation', 'out-of-memory', 'internal'];
    for (const f of scopes) this.device.pushErrorScope(f);
    const written: GpuBuffer[] = [];
    const encoder = this.device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    this.pool.hold(); // buffers freed while encoding outlive the submit
    try {
      plan.kernels.forEach((k, i) => {
        for (const o of k.outs) {
          if (!bufs.has(o.slot)) {
            const s = plan.slots[o.slot]!;
            const buf = this.newBuffer(s.size * 4, `the output of ${kernelLabel(k)} (${s.size} elements)`);
            written.push(buf);
            bufs.set(o.slot, buf);
          }
        }
        const c = compiled[i];
        if (c) {
          const handle = (slot: number): GPUBuffer => {
            const b = bufs.get(slot);
            if (!b) throw new Error(`webgpu: slot ${slot} has no buffer at kernel ${i}`);
            return b.handle as GPUBuffer;
          };
          const entries: GPUBindGroupEntry[] = c.program.bindings.map((s, binding) => {
            switch (s.kind) {
              case 'arg':
                return { binding, resource: { buffer: handle(k.args[s.arg]!.slot) } };
              case 'a':
                return { binding, resource: { buffer: handle((k as Extract<Kernel, { type: 'matmul' }>).a!.slot) } };
              case 'pa':
                return { binding, resource: { buffer: handle((k as Extract<Kernel, { type: 'matmul' }>).aPrologue!.args[s.arg]!.slot) } };
              case 'b':
                return { binding, resource: { buffer: handle((k as Extract<Kernel, { type: 'matmul' }>).b!.slot) } };
              case 'pb':
                return { binding, resource: { buffer: handle((k as Extract<Kernel, { type: 'matmul' }>).bPrologue!.args[s.arg]!.slot) } };
              case 'out':
                return { binding, resource: { buffer: handle(k.outs[s.out]!.slot) } };
              case 'uniform':
                return { binding, resource: { buffer: ubuf!, offset: uniformOffsets[i]!, size: blockBytes(c) } };
            }
          });
          pass.setPipeline(c.pipeline);
          pass.setBindGroup(0, this.device.createBindGroup({ layout: c.layout, entries }));
          pass.dispatchWorkgroups(c.program.dispatch[0], c.program.dispatch[1], c.program.dispatch[2]);
          this.stats.kernels++;
        }
        for (const slot of releaseAt.get(i) ?? []) {
          if (inputs.has(slot)) continue;
          bufs.get(slot)?.release();
          bufs.delete(slot);
        }
      });
    } finally {
      pass.end();
      try {
        this.device.queue.submit([encoder.finish()]);
      } finally {
        this.pool.destroyHeld();
      }
      const rejected = scopes.map(() => this.device.popErrorScope().then((e) => e?.message ?? null));
      const what = planLabel(plan);
      const own = firstFailure(rejected).then((m) =>
        m === null ? null : `WebGPU rejected the plan of ${what} (a wgad bug: please report it with this message). WebGPU said: ${m}`,
      );
      const upstream = [...inputs.values()].flatMap((b) =>
        b instanceof GpuBuffer && b.failure ? [b.failure.then((m) => (m === null ? null : `an input of the plan of ${what} could not be computed: ${m}`))] : [],
      );
      const failure = firstFailure([...new Set(compiled.flatMap((c) => (c ? [c.failure] : []))), own, ...upstream]);
      for (const w of written) w.failure = failure;
      if (ubuf) this.pool.release('uniform', ubuf);
      for (const t of temps) t.release();
    }
    const out = new Map<number, RealizedBuffer>();
    for (const s of plan.keep) {
      const b = bufs.get(s);
      if (b) out.set(s, b);
    }
    return out;
  }

  // ----- readback -----

  async read(buffer: RealizedBuffer, dtype: DType, size: number): Promise<HostArray> {
    if (!(buffer instanceof GpuBuffer)) {
      const h = buffer.handle;
      if (h instanceof Float32Array || h instanceof Float64Array) return h.slice(0, size);
      throw new BackendError(`read: cannot read a ${buffer.backendName} buffer on the WebGPU backend`);
    }
    this.checkUsable('read');
    if (buffer.released) throw new BackendError('read: the tensor was freed (disposed)');
    if (dtype !== 'float32') throw new DTypeError('read: float64 is not supported on the WebGPU backend');
    const failed = async (): Promise<void> => {
      const m = buffer.failure ? await buffer.failure : null;
      if (m !== null) throw new BackendError(`read: this tensor's value could not be computed: ${m}`);
    };
    const bytes = size * 4;
    if (bytes === 0) {
      await failed();
      return new Float32Array(0);
    }
    // the copy is queued before the first await: whatever the caller does next (dispose the
    // tensor, reuse its pooled buffer) is ordered after it
    const staging = this.pool.acquire('staging', bytes);
    const encoder = this.device.createCommandEncoder();
    encoder.copyBufferToBuffer(buffer.handle, 0, staging, 0, bytes);
    this.device.queue.submit([encoder.finish()]);
    let mapped = false;
    try {
      await this.waitFor(Promise.all([this.mapOrLoss(staging, bytes), failed()]));
      mapped = true;
      const out = new Float32Array(size);
      out.set(new Float32Array(staging.getMappedRange(0, bytes)));
      return out;
    } catch (e) {
      if (e instanceof BackendError || e instanceof DTypeError) throw e;
      this.checkUsable('read');
      throw new BackendError(`read: mapping the readback buffer failed: ${(e as Error).message}`);
    } finally {
      if (mapped) {
        staging.unmap();
        this.pool.release('staging', staging);
      } else if (!this.lostInfo) {
        staging.destroy();
      }
    }
  }

  /**
   * `work`, a promise Dawn settles, awaited without spinning a core on a software adapter, whose
   * shaders and compiler run on this machine's cores (node-wait.ts); as it is on a GPU.
   */
  private waitFor<T>(work: Promise<T>): Promise<T> {
    return this.info.slowBarriers ? waitQuietly(work) : work;
  }

  /**
   * Maps `staging` for reading, or rejects when the device is lost first. The loss callback is
   * registered for this read only and removed when it settles (nothing accumulates per read).
   */
  private mapOrLoss(staging: GPUBuffer, bytes: number): Promise<void> {
    const { loss } = this.info;
    return new Promise<void>((resolve, reject) => {
      const onLost = (i: GPUDeviceLostInfo): void => {
        reject(new BackendError(`read: the WebGPU device was lost (${i.reason}: ${i.message || 'no message'}) while reading back`));
      };
      loss.waiters.add(onLost);
      staging
        .mapAsync(MAP_MODE_READ, 0, bytes)
        .then(resolve, reject)
        .finally(() => loss.waiters.delete(onLost));
    });
  }

  resetPeak(): void {
    this.stats.peakBytes = this.stats.liveBytes;
  }

  /**
   * Frees pooled buffers; live tensors keep their buffers, and the device keeps its pipelines for
   * the next backend on it (the device is shared).
   */
  destroy(): void {
    this.destroyed = true;
    this.pool.clear();
  }

  /** Bytes held in the pool for reuse. */
  get pooledBytes(): number {
    return this.pool.pooledBytes;
  }
}
