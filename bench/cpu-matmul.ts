// CPU backend matmul throughput, single-threaded: GFLOP/s of the JS kernel and of the WebAssembly
// SIMD kernel, float32 and float64, at square sizes, measured in interleaved rounds (the machine
// is shared, so each round times every configuration once and the median over rounds is kept;
// the ratio compares medians from the same run). Each run is a fresh lazy product, so the whole
// plan (schedule, packing, kernel, copy out) is timed.
// Run: npx tsx bench/cpu-matmul.ts [--sizes 64,128,256,1024] [--rounds 5]

import { init, randn } from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { setWasmMatmul, wasmMatmulInstance } from '../src/backend/cpu/wasm-matmul.js';
import { arg } from './util.js';

async function main(): Promise<void> {
  await init({ backend: 'cpu' });
  const sizes = arg('sizes', '64,128,256,1024').split(',').map(Number);
  const rounds = Number(arg('rounds', '5'));
  if (!wasmMatmulInstance()) console.log('WebAssembly SIMD unavailable: the wasm column is the JS fallback');
  const configs = (['float32', 'float64'] as const).flatMap((dtype) => sizes.map((n) => ({ dtype, n })));
  const operands = new Map<string, [Tensor, Tensor]>();
  for (const { dtype, n } of configs) operands.set(`${dtype}${n}`, [randn([n, n], { seed: 1, dtype }), randn([n, n], { seed: 2, dtype })]);
  const times = new Map<string, number[]>();
  const once = async (dtype: string, n: number, wasm: boolean): Promise<number> => {
    const [a, b] = operands.get(`${dtype}${n}`)!;
    setWasmMatmul(wasm);
    // small sizes: several products per sample
    const reps = Math.max(1, Math.round(2e7 / (n * n * n)));
    const t0 = performance.now();
    for (let r = 0; r < reps; r++) await a.matmul(b).data();
    return (performance.now() - t0) / reps;
  };
  for (const { dtype, n } of configs) for (const wasm of [false, true]) await once(dtype, n, wasm); // warm-up
  for (let round = 0; round < rounds; round++) {
    for (const { dtype, n } of configs) {
      for (const wasm of [false, true]) {
        const key = `${dtype}${n}${wasm}`;
        times.set(key, [...(times.get(key) ?? []), await once(dtype, n, wasm)]);
      }
    }
  }
  const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  console.log(`threads=1, ${rounds} interleaved rounds, median`);
  console.log('size  dtype    JS ms     JS GFLOP/s  wasm ms   wasm GFLOP/s  wasm/JS');
  for (const { dtype, n } of configs) {
    const js = median(times.get(`${dtype}${n}false`)!);
    const wa = median(times.get(`${dtype}${n}true`)!);
    const gf = (ms: number): string => ((2 * n * n * n) / (ms * 1e6)).toFixed(2).padStart(10);
    console.log(`${String(n).padEnd(5)} ${dtype}  ${js.toFixed(2).padStart(8)}  ${gf(js)}  ${wa.toFixed(2).padStart(8)}  ${gf(wa)}    ${(js / wa).toFixed(2).padStart(5)}x`);
  }
  setWasmMatmul(true);
}

void main();
