// Creation: tensor() from numbers, nested arrays and typed arrays; zeros/ones/full/*Like,
// arange, linspace, randn/rand (seeded, reproducible, plausible statistics); Tensor accessors.

import { expect, it } from 'vitest';
import * as W from '../../src/index.js';
import { describeBackends } from '../helpers/backends.js';
import * as R from './ref.js';

describeBackends('creation', (c) => {
  const dtype = c.dtype;
  const f = (v: number): number => (dtype === 'float32' ? Math.fround(v) : v);

  it('a number gives a 0-d tensor', async () => {
    const t = W.tensor(2.5, { dtype });
    expect(t.shape).toEqual([]);
    expect(t.ndim).toBe(0);
    expect(t.size).toBe(1);
    expect(t.dtype).toBe(dtype);
    expect(await t.array()).toBe(2.5);
    expect(await t.item()).toBe(2.5);
  });

  it('nested arrays give their shape, row-major', async () => {
    const t = W.tensor(
      [
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
      ],
      { dtype },
    );
    expect(t.shape).toEqual([1, 2, 3]);
    expect(t.size).toBe(6);
    expect(Array.from(await t.data())).toEqual([1, 2, 3, 4, 5, 6]);
    expect(await t.array()).toEqual([
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
    ]);
    expect(W.tensor([], { dtype }).shape).toEqual([0]);
    expect(W.tensor([[], []], { dtype }).shape).toEqual([2, 0]);
  });

  it('values are stored in the dtype (float32 rounds)', async () => {
    const t = W.tensor([0.1, 1 / 3, 1e-40, 3e38], { dtype });
    expect(Array.from(await t.data())).toEqual([0.1, 1 / 3, 1e-40, 3e38].map(f));
    expect((await t.data()) instanceof (dtype === 'float32' ? Float32Array : Float64Array)).toBe(true);
  });

  it('typed arrays with { shape }, and flat arrays reshaped by { shape }', async () => {
    const src = new Float64Array([1, 2, 3, 4, 5, 6]);
    const t = W.tensor(src, { shape: [2, 3], dtype });
    expect(t.shape).toEqual([2, 3]);
    expect(await t.array()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(W.tensor(new Float32Array(4), { dtype }).shape).toEqual([4]);
    expect(await W.tensor([1, 2, 3, 4], { shape: [2, 2], dtype }).array()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(W.tensor(src).dtype).toBe('float32'); // float32 unless asked otherwise
    src[0] = 99; // the tensor owns a copy
    expect((await t.data())[0]).toBe(1);
  });

  it('data() returns a copy the caller may change', async () => {
    const t = W.tensor([1, 2], { dtype });
    const d = await t.data();
    d[0] = 7;
    expect(Array.from(await t.data())).toEqual([1, 2]);
    const u = t.add(1);
    const e = await u.data();
    e[0] = 7;
    expect(Array.from(await u.data())).toEqual([2, 3]);
  });

  it('zeros, ones, full and the *Like forms', async () => {
    await R.expectExact(W.zeros([2, 3], { dtype }), R.nd([2, 3], new Array(6).fill(0)));
    await R.expectExact(W.ones([3], { dtype }), R.nd([3], [1, 1, 1]));
    await R.expectExact(W.full([2, 2], -1.5, { dtype }), R.nd([2, 2], [-1.5, -1.5, -1.5, -1.5]));
    await R.expectExact(W.full([], 7, { dtype }), R.nd([], [7]));
    const x = W.ones([4, 1], { dtype });
    expect(W.zerosLike(x).shape).toEqual([4, 1]);
    expect(W.onesLike(x).dtype).toBe(dtype);
    await R.expectExact(W.onesLike(x), R.nd([4, 1], [1, 1, 1, 1]));
    expect(W.zeros([0], { dtype }).size).toBe(0);
  });

  it('arange: one argument, start/stop, fractional and negative steps', async () => {
    await R.expectExact(W.arange(5, undefined, 1, { dtype }), R.nd([5], [0, 1, 2, 3, 4]));
    await R.expectExact(W.arange(2, 5, 1, { dtype }), R.nd([3], [2, 3, 4]));
    await R.expectExact(W.arange(0, 1, 0.25, { dtype }), R.nd([4], [0, 0.25, 0.5, 0.75]));
    await R.expectExact(W.arange(3, 0, -1, { dtype }), R.nd([3], [3, 2, 1]));
    expect(W.arange(0, 1, 0.1).shape).toEqual([10]);
    expect(W.arange(5, 2).shape).toEqual([0]);
    expect(W.arange(4).dtype).toBe('float32');
  });

  it('linspace includes both ends', async () => {
    await R.expectExact(W.linspace(0, 1, 5, { dtype }), R.nd([5], [0, 0.25, 0.5, 0.75, 1]));
    await R.expectExact(W.linspace(2, -2, 3, { dtype }), R.nd([3], [2, 0, -2]));
    await R.expectExact(W.linspace(3, 9, 1, { dtype }), R.nd([1], [3]));
    expect(W.linspace(0, 1, 0, { dtype }).shape).toEqual([0]);
  });

  it('randn/rand: the same seed gives the same numbers, different seeds differ', async () => {
    const a = await W.randn([50], { seed: 42, dtype }).data();
    const b = await W.randn([50], { seed: 42, dtype }).data();
    const d = await W.randn([50], { seed: 43, dtype }).data();
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(d));
    const u = await W.rand([50], { seed: 42, dtype }).data();
    expect(Array.from(u)).toEqual(Array.from(await W.rand([50], { seed: 42, dtype }).data()));
    expect(Array.from(u)).not.toEqual(Array.from(await W.rand([50], { seed: 7, dtype }).data()));
    // unseeded calls give fresh numbers
    expect(Array.from(await W.randn([8]).data())).not.toEqual(Array.from(await W.randn([8]).data()));
  });

  it('randn has mean ~0 and variance ~1; rand is uniform in [0, 1)', async () => {
    const n = 20000;
    const z = Array.from(await W.randn([n], { seed: 1, dtype }).data());
    const mean = z.reduce((s, v) => s + v, 0) / n;
    const vari = z.reduce((s, v) => s + (v - mean) ** 2, 0) / n;
    expect(Math.abs(mean)).toBeLessThan(0.03); // 4 standard errors
    expect(Math.abs(vari - 1)).toBeLessThan(0.04);
    expect(z.filter((v) => Math.abs(v) < 1).length / n).toBeCloseTo(0.6827, 1);
    const u = Array.from(await W.rand([n], { seed: 2, dtype }).data());
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
    expect(Math.abs(u.reduce((s, v) => s + v, 0) / n - 0.5)).toBeLessThan(0.01);
    expect(u.filter((v) => v < 0.25).length / n).toBeCloseTo(0.25, 1);
  });

  it('random tensors have the requested shape and dtype', () => {
    const t = W.randn([2, 3, 4], { seed: 3, dtype });
    expect(t.shape).toEqual([2, 3, 4]);
    expect(t.dtype).toBe(dtype);
    expect(W.rand([], { seed: 3, dtype }).shape).toEqual([]);
  });

  it('a Tensor passed to tensor() is returned as is', () => {
    const t = W.ones([2], { dtype });
    expect(W.tensor(t as never)).toBe(t);
  });

  it('toString names the shape and dtype (and the values, which a created tensor holds on the host)', () => {
    expect(String(W.zeros([2, 3], { dtype }))).toBe(`Tensor([[0, 0, 0],\n        [0, 0, 0]], shape=[2, 3], dtype=${dtype})`);
    expect(String(W.zeros([2, 3], { dtype }).add(1))).toBe(`Tensor(shape=[2, 3], dtype=${dtype})`);
  });
});

describeBackends(
  'creation in float64',
  () => {
    it('float64 keeps full precision; float32 is the default dtype', async () => {
      const t = W.tensor([0.1, 1 / 3], { dtype: 'float64' });
      expect(t.dtype).toBe('float64');
      expect(Array.from(await t.data())).toEqual([0.1, 1 / 3]);
      expect(W.tensor([1, 2]).dtype).toBe('float32');
      expect(W.zeros([2]).dtype).toBe('float32');
      expect(W.randn([2], { seed: 1 }).dtype).toBe('float32');
    });

    it('the same seed gives float32 numbers that are the rounded float64 ones', async () => {
      const a = await W.randn([20], { seed: 9, dtype: 'float64' }).data();
      const b = await W.randn([20], { seed: 9, dtype: 'float32' }).data();
      expect(Array.from(b)).toEqual(Array.from(a).map(Math.fround));
    });
  },
  { float32: false },
);
