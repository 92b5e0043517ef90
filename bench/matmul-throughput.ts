// CPU backend matmul throughput, the measurement shared by bench/cpu-matmul.ts and
// bench/workloads.ts: GFLOP/s of the JS kernel (one thread, the fallback) and of the WebAssembly
// SIMD kernel on 1 and 2 threads, at square sizes, measured in interleaved rounds (the machine is
// shared, so each round times every configuration once and the median over rounds is kept; the
// ratio compares medians from the same run). Each sample is a fresh lazy product of operands
// computed beforehand, so the whole plan (schedule, packing, kernel, copy out) is timed, not the
// operands' random generation (about a third of a 256 float64 sample had been that; at 256 a
// sample is 4 products). The CPU backend must be active. With a baseline module
// (bench/workloads.ts's --baseline checkout), its matmul through its public API, as it ships, is
// timed in the same rounds: the "today's" that wasm / before compares against.

import { setWasmMatmul, setWasmMatmulFma, setWasmMatmulThreads, wasmMatmulFma, wasmMatmulInstance } from '../src/backend/cpu/wasm-matmul.js';
import { type DType, type Tensor, randn } from '../src/index.js';
import { median } from './util.js';
import type { WgadModule } from './wgad-workloads.js';

export interface MatmulRow {
  n: number;
  dtype: DType;
  /** Threads of the wasm kernel (the JS kernel always runs on one). */
  threads: 1 | 2;
  /** Median ms of one n×n by n×n product. */
  jsMs: number;
  /** The wasm kernel as it runs by default (fused multiply-add where the engine has relaxed SIMD). */
  wasmMs: number;
  /** The wasm kernel with a separate multiply and add, where the default is fused (else absent). */
  unfusedMs?: number;
  /** Median ms of the baseline's product (its default configuration), when a baseline was given. */
  beforeMs?: number;
}

/** A baseline checkout's module and its name for the table, e.g. 'before (e4321f9)'. */
export interface MatmulBaseline {
  name: string;
  api: WgadModule;
}

export interface MatmulThroughput {
  rows: MatmulRow[];
  /** The baseline's name, when one was measured. */
  baseline?: string;
  /** What the wasm columns really measure where WebAssembly SIMD or a helper thread is missing, and whether they fuse the multiply-add. */
  note: string;
}

const IMPLS = ['js', 'wasm1', 'wasm2', 'wasm1u', 'wasm2u'] as const;
type Impl = (typeof IMPLS)[number];

/**
 * Measures every size × dtype × {JS, wasm 1 thread, wasm 2 threads, the baseline's product} over
 * `rounds` interleaved rounds, after one warm-up unless `warmup` is false.
 */
