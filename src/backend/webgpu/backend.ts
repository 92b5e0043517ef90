// The WebGPU backend: float32 storage buffers from a size-bucketed pool, compute pipelines cached
// by kernel key, one command encoder (and one compute pass) per plan, asynchronous readback
// through pooled staging buffers. Buffers return to the pool when their last owner releases them
// (RealizedBuffer refcounts). Device loss, WebGPU validation errors, float64 and device limits
// surface as BackendError / DTypeError, never as a hang or a silent wrong value.

import type { DType, HostArray } from '../../dtype.js';
import { BackendError, DTypeError } from '../../errors.js';
import type { RealizedBuffer } from '../../ir/node.js';
import { type Kernel, type Plan, kernelKey } from '../../schedule/kernel.js';
import { type Backend, RefCountedBuffer, newStats } from '../backend.js';
import type { DeviceInfo } from './device.js';
import { loopProgram } from './kernels/loop.js';
import { matmulProgram } from './kernels/matmul.js';
import { type BindingSpec, type CodegenOptions, type KernelProgram, kernelLabel, slotGroups } from './kernels/program.js';
import { BufferPool } from './pool.js';

const SHADER_STAGE_COMPUTE = 0x4;
const MAP_MODE_READ = 0x1;

/** A float32 value in a GPU storage buffer, refcounted; returns to its backend's pool. */
export class GpuBuffer extends RefCountedBuffer {
  readonly backendName = 'webgpu';
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

interface Compiled {
  readonly program: KernelProgram;
  readonly pipeline: GPUComputePipeline;
  readonly layout: GPUBindGroupLayout;
}

export interface WebGpuOptions {
  /** Matmul kernel: 'auto' (tiled on GPUs, register-blocked on SwiftShader), or forced. */
  matmul?: 'auto' | 'tiled' | 'register';
}

export class WebGpuBackend implements Backend {
  readonly name = 'webgpu' as const;
  readonly stats = newStats();
  readonly device: GPUDevice;
  /** Adapter description, e.g. 'google swiftshader (fallback adapter)'. */
  readonly adapterDescription: string;
  private readonly pool: BufferPool;
  private readonly pipelines = new Map<string, Compiled>();
  private readonly layouts = new Map<string, GPUBindGroupLayout>();
  private readonly codegen: CodegenOptions;
  private lostInfo: GPUDeviceLostInfo | null = null;
  private destroyed = false;
  private readonly errors: Promise<string | null>[] = [];
  private uncaptured: string | null = null;

  constructor(
    readonly info: DeviceInfo,
    opts: WebGpuOptions = {},
  ) {
    this.device = info.device;
    this.adapterDescription = info.description;
    const L = this.device.limits;
    this.pool = new BufferPool(this.device, Math.min(L.maxBufferSize, L.maxStorageBufferBindingSize), (bytes) => {
      this.stats.bytesAllocated += bytes;
    });
    this.codegen = { slowBarriers: info.slowBarriers, matmul: opts.matmul ?? 'auto', maxWorkgroupsPerDim: L.maxComputeWorkgroupsPerDimension };
    void info.lost.then((i) => {
      this.lostInfo = i;
    });
    this.device.onuncapturederror = (ev: GPUUncapturedErrorEvent) => {
      this.uncaptured ??= ev.error.message;
    };
  }

  /** The most float32 elements one buffer may hold on this device. */
  get maxElements(): number {
    const L = this.device.limits;
    return Math.floor(Math.min(L.maxBufferSize, L.maxStorageBufferBindingSize) / 4);
  }

  /** Which matmul kernel runs: 'tiled' (workgroup memory) or 'register' (no barriers). */
  get matmulVariant(): 'tiled' | 'register' {
    return this.codegen.matmul === 'auto' ? (this.codegen.slowBarriers ? 'register' : 'tiled') : this.codegen.matmul;
  }

  /** Forces a matmul variant (benchmarks, tests); 'auto' chooses by adapter. */
  setMatmulVariant(v: 'auto' | 'tiled' | 'register'): void {
    (this.codegen as { matmul: typeof v }).matmul = v;
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
      throw new BackendError(`${op}: WebGPU reported an error: ${m}`);
    }
  }

