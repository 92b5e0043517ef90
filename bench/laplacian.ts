// Laplacian (and biharmonic) of the benchmark tanh MLP (bench/mlp.ts): collapsed vs standard Taylor vs nested
// first-order AD, on every available backend (CPU in float64, WebGPU in float32 when an adapter
// exists), then the fastest. Run: npx tsx bench/laplacian.ts [--backend all|cpu|webgpu|auto]
// [--dtype float64|float32] [--runs 15] [--biharmonic]

import { BackendError, type DType, backendInfo, biharmonic, init, laplacian, operatorCost, profile } from '../src/index.js';
import { benchmarkMlp } from './mlp.js';
import { arg, interleaved, timeit } from './util.js';

const EXPECT_X0 = 0.420555924049;
const EXPECT_SUM = 29.7705016689;

/** Times the three Laplacian methods on the active backend; returns the collapsed median (ms). */
async function benchLaplacian(chosen: string, dtype: DType, runs: number): Promise<number | undefined> {
  const { f, X } = benchmarkMlp(dtype);
  const [N, D] = X.shape as [number, number];
  console.log(
    `\nLaplacian of the tanh MLP ${D}→64→64→1 at N = ${N} points; backend ${chosen}, ${dtype}, median of ${runs} interleaved rounds after 3 warm-ups`,
  );
  const methods = ['collapsed', 'taylor', 'nested'] as const;
  type Method = (typeof methods)[number];
  const run = (method: Method) => (): Promise<Float32Array | Float64Array> => laplacian(f, { method })(X).data();
  const live: Method[] = [];
  for (const method of methods) {
    try {
      for (let w = 0; w < 3; w++) await run(method)(); // warm-up (JIT, kernel caches)
      live.push(method);
    } catch (e) {
      console.log(`${method.padEnd(10)} failed on this backend: ${(e as Error).message.split('\n')[0]}`);
      process.exitCode = 1;
    }
  }
  const times = await interleaved(live, (method) => run(method)(), runs);
  const ms: Partial<Record<Method, number>> = {};
  console.log('method     median ms   min ms  kernels  vectors/datum  Δf(X[0])          Σ Δf');
  for (const method of live) {
    const ts = times.get(method)!;
    ms[method] = ts[Math.floor(ts.length / 2)]!;
    const p = await profile(run(method));
    const vals = p.result;
    const sum = Array.from(vals).reduce((a, b) => a + b, 0);
    const cost = operatorCost('laplacian', f, X, { method }).vectors;
    console.log(
      `${method.padEnd(10)} ${ms[method]!.toFixed(2).padStart(9)} ${ts[0]!.toFixed(2).padStart(8)} ${String(p.kernels).padStart(8)} ${String(cost).padStart(14)}  ${vals[0]!.toFixed(12)}  ${sum.toFixed(10)}`,
    );
    if (dtype === 'float64') {
      const ok = Math.abs(vals[0]! - EXPECT_X0) < 5e-12 && Math.abs(sum - EXPECT_SUM) < 5e-10;
      if (!ok) {
        console.error(`MISMATCH: expected Δf(X[0]) = ${EXPECT_X0}, Σ = ${EXPECT_SUM}`);
        process.exitCode = 1;
      }
    }
  }
  const ratio = (a: number | undefined, b: number | undefined): string => (a && b ? (a / b).toFixed(3) : 'n/a');
  console.log(`ratios (same run): collapsed/nested = ${ratio(ms.collapsed, ms.nested)} (target <= 0.5), collapsed/taylor = ${ratio(ms.collapsed, ms.taylor)}`);
  console.log(`vectors per datum (docs/taylor.md): collapsed 2 + D = ${2 + D}, standard 1 + 2D = ${1 + 2 * D}, nested 2 + 2D = ${2 + 2 * D}`);
  if (dtype === 'float64') console.log(`check: Δf(X[0]) = ${EXPECT_X0}, Σ = ${EXPECT_SUM} (exact float64 values) ${process.exitCode ? 'FAILED' : 'ok'}`);
  return ms.collapsed;
}

async function main(): Promise<void> {
  const which = arg('backend', 'all') as 'all' | 'cpu' | 'webgpu' | 'auto';
  const runs = Number(arg('runs', '15'));
  const wanted = which === 'all' ? (['cpu', 'webgpu'] as const) : ([which] as const);
  const results: [string, number][] = [];
  await init({ backend: 'auto' });
  const auto = backendInfo();
  console.log(`init({ backend: 'auto' }) chooses ${auto.backend}: ${auto.reason}`);
  let dtype: DType = 'float64';
  for (const want of wanted) {
    let chosen: string;
    try {
      chosen = await init({ backend: want });
    } catch (e) {
      if (!(e instanceof BackendError) || which !== 'all') throw e;
      console.log(`\nWebGPU: not available here (${e.message}); CPU results only`);
      continue;
    }
    dtype = arg('dtype', chosen === 'cpu' ? 'float64' : 'float32') as DType;
    const ms = await benchLaplacian(chosen, dtype, runs);
    if (ms !== undefined) results.push([`${chosen} (${dtype})`, ms]);
  }
  if (results.length > 1) {
    results.sort((a, b) => a[1] - b[1]);
    console.log(
      `\nbest available backend for the collapsed Laplacian: ${results[0]![0]}, ${results[0]![1].toFixed(2)} ms (${results.map(([n, t]) => `${n} ${t.toFixed(2)} ms`).join(', ')})`,
    );
    const agrees = results[0]![0].startsWith(auto.backend);
    console.log(`init({ backend: 'auto' }) chose ${auto.backend}: ${agrees ? 'the fastest here' : 'not the fastest here'}`);
  }

  if (process.argv.includes('--biharmonic')) {
    const small = benchmarkMlp(dtype, Number(arg('bih-d', '4')), 64, Number(arg('bih-n', '64')));
    const [n2, d2] = small.X.shape as [number, number];
    console.log(`\nBiharmonic, same MLP shape with D = ${d2}, N = ${n2} (exact)`);
    const variants = [
      ['collapsed', 'nested-laplacian'],
      ['collapsed', 'interpolation'],
      ['taylor', 'nested-laplacian'],
      ['taylor', 'interpolation'],
      ['nested', 'nested-laplacian'],
    ] as const;
    const ref = await biharmonic(small.f, { method: 'collapsed', exact: 'interpolation' })(small.X).data();
    for (const [method, exact] of variants) {
      const run = (): Promise<Float32Array | Float64Array> => biharmonic(small.f, { method, exact })(small.X).data();
      const t = await timeit(run, { warmup: 2, runs: Math.max(3, Math.floor(runs / 3)) });
      const v = await run();
      const err = Math.max(...Array.from(v, (x, i) => Math.abs(x - ref[i]!) / Math.max(1, Math.abs(ref[i]!))));
      const cost = operatorCost('biharmonic', small.f, small.X, { method, exact }).vectors;
      console.log(
        `${method.padEnd(10)} ${exact.padEnd(17)} ${t.median.toFixed(2).padStart(9)} ms  vectors/datum ${String(cost).padStart(6)}  max rel. diff ${err.toExponential(1)}`,
      );
    }
  }
}

void main();
