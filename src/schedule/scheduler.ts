// The scheduler: turns the unrealized graph below some target nodes into a kernel plan.
// Fusion rules:
//  - elementwise chains fuse into one loop kernel; a node is materialized (gets a buffer) when it
//    is asked for, has several consumers, or feeds a movement op or a matmul;
//  - an elementwise chain feeding a reduction becomes the reduction's prologue;
//  - a reduction or matmul whose only consumer is elementwise gets that chain as its epilogue
//    (bias, activation, Taylor channel math), one accumulator per kernel;
//  - movement ops are strided views (masks for padding); a reshape strides cannot express costs a copy;
//  - size-1 constants become scalar parameters of the kernel that reads them.

import type { DType } from '../dtype.js';
import type { Node } from '../ir/node.js';
import { kindOf } from '../ir/primitives.js';
import { sizeOf } from '../ir/shape.js';
import { type Canonical, canonicalize } from './graph.js';
import { postSchedule } from './merge.js';
import { MAX_STORAGE_BUFFERS } from './split.js';
import { type ElementwiseOp, type Expr, type Kernel, type KernelArg, type MatmulPrologue, type Plan, type Slot, slotsRead } from './kernel.js';
import { type View, broadcastView, contiguousView, isContiguous, padView, permuteView, reshapeView, sliceView, viewKey } from './view.js';

type Read = { scalar: number } | { slot: number; view: View };

interface Ctx {
  args: KernelArg[];
  argIndex: Map<string, number>;
  scalars: number[];
  memo: Map<Node, Expr>;
  /** The reduction or matmul absorbed as `acc`, if any. */
  acc: Node | null;
  /** May this context absorb a deferred reduction / matmul? */
  canAbsorb: boolean;
  /** dtype of the kernel's output: an absorbed accumulator must have it (it accumulates in it). */
  dtype: DType;
  mapView: (v: View) => View;
}

/** Longest chain of ops fused into one kernel expression; longer chains get a buffer in between. */
export const MAX_FUSED_DEPTH = 256;

export interface Schedule {
  readonly plan: Plan;
  /** Slot holding each target's value (targets that are realized leaves map to their input slot). */
  readonly targetSlots: number[];
}

export function schedule(targets: readonly Node[]): Schedule {
  return new Scheduler(targets).run();
}

class Scheduler {
  private readonly g: Canonical;
  private readonly slots: Slot[] = [];
  private readonly kernels: Kernel[] = [];
  private readonly slotOfNode = new Map<Node, number>();
  private readonly reads = new Map<Node, Read>();
  private readonly bufferReads = new Map<Node, { slot: number; view: View }>();
  private readonly targetSet: Set<Node>;
  /** Nodes materialized to bound the depth of a fused expression. */
  private readonly forced = new Set<Node>();

  constructor(private readonly targets: readonly Node[]) {
    this.g = canonicalize(targets);
    this.targetSet = new Set(targets.map((t) => this.g.rep.get(t)!));
  }

  run(): Schedule {
    // depth of the fused expression each node would head; a chain deeper than MAX_FUSED_DEPTH is
    // cut (materialized) so that kernels, and the recursion that builds them, stay bounded
    const depth = new Map<Node, number>();
    for (const n of this.g.order) {
      if (this.isLeaf(n) || isMovement(n)) {
        depth.set(n, 0);
        continue;
      }
      const d = 1 + Math.max(0, ...this.g.inputsOf(n).map((m) => depth.get(m) ?? 0));
      if (d >= MAX_FUSED_DEPTH) this.forced.add(n);
      const mat = this.materialized(n);
      depth.set(n, mat ? 0 : d);
      if (mat && !this.slotOfNode.has(n)) this.emit(n);
    }
    const targetSlots = this.targets.map((t) => {
      const n = this.g.rep.get(t)!;
      const s = this.slotOfNode.get(n);
      if (s !== undefined) return s;
      if (this.isLeaf(n)) return this.leafSlot(n);
      // a movement op asked for by itself: the same buffer when its view is the whole buffer in
      // order (a reshape), else a copy
      const r = this.read(n);
      if (!('scalar' in r) && r.view.offset === 0 && isContiguous(r.view) && this.slots[r.slot]!.size === n.size) return r.slot;
      return this.emitCopy(n);
    });
    const keep = new Set(targetSlots.filter((s) => this.slots[s]!.input === undefined));
    const kernels = postSchedule(this.kernels, this.slots, keep); // binding limits, multi-output merge (merge.ts)
    const lastUse = new Map<number, number>();
    kernels.forEach((k, i) => {
      const used = [...slotsRead(k), ...k.outs.map((o) => o.slot)];
      for (const s of used) if (this.slots[s]!.input === undefined) lastUse.set(s, i);
    });
    return { plan: { slots: this.slots, kernels, lastUse, keep }, targetSlots };
  }

