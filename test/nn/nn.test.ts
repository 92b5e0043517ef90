// nn: initializers (shapes, fans, variance for large fans, determinism per seed, the same numbers in
// both dtypes), the MLP helper against a plain-JS forward pass, and Fourier features against their
// formula.

import { describe, expect, it } from 'vitest';
import { type Tensor, ArgumentError, ShapeError, grad, init, nn, tensor } from '../../src/index.js';
import { describeBackends } from '../helpers/backends.js';
import { throwsWith } from '../helpers/errors.js';
import { expectClose, lcg } from '../webgpu/util.js';

function moments(v: ArrayLike<number>): { mean: number; variance: number; maxAbs: number } {
  let s = 0,
    maxAbs = 0;
  for (let i = 0; i < v.length; i++) {
    s += v[i]!;
    maxAbs = Math.max(maxAbs, Math.abs(v[i]!));
  }
  const mean = s / v.length;
  let q = 0;
  for (let i = 0; i < v.length; i++) q += (v[i]! - mean) ** 2;
  return { mean, variance: q / v.length, maxAbs };
}

describe('nn initializers (cpu)', () => {
  it('fans: [in, out], a receptive field, 1-D and 0-D shapes', async () => {
    await init({ backend: 'cpu' });
    expect(nn.fans([3, 5])).toEqual({ fanIn: 3, fanOut: 5 });
    expect(nn.fans([2, 7, 3, 5])).toEqual({ fanIn: 42, fanOut: 70 });
    expect(nn.fans([4])).toEqual({ fanIn: 4, fanOut: 4 });
    expect(nn.fans([])).toEqual({ fanIn: 1, fanOut: 1 });
  });

  // 240,000 draws: the sample variance is within about 0.3% (one standard error) of the true one
  const N = [400, 600];
  const cases: { name: string; make: nn.Initializer; variance: number; bound?: number }[] = [
    { name: 'glorotUniform', make: nn.glorotUniform, variance: 2 / 1000, bound: Math.sqrt(6 / 1000) },
    { name: 'glorotNormal', make: nn.glorotNormal, variance: 2 / 1000 },
    { name: 'heUniform', make: nn.heUniform, variance: 2 / 400, bound: Math.sqrt(6 / 400) },
    { name: 'heNormal', make: nn.heNormal, variance: 2 / 400 },
    { name: 'uniform', make: nn.uniform, variance: 1 / 12, bound: 1 },
    { name: 'normal', make: nn.normal, variance: 1 },
  ];
  for (const cs of cases) {
    it(`${cs.name}: shape, dtype, variance within 2%, determinism per seed`, async () => {
      await init({ backend: 'cpu' });
      const w = cs.make(N, { seed: 7, dtype: 'float64' });
      expect(w.shape).toEqual(N);
      expect(w.dtype).toBe('float64');
      const v = await w.data();
      const m = moments(v);
      expect(Math.abs(m.variance / cs.variance - 1)).toBeLessThan(0.02);
      if (cs.name === 'uniform') expect(Math.abs(m.mean - 0.5)).toBeLessThan(0.005);
      else expect(Math.abs(m.mean)).toBeLessThan(5 * Math.sqrt(cs.variance / v.length));
      if (cs.bound !== undefined) expect(m.maxAbs).toBeLessThanOrEqual(cs.bound);
      // the same seed gives the same numbers; another seed others; float32 holds the float64 values rounded
      expect(Array.from(await cs.make(N, { seed: 7, dtype: 'float64' }).data())).toEqual(Array.from(v));
      expect(Array.from(await cs.make([8], { seed: 8 }).data())).not.toEqual(Array.from(await cs.make([8], { seed: 7 }).data()));
      const v32 = await cs.make(N, { seed: 7, dtype: 'float32' }).data();
      expect(v32).toBeInstanceOf(Float32Array);
      expect(Array.from(v32)).toEqual(Array.from(v, Math.fround));
    });
  }

  it('uniform and normal with parameters; zeros; errors', async () => {
    await init({ backend: 'cpu' });
    const u = moments(await nn.uniform([100_000], { low: -3, high: 5, seed: 1, dtype: 'float64' }).data());
    expect(Math.abs(u.mean - 1)).toBeLessThan(0.05);
    expect(Math.abs(u.variance / (64 / 12) - 1)).toBeLessThan(0.02);
    const g = moments(await nn.normal([100_000], { mean: 2, std: 0.5, seed: 2, dtype: 'float64' }).data());
    expect(Math.abs(g.mean - 2)).toBeLessThan(0.01);
    expect(Math.abs(g.variance / 0.25 - 1)).toBeLessThan(0.02);
    expect(Array.from(await nn.zeros([2, 3], { dtype: 'float64' }).data())).toEqual([0, 0, 0, 0, 0, 0]);
    expect(nn.zeros([2]).dtype).toBe('float32');
    throwsWith(() => nn.uniform([2], { low: 1, high: 1 }), ArgumentError, 'uniform', 'low < high');
    throwsWith(() => nn.normal([2], { std: -1 }), ArgumentError, 'normal', 'std');
    throwsWith(() => nn.heNormal([2, -1]), ShapeError, 'heNormal', 'non-negative');
  });
});

