// Public entry point of wgad: tensors, ops, transformations, backends.

export { Tensor } from './tensor.js';
export type { NestedArray } from './tensor.js';
export type { DType } from './dtype.js';
export { tensor, zeros, ones, full, zerosLike, onesLike, arange, linspace, randn, rand } from './creation.js';
export type { CreateOptions, RandomOptions } from './creation.js';
export {
  add,
  sub,
  mul,
  div,
  maximum,
  minimum,
  atan2,
  pow,
  neg,
  exp,
  log,
  log1p,
  expm1,
  erf,
  gelu,
  sin,
  cos,
  tanh,
  sigmoid,
  softplus,
  sqrt,
  square,
  abs,
  sign,
  relu,
  where,
  less,
  lessEqual,
  greater,
  greaterEqual,
  equal,
  notEqual,
  astype,
  matmul,
  sum,
  mean,
  max,
  min,
  logsumexp,
  stopGradient,
  reshape,
  transpose,
  permute,
  broadcastTo,
  expandDims,
  squeeze,
  slice,
  pad,
  concat,
  stack,
} from './ops.js';
export type { TensorLike } from './ops.js';
import './backend/webgpu/register.js'; // makes init({ backend: 'webgpu' | 'auto' }) find WebGPU
export { init, backendInfo, profile } from './runtime.js';
export type { BackendChoice } from './backend/choice.js';
export { evaluate, print } from './evaluate.js';
export type { InitOptions, CpuOptions, BackendName, ProfileResult } from './runtime.js';
export { WgadError, ShapeError, DTypeError, ArgumentError, TransformError, BackendError } from './errors.js';
export { jvp } from './ad/jvp.js';
export { vjp, grad, valueAndGrad } from './ad/vjp.js';
export type { GradOptions, Pullback } from './ad/vjp.js';
export { hvp, jacfwd, jacrev, jacobian, hessian } from './ad/mixed.js';
export type { HvpMode, HvpOptions, JacOptions } from './ad/mixed.js';
export { vmap } from './ad/vmap.js';
export type { AxisSpec, InAxes, VmapOptions } from './ad/vmap.js';
export { linearize, linearTranspose } from './ad/linearize.js';
export { jacobianColoring, detectSparsity } from './ad/sparse.js';
export { cg, fixedPoint, customRoot } from './ad/solve.js';
export type { CgOptions, FixedPointOptions, RootOptions } from './ad/solve.js';
export type { Sparsity, Coloring } from './ad/sparse.js';
export type { LinearFn } from './ad/linearize.js';
export { customJet, customJvp, customVjp } from './ad/custom.js';
export type { JvpRuleFn, JetRuleFn, BwdFn, FwdFn, Cotangents } from './ad/custom.js';
export type { Argnums, GradOf, JacobianOf, HessianOf, LeavesAs, Zeroable } from './ad/types.js';
export { jet, jetDirections } from './ad/taylor.js';
export type { JetOptions, TaylorStats } from './ad/taylor.js';
export { collapsedJet } from './ad/collapse.js';
export type { CollapsedJetOptions, CollapsedOut } from './ad/collapse.js';
export { laplacian, biharmonic, operatorCost } from './ad/operators.js';
export type { LaplacianOptions, BiharmonicOptions, EstimatorOptions, OperatorMethod, OperatorCost, PdeCostOptions } from './ad/operators.js';
export { pde } from './ad/pde.js';
export type { PdeOptions, PdeResult } from './ad/pde.js';
export type { PdeSpec, PdeTerm, Coords, TraceFactor, FieldOf } from './ad/pde-plan.js';
export { jit } from './jit.js';
export type { JitStats, JitOptions, DynamicIndex } from './jit.js';
export * as optim from './optim/index.js';
export * as nn from './nn/index.js';
export { softmax, logSoftmax } from './nn/softmax.js';
export { layerNorm } from './nn/layer-norm.js';
export type { LayerNormOptions } from './nn/layer-norm.js';
export { attention } from './nn/attention.js';
export type { AttentionOptions } from './nn/attention.js';
export { argmax, argmin, oneHot, take, gather } from './nn/indexing.js';
