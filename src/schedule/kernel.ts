// The kernel plan: what the scheduler hands a backend. A kernel loops over an iteration space and
// reads its arguments through strided views over that space; elementwise math is an expression
// DAG (`Expr`). Backends turn each kernel into code (JS on CPU, WGSL on WebGPU) and cache what they
// compile by a key made from that generated code (and, on WebGPU, its override constants) by the
// function that generates it: no separate hand-written key.

import type { DType } from '../dtype.js';
import type { Node } from '../ir/node.js';
import type { ParamsMap, Prim } from '../ir/primitives.js';
import type { View } from './view.js';

export type ElementwiseOp = Exclude<Prim, 'const' | 'identity' | 'custom' | 'sum' | 'max' | 'reshape' | 'permute' | 'broadcast' | 'slice' | 'pad' | 'matmul'>;

export type Expr =
  | { readonly k: 'arg'; readonly i: number } // read argument i at the current index
  | { readonly k: 'scalar'; readonly i: number } // scalar parameter i (a uniform)
  | { readonly k: 'acc' } // the reduction / matmul result, in an epilogue
  | {
      readonly k: 'op';
      readonly op: ElementwiseOp;
      readonly args: readonly Expr[];
      readonly params: ParamsMap[ElementwiseOp];
      /** dtype of the result (float32 results are rounded after every op on CPU). */
      readonly dtype: DType;
    };

/** A buffer read through a view over the kernel's iteration space. */
export interface KernelArg {
  readonly slot: number;
  readonly view: View;
}

/**
 * Elementwise (no reduced dims) or reduction kernel. The iteration space is `outShape` followed by
 * `redShape`; `prologue` is evaluated at every point and folded by `reduce`; `epilogue` (with
 * `acc`) maps the folded value to the output. Without reduction, `prologue` is unused and each
 * output's expression is evaluated directly.
 */
export interface LoopKernel {
  readonly type: 'loop';
  readonly dtype: DType;
  readonly outShape: readonly number[];
  readonly redShape: readonly number[];
  readonly reduce: 'sum' | 'max' | null;
  readonly prologue: Expr | null;
  readonly args: readonly KernelArg[];
  readonly scalars: readonly number[];
  /**
   * Outputs: element i of the iteration space goes to `slot[at + i]` (`at` 0 when absent). Several
   * outputs may share a slot at different offsets (the channels of a concatenation, each written
   * where it lies: merge.ts); such a slot is bound once.
   */
  readonly outs: readonly LoopOut[];
}

export interface LoopOut {
  readonly slot: number;
  readonly expr: Expr;
  readonly at?: number;
}

/**
 * Batched matmul C[b] = A[b] @ B[b] (batch = product of the leading dims of `outShape`), then an
 * elementwise epilogue over `outShape` (the node's own shape, [..., m, n]).
 */
export interface MatmulKernel {
  readonly type: 'matmul';
  readonly dtype: DType;
  readonly batch: number;
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly outShape: readonly number[];
  /**
   * A as a view [batch, m, k] of a buffer, or null when `aPrologue` computes it: the elementwise
   * producer of A fused into the matmul's loads (a tangent channel `φ'(x) ⊙ V` feeding the next
   * layer is never written to memory).
   */
  readonly a: KernelArg | null;
  readonly aPrologue: MatmulPrologue | null;
  /**
   * B as a view [batch, k, n] of a buffer, or null when `bPrologue` computes it (a lazily scaled
   * or updated weight computed in the loads, not written to memory first).
   */
  readonly b: KernelArg | null;
  readonly bPrologue: MatmulPrologue | null;
  /** Epilogue arguments, views over `outShape`. */
  readonly args: readonly KernelArg[];
  readonly scalars: readonly number[];
  readonly outs: readonly MatmulOut[];
}

