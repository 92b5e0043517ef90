// Post-scheduling pass: multi-output kernels. An elementwise loop kernel joins an earlier kernel
// with the same output shape (up to size-1 dimensions) — an elementwise kernel, a reduction (its
// epilogue) or a matmul (its epilogue) — or a matmul whose row block it spans (a block output:
// tanh of the primal channel of stacked Taylor channels, computed once in the matmul's epilogue;
// a folded bias gradient, the product's last row), or, over [R, ...S], a loop kernel over S as R
// outputs at offsets into one buffer (unrolled: a concatenation of Taylor channels written by the
// kernel computing them), when everything it reads is ready there: buffers computed before that kernel, or
// that kernel's own outputs read element for element (those reads become the producing expression,
// so a primal and its tangent / Taylor channels are written by one kernel and the primal is not
// read back). An elementwise kernel also moves forward into a later kernel of its space (a
// reduction's epilogue: a Taylor coefficient and the sum over directions next to it) when nothing
// in between reads what it writes. Outputs that nothing reads any more afterwards are dropped
// (unless asked for).
// Binding limits (split.ts) are respected. `postSchedule` runs both passes; scheduler.run() calls it.

import { argsRead, isIdentityView, kernelRoots, rebuild, storageBindings } from './exprs.js';
import { sizeOf } from '../ir/shape.js';
import { type Expr, type Kernel, type KernelArg, type Slot, elementwiseKernel, rowBlockShape, slotsRead } from './kernel.js';
import { compactArgs, splitForLimits } from './split.js';
import { type View, viewKey } from './view.js';

/** How many earlier kernels a kernel may move back to join. */
const WINDOW = 64;

/**
 * Deepest expression a merge may build by substitution: the scheduler cuts fused chains at
 * MAX_FUSED_DEPTH (fusion.ts) to keep kernels and the recursion over them bounded; joining
 * the pieces again must not undo that.
 */
const MAX_DEPTH = 256;

function depthOf(e: Expr, memo: Map<Expr, number>): number {
  const seen = memo.get(e);
  if (seen !== undefined) return seen;
  const d = e.k === 'op' ? 1 + Math.max(...e.args.map((a) => depthOf(a, memo))) : 0;
  memo.set(e, d);
  return d;
}

interface Group {
  kernel: Kernel;
  /** Expression of each output slot of the group. */
  exprOf: Map<number, Expr>;
}

/** Same iteration order: equal shapes once size-1 dimensions are dropped ([1, 256, 64] ~ [256, 64]). */
function sameSpace(a: readonly number[], b: readonly number[]): boolean {
  const x = a.filter((d) => d !== 1),
    y = b.filter((d) => d !== 1);
  return x.length === y.length && x.every((d, i) => d === y[i]);
}

/** A view over `from` re-expressed over `to` (same space up to size-1 dims); null if a size-1 dim is masked out. */
function respace(v: View, from: readonly number[], to: readonly number[]): View | null {
  if (from.length === to.length && from.every((d, i) => d === to[i])) return v;
  const keep: number[] = [];
  for (let i = 0; i < from.length; i++) {
    if (from[i] !== 1) keep.push(i);
    else if (v.mask && !(v.mask[i]![0] <= 0 && v.mask[i]![1] >= 1)) return null;
  }
  const shape: number[] = [],
    strides: number[] = [];
  const mask: [number, number][] = [];
  let j = 0;
  for (const d of to) {
    shape.push(d);
    if (d === 1) {
      strides.push(0);
      mask.push([0, 1]);
      continue;
    }
    const i = keep[j++]!;
    strides.push(v.strides[i]!);
    mask.push(v.mask ? [v.mask[i]![0], v.mask[i]![1]] : [0, d]);
  }
  return { shape, strides, offset: v.offset, mask: v.mask ? mask : null };
}

function isElementwise(k: Kernel): k is Extract<Kernel, { type: 'loop' }> {
  return k.type === 'loop' && k.reduce === null;
}