  private checkSize(bytes: number, what: string): void {
    const L = this.device.limits;
    if (bytes > L.maxBufferSize) {
      throw new BackendError(`${what}: ${bytes} bytes exceed the device limit maxBufferSize (${L.maxBufferSize} bytes) on ${this.adapterDescription}`);
    }
    if (bytes > L.maxStorageBufferBindingSize) {
      throw new BackendError(`${what}: ${bytes} bytes exceed the device limit maxStorageBufferBindingSize (${L.maxStorageBufferBindingSize} bytes) on ${this.adapterDescription}`);
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

  private compile(k: Kernel): Compiled {
    const groups = slotGroups(k);
    const key = `${kernelKey(k)} #${groups.join(',')}${k.type === 'matmul' ? ` ${this.matmulVariant}` : ''}`;
    const hit = this.pipelines.get(key);
    if (hit) return hit;
    const program = k.type === 'loop' ? loopProgram(k, this.codegen, groups) : matmulProgram(k, this.codegen, groups);
    const layout = this.layout(program.bindings);
    this.device.pushErrorScope('validation');
    const module = this.device.createShaderModule({ code: program.code, label: program.label });
    const pipeline = this.device.createComputePipeline({
      layout: this.device.createPipelineLayout({ bindGroupLayouts: [layout] }),
      compute: { module, entryPoint: 'main' },
      label: program.label,
    });
    const label = program.label;
    this.errors.push(
      this.device.popErrorScope().then((e) => (e ? `kernel ${label}: ${e.message}\n--- WGSL ---\n${program.code}` : null)),
    );
    const c = { program, pipeline, layout };
    this.pipelines.set(key, c);
    this.stats.pipelines++;
    return c;
  }

  private layout(specs: readonly BindingSpec[]): GPUBindGroupLayout {
    const sig = specs.map((s) => (s.kind === 'out' ? 'w' : s.kind === 'uniform' ? 'u' : 'r')).join('');
    let l = this.layouts.get(sig);
    if (!l) {
      l = this.device.createBindGroupLayout({
        entries: specs.map((s, binding) => ({
          binding,
          visibility: SHADER_STAGE_COMPUTE,
          buffer: { type: s.kind === 'out' ? 'storage' : s.kind === 'uniform' ? 'uniform' : 'read-only-storage' },
        })),
      });
      this.layouts.set(sig, l);
    }
    return l;
  }

  /** Throws the first WebGPU validation error of compiled kernels (a codegen bug), if any. */
  private async flushErrors(): Promise<void> {
    if (this.errors.length === 0) return;
    const pending = this.errors.splice(0);
    const msgs = (await Promise.all(pending)).filter((m): m is string => m !== null);
    if (msgs.length) throw new BackendError(`WebGPU rejected a generated kernel: ${msgs[0]}`);
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
        throw new DTypeError("float64 tensors cannot be read by a WebGPU kernel (WGSL has no 64-bit floats); cast with astype('float32') on the CPU backend, or init({ backend: 'cpu' })");
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
        if (b.device !== this.device) throw new BackendError('execute: a tensor read by this plan lives on a WebGPU device that was lost or replaced; read it with data() before init() and create a new tensor');
        bufs.set(slot, b);
      } else if (b.handle instanceof Float32Array) {
        // a value from another backend (the CPU): upload for this plan
        const t = this.upload(b.handle, 'float32') as GpuBuffer;
        temps.push(t);
        bufs.set(slot, t);
      } else throw new BackendError(`execute: cannot read a ${b.backendName} buffer on the WebGPU backend`);
    }
    // compile everything first, so a failure leaves nothing half-encoded; empty kernels do nothing
    const work = (k: Kernel): number => (k.type === 'matmul' ? k.batch * k.m * k.n : k.outShape.reduce((a, b) => a * b, 1));
    const compiled = plan.kernels.map((k) => (work(k) > 0 ? this.compile(k) : null));
    // scalars of every kernel in one uniform buffer
    const align = this.device.limits.minUniformBufferOffsetAlignment;
    const uniformOffsets: number[] = [];
    let ubytes = 0;
    compiled.forEach((c, i) => {
      uniformOffsets.push(ubytes);
      if (c && c.program.scalars > 0) ubytes += Math.ceil((16 * Math.ceil(plan.kernels[i]!.scalars.length / 4)) / align) * align;
    });
    let ubuf: GPUBuffer | null = null;
    if (ubytes > 0) {
      ubuf = this.pool.acquire('uniform', ubytes);
      const data = new Float32Array(ubytes / 4);
      plan.kernels.forEach((k, i) => {
        if (compiled[i] && compiled[i].program.scalars > 0) data.set(k.scalars, uniformOffsets[i]! / 4);
      });
      this.device.queue.writeBuffer(ubuf, 0, data.buffer, 0, ubytes);
    }
    const releaseAt = new Map<number, number[]>();
    for (const [slot, last] of plan.lastUse) {
      if (plan.keep.has(slot)) continue;
      let l = releaseAt.get(last);
      if (!l) releaseAt.set(last, (l = []));
      l.push(slot);
    }
    const encoder = this.device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    try {
      plan.kernels.forEach((k, i) => {
        for (const o of k.outs) {
          if (!bufs.has(o.slot)) {
            const s = plan.slots[o.slot]!;
            bufs.set(o.slot, this.newBuffer(s.size * 4, `the output of ${kernelLabel(k)} (${s.size} elements)`));
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
              case 'arg': return { binding, resource: { buffer: handle(k.args[s.arg]!.slot) } };
              case 'a': return { binding, resource: { buffer: handle((k as Extract<Kernel, { type: 'matmul' }>).a!.slot) } };
              case 'pa': return { binding, resource: { buffer: handle((k as Extract<Kernel, { type: 'matmul' }>).aPrologue!.args[s.arg]!.slot) } };
              case 'b': return { binding, resource: { buffer: handle((k as Extract<Kernel, { type: 'matmul' }>).b.slot) } };
              case 'out': return { binding, resource: { buffer: handle(k.outs[s.out]!.slot) } };
              case 'uniform': return { binding, resource: { buffer: ubuf!, offset: uniformOffsets[i]!, size: 16 * Math.ceil(k.scalars.length / 4) } };
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
      this.device.queue.submit([encoder.finish()]);
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
    const bytes = size * 4;
    if (bytes === 0) {
      await this.flushErrors();
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
      await this.flushErrors();
      const lost = this.info.lost.then((i) => {
        throw new BackendError(`read: the WebGPU device was lost (${i.reason}: ${i.message || 'no message'}) while reading back`);
      });
      lost.catch(() => {}); // settles after the read in the usual case: not an unhandled rejection
      await Promise.race([staging.mapAsync(MAP_MODE_READ, 0, bytes), lost]);
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

  resetPeak(): void {
    this.stats.peakBytes = this.stats.liveBytes;
  }

  /** Frees pooled buffers and cached pipelines; live tensors keep their buffers (the device is shared). */
  destroy(): void {
    this.destroyed = true;
    this.pool.clear();
    this.pipelines.clear();
    this.layouts.clear();
  }

  /** Bytes held in the pool for reuse. */
  get pooledBytes(): number {
    return this.pool.pooledBytes;
  }
}
