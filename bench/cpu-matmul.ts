// CPU backend matmul throughput (single-threaded JS): GFLOP/s at square sizes, float32 and float64.
// Run: npx tsx bench/cpu-matmul.ts

import { init, randn } from '../src/index.js';
import { timeit } from './util.js';

async function main(): Promise<void> {
  await init({ backend: 'cpu' });
  console.log('size  dtype    median ms  GFLOP/s');
  for (const dtype of ['float32', 'float64'] as const) {
    for (const n of [64, 128, 256, 512]) {
      const a = randn([n, n], { seed: 1, dtype });
      const b = randn([n, n], { seed: 2, dtype });
      // a fresh lazy product each run: the whole plan (schedule + kernel) is timed
      const t = await timeit(() => a.matmul(b).data(), { warmup: 3, runs: n >= 512 ? 5 : 15 });
      const gflops = (2 * n * n * n) / (t.median * 1e6);
      console.log(`${String(n).padEnd(5)} ${dtype}  ${t.median.toFixed(2).padStart(9)}  ${gflops.toFixed(2).padStart(7)}`);
    }
  }
}

void main();
