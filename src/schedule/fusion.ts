// The fusion plan: where the value of every node of the canonical graph is computed, decided
// before any kernel is built (data over the graph, a reason with every decision). The scheduler
// (scheduler.ts) walks the graph and builds what the plan says with a KernelBuilder (builder.ts).
//  - 'kernel': a node gets a buffer and a kernel of its own when it is asked for, when the fused
//    expression it heads would reach MAX_FUSED_DEPTH, or by the sole-consumer table below
//    (several consumers, read by a movement op, both operands of a matmul, ...);
//  - 'fused': an elementwise node whose only consumer is elementwise is computed in its
//    consumer's expression; 'prologue': in the prologue of the reduction that is its only
//    consumer; 'a-loads' / 'b-loads': in the loads of the matmul reading it (through reshapes,
//    permutes and broadcasts) as its A operand only / its B operand only (not both: x @ x);
//  - 'accumulator': a reduction or matmul whose only consumer is elementwise is the accumulator of
//    the kernel computing the end of that chain, which applies the chain as its epilogue. One
//    accumulator per kernel: a second one, one of another dtype than the kernel's output, or one
//    read by a prologue or A / B loads gets its own kernel, built when that kernel reaches it ('nested');
//  - 'view': movement ops are strided views of their input; 'leaf': realized buffers, constants.
// Which accumulator a kernel absorbs follows the order the builder walks an expression (inputs in
// order, depth first), simulated here. The one decision the build can revise: A or B loads that
// do not fit (a view they cannot express, too many storage buffers) give their producer a kernel
// (`loadsDidNotFit`).

import type { Node } from '../ir/node.js';
import { type ElementwisePrim, type Prim, isElementwise, kindOf } from '../ir/primitives.js';
import { type Canonical, canonicalize, isMovement, substitute } from './graph.js';
import { foldRowSums } from './row-sums.js';

/** Longest chain of ops fused into one kernel expression; longer chains get a buffer in between. */
export const MAX_FUSED_DEPTH = 256;

/**
 * Most elements a sum may reduce and still be computed inline, as an unrolled sum in the
 * expression that reads it (the sum over Taylor directions of a collapsed top coefficient),
 * instead of in a kernel of its own.
 */
export const INLINE_MAX_EXTENT = 64;

/**
 * Whether each elementwise op is dear enough (a transcendental function: tens of flops) that a
 * shared producer is computed once into a buffer rather than recomputed at every element of a
 * broadcast that reads it (fuseSharedProducers), and is never repeated where it is read
 * (cheapToRepeat). Keyed by every elementwise primitive, so a new one must say.
 */
const COSTLY_OP = {
  neg: false,
  exp: true,
  log: true,
  sin: true,
  cos: true,
  tanh: true,
  sigmoid: true,
  softplus: true,
  sqrt: false,
  log1p: true,
  expm1: true,
  erf: true,
  abs: false,
  sign: false,
  pow: true,
  cast: false,
  add: false,
  sub: false,
  mul: false,
  div: false,
  atan2: true,
  maximum: false,
  cmp: false,
  where: false,
} as const satisfies Record<ElementwisePrim, boolean>;

const isCostly = (op: Prim): boolean => isElementwise(op) && COSTLY_OP[op as ElementwisePrim];

/** Movement ops an expression can be read through (its reads composed with the view; a pad also masks the result). */
export function isPushable(n: Node): boolean {
  if (n.op === 'broadcast' || n.op === 'permute' || n.op === 'slice' || n.op === 'pad') return true;
  return n.op === 'reshape' && isUnitReshape(n.inputs[0]!.shape, n.shape);
}

