// The kernel builder: the state of one kernel under construction and the kernel objects of the
// plan (kernel.ts). A builder owns its arguments (with the index that shares one argument between
// equal reads), its scalar parameters and the memo of the expressions built so far; nothing
// mutable is shared with another builder. A reduction's prologue is a phase of the same builder
// (`beginReductionPrologue`: its arguments and scalars continue the epilogue's); a matmul's A
// and B loads are each a `child` builder (own arguments, a copy of the scalars, taken back by
// `adoptScalars` when the loads are used).

import type { DType } from '../dtype.js';
import type { Node } from '../ir/node.js';
import { type Expr, type KernelArg, type LoopKernel, type MatmulKernel, type MatmulPrologue, elementwiseKernel } from './kernel.js';
import { type View, viewKey } from './view.js';

/** How a kernel reads a node: a scalar parameter or a strided view of a slot. */
export type Read = { readonly scalar: number } | BufferRead;
export interface BufferRead {
  readonly slot: number;
  readonly view: View;
}

/** Maps a read's view into the kernel's iteration space; null when it cannot. */
export type MapView = (v: View) => View | null;

const sameSpace: MapView = (v) => v;

/** What a builder shares with its scopes: the kernel's arguments, their index and the scalars. */
interface Shared {
  readonly args: KernelArg[];
  argIndex: Map<string, number>;
  readonly scalars: number[];
  /** Expression nodes built so far, in every scope. */
  exprs: number;
}

/** What `mark` records and `rollback` restores. */
export interface BuildMark {
  readonly args: number;
  readonly scalars: number;
  readonly exprs: number;
}

export class KernelBuilder {
  private readonly shared: Shared;
  private memo = new Map<Node, Expr>();
  private phase: 'epilogue' | 'prologue' = 'epilogue';

  /**
   * @param acc the reduction / matmul this kernel absorbs (the fusion plan's choice), or null
   * @param mapView maps read views into this kernel's iteration space
   */
  constructor(
    private readonly acc: Node | null,
    private mapView: MapView = sameSpace,
    scalars: readonly number[] = [],
    shared?: Shared,
  ) {
    this.shared = shared ?? { args: [], argIndex: new Map(), scalars: scalars.slice(), exprs: 0 };
  }

  private get args(): KernelArg[] {
    return this.shared.args;
  }

  private get scalars(): number[] {
    return this.shared.scalars;
  }

  /** The state to return to if what is built next is given up. */
  mark(): BuildMark {
    return { args: this.args.length, scalars: this.scalars.length, exprs: this.shared.exprs };
  }

  /** Expression nodes built since `m`. */
  builtSince(m: BuildMark): number {
    return this.shared.exprs - m.exprs;
  }

  /** Gives up the arguments and scalars added since `m` (the expressions built since are dropped by the caller). */
  rollback(m: BuildMark): void {
    this.args.length = m.args;
    this.scalars.length = m.scalars;
    for (const [key, i] of this.shared.argIndex) if (i >= m.args) this.shared.argIndex.delete(key);
    this.shared.exprs = m.exprs;
  }

  /** The current view mapping (into this kernel's iteration space). */
  get views(): MapView {
    return this.mapView;
  }

  /**
   * A scope of this kernel's expression read through another view mapping (a movement op pushed
   * into the reads of an expression, or one term of an inlined reduction): the same arguments
   * and scalars, its own memo, and no accumulator (the kernel's `acc` is the value at the
   * kernel's own index only).
   */
  scope(mapView: MapView): KernelBuilder {
    return new KernelBuilder(null, mapView, [], this.shared);
  }

  /** Is `n` read as this kernel's accumulator (`acc`) at this point? */
  absorbs(n: Node): boolean {
    return this.phase === 'epilogue' && n === this.acc;
  }

  built(n: Node): Expr | undefined {
    return this.memo.get(n);
  }

  remember(n: Node, e: Expr): Expr {
    this.shared.exprs++;
    this.memo.set(n, e);
    return e;
  }

  /** The expression reading `r` (equal reads share an argument, equal scalars a parameter); null when its view does not map. */
  read(r: Read): Expr | null {
    if ('scalar' in r) {
      let i = this.scalars.findIndex((s) => Object.is(s, r.scalar));
      if (i < 0) i = this.scalars.push(r.scalar) - 1;
      return { k: 'scalar', i };
    }
    const view = this.mapView(r.view);
    if (!view) return null;
    const key = `${r.slot}:${viewKey(view)}`;
    let i = this.shared.argIndex.get(key);
    if (i === undefined) {
      i = this.args.push({ slot: r.slot, view }) - 1;
      this.shared.argIndex.set(key, i);
    }
    return { k: 'arg', i };
  }

  /**
   * Ends the epilogue of a reduction over `redShape`: the epilogue's arguments, built over the
   * output shape, are read over the whole iteration space (stride 0 along the reduced dims); the
   * prologue's reads follow, through `mapView`, with a fresh memo and argument index.
   */
  beginReductionPrologue(redShape: readonly number[], mapView: MapView): void {
    for (let i = 0; i < this.args.length; i++) {
      const a = this.args[i]!;
      const v = a.view;
      this.args[i] = {
        slot: a.slot,
        view: {
          shape: [...v.shape, ...redShape],
          strides: [...v.strides, ...redShape.map(() => 0)],
          offset: v.offset,
          mask: v.mask ? [...v.mask, ...redShape.map((d) => [0, d] as const)] : null,
        },
      };
    }
    this.phase = 'prologue';
    this.shared.argIndex = new Map();
    this.memo = new Map();
    this.mapView = mapView;
  }

  /** A builder for a matmul's A or B loads: its own arguments, reading through `mapView`, the scalars so far. */
  child(mapView: MapView): KernelBuilder {
    return new KernelBuilder(null, mapView, this.scalars);
  }

  /** Takes the scalars `child` added (its expressions index them past ours). */
  adoptScalars(child: KernelBuilder): void {
    this.scalars.push(...child.scalars.slice(this.scalars.length));
  }

  /** Distinct slots the arguments read. */
  slotsRead(): number {
    return new Set(this.args.map((a) => a.slot)).size;
  }

  loop(dtype: DType, outShape: readonly number[], slot: number, out: Expr): LoopKernel {
    return elementwiseKernel(dtype, outShape, this.args, this.scalars, [{ slot, expr: out }]);
  }

  reduction(
    dtype: DType,
    outShape: readonly number[],
    redShape: readonly number[],
    reduce: 'sum' | 'max',
    prologue: Expr,
    slot: number,
    out: Expr,
  ): LoopKernel {
    return { type: 'loop', dtype, outShape, redShape, reduce, prologue, args: this.args, scalars: this.scalars, outs: [{ slot, expr: out }] };
  }

  matmul(
    shape: Pick<MatmulKernel, 'dtype' | 'batch' | 'm' | 'n' | 'k' | 'outShape'>,
    a: KernelArg | null,
    aPrologue: MatmulPrologue | null,
    b: KernelArg | null,
    bPrologue: MatmulPrologue | null,
    slot: number,
    out: Expr,
  ): MatmulKernel {
    const { dtype, batch, m, n, k, outShape } = shape;
    return { type: 'matmul', dtype, batch, m, n, k, outShape, a, aPrologue, b, bPrologue, args: this.args, scalars: this.scalars, outs: [{ slot, expr: out }] };
  }

  /** The A or B loads computing `expr` (a child builder's) over `shape` (see MatmulPrologue). */
  loads(expr: Expr, shape: readonly number[]): MatmulPrologue {
    return { expr, args: this.args, shape };
  }
}
