// Differential operators of row-wise functions f: [N, D] -> [N]: laplacian and biharmonic (exact, weighted, randomized) as single-term specs of the PDE operator (./pde.ts), and operatorCost.

import { ArgumentError, DTypeError, ShapeError, fmtShape } from '../errors.js';
import { Tensor } from '../tensor.js';
import { type EstimatorOptions, type OperatorMethod, checkEstimator, checkFn, checkGaussian, checkMethod, checkX } from './operator-args.js';
import { type PdeOptions, laplacianOfLaplacian, pdeCost, runPlan } from './pde.js';
import { type PdeSpec, type PdeTerm, compileSpec } from './pde-plan.js';
import { checkUsable } from './pytree.js';
import type { RowFn } from './taylor-nested.js';
import type { TermMethod } from './pde-auto.js';

export type { EstimatorOptions, OperatorMethod } from './operator-args.js';

export interface LaplacianOptions {
  method?: OperatorMethod;
  /** V [D, R]: computes Σ_r v_rᵀ H v_r = tr(Vᵀ H V). */
  weighting?: Tensor;
  /** Randomized estimate with S random directions (of V z when weighted): Hutchinson, or sampled coordinates (columns of V); shared by the rows or `perRow`. */
  estimator?: EstimatorOptions;
}

export interface BiharmonicOptions {
  method?: OperatorMethod;
  /** Randomized (STDE) estimate from Gaussian directions: E[∂⁴f[v,v,v,v]] = 3 Δ²f. */
  estimator?: EstimatorOptions;
  /**
   * Exact route: 'nested-laplacian' (default: the Laplacian of the Laplacian, (2 + D)² vectors
   * collapsed, measured fastest in bench/laplacian.ts) or 'interpolation' (Griewank-Utke-Walther
   * 4-jets along (3D² − D)/2 directions; with method 'nested', each 4-jet by nested Hessian-vector
   * products).
   */
  exact?: 'interpolation' | 'nested-laplacian';
}

/** A value and the vectors per datum its transformation propagated (null: not counted). */
interface Result {
  value: Tensor;
  vectors: number | null;
}

/** f's output must be [N] or [N, 1]. */
function checkOut(op: string, out: Tensor, N: number): void {
  const s = out.shape;
  if (!((s.length === 1 && s[0] === N) || (s.length === 2 && s[0] === N && s[1] === 1))) {
    throw new ShapeError(`${op}: f must map X [${N}, D] to [${N}] or [${N}, 1] (rows independent), got ${fmtShape(s)}`);
  }
}

/** f, checked to return one tensor [N] or [N, 1]. */
function scalarChecked(op: string, f: RowFn): RowFn {
  return (Y) => {
    const y = f(Y);
    if (!(y instanceof Tensor)) throw new ShapeError(`${op}: f must return one tensor`);
    checkOut(op, y, Y.shape[0]!);
    return y;
  };
}

/** One term of a scalar row-wise f through the PDE operator, as [N]. */
function scalarTerm(op: string, f: RowFn, X: Tensor, term: PdeTerm, method: OperatorMethod): Result {
  const [N] = X.shape as [number, number];
  const r = runPlan(op, scalarChecked(op, f), X, compileSpec(op, { term }, X), method);
  return { value: r.values.term!.reshape([N]), vectors: r.vectors };
}

/** `op` names the public operator in errors (the biharmonic is built from Laplacians). */
function laplacianImpl(f: RowFn, X: Tensor, opts: LaplacianOptions, op = 'laplacian'): Result {
  const method = checkMethod(op, opts.method);
  const [, D] = checkX(op, X);
  const estimator = opts.estimator === undefined ? undefined : checkEstimator(op, opts.estimator);
  if (opts.weighting === undefined) return scalarTerm(op, f, X, { laplacian: 'all', estimator }, method);
  const V = opts.weighting;
  if (!(V instanceof Tensor)) throw new ArgumentError(`${op}: weighting must be a Tensor V of shape [D, R]`);
  checkUsable(op, V, 'weighting');
  if (V.ndim !== 2 || V.shape[0] !== D) throw new ShapeError(`${op}: weighting V must have shape [D, R] = [${D}, R], got ${fmtShape(V.shape)}`);
  if (V.dtype !== X.dtype) throw new DTypeError(`${op}: weighting is ${V.dtype} but X is ${X.dtype}`);
  return scalarTerm(op, f, X, { trace: { factor: V }, estimator }, method);
}

