// Parameter initializers: seeded (the same seed gives the same numbers on every backend and in
// both dtypes, src/random.ts), drawn on the host into constant tensors. Fans follow the matmul
// convention x @ W of this library: for W of shape [..., fanIn, fanOut] the leading axes are a
// receptive field that multiplies both (a 1-D shape [n] has fanIn = fanOut = n).

import { type RandomOptions, full, randomTensor } from '../creation.js';
import { ArgumentError } from '../errors.js';
import { checkShape } from '../ir/shape.js';
import type { Tensor } from '../tensor.js';

/** seed and dtype, as for randn / rand. */
export type InitOptions = RandomOptions;

/** Makes a parameter tensor of a shape. */
export type Initializer = (shape: number[], opts?: InitOptions) => Tensor;

/** fanIn and fanOut of a weight of `shape` (see the header). */
export function fans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length === 0) return { fanIn: 1, fanOut: 1 };
  if (shape.length === 1) return { fanIn: shape[0]!, fanOut: shape[0]! };
  const field = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return { fanIn: shape.at(-2)! * field, fanOut: shape.at(-1)! * field };
}

/** fans() of a validated shape (an empty tensor has fans of 0 and no value to scale). */
function checkedFans(op: string, shape: number[]): { fanIn: number; fanOut: number } {
  return fans(checkShape(op, shape));
}

/** Uniform in [−limit, limit). */
function symmetricUniform(op: string, shape: number[], limit: number, opts?: InitOptions): Tensor {
  return randomTensor(op, shape, opts, (r) => (2 * r.uniform() - 1) * limit);
}

function scaledNormal(op: string, shape: number[], std: number, opts?: InitOptions): Tensor {
  return randomTensor(op, shape, opts, (r) => r.normal() * std);
}

/** Glorot & Bengio (2010): uniform in ±√(6 / (fanIn + fanOut)), variance 2 / (fanIn + fanOut). */
export const glorotUniform: Initializer = (shape, opts) => {
  const { fanIn, fanOut } = checkedFans('glorotUniform', shape);
  return symmetricUniform('glorotUniform', shape, Math.sqrt(6 / (fanIn + fanOut)), opts);
};

/** Glorot & Bengio (2010): normal with variance 2 / (fanIn + fanOut) (not truncated). */
export const glorotNormal: Initializer = (shape, opts) => {
  const { fanIn, fanOut } = checkedFans('glorotNormal', shape);
  return scaledNormal('glorotNormal', shape, Math.sqrt(2 / (fanIn + fanOut)), opts);
};

/** He et al. (2015): uniform in ±√(6 / fanIn), variance 2 / fanIn (for ReLU networks). */
export const heUniform: Initializer = (shape, opts) => {
  const { fanIn } = checkedFans('heUniform', shape);
  return symmetricUniform('heUniform', shape, Math.sqrt(6 / fanIn), opts);
};

/** He et al. (2015): normal with variance 2 / fanIn (not truncated). */
export const heNormal: Initializer = (shape, opts) => {
  const { fanIn } = checkedFans('heNormal', shape);
  return scaledNormal('heNormal', shape, Math.sqrt(2 / fanIn), opts);
};

/** Uniform in [low, high) (default [0, 1)). */
export function uniform(shape: number[], opts: InitOptions & { low?: number; high?: number } = {}): Tensor {
  const low = opts.low ?? 0;
  const high = opts.high ?? 1;
  if (!Number.isFinite(low) || !Number.isFinite(high) || !(low < high))
    throw new ArgumentError(`uniform: needs finite low < high, got low = ${low}, high = ${high}`);
  return randomTensor('uniform', shape, opts, (r) => low + (high - low) * r.uniform());
}

/** Normal with mean `mean` (default 0) and standard deviation `std` (default 1). */
export function normal(shape: number[], opts: InitOptions & { mean?: number; std?: number } = {}): Tensor {
  const mean = opts.mean ?? 0;
  const std = opts.std ?? 1;
  if (!Number.isFinite(mean) || !(std >= 0) || !Number.isFinite(std))
    throw new ArgumentError(`normal: needs a finite mean and std ≥ 0, got mean = ${mean}, std = ${std}`);
  return randomTensor('normal', shape, opts, (r) => mean + std * r.normal());
}

/** Zeros (the usual bias initializer); the seed is ignored. */
export const zeros: Initializer = (shape, opts) => full(shape, 0, opts?.dtype === undefined ? undefined : { dtype: opts.dtype });
