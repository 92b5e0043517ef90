// Differential operators of row-wise functions f: [N, D] -> [N]: laplacian and biharmonic (exact, weighted, randomized), by collapsed Taylor mode, standard Taylor mode or nested first-order AD.

import { ArgumentError, DTypeError, ShapeError, fmtShape } from '../errors.js';
import { tensor } from '../creation.js';
import { Rng, nextDefaultSeed } from '../random.js';
import { Tensor } from '../tensor.js';
import { propagateCollapsed, weightsTensor } from './collapse.js';
import { checkUsable } from './pytree.js';
import { propagateJet, traceRegion } from './taylor.js';
import { type Coef, constLike } from '../rules/taylor-coef.js';
import { type RowFn, nestedQuadratic, nestedQuartic } from './taylor-nested.js';

export type OperatorMethod = 'collapsed' | 'taylor' | 'nested';

export interface EstimatorOptions {
  distribution: 'rademacher' | 'gaussian';
  /** Number of random directions S >= 1. */
  samples: number;
  /** Seed of the directions (src/random.ts): the same seed gives the same estimate. */
  seed?: number;
}

export interface LaplacianOptions {
  method?: OperatorMethod;
  /** V [D, R]: computes Σ_r v_rᵀ H v_r = tr(Vᵀ H V). */
  weighting?: Tensor;
  /** Randomized (Hutchinson) estimate with S random directions (of V z when weighted). */
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

const METHODS: readonly OperatorMethod[] = ['collapsed', 'taylor', 'nested'];

function checkFn(op: string, f: unknown): void {
  if (typeof f !== 'function') throw new ArgumentError(`${op}: f must be a function, got ${typeof f}`);
}

function checkMethod(op: string, m: unknown): OperatorMethod {
  const method = m ?? 'collapsed';
  if (!METHODS.includes(method as OperatorMethod)) throw new ArgumentError(`${op}: method must be 'collapsed', 'taylor' or 'nested', got ${String(m)}`);
  return method as OperatorMethod;
}

function checkX(op: string, X: unknown): [number, number] {
  if (!(X instanceof Tensor)) throw new ArgumentError(`${op}: X must be a Tensor of shape [N, D]`);
  checkUsable(op, X, 'X');
  if (X.ndim !== 2) throw new ShapeError(`${op}: X must be 2-D [N, D], got shape ${fmtShape(X.shape)}`);
  return X.shape as [number, number];
}

function checkEstimator(op: string, e: unknown): EstimatorOptions {
  if (typeof e !== 'object' || e === null) throw new ArgumentError(`${op}: estimator must be { distribution, samples, seed }`);
  const { distribution, samples, seed } = e as EstimatorOptions;
  if (distribution !== 'rademacher' && distribution !== 'gaussian') {
    throw new ArgumentError(`${op}: estimator.distribution must be 'rademacher' or 'gaussian', got ${String(distribution)}`);
  }
  if (typeof samples !== 'number' || !Number.isInteger(samples) || samples < 1) {
    throw new ArgumentError(`${op}: estimator.samples must be an integer >= 1, got ${String(samples)}`);
  }
  if (seed !== undefined && (typeof seed !== 'number' || !Number.isFinite(seed))) {
    throw new ArgumentError(`${op}: estimator.seed must be a finite number, got ${String(seed)}`);
  }
  return { distribution, samples, seed: seed ?? nextDefaultSeed() };
}

/** f's output must be [N] or [N, 1]. */
function checkOut(op: string, out: Tensor, N: number): void {
  const s = out.shape;
  if (!((s.length === 1 && s[0] === N) || (s.length === 2 && s[0] === N && s[1] === 1))) {
    throw new ShapeError(`${op}: f must map X [${N}, D] to [${N}] or [${N}, 1] (rows independent), got ${fmtShape(s)}`);
  }
}

/** Directions as a [R, 1, D] constant (the same for every row: no work per datum before the first nonlinearity). */
function dirsTensor(host: Float64Array, R: number, D: number, X: Tensor): Tensor {
  return tensor(X.dtype === 'float64' ? host : Float32Array.from(host), { dtype: X.dtype, shape: [R, 1, D] });
}

function randomDirs(e: EstimatorOptions, D: number): Float64Array {
  const rng = new Rng(e.seed!);
  const out = new Float64Array(e.samples * D);
  for (let i = 0; i < out.length; i++) out[i] = e.distribution === 'gaussian' ? rng.normal() : rng.rademacher();
  return out;
}

/** [N] from an output coefficient of compact shape [1, ...S'] (S' broadcastable to f's output shape). */
function rows(c: Coef, out: Tensor, N: number): Tensor {
  if (!c) return constLike(out, 0).reshape([N]);
  return c.broadcastTo([1, ...out.shape]).reshape([N]);
}

/**
 * Σ_r w_r F_K(v_r) per row, where F_K(v) = ∂^K f[v, ..., v] (K = 2: vᵀ H v; K = 4: the quartic form),
 * directions `dirs` [R, 1, D], weights `w` (null: plain sum).
 */
function forms(op: string, f: RowFn, X: Tensor, dirs: Tensor, K: 2 | 4, w: readonly number[] | null, method: OperatorMethod): Result {
  const [N] = X.shape as [number, number];
  const R = dirs.shape[0]!;
  if (method === 'nested') {
    checkOut(op, f(X), N);
    if (K === 2) return { value: nestedQuadratic(f, X, dirs, w), vectors: 2 + 2 * R };
    return { value: nestedQuartic(f, X, dirs, w), vectors: null };
  }
  const tr = traceRegion(op, f, [X]);
  if (tr.outputs.length !== 1) throw new ShapeError(`${op}: f must return one tensor`);
  const out = tr.outputs[0]!;
  checkOut(op, out, N);
  const input = [tr.inputs[0]!.node];
  const lower: Coef[] = [dirs, ...new Array<Coef>(K - 2).fill(null)];
  if (method === 'collapsed') {
    const wanted = new Map([[out.node, { primal: false, lower: false, top: true }]]);
    const core = propagateCollapsed(input, [{ lower, top: null }], tr.region, K, R, w ? weightsTensor(w, X.dtype) : null, wanted);
    return { value: rows(core.state(out.node)?.top ?? null, out, N), vectors: core.stats.vectors };
  }
  const core = propagateJet(input, [[...lower, null]], tr.region, K, R);
  const z = core.series(out.node)?.[K - 1] ?? null;
  if (!z) return { value: rows(null, out, N), vectors: core.stats.vectors };
  const full = z.broadcastTo([R, ...out.shape]).reshape([R, N]);
  const weighted = w ? full.mul(weightsTensor(w, X.dtype).reshape([R, 1])) : full;
  return { value: weighted.sum(0), vectors: core.stats.vectors };
}

/** `op` names the public operator in errors (the biharmonic is built from Laplacians). */
function laplacianImpl(f: RowFn, X: Tensor, opts: LaplacianOptions, op = 'laplacian'): Result {
  const method = checkMethod(op, opts.method);
  const [, D] = checkX(op, X);
  let dirs: Tensor;
  let R: number;
  if (opts.weighting !== undefined) {
    const V = opts.weighting;
    if (!(V instanceof Tensor)) throw new ArgumentError(`${op}: weighting must be a Tensor V of shape [D, R]`);
    checkUsable(op, V, 'weighting');
    if (V.ndim !== 2 || V.shape[0] !== D) throw new ShapeError(`${op}: weighting V must have shape [D, R] = [${D}, R], got ${fmtShape(V.shape)}`);
    if (V.dtype !== X.dtype) throw new DTypeError(`${op}: weighting is ${V.dtype} but X is ${X.dtype}`);
    R = V.shape[1]!;
    dirs = V.transpose().reshape([R, 1, D]);
  } else {
    R = D;
    const eye = new Float64Array(D * D);
    for (let d = 0; d < D; d++) eye[d * D + d] = 1;
    dirs = dirsTensor(eye, D, D, X);
  }
  if (opts.estimator === undefined) return forms(op, f, X, dirs, 2, null, method);
  const e = checkEstimator(op, opts.estimator);
  const S = e.samples;
  // z ~ (Rademacher | Gaussian) in R^R: E[(V z)(V z)ᵀ] = V Vᵀ, so E[(Vz)ᵀ H (Vz)] = tr(Vᵀ H V)
  const z = dirsTensor(randomDirs(e, R), S, R, X).reshape([S, R]);
  const rdirs = opts.weighting === undefined ? z.reshape([S, 1, D]) : z.matmul(dirs.reshape([R, D])).reshape([S, 1, D]);
  const r = forms(op, f, X, rdirs, 2, null, method);
  return { value: r.value.mul(1 / S), vectors: r.vectors };
}

/** Griewank-Utke-Walther directions and weights: Δ²f = Σ_r w_r F4(v_r). */
function interpolationDirections(D: number): { dirs: Float64Array; weights: number[] } {
  const vecs: number[][] = [];
  const weights: number[] = [];
  const c1 = (13 * D - 4) / 2304,
    c2 = -1 / 36,
    c3 = 5 / 96;
  const push = (entries: [number, number][], w: number): void => {
    const v = new Array<number>(D).fill(0);
    for (const [i, a] of entries) v[i]! += a;
    vecs.push(v);
    weights.push(w);
  };
  for (let d = 0; d < D; d++) push([[d, 4]], c1);
  for (let a = 0; a < D; a++)
    for (let b = 0; b < D; b++)
      if (a !== b)
        push(
          [
            [a, 3],
            [b, 1],
          ],
          c2,
        );
  for (let a = 0; a < D; a++)
    for (let b = a + 1; b < D; b++)
      push(
        [
          [a, 2],
          [b, 2],
        ],
        c3,
      );
  return { dirs: Float64Array.from(vecs.flat()), weights };
}

function biharmonicImpl(f: RowFn, X: Tensor, opts: BiharmonicOptions): Result {
  const op = 'biharmonic';
  const method = checkMethod(op, opts.method);
  const [, D] = checkX(op, X);
  if ((opts as LaplacianOptions).weighting !== undefined) throw new ArgumentError(`${op}: weighting is not supported (only the Laplacian takes a weighting)`);
  const exact = opts.exact ?? 'nested-laplacian';
  if (exact !== 'interpolation' && exact !== 'nested-laplacian') {
    throw new ArgumentError(`${op}: exact must be 'interpolation' or 'nested-laplacian', got ${String(exact)}`);
  }
  if (opts.estimator !== undefined) {
    const e = checkEstimator(op, opts.estimator);
    if (e.distribution !== 'gaussian') {
      throw new ArgumentError(
        `${op}: the randomized biharmonic needs distribution 'gaussian': E[∂⁴f[v,v,v,v]] = 3 Δ²f holds for v ~ N(0, I), ` +
          `while Rademacher directions give a biased estimate (their fourth moments are 1, not 3)`,
      );
    }
    const dirs = dirsTensor(randomDirs(e, D), e.samples, D, X);
    const r = forms(op, f, X, dirs, 4, null, method);
    return { value: r.value.mul(1 / (3 * e.samples)), vectors: r.vectors };
  }
  if (exact === 'interpolation') {
    const { dirs, weights } = interpolationDirections(D);
    return forms(op, f, X, dirsTensor(dirs, weights.length, D, X), 4, weights, method);
  }
  let inner: number | null = null;
  const lap = (Y: Tensor): Tensor => {
    const r = laplacianImpl(f, Y, { method }, op);
    inner = r.vectors;
    return r.value;
  };
  const outer = laplacianImpl(lap, X, { method }, op);
  return { value: outer.value, vectors: outer.vectors !== null && inner !== null ? outer.vectors * inner : null };
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
   * Laplacians 2 + 2R (primal and adjoint shared, tangent and tangent adjoint per direction); a
   * Laplacian of a Laplacian multiplies the two counts; null where not counted (4-jets by nested
   * first-order AD: method 'nested' with an estimator or exact 'interpolation').
   */
  vectors: number | null;
}

/** Builds (does not run) the operator's graph and reports the vectors it propagates per datum. */
export function operatorCost(op: 'laplacian' | 'biharmonic', f: RowFn, X: Tensor, opts: LaplacianOptions & BiharmonicOptions = {}): OperatorCost {
  checkFn(op, f);
  if (op === 'laplacian') return { vectors: laplacianImpl(f, X, opts).vectors };
  if (op === 'biharmonic') return { vectors: biharmonicImpl(f, X, opts).vectors };
  throw new ArgumentError(`operatorCost: op must be 'laplacian' or 'biharmonic', got ${String(op)}`);
}
