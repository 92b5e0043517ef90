// Index ops against plain-JS loops: argmax / argmin (first index at ties, first NaN), oneHot,
// take and gather (values, negative and repeated indices, broadcasting) and their derivatives
// (the VJP is a scatter-add; argmax has none); build-time errors of the index and fused ops.

import { expect, it } from 'vitest';
import {
  type Tensor,
  ArgumentError,
  ShapeError,
  argmax,
  argmin,
  attention,
  gather,
  grad,
  jet,
  jvp,
  layerNorm,
  logSoftmax,
  oneHot,
  softmax,
  take,
  tensor,
  zeros,
} from '../../src/index.js';
import { describeBackends } from '../helpers/backends.js';
import { expectErr } from '../helpers/errors.js';
import { randomData } from '../helpers/finiteDiff.js';

/** Values with -0 as 0: a sum of selected entries and zeros gives 0 where x held -0. */
const plain = (v: ArrayLike<number>): number[] => Array.from(v, (a) => a + 0);
const strides = (shape: readonly number[]): number[] => shape.map((_, i) => shape.slice(i + 1).reduce((p, d) => p * d, 1));
const size = (shape: readonly number[]): number => shape.reduce((p, d) => p * d, 1);
/** Multi-index of flat position f in `shape`. */
const unflat = (f: number, shape: readonly number[]): number[] => strides(shape).map((s, i) => Math.floor(f / s) % shape[i]!);
const flatOf = (idx: readonly number[], shape: readonly number[]): number => idx.reduce((p, v, i) => p + v * strides(shape)[i]!, 0);

/** Plain-JS argmax/argmin along `axis` (reduced away): the first extreme, or the first NaN. */
function argRef(data: ArrayLike<number>, shape: number[], axis: number, better: (a: number, b: number) => boolean): number[] {
  const outShape = shape.filter((_, i) => i !== axis);
  return Array.from({ length: size(outShape) }, (_, o) => {
    const base = unflat(o, outShape);
    let best = -1;
    for (let j = 0; j < shape[axis]!; j++) {
      const idx = [...base.slice(0, axis), j, ...base.slice(axis)];
      const v = data[flatOf(idx, shape)]!;
      if (Number.isNaN(v)) return j;
      if (best < 0 || better(v, data[flatOf([...base.slice(0, axis), best, ...base.slice(axis)], shape)]!)) best = j;
    }
    return best;
  });
}

