// Post-scheduling pass: keeps every kernel within the storage buffers a shader stage may bind (the
// active backend's storageBufferLimit: 8, WebGPU's guaranteed minimum, up to 12). A fused kernel that reads too many
// distinct buffers gets a subexpression computed by its own elementwise kernel into a temporary,
// chosen to leave the fewest bindings; a matmul whose epilogue alone is too wide computes the plain
// product first and applies the epilogue in a loop kernel. Runs on every backend (a plan depends
// on the backend only through that limit).

import { sizeOf } from '../ir/shape.js';
import { argsRead, hasAcc, kernelRoots, rebuild, storageBindings } from './exprs.js';
import { type Expr, type Kernel, type KernelArg, type LoopKernel, type Slot, elementwiseKernel } from './kernel.js';
import { type View, contiguousView } from './view.js';

/** Storage buffers per shader stage that every WebGPU device allows (the default limit). */
export const MAX_STORAGE_BUFFERS = 8;

type Ctx = 'pro' | 'epi';

function restrictView(v: View, n: number): View {
  return { shape: v.shape.slice(0, n), strides: v.strides.slice(0, n), offset: v.offset, mask: v.mask ? v.mask.slice(0, n) : null };
}

/** Contiguous view of a buffer of shape `outShape`, read over `outShape ++ redShape` (stride 0 there). */
function epilogueView(outShape: readonly number[], redShape: readonly number[]): View {
  const c = contiguousView(outShape);
  return { shape: [...outShape, ...redShape], strides: [...c.strides, ...redShape.map(() => 0)], offset: 0, mask: null };
}

/** Keeps only the arguments still read, renumbering them. */
export function compactArgs<K extends Kernel>(k: K): K {
  const used = [...argsRead(kernelRoots(k))].sort((a, b) => a - b);
  if (used.length === k.args.length) return k;
  const renum = new Map(used.map((old, i) => [old, i]));
  const memo = new Map<Expr, Expr>();
  const leaf = (x: Expr): Expr | null => (x.k === 'arg' ? { k: 'arg', i: renum.get(x.i)! } : null);
  const outs = k.outs.map((o) => ({ ...o, expr: rebuild(o.expr, leaf, memo) }));
  const args = used.map((i) => k.args[i]!);
  if (k.type === 'loop') return { ...k, args, outs, prologue: k.prologue ? rebuild(k.prologue, leaf, memo) : null };
  return { ...k, args, outs };
}

interface Candidate {
  x: Expr;
  ctx: Ctx;
  result: number;
  width: number;
}

function slotsUnder(e: Expr, k: Kernel, memo: Map<Expr, Set<number>>): Set<number> {
  const seen = memo.get(e);
  if (seen) return seen;
  let s: Set<number>;
  if (e.k === 'arg') s = new Set([k.args[e.i]!.slot]);
  else if (e.k === 'op') {
    s = new Set();
    for (const a of e.args) for (const x of slotsUnder(a, k, memo)) s.add(x);
  } else s = new Set();
  memo.set(e, s);
  return s;
}

/**
 * For every op node e under `roots`: how many distinct slots the roots still read when e is
 * computed elsewhere (e counts as a leaf). A slot disappears exactly when e dominates every read
 * of it (every path from a root to the read passes through e), so one dominator tree of the
 * expression DAG answers all candidates at once (Cooper, Harvey and Kennedy's intersection, in
 * topological order), instead of one walk of the whole expression per candidate.
 */
