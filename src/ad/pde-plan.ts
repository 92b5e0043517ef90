// The terms of a PDE operator spec (value, grad, partial, laplacian, divergence, trace, advection, biharmonic), their checks, and their compilation into one shared set of jet directions and weighted reads.

// Every term is a function of weighted sums Σ w F_d(v) of univariate jets F_d(v) = ∂^d f[v, ..., v]
// (a "read" of order d). All terms of a spec draw their directions from one `Directions` set:
// host directions are merged by ray (F_d(c v) = c^d F_d(v)), so the gradient's e_i, the
// Laplacian's e_i, the biharmonic's 4e_i and a mixed partial's 2e_i are one direction, and the
// whole spec becomes one propagation of max-order jets (./pde.ts).

import { ArgumentError, DTypeError, ShapeError, fmtShape } from '../errors.js';
import * as ops from '../ops.js';
import { Tensor } from '../tensor.js';
import { type EstimatorOptions, checkEstimator, checkGaussian, constantLike, randomEntries } from './operator-args.js';
import { type WeightedDirection, biharmonicInterpolation, directionOf, mixedPartial, tracePolarization } from './pde-formulas.js';
import { checkUsable } from './pytree.js';

/** Coordinates a term acts on: all of them, or a list of indices into D. */
export type Coords = 'all' | readonly number[];

/** A per-row tensor given directly or computed from the evaluation points X [N, D]. */
export type FieldOf = Tensor | ((X: Tensor) => Tensor);

/** A = Σ_r σ_r s_r s_rᵀ from a factor S ([D, R], or [N, D, R] from X) and signs σ (default all +1). */
export interface TraceFactor {
  readonly factor: FieldOf;
  readonly signs?: readonly number[];
}

/**
 * One term of a PDE operator. Results (f: [N, D] -> [N, C], or [N]):
 * - `'value'`: f, [N, C]
 * - `{ grad: coords }`: ∂f/∂x_i for the chosen coordinates, [N, C, D']
 * - `{ partial: i }`: ∂^i f for a multi-index i over the D coordinates (u_t: [1, 0, 0]; u_xxyy: [0, 2, 2]), [N, C]
 * - `{ laplacian: coords }`: Σ_{i ∈ coords} ∂²_i f, [N, C]
 * - `{ divergence: coords }`: Σ_k ∂f_k/∂x_{coords[k]} (needs C = |coords|), [N]
 * - `{ trace: A }`: tr(A ∇²f) for a constant A (D × D host array, any signs), or for A(x) = S(x) diag(σ) S(x)ᵀ given as `{ factor, signs }`, [N, C]
 * - `{ advection: b }`: b(x) · ∇f for b [D] (host array or tensor) or [N, D] (tensor or X => tensor), [N, C]
 * - `{ biharmonic: coords }`: Δ²f over the coordinates, [N, C]
 * Laplacian, trace (factor form) and biharmonic terms take an `estimator` for their randomized version.
 */
export type PdeTerm =
  | 'value'
  | { readonly grad: Coords }
  | { readonly partial: readonly number[] }
  | { readonly laplacian: Coords; readonly estimator?: EstimatorOptions }
  | { readonly divergence: Coords }
  | { readonly trace: readonly (readonly number[])[] }
  | { readonly trace: TraceFactor; readonly estimator?: EstimatorOptions }
  | { readonly advection: readonly number[] | FieldOf }
  | { readonly biharmonic: Coords; readonly estimator?: EstimatorOptions };

/** A spec: named terms. */
export type PdeSpec = { readonly [name: string]: PdeTerm };

export type TermKind = 'value' | 'grad' | 'partial' | 'laplacian' | 'divergence' | 'trace' | 'advection' | 'biharmonic';

/** Index of a direction: a host direction, or entry j of tensor block b. */
export type DirRef = { readonly host: number } | { readonly block: number; readonly j: number };

/** Σ_(v, w) w F_order(v); order 0 is f itself. */
export interface Read {
  readonly order: number;
  readonly parts: readonly (readonly [DirRef, number])[];
}

/** f's output: [N] (C null) or [N, C]. */
export interface OutInfo {
  readonly N: number;
  readonly C: number | null;
}

