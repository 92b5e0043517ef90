// WebGPU results against the CPU backend in float64: every elementwise op of the kernel IR,
// masked views (pad, concat, slices into padding), reductions over various axes (both reduction
// templates), and matmul with transposed / broadcast / sliced operands, fused A / B producers and
// fused epilogues, with each matmul template (register-blocked with 4x4, 4x8 and 8x8 blocks,
// workgroup-tiled, and rows).

import { beforeAll, expect, it } from 'vitest';
import * as W from '../../src/index.js';
import { type Tensor, init, tensor } from '../../src/index.js';
import { GPU32 } from '../helpers/backends.js';
import { describeWebGPU } from './adapter.js';
import { expectClose, gpu, lcg } from './util.js';
import { loopProgram } from '../../kernels/loop.js';
import type { LoopKernel } from '../../src/schedule/kernel.js';
import { schedule } from '../../src/schedule/scheduler.js';

interface Case {
  name: string;
  inputs: { shape: number[]; lo?: number; hi?: number }[];
  f: (...x: Tensor[]) => Tensor;
  /** Extra absolute tolerance for large-magnitude results (sums of many terms). */
  scale?: number;
}

const T = (shape: number[], lo = -2, hi = 2) => ({ shape, lo, hi });

const unary: [string, (x: Tensor) => Tensor, number, number][] = [
  ['neg', (x) => x.neg(), -3, 3],
  ['exp', (x) => x.exp(), -5, 5],
  ['log', (x) => x.log(), 0.01, 20],
  ['sin', (x) => x.sin(), -40, 40],
  ['cos', (x) => x.cos(), -40, 40],
  ['tanh', (x) => x.tanh(), -30, 30],
  ['tanh small', (x) => x.tanh(), -1e-3, 1e-3],
  ['sigmoid', (x) => x.sigmoid(), -30, 30],
  ['softplus', (x) => x.softplus(), -30, 30],
  ['sqrt', (x) => x.sqrt(), 0, 10],
  ['abs', (x) => x.abs(), -3, 3],
  ['sign', (x) => x.sign(), -3, 3],
  ['pow 3', (x) => x.pow(3), -3, 3],
  ['pow -2', (x) => x.pow(-2), 0.5, 3],
  ['pow 0.5', (x) => x.pow(0.5), 0, 4],
  ['pow -1', (x) => x.pow(-1), 0.5, 3],
  ['pow 1.7', (x) => x.pow(1.7), 0, 4],
  ['pow 7', (x) => x.pow(7), -1.5, 1.5],
  ['relu', (x) => x.relu(), -2, 2],
];

