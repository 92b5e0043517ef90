// Elementwise ops (unary, binary, pow, comparisons, where) in function and method form, against
// the float64 reference on random inputs, plus edge values (zeros, infinities, extremes).

import { expect, it } from 'vitest';
import * as W from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { describeBackends } from '../helpers/backends.js';
import * as R from './ref.js';

type Unary = 'neg' | 'exp' | 'log' | 'sin' | 'cos' | 'tanh' | 'sigmoid' | 'softplus' | 'sqrt' | 'square' | 'abs' | 'sign' | 'relu';

/** op, reference, input range */
const UNARY: [Unary, (x: number) => number, number, number][] = [
  ['neg', (x) => -x, -3, 3],
  ['exp', Math.exp, -4, 4],
  ['log', Math.log, 0.05, 6],
  ['sin', Math.sin, -5, 5],
  ['cos', Math.cos, -5, 5],
  ['tanh', Math.tanh, -4, 4],
  ['sigmoid', (x) => 1 / (1 + Math.exp(-x)), -8, 8],
  ['softplus', (x) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))), -8, 8],
  ['sqrt', Math.sqrt, 0, 9],
  ['square', (x) => x * x, -3, 3],
  ['abs', Math.abs, -3, 3],
  ['sign', Math.sign, -3, 3],
  ['relu', (x) => (x > 0 ? x : 0), -3, 3],
];

type Binary = 'add' | 'sub' | 'mul' | 'div' | 'maximum' | 'minimum';
const BINARY: [Binary, (x: number, y: number) => number][] = [
  ['add', (x, y) => x + y],
  ['sub', (x, y) => x - y],
  ['mul', (x, y) => x * y],
  ['div', (x, y) => x / y],
  ['maximum', (x, y) => (x > y ? x : y)],
  ['minimum', (x, y) => (x < y ? x : y)],
];

type Cmp = 'less' | 'lessEqual' | 'greater' | 'greaterEqual' | 'equal' | 'notEqual';
const CMP: [Cmp, (x: number, y: number) => boolean][] = [
  ['less', (x, y) => x < y],
  ['lessEqual', (x, y) => x <= y],
  ['greater', (x, y) => x > y],
  ['greaterEqual', (x, y) => x >= y],
  ['equal', (x, y) => x === y],
  ['notEqual', (x, y) => x !== y],
];

