// Type-level tests of optim and nn: the parameters' pytree type flows through init, update,
// applyUpdates, the Optimizer and L-BFGS, so a misspelt key is a compile error. Checked by tsc,
// never run (see transforms.test-d.ts).

import { expectTypeOf } from 'vitest';
import { type Tensor, grad, nn, optim, valueAndGrad } from '../../src/index.js';

import { type Params, X, loss, params } from './transforms.test-d.js';

// Never called: the bodies are only type-checked.
export async function optimizers(): Promise<void> {
  const tx = optim.adam({ lr: optim.cosineDecay({ init: 1e-3, decaySteps: 100 }) });
  const state = tx.init(params);
  expectTypeOf(state.mu).toEqualTypeOf<Params>();
  expectTypeOf(state.count).toEqualTypeOf<Tensor>();
  const [updates, next] = tx.update(grad(loss)(params, X), state, params);
  expectTypeOf(updates).toEqualTypeOf<Params>();
  expectTypeOf(next).toEqualTypeOf<optim.AdamState<Params>>();
  // @ts-expect-error a misspelt key of the updates
  void updates.W2;
  // @ts-expect-error the gradient must have the parameters' type
  tx.update({ W1: X }, state, params);
  const p2 = optim.applyUpdates(params, updates);
  expectTypeOf(p2).toEqualTypeOf<Params>();
  // @ts-expect-error updates of another structure
  optim.applyUpdates(params, { W: X });

  const sgdState = optim.sgd({ lr: 0.1, momentum: 0.9 }).init(params);
  expectTypeOf(sgdState.trace).toEqualTypeOf<Params | undefined>();
  // @ts-expect-error an SGD state is not an Adam state
  tx.update(updates, sgdState, params);

  const opt = new optim.Optimizer(optim.adamw({ lr: 1e-3 }), params);
  expectTypeOf(opt.params).toEqualTypeOf<Params>();
  expectTypeOf(await opt.valueAndStep(loss, X)).toEqualTypeOf<Tensor>();
  // @ts-expect-error the loss's data arguments are checked
  await opt.valueAndStep(loss, params);
  // @ts-expect-error a misspelt key of the parameters
  void opt.params.b2;

  const res = await optim.lbfgs({ memory: 5 }).minimize((p: Params) => valueAndGrad(loss)(p, X), params);
  expectTypeOf(res.params).toEqualTypeOf<Params>();
  // @ts-expect-error a misspelt key of the result
  void res.params.layer;
}

export function networks(): void {
  const net = nn.mlp({ sizes: [2, 16, 1], seed: 0 });
  expectTypeOf(net.params).toEqualTypeOf<nn.MlpParams>();
  expectTypeOf(net.apply(net.params, X)).toEqualTypeOf<Tensor>();
  // @ts-expect-error a layer has W and b
  void net.params[0]!.w;
  const g = grad((p: nn.MlpParams) => net.apply(p, X).sum())(net.params);
  expectTypeOf(g).toEqualTypeOf<nn.MlpParams>();
}