/** Does a reshape only insert or remove size-1 dims? */
export function isUnitReshape(from: readonly number[], to: readonly number[]): boolean {
  const a = from.filter((d) => d !== 1),
    b = to.filter((d) => d !== 1);
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * Most terms × loads an unrolled sum may cost per element of a matmul operand it is computed in:
 * matmul loads read each operand element once per column (A) or row (B) of the product, so a sum
 * of 16 directions in the A loads of a 64-column product is computed 64 times over — dearer than
 * the reduction kernel it saves (measured on SwiftShader: the collapsed Laplacian of
 * bench/mlp.ts's network 1.45× slower inlined). The output layer's product (1 column) inlines.
 */
export const INLINE_MAX_LOAD_WORK = 64;

/** Can sum `r` be computed inline where it is read (few reduced elements, a non-scalar result)? */
export function isInlinable(r: Node, input: Node): boolean {
  if (r.op !== 'sum' || r.shape.length === 0) return false;
  return inlineWork(r, input) <= INLINE_MAX_EXTENT;
}

/** The terms of sum `r` unrolled: the number of elements it reduces. */
function inlineWork(r: Node, input: Node): number {
  return r.p('sum').axes.reduce((p, a) => p * input.shape[a]!, 1);
}

export type Decision =
  | { readonly kind: 'leaf' | 'view' | 'kernel'; readonly reason: string }
  /** `into`: the consumer, reduction or matmul computing this node; the kernel root for 'accumulator' and 'nested'. */
  | { readonly kind: 'fused' | 'prologue' | 'a-loads' | 'b-loads' | 'accumulator' | 'nested' | 'inline'; readonly into: Node; readonly reason: string };

/** A matmul operand. */
export type Operand = 'a' | 'b';

/** A matmul's A or B producer computed in its loads: the elementwise root and the views between. */
export interface MatmulLoads {
  readonly operand: Operand;
  readonly root: Node;
  /** Movement ops from `root` up to the matmul's operand, in application order. */
  readonly moves: readonly Node[];
}

type Role = 'elementwise' | 'accumulator';
type ConsumerRole = 'elementwise' | 'reduce' | 'matmul' | 'movement' | 'none';

/** What a node that is not asked for becomes, by its role and that of its only consumer ('loads': 'a-loads' or 'b-loads'). */
const BY_SOLE_CONSUMER = {
  elementwise: { elementwise: 'fused', reduce: 'prologue', matmul: 'loads', movement: 'loads', none: 'kernel' },
  accumulator: { elementwise: 'accumulator', reduce: 'kernel', matmul: 'kernel', movement: 'kernel', none: 'kernel' },
} as const satisfies Record<Role, Record<ConsumerRole, Decision['kind'] | 'loads'>>;

export function isLeaf(n: Node): boolean {
  return n.buffer !== null || n.op === 'const';
}

export function isAccumulator(n: Node): boolean {
  const k = kindOf(n.op);
  return k === 'reduce' || k === 'matmul';
}

function consumerRole(c: Node | null): ConsumerRole {
  if (c === null) return 'none';
  if (isElementwise(c.op)) return 'elementwise';
  const k = kindOf(c.op);
  return k === 'reduce' || k === 'matmul' || k === 'movement' ? k : 'none';
}

const label = (n: Node): string => `${n.op} #${n.id}`;

export class FusionPlan {
  private readonly decisions = new Map<Node, Decision>();
  /** The accumulator absorbed by the kernel of each kernel root (itself for a reduction / matmul). */
  private readonly accOf = new Map<Node, Node | null>();
  /** The loads recorded for each matmul, by operand (in force while their root's decision is 'a-loads' / 'b-loads'). */
  private readonly loads = { a: new Map<Node, MatmulLoads>(), b: new Map<Node, MatmulLoads>() };

  constructor(
    readonly g: Canonical,
    readonly targets: ReadonlySet<Node>,
  ) {
    // depth of the fused expression each node would head: deeper chains are cut
    const depth = new Map<Node, number>();
    for (const n of g.order) {
      if (isLeaf(n) || isMovement(n)) {
        this.decisions.set(
          n,
          isLeaf(n) ? { kind: 'leaf', reason: n.buffer ? 'a realized buffer' : 'a constant' } : { kind: 'view', reason: 'a strided view of its input' },
        );
        depth.set(n, 0);
        continue;
      }
      const d = 1 + Math.max(0, ...g.inputsOf(n).map((m) => depth.get(m) ?? 0));
      const decision = this.byConsumers(n, d);
      if (decision) this.decisions.set(n, decision);
      depth.set(n, decision?.kind === 'kernel' ? 0 : d);
    }
    this.fuseSharedProducers(depth);
    for (const n of g.order) if (this.decisions.get(n)?.kind === 'kernel') this.planKernel(n, (m) => this.decisions.get(m)?.kind === 'kernel');
    for (const n of g.order) if (!this.decisions.has(n)) throw new Error(`fusion plan: ${label(n)} is computed nowhere`);
  }

  /**
   * An elementwise node with several consumers, or one view read by several, that all end up in
   * the same place (one kernel's epilogue, one reduction's prologue, one matmul's A or B loads),
   * read directly or through views an expression can be pushed through, is computed there as a
   * shared subexpression instead of in a kernel of its own (tanh(z) read by t, 1 − t² and
   * t·(1 − t²) in the loads of the next layer's matmul); one cheap op over buffers is repeated in
   * each of several places (cheapToRepeat). Consumers first (reverse graph order), so a chain of
   * shared nodes collapses into the same place.
   */
  private fuseSharedProducers(depth: Map<Node, number>): void {
    const placeOf = new Map<Node, string | null>();
    const place = (c: Node): string | null => {
      if (placeOf.has(c)) return placeOf.get(c)!;
      let p: string | null = null;
      if (isMovement(c)) p = this.targets.has(c) || !isPushable(c) ? null : this.sharedPlace(this.g.consumers.get(c) ?? [], place);
      else {
        const d = this.decisions.get(c);
        if (d?.kind === 'kernel') p = isElementwise(c.op) ? `the kernel of ${label(c)}` : null;
        else if (d?.kind === 'fused') p = place(d.into);
        else if (d?.kind === 'prologue' || d?.kind === 'a-loads' || d?.kind === 'b-loads') p = `the ${d.kind} of ${label(d.into)}`;
      }
      placeOf.set(c, p);
      return p;
    };
    const order = this.g.order;
    const multiplicity = new Map<Node, number>();
    for (let i = order.length - 1; i >= 0; i--) {
      const n = order[i]!;
      const consumers = this.g.consumers.get(n) ?? [];
      if (
        consumers.length === 0 ||
        (consumers.length === 1 && !isMovement(consumers[0]!)) ||
        !isElementwise(n.op) ||
        this.targets.has(n) ||
        this.decisions.get(n)?.kind !== 'kernel'
      )
        continue;
      const p = this.sharedPlace(consumers, place);
      // the consumers' expressions grow by this node's: keep under the depth limit
      const d = 1 + Math.max(0, ...this.g.inputsOf(n).map((m) => depth.get(m) ?? 0));
      if (consumers.some((c) => (depth.get(c) ?? 0) + d >= MAX_FUSED_DEPTH)) continue;
      if (p === null) {
        const ps = this.cheapToRepeat(n, consumers, place);
        if (ps) {
          this.decisions.set(n, {
            kind: 'fused',
            into: consumers[0]!,
            reason: `one op over buffers, repeated in the ${ps.size} places its consumers are computed in`,
          });
          placeOf.set(n, null); // its inputs keep their buffers: repeating it stays one op
        }
        continue;
      }
      if (isCostly(n.op) && this.evaluations(n, multiplicity) > 1) continue;
      const whose = consumers.length === 1 ? `the consumers of its view ${label(consumers[0]!)}` : `its ${consumers.length} consumers`;
      this.decisions.set(n, { kind: 'fused', into: consumers[0]!, reason: `${whose} are all computed in ${p}` });
      placeOf.set(n, p);
    }
  }

  /**
   * The places `n`'s consumers are computed in (read directly or through views) when `n` is cheap
   * enough to compute in each instead of writing a buffer they read: one elementwise op, not
   * costly (COSTLY_OP), over buffers, leaves or views of them (an outer product's multiply, a concatenation's
   * add of two pads), read by elementwise epilogues or reduction prologues only; matmul loads
   * repeat it per column / row and are left out. Null otherwise.
   */
  private cheapToRepeat(n: Node, consumers: readonly Node[], place: (c: Node) => string | null): Set<string> | null {
    if (isCostly(n.op)) return null;
    for (const m of this.g.inputsOf(n)) {
      let base = m;
      while (isMovement(base) && !isLeaf(base)) base = this.g.inputsOf(base)[0]!;
      const kind = this.decisions.get(base)?.kind;
      if (kind !== 'kernel' && kind !== 'leaf') return null;
    }
    const places = new Set<string>();
    const visit = (c: Node): boolean => {
      if (isMovement(c)) return !this.targets.has(c) && isPushable(c) && (this.g.consumers.get(c) ?? []).every(visit);
      // a reduction computes what it reads in its prologue
      const q = kindOf(c.op) === 'reduce' ? `the prologue of ${label(c)}` : place(c);
      if (q === null || q.startsWith('the a-loads') || q.startsWith('the b-loads')) return false;
      places.add(q);
      return true;
    };
    return consumers.every(visit) && places.size > 1 ? places : null;
  }

  /**
   * How many times each element of `n` would be computed where its fused consumers read it: the
   * largest product of broadcast factors on a path through fused elementwise consumers and views
   * to a node with a buffer or to operand loads (tanh(z) read through the broadcast of 1 − t²
   * over R Taylor directions: R).
   */
  private evaluations(n: Node, memo: Map<Node, number>): number {
    const seen = memo.get(n);
    if (seen !== undefined) return seen;
    let most = 1;
    for (const c of this.g.consumers.get(n) ?? []) {
      const kind = this.decisions.get(c)?.kind;
      let e = 1;
      if (isMovement(c) && !this.targets.has(c)) e = (c.op === 'broadcast' ? c.size / n.size : 1) * this.evaluations(c, memo);
      else if (isElementwise(c.op) && kind === 'fused') e = this.evaluations(c, memo);
      most = Math.max(most, e);
    }
    memo.set(n, most);
    return most;
  }

  /** The one place every node of `consumers` is computed in, or null. */
  private sharedPlace(consumers: readonly Node[], place: (c: Node) => string | null): string | null {
    if (consumers.length === 0) return null;
    const ps = consumers.map(place);
    return ps.every((q) => q !== null && q === ps[0]) ? ps[0]! : null;
  }

  /** Where `n` is computed, and why. */
  decision(n: Node): Decision {
    const d = this.decisions.get(n);
    if (!d) throw new Error(`fusion plan: no decision for ${label(n)}`);
    return d;
  }

  /** Does `n` get a kernel of its own when the scheduler's walk in graph order reaches it? */
  isKernel(n: Node): boolean {
    return this.decisions.get(n)?.kind === 'kernel';
  }

  /** The reduction or matmul the kernel computing `root` absorbs (`root` itself if it is one), or null. */
  accumulatorOf(root: Node): Node | null {
    const acc = this.accOf.get(root);
    if (acc === undefined) throw new Error(`fusion plan: ${label(root)} heads no kernel`);
    return acc;
  }

  /** The elementwise producer of matmul `mm`'s operand `operand` to compute in its loads, or null. */
  loadsOf(mm: Node, operand: Operand): MatmulLoads | null {
    const loads = this.loads[operand].get(mm);
    return loads && this.decisions.get(loads.root)?.kind === `${operand}-loads` ? loads : null;
  }

  /**
   * The build found that `loads` do not fit into `mm`'s loads: their root gets a kernel, planned
   * anew over what is built by now (`built`: nodes that have a buffer).
   */
  loadsDidNotFit(mm: Node, loads: MatmulLoads, built: (n: Node) => boolean): void {
    const what = `${loads.operand.toUpperCase()} loads of ${label(mm)}`;
    this.decisions.set(loads.root, { kind: 'kernel', reason: `${what} did not fit (a view they cannot express or too many storage buffers)` });
    this.planKernel(loads.root, built);
  }

  /** The build found that `n` needs a buffer after all (`reason`: why): it gets a kernel, planned anew (`built`: nodes that have a buffer). */
  materialize(n: Node, built: (n: Node) => boolean, reason: string): void {
    this.decisions.set(n, { kind: 'kernel', reason });
    this.planKernel(n, built);
  }

  /** A kernel decision for `n` (at fused depth `d`), else the fused decision; null for an accumulator settled by planKernel. */
  private byConsumers(n: Node, d: number): Decision | null {
    if (this.targets.has(n)) return { kind: 'kernel', reason: 'asked for' };
    if (d >= MAX_FUSED_DEPTH) return { kind: 'kernel', reason: `its fused expression reaches depth ${MAX_FUSED_DEPTH}` };
    const consumers = this.g.consumers.get(n) ?? [];
    const c = consumers.length === 1 ? consumers[0]! : null;
    const cRole = consumerRole(c);
    const kind = BY_SOLE_CONSUMER[isAccumulator(n) ? 'accumulator' : 'elementwise'][cRole];
    if (c === null) return { kind: 'kernel', reason: `${consumers.length} consumers` };
    if (cRole === 'movement' && isInlinable(n, this.g.inputsOf(n)[0]!)) {
      const t = this.throughViews(n);
      if (t && isElementwise(t.consumer.op)) return null; // read through views: the walk settles it (inline or nested)
    }
    switch (kind) {
      case 'kernel':
        return { kind, reason: `its only consumer ${label(c)} cannot absorb it` };
      case 'fused':
        return { kind, into: c, reason: `its only consumer ${label(c)} is elementwise` };
      case 'prologue':
        return { kind, into: c, reason: `its only consumer is the reduction ${label(c)}` };
      case 'accumulator':
        return null;
      case 'loads': {
        const mm = this.matmulConsumer(n);
        const t = mm ? null : this.throughViews(n);
        if (t && (isElementwise(t.consumer.op) || kindOf(t.consumer.op) === 'reduce')) {
          const through = `through ${t.moves.map((m) => m.op).join(', ')}`;
          return isElementwise(t.consumer.op)
            ? { kind: 'fused', into: t.consumer, reason: `its only consumer ${label(t.consumer)} is elementwise, ${through}` }
            : { kind: 'prologue', into: t.consumer, reason: `its only consumer is the reduction ${label(t.consumer)}, ${through}` };
        }
        if (!mm) return { kind: 'kernel', reason: `its only consumer ${label(c)} is neither elementwise nor a matmul reading it as A only or B only` };
        return {
          kind: `${mm.operand}-loads`,
          into: mm.matmul,
          reason: `only matmul ${label(mm.matmul)} reads it, as its ${mm.operand.toUpperCase()} operand${mm.moves.length ? ` (through ${mm.moves.map((m) => m.op).join(', ')})` : ''}`,
        };
      }
    }
  }

  /**
   * Follows single consumers from `n` while `passes` accepts them (the views in between):
   * the first consumer it does not accept (null where a node has several or none), the node that
   * consumer reads, and the views passed.
   */
  private singleConsumerChain(n: Node, passes: (c: Node) => boolean): { consumer: Node | null; reads: Node; moves: Node[] } {
    const moves: Node[] = [];
    let cur = n;
    for (;;) {
      const cs = this.g.consumers.get(cur) ?? [];
      const c = cs.length === 1 ? cs[0]! : null;
      if (!c || !passes(c)) return { consumer: c, reads: cur, moves };
      moves.push(c);
      cur = c;
    }
  }

  /**
   * The non-movement consumer reached from `n` through a chain of single-consumer movement ops
   * that are not asked for and that an expression can be read through (isPushable), or null.
   */
  private throughViews(n: Node): { consumer: Node; moves: Node[] } | null {
    const { consumer, moves } = this.singleConsumerChain(n, (c) => isMovement(c) && !this.targets.has(c) && isPushable(c));
    return consumer && !isMovement(consumer) && moves.length ? { consumer, moves } : null;
  }

  /**
   * The matmul consuming elementwise node `n` as its A operand only or its B operand only
   * (through single-consumer reshapes, permutes and broadcasts that are not asked for), or null;
   * records the loads.
   */
  private matmulConsumer(n: Node): { matmul: Node; operand: Operand; moves: Node[] } | null {
    const {
      consumer: c,
      reads,
      moves,
    } = this.singleConsumerChain(n, (c) => (c.op === 'reshape' || c.op === 'permute' || c.op === 'broadcast') && !this.targets.has(c));
    if (c?.op !== 'matmul') return null;
    const [a, b] = this.g.inputsOf(c);
    if ((a === reads) === (b === reads)) return null; // x @ x: the buffer is read twice
    const operand: Operand = a === reads ? 'a' : 'b';
    this.loads[operand].set(c, { operand, root: n, moves });
    return { matmul: c, operand, moves };
  }

  /**
   * Settles the kernel computing `root`: the accumulator it absorbs and the nested kernels its
   * epilogue, prologue or A and B loads reach (in the order the scheduler builds them). `built`:
   * nodes read from a buffer.
   */
  private planKernel(root: Node, built: (n: Node) => boolean): void {
    const acc = isAccumulator(root) ? root : this.walk(root, true, root, built, null);
    this.accOf.set(root, acc);
    if (acc === null) return;
    if (acc.op !== 'matmul') this.walk(this.g.inputsOf(acc)[0]!, false, root, built, `read by the prologue of ${label(acc)}`);
    else {
      for (const loads of [this.loadsOf(acc, 'a'), this.loadsOf(acc, 'b')])
        if (loads) {
          // every element of A is loaded for each of the n columns of C (of B: for each of the m rows)
          const reuse = acc.shape[acc.shape.length - (loads.operand === 'a' ? 1 : 2)]!;
          this.walk(loads.root, true, root, built, `read by the ${loads.operand.toUpperCase()} loads of ${label(acc)}`, reuse);
        }
    }
  }

  /**
   * Walks an expression of the kernel of `root` from `start` as the builder does (inputs in
   * order, depth first, each node once, stopping at buffers, leaves and views, except at `start`
   * when `head`). In the epilogue (`prologueOf` null) the first reduction / matmul of the root's
   * dtype becomes the accumulator (returned); every other one becomes a nested kernel (in a
   * prologue or A / B loads, for the reason `prologueOf`).
   */
  private walk(start: Node, head: boolean, root: Node, built: (n: Node) => boolean, prologueOf: string | null, reuse = 1): Node | null {
    const absorb = prologueOf === null;
    let acc: Node | null = null;
    const seen = new Set<object>();
    // `inner`: read at another index than the kernel's (through views, or as a term of an inline
    // sum), where the kernel's accumulator is not available
    const visit = (n: Node, head: boolean, inner: boolean): void => {
      const key = inner ? innerKey(n) : n;
      if (seen.has(key)) return;
      seen.add(key);
      if (!head && (built(n) || isLeaf(n))) return;
      if (isMovement(n)) {
        if (head) return;
        // an expression read through views: walk it as computed in this kernel
        let base = n;
        while (isMovement(base) && !built(base) && !isLeaf(base)) base = this.g.inputsOf(base)[0]!;
        if (!built(base) && !isLeaf(base)) visit(base, false, true);
        return;
      }
      if (!isAccumulator(n)) {
        for (const m of this.g.inputsOf(n)) visit(m, false, inner);
        return;
      }
      const c = (this.g.consumers.get(n) ?? [])[0]!;
      if (absorb && !inner && acc === null && n.dtype === root.dtype) {
        acc = n;
        this.decisions.set(n, {
          kind: 'accumulator',
          into: root,
          reason: `its only consumer ${label(c)} is elementwise: the epilogue of the kernel of ${label(root)}`,
        });
        return;
      }
      const input = this.g.inputsOf(n)[0]!;
      if (isInlinable(n, input) && inlineWork(n, input) * reuse <= INLINE_MAX_LOAD_WORK) {
        this.decisions.set(n, {
          kind: 'inline',
          into: root,
          reason: `a sum of at most ${INLINE_MAX_EXTENT} elements, unrolled where the kernel of ${label(root)} reads it`,
        });
        visit(input, false, true);
        return;
      }
      const reason =
        prologueOf !== null
          ? prologueOf
          : inner
            ? `read through a view or inside an inline sum in the kernel of ${label(root)}`
            : acc !== null
              ? `a second accumulator in the kernel of ${label(root)}`
              : `its dtype ${n.dtype} is not that of the kernel of ${label(root)} (${root.dtype})`;
      this.decisions.set(n, { kind: 'nested', into: root, reason });
      this.planKernel(n, built);
    };
    visit(start, head, false);
    return acc;
  }
}

/** Distinct keys for a node visited at the kernel's index and at other indices. */
const innerKeys = new WeakMap<Node, object>();
function innerKey(n: Node): object {
  let k = innerKeys.get(n);
  if (!k) innerKeys.set(n, (k = {}));
  return k;
}

/** Canonicalizes the graph below `targets` and plans its fusion. */
export function planFusion(targets: readonly Node[]): FusionPlan {
  const once = canonicalize(targets);
  const folds = foldRowSums(once); // bias gradients into weight-gradient products (row-sums.ts)
  const g = folds.size > 0 ? substitute(once, targets, folds) : once;
  return new FusionPlan(g, new Set(targets.map((t) => g.rep.get(t)!)));
}