describeBackends('index ops against plain-JS loops', (c) => {
  const T = (data: number[], shape: number[]): Tensor => tensor(data, { shape, dtype: c.dtype });
  const shape = [3, 4, 5];
  // multiples of 1/8 in [-2, 2]: many ties
  const data = randomData(size(shape), 3, 'dyadic');
  const x = T(data, shape);

  it('argmax / argmin along every axis, flattened and with keepdims: the first extreme', async () => {
    for (let a = 0; a < 3; a++) {
      expect(Array.from(await argmax(x, a).data()), `argmax axis ${a}`).toEqual(argRef(data, shape, a, (p, q) => p > q));
      expect(Array.from(await x.argmin(a).data()), `argmin axis ${a}`).toEqual(argRef(data, shape, a, (p, q) => p < q));
    }
    expect(argmax(x, 1, true).shape).toEqual([3, 1, 5]);
    expect(Array.from(await argmax(x, -2, true).data())).toEqual(argRef(data, shape, 1, (p, q) => p > q));
    expect(await x.argmax().item()).toBe(argRef(data, [data.length], 0, (p, q) => p > q)[0]);
    expect(argmin(x, undefined, true).shape).toEqual([1, 1, 1]);
  });

  it('argmax / argmin: a NaN along the axis wins (its first position), as in NumPy', async () => {
    const v = [1, 5, 5, -2, Number.NaN, 3, Number.NaN, 0, 7, 7, 7, 7];
    const t = T(v, [3, 4]);
    expect(Array.from(await argmax(t, 1).data())).toEqual([1, 0, 0]);
    expect(Array.from(await argmin(t, 1).data())).toEqual([3, 0, 0]);
  });

  it('argmax has a zero derivative', async () => {
    const g = grad((y: Tensor) => argmax(y, 1).sum().add(y.sum()))(x);
    expect(Array.from(await g.data())).toEqual(new Array(data.length).fill(1));
  });

  it('oneHot: [...indices.shape, n]', async () => {
    const idx = [2, 0, 3, 3, 1, 0];
    const h = oneHot(T(idx, [2, 3]), 4);
    expect(h.shape).toEqual([2, 3, 4]);
    expect(Array.from(await h.data())).toEqual(idx.flatMap((i) => [0, 1, 2, 3].map((j) => (j === i ? 1 : 0))));
  });

  it('take along a middle axis (negative, repeated indices) and flattened; its VJP scatters and adds', async () => {
    const idx = [3, -1, 0, 2, 0, 1]; // into axis 1 (size 4)
    const I = T(idx, [2, 3]);
    const got = take(x, I, 1);
    expect(got.shape).toEqual([3, 2, 3, 5]);
    const rows = idx.map((r) => (r < 0 ? r + 4 : r));
    const want: number[] = [];
    for (let i = 0; i < 3; i++) for (const r of rows) for (let k = 0; k < 5; k++) want.push(data[flatOf([i, r, k], shape)]!);
    expect(plain(await got.data())).toEqual(plain(want));
    expect(Array.from(await x.take(T([7, 0, -1], [3])).data())).toEqual([data[7], data[0], data[data.length - 1]]);
    // VJP: cotangent u of the taken entries added back at their source positions
    const u = randomData(size(got.shape), 9, 'dyadic');
    const g = grad((y: Tensor) => take(y, I, 1).mul(T(u, got.shape)).sum())(x);
    const scatter = new Array<number>(data.length).fill(0);
    let p = 0;
    for (let i = 0; i < 3; i++) for (const r of rows) for (let k = 0; k < 5; k++) scatter[flatOf([i, r, k], shape)]! += u[p++]!;
    expect(plain(await g.data())).toEqual(plain(scatter));
    // JVP: the tangent is taken the same way
    const t = T(randomData(data.length, 11, 'dyadic'), shape);
    expect(Array.from(await jvp((y: Tensor) => take(y, I, 1), [x], [t])[1].data())).toEqual(Array.from(await take(t, I, 1).data()));
  });

  it('gather (take_along_axis) with broadcasting indices; its VJP scatters and adds', async () => {
    const ishape = [1, 6, 5]; // broadcasts over axis 0 of x; 6 picks along axis 1
    const idx = randomData(size(ishape), 21).map((u) => Math.floor((u + 2) * 2) - 4); // in [-4, 3]
    const got = gather(x, T(idx, ishape), 1);
    expect(got.shape).toEqual([3, 6, 5]);
    const want: number[] = [];
    const src: number[] = [];
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 6; j++)
        for (let k = 0; k < 5; k++) {
          const r = idx[flatOf([0, j, k], ishape)]!;
          src.push(flatOf([i, r < 0 ? r + 4 : r, k], shape));
          want.push(data[src[src.length - 1]!]!);
        }
    expect(plain(await got.data())).toEqual(plain(want));
    const u = randomData(want.length, 23, 'dyadic');
    const g = grad((y: Tensor) => y.gather(T(idx, ishape), 1).mul(T(u, got.shape)).sum())(x);
    const scatter = new Array<number>(data.length).fill(0);
    src.forEach((s, p) => (scatter[s]! += u[p]!));
    expect(plain(await g.data())).toEqual(plain(scatter));
  });

  it('Taylor mode passes through take and gather: each coefficient is taken the same way', async () => {
    const Xs = [1, 2].map((k) => T(randomData(data.length, 30 + k, 'dyadic'), shape));
    const ops: ((y: Tensor) => Tensor)[] = [(y) => take(y, T([2, -1, 0], [3]), 2), (y) => gather(y, T([1, 0, 3, 1, 2], [1, 1, 5]), 1)];
    for (const f of ops) {
      const [, zs] = jet(f, [x], [Xs]);
      for (let k = 0; k < 2; k++) expect(plain(await zs[k]!.data()), `Z${k + 1}`).toEqual(plain(await f(Xs[k]!).data()));
    }
  });

  it('an Infinity elsewhere in x does not leak into take', async () => {
    const y = T([1, Number.POSITIVE_INFINITY, 3, Number.NaN], [4]);
    expect(Array.from(await take(y, T([2, 0], [2])).data())).toEqual([3, 1]);
  });
});

