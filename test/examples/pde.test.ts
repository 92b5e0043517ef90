// The PINN examples of examples/pde/: every residual operator, one `pde` call, against closed
// forms computed in plain JS — zero on the exact solution, and the known residual of a field that
// is not a solution (so a wrong coefficient or derivative shows) — on every backend; and, on the
// CPU in float64, a few quick training steps of each example lower its loss by a clear factor.

import { expect, it } from 'vitest';
import * as allenCahn from '../../examples/pde/allen-cahn.js';
import { type PinnProblem, boundaryPoints, boxPoints, column, trainPinn } from '../../examples/pde/common.js';
import * as heat from '../../examples/pde/heat.js';
import * as kovasznay from '../../examples/pde/kovasznay.js';
import * as plate from '../../examples/pde/plate.js';
import * as poisson from '../../examples/pde/poisson100.js';
import { problems } from '../../examples/pde/problems.js';
import { type Tensor, arange, concat } from '../../src/index.js';
import { describeBackends } from '../helpers/backends.js';
import { values } from '../helpers/batch.js';
import { expectClose } from '../helpers/finiteDiff.js';

const col = column;
/** The host coordinates of points X [N, D], one array per point. */
const rows = async (X: Tensor): Promise<number[][]> => {
  const [N, D] = X.shape as [number, number];
  const v = await values(X);
  return Array.from({ length: N }, (_, n) => v.slice(n * D, (n + 1) * D));
};
const zeros = (n: number) => new Array<number>(n).fill(0);

