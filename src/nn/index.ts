// The `nn` namespace: seeded parameter initializers, an MLP helper, random Fourier features, and
// the fused model ops with explicit rules (softmax, logSoftmax, layerNorm, attention; gelu is an
// elementwise op of src/ops.ts, re-exported here).

import './methods.js'; // installs the Tensor methods softmax, argmax, take, ...

export { glorotUniform, glorotNormal, heUniform, heNormal, uniform, normal, zeros, fans } from './init.js';
export type { Initializer, InitOptions } from './init.js';
export { mlp } from './mlp.js';
export type { Activation, Layer, MlpParams, MlpOptions, Mlp } from './mlp.js';
export { fourierFeatures } from './fourier.js';
export type { FourierFeatureOptions, FourierFeatures } from './fourier.js';
export { softmax, logSoftmax } from './softmax.js';
export { layerNorm } from './layer-norm.js';
export type { LayerNormOptions } from './layer-norm.js';
export { attention } from './attention.js';
export type { AttentionOptions } from './attention.js';
export { gelu } from '../ops.js';
