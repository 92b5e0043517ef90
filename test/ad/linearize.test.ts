// linearize: the value, and a linear map reused on many tangents without tracing f again, against
// central differences (float64), jvp and a loop; its transpose (linearTranspose) against vjp and the
// adjoint identity; vmap of the linear map; errors.

import { expect, it } from 'vitest';
import { ShapeError, type Tensor, TransformError, jvp, linearTranspose, linearize, vjp, vmap } from '../../src/index.js';
import { describeBackends } from '../helpers/backends.js';
import { loopStack, values } from '../helpers/batch.js';
import { expectErr } from '../helpers/errors.js';
import { absDot, dot, expectClose, expectScalarClose, fdJacobian, fromHost, jacVec, randomData, randomTensor } from '../helpers/finiteDiff.js';

describeBackends('linearize and linearTranspose', (bc) => {
  let calls = 0;
  const f = (x: Tensor, y: Tensor) => {
    calls++;
    return x.matmul(y).tanh().mul(x.sum(1, true).sin());
  };
  const X = randomTensor([3, 4], 1, bc.dtype);
  const Y = randomTensor([4, 2], 2, bc.dtype);
  const tangents = (seed: number): [Tensor, Tensor] => [randomTensor([3, 4], seed, bc.dtype), randomTensor([4, 2], seed + 1, bc.dtype)];

  it('the value, and J·t for several tangents from one trace (as jvp gives them)', async () => {
    calls = 0;
    const [out, jvpFn] = linearize(f, X, Y);
    expect(calls).toBe(1);
    expectClose(await values(out), await values(f(X, Y)), bc.rtol, bc.atol, 'value');
    for (const seed of [10, 20, 30]) {
      const [t, u] = tangents(seed);
      calls = 0;
      const got = jvpFn(t, u);
      expect(calls).toBe(0);
      expectClose(await values(got), await values(jvp(f, [X, Y], [t, u])[1]), bc.rtol, bc.atol, `J·t (${seed})`);
    }
    const [t] = tangents(40);
    expectClose(await values(jvpFn(t, null)), await values(jvp(f, [X, Y], [t, null])[1]), bc.rtol, bc.atol, 'a null tangent is zero');
  });

  it('the transpose agrees with vjp, and <u, J t> = <Jᵀ u, t>', async () => {
    const [out, jvpFn] = linearize(f, X, Y);
    const u = fromHost(randomData(out.size, 50), out.shape, bc.dtype);
    const tr = linearTranspose(jvpFn, X, Y)(u);
    const ref = vjp(f, X, Y)[1](u);
    for (let k = 0; k < 2; k++) expectClose(await values(tr[k]!), await values(ref[k]!), bc.rtol, bc.atol, `transpose[${k}]`);
    const [t, s] = tangents(60);
    const jt = await values(jvpFn(t, s));
    const uh = await values(u);
    const rhs = dot(await values(tr[0]!), await values(t)) + dot(await values(tr[1]!), await values(s));
    expectScalarClose(dot(uh, jt), rhs, bc.rtol, bc.atol, absDot(uh, jt), 'adjoint identity');
  });

  it('vmap of the linear map over a batch of tangents agrees with the loop', async () => {
    const [, jvpFn] = linearize(f, X, Y);
    const T = randomTensor([5, 3, 4], 70, bc.dtype);
    const row = (b: number) => T.slice([b], [b + 1]).reshape([3, 4]);
    const want = await loopStack(5, (b) => jvpFn(row(b), null));
    const got = vmap((t: Tensor) => jvpFn(t, null))(T);
    expect(got.shape).toEqual(want.shape);
    expectClose(await values(got), want.data, bc.rtol, bc.atol, 'vmap(jvpFn)');
  });

  it('bad tangents are refused when the map is applied', () => {
    const [, jvpFn] = linearize(f, X, Y);
    expectErr(() => (jvpFn as (...a: unknown[]) => unknown)(X), TransformError, 'linearize', 'takes 2 tangent argument(s)');
    expectErr(() => jvpFn(Y, Y), ShapeError, 'linearize', 'tangent', 'has shape [4, 2] but its primal has shape [3, 4]');
  });
});

describeBackends(
  'linearize against central differences',
  () => {
    it('J·t of a function of a parameter tree', async () => {
      const g = (p: { a: Tensor; b: Tensor }) => p.a.exp().mul(p.b.sin()).sum(0);
      const p = { a: randomTensor([2, 3], 3), b: randomTensor([2, 3], 4) };
      const [, jvpFn] = linearize(g, p);
      const va = randomData(6, 5),
        vb = randomData(6, 6);
      const got = await values(jvpFn({ a: fromHost(va, [2, 3]), b: fromHost(vb, [2, 3]) }));
      const fd = await fdJacobian((a, b) => g({ a, b }), [p.a, p.b]);
      expectClose(got, jacVec(fd, [va, vb]), 1e-6, 1e-7, 'linearize vs central differences');
    });
  },
  { float32: false },
);
