// CPU backend matmul throughput: GFLOP/s of the JS kernel (one thread) and of the WebAssembly
// SIMD kernel on 1 and 2 threads, float32 and float64, at square sizes, measured in interleaved rounds (the machine
// is shared, so each round times every configuration once and the median over rounds is kept;
// the ratio compares medians from the same run). Each run is a fresh lazy product, so the whole
// plan (schedule, packing, kernel, copy out) is timed.
// Run: npx tsx bench/cpu-matmul.ts [--sizes 64,128,256,1024] [--rounds 5]
// (rounds are interleaved: every configuration once per round; JS runs on one thread)

import { init, randn } from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { setWasmMatmul, setWasmMatmulThreads, wasmMatmulInstance } from '../src/backend/cpu/wasm-matmul.js';
import { arg } from './util.js';

async function main(): Promise<void> {
  await init({ backend: 'cpu' });
  const sizes = arg('sizes', '64,128,256,1024').split(',').map(Number);
  const rounds = Number(arg('rounds', '5'));
  const inst = wasmMatmulInstance();
  if (!inst) console.log('WebAssembly SIMD unavailable: the wasm columns are the JS fallback');
  else if (!inst.helper) console.log('no helper thread here: the 2-thread column runs on one thread');
  const configs = (['float32', 'float64'] as const).flatMap((dtype) => sizes.map((n) => ({ dtype, n })));
  const operands = new Map<string, [Tensor, Tensor]>();
  for (const { dtype, n } of configs) operands.set(`${dtype}${n}`, [randn([n, n], { seed: 1, dtype }), randn([n, n], { seed: 2, dtype })]);
  const times = new Map<string, number[]>();
  const impls = ['js', 'wasm1', 'wasm2'] as const;
  const once = async (dtype: string, n: number, impl: (typeof impls)[number]): Promise<number> => {
    const [a, b] = operands.get(`${dtype}${n}`)!;
    setWasmMatmul(impl !== 'js');
    setWasmMatmulThreads(impl === 'wasm2' ? 2 : 1);
    // small sizes: several products per sample
    const reps = Math.max(1, Math.round(2e7 / (n * n * n)));
    const t0 = performance.now();
    for (let r = 0; r < reps; r++) await a.matmul(b).data();
    return (performance.now() - t0) / reps;
  };
  for (const { dtype, n } of configs) for (const impl of impls) await once(dtype, n, impl); // warm-up
  for (let round = 0; round < rounds; round++) {
    for (const { dtype, n } of configs) {
      for (const impl of impls) {
        const key = `${dtype}${n}${impl}`;
        times.set(key, [...(times.get(key) ?? []), await once(dtype, n, impl)]);
      }
    }
  }
  const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  console.log(`${rounds} interleaved rounds, median GFLOP/s (ms); ratios against JS from the same run`);
  console.log('size  dtype    threads  JS               wasm             wasm/JS');
  for (const { dtype, n } of configs) {
    const js = median(times.get(`${dtype}${n}js`)!);
    const col = (ms: number): string => `${((2 * n * n * n) / (ms * 1e6)).toFixed(2).padStart(6)} (${ms.toFixed(1).padStart(7)})`;
    for (const th of [1, 2]) {
      const wa = median(times.get(`${dtype}${n}wasm${th}`)!);
      console.log(`${String(n).padEnd(5)} ${dtype}  ${th}        ${th === 1 ? col(js) : ' '.repeat(16)} ${col(wa)}  ${(js / wa).toFixed(2).padStart(6)}x`);
    }
  }
  setWasmMatmul(true);
  setWasmMatmulThreads(2);
}

void main();
