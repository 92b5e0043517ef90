// jet (Taylor mode to any order) against nested jvp (jvp of jvp of ...) along the input curve, closed forms, directions on a leading axis, known zeros.

import { expect, it } from 'vitest';
import { type Tensor, jet, jetDirections, maximum, stopGradient, tensor } from '../../src/index.js';
import { describeBackends } from '../helpers/backends.js';
import { FUNCTIONS, T, expectClose, nestedJvpCoefficients, uniform } from './zoo.js';

const UNARY: Record<string, (x: Tensor) => Tensor> = {
  tanh: (x) => x.tanh(),
  sin: (x) => x.sin(),
  cos: (x) => x.cos(),
  exp: (x) => x.exp(),
  log: (x) => x.add(2).log(),
  sigmoid: (x) => x.sigmoid(),
  softplus: (x) => x.softplus(),
  sqrt: (x) => x.add(2).sqrt(),
  'pow 2.5': (x) => x.add(2).pow(2.5),
  'pow 3 (integer: derivatives end)': (x) => x.pow(3),
  'pow -1.5': (x) => x.add(2).pow(-1.5),
  abs: (x) => x.abs().mul(x),
  reciprocal: (x) => tensor(1, { dtype: x.dtype }).div(x.add(2)),
  stopGradient: (x) => stopGradient(x.exp()).mul(x.sin()),
};

describeBackends(
  'jet against nested jvp (float64)',
  () => {
    const x0 = T(uniform(5, 1, -0.9, 0.9), [5]);
    const Xs = [1, 2, 3, 4, 5, 6].map((k) => T(uniform(5, 10 + k, -1, 1), [5]));

    for (const [name, fn] of Object.entries(UNARY)) {
      it(`${name}: K = 6 with every input coefficient non-zero`, async () => {
        const [y, zs] = jet(fn, [x0], [Xs]);
        expectClose(await y.data(), await fn(x0).data(), 1e-15, 1e-15, 'primal');
        const want = await nestedJvpCoefficients(fn, [x0], [Xs], 6);
        for (let k = 0; k < 6; k++) expectClose(await zs[k]!.data(), want[k]!, 1e-10, 1e-10, `${name} Z${k + 1}`);
      });
    }

    it('two primals, bilinear and quotient rules (mul, div, matmul, maximum) to K = 5', async () => {
      const A = T(uniform(6, 3), [2, 3]);
      const Bm = T(uniform(6, 4), [3, 2]);
      const f = (a: Tensor, b: Tensor): Tensor =>
        a
          .matmul(b)
          .tanh()
          .mul(a.matmul(b))
          .div(a.mul(a).sum().add(1))
          .add(maximum(a.sum(1), b.sum(0)).reshape([2, 1]));
      const sa = [1, 2, 3, 4, 5].map((k) => T(uniform(6, 20 + k), [2, 3]));
      const sb = [1, 2, 3, 4, 5].map((k) => T(uniform(6, 30 + k), [3, 2]));
      const [, zs] = jet(f, [A, Bm], [sa, sb]);
      const want = await nestedJvpCoefficients(f, [A, Bm], [sa, sb], 5);
      for (let k = 0; k < 5; k++) expectClose(await zs[k]!.data(), want[k]!, 1e-10, 1e-10, `Z${k + 1}`);
    });

    for (const [name, f] of Object.entries(FUNCTIONS)) {
      it(`${name}: K = 4 agrees with nested jvp`, async () => {
        const X = T(uniform(12, 5), [4, 3]);
        const s = [1, 2, 3, 4].map((k) => T(uniform(12, 40 + k), [4, 3]));
        const [, zs] = jet(f, [X], [s]);
        const want = await nestedJvpCoefficients(f, [X], [s], 4);
        for (let k = 0; k < 4; k++) expectClose(await zs[k]!.data(), want[k]!, 1e-10, 1e-10, `${name} Z${k + 1}`);
      });
    }

    it('maximum at ties averages the two operands (JAX convention, as the jvp rule); max over ties averages too', async () => {
      const x = T([1, 2, -1], [3]);
      const [, [z1, z2]] = jet(
        (a: Tensor, b: Tensor) => maximum(a, b),
        [x, x],
        [
          [T([1, 0, 4], [3]), T([2, 2, 2], [3])],
          [T([3, 2, 0], [3]), T([0, 4, 6], [3])],
        ],
      );
      expect(Array.from(await z1!.data())).toEqual([2, 1, 2]);
      expect(Array.from(await z2!.data())).toEqual([1, 3, 4]);
      const want = await nestedJvpCoefficients((a: Tensor, b: Tensor) => maximum(a, b), [x, x], [[T([1, 0, 4], [3])], [T([3, 2, 0], [3])]], 1);
      expect(Array.from(await z1!.data())).toEqual(want[0]);
      const [, [m1]] = jet((a: Tensor) => a.reshape([3, 1]).broadcastTo([3, 2]).max(1), [x], [[T([1, 5, 2], [3])]]);
      expect(Array.from(await m1!.data())).toEqual([1, 5, 2]);
    });

    it('closed forms: exp along v gives v^k e^x; sin gives the derivative cycle', async () => {
      const x = T([0.3, -1.2], [2]);
      const v = T([0.7, 2], [2]);
      const [, ze] = jet((a: Tensor) => a.exp(), [x], [[v]], { order: 6 });
      const [, zs] = jet((a: Tensor) => a.sin(), [x], [[v]], { order: 5 });
      for (let k = 1; k <= 6; k++) expectClose(await ze[k - 1]!.data(), [0.7 ** k * Math.exp(0.3), 2 ** k * Math.exp(-1.2)], 1e-14, 0, `exp Z${k}`);
      const cyc = [Math.cos, (u: number) => -Math.sin(u), (u: number) => -Math.cos(u), Math.sin];
      for (let k = 1; k <= 5; k++)
        expectClose(await zs[k - 1]!.data(), [0.7 ** k * cyc[(k - 1) % 4]!(0.3), 2 ** k * cyc[(k - 1) % 4]!(-1.2)], 1e-14, 0, `sin Z${k}`);
    });

    it('null coefficients are known zeros (same result as explicit zeros) and K = 0 returns no coefficients', async () => {
      const x = T([0.5, 1.5], [2]);
      const v = T([1, -1], [2]);
      const z = T([0, 0], [2]);
      const f = (a: Tensor) => a.tanh().mul(a);
      const [, withNull] = jet(f, [x], [[v, null, null]]);
      const [, withZeros] = jet(f, [x], [[v, z, z]]);
      for (let k = 0; k < 3; k++) expect(Array.from(await withNull[k]!.data())).toEqual(Array.from(await withZeros[k]!.data()));
      const [y, none] = jet(f, [x], [[]]);
      expect(none).toEqual([]);
      expect(Array.from(await y.data())).toEqual(Array.from(await f(x).data()));
    });

    it('pytree outputs get a coefficient list per leaf; a constant output has zero coefficients', async () => {
      const x = T([0.5, 1.5], [2]);
      const [y, s] = jet((a: Tensor) => ({ sq: a.mul(a), c: T([3], [1]) }), [x], [[T([1, 1], [2]), null]]);
      expect(Array.from(await y.sq.data())).toEqual([0.25, 2.25]);
      expect(Array.from(await s.sq[0]!.data())).toEqual([1, 3]);
      expect(Array.from(await s.sq[1]!.data())).toEqual([2, 2]);
      expect(Array.from(await s.c[1]!.data())).toEqual([0]);
    });
  },
  { float32: false },
);

