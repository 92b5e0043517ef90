// Public entry point of wgad: tensors, ops, transformations, backends.

export { Tensor } from './tensor.js';
export type { NestedArray } from './tensor.js';
export type { DType } from './dtype.js';
export { tensor, zeros, ones, full, zerosLike, onesLike, arange, linspace, randn, rand } from './creation.js';
export type { CreateOptions, RandomOptions } from './creation.js';
export {
  add, sub, mul, div, maximum, minimum, pow, neg, exp, log, sin, cos, tanh, sigmoid, softplus, sqrt, square, abs,
  sign, relu, where, less, lessEqual, greater, greaterEqual, equal, notEqual, astype, matmul, sum, mean, max, min,
  logsumexp, stopGradient, reshape, transpose, permute, broadcastTo, expandDims, squeeze, slice, pad, concat, stack,
} from './ops.js';
export type { TensorLike } from './ops.js';
export { init, profile, realize as _realizeNodes, backend as _backend } from './runtime.js';
export type { InitOptions, BackendName, ProfileResult } from './runtime.js';
export { WgadError, ShapeError, DTypeError, ArgumentError, TransformError, BackendError } from './errors.js';