describeBackends('nn.mlp and nn.fourierFeatures', (c) => {
  const close = (a: ArrayLike<number>, b: ArrayLike<number>, what: string) => expectClose(a, b, c.rtol, c.atol, what);

  it('mlp: parameter shapes, the forward pass against plain JS, seeded', async () => {
    const net = nn.mlp({ sizes: [3, 5, 4, 2], activation: 'tanh', seed: 3, dtype: c.dtype });
    expect(net.params.map((l) => [l.W.shape, l.b.shape])).toEqual([
      [[3, 5], [5]],
      [[5, 4], [4]],
      [[4, 2], [2]],
    ]);
    const X = tensor(lcg(7 * 3, 5), { shape: [7, 3], dtype: c.dtype });
    const out = net.apply(net.params, X);
    expect(out.shape).toEqual([7, 2]);
    // plain JS: h ← tanh(h W + b) for the hidden layers, linear output
    const layers = await Promise.all(net.params.map(async (l) => ({ W: await l.W.data(), b: await l.b.data(), out: l.W.shape[1]! })));
    const x = await X.data();
    const want: number[] = [];
    for (let r = 0; r < 7; r++) {
      let h = Array.from(x.slice(r * 3, r * 3 + 3));
      layers.forEach((l, i) => {
        const next = Array.from({ length: l.out }, (_, j) => h.reduce((s, hk, k) => s + hk * l.W[k * l.out + j]!, l.b[j]!));
        h = i < layers.length - 1 ? next.map(Math.tanh) : next;
      });
      want.push(...h);
    }
    close(await out.data(), want, 'mlp output');
    const again = nn.mlp({ sizes: [3, 5, 4, 2], seed: 3, dtype: c.dtype });
    expect(Array.from(await again.params[1]!.W.data())).toEqual(Array.from(layers[1]!.W));
    // the layers draw different numbers; biases start at zero
    expect(Array.from(await net.params[0]!.W.data()).slice(0, 4)).not.toEqual(Array.from(layers[1]!.W).slice(0, 4));
    expect(Array.from(layers[0]!.b)).toEqual([0, 0, 0, 0, 0]);
    // the parameters are an ordinary pytree: grad keeps their structure
    const g = grad((p: nn.MlpParams) => net.apply(p, X).square().sum())(net.params);
    expect(g.map((l) => l.W.shape)).toEqual(net.params.map((l) => l.W.shape));
  });

  it('mlp: activations, initializers, errors', async () => {
    const relu = nn.mlp({
      sizes: [2, 3, 1],
      activation: 'relu',
      init: nn.heUniform,
      biasInit: (s, o) => nn.normal(s, { ...o, std: 0.1 }),
      seed: 1,
      dtype: c.dtype,
    });
    const custom = nn.mlp({
      sizes: [2, 3, 1],
      activation: (x: Tensor) => x.relu(),
      init: nn.heUniform,
      biasInit: (s, o) => nn.normal(s, { ...o, std: 0.1 }),
      seed: 1,
      dtype: c.dtype,
    });
    const X = tensor(lcg(8, 9), { shape: [4, 2], dtype: c.dtype });
    close(await relu.apply(relu.params, X).data(), await custom.apply(custom.params, X).data(), 'named vs function activation');
    expect(Array.from(await relu.params[0]!.b.data())).not.toEqual([0, 0, 0]);
    throwsWith(() => nn.mlp({ sizes: [3] }), ArgumentError, 'mlp', 'sizes');
    throwsWith(() => nn.mlp({ sizes: [2, 2], activation: 'swish' as never }), ArgumentError, 'mlp', 'unknown activation', 'swish');
    throwsWith(() => relu.apply(relu.params.slice(1), X), ArgumentError, 'mlp.apply', '2 layers');
    throwsWith(() => relu.apply(relu.params, tensor(lcg(6, 1), { shape: [2, 3], dtype: c.dtype })), ShapeError, 'mlp.apply', '[2, 3]', 'input width 2');
  });

  it('fourierFeatures: [cos 2πxB, sin 2πxB] with B ~ N(0, scale²), seeded', async () => {
    const ff = nn.fourierFeatures({ inputDim: 2, features: 3, scale: 4, seed: 11, dtype: c.dtype });
    expect(ff.B.shape).toEqual([2, 3]);
    const X = tensor(lcg(10, 12), { shape: [5, 2], dtype: c.dtype });
    const out = ff.apply(X);
    expect(out.shape).toEqual([5, 6]);
    const B = await ff.B.data();
    const x = await X.data();
    const want: number[] = [];
    for (let r = 0; r < 5; r++) {
      const ang = [0, 1, 2].map((j) => 2 * Math.PI * (x[r * 2]! * B[j]! + x[r * 2 + 1]! * B[3 + j]!));
      want.push(...ang.map(Math.cos), ...ang.map(Math.sin));
    }
    // angles up to ~2π·4·2: float32 loses about 1e-6 · |angle| in them
    expectClose(await out.data(), want, c.rtol, c.dtype === 'float64' ? c.atol : 1e-4, 'features');
    expect(Array.from(await nn.fourierFeatures({ inputDim: 2, features: 3, scale: 4, seed: 11, dtype: c.dtype }).B.data())).toEqual(Array.from(B));
    throwsWith(() => nn.fourierFeatures({ inputDim: 0, features: 3 }), ArgumentError, 'inputDim');
    throwsWith(() => ff.apply(tensor(lcg(3, 1), { shape: [1, 3], dtype: c.dtype })), ShapeError, 'fourierFeatures.apply', 'inputDim = 2');
  });
});
