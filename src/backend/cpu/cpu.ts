// The CPU backend: buffers are typed arrays (Float32Array or Float64Array); loop kernels are
// compiled to JS functions (cached by kernel key), matmul runs a WebAssembly SIMD kernel
// (wasm-matmul.ts, two threads in Node) or, for small products and where WebAssembly SIMD is
// unavailable, a packed JS loop with the same results bit for bit (matmul.ts); a matmul's fused
// A / B producers run first, as loop kernels into scratch operands, and its epilogue runs in
// place over its output. Arrays the backend allocated are reused once freed (pool.ts).
// Serves as the reference in tests.

import { type DType, type HostArray, allocHost, bytesPerElement } from '../../dtype.js';
import { HostArrayPool, POOL_BYTES } from './pool.js';
import type { RealizedBuffer } from '../../ir/node.js';
import { STORAGE_BUFFERS_PLANNED_MAX } from '../../ir/host.js';
import {
  type Kernel,
  type KernelArg,
  type LoopKernel,
  type MatmulKernel,
  type MatmulPrologue,
  type Plan,
  elementwiseKernel,
  matmulBlocks,
  rowBlockShape,
} from '../../schedule/kernel.js';
import { type Backend, type BackendStats, RefCountedBuffer, newStats, slotsFreedAfter } from '../backend.js';
import { type LoopFn, compileLoopSource, loopSource } from './codegen.js';
import { type ARowBlock, aRowBlocks, runMatmul } from './matmul.js';
import type { ARows } from './pack.js';
import { type View, contiguousView } from '../../schedule/view.js';
import { MAX_TYPED_ARRAY_LENGTH, sizeOf } from '../../ir/shape.js';

/** A matmul kernel's parts run as loop kernels: its fused operand producers, its epilogue. */
interface MatmulParts {
  /** A's fused producer as a concatenation of views along its rows, packed block by block (matmul.ts), or null. */
  readonly aRows: readonly ARowBlock[] | null;
  readonly loadA: LoopKernel | null;
  readonly loadB: LoopKernel | null;
  /** The epilogue over C for the outputs of all of C (null when C itself is the only one), with their indices in the kernel's outputs. */
  readonly epilogue: EpiloguePart | null;
  /** An epilogue over each row block of C that block outputs cover. */
  readonly blocks: readonly EpiloguePart[];
}

/** An epilogue loop over C, or over a row block of it starting at element `from`, and the kernel outputs it writes. */
interface EpiloguePart {
  readonly loop: LoopKernel;
  readonly outs: readonly number[];
  readonly from: number;
}

class CpuBuffer extends RefCountedBuffer {
  readonly backendName = 'cpu';
  constructor(
    readonly handle: HostArray,
    private readonly stats: BackendStats,
    /** Where the array goes once freed (arrays the backend allocated; never an uploaded one, which a constant node still owns). */
    private readonly recycle: ((a: HostArray) => void) | null = null,
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
    this.recycle?.(this.handle);
  }
}

export class CpuBackend implements Backend {
  readonly name = 'cpu' as const;
  /**
   * Not stacked: a kernel costs nothing extra here, and stacked ran 0.98–1.19× the separate
   * channels' time on the benchmark networks (training step 1.06–1.11×; docs/taylor.md).
   */
  readonly stackedChannels = false;
  readonly storageBufferLimit = STORAGE_BUFFERS_PLANNED_MAX;
  readonly stats = newStats();
  /** Buffers are typed arrays. */
  readonly maxElements = MAX_TYPED_ARRAY_LENGTH;
  /** Compiled loops keyed by their source: the code is its own cache key. */
  private readonly loops = new Map<string, LoopFn>();
  /** Per kernel object (kernels are immutable; jit replays the same ones): no codegen on a hit. */
  private readonly loopOf = new WeakMap<LoopKernel, LoopFn>();
  /** A matmul's fused A and B producers and epilogue as loop kernels, built once per matmul kernel. */
  private readonly matmulParts = new WeakMap<MatmulKernel, MatmulParts>();

  upload(data: HostArray, _dtype: DType): RealizedBuffer {
    this.stats.uploads++;
    return new CpuBuffer(data, this.stats); // constants own their host array: no copy needed
  }

  private alloc(dtype: DType, size: number): CpuBuffer {
    let a = this.pool.take(dtype, size);
    if (!a) {
      this.stats.bytesAllocated += size * bytesPerElement(dtype); // fresh allocations, as on WebGPU
      a = allocHost(dtype, size);
    }
    return new CpuBuffer(a, this.stats, this.recycle);
  }

  /** Freed arrays of the sizes plans ask for, reused instead of allocated (and zeroed) anew. */
  private readonly pool = new HostArrayPool(POOL_BYTES);
  private readonly recycle = (a: HostArray): void => this.pool.put(a);

