// The plain-JS references bench/workloads.ts checks wgad and PyTorch against: the hand-written
// forward Laplacian reproduces platform.md's exact values for the benchmark MLP, mlpData draws the
// test fixture's (independent) LCG numbers, and the finite-difference checks of a gradient and of
// a Hessian-vector product accept the closed form of a cubic and reject a wrong one.

import { describe, expect, it } from 'vitest';
import { mlpData } from '../../bench/mlp.js';
import { type Leaves, directionalCheck, forwardLaplacian, hvpCheck, leavesOf } from '../../bench/workload-reference.js';
import { platformData } from '../taylor/mlp.js';

describe('bench workload references', () => {
  it('mlpData draws the fixture MLP numbers (W transposed to [inputs, outputs])', () => {
    const m = mlpData(16, [64, 64], 256);
    const p = platformData();
    const W1 = m.layers[0]!.W;
    for (let o = 0; o < 64; o++) for (let i = 0; i < 16; i++) expect(W1[i * 64 + o]).toBe(p.W1[o * 16 + i]);
    expect(m.layers[1]!.b).toEqual(p.b2);
    expect(m.wOut).toEqual(p.W3);
    expect(m.bOut).toBe(p.b3);
    expect(m.X).toEqual(p.X);
  });

  it('the forward Laplacian gives platform.md values: Δf(X[0]) = 0.420555924049, Σ = 29.7705016689', () => {
    const m = mlpData(16, [64, 64], 256);
    const { lap } = forwardLaplacian(m, leavesOf(m));
    expect(Math.abs(lap[0]! - 0.420555924049)).toBeLessThan(5e-12);
    expect(Math.abs(lap.reduce((s, x) => s + x, 0) - 29.7705016689)).toBeLessThan(5e-10);
  });

  // L(p) = Σ a_j p_j³ / 6: ∇L = a p² / 2, H = diag(a p)
  const a = [new Float64Array([0.5, -1.25, 2]), new Float64Array([0.75])];
  const p: Leaves = [new Float64Array([0.3, -0.7, 1.1]), new Float64Array([-0.4])];
  const v: Leaves = [new Float64Array([1, 0.5, -0.25]), new Float64Array([2])];
  const u: Leaves = [new Float64Array([-0.5, 1, 0.75]), new Float64Array([0.5])];
  const loss = (q: Leaves): number => q.reduce((s, leaf, i) => s + leaf.reduce((t, x, j) => t + (a[i]![j]! * x ** 3) / 6, 0), 0);
  const grad = p.map((leaf, i) => leaf.map((x, j) => (a[i]![j]! * x * x) / 2));
  const hv = p.map((leaf, i) => leaf.map((x, j) => a[i]![j]! * x * v[i]![j]!));

  it('directionalCheck accepts the gradient and rejects a wrong one', () => {
    expect(directionalCheck(loss, p, grad, v)).toBeLessThan(1e-8);
    const wrong = grad.map((leaf) => leaf.map((x, j) => (j === 0 ? x * 1.001 : x)));
    expect(directionalCheck(loss, p, wrong, v)).toBeGreaterThan(1e-5);
  });

  it('hvpCheck accepts H v and rejects a wrong one', () => {
    expect(hvpCheck(loss, p, hv, u, v)).toBeLessThan(1e-6);
    const wrong = hv.map((leaf, i) => leaf.map((x) => (i === 1 ? x * 1.001 : x)));
    expect(hvpCheck(loss, p, wrong, u, v)).toBeGreaterThan(1e-4);
  });
});