/** A view over the leader's iteration space (reductions iterate over outShape ++ redShape). */
function extendView(v: View, leader: Kernel): View {
  if (leader.type !== 'loop' || leader.reduce === null || leader.redShape.length === 0) return v;
  const r = leader.redShape;
  return {
    shape: [...v.shape, ...r],
    strides: [...v.strides, ...r.map(() => 0)],
    offset: v.offset,
    mask: v.mask ? [...v.mask, ...r.map((d) => [0, d] as const)] : null,
  };
}

/**
 * The arguments and scalars of leader `L` as a member's reads join them: each distinct slot and
 * view, and each scalar value, once.
 */
function joined(L: Kernel): { args: KernelArg[]; scalars: number[]; arg: (slot: number, view: View) => Expr; scalar: (v: number) => Expr } {
  const args: KernelArg[] = [...L.args];
  const argIndex = new Map(args.map((a, i) => [`${a.slot}:${viewKey(a.view)}`, i]));
  const scalars = [...L.scalars];
  return {
    args,
    scalars,
    arg: (slot, view) => {
      const key = `${slot}:${viewKey(view)}`;
      let j = argIndex.get(key);
      if (j === undefined) {
        j = args.push({ slot, view }) - 1;
        argIndex.set(key, j);
      }
      return { k: 'arg', i: j };
    },
    scalar: (v) => {
      let j = scalars.findIndex((x) => Object.is(x, v));
      if (j < 0) j = scalars.push(v) - 1;
      return { k: 'scalar', i: j };
    },
  };
}

/** `member` folded into group `g` (index `gi`), or null when it cannot join. */
function tryMerge(
  g: Group,
  gi: number,
  member: Extract<Kernel, { type: 'loop' }>,
  writtenBy: ReadonlyMap<number, number>,
  limit: number,
): { group: Group; substituted: boolean } | null {
  const L = g.kernel;
  // channels at offsets (an unrolled merge) go into loop kernels only
  if (L.dtype !== member.dtype || (L.type === 'matmul' && member.outs.some((o) => o.at !== undefined))) return null;
  // the member's space: the leader's, or (into a matmul) a row block of it, starting where the
  // member reads the leader's outputs (a leading block when it does not)
  const used = argsRead(kernelRoots(member));
  let space: readonly number[] = L.outShape;
  let prefix: number | undefined;
  let from = 0;
  if (!sameSpace(L.outShape, member.outShape)) {
    if (L.type !== 'matmul') return null;
    const own = [...used].map((i) => member.args[i]!).find((a) => writtenBy.get(a.slot) === gi);
    from = own ? own.view.offset : 0;
    const rows = rowBlockShape(L.outShape, from, from + sizeOf(member.outShape));
    if (!rows || !sameSpace(rows, member.outShape)) return null;
    space = rows;
    prefix = from + sizeOf(member.outShape);
  }
  let substituted = false;
  for (const i of used) {
    const a = member.args[i]!;
    const w = writtenBy.get(a.slot);
    if (w === undefined || w < gi) {
      if (from > 0) return null; // a block past the first row reads the leader's outputs only
      continue;
    }
    if (w === gi && g.exprOf.has(a.slot) && isIdentityView({ ...a.view, offset: a.view.offset - from }, member.outShape)) {
      substituted = true;
      continue;
    }
    return null;
  }
  const into = joined(L);
  const memo = new Map<Expr, Expr>();
  let fits = true;
  const leaf = (x: Expr): Expr | null => {
    if (x.k === 'scalar') return into.scalar(member.scalars[x.i]!);
    if (x.k !== 'arg') return null;
    const a = member.args[x.i]!;
    if (writtenBy.get(a.slot) === gi) return g.exprOf.get(a.slot)!;
    const r = respace(a.view, member.outShape, space);
    if (!r) {
      fits = false;
      return null;
    }
    // a row block's view over the whole space: rows past the block are never read
    return into.arg(a.slot, extendView(prefix === undefined ? r : { ...r, shape: L.outShape.slice() }, L));
  };
  const outs = member.outs.map((o) => ({
    slot: o.slot,
    expr: rebuild(o.expr, leaf, memo),
    ...(o.at === undefined ? {} : { at: o.at }),
    ...(prefix === undefined ? {} : { prefix }),
    ...(from > 0 ? { from } : {}),
  }));
  if (!fits) return null;
  if (substituted) {
    const dm = new Map<Expr, number>();
    if (outs.some((o) => depthOf(o.expr, dm) > MAX_DEPTH)) return null;
  }
  const kernel = { ...L, args: into.args, scalars: into.scalars, outs: [...L.outs, ...outs] } as Kernel;
  if (storageBindings(kernel) > limit) return null;
  const exprOf = new Map(g.exprOf);
  // a channel at an offset (unrolled), or a row block not at the start, is not the slot's value at
  // the same index
  for (const o of outs) if (o.at === undefined && o.from === undefined) exprOf.set(o.slot, o.expr);
  return { group: { kernel, exprOf }, substituted };
}

