// The four workloads of issue 10 in one run, wgad before/after and against PyTorch:
//   1. Laplacian, D = 16, widths 64-64, N = 256 (bench/mlp.ts's benchmark network)
//   2. Laplacian, D = 50, widths 256-256-128-128, N = 256
//   3. PINN training step ∇θ mean((Δu − g)²), first network
//   4. HVP of an MSE loss w.r.t. the parameters, first network
// on the CPU in float64 (the current tree; a baseline checkout given by --baseline, loaded as a
// second, independent module instance from its own src/index.ts; PyTorch's hand-written forward
// Laplacian and double backward in a child python, when torch is installed), then CPU matmul
// GFLOP/s (bench/matmul-throughput.ts), then workloads 1 and 3 on WebGPU in float32 when an
// adapter exists. Every result is checked against an independent float64 reference before any
// timing (bench/workload-reference.ts; and torch's results against wgad's); a mismatch aborts.
// Rounds interleave every engine and method (the machine is shared), medians are kept, and ratios
// come from the same run.
// Run: npx tsx bench/workloads.ts [--baseline <checkout>] [--rounds 5] [--backends cpu,webgpu]
//      [--quick] [--json out.json] [--python /usr/bin/python3] [--torch-threads 2]
// --compare: wgad against jax-js and TF.js instead (bench/compare/cli.ts has its options).
// --quick: one method per workload (the jit-ed one), 2 rounds, 1 warm-up, one matmul round, and
// without torch's double backward at D = 50 (seconds per call).

import { writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import * as current from '../src/index.js';
import type { DType } from '../src/index.js';
import { type MatmulThroughput, matmulTable, measureCpuMatmul } from './matmul-throughput.js';
import { fusedMultiplyAdd } from './relaxed-simd.js';
import { type MlpData, paramArrays } from './mlp.js';
import { TorchPeer, type TorchNetwork } from './torch-peer.js';
import { gitRev, loadBaseline } from './baseline.js';
import { arg, median } from './util.js';
import { type BenchData, type Variant, WORKLOADS, type WgadModule, type WorkloadKey, benchData, wgadVariants } from './wgad-workloads.js';
import { type Leaves, directionalCheck, forwardLaplacian, hvpCheck, leavesOf, mseLoss, relativeError, trainLoss } from './workload-reference.js';

interface Engine {
  name: string;
  api: WgadModule;
}

interface Entry {
  key: WorkloadKey;
  engine: string;
  method: string;
  run: Variant['run'];
  times: number[];
}

interface Options {
  quick: boolean;
  rounds: number;
  warmup: number;
  torchThreads: number;
  pythons: string[];
}

/** The float64 results every later result is compared with: the plain-JS Laplacians, then the first wgad result of each workload. */
type References = Partial<Record<WorkloadKey, Leaves>>;

/** Tolerances of the checks: float64 results against float64 references, the finite-difference checks, float32 results. */
const TOL = { float64: 1e-9, directional: 1e-6, polarization: 1e-5, float32: 1e-4 };

/** Torch's variants per workload (names as bench/torch/workloads.py prints them). */
const TORCH_VARIANTS: Record<WorkloadKey, string[]> = {
  lap16: ['lap16/hand-written', 'lap16/double backward'],
  lap50: ['lap50/hand-written', 'lap50/double backward'],
  train: ['train/autograd over hand-written'],
  hvp: ['hvp/rev-rev', 'hvp/fwd-rev'],
};

/** The 1-minute load average against the core count, with a warning when other processes compete for the cores. */
function loadLine(when: string): string {
  const [load] = loadavg();
  const cores = availableParallelism();
  const busy =
    load! > cores
      ? ": other processes compete for the cores, so medians are noisy (ratios from interleaved rounds less so; torch's 2 threads suffer most)"
      : '';
  return `load average ${load!.toFixed(1)} on ${cores} cores ${when}${busy}`;
}

const lapRefs = new Map<MlpData, Float64Array>();

/**
 * Checks a workload's result against an independent float64 reference: the plain-JS forward
 * Laplacian, or a finite-difference check of the training gradient or of the HVP. Returns
 * [relative error, tolerance for a float64 result, what it was compared with].
 */
function checkAgainstReference(key: WorkloadKey, d: BenchData, out: Leaves): [number, number, string] {
  const p0 = leavesOf(d.small);
  switch (key) {
    case 'lap16':
    case 'lap50': {
      const m = key === 'lap16' ? d.small : d.big;
      let ref = lapRefs.get(m);
      if (!ref) lapRefs.set(m, (ref = forwardLaplacian(m, leavesOf(m)).lap));
      return [relativeError(out, [ref]), TOL.float64, 'plain-JS forward Laplacian'];
    }
    case 'train':
      return [directionalCheck((p) => trainLoss(d.small, p, d.g), p0, out, d.v), TOL.directional, '⟨∇θ, v⟩ vs central difference'];
    case 'hvp':
      return [hvpCheck((p) => mseLoss(d.small, p, d.y), p0, out, d.u, d.v), TOL.polarization, '⟨u, Hv⟩ vs second differences'];
  }
}

function expectClose(what: string, err: number, tol: number, against: string): void {
  const line = `check ${what}: rel. diff ${err.toExponential(1)} vs ${against} (tolerance ${tol.toExponential(0)})`;
  if (!(err <= tol)) throw new Error(`MISMATCH: ${line}; no timing is reported for a wrong result`);
  console.log(line);
}

/**
 * Times `rounds` interleaved rounds of every entry (every other round in reverse order); `extra`
 * runs once per round. A sample is the second of two back-to-back calls, so every engine's thread
 * pool and caches are as warm as in a loop of its own, not cold from the previous engine's turn.
 */
async function timeRounds(entries: Entry[], rounds: number, extra?: () => Promise<void>): Promise<void> {
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? entries : [...entries].reverse();
    for (const e of order) {
      await e.run();
      const t0 = performance.now();
      await e.run();
      e.times.push(performance.now() - t0);
    }
    if (extra) await extra();
  }
}