const cases: Case[] = [
  ...unary.map(([name, f, lo, hi]) => ({ name: `unary ${name}`, inputs: [T([5, 37], lo, hi)], f })),
  // 4 elements per thread (vec4 loads / stores) when the innermost dimension allows it
  ...unary.map(([name, f, lo, hi]) => ({ name: `vec4 unary ${name}`, inputs: [T([4, 36], lo, hi)], f })),
  {
    name: 'vec4 binary with splat and gathered operands',
    inputs: [T([8, 12]), T([8, 1]), T([12, 8]), T([12])],
    f: (a, b, c, d) => a.mul(b).add(c.transpose()).div(d.abs().add(1)).maximum(a.neg()),
  },
  {
    name: 'vec4 comparisons and where',
    inputs: [T([6, 8]), T([6, 8])],
    f: (a, b) => W.where(a.less(b), a.exp(), b.sin()).add(a.notEqual(b)).add(a.greaterEqual(b).mul(2)),
  },
  {
    name: 'vec4 over a padded (masked outer dim) view',
    inputs: [T([3, 8])],
    f: (x) =>
      x
        .pad([
          [2, 1],
          [0, 0],
        ])
        .mul(3)
        .add(1),
  },
  { name: 'binary add/sub/mul/div broadcast', inputs: [T([4, 1, 6]), T([3, 1], 0.5, 2)], f: (a, b) => a.add(b).mul(a.sub(b)).div(b) },
  { name: 'maximum / minimum', inputs: [T([7, 9]), T([9])], f: (a, b) => W.maximum(a, b).add(W.minimum(a, b).mul(3)) },
  {
    name: 'comparisons',
    inputs: [T([6, 11]), T([6, 11])],
    f: (a, b) => a.less(b).add(a.lessEqual(b).mul(2)).add(a.greater(b).mul(4)).add(a.greaterEqual(b).mul(8)).add(a.equal(a).mul(16)).add(a.notEqual(b).mul(32)),
  },
  { name: 'where', inputs: [T([5, 8]), T([5, 8]), T([8])], f: (c, a, b) => W.where(c.greater(0), a, b) },
  { name: 'scalars (uniforms)', inputs: [T([33])], f: (x) => x.mul(1.5).add(-0.25).div(3).sub(7) },
  { name: 'chain of 12 ops', inputs: [T([3, 5, 7])], f: (x) => x.mul(2).add(1).tanh().mul(x).exp().add(0.5).log().sin().mul(x.cos()).sub(x).abs().sqrt() },
  // masks
  {
    name: 'pad',
    inputs: [T([3, 4])],
    f: (x) =>
      x
        .pad([
          [1, 2],
          [0, 3],
        ])
        .mul(2)
        .add(1),
  },
  { name: 'concat', inputs: [T([2, 3]), T([2, 5]), T([2, 1])], f: (a, b, c) => W.concat([a, b.exp(), c], 1) },
  { name: 'stack + slice with steps', inputs: [T([4, 6]), T([4, 6])], f: (a, b) => W.stack([a, b], 1).slice([1, 0, 1], [4, 2, 6], [2, 1, 2]) },
  {
    name: 'slice into the padding',
    inputs: [T([5])],
    f: (x) =>
      x
        .pad([[3, 3]])
        .slice([1], [6])
        .mul(x.slice([0], [5])),
  },
  { name: 'transpose + broadcast', inputs: [T([3, 4]), T([4])], f: (x, y) => x.transpose().add(y.reshape([4, 1])) },
  // several work items per thread on software adapters (kernels/loop.ts itemsPerThread), with a
  // partial last thread: 16 vec4 groups per thread, and 6 scalar elements per thread
  { name: 'vec4 elementwise, 16 items per thread, tail', inputs: [T([129, 1028]), T([1028])], f: (x, y) => x.mul(y).add(x.exp()) },
  { name: 'elementwise, 6 items per thread, tail', inputs: [T([1031, 3])], f: (x) => x.transpose().sin().mul(2) },
  // reductions
  { name: 'sum axis 1, 16 outputs per thread, tail', inputs: [T([8197, 3])], f: (x) => x.mul(x).sum(1).sqrt() },
  { name: 'sum all (workgroup tree)', inputs: [T([3000])], f: (x) => x.sum(), scale: 30 },
  { name: 'sum axis 0', inputs: [T([300, 7])], f: (x) => x.sum(0), scale: 10 },
  { name: 'sum axis 1', inputs: [T([7, 300])], f: (x) => x.sum(1), scale: 10 },
  { name: 'sum axes [0, 2] with prologue and epilogue', inputs: [T([5, 6, 7])], f: (x) => x.mul(x).sum([0, 2]).sqrt().add(1) },
  { name: 'mean keepdims', inputs: [T([4, 5, 6])], f: (x) => x.mean(1, true).mul(x) },
  { name: 'max axis 1', inputs: [T([9, 50])], f: (x) => x.max(1) },
  { name: 'max all (workgroup tree)', inputs: [T([5000])], f: (x) => x.max() },
  { name: 'min axis 0', inputs: [T([40, 3])], f: (x) => x.min(0) },
  { name: 'logsumexp', inputs: [T([6, 30], -20, 20)], f: (x) => x.logsumexp(1) },
  {
    name: 'sum over a padded view',
    inputs: [T([4, 5])],
    f: (x) =>
      x
        .pad([
          [2, 0],
          [1, 1],
        ])
        .sum(1),
  },
  { name: 'softmax', inputs: [T([5, 12], -5, 5)], f: (x) => x.exp().div(x.exp().sum(1, true)) },
  // matmul
  { name: 'matmul 37x29 @ 29x23 (tails)', inputs: [T([37, 29]), T([29, 23])], f: (a, b) => a.matmul(b) },
  { name: 'matmul 64x32 @ 32x48 (vec4 rows)', inputs: [T([64, 32]), T([32, 48])], f: (a, b) => a.matmul(b) },
  { name: 'matmul 45x30 @ 30x70 (4x8 blocks, tails in every dim)', inputs: [T([45, 30]), T([30, 70])], f: (a, b) => a.matmul(b) },
  { name: 'matmul Aᵀ (column loads)', inputs: [T([32, 16]), T([32, 24])], f: (a, b) => a.transpose().matmul(b) },
  { name: 'matmul Bᵀ', inputs: [T([20, 36]), T([28, 36])], f: (a, b) => a.matmul(b.transpose()) },
  { name: 'matmul Aᵀ Bᵀ odd sizes', inputs: [T([13, 9]), T([11, 13])], f: (a, b) => a.transpose().matmul(b.transpose()) },
  { name: 'matmul + bias + tanh epilogue', inputs: [T([16, 12]), T([12, 20]), T([20])], f: (x, w, b) => x.matmul(w).add(b).tanh() },
  { name: 'batched matmul with broadcast batch', inputs: [T([3, 5, 8]), T([8, 6])], f: (a, b) => a.matmul(b) },
  // enough tiles for 8 x 8 threads per workgroup in every register template (the cases above
  // take fewer threads: kernels/matmul.ts registerWorkgroup)
  { name: 'batched matmul 16 x 70x40 @ 40x36 (full workgroups, tails)', inputs: [T([16, 70, 40]), T([40, 36])], f: (a, b) => a.matmul(b) },
  { name: 'batched matmul, transposed batch operand', inputs: [T([4, 7, 6]), T([4, 7, 5])], f: (a, b) => a.transpose([0, 2, 1]).matmul(b) },
  { name: 'matrix-vector and vector-matrix', inputs: [T([9, 14]), T([14]), T([9])], f: (m, v, u) => m.matmul(v).add(u.matmul(m).sum()) },
  {
    name: 'matmul of padded / sliced operands',
    inputs: [T([6, 7]), T([9, 5])],
    f: (a, b) =>
      a
        .pad([
          [0, 0],
          [1, 1],
        ])
        .matmul(b.slice([0, 1], [9, 5])),
  },
  {
    name: 'matmul, epilogue reading a transposed tensor',
    inputs: [T([8, 8]), T([8, 8]), T([8, 8])],
    f: (a, b, c) => a.matmul(b).mul(c.transpose()).add(1).exp(),
  },
  { name: 'matmul with k = 1', inputs: [T([5, 1]), T([1, 7])], f: (a, b) => a.matmul(b) },
  {
    name: 'matmul of an elementwise A (producer fused into the loads)',
    inputs: [T([19, 13]), T([19, 13]), T([13, 10])],
    f: (a, b, w) => a.mul(b).tanh().matmul(w).add(1),
  },
  {
    name: 'matmul, batched fused A with broadcast and padded views',
    inputs: [T([1, 6, 9]), T([3, 1, 9]), T([10, 5])],
    f: (d, e, w) =>
      d
        .mul(e)
        .sin()
        .pad([
          [0, 0],
          [0, 0],
          [0, 1],
        ])
        .matmul(w),
  },
  {
    name: 'matmul of an elementwise B (a scaled weight fused into the loads)',
    inputs: [T([17, 13]), T([13, 22]), T([22])],
    f: (x, w, b) => x.matmul(w.mul(0.1).add(b)),
  },
  {
    name: 'matmul, fused A and B, B through a transpose, batched',
    inputs: [T([3, 9, 14]), T([11, 14]), T([3, 1, 14])],
    f: (a, v, u) => a.sin().matmul(v.mul(u).exp().transpose([0, 2, 1])),
  },
];