  /** Bytes of freed arrays held for reuse. */
  get pooledBytes(): number {
    return this.pool.bytes;
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

  private partsOf(k: MatmulKernel): MatmulParts {
    let parts = this.matmulParts.get(k);
    if (!parts) {
      const loop = (outShape: readonly number[], args: LoopKernel['args'], outs: LoopKernel['outs']): LoopKernel =>
        elementwiseKernel(k.dtype, outShape, args, k.scalars, outs);
      // over the prologue's own shape, whose row-major layout is that of [batch, rows, cols]
      const load = (p: MatmulPrologue | null): LoopKernel | null => (p ? loop(p.shape, p.args, [{ slot: -1, expr: p.expr }]) : null);
      // outputs of all of C, then one loop per row block (block outputs: elements [from, prefix) of C)
      const over = (shape: readonly number[], outs: readonly number[], from = 0) => {
        // a block's rows start `from / inner` rows down C's first dim of size > 1
        const lead = k.outShape.findIndex((d) => d !== 1);
        const r0 = from === 0 ? 0 : from / k.outShape.slice(lead + 1).reduce((a, b) => a * b, 1);
        const shifted = (v: View): View =>
          r0 === 0
            ? { ...v, shape: shape.slice() }
            : {
                shape: shape.slice(),
                strides: v.strides,
                offset: v.offset + r0 * v.strides[lead]!,
                mask: v.mask?.map(([lo, hi], d) => (d === lead ? [lo - r0, hi - r0] : [lo, hi])) ?? null,
              };
        return {
          loop: loop(
            shape,
            k.args.map((a) => ({ slot: a.slot, view: shifted(a.view) })),
            outs.map((j) => ({ slot: k.outs[j]!.slot, expr: k.outs[j]!.expr })),
          ),
          outs,
          from,
        };
      };
      const whole = k.outs.flatMap((o, j) => (o.prefix === undefined ? [j] : []));
      const cOnly = whole.length === 1 && k.outs[whole[0]!]!.expr.k === 'acc';
      parts = {
        aRows: aRowBlocks(k),
        loadA: load(k.aPrologue),
        loadB: load(k.bPrologue),
        epilogue: whole.length === 0 || cOnly ? null : over(k.outShape, whole),
        blocks: matmulBlocks(k).map(({ from, to, outs }) => over(rowBlockShape(k.outShape, from, to)!, outs, from)),
      };
      this.matmulParts.set(k, parts);
    }
    return parts;
  }

  execute(plan: Plan, inputs: ReadonlyMap<number, RealizedBuffer>): Map<number, RealizedBuffer> {
    this.stats.plans++;
    const bufs = new Map<number, RealizedBuffer>(inputs);
    const arr = (slot: number): HostArray => bufs.get(slot)!.handle as HostArray;
    const releaseAt = slotsFreedAfter(plan); // grouped once: a plan of n kernels costs O(n)
    plan.kernels.forEach((k, i) => {
      for (const o of k.outs) {
        if (!bufs.has(o.slot)) bufs.set(o.slot, this.alloc(plan.slots[o.slot]!.dtype, plan.slots[o.slot]!.size));
      }
      this.run(k, arr);
      this.stats.kernels++;
      for (const slot of releaseAt.get(i) ?? []) {
        bufs.get(slot)?.release();
        bufs.delete(slot);
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
    const plain = k.outs.findIndex((o) => o.expr.k === 'acc' && o.prefix === undefined);
    const acc = plain >= 0 ? outs[plain]! : this.scratch(k.dtype, k.batch * k.m * k.n);
    const parts = this.partsOf(k);
    // an operand is a buffer view, or its fused producer evaluated into a packed row-major scratch
    const operand = (arg: KernelArg | null, load: LoopKernel | null, role: 'A' | 'B'): [HostArray, View] => {
      if (arg) return [arr(arg.slot), arg.view];
      const x = this.scratch(k.dtype, sizeOf(load!.outShape), role);
      this.loopFn(load!)(
        load!.args.map((y) => arr(y.slot)),
        [x],
        k.scalars,
      );
      return [x, contiguousView(role === 'A' ? [k.batch, k.m, k.k] : [k.batch, k.k, k.n])];
    };
    const [b, bView] = operand(k.b, parts.loadB, 'B');
    let a: ARows[];
    if (parts.aRows) a = parts.aRows.map((r) => ({ src: arr(r.slot), view: r.view, from: r.from, rows: r.rows }));
    else {
      const [src, view] = operand(k.a, parts.loadA, 'A');
      a = [{ src, view, from: 0, rows: k.m }];
    }
    runMatmul(k, a, b, bView, acc);
    for (const e of parts.epilogue ? [parts.epilogue, ...parts.blocks] : parts.blocks) {
      this.loopFn(e.loop)(
        k.args.map((a) => arr(a.slot)),
        e.outs.map((j) => outs[j]!),
        k.scalars,
        e.from > 0 ? acc.subarray(e.from) : acc,
      );
    }
  }

  private readonly scratches = new Map<string, HostArray>();

  /** A reusable array (`role` keeps the product and fused operands apart). */
  private scratch(dtype: DType, size: number, role: 'C' | 'A' | 'B' = 'C'): HostArray {
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
    this.pool.clear();
  }
}