/** Most channels of a leading axis an unrolled merge writes as separate outputs (a stack of Taylor channels: 1 + D + 1). */
const MAX_UNROLL = 34;

/** `e` with where(c, a, b) on a scalar condition c decided (scalars: the kernel's values). */
function foldWhere(e: Expr, scalars: readonly number[], memo: Map<Expr, Expr>): Expr {
  const seen = memo.get(e);
  if (seen) return seen;
  let r: Expr = e;
  if (e.k === 'op') {
    const args = e.args.map((a) => foldWhere(a, scalars, memo));
    const c = args[0]!;
    if (e.op === 'where' && c.k === 'scalar') r = scalars[c.i] !== 0 ? args[1]! : args[2]!;
    else if (args.some((a, i) => a !== e.args[i])) r = { ...e, args };
  }
  memo.set(e, r);
  return r;
}

/**
 * `member`, an elementwise kernel over [R, ...S] with S the loop group `g`'s space, folded into
 * it as R outputs per output: channel c of each written over S at offset c·|S| into its slot,
 * reading channel c of every argument (an argument masked out there reads 0, and a where on it
 * is decided). So the concatenation of Taylor channels that the next product reads is written
 * by the kernel computing the channels (the sum over directions, the nonlinearity's
 * coefficients), not by one of its own. Null when it cannot join (see tryMerge).
 */
function tryMergeUnrolled(
  g: Group,
  gi: number,
  member: Extract<Kernel, { type: 'loop' }>,
  writtenBy: ReadonlyMap<number, number>,
  limit: number,
): Group | null {
  const L = g.kernel;
  if (member.outShape.length < 2) return null;
  const R = member.outShape[0]!;
  const inner = member.outShape.slice(1);
  if (L.type !== 'loop' || L.dtype !== member.dtype || R < 2 || R > MAX_UNROLL || !sameSpace(L.outShape, inner)) return null;
  if (member.outs.some((o) => o.at !== undefined)) return null;
  const size = sizeOf(inner);
  const into = joined(L);
  const outs: { slot: number; expr: Expr; at: number }[] = [];
  for (let c = 0; c < R; c++) {
    let fits = true;
    const leaf = (x: Expr): Expr | null => {
      if (x.k === 'scalar') return into.scalar(member.scalars[x.i]!);
      if (x.k !== 'arg') return null;
      const a = member.args[x.i]!;
      const m0 = a.view.mask?.[0];
      if (m0 && !(m0[0] <= c && c < m0[1])) return into.scalar(0); // outside a pad: 0
      const rest = a.view.mask?.slice(1);
      const whole = !rest || rest.every(([lo, hi], d) => lo <= 0 && hi >= inner[d]!);
      const v: View = { shape: inner.slice(), strides: a.view.strides.slice(1), offset: a.view.offset + c * a.view.strides[0]!, mask: whole ? null : rest! };
      const w = writtenBy.get(a.slot);
      if (w !== undefined && w >= gi) {
        if (w === gi && g.exprOf.has(a.slot) && isIdentityView(v, inner)) return g.exprOf.get(a.slot)!;
        fits = false;
        return null;
      }
      const r = respace(v, inner, L.outShape);
      if (!r) {
        fits = false;
        return null;
      }
      return into.arg(a.slot, extendView(r, L));
    };
    const memo = new Map<Expr, Expr>();
    const fold = new Map<Expr, Expr>();
    for (const o of member.outs) {
      const expr = rebuild(o.expr, leaf, memo);
      if (!fits) return null;
      outs.push({ slot: o.slot, expr: foldWhere(expr, into.scalars, fold), at: c * size });
    }
  }
  const dm = new Map<Expr, number>();
  if (outs.some((o) => depthOf(o.expr, dm) > MAX_DEPTH)) return null;
  const kernel = { ...L, args: into.args, scalars: into.scalars, outs: [...L.outs, ...outs] } as Kernel;
  if (storageBindings(kernel) > limit) return null;
  return { kernel, exprOf: g.exprOf }; // the channels are not read back element for element
}