export interface TermPlan {
  readonly reads: readonly Read[];
  /** The term's result from its reads' values (each shaped like f's output). */
  readonly finish: (vals: readonly Tensor[], out: OutInfo) => Tensor;
  /** An exact biharmonic's coordinates: it is also Δ(Δf) over them, a route of method 'auto' (./pde-auto.ts). */
  readonly twoLaplacians?: readonly number[];
}

/** The directions of one spec: host vectors merged by ray, then tensor blocks [B, 1 | N, D]. */
export class Directions {
  readonly host: Float64Array[] = [];
  readonly blocks: Tensor[] = [];
  private readonly byRay = new Map<string, number>();

  /** The part w F_d(v) as a reference to the representative of v's ray (null for v = 0). */
  part(v: Float64Array, d: number, w: number): readonly [DirRef, number] | null {
    const lead = v.findIndex((a) => a !== 0);
    if (lead < 0) return null;
    const key = Array.from(v, (a) => a / v[lead]!).join(',');
    let i = this.byRay.get(key);
    if (i === undefined) {
      i = this.host.length;
      this.host.push(v);
      this.byRay.set(key, i);
    }
    const c = v[lead]! / this.host[i]![lead]!;
    return [{ host: i }, w * c ** d];
  }

  block(t: Tensor): number {
    this.blocks.push(t);
    return this.blocks.length - 1;
  }

  /** The number of directions R (host directions first, then the blocks in order). */
  get count(): number {
    return this.host.length + this.blocks.reduce((s, b) => s + b.shape[0]!, 0);
  }

  /** The position of a reference among the R directions. */
  index(ref: DirRef): number {
    if ('host' in ref) return ref.host;
    let off = this.host.length;
    for (let b = 0; b < ref.block; b++) off += this.blocks[b]!.shape[0]!;
    return off + ref.j;
  }
}

/** What a term compiler sees: the op's name (errors), X, the directions being collected. */
export interface CompileCtx {
  readonly op: string;
  readonly name: string;
  readonly X: Tensor;
  readonly D: number;
  readonly dirs: Directions;
}

function readOf(ctx: CompileCtx, order: number, terms: readonly WeightedDirection[]): Read {
  const parts = terms.map((t) => ctx.dirs.part(t.v, order, t.w)).filter((p): p is readonly [DirRef, number] => p !== null);
  return { order, parts };
}

function coordsOf(ctx: CompileCtx, c: unknown, what: string): number[] {
  if (c === 'all') return Array.from({ length: ctx.D }, (_, i) => i);
  const ok = Array.isArray(c) && c.length > 0 && c.every((i) => Number.isInteger(i) && i >= 0 && i < ctx.D) && new Set(c).size === c.length;
  if (!ok) {
    throw new ArgumentError(
      `${ctx.op}: term '${ctx.name}': ${what} must be 'all' or a non-empty list of distinct coordinates in [0, ${ctx.D}), got ${JSON.stringify(c)}`,
    );
  }
  return c as number[];
}

/** A tensor field argument: a Tensor or X => Tensor, evaluated at X, checked against the allowed shapes. */
function fieldAt(ctx: CompileCtx, field: unknown, what: string, shapes: readonly (readonly number[])[]): Tensor {
  const t = typeof field === 'function' ? (field as (X: Tensor) => unknown)(ctx.X) : field;
  if (!(t instanceof Tensor)) throw new ArgumentError(`${ctx.op}: term '${ctx.name}': ${what} must be a Tensor or a function of X returning one`);
  checkUsable(ctx.op, t, what);
  if (t.dtype !== ctx.X.dtype) throw new DTypeError(`${ctx.op}: term '${ctx.name}': ${what} is ${t.dtype} but X is ${ctx.X.dtype}`);
  if (!shapes.some((s) => s.length === t.ndim && s.every((d, i) => d < 0 || d === t.shape[i]))) {
    const want = shapes.map((s) => fmtShape(s.map((d) => (d < 0 ? 'R' : d)) as never)).join(' or ');
    throw new ShapeError(`${ctx.op}: term '${ctx.name}': ${what} must have shape ${want}, got ${fmtShape(t.shape)}`);
  }
  return t;
}

const unit = (D: number, i: number): WeightedDirection => ({ v: directionOf(D, [[i, 1]]), w: 1 });

/** One first-order read per coordinate. */
function firstOrder(ctx: CompileCtx, coords: readonly number[]): Read[] {
  return coords.map((i) => readOf(ctx, 1, [unit(ctx.D, i)]));
}