export async function measureCpuMatmul(
  sizes: readonly number[],
  dtypes: readonly DType[],
  rounds: number,
  warmup = true,
  baseline?: MatmulBaseline,
): Promise<MatmulThroughput> {
  const inst = wasmMatmulInstance();
  // the "unfused" columns exist where the default (this process's setting) fuses
  const fmaSetting = wasmMatmulFma();
  const fused = fmaSetting ? Object.keys(inst?.fused ?? {}).sort() : [];
  const fmaNote =
    fused.length > 0
      ? `fused multiply-add (relaxed SIMD) by default for ${fused.join(' and ')}; the "unfused" column turns it off`
      : !fmaSetting
        ? 'no fused multiply-add: turned off'
        : 'no fused multiply-add: this engine has no relaxed SIMD (Node 20 keeps it behind --experimental-wasm-relaxed-simd; Chrome ≥ 114 and Node ≥ 22 have it)';
  const note = !inst
    ? 'WebAssembly SIMD unavailable: the wasm columns are the JS fallback'
    : [inst.helper ? '' : 'no helper thread here: the 2-thread column runs on one thread', fmaNote].filter(Boolean).join('; ');
  if (baseline) await baseline.api.init({ backend: 'cpu' });
  const measured = IMPLS.filter((i) => !i.endsWith('u') || fused.length > 0);
  const impls: (Impl | 'before')[] = baseline ? [...measured, 'before'] : [...measured];
  const configs = dtypes.flatMap((dtype) =>
    sizes.map((n) => ({
      dtype,
      n,
      a: randn([n, n], { seed: 1, dtype }),
      b: randn([n, n], { seed: 2, dtype }),
      before: baseline ? { a: baseline.api.randn([n, n], { seed: 1, dtype }), b: baseline.api.randn([n, n], { seed: 2, dtype }) } : null,
    })),
  );
  // the operands are computed once, before any timing: a sample times the product, not randn
  for (const c of configs) {
    await c.a.data();
    await c.b.data();
    if (c.before) {
      await c.before.a.data();
      await c.before.b.data();
    }
  }
  type Config = (typeof configs)[number];
  const once = async ({ a, b, n, before }: Config, impl: Impl | 'before'): Promise<number> => {
    const [x, y] = impl === 'before' ? [before!.a, before!.b] : [a, b];
    if (impl !== 'before') {
      setWasmMatmul(impl !== 'js');
      setWasmMatmulThreads(impl.startsWith('wasm2') ? 2 : 1);
      setWasmMatmulFma(fmaSetting && !impl.endsWith('u'));
    }
    const reps = Math.max(1, Math.round(6e7 / (n * n * n))); // small sizes: several products per sample (4 at 256)
    // and one untimed product first, as bench/workloads.ts times the second of two calls: right
    // after another configuration's turn (a 1024 product of the JS kernel, say) a short product
    // also paid for that one's garbage and caches (256 float64 on one thread: 4.4 ms a product
    // there, 2.8 in a loop)
    if (reps > 1) await (x as Tensor).matmul(y as Tensor).data();
    const t0 = performance.now();
    for (let r = 0; r < reps; r++) await (x as Tensor).matmul(y as Tensor).data();
    return (performance.now() - t0) / reps;
  };
  const times = new Map<string, number[]>();
  try {
    if (warmup) for (const c of configs) for (const impl of impls) await once(c, impl);
    for (let round = 0; round < rounds; round++) {
      for (const c of configs) {
        for (const impl of impls) {
          const key = `${c.dtype}${c.n}${impl}`;
          times.set(key, [...(times.get(key) ?? []), await once(c, impl)]);
        }
      }
    }
  } finally {
    setWasmMatmul(true);
    setWasmMatmulThreads(2);
    setWasmMatmulFma(fmaSetting);
  }
  const rows = configs.flatMap(({ dtype, n }) =>
    ([1, 2] as const).map((threads) => ({
      n,
      dtype,
      threads,
      jsMs: median(times.get(`${dtype}${n}js`)!),
      wasmMs: median(times.get(`${dtype}${n}wasm${threads}`)!),
      ...(fused.includes(dtype) ? { unfusedMs: median(times.get(`${dtype}${n}wasm${threads}u`)!) } : {}),
      ...(baseline ? { beforeMs: median(times.get(`${dtype}${n}before`)!) } : {}),
    })),
  );
  return { rows, note, ...(baseline ? { baseline: baseline.name } : {}) };
}

/** GFLOP/s of one n×n product taking `ms`. */
export function gflops(n: number, ms: number): number {
  return (2 * n * n * n) / (ms * 1e6);
}

/**
 * The rows as a Markdown table: GFLOP/s (ms) of JS and wasm, and wasm/JS (the JS kernel is the
 * fallback and the old path); with a baseline, its GFLOP/s and the speed-up of wasm over it.
 */
export function matmulTable({ rows, baseline }: MatmulThroughput): string {
  const cell = (n: number, ms: number): string => `${gflops(n, ms).toFixed(2)} (${ms.toFixed(2)} ms)`;
  const unfused = rows.some((r) => r.unfusedMs !== undefined);
  const extra = (r: MatmulRow): string =>
    (unfused ? ` ${r.unfusedMs === undefined ? '–' : cell(r.n, r.unfusedMs)} |` : '') +
    (baseline ? ` ${cell(r.n, r.beforeMs!)} | ${(r.beforeMs! / r.wasmMs).toFixed(2)}× |` : '');
  return [
    `| size | dtype | wasm threads | JS, 1 thread: GFLOP/s | wasm SIMD: GFLOP/s | wasm / JS |${unfused ? ' wasm unfused: GFLOP/s |' : ''}${baseline ? ` ${baseline}: GFLOP/s | wasm / ${baseline} |` : ''}`,
    `|---|---|---|---|---|---|${unfused ? '---|' : ''}${baseline ? '---|---|' : ''}`,
    ...rows.map(
      (r) => `| ${r.n} | ${r.dtype} | ${r.threads} | ${cell(r.n, r.jsMs)} | ${cell(r.n, r.wasmMs)} | ${(r.jsMs / r.wasmMs).toFixed(2)}× |${extra(r)}`,
    ),
  ].join('\n');
}
