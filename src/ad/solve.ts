// Linear and fixed-point solvers built from lazy graph nodes: conjugate gradient for a symmetric
// positive definite operator given as a matvec (an hvp, a Gauss–Newton product, ...); the fixed
// point x* = g(x*, θ) with implicit derivatives (the Neumann series of the linearized map); and a
// root x* of F(x*, θ) = 0 found by any procedure, with implicit derivatives (linear solves with
// ∂F/∂x by cg on the normal equations) — never derivatives of the iterations. All run a fixed
// number of steps, so they build a graph and read nothing back; cg freezes its iterate once the
// residual is below the tolerance.

import { ArgumentError, TransformError } from '../errors.js';
import { customNode } from '../ir/build.js';
import * as ops from '../ops.js';
import { Tensor } from '../tensor.js';
import { customJvp } from './custom.js';
import { jvp } from './jvp.js';
import { linearTranspose, linearize } from './linearize.js';
import { vjp } from './vjp.js';
import { flatten, unflatten } from './pytree.js';
import { checkFn, checkLike, flattenLike } from './trace.js';

export interface CgOptions<X = unknown> {
  /** Stop (freeze the iterate) once ‖r‖ <= max(tol·‖b‖, atol). Default tol 1e-5, atol 0. */
  tol?: number;
  atol?: number;
  /** Number of iterations built (default: the number of unknowns, which is exact in exact arithmetic). */
  maxIter?: number;
  /** Starting point (default zeros), with b's structure. */
  x0?: X;
}

function positiveInt(what: string, name: string, v: unknown, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new ArgumentError(`${what}: ${name} must be a positive integer, got ${String(v)}`);
  return v;
}

function nonNegative(what: string, name: string, v: unknown, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v)) throw new ArgumentError(`${what}: ${name} must be a finite number >= 0, got ${String(v)}`);
  return v;
}

const dot = (a: readonly Tensor[], b: readonly Tensor[]): Tensor => a.map((t, i) => ops.sum(ops.mul(t, b[i]!))).reduce((s, t) => ops.add(s, t));
const axpy = (alpha: Tensor, x: readonly Tensor[], y: readonly Tensor[]): Tensor[] => x.map((t, i) => ops.add(y[i]!, ops.mul(alpha, t)));

/**
 * Solves A x = b by conjugate gradient, A symmetric positive definite given as `matvec(v) = A v`.
 * `b` is a Tensor or a tree of tensors (matvec maps that structure to itself). Lazy: `maxIter`
 * iterations are built; once the residual is small enough the remaining steps change nothing.
 * Differentiating through the result differentiates the iterations.
 */
export function cg<X>(matvec: (v: X) => X, b: X, opts: CgOptions<X> = {}): X {
  const what = 'cg';
  checkFn(what, matvec);
  const { leaves: bl, def } = flatten(b, `${what} (b)`);
  const n = bl.reduce((s, t) => s + t.size, 0);
  const maxIter = positiveInt(what, 'maxIter', opts.maxIter, Math.max(1, n));
  const tol = nonNegative(what, 'tol', opts.tol, 1e-5);
  const atol = nonNegative(what, 'atol', opts.atol, 0);
  const apply = (v: readonly Tensor[]): Tensor[] => {
    const out = flattenLike(what, 'matvec(v)', matvec(unflatten(def, v) as X), def);
    return out.leaves.map((t, i) => {
      if (!t) throw new TransformError(`${what}: matvec returned null at ${out.paths[i]}`);
      checkLike(what, 'matvec result', out.paths[i]!, t, bl[i]!, 'b');
      return t;
    });
  };
  let x: Tensor[];
  let r: Tensor[];
  if (opts.x0 === undefined) {
    x = bl.map((t) => ops.mul(t, 0));
    r = bl;
  } else {
    const given = flattenLike(what, 'x0', opts.x0, def);
    x = given.leaves.map((t, i) => {
      if (!t) throw new TransformError(`${what}: x0 is null at ${given.paths[i]}`);
      checkLike(what, 'x0', given.paths[i]!, t, bl[i]!, 'b');
      return t;
    });
    r = apply(x).map((ax, i) => ops.sub(bl[i]!, ax));
  }
  const limit = ops.maximum(ops.mul(dot(bl, bl), tol * tol), atol * atol); // on ‖r‖²
  let p = r;
  let rs = dot(r, r);
  for (let k = 0; k < maxIter; k++) {
    const ap = apply(p);
    const active = ops.greater(rs, limit);
    const alpha = ops.where(active, ops.div(rs, ops.where(active, dot(p, ap), 1)), 0);
    x = axpy(alpha, p, x);
    r = axpy(ops.neg(alpha), ap, r);
    const rsNew = dot(r, r);
    const beta = ops.where(active, ops.div(rsNew, ops.where(active, rs, 1)), 0);
    p = axpy(beta, p, r);
    rs = rsNew;
  }
  return unflatten(def, x) as X;
}

export interface FixedPointOptions {
  /** Iterations of x ← g(x, θ) for the value, and of the Neumann series for its derivative (default 50). */
  iterations?: number;
}

