// `pde(f, spec)`: any set of linear differential terms of a row-wise field f: [N, D] -> [N, C] in one propagation (collapsed Taylor mode by default; standard Taylor mode or nested first-order AD on request; with 'auto', one propagation per method the terms were assigned to, ./pde-auto.ts), and its cost.

// A compiled spec (./pde-plan.ts) is a set of directions v_r and reads Σ_r w_r F_d(v_r). All
// directions travel through f together as one K-jet, K the highest order read:
//  - collapsed (K >= 2): coefficients 1..K−1 per direction, and one collapsed top sum per row of a
//    basis of the order-K reads' weight vectors (propagateCollapsed with weights [T, R]). Lower-order
//    reads (the gradient from Z1, a Laplacian from Z2 next to a biharmonic...) are weighted sums
//    of f's per-direction output coefficients, so they cost nothing inside f.
//  - taylor: every coefficient per direction (propagateJet); every read from f's output.
//  - nested: each F_d(v) by nested first-order AD (forward-over-reverse), the reference.
// K = 1 (first-order terms only) is one batched jvp of the R directions in every Taylor method.
// Method 'auto' runs each group of terms as a plan of its own (restrictPlan) and merges the values.

import { ShapeError, fmtShape } from '../errors.js';
import type { Tensor } from '../tensor.js';
import * as ops from '../ops.js';
import { propagateCollapsed, weightsTensor } from './collapse.js';
import { type OperatorMethod, checkFn, checkMethod, checkX, constantLike } from './operator-args.js';
import { type OutInfo, type PdeSpec, type Plan, type Read, checkSpec, compileSpec, restrictPlan, weightRow } from './pde-plan.js';
import { type Assignment, type CostBackend, METHOD_ORDER, type TermMethod, chooseMethods, costBackend } from './pde-auto.js';
import { rowBasis } from './pde-formulas.js';
import { type Traced, propagateJet, traceRegion } from './taylor.js';
import { type RowFn, nestedForm } from './taylor-nested.js';
import { constLike } from '../rules/taylor-coef.js';
import { activeBackendName } from '../ir/host.js';

export interface PdeOptions {
  /**
   * 'collapsed' (default), 'taylor' (standard Taylor mode), 'nested' (first-order AD), or 'auto':
   * a method per term, the assignment whose propagations (one per method used) cost least on the
   * backend (./pde-auto.ts; operatorCost reports the choice).
   */
  method?: OperatorMethod | 'auto';
  /** The backend method 'auto' costs for (default: the active one). */
  backend?: CostBackend;
}

/** One tensor per term, keyed like the spec (a misspelt key is a compile error). */
export type PdeResult<S extends PdeSpec> = { -readonly [K in keyof S]: Tensor };

/** The terms' values and the vectors per datum the propagation carried (null: not counted). */
export interface PdeRun {
  readonly values: Record<string, Tensor>;
  readonly vectors: number | null;
}

/** A run of a spec whose terms may go to different methods: the method of each term and the propagations made. */
export interface PdeAssignedRun extends PdeRun {
  readonly methods: Readonly<Record<string, TermMethod>>;
  readonly passes: number;
}

/** f's output must be [N] or [N, C] (rows independent). */
function outInfo(op: string, out: Tensor, N: number): OutInfo {
  const s = out.shape;
  if (s[0] !== N || s.length > 2) throw new ShapeError(`${op}: f must map X [${N}, D] to [${N}] or [${N}, C] (rows independent), got ${fmtShape(s)}`);
  return { N, C: s.length === 2 ? s[1]! : null };
}

/** Every direction as one tensor [R, 1, D] (constant) or [R, N, D] (when some are per row). */
function directionTensor(plan: Plan, X: Tensor): Tensor {
  const [N, D] = X.shape as [number, number];
  const { host, blocks } = plan.dirs;
  const pieces: Tensor[] = [];
  if (host.length > 0) {
    const flat = new Float64Array(host.length * D);
    host.forEach((v, r) => flat.set(v, r * D));
    pieces.push(constantLike(flat, [host.length, 1, D], X));
  }
  pieces.push(...blocks);
  const perRow = pieces.some((p) => p.shape[1] !== 1);
  const aligned = perRow ? pieces.map((p) => p.broadcastTo([p.shape[0]!, N, D])) : pieces;
  return aligned.length === 1 ? aligned[0]! : ops.concat(aligned, 0);
}

