// JS heap over long runs (issue 8): 20,000 WebGPU data() calls, the same under jit, and a
// 20,000-step grad loop (without dispose, parameters realized by evaluate each step). Prints the
// heap after a forced GC at checkpoints; every column must stay flat.
// Run: node --expose-gc --import tsx bench/heap.ts [--backend webgpu|cpu] [--steps 20000]

import { type Tensor, evaluate, grad, init, jit, randn, tensor } from '../src/index.js';
import { arg } from './util.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc --import tsx bench/heap.ts');

function heapMB(): number {
  gc!();
  gc!();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

type Params = { W1: Tensor; b1: Tensor; W2: Tensor };
const loss = (p: Params, x: Tensor, y: Tensor): Tensor => x.matmul(p.W1).add(p.b1).tanh().matmul(p.W2).sub(y).square().mean();

async function run(name: string, steps: number, step: (i: number) => Promise<void>): Promise<void> {
  const every = steps / 4;
  const marks: string[] = [];
  let first = 0;
  for (let i = 0; i <= steps; i++) {
    await step(i);
    if (i % every === 0) {
      const h = heapMB();
      if (i === every) first = h; // after warm-up (caches, pools, JIT) the heap must not grow
      marks.push(`${i}: ${h.toFixed(1)} MB`);
    }
  }
  const last = heapMB();
  console.log(`${name.padEnd(34)} ${marks.join('  ')}   growth after step ${every}: ${(last - first).toFixed(2)} MB`);
}

async function main(): Promise<void> {
  const chosen = await init({ backend: arg('backend', 'webgpu') as 'webgpu' });
  const steps = Number(arg('steps', '20000'));
  console.log(`JS heap after GC, ${steps} iterations each, backend ${chosen}`);
  const x = tensor([1, 2, 3, 4]).mul(2);
  await run('data() of one realized tensor', steps, async () => {
    await x.data();
  });
  const f = jit((a: Tensor) => a.mul(2).add(1));
  await run('data() of a jit-ed call', steps, async () => {
    await f(x).data();
  });
  const X = randn([64, 8], { seed: 1 }),
    Y = X.sin().sum(1, true);
  let p: Params = { W1: randn([8, 32], { seed: 2 }).mul(0.3), b1: tensor(new Float32Array(32)), W2: randn([32, 1], { seed: 3 }).mul(0.3) };
  const g = grad(loss);
  await run('grad step (evaluate, no dispose)', steps, async (i) => {
    const gr = g(p, X, Y) as Params;
    p = { W1: p.W1.sub(gr.W1.mul(0.05)), b1: p.b1.sub(gr.b1.mul(0.05)), W2: p.W2.sub(gr.W2.mul(0.05)) };
    await evaluate(p);
    if (i % 1000 === 0) await loss(p, X, Y).item();
  });
}

void main();
