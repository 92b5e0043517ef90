// Kernels per plan (machine-independent) of the collapsed Laplacian of an L-layer tanh MLP with
// biases and of a PINN training step (the gradient of the mean squared Laplacian residual w.r.t.
// every parameter), with realized or lazy (randn(...).mul(s)) weights, unstacked and with stacked
// matmul channels (docs/taylor.md). Nothing runs: it schedules the graphs and counts. With
// --time, it also times bench/wgad-workloads.ts's jit-ed Laplacians and training step unstacked
// and stacked, interleaved, on the CPU (float64 and float32) and (when an adapter exists)
// WebGPU, and prints the ratio from that one run.
//
//   npx tsx bench/kernel-counts.ts [--max-layers 5] [--time] [--rounds 15]

import * as W from '../src/internal.js';
import { schedule } from '../src/schedule/scheduler.js';
import { layeredTanhMlp } from './mlp.js';
import { WORKLOADS, benchData, wgadVariants } from './wgad-workloads.js';
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
  const data = benchData();
  for (const backend of ['cpu', 'webgpu'] as const) {
    try {
      await W.init({ backend });
    } catch (e) {
      console.log(`${backend}: not timed (${(e as Error).message.split('\n')[0]})`);
      continue;
    }
    for (const dtype of backend === 'cpu' ? (['float64', 'float32'] as const) : (['float32'] as const)) {
      for (const key of ['lap16', 'lap50', 'train'] as const) {
        if (key === 'lap50' && backend === 'webgpu') continue; // minutes on SwiftShader
        // the jit-ed call of bench/wgad-workloads.ts, traced once with each setting
        const run = ([false, true] as const).map((stacked) => {
          W._setStackedChannels(stacked);
          const v = wgadVariants(W, key, data, dtype)[0]!;
          return async (): Promise<number> => {
            W._setStackedChannels(stacked);
            const t0 = performance.now();
            await v.run();
            return performance.now() - t0;
          };
        });
        const n = key === 'lap50' ? Math.max(3, rounds >> 2) : rounds;
        for (let i = 0; i < 2; i++) for (const r of run) await r();
        const times: [number[], number[]] = [[], []];
        for (let i = 0; i < n; i++) for (const s of i % 2 ? [1, 0] : [0, 1]) times[s]!.push(await run[s]!());
        const med = (a: number[]): number => a.sort((x, y) => x - y)[a.length >> 1]!;
        const [plain, stacked] = times.map(med) as [number, number];
        console.log(
          `${backend} ${dtype} ${WORKLOADS[key]}: ${plain.toFixed(2)} ms unstacked, ${stacked.toFixed(2)} ms stacked, stacked / unstacked = ${(stacked / plain).toFixed(2)}`,
        );
      }
    }
  }
  W._setStackedChannels('auto');
}