describeBackends('jetDirections: R directions on a leading axis', (c) => {
  it('equals R separate jets', async () => {
    const x = tensor(Array.from(uniform(6, 50)), { shape: [2, 3], dtype: c.dtype });
    const W = tensor(Array.from(uniform(12, 51)), { shape: [3, 4], dtype: c.dtype });
    const f = (a: Tensor): Tensor => a.matmul(W).tanh().sum(1);
    const R = 3;
    const V1 = uniform(R * 6, 52),
      V2 = uniform(R * 6, 53);
    const [, zs] = jetDirections(
      f,
      [x],
      [[tensor(Array.from(V1), { shape: [R, 2, 3], dtype: c.dtype }), tensor(Array.from(V2), { shape: [R, 2, 3], dtype: c.dtype })]],
    );
    expect(zs[0]!.shape).toEqual([R, 2]);
    for (let r = 0; r < R; r++) {
      const v1 = tensor(Array.from(V1.slice(r * 6, r * 6 + 6)), { shape: [2, 3], dtype: c.dtype });
      const v2 = tensor(Array.from(V2.slice(r * 6, r * 6 + 6)), { shape: [2, 3], dtype: c.dtype });
      const [, one] = jet(f, [x], [[v1, v2]]);
      for (let k = 0; k < 2; k++) {
        const all = await zs[k]!.data();
        expectClose(all.slice(r * 2, r * 2 + 2), await one[k]!.data(), c.rtol, c.atol, `r=${r} Z${k + 1}`);
      }
    }
  });
});
