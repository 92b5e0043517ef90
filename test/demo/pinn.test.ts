// The PINN of the demo page (demo/pinn.ts) trained in Node on the CPU backend: the Laplacian loss
// through collapsed Taylor mode, its gradient by reverse mode and Adam must actually solve the
// Poisson problem (against the exact solution, not against wgad).

import { beforeAll, describe, expect, it } from 'vitest';
import { init, tensor } from '../../src/index.js';
import { PinnTrainer, exact, initParams, pdeLoss, solution } from '../../demo/pinn.js';

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
});
