// Argument checks and random directions shared by the differential operators (laplacian, biharmonic, pde): method, X, f's output, estimator options.

import { ArgumentError, ShapeError, fmtShape } from '../errors.js';
import { tensor } from '../creation.js';
import { Rng, nextDefaultSeed } from '../random.js';
import { Tensor } from '../tensor.js';
import { checkUsable } from './pytree.js';

export type OperatorMethod = 'collapsed' | 'taylor' | 'nested';

export interface EstimatorOptions {
  distribution: 'rademacher' | 'gaussian';
  /** Number of random directions S >= 1. */
  samples: number;
  /** Seed of the directions (src/random.ts): the same seed gives the same estimate. */
  seed?: number;
}

const METHODS: readonly OperatorMethod[] = ['collapsed', 'taylor', 'nested'];

export function checkFn(op: string, f: unknown): void {
  if (typeof f !== 'function') throw new ArgumentError(`${op}: f must be a function, got ${typeof f}`);
}

export function checkMethod(op: string, m: unknown): OperatorMethod {
  const method = m ?? 'collapsed';
  if (!METHODS.includes(method as OperatorMethod)) throw new ArgumentError(`${op}: method must be 'collapsed', 'taylor' or 'nested', got ${String(m)}`);
  return method as OperatorMethod;
}

export function checkX(op: string, X: unknown): [number, number] {
  if (!(X instanceof Tensor)) throw new ArgumentError(`${op}: X must be a Tensor of shape [N, D]`);
  checkUsable(op, X, 'X');
  if (X.ndim !== 2) throw new ShapeError(`${op}: X must be 2-D [N, D], got shape ${fmtShape(X.shape)}`);
  return X.shape as [number, number];
}

export function checkEstimator(op: string, e: unknown): Required<EstimatorOptions> {
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

/** The randomized biharmonic is unbiased only for Gaussian directions. */
export function checkGaussian(op: string, e: Required<EstimatorOptions>): void {
  if (e.distribution !== 'gaussian') {
    throw new ArgumentError(
      `${op}: the randomized biharmonic needs distribution 'gaussian': E[∂⁴f[v,v,v,v]] = 3 Δ²f holds for v ~ N(0, I), ` +
        `while Rademacher directions give a biased estimate (their fourth moments are 1, not 3)`,
    );
  }
}

/** S × n random entries (row-major), Rademacher or standard normal, from the estimator's seed. */
export function randomEntries(e: Required<EstimatorOptions>, n: number): Float64Array {
  const rng = new Rng(e.seed);
  const out = new Float64Array(e.samples * n);
  for (let i = 0; i < out.length; i++) out[i] = e.distribution === 'gaussian' ? rng.normal() : rng.rademacher();
  return out;
}

/** Host data as a constant of X's dtype and the given shape. */
export function constantLike(host: Float64Array, shape: number[], X: Tensor): Tensor {
  return tensor(X.dtype === 'float64' ? host : Float32Array.from(host), { dtype: X.dtype, shape });
}