/** Σ_r w_r Z[r] for Z [R, ...O] (null: zero): one slice for a single direction, one sum when all weights are equal. */
function combine(Z: Tensor | null, w: Float64Array, zero: Tensor): Tensor {
  const live = Array.from(w.keys()).filter((r) => w[r] !== 0);
  if (!Z || live.length === 0) return zero;
  const O = zero.shape;
  const scaled = (t: Tensor, c: number): Tensor => (c === 1 ? t : t.mul(c));
  if (live.length === 1) {
    const r = live[0]!;
    return scaled(ops.reshape(ops.slice(Z, [r, ...O.map(() => 0)], [r + 1, ...O]), O), w[r]!);
  }
  if (w.every((c) => c === w[0])) return scaled(Z.sum(0), w[0]!);
  return Z.mul(weightsTensor(w, Z.dtype).reshape([w.length, ...O.map(() => 1)])).sum(0);
}

/** The reads' values (each shaped like f's output), f's output shape and the vectors per datum. */
interface ReadValues {
  readonly vals: Tensor[];
  readonly out: OutInfo;
  readonly vectors: number | null;
}

/** Evaluates a compiled spec by one method: every term's value, and the vectors per datum. `traced`: f traced at X already (shared by the Taylor groups of method 'auto'). */
export function runPlan(op: string, f: RowFn, X: Tensor, plan: Plan, method: OperatorMethod, traced?: Traced): PdeRun {
  const reads = plan.terms.flatMap(([, t]) => t.reads);
  const K = Math.max(0, ...reads.map((r) => r.order));
  const R = plan.dirs.count;
  const rows = reads.map((rd) => weightRow(plan, rd));
  const dirs = R > 0 ? directionTensor(plan, X) : null;
  const r =
    method === 'nested' ? nestedReads(op, f, X, dirs, rows, reads, K) : taylorReads(op, traced ?? traceRegion(op, f, [X]), X, dirs, rows, reads, K, method);
  const values: Record<string, Tensor> = {};
  let at = 0;
  for (const [name, term] of plan.terms) {
    values[name] = term.finish(r.vals.slice(at, at + term.reads.length), r.out);
    at += term.reads.length;
  }
  return { values, vectors: r.vectors };
}

/** Every read from one propagation of the K-jets of all directions through f (collapsed or standard Taylor mode). */
function taylorReads(
  op: string,
  tr: Traced,
  X: Tensor,
  dirs: Tensor | null,
  rows: readonly Float64Array[],
  reads: readonly Read[],
  K: number,
  method: OperatorMethod,
): ReadValues {
  if (tr.outputs.length !== 1) throw new ShapeError(`${op}: f must return one tensor`);
  const y = tr.outputs[0]!;
  const out = outInfo(op, y, X.shape[0]!);
  const zero = constLike(y, 0);
  // no direction: every read of order >= 1 is zero (a zero A or b)
  if (K === 0 || !dirs) return { vals: reads.map((rd) => (rd.order === 0 ? y : zero)), out, vectors: 1 };
  const R = dirs.shape[0]!;
  const input = [tr.inputs[0]!.node];
  const full = (c: Tensor | null, lead: number): Tensor | null => (c ? c.broadcastTo([lead, ...y.shape]) : null);
  if (method === 'taylor' || K === 1) {
    const core = propagateJet(input, [[dirs, ...new Array<null>(K - 1).fill(null)]], tr.region, K, R);
    const Z = core.series(y.node);
    const vals = reads.map((rd, i) => (rd.order === 0 ? y : combine(full(Z?.[rd.order - 1] ?? null, R), rows[i]!, zero)));
    return { vals, out, vectors: core.stats.vectors };
  }
  // one collapsed top sum per row of a basis of the order-K reads' weight rows
  const topRows = reads.map((rd, i) => (rd.order === K ? rows[i]! : null));
  const { basis: tops, coef } = rowBasis(topRows.filter((w): w is Float64Array => w !== null));
  const T = tops.length;
  // a single uniform row is a plain sum, scaled after (the graph of the unweighted collapsed Laplacian)
  const uniform = T === 1 && tops[0]!.every((c) => c === tops[0]![0]);
  let weights: Tensor | null = null;
  if (!uniform && T > 0) {
    const flat = new Float64Array(T * R);
    tops.forEach((u, t) => flat.set(u, t * R));
    weights = weightsTensor(flat, X.dtype);
    if (T > 1) weights = weights.reshape([T, R]);
  }
  const lower = [dirs, ...new Array<null>(K - 2).fill(null)];
  // the channels of f's output the reads use: stacked matmuls (docs/taylor.md) stack only those
  const wanted = new Map([[y.node, { primal: reads.some((rd) => rd.order === 0), lower: reads.some((rd) => rd.order > 0 && rd.order < K), top: T > 0 }]]);
  const core = propagateCollapsed(input, [{ lower, top: null }], tr.region, K, R, weights, wanted);
  const s = core.state(y.node);
  const top = T > 0 ? full(s?.top ?? null, T) : null;
  const topSum = (t: number): Tensor => {
    const row = T === 1 ? ops.reshape(top!, y.shape) : ops.reshape(ops.slice(top!, [t, ...y.shape.map(() => 0)], [t + 1, ...y.shape]), y.shape);
    return uniform && tops[0]![0] !== 1 ? row.mul(tops[0]![0]!) : row;
  };
  let nextTop = 0;
  const vals = reads.map((rd, i) => {
    if (rd.order === 0) return y;
    if (rd.order < K) return combine(full(s?.lower[rd.order - 1] ?? null, R), rows[i]!, zero);
    const c = coef[nextTop++]!;
    const terms = c.flatMap((x, t) => (x === 0 || !top ? [] : [x === 1 ? topSum(t) : topSum(t).mul(x)]));
    return terms.length === 0 ? zero : terms.reduce((a, b) => a.add(b));
  });
  return { vals, out, vectors: core.stats.vectors };
}

