// CPU backend matmul throughput (bench/matmul-throughput.ts): GFLOP/s of the JS kernel and of the
// WebAssembly SIMD kernel on 1 and 2 threads, float32 and float64, at square sizes, medians of
// interleaved rounds; ratios from the same run.
// Run: npx tsx bench/cpu-matmul.ts [--sizes 64,128,256,1024] [--rounds 5]

import { init } from '../src/index.js';
import { matmulTable, measureCpuMatmul } from './matmul-throughput.js';
import { arg } from './util.js';

async function main(): Promise<void> {
  await init({ backend: 'cpu' });
  const sizes = arg('sizes', '64,128,256,1024').split(',').map(Number);
  const rounds = Number(arg('rounds', '5'));
  const result = await measureCpuMatmul(sizes, ['float32', 'float64'], rounds);
  if (result.note) console.log(result.note);
  console.log(`${rounds} interleaved rounds, median GFLOP/s (ms); ratios against JS from the same run\n`);
  console.log(matmulTable(result));
}

void main();
