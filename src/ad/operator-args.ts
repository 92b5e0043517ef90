// Argument checks and random directions shared by the differential operators (laplacian, biharmonic, pde): method, X, f's output, estimator options.

import { ArgumentError, ShapeError, fmtShape } from '../errors.js';
import { tensor } from '../creation.js';
import { Rng, nextDefaultSeed } from '../random.js';
import { Tensor } from '../tensor.js';
import { checkUsable } from './pytree.js';

export type OperatorMethod = 'collapsed' | 'taylor' | 'nested';

export interface EstimatorOptions {
  /**
   * Random directions v = B z for a sum Σ_r F(b_r) over base directions b_r (coordinates, factor
   * columns), with E[z zᵀ] = I: z Rademacher or Gaussian (Hutchinson), or 'coordinates' (STDE's
   * sparse jets: z = √R e_j, j uniform, so each sample is one base direction).
   */
  distribution: 'rademacher' | 'gaussian' | 'coordinates';
  /** Number of random directions S >= 1. */
  samples: number;
  /** Seed of the directions (src/random.ts): the same seed gives the same estimate. */
  seed?: number;
  /** Draw S directions for every row independently (default false: all rows share the S directions). */
  perRow?: boolean;
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
  if (typeof e !== 'object' || e === null) throw new ArgumentError(`${op}: estimator must be { distribution, samples, seed, perRow }`);
  const { distribution, samples, seed, perRow } = e as EstimatorOptions;
  if (distribution !== 'rademacher' && distribution !== 'gaussian' && distribution !== 'coordinates') {
    throw new ArgumentError(
      `${op}: estimator.distribution must be 'rademacher' or 'gaussian' (Hutchinson), or 'coordinates' (sampled base directions), got ${String(distribution)}`,
    );
  }
  if (perRow !== undefined && typeof perRow !== 'boolean') throw new ArgumentError(`${op}: estimator.perRow must be a boolean, got ${String(perRow)}`);
  if (typeof samples !== 'number' || !Number.isInteger(samples) || samples < 1) {
    throw new ArgumentError(`${op}: estimator.samples must be an integer >= 1, got ${String(samples)}`);
  }
  if (seed !== undefined && (typeof seed !== 'number' || !Number.isFinite(seed))) {
    throw new ArgumentError(`${op}: estimator.seed must be a finite number, got ${String(seed)}`);
  }
  return { distribution, samples, seed: seed ?? nextDefaultSeed(), perRow: perRow ?? false };
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

/**
 * `blocks` vectors z of length n (row-major) with E[z zᵀ] = I, from the estimator's seed:
 * Rademacher or standard normal entries, or √n e_j with j uniform ('coordinates').
 */
export function randomEntries(e: Required<EstimatorOptions>, n: number, blocks = e.samples): Float64Array {
  const rng = new Rng(e.seed);
  const out = new Float64Array(blocks * n);
  if (e.distribution === 'coordinates') {
    for (let b = 0; b < blocks; b++) out[b * n + Math.min(n - 1, Math.floor(rng.uniform() * n))] = Math.sqrt(n);
    return out;
  }
  for (let i = 0; i < out.length; i++) out[i] = e.distribution === 'gaussian' ? rng.normal() : rng.rademacher();
  return out;
}

/** Host data as a constant of X's dtype and the given shape. */
export function constantLike(host: Float64Array, shape: number[], X: Tensor): Tensor {
  return tensor(X.dtype === 'float64' ? host : Float32Array.from(host), { dtype: X.dtype, shape });
}