/** Per workload and engine, the fastest method by median. */
function best(entries: Entry[], key: WorkloadKey, engine: string): { method: string; ms: number } | undefined {
  const own = entries.filter((e) => e.key === key && e.engine === engine).map((e) => ({ method: e.method, ms: median(e.times) }));
  return own.sort((a, b) => a.ms - b.ms)[0];
}

const fmt = (ms: number): string => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));
const ratio = (a: number | undefined, b: number | undefined): string => (a !== undefined && b !== undefined ? (a / b).toFixed(2) : '—');

/** Builds, warms up and checks the entries of `keys` on every engine (each already initialized on its backend); --quick: one method per workload. */
async function prepare(
  engines: Engine[],
  keys: WorkloadKey[],
  d: BenchData,
  dtype: DType,
  o: Options,
  check: (key: WorkloadKey, out: Leaves, what: string) => void,
): Promise<Entry[]> {
  const entries: Entry[] = [];
  for (const key of keys) {
    for (const { name, api } of engines) {
      for (const v of wgadVariants(api, key, d, dtype).slice(0, o.quick ? 1 : undefined)) {
        for (let w = 0; w < o.warmup; w++) await v.run();
        check(key, await v.run(), `${key} ${name} ${v.method}`);
        entries.push({ key, engine: name, method: v.method, run: v.run, times: [] });
      }
    }
  }
  return entries;
}

function cpuTable(entries: Entry[], engines: Engine[], torchTimes: Map<string, number[]> | null, torchThreads: number): string {
  const [after, before] = engines;
  const head = ['workload (CPU, float64)', `wgad ${after!.name}`];
  if (before) head.push(`wgad ${before.name}`, 'after / before');
  if (torchTimes) head.push(`torch (${torchThreads} thread${torchThreads > 1 ? 's' : ''})`, 'after / torch');
  const rows = (Object.keys(WORKLOADS) as WorkloadKey[]).map((key) => {
    const a = best(entries, key, after!.name);
    const cells = [WORKLOADS[key], `${fmt(a!.ms)} ms (${a!.method})`];
    if (before) {
      const b = best(entries, key, before.name);
      cells.push(`${fmt(b!.ms)} ms (${b!.method})`, ratio(a?.ms, b?.ms));
    }
    if (torchTimes) {
      const t = TORCH_VARIANTS[key]
        .filter((n) => torchTimes.has(n))
        .map((n) => ({ method: n.split('/')[1]!, ms: median(torchTimes.get(n)!) }))
        .sort((x, y) => x.ms - y.ms)[0];
      cells.push(t ? `${fmt(t.ms)} ms (${t.method})` : '—', ratio(a?.ms, t?.ms));
    }
    return `| ${cells.join(' | ')} |`;
  });
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows].join('\n');
}