/**
 * S random directions v = Σ_k z_k e_coords[k] (./operator-args.ts randomEntries), weight `w` each:
 * a block [S, 1, D] shared by the rows, or [S, N, D] with `perRow`. Sampled coordinates shared by
 * the rows are host directions (√D′ e_i), so they merge with the gradient's e_i.
 */
function randomRead(ctx: CompileCtx, e: Required<EstimatorOptions>, coords: readonly number[], order: number, w: number): Read {
  const n = coords.length;
  const rows = e.perRow ? ctx.X.shape[0]! : 1;
  const z = randomEntries(e, n, e.samples * rows);
  if (e.distribution === 'coordinates' && !e.perRow) {
    return readOf(
      ctx,
      order,
      Array.from({ length: e.samples }, (_, s) => ({
        v: directionOf(
          ctx.D,
          coords.map((i, k) => [i, z[s * n + k]!] as const),
        ),
        w,
      })),
    );
  }
  const host = new Float64Array(e.samples * rows * ctx.D);
  for (let s = 0; s < e.samples * rows; s++) coords.forEach((i, k) => (host[s * ctx.D + i] = z[s * n + k]!));
  const b = ctx.dirs.block(constantLike(host, [e.samples, rows, ctx.D], ctx.X));
  return { order, parts: Array.from({ length: e.samples }, (_, j) => [{ block: b, j }, w] as const) };
}

const only = (v: readonly Tensor[]): Tensor => v[0]!;

type Compiler = (ctx: CompileCtx, term: Record<string, unknown>) => TermPlan;

const COMPILERS = {
  value: () => ({ reads: [{ order: 0, parts: [] }], finish: only }),
  grad: (ctx, t) => ({ reads: firstOrder(ctx, coordsOf(ctx, t.grad, 'grad')), finish: (v) => ops.stack(v as Tensor[], -1) }),
  partial: (ctx, t) => {
    const i = t.partial;
    if (!Array.isArray(i) || i.length !== ctx.D || !i.every((a) => Number.isInteger(a) && a >= 0)) {
      throw new ArgumentError(
        `${ctx.op}: term '${ctx.name}': partial must be a multi-index of ${ctx.D} non-negative integers (one per coordinate), got ${JSON.stringify(i)}`,
      );
    }
    const d = i.reduce((s: number, a: number) => s + a, 0);
    return { reads: [d === 0 ? { order: 0, parts: [] } : readOf(ctx, d, mixedPartial(i))], finish: only };
  },
  laplacian: (ctx, t) => {
    const coords = coordsOf(ctx, t.laplacian, 'laplacian');
    if (t.estimator !== undefined) {
      const e = checkEstimator(ctx.op, t.estimator);
      return { reads: [randomRead(ctx, e, coords, 2, 1 / e.samples)], finish: only };
    }
    return {
      reads: [
        readOf(
          ctx,
          2,
          coords.map((i) => unit(ctx.D, i)),
        ),
      ],
      finish: only,
    };
  },
  divergence: (ctx, t) => {
    const coords = coordsOf(ctx, t.divergence, 'divergence');
    return {
      reads: firstOrder(ctx, coords),
      finish: (v, out) => {
        if (out.C !== coords.length) {
          throw new ShapeError(
            `${ctx.op}: term '${ctx.name}': the divergence over ${coords.length} coordinates needs f: [N, D] -> [N, ${coords.length}], got C = ${out.C ?? 'none ([N])'}`,
          );
        }
        const parts = v.map((g, k) => ops.reshape(ops.slice(g, [0, k], [out.N, k + 1]), [out.N]));
        return parts.reduce((a, b) => a.add(b));
      },
    };
  },
  trace: (ctx, t) => traceTerm(ctx, t.trace, t.estimator),
  advection: (ctx, t) => advectionTerm(ctx, t.advection),
  biharmonic: (ctx, t) => {
    const coords = coordsOf(ctx, t.biharmonic, 'biharmonic');
    if (t.estimator !== undefined) {
      const e = checkEstimator(ctx.op, t.estimator);
      checkGaussian(ctx.op, e);
      return { reads: [randomRead(ctx, e, coords, 4, 1 / (3 * e.samples))], finish: only };
    }
    return { reads: [readOf(ctx, 4, biharmonicInterpolation(coords, ctx.D))], finish: only, twoLaplacians: coords };
  },
} satisfies Record<TermKind, Compiler>;

