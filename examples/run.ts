// Runs the examples on small random problems and prints what each computes.
// Run: npx tsx examples/run.ts [--backend cpu|webgpu]  (test/examples/ checks them against references)

import { type DType, type Tensor, grad, init, randn, tensor } from '../src/index.js';
import { hypergradient } from './hypergradient.js';
import { metaGradient, metaLoss } from './maml.js';
import { logisticLoss, newtonCg } from './newton-cg.js';
import { perExampleGradNorms } from './per-example-gradients.js';

async function main(): Promise<void> {
  const i = process.argv.indexOf('--backend');
  const backend = (i >= 0 ? process.argv[i + 1] : 'cpu') as 'cpu' | 'webgpu';
  await init({ backend });
  const dtype: DType = backend === 'cpu' ? 'float64' : 'float32';
  const show = async (name: string, t: Tensor) => console.log(name.padEnd(44), Array.from(await t.data(), (v) => v.toPrecision(6)).join(' '));

  const X = randn([8, 3], { seed: 1, dtype });
  const Y = randn([8], { seed: 2, dtype });
  await show('per-example gradient norms', perExampleGradNorms({ w: randn([3], { seed: 3, dtype }), b: tensor(0.1, { dtype }) }, X, Y));

  const Xl = randn([64, 5], { seed: 4, dtype });
  const S = Xl.matmul(randn([5], { seed: 5, dtype }))
    .add(randn([64], { seed: 6, dtype }).mul(0.5))
    .sign();
  const w = await newtonCg(Xl, S, 0.1, randn([5], { seed: 7, dtype }).mul(0), 6);
  await show(
    'Newton-CG: ‖∇L‖ after 6 steps',
    grad(logisticLoss(Xl, S, 0.1))(w)
      .square()
      .sum()
      .sqrt(),
  );

  const T = 4;
  const xs = randn([T, 5, 1], { seed: 8, dtype }).mul(2);
  const xq = randn([T, 5, 1], { seed: 9, dtype }).mul(2);
  const amp = randn([T, 1, 1], { seed: 10, dtype }).abs().add(0.5);
  const phase = randn([T, 1, 1], { seed: 11, dtype });
  const [ys, yq] = [xs.add(phase).sin().mul(amp), xq.add(phase).sin().mul(amp)];
  const p = { W1: randn([1, 8], { seed: 12, dtype }), b1: randn([8], { seed: 13, dtype }), W2: randn([8, 1], { seed: 14, dtype }).mul(0.3) };
  await show('MAML meta-loss', metaLoss(p, xs, ys, xq, yq, 0.1));
  await show('MAML meta-gradient, b1', metaGradient(p, xs, ys, xq, yq, 0.1).b1);

  const r = {
    X: randn([40, 4], { seed: 15, dtype }),
    y: randn([40], { seed: 16, dtype }),
    Xv: randn([20, 4], { seed: 17, dtype }),
    yv: randn([20], { seed: 18, dtype }),
    eta: 0.4,
    iterations: 80,
  };
  const lambda = tensor(0.3, { dtype });
  await show('hypergradient dV/dλ, implicit', hypergradient(r, lambda, 'implicit'));
  await show('hypergradient dV/dλ, unrolled', hypergradient(r, lambda, 'unrolled'));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