describeBackends(
  'index and fused ops: errors at build time',
  (c) => {
    const x = zeros([2, 3], { dtype: c.dtype });
    const I = (v: number[]): Tensor => tensor(v, { dtype: c.dtype });

    it('bad axes', () => {
      expectErr(() => argmax(x, 2), ShapeError, 'argmax', 'axis 2');
      expectErr(() => softmax(x, -3), ShapeError, 'softmax', 'axis -3');
      expectErr(() => logSoftmax(zeros([], { dtype: c.dtype })), ShapeError, 'logSoftmax', 'shape []');
      expectErr(() => take(x, I([0]), 2), ShapeError, 'take', 'axis 2');
      expectErr(() => argmin(zeros([2, 0], { dtype: c.dtype }), 1), ShapeError, 'argmin', 'size 0');
      expectErr(() => layerNorm(x, { axis: [1, 1] }), ShapeError, 'layerNorm', 'repeated');
    });

    it('indices out of range, fractional, or of the wrong rank', () => {
      expectErr(() => take(x, I([0, 3]), 1), ArgumentError, 'take', 'index 3', 'size 3');
      expectErr(() => take(x, I([-4]), 1), ArgumentError, 'take', 'index -4');
      expectErr(() => x.take(I([6])), ArgumentError, 'take', 'index 6', 'size 6');
      expectErr(() => gather(x, tensor([[0.5, 1]], { dtype: c.dtype }), 1), ArgumentError, 'gather', 'integers', '0.5');
      expectErr(() => gather(x, I([0, 1]), 1), ShapeError, 'gather', 'rank');
      expectErr(() => gather(x, tensor([[0], [0], [0]], { dtype: c.dtype }), 1), ShapeError, 'gather');
      expectErr(() => oneHot(I([0, 3]), 3), ArgumentError, 'oneHot', 'index 3');
      expectErr(() => oneHot(I([0]), -1), ArgumentError, 'oneHot', 'n must');
    });

    it('fused ops: shapes, options and arguments', () => {
      const q = zeros([2, 4, 3], { dtype: c.dtype });
      expectErr(() => attention(q, zeros([2, 5, 2], { dtype: c.dtype }), zeros([2, 5, 3], { dtype: c.dtype })), ShapeError, 'attention', '[2, 5, 2]');
      expectErr(() => attention(q, q, zeros([2, 3, 3], { dtype: c.dtype })), ShapeError, 'attention', 'v [2, 3, 3]');
      expectErr(() => attention(q, q, q, { mask: zeros([3, 4], { dtype: c.dtype }) }), ShapeError, 'attention', 'mask', '[3, 4]');
      expectErr(() => attention(q, q, q, { scale: Number.NaN }), ArgumentError, 'attention', 'scale');
      expectErr(() => layerNorm(x, { weight: zeros([2], { dtype: c.dtype }) }), ShapeError, 'layerNorm', 'weight', '[2]');
      expectErr(() => layerNorm(x, { eps: -1 }), ArgumentError, 'layerNorm', 'eps');
      expectErr(() => softmax([1, 2] as never), ArgumentError, 'softmax', 'Tensor');
    });
  },
  { float32: false }, // build-time checks: one backend case is enough
);