function detailTable(entries: Entry[], torchTimes: Map<string, number[]> | null): string {
  const lines = ['| workload | engine | method | median ms | min ms |', '|---|---|---|---|---|'];
  for (const e of entries) lines.push(`| ${e.key} | wgad ${e.engine} | ${e.method} | ${fmt(median(e.times))} | ${fmt(Math.min(...e.times))} |`);
  for (const [name, ts] of torchTimes ?? [])
    lines.push(`| ${name.split('/')[0]} | torch | ${name.split('/')[1]} | ${fmt(median(ts))} | ${fmt(Math.min(...ts))} |`);
  return lines.join('\n');
}

/** The CPU phase: the four workloads on every engine and in torch, then matmul GFLOP/s; fills `refs`. */
async function runCpu(engines: Engine[], d: BenchData, o: Options, refs: References, report: Record<string, unknown>): Promise<void> {
  for (const e of engines) await e.api.init({ backend: 'cpu' });
  const small = paramArrays(d.small);
  const networks: TorchNetwork[] = [
    {
      name: 'lap16',
      arrays: {
        X: { data: d.small.X, shape: [d.small.N, d.small.D] },
        P: small,
        g: { data: d.g, shape: [d.small.N] },
        y: { data: d.y, shape: [d.small.N] },
        V: d.v.map((a, i) => ({ data: a, shape: small[i]!.shape })),
      },
    },
    { name: 'lap50', arrays: { X: { data: d.big.X, shape: [d.big.N, d.big.D] }, P: paramArrays(d.big) } },
  ];
  // started now, it warms up while wgad does; --quick leaves out its slowest variant (D = 50 by
  // double backward: 50 backward passes, seconds per call)
  const torchStart = TorchPeer.start(networks, {
    warmup: o.warmup,
    skip: o.quick ? ['lap50/double backward'] : [],
    threads: o.torchThreads,
    pythons: o.pythons,
  });
  const keys = Object.keys(WORKLOADS) as WorkloadKey[];
  const entries = await prepare(engines, keys, d, 'float64', o, (key, out, what) => {
    const [err, tol, against] = checkAgainstReference(key, d, out);
    expectClose(what, err, tol, against);
    const first = refs[key];
    if (first) expectClose(`${what} (agreement)`, relativeError(out, first), TOL.float64, `the first result of ${key}`);
    else refs[key] = out;
  });
  const torch = await torchStart;
  let torchTimes: Map<string, number[]> | null = null;
  if (typeof torch === 'string') console.log(`\nPyTorch: not measured (${torch})`);
  else {
    console.log(`\nPyTorch ${torch.ready.torch}, ${torch.ready.threads} threads, float64`);
    for (const key of keys) {
      for (const name of TORCH_VARIANTS[key]) {
        const res = torch.ready.results[name];
        if (!res) continue;
        const leaves = (Array.isArray(res[0]) ? res : [res]) as number[][];
        expectClose(
          `torch ${name}`,
          relativeError(
            leaves.map((l) => Float64Array.from(l)),
            refs[key]!,
          ),
          TOL.float64,
          'wgad float64',
        );
      }
    }
    const times = new Map(Object.keys(torch.ready.results).map((n) => [n, [] as number[]]));
    await timeRounds(entries, o.rounds, async () => {
      for (const [n, ms] of Object.entries(await torch.round())) times.get(n)!.push(ms);
    });
    await torch.close();
    torchTimes = times;
  }
  if (!torchTimes) await timeRounds(entries, o.rounds);
  console.log(
    `\n## CPU, float64 (ratios below 1: the first is faster)\n\n${cpuTable(entries, engines, torchTimes, o.torchThreads)}\n\nEvery method:\n\n${detailTable(entries, torchTimes)}`,
  );
  report.cpu = entries.map(({ key, engine, method, times }) => ({ key, engine, method, median: median(times), times }));
  report.torch = torchTimes ? Object.fromEntries([...torchTimes].map(([n, ts]) => [n, { median: median(ts), times: ts }])) : torch;

  await current.init({ backend: 'cpu' });
  const before = engines[1]; // the --baseline checkout, when one was given
  const mm: MatmulThroughput = await measureCpuMatmul([256, 1024], ['float64', 'float32'], o.quick ? 1 : o.rounds, !o.quick, before);
  const note = mm.note ? `${mm.note}\n\n` : '';
  console.log(`\n## CPU matmul (current tree), GFLOP/s; the JS kernel is the old path and the fallback\n\n${note}${matmulTable(mm)}`);
  report.matmul = mm;
}

