// The `nn` namespace: seeded parameter initializers, an MLP helper and random Fourier features.

export { glorotUniform, glorotNormal, heUniform, heNormal, uniform, normal, zeros, fans } from './init.js';
export type { Initializer, InitOptions } from './init.js';
export { mlp } from './mlp.js';
export type { Activation, Layer, MlpParams, MlpOptions, Mlp } from './mlp.js';
export { fourierFeatures } from './fourier.js';
export type { FourierFeatureOptions, FourierFeatures } from './fourier.js';
