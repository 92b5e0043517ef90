// The two phases of PINN training: Adam, then L-BFGS. The Poisson problem of the demo (demo/pinn.ts:
// Δu = f on the unit square, u = 0 on the boundary, exact solution sin(πx) sin(πy)), its loss the
// mean squared residual with the Laplacian by collapsed Taylor mode; optim.Optimizer runs Adam,
// optim.lbfgs continues from its parameters. Prints the loss and the max error on a grid after each.
// Run: npx tsx examples/pinn-lbfgs.ts [--backend cpu|webgpu|auto] [--adam 500] [--lbfgs 200]

import { type Params, exact, initParams, pdeLoss, solution } from '../demo/pinn.js';
import { type Tensor, init, optim, rand, tensor, valueAndGrad } from '../src/index.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

async function maxError(p: Params, n = 16): Promise<number> {
  const pts: number[] = [];
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) pts.push((j + 0.5) / n, (i + 0.5) / n);
  const G = tensor(pts, { shape: [n * n, 2] });
  return solution(p, G).sub(exact(G)).abs().max().item();
}

async function main(): Promise<void> {
  const backend = await init({ backend: arg('backend', 'auto') as 'auto' });
  const adamSteps = Number(arg('adam', '500'));
  const lbfgsIter = Number(arg('lbfgs', '200'));
  const X = rand([256, 2], { seed: 107 });
  const params = initParams(24, 7);

  let t0 = performance.now();
  const opt = new optim.Optimizer(optim.adam({ lr: 0.01 }), params);
  let value: Tensor | null = null;
  for (let s = 0; s < adamSteps; s++) value = await opt.valueAndStep(pdeLoss, X);
  const adamLoss = await pdeLoss(opt.params, X).item();
  console.log(
    `${backend}: Adam, ${adamSteps} steps: loss ${adamLoss.toExponential(3)} (last step's ${value ? (await value.item()).toExponential(3) : '-'}), max error ${(await maxError(opt.params)).toExponential(3)}, ${((performance.now() - t0) / adamSteps).toFixed(1)} ms a step`,
  );

  t0 = performance.now();
  const res = await optim.lbfgs({ maxIter: lbfgsIter, tolChange: 1e-14 }).minimize((p: Params) => valueAndGrad(pdeLoss)(p, X), opt.params);
  console.log(
    `${backend}: L-BFGS, ${res.iterations} iterations (${res.evaluations} evaluations, stopped by ${res.reason}): loss ${res.value.toExponential(3)}, max error ${(await maxError(res.params)).toExponential(3)}, ${((performance.now() - t0) / res.evaluations).toFixed(1)} ms an evaluation`,
  );
}

void main();