  // ----- classification -----

  private isLeaf(n: Node): boolean {
    return n.buffer !== null || n.op === 'const';
  }

  private soleConsumer(n: Node): Node | null {
    const c = this.g.consumers.get(n) ?? [];
    return c.length === 1 ? c[0]! : null;
  }

  /** Does `n` get its own buffer (and so its own kernel)? */
  private materialized(n: Node): boolean {
    if (this.targetSet.has(n) || this.forced.has(n)) return true;
    const kind = kindOf(n.op);
    const c = this.soleConsumer(n);
    const cKind = c ? kindOf(c.op) : null;
    const elementwiseConsumer = cKind === 'unary' || cKind === 'binary' || cKind === 'ternary';
    if (kind === 'reduce' || kind === 'matmul') return !elementwiseConsumer;
    if (elementwiseConsumer || cKind === 'reduce') return false;
    return this.matmulAConsumer(n) === null; // else fused into the matmul's A loads (or emitted there)
  }

  // ----- slots -----

  private newSlot(n: Node): number {
    this.slots.push({ size: sizeOf(n.shape), dtype: n.dtype });
    return this.slots.length - 1;
  }

  private leafSlot(n: Node): number {
    let s = this.slotOfNode.get(n);
    if (s === undefined) {
      this.slots.push({ size: sizeOf(n.shape), dtype: n.dtype, input: n });
      s = this.slots.length - 1;
      this.slotOfNode.set(n, s);
    }
    return s;
  }

  // ----- reads through views -----

  /** How a consumer reads canonical node `n`: a scalar parameter or a strided view of a slot. */
  private read(n: Node): Read {
    const cached = this.reads.get(n);
    if (cached) return cached;
    let r: Read;
    if (!this.slotOfNode.has(n) && n.op === 'const' && n.buffer === null && n.size === 1) r = { scalar: n.p('const').data[0]! };
    else if (isMovement(n) && !this.slotOfNode.has(n) && !this.isLeaf(n)) {
      const base = this.read(this.g.inputsOf(n)[0]!);
      r = 'scalar' in base && n.op !== 'pad' ? base : this.readBuffer(n);
    } else r = this.readBuffer(n);
    this.reads.set(n, r);
    return r;
  }

  /** Reads canonical node `n` as a strided view of a slot (scalars too). */
  private readBuffer(n: Node): { slot: number; view: View } {
    const cached = this.bufferReads.get(n);
    if (cached) return cached;
    let r: { slot: number; view: View };
    const slot = this.slotOfNode.get(n);
    if (slot !== undefined) r = { slot, view: contiguousView(n.shape) };
    else if (this.isLeaf(n)) r = { slot: this.leafSlot(n), view: contiguousView(n.shape) };
    else if (isMovement(n)) r = this.readMovement(n);
    else throw new Error(`scheduler: ${n.op} node ${n.id} read before it was computed`);
    this.bufferReads.set(n, r);
    return r;
  }

  private readMovement(n: Node): { slot: number; view: View } {
    const input = this.g.inputsOf(n)[0]!;
    const base = this.readBuffer(input);
    const v = base.view;
    switch (n.op) {
      case 'reshape': {
        const shape = n.p('reshape').shape;
        const r = reshapeView(v, shape);
        if (r) return { slot: base.slot, view: r };
        const copy = this.emitCopyOfRead(base, input.shape, input.dtype);
        return { slot: copy, view: contiguousView(shape) };
      }
      case 'permute':
        return { slot: base.slot, view: permuteView(v, n.p('permute').perm) };
      case 'broadcast':
        return { slot: base.slot, view: broadcastView(v, n.p('broadcast').shape) };
      case 'slice': {
        const p = n.p('slice');
        return { slot: base.slot, view: sliceView(v, p.starts, p.ends, p.steps) };
      }
      case 'pad': {
        const p = n.p('pad');
        return { slot: base.slot, view: padView(v, p.before, p.after) };
      }
      default:
        throw new Error(`scheduler: ${n.op} is not a movement op`);
    }
  }

  // ----- expressions -----

  private newCtx(canAbsorb: boolean, dtype: DType, mapView: (v: View) => View = (v) => v): Ctx {
    return { args: [], argIndex: new Map(), scalars: [], memo: new Map(), acc: null, canAbsorb, dtype, mapView };
  }

