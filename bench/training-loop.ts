// Memory over a long training loop: a small tanh MLP fitted by plain gradient descent for
// --steps steps (default 10,000) on the chosen backend, realizing the new parameters each step.
// Prints bytes allocated, live bytes and pipelines every 1,000 steps: all must stay flat.
// Run: npx tsx bench/training-loop.ts [--backend webgpu|cpu|auto] [--steps 10000]

import { type Tensor, _backend, grad, init, randn, tensor } from '../src/internal.js';
import { arg } from './util.js';

type Params = { W1: Tensor; b1: Tensor; W2: Tensor };

function loss(p: Params, x: Tensor, y: Tensor): Tensor {
  const pred = x.matmul(p.W1).add(p.b1).tanh().matmul(p.W2);
  return pred.sub(y).square().mean();
}

async function main(): Promise<void> {
  const chosen = await init({ backend: arg('backend', 'webgpu') as 'webgpu' });
  const steps = Number(arg('steps', '10000'));
  const x = randn([64, 8], { seed: 1 });
  const y = x.sin().sum(1, true);
  let p: Params = { W1: randn([8, 32], { seed: 2 }).mul(0.3), b1: tensor(new Float32Array(32)), W2: randn([32, 1], { seed: 3 }).mul(0.3) };
  const stats = _backend().stats;
  const g = grad(loss);
  const t0 = performance.now();
  console.log(`training loop on ${chosen}: step, loss, bytes allocated (cumulative), live bytes, pipelines`);
  for (let step = 0; step <= steps; step++) {
    const gr = g(p, x, y) as Params;
    const next: Params = { W1: p.W1.sub(gr.W1.mul(0.05)), b1: p.b1.sub(gr.b1.mul(0.05)), W2: p.W2.sub(gr.W2.mul(0.05)) };
    await Promise.all([next.W1.data(), next.b1.data(), next.W2.data()]);
    for (const t of Object.values(p)) t.dispose();
    p = next;
    if (step % 1000 === 0) {
      const l = await loss(p, x, y).item();
      console.log(
        `${String(step).padStart(6)}  ${l.toFixed(6)}  ${String(stats.bytesAllocated).padStart(10)}  ${String(stats.liveBytes).padStart(8)}  ${stats.pipelines}`,
      );
    }
  }
  console.log(`${((performance.now() - t0) / (steps + 1)).toFixed(3)} ms per step`);
}

void main();
