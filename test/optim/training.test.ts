// Training loops with optim: the Optimizer class (value and step in one plan, realized state:
// the kernels of a step do not grow with the step number) and a jit-ed step whose learning rate
// and step count change every step without retracing; both against the float64 reference.

import { expect, it } from 'vitest';
import { type Tensor, type TensorLike, evaluate, full, grad, jit, optim, profile } from '../../src/index.js';
import { describeBackends } from '../helpers/backends.js';
import { expectClose } from '../webgpu/util.js';
import { type Params, loss, tanhProblem } from './problem.js';
import { lossAndGrad, refAdam, refSchedules, refSgd } from './reference.js';

describeBackends('optim training loops', (c) => {
  const n = 8,
    d = 4,
    o = 3;
  const setup = () => tanhProblem(c, n, d, o, 11);
  const close = (got: ArrayLike<number>, want: ArrayLike<number>, what: string) => expectClose(got, want, c.rtol, c.atol, what);

  it('Optimizer.valueAndStep: the loss before each step and the new parameters, as the reference', async () => {
    const { X, Y, params, problem, theta } = await setup();
    const opt = new optim.Optimizer(optim.adam({ lr: 0.03 }), params);
    const ref = refAdam(() => 0.03);
    for (let k = 0; k < 20; k++) {
      const value = await opt.valueAndStep(loss, X, Y);
      const [refLoss, g] = lossAndGrad(problem, theta);
      ref.step(theta, g, k);
      close([await value.item()], [refLoss], `loss at step ${k}`);
      close([...(await opt.params.W.data()), ...(await opt.params.b.data())], theta, `params after step ${k + 1}`);
    }
    // step(grads) is the same update
    const g = grad(loss)(opt.params, X, Y);
    await opt.step(g);
    ref.step(theta, lossAndGrad(problem, theta)[1], 20);
    close([...(await opt.params.W.data()), ...(await opt.params.b.data())], theta, 'params after step(grads)');
  });

  it('a step of the Optimizer costs the same kernels at step 3 and at step 40 (its state is realized)', async () => {
    const { X, Y, params } = await setup();
    const opt = new optim.Optimizer(optim.sgd({ lr: 0.1, momentum: 0.9 }), params);
    const kernels: number[] = [];
    for (let k = 0; k < 40; k++) {
      const p = await profile(async () => (await opt.valueAndStep(loss, X, Y)).item());
      kernels.push(p.kernels);
    }
    expect(kernels[39]).toBe(kernels[2]);
    expect(kernels[2]).toBeGreaterThan(0);
  });

  it('a jit-ed step with a schedule and an Adam state traces once for 20 steps', async () => {
    const { X, Y, params, problem, theta } = await setup();
    const tx = optim.adamw({ lr: optim.warmupCosine({ init: 0.001, peak: 0.05, warmupSteps: 4, decaySteps: 16 }), weightDecay: 0.1 });
    const ref = refAdam(refSchedules.warmupCosine(0.001, 0.05, 4, 16, 0), 0.9, 0.999, 1e-8, 0.1);
    const step = jit((p: Params, s: optim.AdamState<Params>, X: Tensor, Y: Tensor) => {
      const [u, next] = tx.update(grad(loss)(p, X, Y), s, p);
      return [optim.applyUpdates(p, u), next] as const;
    });
    let p = params;
    let s = tx.init(p);
    for (let k = 0; k < 20; k++) {
      [p, s] = step(p, s, X, Y);
      ref.step(theta, lossAndGrad(problem, theta)[1], k);
      close([...(await p.W.data()), ...(await p.b.data())], theta, `params after step ${k + 1}`);
    }
    expect(step.stats).toEqual({ traces: 1, replays: 19 });
  });

  it('a jit-ed step: a learning rate changed in the state, or passed as a dynamic number, does not retrace', async () => {
    const { X, Y, params, problem, theta } = await setup();
    const tx = optim.sgd({ lr: 0.1 });
    const ref = refSgd((k) => 0.1 / (1 + k));
    const step = jit((p: Params, s: optim.SgdState<Params>) => {
      const [u, next] = tx.update(grad(loss)(p, X, Y), s);
      return [optim.applyUpdates(p, u), next] as const;
    });
    const plain = jit(
      (p: Params, lr: TensorLike) => {
        const g = grad(loss)(p, X, Y);
        return { W: p.W.sub(g.W.mul(lr)), b: p.b.sub(g.b.mul(lr)) };
      },
      { dynamic: [1] },
    );
    let p = params;
    let q = params;
    let s = tx.init(p);
    for (let k = 0; k < 10; k++) {
      s.lr = full([], 0.1 / (1 + k), { dtype: c.dtype });
      [p, s] = step(p, s);
      q = plain(q, 0.1 / (1 + k));
      ref.step(theta, lossAndGrad(problem, theta)[1], k);
      await evaluate(p, q);
      close([...(await p.W.data()), ...(await p.b.data())], theta, `params after step ${k + 1}`);
      close([...(await q.W.data()), ...(await q.b.data())], theta, `params after step ${k + 1} (dynamic number)`);
    }
    expect(step.stats.traces).toBe(1);
    expect(plain.stats.traces).toBe(1);
  });
});