  private argExpr(ctx: Ctx, r: Read): Expr {
    if ('scalar' in r) {
      let i = ctx.scalars.findIndex((s) => Object.is(s, r.scalar));
      if (i < 0) i = ctx.scalars.push(r.scalar) - 1;
      return { k: 'scalar', i };
    }
    const view = ctx.mapView(r.view);
    const key = `${r.slot}:${viewKey(view)}`;
    let i = ctx.argIndex.get(key);
    if (i === undefined) {
      i = ctx.args.push({ slot: r.slot, view }) - 1;
      ctx.argIndex.set(key, i);
    }
    return { k: 'arg', i };
  }

  /** Expression computing canonical node `n` inside the kernel being built. */
  private expr(n: Node, ctx: Ctx, root = false): Expr {
    const memo = ctx.memo.get(n);
    if (memo) return memo;
    let e: Expr;
    const kind = kindOf(n.op);
    if (!root && (this.slotOfNode.has(n) || this.isLeaf(n) || isMovement(n))) {
      e = this.argExpr(ctx, this.read(n));
    } else if (kind === 'reduce' || kind === 'matmul') {
      if (ctx.canAbsorb && ctx.acc === null && n.dtype === ctx.dtype) {
        ctx.acc = n;
        e = { k: 'acc' };
      } else {
        this.emit(n); // a second accumulator: its own kernel
        e = this.argExpr(ctx, this.read(n));
      }
    } else {
      const args = this.g.inputsOf(n).map((m) => this.expr(m, ctx));
      e = { k: 'op', op: n.op as ElementwiseOp, args, params: n.params as never, dtype: n.dtype };
    }
    ctx.memo.set(n, e);
    return e;
  }

  // ----- kernels -----

  /** Emits the kernel computing materialized node `n` into a new slot. */
  private emit(n: Node): number {
    const slot = this.newSlot(n);
    const kind = kindOf(n.op);
    const ctx = this.newCtx(true, n.dtype);
    const out = kind === 'reduce' || kind === 'matmul' ? ((ctx.acc = n), { k: 'acc' } as Expr) : this.expr(n, ctx, true);
    const acc = ctx.acc as Node | null;
    if (acc === null) {
      this.kernels.push({ type: 'loop', dtype: n.dtype, outShape: n.shape, redShape: [], reduce: null, prologue: null, args: ctx.args, scalars: ctx.scalars, outs: [{ slot, expr: out }] });
    } else if (kindOf(acc.op) === 'reduce') {
      this.emitReduce(acc, ctx, slot, out, n);
    } else {
      this.emitMatmul(acc, ctx, slot, out, n);
    }
    this.slotOfNode.set(n, slot);
    this.reads.delete(n);
    this.bufferReads.delete(n);
    return slot;
  }

  private emitReduce(r: Node, ctx: Ctx, slot: number, out: Expr, root: Node): void {
    const input = this.g.inputsOf(r)[0]!;
    const axes = r.p('sum').axes;
    const kept = input.shape.map((_, i) => i).filter((i) => !axes.includes(i));
    const perm = [...kept, ...axes];
    const redShape = axes.map((a) => input.shape[a]!);
    // epilogue args were built over the output shape: extend them with the reduced dims (stride 0)
    for (let i = 0; i < ctx.args.length; i++) {
      const a = ctx.args[i]!;
      const v = a.view;
      ctx.args[i] = {
        slot: a.slot,
        view: {
          shape: [...v.shape, ...redShape],
          strides: [...v.strides, ...redShape.map(() => 0)],
          offset: v.offset,
          mask: v.mask ? [...v.mask, ...redShape.map((d) => [0, d] as const)] : null,
        },
      };
    }
    const pro: Ctx = { ...ctx, argIndex: new Map(), memo: new Map(), canAbsorb: false, mapView: (v) => permuteView(v, perm) };
    const prologue = this.expr(input, pro);
    this.kernels.push({
      type: 'loop',
      dtype: root.dtype,
      outShape: r.shape,
      redShape,
      reduce: r.op as 'sum' | 'max',
      prologue,
      args: ctx.args,
      scalars: pro.scalars,
      outs: [{ slot, expr: out }],
    });
  }

  private emitMatmul(mm: Node, ctx: Ctx, slot: number, out: Expr, root: Node): void {
    const [a, b] = this.g.inputsOf(mm) as [Node, Node];
    const r = mm.rank;
    const m = a.shape[r - 2]!, k = a.shape[r - 1]!, n = b.shape[r - 1]!;
    const batch = sizeOf(mm.shape.slice(0, -2));
    const operand = (x: Node, rows: number, cols: number): KernelArg => {
      const rd = this.readBuffer(x);
      const v = reshapeView(rd.view, [batch, rows, cols]);
      if (v) return { slot: rd.slot, view: v };
      const copy = this.emitCopyOfRead(rd, x.shape, x.dtype);
      return { slot: copy, view: contiguousView([batch, rows, cols]) };
    };
    // A's elementwise producer is fused into the loads when it fits; otherwise it gets a buffer
    const chain = this.aProducer(a);
    const aPrologue = chain ? this.aPrologue(chain, [batch, m, k], ctx) : null;
    if (chain && !aPrologue && !this.slotOfNode.has(chain.root)) this.emit(chain.root);
    const aArg = aPrologue ? null : operand(a, m, k);
    const bArg = operand(b, k, n);
    this.kernels.push({ type: 'matmul', dtype: root.dtype, batch, m, n, k, outShape: mm.shape, a: aArg, aPrologue, b: bArg, args: ctx.args, scalars: ctx.scalars, outs: [{ slot, expr: out }] });
  }