function traceTerm(ctx: CompileCtx, A: unknown, estimator: unknown): TermPlan {
  const D = ctx.D;
  if (Array.isArray(A)) {
    const ok = A.length === D && A.every((row) => Array.isArray(row) && row.length === D && row.every((a) => typeof a === 'number' && Number.isFinite(a)));
    if (!ok)
      throw new ShapeError(
        `${ctx.op}: term '${ctx.name}': a constant trace matrix A must be ${D} × ${D} finite numbers (a host array; for a tensor or A(x) give { factor: S })`,
      );
    if (estimator !== undefined) throw new ArgumentError(`${ctx.op}: term '${ctx.name}': the randomized trace needs A = S Sᵀ as { factor: S }`);
    return { reads: [readOf(ctx, 2, tracePolarization(A as number[][]))], finish: only };
  }
  if (typeof A !== 'object' || A === null || !('factor' in A)) {
    throw new ArgumentError(`${ctx.op}: term '${ctx.name}': trace must be a D × D host array A or { factor: S, signs? }`);
  }
  const { factor, signs } = A as TraceFactor;
  const N = ctx.X.shape[0]!;
  const S = fieldAt(ctx, factor, 'trace.factor', [
    [D, -1],
    [N, D, -1],
  ]);
  const R = S.shape[S.ndim - 1]!;
  if (signs !== undefined && (!Array.isArray(signs) || signs.length !== R || !signs.every((s) => typeof s === 'number' && Number.isFinite(s)))) {
    throw new ArgumentError(`${ctx.op}: term '${ctx.name}': trace.signs must hold ${R} finite numbers (one per column of the factor)`);
  }
  // directions: the columns of S, [R, 1, D] (constant) or [R, N, D] (per row)
  const cols = (M: Tensor): Tensor => (M.ndim === 2 ? M.transpose().reshape([M.shape[1]!, 1, D]) : M.permute([2, 0, 1]));
  if (estimator === undefined) {
    const b = ctx.dirs.block(cols(S));
    return { reads: [{ order: 2, parts: Array.from({ length: R }, (_, j) => [{ block: b, j }, signs?.[j] ?? 1] as const) }], finish: only };
  }
  if (signs !== undefined) throw new ArgumentError(`${ctx.op}: term '${ctx.name}': the randomized trace needs A = S Sᵀ (no signs)`);
  // z in R^R with E[z zᵀ] = I: E[(S z)(S z)ᵀ] = S Sᵀ, so E[(Sz)ᵀ H (Sz)] = tr(Sᵀ H S)
  const e = checkEstimator(ctx.op, estimator);
  const Sn = e.samples;
  let mixed: Tensor;
  if (e.perRow) {
    const z = constantLike(randomEntries(e, R, Sn * N), [Sn, N, R], ctx.X);
    mixed =
      S.ndim === 2
        ? z
            .reshape([Sn * N, R])
            .matmul(S.transpose())
            .reshape([Sn, N, D])
        : S.reshape([1, N, D, R])
            .mul(z.reshape([Sn, N, 1, R]))
            .sum(-1);
  } else {
    const z = constantLike(randomEntries(e, R), [Sn, R], ctx.X);
    mixed = S.ndim === 2 ? z.matmul(S.transpose()).reshape([Sn, 1, D]) : S.matmul(z.transpose()).permute([2, 0, 1]);
  }
  const b = ctx.dirs.block(mixed);
  return { reads: [{ order: 2, parts: Array.from({ length: Sn }, (_, j) => [{ block: b, j }, 1 / Sn] as const) }], finish: only };
}

