// The convenience training step: an Optimizer holds the parameters and the optimizer state and,
// at every step, computes the new ones and realizes them (one plan, through evaluate), so that a
// plain loop holds computed values instead of a lazy chain back to the first step (docs/training.md:
// without it every read recomputes the whole history).

import { valueAndGrad } from '../ad/vjp.js';
import { evaluate } from '../evaluate.js';
import type { Tensor } from '../tensor.js';
import { type GradientTransformation, type OptimizerStates, type StateKind, applyUpdates } from './transforms.js';

export class Optimizer<P, K extends StateKind = StateKind> {
  /** The current parameters (computed values after each step). */
  params: P;
  /** The optimizer state (computed after each step); its `lr` may be replaced between steps. */
  state: OptimizerStates<P>[K];

  constructor(
    readonly transform: GradientTransformation<K>,
    params: P,
  ) {
    this.params = params;
    this.state = transform.init(params);
  }

  /** Applies one update from `grads` (the parameters' structure); returns the new, computed parameters. */
  async step(grads: P): Promise<P> {
    await this.advance(grads);
    return this.params;
  }

  /**
   * One step on `loss(params, ...data)`: its value and gradient, the update, all computed in one
   * plan. Returns the loss at the parameters before the step (a computed 0-d tensor).
   */
  async valueAndStep<A extends unknown[]>(loss: (params: P, ...data: A) => Tensor, ...data: A): Promise<Tensor> {
    const [value, grads] = valueAndGrad(loss as (params: P, ...data: unknown[]) => Tensor)(this.params, ...data);
    await this.advance(grads as P, value);
    return value;
  }

  private async advance(grads: P, ...alsoCompute: Tensor[]): Promise<void> {
    const [updates, state] = this.transform.update(grads, this.state, this.params);
    const params = applyUpdates(this.params, updates);
    await evaluate(params, state, alsoCompute);
    this.params = params;
    this.state = state;
  }
}
