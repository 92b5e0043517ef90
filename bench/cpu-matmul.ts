// CPU backend matmul throughput (bench/matmul-throughput.ts): GFLOP/s of the JS kernel and of the
// WebAssembly SIMD kernel on 1 and 2 threads, float32 and float64, at square sizes, medians of
// interleaved rounds; ratios from the same run. With --baseline <checkout>, also that checkout's
// product through its public API as it ships (e4321f9's: one JS thread), in the same rounds.
// The wasm kernel fuses its multiply-add (relaxed SIMD, turned on for this process where Node
// keeps it behind a flag: bench/relaxed-simd.ts), and an "unfused" column times it with a
// separate multiply and add in the same rounds; --no-fma leaves the kernel unfused.
// Run: npx tsx bench/cpu-matmul.ts [--sizes 64,128,256,1024] [--rounds 5] [--baseline <checkout>] [--no-fma]

import { init } from '../src/index.js';
import { gitRev, loadBaseline } from './baseline.js';
import { matmulTable, measureCpuMatmul } from './matmul-throughput.js';
import { fusedMultiplyAdd } from './relaxed-simd.js';
import { arg } from './util.js';

async function main(): Promise<void> {
  console.log(fusedMultiplyAdd());
  await init({ backend: 'cpu' });
  const sizes = arg('sizes', '64,128,256,1024').split(',').map(Number);
  const rounds = Number(arg('rounds', '5'));
  const dir = arg('baseline', '');
  const baseline = dir ? { name: `before (${gitRev(dir)})`, api: await loadBaseline(dir) } : undefined;
  const result = await measureCpuMatmul(sizes, ['float32', 'float64'], rounds, true, baseline);
  if (result.note) console.log(result.note);
  console.log(`${rounds} interleaved rounds, median GFLOP/s (ms); ratios against JS from the same run\n`);
  console.log(matmulTable(result));
}

void main();