/**
 * Every read by nested first-order AD, one component of f at a time. Vectors per datum (K <= 2):
 * the primal once, and per component an adjoint plus, per direction of a second-order read, a
 * tangent and a tangent adjoint: 1 + C (1 + 2 R₂) (1 when no read of order >= 1 has a non-zero
 * weight: no adjoint is formed); null for higher orders (not counted).
 */
function nestedReads(op: string, f: RowFn, X: Tensor, dirs: Tensor | null, rows: readonly Float64Array[], reads: readonly Read[], K: number): ReadValues {
  const y = f(X);
  const out = outInfo(op, y, X.shape[0]!);
  const { N, C } = out;
  const comps: RowFn[] = C === null ? [f] : Array.from({ length: C }, (_, c) => (Y: Tensor) => ops.reshape(ops.slice(f(Y), [0, c], [N, c + 1]), [N]));
  const cache = new Map<string, Tensor>();
  const form = (r: number, d: number): Tensor => {
    const key = `${r}/${d}`;
    let t = cache.get(key);
    if (!t) {
      const v = ops.slice(dirs!, [r, 0, 0], [r + 1, dirs!.shape[1]!, dirs!.shape[2]!]);
      const per = comps.map((g) => nestedForm(g, v, d)(X));
      cache.set(key, (t = C === null ? per[0]! : ops.stack(per, 1)));
    }
    return t;
  };
  const zero = constLike(y, 0);
  const second = new Set<number>();
  let adjoint = false;
  const vals = reads.map((rd, i) => {
    if (rd.order === 0) return y;
    let acc: Tensor | null = null;
    rows[i]!.forEach((w, r) => {
      if (w === 0) return;
      adjoint = true;
      if (rd.order === 2) second.add(r);
      const q = w === 1 ? form(r, rd.order) : form(r, rd.order).mul(w);
      acc = acc ? acc.add(q) : q;
    });
    return acc ?? zero;
  });
  return { vals, out, vectors: K > 2 ? null : adjoint ? 1 + (C ?? 1) * (1 + 2 * second.size) : 1 };
}

/**
 * The terms of `spec` (./pde-plan.ts: value, grad, partial, laplacian, divergence, trace,
 * advection, biharmonic) of a row-wise f: [N, D] -> [N, C] (or [N]) at every row of X [N, D], all
 * from one propagation; returns one lazy tensor per term, keyed like the spec.
 *
 *     const r = pde(u, { u: 'value', du: { grad: 'all' }, lap: { laplacian: [1, 2] } })(X);
 *     r.u; r.du; r.lap   // [N, C], [N, C, D], [N, C]
 */
export function pde<const S extends PdeSpec>(f: RowFn, spec: S, opts: PdeOptions = {}): (X: Tensor) => PdeResult<S> {
  const op = 'pde';
  checkFn(op, f);
  checkSpec(op, spec);
  const auto = opts?.method === 'auto';
  const method = auto ? null : checkMethod(op, opts?.method);
  if (opts?.backend !== undefined) costBackend(op, opts.backend, 'cpu'); // a bad backend fails when pde is built
  // 'auto' assigns the terms to methods once per input shape, dtype and backend
  const chosen = new Map<string, ReadonlyMap<string, TermMethod>>();
  return (X: Tensor) => {
    checkX(op, X);
    const plan = compileSpec(op, spec, X);
    if (method) return runPlan(op, f, X, plan, method).values as PdeResult<S>;
    const backend = costBackend(op, opts?.backend, activeBackendName());
    const key = `${X.shape.join('x')}:${X.dtype}:${backend}`;
    const known = chosen.get(key);
    if (known) return runAssigned(op, f, X, plan, known).values as PdeResult<S>;
    const { traced, assignment } = assign(op, f, X, plan, backend);
    chosen.set(key, assignment.methods);
    return runAssigned(op, f, X, plan, assignment.methods, traced).values as PdeResult<S>;
  };
}

