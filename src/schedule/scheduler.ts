// The scheduler: turns the unrealized graph below some target nodes into a kernel plan. It
// canonicalizes the graph (graph.ts), takes the fusion plan (fusion.ts: which nodes get a buffer,
// which reduction or matmul absorbs which elementwise epilogue, which producer goes into a
// matmul's A or B loads), walks the graph in order building a kernel for every node the plan
// materializes (builder.ts: one KernelBuilder per kernel), then runs the post-scheduling passes
// (merge.ts, split.ts). It owns slots and reads: how a kernel reads a node, through strided views
// for movement ops (view.ts; a reshape strides cannot express costs a copy), and size-1 constants
// as scalar parameters.

import { sizeOf } from '../ir/shape.js';
import { type BufferRead, KernelBuilder, type MapView, type Read } from './builder.js';
import { type FusionPlan, type MatmulLoads, isAccumulator, isLeaf, planFusion } from './fusion.js';
import { schedulerConstant } from './constants.js';
import { type Canonical, isMovement } from './graph.js';
import { type ElementwiseOp, type Expr, type Kernel, type KernelArg, type MatmulPrologue, type Plan, type Slot, slotsRead } from './kernel.js';
import { operandBindings } from './exprs.js';
import { postSchedule } from './merge.js';
import { type View, contiguousView, isContiguous, movedView, permuteView, reshapeView } from './view.js';
import type { Node } from '../ir/node.js';
import { activeStorageBufferLimit } from '../ir/host.js';

export { MAX_FUSED_DEPTH } from './fusion.js';

/**
 * Most expression nodes one expression pushed through views or one unrolled sum may add to a
 * kernel; a larger one is computed into a buffer of its own (bounds code size, and the work of
 * computing an expression again at every index a view reads it at).
 */
export const MAX_PUSHED_EXPRS = 512;

/**
 * Most distinct buffers a kernel may read after an expression is pushed into it through views:
 * the storage-buffer limit less its output and a temporary. Past it the expression gets a
 * buffer, since split.ts would cut the kernel again anyway.
 */
const pushedSlotsAllowed = (storageBufferLimit: number): number => storageBufferLimit - 2;

export interface Schedule {
  readonly plan: Plan;
  /** Slot holding each target's value (targets that are realized leaves map to their input slot). */
  readonly targetSlots: number[];
}

/**
 * The plan computing `targets`. `storageBufferLimit`: the most storage buffers one kernel may bind
 * (the active backend's, by default); the plan depends on the backend only through it.
 */
export function schedule(targets: readonly Node[], storageBufferLimit = activeStorageBufferLimit()): Schedule {
  return new Scheduler(targets, storageBufferLimit).run();
}

class Scheduler {
  private readonly g: Canonical;
  private readonly fusion: FusionPlan;
  private readonly slots: Slot[] = [];
  private readonly kernels: Kernel[] = [];
  private readonly slotOfNode = new Map<Node, number>();
  private readonly reads = new Map<Node, Read>();
  private readonly bufferReads = new Map<Node, BufferRead>();

  constructor(
    private readonly targets: readonly Node[],
    private readonly storageBufferLimit: number,
  ) {
    this.fusion = planFusion(targets);
    this.g = this.fusion.g;
  }

  run(): Schedule {
    for (const n of this.g.order) if (this.fusion.isKernel(n) && !this.slotOfNode.has(n)) this.emit(n);
    const targetSlots = this.targets.map((t) => {
      const n = this.g.rep.get(t)!;
      const s = this.slotOfNode.get(n);
      if (s !== undefined) return s;
      if (isLeaf(n)) return this.leafSlot(n);
      // a movement op asked for by itself: the same buffer when its view is the whole buffer in
      // order (a reshape), else a copy
      const r = this.read(n);
      if (!('scalar' in r) && r.view.offset === 0 && isContiguous(r.view) && this.slots[r.slot]!.size === n.size) return r.slot;
      const slot = this.emitCopy(r, n.shape, n.dtype);
      this.slotOfNode.set(n, slot);
      return slot;
    });
    const keep = new Set(targetSlots.filter((s) => this.slots[s]!.input === undefined));
    const kernels = postSchedule(this.kernels, this.slots, keep, this.storageBufferLimit); // binding limits, multi-output merge (merge.ts)
    const lastUse = new Map<number, number>();
    kernels.forEach((k, i) => {
      const used = [...slotsRead(k), ...k.outs.map((o) => o.slot)];
      for (const s of used) if (this.slots[s]!.input === undefined) lastUse.set(s, i);
    });
    return { plan: { slots: this.slots, kernels, lastUse, keep }, targetSlots };
  }

  // ----- slots -----

