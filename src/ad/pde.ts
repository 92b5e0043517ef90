// `pde(f, spec)`: any set of linear differential terms of a row-wise field f: [N, D] -> [N, C] in one propagation (collapsed Taylor mode by default; standard Taylor mode or nested first-order AD on request), and its cost.

// A compiled spec (./pde-plan.ts) is a set of directions v_r and reads Σ_r w_r F_d(v_r). All
// directions travel through f together as one K-jet, K the highest order read:
//  - collapsed (K >= 2): coefficients 1..K−1 per direction, and one collapsed top sum per row of a
//    basis of the order-K reads' weight vectors (propagateCollapsed with weights [T, R]). Lower-order
//    reads (the gradient from Z1, a Laplacian from Z2 next to a biharmonic...) are weighted sums
//    of f's per-direction output coefficients, so they cost nothing inside f.
//  - taylor: every coefficient per direction (propagateJet); every read from f's output.
//  - nested: each F_d(v) by nested first-order AD (forward-over-reverse), the reference.
// K = 1 (first-order terms only) is one batched jvp of the R directions in every Taylor method.

import { ShapeError, fmtShape } from '../errors.js';
import type { Tensor } from '../tensor.js';
import * as ops from '../ops.js';
import { propagateCollapsed, weightsTensor } from './collapse.js';
import { type OperatorMethod, checkFn, checkMethod, checkX, constantLike } from './operator-args.js';
import { type OutInfo, type PdeSpec, type Plan, type Read, checkSpec, compileSpec } from './pde-plan.js';
import { propagateJet, traceRegion } from './taylor.js';
import { type RowFn, nestedForm } from './taylor-nested.js';
import { constLike } from '../rules/taylor-coef.js';

export interface PdeOptions {
  /**
   * 'collapsed' (default), 'taylor' (standard Taylor mode), 'nested' (first-order AD), or 'auto':
   * the method whose propagation carries the fewest vectors per datum for this spec (operatorCost).
   */
  method?: OperatorMethod | 'auto';
}

/** One tensor per term, keyed like the spec (a misspelt key is a compile error). */
export type PdeResult<S extends PdeSpec> = { -readonly [K in keyof S]: Tensor };