/** Method 'auto': f traced once (its output's components C enter the nested count), then the cheapest assignment (./pde-auto.ts). */
function assign(op: string, f: RowFn, X: Tensor, plan: Plan, backend: CostBackend): { traced: Traced; assignment: Assignment } {
  const traced = traceRegion(op, f, [X]);
  if (traced.outputs.length !== 1) throw new ShapeError(`${op}: f must return one tensor`);
  const { C } = outInfo(op, traced.outputs[0]!, X.shape[0]!);
  return { traced, assignment: chooseMethods(plan, C, backend) };
}

/**
 * Runs every method's group of terms (one propagation each, over the directions of its terms only;
 * the Taylor groups share one trace of f), and every biharmonic sent to 'laplacian-of-laplacian'
 * on its own, and merges the values in the spec's order. One group is the whole plan.
 */
export function runAssigned(op: string, f: RowFn, X: Tensor, plan: Plan, methods: ReadonlyMap<string, TermMethod>, traced?: Traced): PdeAssignedRun {
  const groups = METHOD_ORDER.map((m) => [m, new Set(plan.terms.flatMap(([name]) => (methods.get(name) === m ? [name] : [])))] as const).filter(
    ([, names]) => names.size > 0,
  );
  const twice = plan.terms.filter(([name]) => methods.get(name) === 'laplacian-of-laplacian');
  const shared = traced ?? (groups.some(([m]) => m !== 'nested') ? traceRegion(op, f, [X]) : undefined);
  const whole = groups.length === 1 && twice.length === 0;
  const runs = groups.map(([m, names]) => runPlan(op, f, X, whole ? plan : restrictPlan(plan, names), m, shared));
  for (const [name, t] of twice) {
    const r = laplacianOfLaplacian(op, f, X, t.twoLaplacians!, 'collapsed');
    runs.push({ values: { [name]: r.value }, vectors: r.vectors });
  }
  const merged: Record<string, Tensor> = Object.assign({}, ...runs.map((r) => r.values));
  const values = Object.fromEntries(plan.terms.map(([name]) => [name, merged[name]!]));
  const vectors = runs.every((r) => r.vectors !== null) ? runs.reduce((s, r) => s + r.vectors!, 0) : null;
  return { values, vectors, methods: Object.fromEntries(methods), passes: runs.length };
}

/** Δ(Δf) over `coords` (f: [N, D] -> [N] or [N, C]): the Laplacian of the Laplacian, each by `method`; the vectors per datum multiply. */
export function laplacianOfLaplacian(
  op: string,
  f: RowFn,
  X: Tensor,
  coords: readonly number[],
  method: OperatorMethod,
): { value: Tensor; vectors: number | null } {
  const spec = { l: { laplacian: coords } };
  let inner: number | null = null;
  const lap = (Y: Tensor): Tensor => {
    const r = runPlan(op, f, Y, compileSpec(op, spec, Y), method);
    inner = r.vectors;
    return r.values.l!;
  };
  const outer = runPlan(op, lap, X, compileSpec(op, spec, X), method);
  return { value: outer.values.l!, vectors: outer.vectors !== null && inner !== null ? outer.vectors * inner : null };
}

/** Builds (does not run) the spec's graph: the vectors per datum its propagations carry, each term's method and the propagations. */
export function pdeCost(f: RowFn, X: Tensor, spec: PdeSpec, opts: PdeOptions = {}): Omit<PdeAssignedRun, 'values'> {
  const op = 'pde';
  checkFn(op, f);
  checkX(op, X);
  const plan = compileSpec(op, spec, X);
  if (opts?.method === 'auto') {
    const { traced, assignment } = assign(op, f, X, plan, costBackend(op, opts.backend, activeBackendName()));
    const { vectors, methods, passes } = runAssigned(op, f, X, plan, assignment.methods, traced);
    return { vectors, methods, passes };
  }
  const method = checkMethod(op, opts?.method);
  const { vectors } = runPlan(op, f, X, plan, method);
  return { vectors, methods: Object.fromEntries(plan.terms.map(([name]) => [name, method])), passes: 1 };
}