/**
 * An elementwise kernel over [R, ...S] that concatenates pieces along its leading axis (it reads
 * some argument masked along that axis) whose channels share reads (some argument is broadcast
 * along that axis over two channels or more: a primal value under every Taylor channel),
 * unrolled by itself over S: each element of S computes every channel, the piece of each decided
 * (where the concatenation selected between pieces, every element computed them all) and what
 * the channels share read once. Null otherwise, or when it cannot be unrolled (tryMergeUnrolled).
 * A concatenation of unrelated pieces stays as it is (the CPU runs it as one loop per piece).
 */
function unrolledAlone(k: Kernel, gi: number, writtenBy: ReadonlyMap<number, number>, limit: number): Group | null {
  if (!isElementwise(k) || k.outShape.length < 2) return null;
  const R = k.outShape[0]!;
  const views = [...argsRead(kernelRoots(k))].map((i) => k.args[i]!.view);
  const concatenates = views.some((v) => v.mask && (v.mask[0]![0] > 0 || v.mask[0]![1] < R));
  // (not a one-element constant read everywhere: the 1 a pad selects with)
  const shares = views.some(
    (v) => v.strides[0] === 0 && v.strides.some((x) => x !== 0) && (!v.mask || Math.min(R, v.mask[0]![1]) - Math.max(0, v.mask[0]![0]) >= 2),
  );
  if (!concatenates || !shares) return null;
  const empty = elementwiseKernel(k.dtype, k.outShape.slice(1), [], [], []);
  return tryMergeUnrolled({ kernel: empty, exprOf: new Map() }, gi, k, writtenBy, limit);
}

/** Buffer slots a kernel reads (its expressions' arguments, a matmul's operands and their prologues). */
function slotsReadBy(k: Kernel): Set<number> {
  const read = new Set<number>();
  for (const i of argsRead(kernelRoots(k))) read.add(k.args[i]!.slot);
  if (k.type === 'matmul') for (const s of slotsRead(k)) read.add(s);
  return read;
}

