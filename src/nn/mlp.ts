// A multilayer perceptron: parameters as a typed list of layers { W: [in, out], b: [out] }
// (seeded initializers, ./init.ts) and a pure apply(params, X), so the parameters go through
// grad, jit and the optimizers as an ordinary pytree.

import { Rng, nextDefaultSeed } from '../random.js';
import type { DType } from '../dtype.js';
import { ArgumentError, ShapeError, fmtShape } from '../errors.js';
import { Tensor } from '../tensor.js';
import { type Initializer, glorotNormal, zeros } from './init.js';

/** An activation by name, or any function of a tensor. */
export type Activation = 'tanh' | 'relu' | 'sigmoid' | 'softplus' | 'gelu' | 'sin' | ((x: Tensor) => Tensor);

export interface Layer {
  W: Tensor;
  b: Tensor;
}

export type MlpParams = Layer[];

export interface MlpOptions {
  /** Widths from input to output: [in, hidden..., out] (at least two). */
  sizes: number[];
  /** Between hidden layers; the output layer is linear (default 'tanh'). */
  activation?: Activation;
  /** Weight initializer (default glorotNormal). */
  init?: Initializer;
  /** Bias initializer (default zeros). */
  biasInit?: Initializer;
  /** Seed of the first layer's draws; each tensor gets its own seed derived from it. */
  seed?: number;
  dtype?: DType;
}

export interface Mlp {
  /** The initial parameters. */
  readonly params: MlpParams;
  /** The network at `params` on X: [..., in] -> [..., out]. */
  apply(params: MlpParams, X: Tensor): Tensor;
}

const ACTIVATIONS = {
  tanh: (x: Tensor) => x.tanh(),
  relu: (x: Tensor) => x.relu(),
  sigmoid: (x: Tensor) => x.sigmoid(),
  softplus: (x: Tensor) => x.softplus(),
  gelu: (x: Tensor) => x.gelu(),
  sin: (x: Tensor) => x.sin(),
} satisfies Record<Exclude<Activation, (x: Tensor) => Tensor>, (x: Tensor) => Tensor>;

function activationOf(a: Activation): (x: Tensor) => Tensor {
  if (typeof a === 'function') return a;
  const f = ACTIVATIONS[a];
  if (!f) throw new ArgumentError(`mlp: unknown activation ${JSON.stringify(a)} (expected ${Object.keys(ACTIVATIONS).join(', ')} or a function)`);
  return f;
}

/** An MLP's initial parameters and its apply function. */
export function mlp(opts: MlpOptions): Mlp {
  const sizes = opts?.sizes;
  if (!Array.isArray(sizes) || sizes.length < 2 || sizes.some((s) => !Number.isInteger(s) || s < 1)) {
    throw new ArgumentError(`mlp: sizes must list at least two positive integer widths [in, ..., out], got ${JSON.stringify(sizes)}`);
  }
  const act = activationOf(opts.activation ?? 'tanh');
  const init = opts.init ?? glorotNormal;
  const biasInit = opts.biasInit ?? zeros;
  const seeds = new Rng(opts.seed ?? nextDefaultSeed());
  const dtype = opts.dtype;
  const params: MlpParams = sizes.slice(1).map((out, i) => ({
    W: init([sizes[i]!, out], { seed: seeds.nextUint32(), dtype }),
    b: biasInit([out], { seed: seeds.nextUint32(), dtype }),
  }));
  const apply = (p: MlpParams, X: Tensor): Tensor => {
    if (!Array.isArray(p) || p.length !== sizes.length - 1) {
      throw new ArgumentError(
        `mlp.apply: params must be a list of ${sizes.length - 1} layers { W, b }, got ${Array.isArray(p) ? `${p.length} layers` : typeof p}`,
      );
    }
    if (!(X instanceof Tensor)) throw new ArgumentError(`mlp.apply: X must be a Tensor, got ${typeof X}`);
    if (X.shape.at(-1) !== sizes[0]) throw new ShapeError(`mlp.apply: X has shape ${fmtShape(X.shape)}; its last axis must be the input width ${sizes[0]}`);
    let h = X;
    p.forEach((layer, i) => {
      h = h.matmul(layer.W).add(layer.b);
      if (i < p.length - 1) h = act(h);
    });
    return h;
  };
  return { params, apply };
}