function inputsOf(c: Case, dtype: 'float32' | 'float64', seed: number): Tensor[] {
  return c.inputs.map((s, i) => {
    const n = s.shape.reduce((a, b) => a * b, 1);
    const data = lcg(n, seed * 131 + i * 7 + 1, s.lo ?? -2, s.hi ?? 2).map(Math.fround);
    return tensor(data, { shape: s.shape, dtype });
  });
}

describeWebGPU('readback against the float64 CPU backend', () => {
  const refs = new Map<string, Float64Array>();
  beforeAll(async () => {
    await init({ backend: 'cpu' });
    for (const [i, c] of cases.entries()) refs.set(c.name, (await c.f(...inputsOf(c, 'float64', i)).data()) as Float64Array);
    await init({ backend: 'webgpu' });
  });

  for (const variant of ['register', 'register-wide', 'register-8x8', 'tiled', 'rows'] as const) {
    for (const [i, c] of cases.entries()) {
      if (variant !== 'register' && !c.name.startsWith('matmul') && !c.name.startsWith('batched')) continue;
      it(`${c.name}${variant !== 'register' ? ` (${variant} matmul template)` : ''}`, async () => {
        gpu().setMatmulVariant(c.name.includes('matmul') ? variant : 'auto');
        try {
          const got = await c.f(...inputsOf(c, 'float32', i)).data();
          expect(got).toBeInstanceOf(Float32Array);
          expectClose(got, refs.get(c.name)!, GPU32.rtol, GPU32.atol * (c.scale ?? 1), c.name);
        } finally {
          gpu().setMatmulVariant('auto');
        }
      });
    }
  }

  it('contiguous kernels are vectorized (4 elements per thread), others are not', () => {
    const opts = { slowBarriers: true, matmul: 'auto', maxWorkgroupsPerDim: 65535 } as const;
    const prog = (t: Tensor) => loopProgram(schedule([t.node]).plan.kernels[0] as LoopKernel, opts);
    const x = tensor(lcg(144, 1), { shape: [4, 36] }),
      y = tensor(lcg(185, 2), { shape: [5, 37] });
    expect(prog(x.exp().add(x)).label).toMatch(/\(vec4\)$/);
    expect(prog(x.exp().add(x)).code).toContain('array<vec4<f32>>');
    expect(prog(y.exp().add(y)).label).not.toMatch(/vec4/);
  });

  it('the reference really differs between ops (sanity check of the comparison)', () => {
    expect(() => expectClose(refs.get('unary sin')!, refs.get('unary cos')!, GPU32.rtol, GPU32.atol)).toThrow();
  });
});