function biharmonicImpl(f: RowFn, X: Tensor, opts: BiharmonicOptions): Result {
  const op = 'biharmonic';
  const method = checkMethod(op, opts.method);
  checkX(op, X);
  if ((opts as LaplacianOptions).weighting !== undefined) throw new ArgumentError(`${op}: weighting is not supported (only the Laplacian takes a weighting)`);
  const exact = opts.exact ?? 'nested-laplacian';
  if (exact !== 'interpolation' && exact !== 'nested-laplacian') {
    throw new ArgumentError(`${op}: exact must be 'interpolation' or 'nested-laplacian', got ${String(exact)}`);
  }
  if (opts.estimator !== undefined) {
    const estimator = checkEstimator(op, opts.estimator);
    checkGaussian(op, estimator);
    return scalarTerm(op, f, X, { biharmonic: 'all', estimator }, method);
  }
  if (exact === 'interpolation') return scalarTerm(op, f, X, { biharmonic: 'all' }, method);
  const [N, D] = X.shape as [number, number];
  const r = laplacianOfLaplacian(op, scalarChecked(op, f), X, [...Array(D).keys()], method);
  return { value: r.value.reshape([N]), vectors: r.vectors };
}

/**
 * The Laplacian Δf (or Σ_r v_rᵀ H v_r with `weighting`, or its randomized estimate) of a
 * row-wise f: [N, D] -> [N] (or [N, 1]) at every row of X [N, D]; returns [N], lazily.
 */
export function laplacian(f: RowFn, opts: LaplacianOptions = {}): (X: Tensor) => Tensor {
  checkFn('laplacian', f);
  return (X: Tensor) => laplacianImpl(f, X, opts ?? {}).value;
}

/** The biharmonic Δ²f (or its randomized estimate) of a row-wise f at every row of X; returns [N]. */
export function biharmonic(f: RowFn, opts: BiharmonicOptions = {}): (X: Tensor) => Tensor {
  checkFn('biharmonic', f);
  return (X: Tensor) => biharmonicImpl(f, X, opts ?? {}).value;
}

export interface OperatorCost {
  /**
   * Vectors propagated per datum: for the Taylor methods the most coefficient channels (primal
   * included) one node of the traced graph carried, counted by the transformation; for nested
   * first-order AD 1 + C (1 + 2 R₂) (primal once; per output component an adjoint, and a tangent
   * and tangent adjoint per second-order direction: 2 + 2R for a Laplacian); a Laplacian of a
   * Laplacian multiplies the two counts; null where not counted (jets of order > 2 by nested
   * first-order AD).
   */
  vectors: number | null;
  /**
   * 'pde': the method that computes each term (keyed like the spec; with method 'auto' the terms
   * may be split among methods, one propagation each, and vectors is the sum over them).
   */
  methods?: Readonly<Record<string, TermMethod>>;
  /** 'pde': the propagations made (one per method used). */
  passes?: number;
}

/** operatorCost('pde', ...)'s options: the spec and the method. */
export interface PdeCostOptions extends PdeOptions {
  terms: PdeSpec;
}

/** Builds (does not run) the operator's graph and reports the vectors it propagates per datum. */
export function operatorCost(op: 'laplacian' | 'biharmonic', f: RowFn, X: Tensor, opts?: LaplacianOptions & BiharmonicOptions): OperatorCost;
export function operatorCost(op: 'pde', f: RowFn, X: Tensor, opts: PdeCostOptions): OperatorCost;
export function operatorCost(op: 'laplacian' | 'biharmonic' | 'pde', f: RowFn, X: Tensor, opts: object = {}): OperatorCost {
  checkFn(op, f);
  if (op === 'laplacian') return { vectors: laplacianImpl(f, X, opts).vectors };
  if (op === 'biharmonic') return { vectors: biharmonicImpl(f, X, opts).vectors };
  if (op === 'pde') return pdeCost(f, X, (opts as PdeCostOptions).terms, opts as PdeOptions);
  throw new ArgumentError(`operatorCost: op must be 'laplacian', 'biharmonic' or 'pde', got ${String(op)}`);
}
