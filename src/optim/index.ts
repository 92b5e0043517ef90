// The `optim` namespace: optimizers as pure transformations over pytrees (sgd, adam, adamw),
// learning-rate schedules, the Optimizer convenience class, and L-BFGS with a strong-Wolfe line search.

export { sgd, adam, adamw, applyUpdates } from './transforms.js';
export type {
  LearningRate,
  ScalarState,
  SgdState,
  AdamState,
  OptimizerStates,
  StateKind,
  GradientTransformation,
  SgdOptions,
  AdamOptions,
  AdamWOptions,
} from './transforms.js';
export { constant, exponentialDecay, cosineDecay, warmupCosine, piecewiseConstant } from './schedules.js';
export type { Schedule } from './schedules.js';
export { Optimizer } from './optimizer.js';
export { lbfgs } from './lbfgs.js';
export type { Lbfgs, LbfgsOptions, LbfgsIteration, LbfgsResult, LbfgsStop, ValueAndGrad } from './lbfgs.js';
export { strongWolfe } from './line-search.js';
export type { LineSearchOptions, LineSearchResult, Trial } from './line-search.js';
