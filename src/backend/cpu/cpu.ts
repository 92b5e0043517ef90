// The CPU backend: buffers are typed arrays (Float32Array or Float64Array); loop kernels are
// compiled to JS functions (cached by kernel key), matmul runs a WebAssembly SIMD kernel
// (wasm-matmul.ts, two threads in Node) or, for small products and where WebAssembly SIMD is
// unavailable, a packed JS loop with the same results bit for bit (matmul.ts); a matmul's
// epilogue runs in place over its output. Serves as the reference in tests.

import { type DType, type HostArray, allocHost, bytesPerElement } from '../../dtype.js';
import type { RealizedBuffer } from '../../ir/node.js';
import { type Kernel, type LoopKernel, type MatmulKernel, type Plan, elementwiseKernel } from '../../schedule/kernel.js';
import { type Backend, type BackendStats, RefCountedBuffer, newStats } from '../backend.js';
import { type LoopFn, compileLoopSource, loopSource } from './codegen.js';
import { runMatmul } from './matmul.js';
import { contiguousView } from '../../schedule/view.js';
import { MAX_TYPED_ARRAY_LENGTH } from '../../ir/shape.js';

class CpuBuffer extends RefCountedBuffer {
  readonly backendName = 'cpu';
  constructor(
    readonly handle: HostArray,
    private readonly stats: BackendStats,
  ) {
    super();
    stats.liveBytes += this.bytes;
    stats.peakBytes = Math.max(stats.peakBytes, stats.liveBytes);
  }
  get bytes(): number {
    return this.handle.byteLength;
  }
  protected free(): void {
    this.stats.liveBytes -= this.bytes;
  }
}

export class CpuBackend implements Backend {
  readonly name = 'cpu' as const;
  readonly stats = newStats();
  /** Buffers are typed arrays. */
  readonly maxElements = MAX_TYPED_ARRAY_LENGTH;
  /** Compiled loops keyed by their source: the code is its own cache key. */
  private readonly loops = new Map<string, LoopFn>();
  /** Per kernel object (kernels are immutable; jit replays the same ones): no codegen on a hit. */
  private readonly loopOf = new WeakMap<LoopKernel, LoopFn>();
  /** A matmul's fused A producer and epilogue as loop kernels, built once per matmul kernel. */
  private readonly matmulParts = new WeakMap<MatmulKernel, { load: LoopKernel | null; epilogue: LoopKernel }>();

  upload(data: HostArray, _dtype: DType): RealizedBuffer {
    this.stats.uploads++;
    return new CpuBuffer(data, this.stats); // constants own their host array: no copy needed
  }

  private alloc(dtype: DType, size: number): CpuBuffer {
    this.stats.bytesAllocated += size * bytesPerElement(dtype);
    return new CpuBuffer(allocHost(dtype, size), this.stats);
  }

  private loopFn(k: LoopKernel): LoopFn {
    let fn = this.loopOf.get(k);
    if (fn) return fn;
    const source = loopSource(k);
    fn = this.loops.get(source);
    if (!fn) {
      const t0 = performance.now();
      fn = compileLoopSource(source);
      this.loops.set(source, fn);
      this.stats.pipelines++;
      this.stats.compileMs += performance.now() - t0;
    }
    this.loopOf.set(k, fn);
    return fn;
  }

  private partsOf(k: MatmulKernel): { load: LoopKernel | null; epilogue: LoopKernel } {
    let parts = this.matmulParts.get(k);
    if (!parts) {
      const p = k.aPrologue;
      const loop = (outShape: readonly number[], args: LoopKernel['args'], outs: LoopKernel['outs']): LoopKernel =>
        elementwiseKernel(k.dtype, outShape, args, k.scalars, outs);
      parts = {
        load: p ? loop(p.shape, p.args, [{ slot: -1, expr: p.expr }]) : null,
        epilogue: loop(k.outShape, k.args, k.outs),
      };
      this.matmulParts.set(k, parts);
    }
    return parts;
  }

  execute(plan: Plan, inputs: ReadonlyMap<number, RealizedBuffer>): Map<number, RealizedBuffer> {
    this.stats.plans++;
    const bufs = new Map<number, RealizedBuffer>(inputs);
    const arr = (slot: number): HostArray => bufs.get(slot)!.handle as HostArray;
    plan.kernels.forEach((k, i) => {
      for (const o of k.outs) {
        if (!bufs.has(o.slot)) bufs.set(o.slot, this.alloc(plan.slots[o.slot]!.dtype, plan.slots[o.slot]!.size));
      }
      this.run(k, arr);
      this.stats.kernels++;
      for (const [slot, last] of plan.lastUse) {
        if (last === i && !plan.keep.has(slot)) {
          bufs.get(slot)?.release();
          bufs.delete(slot);
        }
      }
    });
    const out = new Map<number, RealizedBuffer>();
    for (const s of plan.keep) out.set(s, bufs.get(s)!);
    return out;
  }

  private run(k: Kernel, arr: (slot: number) => HostArray): void {
    const outs = k.outs.map((o) => arr(o.slot));
    if (k.type === 'loop') {
      this.loopFn(k)(
        k.args.map((a) => arr(a.slot)),
        outs,
        k.scalars,
      );
      return;
    }
    // the product goes into an output that is the plain product, else into a scratch array; the
    // epilogue (several outputs after a multi-output merge) then runs over it
    const plain = k.outs.findIndex((o) => o.expr.k === 'acc');
    const acc = plain >= 0 ? outs[plain]! : this.scratch(k.dtype, k.batch * k.m * k.n);
    const parts = this.partsOf(k);
    if (k.a) runMatmul(k, arr(k.a.slot), k.a.view, arr(k.b.slot), acc);
    else {
      // the fused producer of A, evaluated into a packed row-major scratch A
      const load = parts.load!;
      const a = this.scratch(k.dtype, k.batch * k.m * k.k, 'A');
      this.loopFn(load)(
        load.args.map((x) => arr(x.slot)),
        [a],
        k.scalars,
      );
      runMatmul(k, a, contiguousView(load.outShape), arr(k.b.slot), acc);
    }
    if (k.outs.length === 1 && plain === 0) return;
    this.loopFn(parts.epilogue)(
      k.args.map((a) => arr(a.slot)),
      outs,
      k.scalars,
      acc,
    );
  }

  private readonly scratches = new Map<string, HostArray>();

  /** A reusable array (`role` keeps the product and a fused A apart). */
  private scratch(dtype: DType, size: number, role: 'C' | 'A' = 'C'): HostArray {
    const key = `${role}:${dtype}:${size}`;
    let s = this.scratches.get(key);
    if (!s) {
      if (this.scratches.size > 16) this.scratches.clear();
      this.scratches.set(key, (s = allocHost(dtype, size)));
    }
    return s;
  }

  async read(buffer: RealizedBuffer, _dtype: DType, _size: number): Promise<HostArray> {
    return (buffer.handle as HostArray).slice();
  }

  resetPeak(): void {
    this.stats.peakBytes = this.stats.liveBytes;
  }

  destroy(): void {
    this.loops.clear();
  }
}