function advectionTerm(ctx: CompileCtx, b: unknown): TermPlan {
  const D = ctx.D;
  if (Array.isArray(b)) {
    if (b.length !== D || !b.every((a) => typeof a === 'number' && Number.isFinite(a))) {
      throw new ShapeError(`${ctx.op}: term '${ctx.name}': a constant advection b must hold ${D} finite numbers, got ${JSON.stringify(b)}`);
    }
    const coords = b.map((_, i) => i).filter((i) => b[i] !== 0);
    if (coords.length === 0) return { reads: [{ order: 1, parts: [] }], finish: only };
    return {
      reads: [
        readOf(
          ctx,
          1,
          coords.map((i) => ({ v: directionOf(D, [[i, 1]]), w: b[i] as number })),
        ),
      ],
      finish: only,
    };
  }
  const N = ctx.X.shape[0]!;
  const B = fieldAt(ctx, b, 'advection', [[D], [N, D]]);
  return {
    reads: firstOrder(
      ctx,
      Array.from({ length: D }, (_, i) => i),
    ),
    finish: (v, out) => {
      const G = ops.stack(v as Tensor[], -1); // [N, (C,) D]
      const Bb = B.ndim === 2 && out.C !== null ? B.reshape([N, 1, D]) : B;
      return G.mul(Bb).sum(-1);
    },
  };
}

/** The kind of a term, checked: 'value' or an object with exactly one kind key (plus `estimator`). */
export function termKind(op: string, name: string, term: unknown): TermKind {
  if (term === 'value') return 'value';
  if (typeof term !== 'object' || term === null)
    throw new ArgumentError(`${op}: term '${name}' must be 'value' or an object such as { laplacian: 'all' }, got ${String(term)}`);
  const keys = Object.keys(term).filter((k) => k !== 'estimator');
  const kinds = Object.keys(COMPILERS).filter((k) => k !== 'value');
  if (keys.length !== 1 || !kinds.includes(keys[0]!)) {
    throw new ArgumentError(`${op}: term '${name}' must name exactly one of ${kinds.join(', ')}, got keys ${JSON.stringify(Object.keys(term))}`);
  }
  if ('estimator' in term && !['laplacian', 'trace', 'biharmonic'].includes(keys[0]!)) {
    throw new ArgumentError(`${op}: term '${name}': only laplacian, trace and biharmonic terms take an estimator`);
  }
  return keys[0] as TermKind;
}

/** Checks the spec's shape (not its coordinates, which need D): a non-empty object of terms. */
export function checkSpec(op: string, spec: unknown): void {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec) || Object.keys(spec).length === 0) {
    throw new ArgumentError(`${op}: the spec must be a non-empty object of named terms, e.g. { u: 'value', lap: { laplacian: 'all' } }`);
  }
  for (const [name, term] of Object.entries(spec)) termKind(op, name, term);
}

export interface Plan {
  readonly dirs: Directions;
  readonly terms: readonly (readonly [string, TermPlan])[];
}

/** Compiles every term of `spec` at X into one set of directions and per-term reads. */
export function compileSpec(op: string, spec: PdeSpec, X: Tensor): Plan {
  checkSpec(op, spec);
  const D = X.shape[1]!;
  const dirs = new Directions();
  const terms = Object.entries(spec).map(([name, term]) => {
    const kind = termKind(op, name, term);
    const compile: Compiler = COMPILERS[kind];
    return [name, compile({ op, name, X, D, dirs }, (term === 'value' ? {} : term) as Record<string, unknown>)] as const;
  });
  return { dirs, terms };
}

/** Weights of a read over the plan's R directions. */
export function weightRow(plan: Plan, read: Read): Float64Array {
  const w = new Float64Array(plan.dirs.count);
  for (const [ref, c] of read.parts) w[plan.dirs.index(ref)]! += c;
  return w;
}

/**
 * The plan of some of the terms only (a group of method 'auto', ./pde-auto.ts): their reads over
 * a fresh set of just the directions they use (host directions in order of first use, whole blocks),
 * so a group propagates no direction of another.
 */
export function restrictPlan(plan: Plan, names: ReadonlySet<string>): Plan {
  const dirs = new Directions();
  const blockOf = new Map<number, number>();
  const remap = (ref: DirRef, order: number, w: number): readonly [DirRef, number] => {
    if ('host' in ref) return dirs.part(plan.dirs.host[ref.host]!, order, w)!;
    let b = blockOf.get(ref.block);
    if (b === undefined) blockOf.set(ref.block, (b = dirs.block(plan.dirs.blocks[ref.block]!)));
    return [{ block: b, j: ref.j }, w];
  };
  const terms = plan.terms
    .filter(([name]) => names.has(name))
    .map(([name, t]) => {
      const reads = t.reads.map((rd) => ({ order: rd.order, parts: rd.parts.map(([ref, w]) => remap(ref, rd.order, w)) }));
      return [name, { ...t, reads }] as const;
    });
  return { dirs, terms };
}