/** The WebGPU phase: workloads 1 and 3 in float32 on every engine that finds an adapter. */
async function runWebgpu(engines: Engine[], d: BenchData, o: Options, refs: References, report: Record<string, unknown>): Promise<void> {
  const live: Engine[] = [];
  for (const e of engines) {
    try {
      await e.api.init({ backend: 'webgpu' });
      live.push(e);
    } catch (err) {
      console.log(`\nWebGPU, ${e.name}: not available (${(err as Error).message.split('\n')[0]})`);
    }
  }
  if (!live.length) return;
  const keys: WorkloadKey[] = ['lap16', 'train'];
  const entries = await prepare(live, keys, d, 'float32', o, (key, out, what) => {
    const [err, , against] = checkAgainstReference(key, d, out);
    expectClose(what, err, TOL.float32, against);
    const ref = refs[key];
    if (ref) expectClose(what, relativeError(out, ref), TOL.float32, 'the float64 result');
  });
  await timeRounds(entries, o.rounds);
  const [after, before] = live;
  const lines = [
    `| workload (WebGPU, float32) | wgad ${after!.name} |${before ? ` wgad ${before.name} | after / before |` : ''}`,
    `|---|---|${before ? '---|---|' : ''}`,
  ];
  for (const key of keys) {
    const a = best(entries, key, after!.name)!;
    const b = before ? best(entries, key, before.name) : undefined;
    lines.push(`| ${WORKLOADS[key]} | ${fmt(a.ms)} ms (${a.method}) |${b ? ` ${fmt(b.ms)} ms (${b.method}) | ${ratio(a.ms, b.ms)} |` : ''}`);
  }
  const adapter = current.backendInfo().adapter ?? 'adapter';
  console.log(`\n## WebGPU, float32 (${adapter}; ratios below 1: after is faster)\n\n${lines.join('\n')}\n\nEvery method:\n\n${detailTable(entries, null)}`);
  report.webgpu = entries.map(({ key, engine, method, times }) => ({ key, engine, method, median: median(times), times }));
}

async function main(): Promise<void> {
  if (process.argv.includes('--compare')) {
    // wgad against jax-js and TF.js (bench/compare/): loaded only here, so the peers are too
    await (await import('./compare/cli.js')).main();
    process.exit(0); // Dawn and the wasm helper threads keep the event loop alive
  }
  const started = performance.now();
  const fma = fusedMultiplyAdd();
  const quick = process.argv.includes('--quick');
  const o: Options = {
    quick,
    rounds: Number(arg('rounds', quick ? '2' : '5')),
    warmup: quick ? 1 : 2,
    torchThreads: Number(arg('torch-threads', '2')),
    pythons: arg('python', '') ? [arg('python', '')] : ['/usr/bin/python3', 'python3'],
  };
  const backends = arg('backends', 'cpu,webgpu').split(',');
  const baselineDir = arg('baseline', '');
  const jsonPath = arg('json', '');
  const here = fileURLToPath(new URL('..', import.meta.url));
  const engines: Engine[] = [{ name: `after (${gitRev(here)})`, api: current }];
  if (baselineDir) engines.push({ name: `before (${gitRev(baselineDir)})`, api: await loadBaseline(baselineDir) });
  const d = benchData();
  const report: Record<string, unknown> = { date: new Date().toISOString(), rounds: o.rounds, quick, engines: engines.map((e) => e.name), loadavg: loadavg() };
  console.log(`# wgad workloads: ${engines.map((e) => e.name).join(' vs ')}; medians of ${o.rounds} interleaved rounds after ${o.warmup} warm-up call(s)\n`);
  console.log(loadLine('at the start'));
  console.log(fma);
  report.fma = fma;
  const refs: References = {};
  if (backends.includes('cpu')) await runCpu(engines, d, o, refs, report);
  if (backends.includes('webgpu')) await runWebgpu(engines, d, o, refs, report);
  console.log(`\n${((performance.now() - started) / 1000).toFixed(0)} s in all; ${loadLine('at the end')}`);
  if (jsonPath) writeFileSync(jsonPath, JSON.stringify(report, null, 1));
  process.exit(0); // the wasm helper thread and Dawn keep the event loop alive
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
