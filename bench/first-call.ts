// First-call cost on WebGPU (issue 15): the first Laplacian of the benchmark MLP (bench/mlp.ts) (three methods)
// and the first training step in a fresh process, with pipelines compiled asynchronously ahead of
// each plan (createComputePipelineAsync, the default) against compiled synchronously inside it.
// Each measurement runs in its own Node process, so no pipeline is cached from an earlier one.
// Run: npx tsx bench/first-call.ts [--rounds 3]

import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { _realizeNodes, type Tensor, grad, init, laplacian, profile } from '../src/internal.js';
import { benchmarkMlp } from './mlp.js';
import { arg } from './util.js';

type Mode = 'async' | 'sync';

/** One fresh-process measurement: ms of the first call of each workload, and compile ms. */
async function child(mode: Mode): Promise<void> {
  await init({ backend: 'webgpu' });
  const { f, X } = benchmarkMlp('float32');
  const out: Record<string, number> = {};
  const read = async (t: Tensor): Promise<void> => {
    if (mode === 'sync') _realizeNodes([t.node]); // compiles inside execute()
    await t.data();
  };
  for (const method of ['collapsed', 'taylor', 'nested'] as const) {
    const p = await profile(() => read(laplacian(f, { method })(X)));
    out[method] = p.ms;
    out[`${method} compile`] = p.compileMs;
  }
  const loss = (x: Tensor): Tensor => laplacian(f)(x).square().mean();
  const p = await profile(() => read(grad(loss)(X)));
  out['training step'] = p.ms;
  out['training step compile'] = p.compileMs;
  // init() again on the same device: the pipelines compiled above are reused
  await init({ backend: 'webgpu' });
  const again = await profile(() => read(laplacian(f, { method: 'collapsed' })(X)));
  out['collapsed after init()'] = again.ms;
  out['collapsed after init() compile'] = again.compileMs;
  console.log(JSON.stringify(out));
}

async function main(): Promise<void> {
  const mode = arg('child', '');
  if (mode) return child(mode as Mode);
  const rounds = Number(arg('rounds', '3'));
  const me = fileURLToPath(import.meta.url);
  const runs: Record<Mode, Record<string, number>[]> = { async: [], sync: [] };
  for (let r = 0; r < rounds; r++) {
    for (const m of ['sync', 'async'] as const) {
      const line = execFileSync(process.execPath, ['--import', 'tsx', me, '--child', m], { encoding: 'utf8' }).trim().split('\n').pop()!;
      runs[m].push(JSON.parse(line) as Record<string, number>);
    }
  }
  const median = (xs: number[]): number => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(`First call on WebGPU in a fresh process, median of ${rounds} interleaved rounds (ms)`);
  console.log(`${'workload'.padEnd(26)} ${'sync compile'.padStart(13)} ${'async compile'.padStart(14)} ${'ratio'.padStart(6)}`);
  for (const k of Object.keys(runs.async[0]!)) {
    const s = median(runs.sync.map((x) => x[k]!)),
      a = median(runs.async.map((x) => x[k]!));
    console.log(`${k.padEnd(26)} ${s.toFixed(1).padStart(13)} ${a.toFixed(1).padStart(14)} ${(s > 0 ? (a / s).toFixed(2) : '-').padStart(6)}`);
  }
}

void main();