  private newSlot(shape: readonly number[], dtype: Node['dtype']): number {
    return this.slots.push({ size: sizeOf(shape), dtype }) - 1;
  }

  private leafSlot(n: Node): number {
    let s = this.slotOfNode.get(n);
    if (s === undefined) {
      s = this.slots.push({ size: sizeOf(n.shape), dtype: n.dtype, input: n }) - 1;
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
    else if (isMovement(n) && !this.slotOfNode.has(n) && !isLeaf(n)) {
      const base = this.read(this.g.inputsOf(n)[0]!);
      r = 'scalar' in base && n.op !== 'pad' ? base : this.readBuffer(n);
    } else r = this.readBuffer(n);
    this.reads.set(n, r);
    return r;
  }

  /** Reads canonical node `n` as a strided view of a slot (scalars too). */
  private readBuffer(n: Node): BufferRead {
    const cached = this.bufferReads.get(n);
    if (cached) return cached;
    let r: BufferRead;
    const slot = this.slotOfNode.get(n);
    if (slot !== undefined) r = { slot, view: contiguousView(n.shape) };
    else if (isLeaf(n)) r = { slot: this.leafSlot(n), view: contiguousView(n.shape) };
    else if (isMovement(n)) r = this.readMovement(n);
    else throw new Error(`scheduler: ${n.op} node ${n.id} read before it was computed`);
    this.bufferReads.set(n, r);
    return r;
  }

  private readMovement(n: Node): BufferRead {
    const input = this.g.inputsOf(n)[0]!;
    const base = this.readBuffer(input);
    const view = movedView(base.view, n);
    if (view) return { slot: base.slot, view };
    // a reshape strides cannot express: read a contiguous copy
    return { slot: this.emitCopy(base, input.shape, input.dtype), view: contiguousView(n.p('reshape').shape) };
  }

  // ----- expressions -----

  /**
   * Expression computing canonical node `n` in the kernel `b` builds (`root`: the node the kernel
   * computes, never read from a buffer); null when a read does not map into the kernel's space.
   */
  private expr(n: Node, b: KernelBuilder, root = false): Expr | null {
    const memo = b.built(n);
    if (memo) return memo;
    if (!root && isMovement(n) && !this.slotOfNode.has(n)) {
      const pushed = this.throughViews(n, b);
      if (pushed === null) return null;
      if (pushed) return b.remember(n, pushed);
    }
    if (!root && (this.slotOfNode.has(n) || isLeaf(n) || isMovement(n))) return this.readInto(n, b);
    if (isAccumulator(n)) {
      if (b.absorbs(n)) return b.remember(n, { k: 'acc' });
      const d = this.fusion.decision(n);
      if (d.kind === 'inline') return this.inlineSum(n, b);
      // an accumulator absorbed by another kernel (re-planned when an expression pushed through
      // views was given a buffer instead) has no buffer of its own: it gets one here
      if (d.kind === 'accumulator' && !this.slotOfNode.has(n))
        this.fusion.materialize(n, (x) => this.slotOfNode.has(x), 'absorbed by a kernel that was re-planned, and read elsewhere');
      else if (d.kind !== 'nested') throw new Error(`scheduler: ${n.op} node ${n.id} reached as a nested kernel, but the fusion plan says ${d.kind}`);
      this.emit(n);
      return this.readInto(n, b);
    }
    const args: Expr[] = [];
    for (const m of this.g.inputsOf(n)) {
      const a = this.expr(m, b);
      if (!a) return null;
      args.push(a);
    }
    return b.remember(n, { k: 'op', op: n.op as ElementwiseOp, args, params: n.params as never, dtype: n.dtype });
  }

  /**
   * Movement node `n` over an expression computed in this kernel (the fusion plan fused it
   * through views): that expression with its reads composed with the views, and masked to 0
   * outside a pad. Undefined when `n` reads a buffer (or a nested kernel, or an expression its
   * views cannot push into: both emitted here).
   */
  private throughViews(n: Node, b: KernelBuilder): Expr | null | undefined {
    // (null: a read of the pad's mask did not map; the caller's kernel cannot be built this way)
    const moves: Node[] = [];
    let base = n;
    while (isMovement(base) && !this.slotOfNode.has(base) && !isLeaf(base)) {
      moves.unshift(base);
      base = this.g.inputsOf(base)[0]!;
    }
    if (this.slotOfNode.has(base) || isLeaf(base)) return undefined;
    if (isAccumulator(base) && this.fusion.decision(base).kind !== 'inline') {
      if (!this.slotOfNode.has(base)) this.emit(base);
      return undefined;
    }
    const compose = (v: View): View | null => {
      let w: View | null = v;
      for (const m of moves) if (!(w = movedView(w, m))) return null;
      return w;
    };
    const views = b.views;
    const mark = b.mark();
    const slotsBefore = b.slotsRead();
    let e = this.expr(
      base,
      b.scope((v) => {
        const w = compose(v);
        return w && views(w);
      }),
    );
    if (e && (b.builtSince(mark) > MAX_PUSHED_EXPRS || (b.slotsRead() > pushedSlotsAllowed(this.storageBufferLimit) && b.slotsRead() > slotsBefore))) {
      b.rollback(mark);
      e = null;
    }
    if (!e) {
      // a read the views cannot express in this kernel's space, an expression too large to
      // compute again at every index the views read it at, or one whose reads would make the
      // kernel bind more buffers than it may (it would be split again: more kernels, not fewer):
      // compute it into a buffer of its own and read that through the views
      this.fusion.materialize(
        base,
        (x) => this.slotOfNode.has(x),
        'read through views its reads could not be composed with (or too large, or too many buffers, to compute there)',
      );
      this.emit(base);
      return undefined;
    }
    if (!moves.some((m) => m.op === 'pad')) return e;
    // outside the pad the expression read zeros, not the value 0: select 0 there
    const view = compose({ shape: base.shape, strides: base.shape.map(() => 0), offset: 0, mask: null });
    const inside = view && b.read({ slot: this.leafSlot(schedulerConstant(1, n.dtype)), view });
    const zero = b.read({ scalar: 0 });
    if (!inside || !zero) return null;
    return { k: 'op', op: 'where', args: [inside, e, zero], params: {} as never, dtype: n.dtype };
  }

  /** Sum `r` (few reduced elements) unrolled in the expression reading it: Σ_j input at j, in order. */
  private inlineSum(r: Node, b: KernelBuilder): Expr | null {
    const input = this.g.inputsOf(r)[0]!;
    const axes = r.p('sum').axes;
    const kept = input.shape.map((_, i) => i).filter((i) => !axes.includes(i));
    const red = axes.map((a) => input.shape[a]!);
    const views = b.views;
    const mark = b.mark();
    let total: Expr | null = null;
    for (let j = 0; j < sizeOf(red); j++) {
      // the reduced index of term j (row-major over the reduced axes)
      const at = new Array<number>(red.length);
      for (let q = red.length - 1, rest = j; q >= 0; q--) {
        at[q] = rest % red[q]!;
        rest = Math.floor(rest / red[q]!);
      }
      const fix = (v: View): View | null => {
        let offset = v.offset;
        let outside = false;
        axes.forEach((a, q) => {
          offset += at[q]! * v.strides[a]!;
          const m = v.mask?.[a];
          if (m && (at[q]! < m[0] || at[q]! >= m[1])) outside = true;
        });
        const mask = v.mask || outside ? kept.map((i) => (outside ? ([0, 0] as const) : v.mask![i]!)) : null;
        return views({ shape: kept.map((i) => v.shape[i]!), strides: kept.map((i) => v.strides[i]!), offset, mask });
      };
      const term = this.expr(input, b.scope(fix));
      if (!term) return null;
      total = total ? { k: 'op', op: 'add', args: [total, term], params: {} as never, dtype: r.dtype } : term;
      if (b.builtSince(mark) > MAX_PUSHED_EXPRS) {
        // too large unrolled: a reduction kernel of its own
        b.rollback(mark);
        this.fusion.materialize(r, (x) => this.slotOfNode.has(x), `a sum unrolled where it is read grew past ${MAX_PUSHED_EXPRS} expression nodes`);
        this.emit(r);
        return this.readInto(r, b);
      }
    }
    return b.remember(r, total!);
  }

  private readInto(n: Node, b: KernelBuilder): Expr | null {
    const e = b.read(this.read(n));
    return e && b.remember(n, e);
  }

  // ----- kernels -----

  /** Emits the kernel computing node `n` (a kernel root of the fusion plan) into a new slot. */
  private emit(n: Node): number {
    const slot = this.newSlot(n.shape, n.dtype);
    const acc = this.fusion.accumulatorOf(n);
    const b = new KernelBuilder(acc);
    const out = acc === n ? { k: 'acc' as const } : this.expr(n, b, true)!;
    // The plan's accumulator can go unabsorbed: when a node on the only path to it was re-planned
    // into a buffer during the build, it is reached only through views or not at all (fuzz seed
    // 111, graph #140), and where it got a buffer of its own meanwhile it is read from that. The
    // kernel is then a loop.
    const absorbed = acc !== null && (acc === n || b.built(acc)?.k === 'acc') ? acc : null;
    if (absorbed === null) this.kernels.push(b.loop(n.dtype, n.shape, slot, out));
    else if (absorbed.op === 'matmul') this.emitMatmul(absorbed, b, slot, out, n);
    else this.emitReduce(absorbed, b, slot, out, n);
    this.slotOfNode.set(n, slot);
    this.reads.delete(n);
    this.bufferReads.delete(n);
    return slot;
  }

  private emitReduce(r: Node, b: KernelBuilder, slot: number, out: Expr, root: Node): void {
    const input = this.g.inputsOf(r)[0]!;
    const axes = r.p('sum').axes;
    const kept = input.shape.map((_, i) => i).filter((i) => !axes.includes(i));
    const perm = [...kept, ...axes];
    const redShape = axes.map((a) => input.shape[a]!);
    b.beginReductionPrologue(redShape, (v) => permuteView(v, perm));
    const prologue = this.expr(input, b)!;
    this.kernels.push(b.reduction(root.dtype, r.shape, redShape, r.op as 'sum' | 'max', prologue, slot, out));
  }

  private emitMatmul(mm: Node, b: KernelBuilder, slot: number, out: Expr, root: Node): void {
    const [a, bOperand] = this.g.inputsOf(mm) as [Node, Node];
    const r = mm.rank;
    const m = a.shape[r - 2]!,
      k = a.shape[r - 1]!,
      n = bOperand.shape[r - 1]!;
    const batch = sizeOf(mm.shape.slice(0, -2));
    const operand = (x: Node, rows: number, cols: number): KernelArg => {
      const rd = this.readBuffer(x);
      const v = reshapeView(rd.view, [batch, rows, cols]);
      if (v) return { slot: rd.slot, view: v };
      return { slot: this.emitCopy(rd, x.shape, x.dtype), view: contiguousView([batch, rows, cols]) };
    };
    // an operand's elementwise producer goes into the loads when it fits (A first, then B, with
    // the bindings A took); otherwise it gets a buffer
    const prologue = (loads: MatmulLoads | null, rows: number, cols: number, other: number): MatmulPrologue | null => {
      const p = loads ? this.tryLoads(loads, [batch, rows, cols], b, other) : null;
      if (loads && !p && !this.slotOfNode.has(loads.root)) {
        this.fusion.loadsDidNotFit(mm, loads, (x) => this.slotOfNode.has(x));
        this.emit(loads.root);
      }
      return p;
    };
    const aPrologue = prologue(this.fusion.loadsOf(mm, 'a'), m, k, 1);
    const bPrologue = prologue(this.fusion.loadsOf(mm, 'b'), k, n, operandBindings(aPrologue));
    const aArg = aPrologue ? null : operand(a, m, k);
    const bArg = bPrologue ? null : operand(bOperand, k, n);
    this.kernels.push(b.matmul({ dtype: root.dtype, batch, m, n, k, outShape: mm.shape }, aArg, aPrologue, bArg, bPrologue, slot, out));
  }

  /**
   * An operand's producer as an expression over views of `space` ([batch, m, k] for A, [batch, k, n]
   * for B), or null when a view does not map there or the kernel would bind more storage buffers
   * than a shader stage allows (`other`: the bindings of the other operand).
   */
  private tryLoads(loads: MatmulLoads, space: readonly number[], epilogue: KernelBuilder, other: number): MatmulPrologue | null {
    // a last reshape merging the producer's leading dims into rows: the loads run over the
    // producer's own shape (a view of it through the reshape may not exist: a broadcast channel)
    const last = loads.moves[loads.moves.length - 1];
    const rowsOf = last?.op === 'reshape' ? last.inputs[0]!.shape : null;
    const fine = rowsOf && rowsOf.length >= 2 && rowsOf[rowsOf.length - 1] === space[2] ? rowsOf : null;
    const moves = fine ? loads.moves.slice(0, -1) : loads.moves;
    const shape = fine ?? space;
    const mapView: MapView = (v) => {
      let w: typeof v | null = v;
      for (const mv of moves) if (!(w = movedView(w, mv))) return null;
      return fine ? w : reshapeView(w, space);
    };
    const pro = epilogue.child(mapView);
    const expr = this.expr(loads.root, pro, true);
    if (!expr) return null;
    if (pro.slotsRead() + epilogue.slotsRead() + other + 1 > this.storageBufferLimit) return null; // + the output
    epilogue.adoptScalars(pro);
    return pro.loads(expr, shape);
  }

  /** Emits a contiguous copy of a read (a scalar fills the copy). */
  private emitCopy(r: Read, shape: readonly number[], dtype: Node['dtype']): number {
    const slot = this.newSlot(shape, dtype);
    const b = new KernelBuilder(null);
    this.kernels.push(b.loop(dtype, shape, slot, b.read(r)!));
    return slot;
  }
}
