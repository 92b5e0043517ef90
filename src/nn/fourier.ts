// Random Fourier features (Tancik et al. 2020, "Fourier features let networks learn high frequency
// functions in low dimensional domains"): γ(x) = [cos(2π x B), sin(2π x B)] with B ~ N(0, scale²)
// of shape [inputDim, features], fixed (not trained). Helps an MLP (and a PINN) fit high frequencies.

import type { DType } from '../dtype.js';
import { ArgumentError, ShapeError, fmtShape } from '../errors.js';
import { concat } from '../ops.js';
import { Tensor } from '../tensor.js';
import { normal } from './init.js';

export interface FourierFeatureOptions {
  inputDim: number;
  /** Frequencies drawn; the embedding has 2 · features columns. */
  features: number;
  /** Standard deviation of the frequencies (default 1). */
  scale?: number;
  seed?: number;
  dtype?: DType;
}

export interface FourierFeatures {
  /** The frequencies, [inputDim, features]. */
  readonly B: Tensor;
  /** X: [..., inputDim] -> [..., 2 · features]: the cosines, then the sines. */
  apply(X: Tensor): Tensor;
}

export function fourierFeatures(opts: FourierFeatureOptions): FourierFeatures {
  const { inputDim, features } = opts ?? {};
  for (const [name, v] of [
    ['inputDim', inputDim],
    ['features', features],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) throw new ArgumentError(`fourierFeatures: ${name} must be a positive integer, got ${String(v)}`);
  }
  const scale = opts.scale ?? 1;
  if (!(scale > 0) || !Number.isFinite(scale)) throw new ArgumentError(`fourierFeatures: scale must be a positive number, got ${String(scale)}`);
  const B = normal([inputDim, features], { std: scale, seed: opts.seed, dtype: opts.dtype });
  const apply = (X: Tensor): Tensor => {
    if (!(X instanceof Tensor)) throw new ArgumentError(`fourierFeatures.apply: X must be a Tensor, got ${typeof X}`);
    if (X.shape.at(-1) !== inputDim)
      throw new ShapeError(`fourierFeatures.apply: X has shape ${fmtShape(X.shape)}; its last axis must be inputDim = ${inputDim}`);
    const angles = X.matmul(B).mul(2 * Math.PI);
    return concat([angles.cos(), angles.sin()], -1);
  };
  return { B, apply };
}
