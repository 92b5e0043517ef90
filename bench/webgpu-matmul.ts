// WebGPU kernel throughput: matmul GFLOP/s for the matmul templates (register-blocked, no
// barriers, 4x8 and 8x8 blocks: the SwiftShader choice; workgroup-tiled: the GPU choice), end to end (one product and
// its readback per run) and sustained (16 products in one plan, one command encoder), plus
// elementwise bandwidth. Run: npx tsx bench/webgpu-matmul.ts [--sizes 128,256,512]

import { WebGpuBackend } from '../src/backend/webgpu/backend.js';
import { _backend, _realizeNodes, init, randn, type Tensor } from '../src/internal.js';
import { arg, timeit } from './util.js';

async function main(): Promise<void> {
  const chosen = await init({ backend: 'webgpu' });
  const b = _backend();
  if (chosen !== 'webgpu' || !(b instanceof WebGpuBackend)) throw new Error('no WebGPU adapter');
  console.log(`adapter: ${b.adapterDescription}; default matmul template: ${b.matmulVariant}`);
  const sizes = arg('sizes', '128,256,512').split(',').map(Number);
  console.log('\nmatmul n x n @ n x n, float32');
  console.log('template   layout    n     end-to-end ms  GFLOP/s   sustained ms/product  GFLOP/s');
  for (const variant of ['register-wide', 'register-8x8', 'tiled'] as const) {
    b.setMatmulVariant(variant);
    for (const layout of ['A B', 'Aᵀ B'] as const) {
      for (const n of sizes) {
        if (variant === 'tiled' && n > 256 && b.info.slowBarriers) continue; // minutes on SwiftShader
        const a = randn([n, n], { seed: 1 });
        const bs = Array.from({ length: 16 }, (_, i) => randn([n, n], { seed: 2 + i }));
        _realizeNodes([a.node, ...bs.map((x) => x.node)]);
        const lhs = (): Tensor => (layout === 'A B' ? a : a.transpose());
        const flop = 2 * n * n * n;
        const e2e = await timeit(() => lhs().matmul(bs[0]!).data(), { warmup: 2, runs: n >= 512 ? 5 : 10 });
        const sustained = await timeit(
          async () => {
            const outs = bs.map((x) => lhs().matmul(x));
            _realizeNodes(outs.map((o) => o.node)); // one plan: 16 dispatches, one command encoder
            await outs[15]!.slice([0, 0], [1, 1]).data(); // waits for the queue
            for (const o of outs) o.dispose();
          },
          { warmup: 1, runs: n >= 512 ? 3 : 5 },
        );
        const per = sustained.median / 16;
        console.log(
          `${variant.padEnd(10)} ${layout.padEnd(8)} ${String(n).padEnd(5)} ${e2e.median.toFixed(2).padStart(13)}  ${(flop / (e2e.median * 1e6)).toFixed(2).padStart(7)}   ${per.toFixed(2).padStart(20)}  ${(flop / (per * 1e6)).toFixed(2).padStart(7)}`,
        );
      }
    }
  }
  b.setMatmulVariant('auto');

  console.log('\nelementwise, float32');
  console.log('kernel                 elements    median ms   GB/s (reads + writes)');
  for (const n of [1 << 20, 1 << 24]) {
    const x = randn([n], { seed: 3 }),
      y = randn([n], { seed: 4 });
    _realizeNodes([x.node, y.node]);
    const cases: [string, () => Tensor, number][] = [
      ['a + 1.5 b', () => x.add(y.mul(1.5)), 3],
      ['10-op chain of a, b', () => x.mul(y).add(1).tanh().mul(x).sub(y).exp().add(0.5).log().mul(2).abs(), 3],
    ];
    for (const [name, f, words] of cases) {
      const t = await timeit(
        async () => {
          const z = f();
          _realizeNodes([z.node]);
          await z.slice([0], [1]).data();
          z.dispose();
        },
        { warmup: 2, runs: 7 },
      );
      console.log(
        `${name.padEnd(22)} ${String(n).padStart(9)}  ${t.median.toFixed(2).padStart(10)}   ${((words * 4 * n) / (t.median * 1e6)).toFixed(2).padStart(6)}`,
      );
    }
  }
  console.log('\nstats:', JSON.stringify(b.stats));
}

void main();