function slotsLeftByCut(roots: readonly Expr[], k: Kernel): { left: Map<Expr, number>; total: number } {
  // topological order (parents first): reversed post-order of a depth-first walk from the roots
  const post: Expr[] = [];
  const seen = new Set<Expr>();
  const parents = new Map<Expr, Expr[]>();
  const walk = (e: Expr): void => {
    seen.add(e);
    if (e.k === 'op')
      for (const a of e.args) {
        const ps = parents.get(a);
        if (ps) ps.push(e);
        else parents.set(a, [e]);
        if (!seen.has(a)) walk(a);
      }
    post.push(e);
  };
  for (const r of roots) if (!seen.has(r)) walk(r);
  const order = post.reverse();
  const rootSet = new Set(roots);
  // idom: null stands for the virtual root above all roots; depth in the dominator tree
  const idom = new Map<Expr, Expr | null>();
  const depth = new Map<Expr | null, number>([[null, 0]]);
  const meet = (a: Expr | null, b: Expr | null): Expr | null => {
    while (a !== b) {
      if (depth.get(a)! >= depth.get(b)!) a = idom.get(a!)!;
      else b = idom.get(b!)!;
    }
    return a;
  };
  for (const v of order) {
    let d: Expr | null | undefined = rootSet.has(v) ? null : undefined;
    for (const p of parents.get(v) ?? []) d = d === undefined ? p : meet(d, p);
    idom.set(v, d ?? null);
    depth.set(v, depth.get(d ?? null)! + 1);
  }
  // each slot hangs at the meet of all its reads; a cut at e removes the slots hanging below e
  const slotAt = new Map<number, Expr | null>();
  for (const v of order)
    if (v.k === 'arg') {
      const slot = k.args[v.i]!.slot;
      slotAt.set(slot, slotAt.has(slot) ? meet(slotAt.get(slot)!, v) : v);
    }
  const below = new Map<Expr | null, number>();
  for (const at of slotAt.values()) below.set(at, (below.get(at) ?? 0) + 1);
  for (let i = order.length - 1; i >= 0; i--) {
    const v = order[i]!;
    const up = idom.get(v)!;
    below.set(up, (below.get(up) ?? 0) + (below.get(v) ?? 0));
  }
  const total = slotAt.size;
  const left = new Map<Expr, number>();
  for (const v of order) if (v.k === 'op') left.set(v, total - (below.get(v) ?? 0));
  return { left, total };
}

function bestCut(k: Kernel, limit: number): Candidate | null {
  const roots = kernelRoots(k);
  const fixed = k.outs.length + (k.type === 'matmul' ? 2 : 0) + 1; // + the temporary
  const memo = new Map<Expr, Set<number>>();
  const accMemo = new Map<Expr, boolean>();
  const { left } = slotsLeftByCut(roots, k);
  let best: Candidate | null = null;
  const visit = (root: Expr, ctx: Ctx): void => {
    const seen = new Set<Expr>();
    const stack = [root];
    while (stack.length) {
      const e = stack.pop()!;
      if (seen.has(e) || e.k !== 'op') continue;
      seen.add(e);
      stack.push(...e.args);
      if (hasAcc(e, accMemo)) continue;
      const width = slotsUnder(e, k, memo).size;
      if (width < 2 || width > limit - 1) continue;
      const result = left.get(e)! + fixed;
      if (!best || result < best.result || (result === best.result && width > best.width)) best = { x: e, ctx, result, width };
    }
  };
  for (const o of k.outs) visit(o.expr, 'epi');
  if (k.type === 'loop' && k.prologue) visit(k.prologue, 'pro');
  return best;
}

