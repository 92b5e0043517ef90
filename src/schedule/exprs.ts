// Small utilities over kernel expression DAGs, shared by the post-scheduling passes (split.ts,
// merge.ts) and the backends: which arguments an expression reads, rebuilding a DAG with some
// leaves replaced (shared subexpressions stay shared), view tests.

import { contiguousStrides } from '../ir/shape.js';
import type { Expr, Kernel, MatmulPrologue } from './kernel.js';
import type { View } from './view.js';

/** Argument indices read by the expressions. */
export function argsRead(exprs: readonly (Expr | null)[]): Set<number> {
  const used = new Set<number>();
  const seen = new Set<Expr>();
  const stack = exprs.filter((e): e is Expr => e !== null);
  while (stack.length) {
    const e = stack.pop()!;
    if (seen.has(e)) continue;
    seen.add(e);
    if (e.k === 'arg') used.add(e.i);
    else if (e.k === 'op') stack.push(...e.args);
  }
  return used;
}

/** The expression roots of a kernel (outputs, then the prologue of a reduction). */
export function kernelRoots(k: Kernel): Expr[] {
  const roots = k.outs.map((o) => o.expr);
  if (k.type === 'loop' && k.prologue) roots.push(k.prologue);
  return roots;
}

/**
 * Storage buffers a kernel binds: distinct argument slots read, outputs, and for a matmul each
 * operand's buffer or the distinct slots its prologue reads.
 */
export function storageBindings(k: Kernel): number {
  const slots = new Set<number>();
  for (const i of argsRead(kernelRoots(k))) slots.add(k.args[i]!.slot);
  const outs = new Set(k.outs.map((o) => o.slot)).size; // outputs sharing a slot bind it once
  if (k.type !== 'matmul') return slots.size + outs;
  return slots.size + outs + operandBindings(k.aPrologue) + operandBindings(k.bPrologue);
}

/** Storage buffers a matmul operand binds: its buffer, or the distinct slots its prologue reads. */
export function operandBindings(p: MatmulPrologue | null): number {
  return p ? new Set(p.args.map((a) => a.slot)).size : 1;
}

/**
 * Rebuilds `e` with leaves mapped by `leaf` (returning null keeps the leaf); op nodes are rebuilt
 * only when an input changed, and shared nodes map once (`memo`).
 */
export function rebuild(e: Expr, leaf: (x: Expr) => Expr | null, memo: Map<Expr, Expr>, stop?: (x: Expr) => Expr | null): Expr {
  const seen = memo.get(e);
  if (seen) return seen;
  let r: Expr;
  const s = stop?.(e) ?? null;
  if (s) r = s;
  else if (e.k !== 'op') r = leaf(e) ?? e;
  else {
    const args = e.args.map((a) => rebuild(a, leaf, memo, stop));
    r = args.every((a, i) => a === e.args[i]) ? e : { ...e, args };
  }
  memo.set(e, r);
  return r;
}

/** Does the expression contain the accumulator? */
export function hasAcc(e: Expr, memo = new Map<Expr, boolean>()): boolean {
  const seen = memo.get(e);
  if (seen !== undefined) return seen;
  const r = e.k === 'acc' ? true : e.k === 'op' ? e.args.some((a) => hasAcc(a, memo)) : false;
  memo.set(e, r);
  return r;
}

/** Is `v` the plain row-major view of a buffer of shape `shape` (same index, no mask, no offset)? */
export function isIdentityView(v: View, shape: readonly number[]): boolean {
  if (v.mask || v.offset !== 0 || v.shape.length !== shape.length) return false;
  const c = contiguousStrides(shape);
  return shape.every((d, i) => v.shape[i] === d && (d === 1 || v.strides[i] === c[i]));
}
