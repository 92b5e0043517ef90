// The random-graph fuzzer's fixed-seed CI slice: many graphs in sequence in one process on one
// device (so state such as cached WebGPU pipelines is shared between graphs), WebGPU float32 and
// CPU float32 against CPU float64 for forward, jvp, vjp, jet to order 4, collapsed Taylor mode to
// order 4 (two directions), vmap and jit; CPU float64 against a plain-JS interpreter, jvp against
// vjp (the adjoint identity), jet against nested jvp, collapsed Taylor mode against standard jets
// along each direction, vmap and jit against unbatched runs (docs/testing.md).
// `npm run fuzz -- --graphs N --seed S` runs more.

import { expect, it } from 'vitest';
import { webgpuCaseEnabled } from '../webgpu/adapter.js';
import { type Float32Backend, formatReport, runFuzz } from './fuzz.js';

const backends: Float32Backend[] = webgpuCaseEnabled() ? ['cpu32', 'webgpu'] : ['cpu32'];

// Seeds and sizes of the slice: about 2.5 minutes on a 2-core machine with SwiftShader. Seed 102
// reaches the WebGPU uniform-binding-size bug (pipeline cache key vs scalar count) at graph #42.
const SLICE: { seed: number; graphs: number }[] = [
  { seed: 1, graphs: 150 },
  { seed: 102, graphs: 150 },
];

for (const { seed, graphs } of SLICE) {
  it(`fuzz seed ${seed}: ${graphs} random graphs on ${backends.join(', ')} agree with CPU float64`, async () => {
    const r = await runFuzz({ seed, graphs, backends, maxShrink: 2 });
    console.log(formatReport(r).split('\n')[0]);
    if (r.failures.length) expect.fail(formatReport(r));
  }, 600_000);
}