describeBackends('elementwise ops', (c) => {
  const rng = new R.Lcg(101);

  for (const [name, ref, lo, hi] of UNARY) {
    it(`${name}: function and method forms match the reference`, async () => {
      const [x, xr] = R.input(rng, [3, 5], c, lo, hi);
      const want = R.map(xr, ref);
      await R.expectClose((W[name] as (t: Tensor) => Tensor)(x), want, c);
      await R.expectClose((x[name] as () => Tensor).call(x), want, c);
    });
  }

  it('unary ops on finite edge values (zeros, large magnitudes)', async () => {
    const v = [0, -0, 30, -30, 1e-6, -1e-6];
    const x = W.tensor(v, { dtype: c.dtype });
    const xr = R.nd([6], v);
    await R.expectClose(
      x.relu(),
      R.map(xr, (t) => (t > 0 ? t : 0)),
      c,
    );
    await R.expectClose(x.abs(), R.map(xr, Math.abs), c);
    await R.expectClose(x.tanh(), R.map(xr, Math.tanh), c);
    await R.expectClose(
      x.sigmoid(),
      R.map(xr, (t) => 1 / (1 + Math.exp(-t))),
      c,
    );
    await R.expectClose(
      x.softplus(),
      R.map(xr, (t) => Math.max(t, 0) + Math.log1p(Math.exp(-Math.abs(t)))),
      c,
    );
    await R.expectExact(x.sign(), R.map(xr, Math.sign));
    await R.expectClose(x.exp(), R.map(xr, Math.exp), c);
  });

  it('neg of a number gives a 0-d tensor; stopGradient keeps the value', async () => {
    const n = W.neg(3);
    expect(n.shape).toEqual([]);
    expect(await n.item()).toBe(-3);
    const [x, xr] = R.input(rng, [2, 3], c);
    await R.expectExact(W.stopGradient(x), xr);
    await R.expectClose(
      W.stopGradient(x.exp()).mul(2),
      R.map(xr, (v) => 2 * Math.exp(v)),
      c,
    );
  });

  for (const [name, ref] of BINARY) {
    it(`${name}: function and method forms match the reference`, async () => {
      const [x, xr] = R.input(rng, [4, 3], c);
      // divisors: magnitudes in [0.25, 2) with both signs, away from zero
      const yr = name === 'div' ? R.map(rng.array([4, 3], c.dtype, 0.25, 2), (t) => (rng.next() < 0.5 ? -t : t)) : rng.array([4, 3], c.dtype);
      const y = R.toTensor(yr, c.dtype);
      const want = R.zip(xr, yr, ref);
      await R.expectClose((W[name] as (a: Tensor, b: Tensor) => Tensor)(x, y), want, c);
      await R.expectClose((x[name] as (b: Tensor) => Tensor).call(x, y), want, c);
    });

    it(`${name}: JS numbers on either side`, async () => {
      const [x, xr] = R.input(rng, [5], c, 0.5, 3);
      const f = W[name] as (a: Tensor | number, b: Tensor | number) => Tensor;
      await R.expectClose(f(x, 1.5), R.zip(xr, 1.5, ref), c);
      await R.expectClose(f(-0.75, x), R.zip(-0.75, xr, ref), c);
      await R.expectClose((x[name] as (b: number) => Tensor).call(x, 2), R.zip(xr, 2, ref), c);
    });
  }

  it('maximum and minimum on ties and mixed signs', async () => {
    const a = W.tensor([1, -5, 3, 2, 0], { dtype: c.dtype });
    const b = W.tensor([1, 0, 7, -2, -0.5], { dtype: c.dtype });
    await R.expectExact(a.maximum(b), R.nd([5], [1, 0, 7, 2, 0]));
    await R.expectExact(a.minimum(b), R.nd([5], [1, -5, 3, -2, -0.5]));
  });

  for (const p of [3, -2, 0.5, 1.5, -0.5, -1, 0, 1, 2]) {
    it(`pow with exponent ${p}`, async () => {
      const frac = !Number.isInteger(p);
      const [x, xr] = R.input(rng, [2, 4], c, frac ? 0.1 : -2, 2.5);
      // integer exponents: keep bases away from 0 so negative powers stay moderate
      const base = frac ? xr : R.map(xr, (t) => (Math.abs(t) < 0.2 ? t + 0.5 : t));
      const xt = frac ? x : R.toTensor(base, c.dtype);
      const want = R.map(base, (t) => t ** p);
      await R.expectClose(W.pow(xt, p), want, c);
      await R.expectClose(xt.pow(p), want, c);
    });
  }

  it('pow of negative bases with integer exponents keeps the sign', async () => {
    const x = W.tensor([-2, -0.5], { dtype: c.dtype });
    await R.expectClose(x.pow(3), R.nd([2], [-8, -0.125]), c);
    await R.expectClose(x.pow(-1), R.nd([2], [-0.5, -2]), c);
  });

  for (const [name, ref] of CMP) {
    it(`${name}: 1 where it holds, else 0 (function, method, number operand)`, async () => {
      // small integers so that ties occur
      const xr = R.map(rng.array([3, 4], 'float64', 0, 3), Math.floor);
      const yr = R.map(rng.array([3, 4], 'float64', 0, 3), Math.floor);
      const x = R.toTensor(xr, c.dtype),
        y = R.toTensor(yr, c.dtype);
      const f = W[name] as (a: Tensor | number, b: Tensor | number) => Tensor;
      const want = R.zip(xr, yr, (a, b) => (ref(a, b) ? 1 : 0));
      await R.expectExact(f(x, y), want);
      await R.expectExact((x[name] as (b: Tensor) => Tensor).call(x, y), want);
      await R.expectExact(
        f(x, 1),
        R.zip(xr, 1, (a, b) => (ref(a, b) ? 1 : 0)),
      );
      await R.expectExact(
        f(1, x),
        R.zip(1, xr, (a, b) => (ref(a, b) ? 1 : 0)),
      );
      expect(f(x, y).dtype).toBe(c.dtype);
    });
  }

  it('where selects by a nonzero condition, broadcasting all three operands', async () => {
    const condR = R.nd([3, 1], [1, 0, -2]);
    const [a, ar] = R.input(rng, [3, 4], c);
    const [b, br] = R.input(rng, [4], c);
    const cond = R.toTensor(condR, c.dtype);
    const want = R.zip3(condR, ar, br, (k, p, q) => (k !== 0 ? p : q));
    await R.expectClose(W.where(cond, a, b), want, c);
    await R.expectClose(
      W.where(cond, a, 0.5),
      R.zip3(condR, ar, 0.5, (k, p, q) => (k !== 0 ? p : q)),
      c,
    );
    await R.expectClose(
      W.where(a.greater(0), a, b),
      R.zip3(ar, ar, br, (k, p, q) => (k > 0 ? p : q)),
      c,
    );
  });

  it('a chain mixing many ops matches the composed reference', async () => {
    const [x, xr] = R.input(rng, [6, 5], c, -1.5, 1.5);
    const [y, yr] = R.input(rng, [6, 5], c, 0.5, 2);
    const got = x.mul(y).add(1).tanh().sub(x.sigmoid()).div(y.sqrt()).exp().maximum(x.abs()).mul(-0.5).softplus();
    const want = R.map(
      R.zip(
        R.zip(
          R.map(
            R.zip(
              R.zip(xr, yr, (a, b) => Math.tanh(a * b + 1) - 1 / (1 + Math.exp(-a))),
              yr,
              (t, b) => t / Math.sqrt(b),
            ),
            Math.exp,
          ),
          R.map(xr, Math.abs),
          (p, q) => Math.max(p, q),
        ),
        -0.5,
        (p, q) => p * q,
      ),
      (t) => Math.max(t, 0) + Math.log1p(Math.exp(-Math.abs(t))),
    );
    await R.expectClose(got, want, c);
  });
});