/**
 * `fixedPoint(g, opts)(x0, ...params)`: the fixed point x* = g(x*, ...params), by `iterations`
 * steps of x ← g(x, ...params) from x0, with implicit derivatives: dx* = (I − ∂g/∂x)⁻¹ ∂g/∂θ dθ,
 * summed as the Neumann series t ← ∂g/∂θ dθ + ∂g/∂x t (the linear map built once, by linearize).
 * Reverse mode transposes that rule, so grad solves the adjoint system λ = v + (∂g/∂x)ᵀ λ. g must
 * be a contraction in x near x* (as the iteration itself needs). x0 gets no derivative.
 */
export function fixedPoint<P extends Tensor[]>(g: (x: Tensor, ...params: P) => Tensor, opts: FixedPointOptions = {}): (x0: Tensor, ...params: P) => Tensor {
  const what = 'fixedPoint';
  checkFn(what, g);
  const iterations = positiveInt(what, 'iterations', opts.iterations, 50);
  const solve = (x0: Tensor, ...params: P): Tensor => {
    let x = x0;
    for (let k = 0; k < iterations; k++) x = g(x, ...params);
    return x;
  };
  return customJvp(solve, ([, ...params], [, ...dparams], out) => {
    const shared = (x: Tensor) => g(x, ...(params as P));
    const b = jvp((...theta: Tensor[]) => g(out, ...(theta as P)), params, dparams)[1];
    const [, jx] = linearize(shared, out);
    let t = b;
    for (let k = 0; k < iterations; k++) t = ops.add(b, jx(t));
    return t;
  }) as (x0: Tensor, ...params: P) => Tensor;
}

export interface RootOptions {
  /** cg iterations of each implicit linear solve (default: the number of unknowns). */
  maxIter?: number;
  /** cg tolerance of each implicit linear solve (default 1e-10). */
  tol?: number;
}

/**
 * `customRoot(F, solve, opts)(...params)`: x* = solve(...params), a root of F(x*, ...params) = 0
 * found by any procedure (its graph is not differentiated), with implicit derivatives:
 * dx* = −(∂F/∂x)⁻¹ ∂F/∂θ dθ forward, and θ̄ = −(∂F/∂θ)ᵀ λ with (∂F/∂x)ᵀ λ = x̄ in reverse mode.
 * Both solves run cg on the normal equations with the linearized ∂F/∂x (linearize and
 * linearTranspose), so ∂F/∂x must be square and invertible at x*. Every parameter is a Tensor.
 */
export function customRoot<P extends Tensor[]>(
  F: (x: Tensor, ...params: P) => Tensor,
  solve: (...params: P) => Tensor,
  opts: RootOptions = {},
): (...params: P) => Tensor {
  const what = 'customRoot';
  checkFn(what, F);
  checkFn(`${what} (solve)`, solve);
  const tol = nonNegative(what, 'tol', opts.tol, 1e-10);
  /** ∂F/∂x at (x, θ) and its transpose, as linear maps. */
  const jacobianAt = (x: Tensor, params: readonly Tensor[]) => {
    const [, jx] = linearize((y: Tensor) => F(y, ...(params as P)), x);
    const jxT = (c: Tensor) => linearTranspose(jx, x)(c)[0] as Tensor;
    const maxIter = positiveInt(what, 'maxIter', opts.maxIter, Math.max(1, x.size));
    return { jx: (v: Tensor) => jx(v) as Tensor, jxT, maxIter };
  };
  return (...params: P): Tensor => {
    const x = solve(...params);
    if (!(x instanceof Tensor)) throw new TransformError(`${what}: solve must return one Tensor, got ${x === null ? 'null' : typeof x}`);
    const atRoot =
      (out: Tensor) =>
      (...theta: Tensor[]) =>
        F(out, ...(theta as P));
    return new Tensor(
      customNode(
        params.map((p) => p.node),
        x.node,
        {
          name: what,
          jvp: (primals, tangents, out) => {
            const ps = primals as Tensor[];
            const ts = (tangents as (Tensor | null)[]).map((t, i) => t ?? ops.mul(ps[i]!, 0));
            const rhs = ops.neg(jvp(atRoot(out as Tensor), ps, ts)[1] as Tensor);
            const { jx, jxT, maxIter } = jacobianAt(out as Tensor, ps);
            return cg((v: Tensor) => jxT(jx(v)), jxT(rhs), { tol, maxIter }); // (JᵀJ) t = Jᵀ rhs
          },
          vjp: (primals, out, cotangent) => {
            const ps = primals as Tensor[];
            const { jx, jxT, maxIter } = jacobianAt(out as Tensor, ps);
            const lambda = cg((v: Tensor) => jx(jxT(v)), jx(cotangent as Tensor), { tol, maxIter }); // (J Jᵀ) λ = J x̄
            return vjp(atRoot(out as Tensor), ...ps)[1](ops.neg(lambda)) as Tensor[];
          },
        },
      ),
    );
  };
}