/**
 * An output of a matmul's epilogue: over all of C, or with `prefix` over its elements [from,
 * prefix) only (row-major, whole rows: a row block; `from` 0 when absent: a leading block, e.g.
 * the primal channel of stacked Taylor channels, whose nonlinearity is then computed once, here;
 * or the last row, a bias gradient folded into its weight-gradient product, row-sums.ts). A
 * block output's buffer holds prefix − from elements, element o of C at o − from.
 */
export interface MatmulOut {
  readonly slot: number;
  readonly expr: Expr;
  readonly prefix?: number;
  readonly from?: number;
}

/**
 * The row blocks a matmul's block outputs cover (elements [from, to) of C), each with the indices
 * of its outputs in `k.outs`; outputs over all of C are not listed.
 */
export function matmulBlocks(k: MatmulKernel): { from: number; to: number; outs: number[] }[] {
  const blocks = new Map<string, { from: number; to: number; outs: number[] }>();
  k.outs.forEach((o, j) => {
    if (o.prefix === undefined) return;
    const from = o.from ?? 0;
    const key = `${from}:${o.prefix}`;
    let b = blocks.get(key);
    if (!b) blocks.set(key, (b = { from, to: o.prefix, outs: [] }));
    b.outs.push(j);
  });
  return [...blocks.values()];
}

/**
 * The shape of elements [from, to) of `shape`, when they are whole slices along its first dim of
 * size > 1 and not all of it; null otherwise.
 */
export function rowBlockShape(shape: readonly number[], from: number, to: number): number[] | null {
  const lead = shape.findIndex((d) => d !== 1);
  if (lead < 0) return null;
  const inner = shape.slice(lead + 1).reduce((a, b) => a * b, 1);
  const total = inner * shape[lead]!;
  if (from % inner !== 0 || to % inner !== 0 || from < 0 || to <= from || to > total || to - from === total) return null;
  return shape.map((d, i) => (i === lead ? (to - from) / inner : d));
}

/**
 * A(b, i, p) = `expr` with argument j read from `args[j]` through a view over `shape`: [batch, m,
 * k], or a finer shape [...rows, k] whose rows flatten (row-major) to batch·m (the producer's own
 * shape before a reshape that merges rows: channels stacked over data points); likewise B(b, p, j)
 * over [batch, k, n] or [...rows, n]. Its scalars are the kernel's.
 */
export interface MatmulPrologue {
  readonly expr: Expr;
  readonly args: readonly KernelArg[];
  readonly shape: readonly number[];
}

export type Kernel = LoopKernel | MatmulKernel;

/** An elementwise loop kernel (no reduction) over `outShape`. */
export function elementwiseKernel(
  dtype: DType,
  outShape: readonly number[],
  args: readonly KernelArg[],
  scalars: readonly number[],
  outs: LoopKernel['outs'],
): LoopKernel {
  return { type: 'loop', dtype, outShape, redShape: [], reduce: null, prologue: null, args, scalars, outs };
}

/** Slots a kernel reads (arguments, matmul operands and prologue arguments). */
export function slotsRead(k: Kernel): number[] {
  const s = k.args.map((a) => a.slot);
  if (k.type === 'matmul') {
    if (k.b) s.push(k.b.slot);
    if (k.a) s.push(k.a.slot);
    if (k.aPrologue) s.push(...k.aPrologue.args.map((a) => a.slot));
    if (k.bPrologue) s.push(...k.bPrologue.args.map((a) => a.slot));
  }
  return s;
}

export interface Slot {
  readonly size: number;
  readonly dtype: DType;
  /** A realized node whose buffer this slot reads; absent for buffers the plan allocates. */
  readonly input?: Node;
}

export interface Plan {
  readonly slots: readonly Slot[];
  readonly kernels: readonly Kernel[];
  /** For each slot the plan allocates: index of the last kernel reading or writing it. */
  readonly lastUse: ReadonlyMap<number, number>;
  /** Slots that outlive the plan (the values asked for). */
  readonly keep: ReadonlySet<number>;
}