describeBackends('PINN examples: residual operators against closed forms', (bc) => {
  // second derivatives in float32 lose ~1e-6 relative per term (fourth: more, scaled by 1/(4π⁴))
  const tol = bc.dtype === 'float64' ? 1e-10 : 2e-4;
  const { PI: pi, sin, cos, exp } = Math;

  it('heat: u_t − κ u_xx is zero on the exact solution and x² − 2κt on it plus t x²', async () => {
    const X = boxPoints(12, [0, 0], [1, 1], 21, bc.dtype);
    expectClose(await values(heat.residual(heat.exact, X)), zeros(12), 0, tol, 'exact');
    const plus = (Z: Tensor) => heat.exact(Z).add(col(Z, 0).mul(col(Z, 1).square()));
    const want = (await rows(X)).map(([t, x]) => x! * x! - 2 * heat.kappa * t!);
    expectClose(await values(heat.residual(plus, X)), want, 0, tol, 'exact + t x²');
  });

  it('Allen–Cahn: λΔu + u − u³ − g is zero on the exact solution and known on it plus a constant', async () => {
    const X = boxPoints(12, [0, 0], [1, 1], 22, bc.dtype);
    expectClose(await values(allenCahn.residual(allenCahn.exact, X)), zeros(12), 0, tol, 'exact');
    const c = 0.3;
    const want = (await rows(X)).map(([x, y]) => {
      const s = sin(pi * x!) * sin(pi * y!);
      const g = (1 - 2 * pi * pi * allenCahn.lambda) * s - s ** 3;
      return -2 * pi * pi * allenCahn.lambda * s + (s + c) - (s + c) ** 3 - g;
    });
    expectClose(await values(allenCahn.residual((Z) => allenCahn.exact(Z).add(c), X)), want, 0, tol, 'exact + c');
  });

  it('Kovasznay: the momentum and continuity residuals vanish on the exact flow and are known for (x², xy, y)', async () => {
    const X = boxPoints(10, [-0.5, -0.5], [1, 1.5], 23, bc.dtype);
    expectClose(await values(kovasznay.residual(kovasznay.exact, X)), zeros(30), 0, tol, 'exact');
    // u u_x + v u_y + p_x − νΔu = 2x³ − 2ν; u v_x + v v_y + p_y − νΔv = 2x²y + 1; u_x + v_y = 3x
    const poly = (Z: Tensor) => {
      const [x, y] = [Z.slice([0, 0], [null, 1]), Z.slice([0, 1], [null, 2])];
      return concat([x.square(), x.mul(y), y], 1);
    };
    const want = (await rows(X)).flatMap(([x, y]) => [2 * x! ** 3 - 2 * kovasznay.nu, 2 * x! * x! * y! + 1, 3 * x!]);
    expectClose(await values(kovasznay.residual(poly, X)), want, 0, tol, '(x², xy, y)');
    // and the exact flow itself, against its formula
    const flow = (await rows(X)).flatMap(([x, y]) => {
      const e = exp(kovasznay.lam * x!);
      return [1 - e * cos(2 * pi * y!), (kovasznay.lam / (2 * pi)) * e * sin(2 * pi * y!), (1 - e * e) / 2];
    });
    expectClose(await values(kovasznay.exact(X)), flow, bc.rtol, bc.atol, 'u, v, p');
  });

  it('plate: Δ²w/(4π⁴) − w* is zero on the exact solution; Δ²(x⁴y²) = 24y² + 48x², Δ(x⁴y²) = 12x²y² + 2x⁴', async () => {
    const X = boxPoints(10, [0, 0], [1, 1], 24, bc.dtype);
    expectClose(await values(plate.residual(plate.exact, X)), zeros(10), 0, tol, 'exact');
    const w = (Z: Tensor) => col(Z, 0).pow(4).mul(col(Z, 1).square());
    const pts = await rows(X);
    const s = (x: number, y: number) => sin(pi * x) * sin(pi * y);
    expectClose(
      await values(plate.residual(w, X)),
      pts.map(([x, y]) => (24 * y! * y! + 48 * x! * x!) / (4 * pi ** 4) - s(x!, y!)),
      0,
      tol,
      'x⁴y²',
    );
    const Xb = boundaryPoints(8, [0, 0], [1, 1], 25, bc.dtype);
    const b = plate.boundaryResidual(w, Xb);
    const bp = await rows(Xb);
    expectClose(
      await values(b.w),
      bp.map(([x, y]) => x! ** 4 * y! * y!),
      bc.rtol,
      bc.atol,
      'w on the boundary',
    );
    expectClose(
      await values(b.lap),
      bp.map(([x, y]) => (12 * x! * x! * y! * y! + 2 * x! ** 4) / (2 * pi * pi)),
      0,
      tol,
      'Δw / (2π²)',
    );
  });

  it('100-D Poisson: −Δu − g is zero on the exact solution (exact Δ), and the sampled Δ of ‖x‖²/2 is D for any coordinates drawn', async () => {
    const X = boxPoints(6, new Array(100).fill(-1), new Array(100).fill(1), 26, bc.dtype);
    expectClose(await values(poisson.residual(poisson.exact, X, null, 0)), zeros(6), 0, tol, 'exact');
    const g = (await rows(X)).map((x) => x.reduce((a, v) => a + sin(v), 0) / Math.sqrt(100));
    const half = (Z: Tensor) => Z.square().sum(1).mul(0.5);
    // every sampled coordinate's ∂² is 1; the estimator's weights must bring S of them back to D = 100
    for (const seed of [1, 2]) {
      expectClose(
        await values(poisson.residual(half, X, 7, seed)),
        g.map((v) => -100 - v),
        0,
        tol * 100,
        `sampled, seed ${seed}`,
      );
    }
    // a non-isotropic field: the estimate varies with the coordinates drawn (the estimator is random)
    const aniso = (Z: Tensor) =>
      Z.square()
        .mul(arange(0, 100, 1, { dtype: bc.dtype }))
        .sum(1);
    const [a, b] = [await values(poisson.residual(aniso, X, 3, 1)), await values(poisson.residual(aniso, X, 3, 2))];
    expect(a.some((v, i) => Math.abs(v - b[i]!) > 1e-3)).toBe(true);
    // the pair of the training loss: two estimates in one call, each exact on ‖x‖²/2, independent on the other field
    for (const r of poisson.residualPair(half, X, 7, 3, 'coordinates'))
      expectClose(
        await values(r),
        g.map((v) => -100 - v),
        0,
        tol * 100,
        'pair',
      );
    const [p1, p2] = await Promise.all(poisson.residualPair(aniso, X, 3, 1, 'coordinates').map(values));
    expectClose(p1!, a, 0, tol * 100, 'first of the pair = the single estimate with its seed');
    expect(p1!.some((v, i) => Math.abs(v - p2![i]!) > 1e-3)).toBe(true);
  });
});

describeBackends(
  'PINN examples: quick training lowers the loss',
  () => {
    for (const [name, make] of Object.entries(problems)) {
      it(`${name}: loss falls by 3x or more in quick mode`, async () => {
        const { problem, settings } = make(true);
        const r = await trainPinn(problem as PinnProblem<unknown>, settings);
        expect(r.finalLoss).toBeLessThan(r.initialLoss / 3);
        expect(r.error).toBeLessThan(r.initialError);
      });
    }
  },
  { float32: false },
);
