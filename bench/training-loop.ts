// A long training loop of a small tanh MLP (8-32-1 on 64 points) on the chosen backend, in one of
// two modes:
// - naive (default): Adam as pure updates, `params = applyUpdates(params, updates)`, the loss read
//   every --every steps (default 10), never evaluate() nor dispose(): the loop of issue 13's
//   laziness trap. Prints the ms per step, kernels per read and live bytes at every 10th read,
//   then the ms per step over steps 100-200 and over the last 100 steps, and their ratio: flat
//   means ~1 (src/runtime.ts keeps the recomputation frontier; --trap turns that off to compare).
// - evaluate: plain gradient descent realizing the new parameters each step and disposing the old;
//   prints bytes allocated, live bytes and pipelines every 1,000 steps: all must stay flat.
// Run: npx tsx bench/training-loop.ts [--backend webgpu|cpu|auto] [--mode naive|evaluate] [--steps 10000] [--every 10] [--trap]

import { type Tensor, _backend, _setKeepFrontier, grad, init, optim, profile, randn, tensor } from '../src/internal.js';
import { arg } from './util.js';

type Params = { W1: Tensor; b1: Tensor; W2: Tensor };

function loss(p: Params, x: Tensor, y: Tensor): Tensor {
  const pred = x.matmul(p.W1).add(p.b1).tanh().matmul(p.W2);
  return pred.sub(y).square().mean();
}

function problem() {
  const x = randn([64, 8], { seed: 1 });
  const y = x.sin().sum(1, true);
  const p: Params = { W1: randn([8, 32], { seed: 2 }).mul(0.3), b1: tensor(new Float32Array(32)), W2: randn([32, 1], { seed: 3 }).mul(0.3) };
  return { x, y, p };
}

async function naive(steps: number, every: number): Promise<void> {
  const { x, y } = problem();
  let { p } = problem();
  const tx = optim.adam({ lr: 0.01 });
  let s = tx.init(p);
  const g = grad(loss);
  const stats = _backend().stats;
  const at = new Map<number, number>(); // step -> time of its read
  const t0 = performance.now();
  at.set(0, t0);
  let last = t0;
  console.log(`step, loss, ms per step since the last line, kernels of this read, live bytes (every ${every * 10} steps)`);
  for (let step = 1; step <= steps; step++) {
    const [u, next] = tx.update(g(p, x, y) as Params, s, p);
    p = optim.applyUpdates(p, u);
    s = next;
    if (step % every !== 0) continue;
    const r = await profile(() => loss(p, x, y).item());
    const now = performance.now();
    at.set(step, now);
    if (step % (every * 10) === 0) {
      const ms = (now - last) / (every * 10);
      console.log(`${String(step).padStart(6)}  ${r.result.toFixed(6)}  ${ms.toFixed(3)}  ${String(r.kernels).padStart(6)}  ${stats.liveBytes}`);
      last = now;
    }
  }
  const perStep = (from: number, to: number): number => (at.get(to)! - at.get(from)!) / (to - from);
  const lastRead = steps - (steps % every);
  const early = perStep(100, 200);
  const late = perStep(lastRead - 100, lastRead);
  console.log(`ms per step: steps 100-200 ${early.toFixed(3)}, steps ${lastRead - 100}-${lastRead} ${late.toFixed(3)}; ratio ${(late / early).toFixed(2)}`);
}

async function evaluateEachStep(steps: number): Promise<void> {
  const { x, y } = problem();
  let { p } = problem();
  const stats = _backend().stats;
  const g = grad(loss);
  const t0 = performance.now();
  console.log('step, loss, bytes allocated (cumulative), live bytes, pipelines');
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

async function main(): Promise<void> {
  const chosen = await init({ backend: arg('backend', 'webgpu') as 'webgpu' });
  const mode = arg('mode', 'naive');
  const steps = Number(arg('steps', '10000'));
  const every = Number(arg('every', '10'));
  if (mode !== 'naive' && mode !== 'evaluate') throw new Error(`--mode must be naive or evaluate, got ${mode}`);
  if (mode === 'naive' && (steps < 200 || steps % every !== 0 || 100 % every !== 0)) {
    throw new Error('--mode naive needs --steps >= 200, a multiple of --every, and --every dividing 100');
  }
  if (process.argv.includes('--trap')) _setKeepFrontier(false);
  console.log(`training loop (${mode}) on ${chosen}, ${steps} steps`);
  if (mode === 'naive') await naive(steps, every);
  else await evaluateEachStep(steps);
}

void main();