  /**
   * The matmul consuming elementwise node `n` as its A operand and nothing else (through
   * single-consumer reshapes, permutes and broadcasts), or null.
   */
  private matmulAConsumer(n: Node): Node | null {
    let cur = n;
    for (;;) {
      const c = this.soleConsumer(cur);
      if (!c) return null;
      if (c.op === 'matmul') {
        const [a, b] = this.g.inputsOf(c);
        return a === cur && b !== cur ? c : null;
      }
      if ((c.op !== 'reshape' && c.op !== 'permute' && c.op !== 'broadcast') || this.targetSet.has(c)) return null;
      cur = c;
    }
  }

  /** A deferred elementwise node under matmul operand `a` (through movement ops), with the ops. */
  private aProducer(a: Node): { root: Node; moves: Node[] } | null {
    const moves: Node[] = [];
    let cur = a;
    while (cur.op === 'reshape' || cur.op === 'permute' || cur.op === 'broadcast') {
      if (this.slotOfNode.has(cur) || this.isLeaf(cur)) return null;
      moves.unshift(cur);
      cur = this.g.inputsOf(cur)[0]!;
    }
    const kind = kindOf(cur.op);
    const elementwise = kind === 'unary' || kind === 'binary' || kind === 'ternary';
    if (!elementwise || this.slotOfNode.has(cur) || this.isLeaf(cur)) return null;
    return { root: cur, moves };
  }

  /**
   * A's producer as an expression over views of [batch, m, k], or null when a view does not map
   * there or the kernel would bind more storage buffers than a shader stage allows.
   */
  private aPrologue(chain: { root: Node; moves: Node[] }, space: number[], epi: Ctx): MatmulPrologue | null {
    const fail = new Error('no prologue');
    const mapView = (v: View): View => {
      let w: View | null = v;
      for (const mv of chain.moves) {
        if (mv.op === 'reshape') w = reshapeView(w, mv.p('reshape').shape);
        else if (mv.op === 'permute') w = permuteView(w, mv.p('permute').perm);
        else w = broadcastView(w, mv.p('broadcast').shape);
        if (!w) throw fail;
      }
      w = reshapeView(w, space);
      if (!w) throw fail;
      return w;
    };
    const ctx: Ctx = { ...this.newCtx(false, chain.root.dtype, mapView), scalars: epi.scalars.slice() };
    let expr: Expr;
    try {
      expr = this.expr(chain.root, ctx, true);
    } catch (e) {
      if (e === fail) return null;
      throw e;
    }
    const slots = new Set(ctx.args.map((x) => x.slot)).size + new Set(epi.args.map((x) => x.slot)).size;
    if (slots + 2 > MAX_STORAGE_BUFFERS) return null; // + B and the output
    epi.scalars.push(...ctx.scalars.slice(epi.scalars.length));
    return { expr, args: ctx.args };
  }

  private emitCopyOfRead(r: { slot: number; view: View }, shape: readonly number[], dtype: Node['dtype']): number {
    this.slots.push({ size: sizeOf(shape), dtype });
    const slot = this.slots.length - 1;
    this.kernels.push({ type: 'loop', dtype, outShape: shape, redShape: [], reduce: null, prologue: null, args: [{ slot: r.slot, view: r.view }], scalars: [], outs: [{ slot, expr: { k: 'arg', i: 0 } }] });
    return slot;
  }

  /** Materializes a movement node (asked for directly) as a contiguous copy. */
  private emitCopy(n: Node): number {
    const r = this.read(n);
    if ('scalar' in r) {
      const slot = this.newSlot(n);
      this.kernels.push({ type: 'loop', dtype: n.dtype, outShape: n.shape, redShape: [], reduce: null, prologue: null, args: [], scalars: [r.scalar], outs: [{ slot, expr: { k: 'scalar', i: 0 } }] });
      this.slotOfNode.set(n, slot);
      return slot;
    }
    const slot = this.emitCopyOfRead(r, n.shape, n.dtype);
    this.slotOfNode.set(n, slot);
    return slot;
  }
}

function isMovement(n: Node): boolean {
  return kindOf(n.op) === 'movement';
}
