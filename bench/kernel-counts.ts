// Kernels per plan (machine-independent) of the collapsed Laplacian of an L-layer tanh MLP with
// biases and of a PINN training step (the gradient of the mean squared Laplacian residual w.r.t.
// every parameter), with realized or lazy (randn(...).mul(s)) weights, unstacked and with stacked
// matmul channels (docs/taylor.md). Nothing runs: it schedules the graphs and counts. With
// --time, it also times a repeated collapsed Laplacian of the benchmark MLP (bench/mlp.ts: D = 16,
// widths 64-64, N = 256, float32) unstacked and stacked, interleaved, on the CPU and (when an
// adapter exists) WebGPU, and prints the ratio from that one run.
//
//   npx tsx bench/kernel-counts.ts [--max-layers 5] [--time] [--rounds 15]

import * as W from '../src/internal.js';
import { schedule } from '../src/schedule/scheduler.js';
import { benchmarkMlp, layeredTanhMlp } from './mlp.js';
import { arg as option } from './util.js';

const arg = process.argv.indexOf('--max-layers');
const maxL = arg > 0 ? Number(process.argv[arg + 1]) : 5;
await W.init({ backend: 'cpu' });
const D = 4,
  H = 8,
  N = 16;
console.log('stacked  weights   L  laplacian  training step');
for (const stacked of [false, true]) {
  W._setStackedChannels(stacked);
  for (const lazy of [false, true]) {
    for (let L = 1; L <= maxL; L++) {
      const { params: ps, apply: f } = layeredTanhMlp(L, { D, H, lazy });
      const X = W.randn([N, D], { dtype: 'float64', seed: 3 });
      W._realizeNodes([X.node]);
      const lap = schedule([W.laplacian(f(ps))(X).node]).plan.kernels.length;
      const grads = W.grad((q: W.Tensor[]) => {
        const r = W.laplacian(f(q))(X).sub(1);
        return r.mul(r).mean();
      })(ps) as W.Tensor[];
      const step = schedule(grads.map((g) => g.node)).plan.kernels.length;
      console.log(
        `${String(stacked).padEnd(8)} ${(lazy ? 'lazy' : 'realized').padEnd(9)} ${String(L).padStart(1)} ${String(lap).padStart(10)} ${String(step).padStart(14)}`,
      );
    }
  }
}
W._setStackedChannels('auto');

if (process.argv.includes('--time')) {
  const rounds = Number(option('rounds', '15'));
  for (const backend of ['cpu', 'webgpu'] as const) {
    try {
      await W.init({ backend });
    } catch (e) {
      console.log(`${backend}: not timed (${(e as Error).message.split('\n')[0]})`);
      continue;
    }
    const { f, X } = benchmarkMlp('float32');
    const once = async (stacked: boolean): Promise<number> => {
      W._setStackedChannels(stacked);
      const t0 = performance.now();
      await W.laplacian(f)(X).data();
      return performance.now() - t0;
    };
    for (let i = 0; i < 3; i++) for (const s of [false, true]) await once(s);
    const times: [number[], number[]] = [[], []];
    for (let i = 0; i < rounds; i++) for (const s of [false, true]) times[Number(s)]!.push(await once(s));
    const med = (a: number[]): number => a.sort((x, y) => x - y)[a.length >> 1]!;
    const [plain, stacked] = times.map(med) as [number, number];
    console.log(
      `${backend}: collapsed Laplacian ${plain.toFixed(2)} ms unstacked, ${stacked.toFixed(2)} ms stacked, stacked / unstacked = ${(stacked / plain).toFixed(2)}`,
    );
  }
  W._setStackedChannels('auto');
}
