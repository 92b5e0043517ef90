// CPU backend matmul throughput, the measurement shared by bench/cpu-matmul.ts and
// bench/workloads.ts: GFLOP/s of the JS kernel (one thread, the fallback) and of the WebAssembly
// SIMD kernel on 1 and 2 threads, at square sizes, measured in interleaved rounds (the machine is
// shared, so each round times every configuration once and the median over rounds is kept; the
// ratio compares medians from the same run). Each sample is a fresh lazy product, so the whole
// plan (schedule, packing, kernel, copy out) is timed. The CPU backend must be active.

import { setWasmMatmul, setWasmMatmulThreads, wasmMatmulInstance } from '../src/backend/cpu/wasm-matmul.js';
import { type DType, type Tensor, randn } from '../src/index.js';
import { median } from './util.js';

export interface MatmulRow {
  n: number;
  dtype: DType;
  /** Threads of the wasm kernel (the JS kernel always runs on one). */
  threads: 1 | 2;
  /** Median ms of one n×n by n×n product. */
  jsMs: number;
  wasmMs: number;
}

export interface MatmulThroughput {
  rows: MatmulRow[];
  /** What the wasm columns really measure where WebAssembly SIMD or a helper thread is missing (else ''). */
  note: string;
}

const IMPLS = ['js', 'wasm1', 'wasm2'] as const;
type Impl = (typeof IMPLS)[number];

/** Measures every size × dtype × {JS, wasm 1 thread, wasm 2 threads} over `rounds` interleaved rounds, after one warm-up unless `warmup` is false. */
export async function measureCpuMatmul(sizes: readonly number[], dtypes: readonly DType[], rounds: number, warmup = true): Promise<MatmulThroughput> {
  const inst = wasmMatmulInstance();
  const note = !inst
    ? 'WebAssembly SIMD unavailable: the wasm columns are the JS fallback'
    : !inst.helper
      ? 'no helper thread here: the 2-thread column runs on one thread'
      : '';
  const configs = dtypes.flatMap((dtype) => sizes.map((n) => ({ dtype, n, a: randn([n, n], { seed: 1, dtype }), b: randn([n, n], { seed: 2, dtype }) })));
  const once = async (a: Tensor, b: Tensor, n: number, impl: Impl): Promise<number> => {
    setWasmMatmul(impl !== 'js');
    setWasmMatmulThreads(impl === 'wasm2' ? 2 : 1);
    const reps = Math.max(1, Math.round(2e7 / (n * n * n))); // small sizes: several products per sample
    const t0 = performance.now();
    for (let r = 0; r < reps; r++) await a.matmul(b).data();
    return (performance.now() - t0) / reps;
  };
  const times = new Map<string, number[]>();
  try {
    if (warmup) for (const { a, b, n } of configs) for (const impl of IMPLS) await once(a, b, n, impl);
    for (let round = 0; round < rounds; round++) {
      for (const { dtype, n, a, b } of configs) {
        for (const impl of IMPLS) {
          const key = `${dtype}${n}${impl}`;
          times.set(key, [...(times.get(key) ?? []), await once(a, b, n, impl)]);
        }
      }
    }
  } finally {
    setWasmMatmul(true);
    setWasmMatmulThreads(2);
  }
  const rows = configs.flatMap(({ dtype, n }) =>
    ([1, 2] as const).map((threads) => ({
      n,
      dtype,
      threads,
      jsMs: median(times.get(`${dtype}${n}js`)!),
      wasmMs: median(times.get(`${dtype}${n}wasm${threads}`)!),
    })),
  );
  return { rows, note };
}

/** GFLOP/s of one n×n product taking `ms`. */
export function gflops(n: number, ms: number): number {
  return (2 * n * n * n) / (ms * 1e6);
}

/** The rows as a Markdown table: GFLOP/s (ms) of JS and wasm, and wasm/JS (the JS kernel is the fallback and the old path). */
export function matmulTable({ rows }: MatmulThroughput): string {
  const cell = (n: number, ms: number): string => `${gflops(n, ms).toFixed(2)} (${ms.toFixed(2)} ms)`;
  return [
    '| size | dtype | wasm threads | JS, 1 thread: GFLOP/s | wasm SIMD: GFLOP/s | wasm / JS |',
    '|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.n} | ${r.dtype} | ${r.threads} | ${cell(r.n, r.jsMs)} | ${cell(r.n, r.wasmMs)} | ${(r.jsMs / r.wasmMs).toFixed(2)}× |`),
  ].join('\n');
}