/** The terms' values and the vectors per datum the propagation carried (null: not counted). */
export interface PdeRun {
  readonly values: Record<string, Tensor>;
  readonly vectors: number | null;
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

/** Weights of a read over the R directions. */
function weightRow(plan: Plan, read: Read, R: number): Float64Array {
  const w = new Float64Array(R);
  for (const [ref, c] of read.parts) w[plan.dirs.index(ref)]! += c;
  return w;
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

/** Evaluates a compiled spec: every term's value, and the vectors per datum. */
export function runPlan(op: string, f: RowFn, X: Tensor, plan: Plan, method: OperatorMethod): PdeRun {
  const reads = plan.terms.flatMap(([, t]) => t.reads);
  const K = Math.max(0, ...reads.map((r) => r.order));
  const R = plan.dirs.count;
  const rows = reads.map((rd) => weightRow(plan, rd, R));
  const dirs = R > 0 ? directionTensor(plan, X) : null;
  const r = method === 'nested' ? nestedReads(op, f, X, dirs, rows, reads, K) : taylorReads(op, f, X, dirs, rows, reads, K, method);
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
  f: RowFn,
  X: Tensor,
  dirs: Tensor | null,
  rows: readonly Float64Array[],
  reads: readonly Read[],
  K: number,
  method: OperatorMethod,
): ReadValues {
  const tr = traceRegion(op, f, [X]);
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
 * A basis of `rows` (Gram–Schmidt, in order; a row within 1e-9 of the span of the earlier ones adds
 * nothing) and every row's coefficients over it: the order-K reads need only rank-many collapsed
 * top sums (Δ next to ∂²_x, ∂²_y, ∂²_z is their sum), so collapsed never carries more than
 * standard Taylor mode. Coefficients within 1e-12 of an integer are that integer.
 */
export function rowBasis(rows: readonly Float64Array[]): { basis: Float64Array[]; coef: number[][] } {
  const dot = (a: Float64Array, b: Float64Array): number => a.reduce((acc, x, i) => acc + x * b[i]!, 0);
  const basis: Float64Array[] = [];
  const q: Float64Array[] = []; // orthonormal, basis[k] = Σ_{j<=k} L[k][j] q[j]
  const L: number[][] = [];
  const coef = rows.map((w): number[] => {
    const same = basis.findIndex((b) => b.every((x, i) => x === w[i]));
    if (same >= 0) return basis.map((_, k) => (k === same ? 1 : 0));
    const norm = Math.sqrt(dot(w, w));
    if (norm === 0) return [];
    const a = q.map((qj) => dot(w, qj));
    const r = Float64Array.from(w, (x, i) => x - a.reduce((acc, aj, j) => acc + aj * q[j]![i]!, 0));
    const rn = Math.sqrt(dot(r, r));
    if (rn > 1e-9 * norm) {
      basis.push(w);
      q.push(r.map((x) => x / rn));
      L.push([...a, rn]);
      return basis.map((_, k) => (k === basis.length - 1 ? 1 : 0));
    }
    // Σ_k c_k basis[k] = Σ_j a_j q[j]: back substitution of Lᵀ c = a
    const c = new Array<number>(basis.length).fill(0);
    for (let j = basis.length - 1; j >= 0; j--) {
      let acc = a[j]!;
      for (let k = j + 1; k < basis.length; k++) acc -= L[k]![j]! * c[k]!;
      c[j] = acc / L[j]![j]!;
    }
    return c.map((x) => (Math.abs(x - Math.round(x)) < 1e-12 ? Math.round(x) : x));
  });
  return { basis, coef: coef.map((c) => [...c, ...new Array<number>(basis.length - c.length).fill(0)]) };
}

/**
 * Every read by nested first-order AD, one component of f at a time. Vectors per datum (K <= 2):
 * the primal once, and per component an adjoint plus, per direction of a second-order read, a
 * tangent and a tangent adjoint: 1 + C (1 + 2 R₂); null for higher orders (not counted).
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
  const vals = reads.map((rd, i) => {
    if (rd.order === 0) return y;
    let acc: Tensor | null = null;
    rows[i]!.forEach((w, r) => {
      if (w === 0) return;
      if (rd.order === 2) second.add(r);
      const q = w === 1 ? form(r, rd.order) : form(r, rd.order).mul(w);
      acc = acc ? acc.add(q) : q;
    });
    return acc ?? zero;
  });
  return { vals, out, vectors: K <= 2 ? 1 + (C ?? 1) * (1 + 2 * second.size) : null };
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
  // 'auto' compares the methods once per input shape and dtype, then builds only the chosen one
  const chosen = new Map<string, OperatorMethod>();
  return (X: Tensor) => {
    checkX(op, X);
    const plan = compileSpec(op, spec, X);
    if (method) return runPlan(op, f, X, plan, method).values as PdeResult<S>;
    const key = `${X.shape.join('x')}:${X.dtype}`;
    const known = chosen.get(key);
    if (known) return runPlan(op, f, X, plan, known).values as PdeResult<S>;
    const best = cheapestRun(op, f, X, plan);
    chosen.set(key, best.method);
    return best.run.values as PdeResult<S>;
  };
}

/**
 * `method: 'auto'`: the graphs of the collapsed, standard Taylor and nested methods are built (not
 * run: only the chosen one is ever computed) and the one carrying the fewest vectors per datum is
 * kept; ties go to collapsed, then standard Taylor (nested counts are stated by formula, or not
 * known: then it is not a candidate).
 */
function cheapestRun(op: string, f: RowFn, X: Tensor, plan: Plan): { method: OperatorMethod; run: PdeRun } {
  let best: { method: OperatorMethod; run: PdeRun } | null = null;
  for (const method of ['collapsed', 'taylor', 'nested'] as const) {
    const run = runPlan(op, f, X, plan, method);
    if (!best || (run.vectors !== null && (best.run.vectors === null || run.vectors < best.run.vectors))) best = { method, run };
  }
  return best!;
}

/** Builds (does not run) the spec's graph; the vectors per datum its propagation carries. */
export function pdeVectors(f: RowFn, X: Tensor, spec: PdeSpec, opts: PdeOptions = {}): number | null {
  const op = 'pde';
  checkFn(op, f);
  checkX(op, X);
  const plan = compileSpec(op, spec, X);
  if (opts?.method === 'auto') return cheapestRun(op, f, X, plan).run.vectors;
  return runPlan(op, f, X, plan, checkMethod(op, opts?.method)).vectors;
}
