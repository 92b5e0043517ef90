// The PINN of the demo page (demo/pinn.ts) trained in Node on the CPU backend: the Laplacian loss
// through collapsed Taylor mode, its gradient by reverse mode and Adam must actually solve the
// Poisson problem (against the exact solution, not against wgad).

import { beforeAll, describe, expect, it } from 'vitest';
import { init, optim, rand, tensor, valueAndGrad } from '../../src/index.js';
import { type Params, PinnTrainer, exact, initParams, pdeLoss, solution } from '../../demo/pinn.js';

describe('PINN demo model (CPU, float32)', () => {
  beforeAll(async () => {
    await init({ backend: 'cpu' });
  });

  it('satisfies the boundary condition exactly', async () => {
    const p = initParams(8, 3);
    const edge = tensor([
      [0, 0.3],
      [1, 0.7],
      [0.2, 0],
      [0.9, 1],
    ]);
    expect(Array.from(await solution(p, edge).data(), Math.abs)).toEqual([0, 0, 0, 0]);
  });

  it('the exact solution is sin(πx) sin(πy) and the loss is finite', async () => {
    const X = tensor([[0.25, 0.5]]);
    expect((await exact(X).data())[0]).toBeCloseTo(Math.sin(Math.PI / 4), 6);
    expect(Number.isFinite(await pdeLoss(initParams(8, 3), X).item())).toBe(true);
  });

  it('300 Adam steps bring the residual down 100-fold and u within 0.05 of sin(πx) sin(πy)', async () => {
    const tr = new PinnTrainer({ seed: 7 });
    const first = await tr.step();
    let last = first;
    for (let s = 1; s < 300; s++) last = await tr.step();
    expect(last).toBeLessThan(first / 100);
    const { maxError } = await tr.grid(16);
    expect(maxError).toBeLessThan(0.05);
  }, 120_000);

  it('L-BFGS after 150 Adam steps (optim): 40 iterations lower the loss 5-fold, more than 60 further Adam steps', async () => {
    const X = rand([128, 2], { seed: 107 });
    const opt = new optim.Optimizer(optim.adam({ lr: 0.01 }), initParams(16, 7));
    for (let s = 0; s < 150; s++) await opt.valueAndStep(pdeLoss, X);
    const afterAdam = await pdeLoss(opt.params, X).item();
    const res = await optim.lbfgs({ maxIter: 40, tolChange: 0 }).minimize((p: Params) => valueAndGrad(pdeLoss)(p, X), opt.params);
    expect(res.value).toBeLessThan(afterAdam / 5);
    expect(res.value).toBeCloseTo(await pdeLoss(res.params, X).item(), 6);
    for (let s = 0; s < 60; s++) await opt.valueAndStep(pdeLoss, X);
    expect(res.value).toBeLessThan(await pdeLoss(opt.params, X).item());
  }, 120_000);
});