/** Computes `c.x` in its own kernel; returns [that kernel, the rest]. */
function cut(k: Kernel, c: Candidate, slots: Slot[]): [LoopKernel, Kernel] {
  const reduction = k.type === 'loop' && k.reduce !== null;
  const nOut = k.outShape.length;
  const space = c.ctx === 'pro' && k.type === 'loop' ? [...k.outShape, ...k.redShape] : k.outShape.slice();
  const dtype = c.x.k === 'op' ? c.x.dtype : k.dtype;
  slots.push({ size: sizeOf(space), dtype });
  const tmp = slots.length - 1;
  // the sub-kernel: the arguments under x, views over its iteration space
  const subArgs: KernelArg[] = [];
  const argMap = new Map<number, number>();
  const memo = new Map<Expr, Expr>();
  const expr = rebuild(
    c.x,
    (x) => {
      if (x.k !== 'arg') return null;
      let i = argMap.get(x.i);
      if (i === undefined) {
        const a = k.args[x.i]!;
        const view = reduction && c.ctx === 'epi' ? restrictView(a.view, nOut) : a.view;
        i = subArgs.push({ slot: a.slot, view }) - 1;
        argMap.set(x.i, i);
      }
      return { k: 'arg', i };
    },
    memo,
  );
  const sub = elementwiseKernel(dtype, space, subArgs, k.scalars, [{ slot: tmp, expr }]);
  // the rest reads the temporary where x was
  const view = c.ctx === 'pro' ? contiguousView(space) : reduction && k.type === 'loop' ? epilogueView(k.outShape, k.redShape) : contiguousView(k.outShape);
  const args = [...k.args, { slot: tmp, view }];
  const replacement: Expr = { k: 'arg', i: args.length - 1 };
  const m2 = new Map<Expr, Expr>();
  const stop = (x: Expr): Expr | null => (x === c.x ? replacement : null);
  const outs = k.outs.map((o) => ({ ...o, expr: rebuild(o.expr, () => null, m2, stop) }));
  const rest: Kernel = k.type === 'loop' ? { ...k, args, outs, prologue: k.prologue ? rebuild(k.prologue, () => null, m2, stop) : null } : { ...k, args, outs };
  return [sub, compactArgs(rest)];
}

/**
 * A matmul or reduction with its epilogue split off: the plain accumulator into a temporary,
 * then an elementwise kernel applying the epilogue (whose subexpressions can then be cut).
 */
function splitEpilogue(k: Kernel, slots: Slot[]): [Kernel, LoopKernel] {
  const size = k.type === 'matmul' ? k.batch * k.m * k.n : sizeOf(k.outShape);
  slots.push({ size, dtype: k.dtype });
  const tmp = slots.length - 1;
  const nOut = k.outShape.length;
  const head: Kernel =
    k.type === 'matmul'
      ? { ...k, args: [], scalars: k.aPrologue || k.bPrologue ? k.scalars : [], outs: [{ slot: tmp, expr: { k: 'acc' } }] } // prologues index the scalars
      : compactArgs({ ...k, outs: [{ slot: tmp, expr: { k: 'acc' } }] });
  // epilogue arguments of a reduction are views over outShape ++ redShape (stride 0 there)
  const args: KernelArg[] = k.args.map((a) => (k.type === 'loop' ? { slot: a.slot, view: restrictView(a.view, nOut) } : a));
  args.push({ slot: tmp, view: contiguousView(k.outShape) });
  const accArg: Expr = { k: 'arg', i: args.length - 1 };
  const memo = new Map<Expr, Expr>();
  const outs = k.outs.map((o) => ({ slot: o.slot, expr: rebuild(o.expr, (x) => (x.k === 'acc' ? accArg : null), memo) }));
  const epi = elementwiseKernel(k.dtype, k.outShape.slice(), args, k.scalars, outs);
  return [head, compactArgs(epi)];
}

function hasEpilogue(k: Kernel): boolean {
  if (k.type === 'loop' && k.reduce === null) return false;
  return !(k.outs.length === 1 && k.outs[0]!.expr.k === 'acc');
}

function splitKernel(k: Kernel, slots: Slot[], limit: number, out: Kernel[]): void {
  let cur = k;
  for (let guard = 0; storageBindings(cur) > limit && guard < 256; guard++) {
    const c = bestCut(cur, limit);
    if (c) {
      const [sub, rest] = cut(cur, c, slots);
      out.push(sub);
      cur = rest;
    } else if (hasEpilogue(cur)) {
      // every wide subexpression involves the accumulator (e.g. acc + a0 + a1 + ...)
      const [head, epi] = splitEpilogue(cur, slots);
      splitKernel(head, slots, limit, out);
      cur = epi;
    } else break;
  }
  out.push(cur);
}

/** Splits kernels that bind more than `limit` storage buffers (adds temporaries to `slots`). */
export function splitForLimits(kernels: readonly Kernel[], slots: Slot[], limit: number): Kernel[] {
  const out: Kernel[] = [];
  for (const k of kernels) {
    if (storageBindings(k) <= limit) out.push(k);
    else splitKernel(k, slots, limit, out);
  }
  return out;
}
