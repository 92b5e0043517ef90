// The workbench's problem table (demo/problems.ts): each problem's exact solution must make its
// interior residual (one `pde` call) and its boundary residual vanish — a check of the equations,
// the closed-form solutions and wgad's PDE operators against each other — on every backend and
// with every operator method; a perturbed solution must not. A few Adam steps of the trainer
// (demo/trainer.ts) must lower every problem's loss on the CPU.

import { describe, expect, it } from 'vitest';
import { type OperatorMethod, type Tensor, init } from '../../src/index.js';
import { type Field, PROBLEMS, PROBLEM_IDS, type ProblemSetup, boundaryPoints, col, gridPoints, interiorPoints } from '../../demo/problems.js';
import { DEFAULT_CONFIG, Trainer } from '../../demo/trainer.js';
import { describeBackends } from '../helpers/backends.js';

const maxAbs = async (t: Tensor): Promise<number> => t.abs().max().item();
const setupFor = (method: OperatorMethod, dim = 12): ProblemSetup => ({ method, dim, samples: 3, seed: 5 });

describeBackends('workbench problems: the exact solution solves each problem', (c) => {
  // float64: rounding only; float32: the scaled residuals are order 1 and up to 4th derivatives are taken
  const tol = c.dtype === 'float64' ? 1e-9 : 2e-3;
  for (const id of PROBLEM_IDS) {
    const methods: OperatorMethod[] = c.dtype === 'float64' ? ['collapsed', 'taylor', 'nested'] : ['collapsed'];
    for (const method of methods) {
      it(`${id} (${method}): interior and boundary residuals of u* vanish`, async () => {
        const p = PROBLEMS[id];
        const s = setupFor(method);
        const X = interiorPoints(p, s, 24, 11, c.dtype);
        const Xb = boundaryPoints(p, s, 24, 12, c.dtype);
        const r = p.residual(p.exact, X, s);
        expect(r.shape[0]).toBe(24);
        expect(await maxAbs(r)).toBeLessThan(tol);
        expect(await maxAbs(p.boundary(p.exact, Xb, s))).toBeLessThan(tol);
      });
    }
    it(`${id}: a perturbed solution leaves a residual`, async () => {
      const p = PROBLEMS[id];
      const s = setupFor('collapsed');
      const X = interiorPoints(p, s, 24, 11, c.dtype);
      // u* + 0.05 cos(3πx0) (all components): every derivative changes
      const bumped: Field = (Z) =>
        p.exact(Z).add(
          col(Z, 0)
            .mul(3 * Math.PI)
            .cos()
            .mul(0.05),
        );
      expect(await maxAbs(p.residual(bumped, X, s))).toBeGreaterThan(1e-3);
    });
  }
});

describe('workbench problems: points and grids (CPU)', () => {
  it('interior points lie in the box, boundary points on a face, the grid spans the plot axes', async () => {
    await init({ backend: 'cpu' });
    for (const id of PROBLEM_IDS) {
      const p = PROBLEMS[id];
      const s = setupFor('collapsed', 10);
      const box = p.domain(s);
      const D = box.length;
      const X = Array.from(await interiorPoints(p, s, 40, 3, 'float64').data());
      X.forEach((v, i) => {
        expect(v).toBeGreaterThanOrEqual(box[i % D]![0]);
        expect(v).toBeLessThanOrEqual(box[i % D]![1]);
      });
      const B = Array.from(await boundaryPoints(p, s, 40, 3, 'float64').data());
      const faces = p.faces(D);
      for (let k = 0; k < 40; k++) {
        const f = faces[k % faces.length]!;
        expect(B[k * D + f.coord]).toBe(box[f.coord]![f.side === 'lo' ? 0 : 1]);
      }
      const G = Array.from(await gridPoints(p, s, 4, 'float64').data());
      const [h, v] = p.plotAxes;
      expect(G[h]).toBeCloseTo(box[h]![0] + (box[h]![1] - box[h]![0]) / 8, 12);
      expect(G[(4 * 4 - 1) * D + v]).toBeCloseTo(box[v]![1] - (box[v]![1] - box[v]![0]) / 8, 12);
    }
  });
});

describe('workbench trainer (CPU, float32)', () => {
  for (const id of PROBLEM_IDS) {
    it(`${id}: 15 Adam steps lower the loss`, async () => {
      await init({ backend: 'cpu' });
      const tr = new Trainer({ ...DEFAULT_CONFIG, problem: id, width: 16, depth: 2, points: 64, dim: 10 });
      const losses: number[] = [];
      for (let s = 0; s < 15; s++) losses.push(await tr.step());
      expect(losses.every(Number.isFinite)).toBe(true);
      expect(losses[14]!).toBeLessThan(losses[0]! * 0.9);
    }, 60_000);
  }
});
