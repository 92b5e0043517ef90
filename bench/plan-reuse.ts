// Plan reuse without jit (src/schedule/plan-cache.ts): the small Laplacian of the benchmark MLP
// (bench/mlp.ts, collapsed method) called in a loop, plain without the plan cache vs jit-ed vs
// plain with the plan cache, ms per call in interleaved rounds; then what one realization spends
// scheduling vs fingerprinting and looking up the cached plan.
// Run: npx tsx bench/plan-reuse.ts [--backend cpu|webgpu] [--dtype float64|float32] [--runs 30]

import type { DType, Tensor } from '../src/index.js';
import { _planCacheStats, _setPlanCache, init, jit, laplacian } from '../src/internal.js';
import { fingerprint, PlanCache } from '../src/schedule/plan-cache.js';
import { schedule } from '../src/schedule/scheduler.js';
import { benchmarkMlp } from './mlp.js';
import { arg } from './util.js';

const median = (xs: number[]): number => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const chosen = await init({ backend: arg('backend', 'cpu') as 'cpu' | 'webgpu' });
  const dtype = arg('dtype', chosen === 'cpu' ? 'float64' : 'float32') as DType;
  const runs = Number(arg('runs', '30'));
  const { f, X } = benchmarkMlp(dtype);
  const lap = laplacian(f);
  const jitted = jit((x: Tensor) => lap(x));
  const variants = {
    plain: () => {
      _setPlanCache(false);
      return lap(X).data();
    },
    jit: () => jitted(X).data(),
    cached: () => {
      _setPlanCache(true);
      return lap(X).data();
    },
  };
  type Name = keyof typeof variants;
  const names = Object.keys(variants) as Name[];
  const ref = await variants.plain();
  for (const n of names) for (let w = 0; w < 3; w++) await variants[n](); // warm-up
  const times = new Map<Name, number[]>(names.map((n) => [n, []]));
  const before = _planCacheStats();
  for (let r = 0; r < runs; r++) {
    for (const n of names) {
      const t0 = performance.now();
      const v = await variants[n]();
      times.get(n)!.push(performance.now() - t0);
      if (v[0] !== ref[0]) throw new Error(`${n}: value differs (${v[0]} vs ${ref[0]})`);
    }
  }
  const after = _planCacheStats();
  console.log(`Laplacian of the tanh MLP, ${X.shape.join('x')} points, ${chosen} ${dtype}: median ms per call, ${runs} interleaved rounds after 3 warm-ups`);
  const ms = Object.fromEntries(names.map((n) => [n, median(times.get(n)!)])) as Record<Name, number>;
  for (const n of names) console.log(`${n.padEnd(8)} ${ms[n].toFixed(2).padStart(8)} ms  (min ${Math.min(...times.get(n)!).toFixed(2)})`);
  console.log(
    `ratios: cached/plain = ${(ms.cached / ms.plain).toFixed(3)}, cached/jit = ${(ms.cached / ms.jit).toFixed(3)}, jit/plain = ${(ms.jit / ms.plain).toFixed(3)}`,
  );
  console.log(
    `plan cache during the rounds: ${after.hits - before.hits} hits, ${after.schedules - before.schedules} schedules (those of the plain calls; jit plans on its own)`,
  );

  // one realization's planning: schedule() vs fingerprint() + lookup, on the same lazy graph
  const node = lap(X).node;
  const cache = new PlanCache();
  cache.store(fingerprint([node])!, schedule([node]));
  const sched: number[] = [];
  const hit: number[] = [];
  for (let r = 0; r < runs; r++) {
    let t0 = performance.now();
    schedule([node]);
    sched.push(performance.now() - t0);
    t0 = performance.now();
    if (!cache.lookup(fingerprint([node])!)) throw new Error('expected a cache hit');
    hit.push(performance.now() - t0);
  }
  const fp = fingerprint([node])!;
  console.log(
    `planning one call (${fp.nodes.length} graph nodes, key ${fp.key.length} chars): schedule ${median(sched).toFixed(2)} ms, fingerprint + lookup ${median(hit).toFixed(3)} ms (${(median(sched) / median(hit)).toFixed(0)}x less)`,
  );
}

void main();