/** Merges elementwise kernels into earlier kernels of the same output shape, and earlier ones into later ones (see the header). */
export function mergeKernels(kernels: readonly Kernel[], keep: ReadonlySet<number>, limit: number): Kernel[] {
  const groups: (Group | null)[] = [];
  const writtenBy = new Map<number, number>();
  for (const k of kernels) {
    let chosen: { gi: number; group: Group } | null = null;
    if (isElementwise(k)) {
      // everything k reads must be computed before the group it joins: scan back until a
      // buffer k reads is written (joining that group itself is allowed for element reads)
      const needed = Math.max(-1, ...[...argsRead(kernelRoots(k))].map((i) => writtenBy.get(k.args[i]!.slot) ?? -1));
      let fallback: { gi: number; group: Group } | null = null;
      for (let gi = groups.length - 1; gi >= Math.max(needed, groups.length - WINDOW, 0); gi--) {
        const g = groups[gi];
        const r = g ? tryMerge(g, gi, k, writtenBy, limit) : null;
        if (!r) continue;
        if (r.substituted) {
          chosen = { gi, group: r.group };
          break;
        }
        fallback ??= { gi, group: r.group };
      }
      chosen ??= fallback;
      // a stack of channels over the space of an earlier loop kernel: unrolled into it
      for (let gi = groups.length - 1; !chosen && gi >= Math.max(needed, groups.length - WINDOW, 0); gi--) {
        const g = groups[gi];
        const r = g ? tryMergeUnrolled(g, gi, k, writtenBy, limit) : null;
        if (r) chosen = { gi, group: r };
      }
    }
    if (chosen) {
      groups[chosen.gi] = chosen.group;
      for (const o of k.outs) writtenBy.set(o.slot, chosen.gi);
    } else {
      const at = groups.push(unrolledAlone(k, groups.length, writtenBy, limit) ?? { kernel: k, exprOf: new Map(k.outs.map((o) => [o.slot, o.expr])) }) - 1;
      for (const o of k.outs) writtenBy.set(o.slot, at);
      pullForward(groups, at, writtenBy, limit);
    }
  }
  const kept = groups.filter((g): g is Group => g !== null);
  // drop outputs nothing reads any more
  const read = new Set<number>();
  for (const { kernel: k } of kept) for (const s of slotsReadBy(k)) read.add(s);
  // (and arguments no expression reads, such as a read folded to 0 outside a pad: the output
  // that wrote its slot may have just been dropped, and backends bind every argument. Fuzz seed
  // 5: the vjp of stack([x0, x0]) read a slot no kernel wrote)
  return kept.map(({ kernel: k }) => {
    const outs = k.outs.length < 2 ? k.outs : k.outs.filter((o) => keep.has(o.slot) || read.has(o.slot));
    return compactArgs(outs.length === k.outs.length ? k : { ...k, outs: outs.length ? outs : [k.outs[0]!] });
  });
}

/**
 * Earlier elementwise kernels join the new group at `at` (a reduction's or matmul's epilogue, or
 * an elementwise kernel) when nothing from them up to it reads their outputs: they move forward,
 * so a Taylor coefficient computed next to the sum over directions that follows it is one kernel
 * with it. Their inputs were ready before them, so they are ready here.
 */
function pullForward(groups: (Group | null)[], at: number, writtenBy: Map<number, number>, limit: number): void {
  const readAfter = new Set<number>(slotsReadBy(groups[at]!.kernel));
  for (let gi = at - 1; gi >= Math.max(0, at - WINDOW); gi--) {
    const g = groups[gi];
    if (!g) continue;
    const e = g.kernel;
    if (isElementwise(e) && !e.outs.some((o) => readAfter.has(o.slot))) {
      const merged = tryMerge(groups[at]!, at, e, writtenBy, limit)?.group ?? tryMergeUnrolled(groups[at]!, at, e, writtenBy, limit);
      if (merged) {
        groups[at] = merged;
        groups[gi] = null;
        for (const o of e.outs) writtenBy.set(o.slot, at);
      }
    }
    // what it reads is read after anything earlier (moved or not): an earlier kernel it reads stays put
    for (const s of slotsReadBy(e)) readAfter.add(s);
  }
}

/**
 * The post-scheduling passes, in order: split kernels that bind too many buffers, then merge
 * elementwise kernels into multi-output kernels. `slots` may grow (temporaries of splits).
 */
export function postSchedule(kernels: readonly Kernel[], slots: Slot[], keep: ReadonlySet<number>, limit: number): Kernel[] {
  return mergeKernels(splitForLimits(kernels, slots, limit), keep, limit);
}
