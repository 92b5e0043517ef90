// customJet: a user-defined Taylor rule used by jet, collapsed Taylor mode, the operators (laplacian,
// pde), forward mode (its order-1 coefficient) and reverse mode (that coefficient transposed),
// checked against closed forms of sin(x·a) computed in plain JS, never by the code under test.

import { expect, it } from 'vitest';
import { type Tensor, TransformError, customJet, grad, jet, laplacian, pde, tensor } from '../../src/index.js';
import { describeBackends } from '../helpers/backends.js';

/** sin's derivative coefficients to order 4 (Faà di Bruno), scaled by `s` (s = 2: a deliberately wrong rule). */
const sinRule =
  (s: number) =>
  ([x]: Tensor[], [series]: (Tensor[] | null)[], _out: Tensor, K: number): (Tensor | null)[] => {
    if (K > 4) throw new Error('test rule: order <= 4');
    const x0 = x!.reshape([1, ...x!.shape]);
    const d = [x0.cos(), x0.sin().neg(), x0.cos().neg(), x0.sin()];
    const X = (k: number): Tensor => series?.[k - 1] ?? x0.mul(0);
    const z = [
      () => d[0]!.mul(X(1)),
      () => d[0]!.mul(X(2)).add(d[1]!.mul(X(1).square())),
      () =>
        d[0]!
          .mul(X(3))
          .add(d[1]!.mul(X(1).mul(X(2))).mul(3))
          .add(d[2]!.mul(X(1).pow(3))),
      () =>
        d[0]!
          .mul(X(4))
          .add(d[1]!.mul(X(1).mul(X(3))).mul(4))
          .add(d[1]!.mul(X(2).square()).mul(3))
          .add(d[2]!.mul(X(1).square().mul(X(2))).mul(6))
          .add(d[3]!.mul(X(1).pow(4))),
    ];
    return z.slice(0, K).map((c) => c().mul(s));
  };

describeBackends('customJet: a user-defined Taylor rule', (c) => {
  const a = [0.7, -1.1, 0.4];
  const rows = [
    [0.2, 0.5, -0.3],
    [-0.8, 0.1, 0.6],
    [0.4, -0.9, 1.2],
  ];
  const A = () => tensor(a, { dtype: c.dtype });
  const X = () => tensor(rows, { dtype: c.dtype });
  const dot = (r: number[]) => r.reduce((s, v, i) => s + v * a[i]!, 0);
  const a2 = a.reduce((s, v) => s + v * v, 0);
  const close = (got: ArrayLike<number>, want: number[]) => {
    expect(got.length).toBe(want.length);
    want.forEach((w, i) => expect(Math.abs(got[i]! - w)).toBeLessThanOrEqual(c.atol + c.rtol * 10 * Math.abs(w)));
  };

  it('laplacian of sin(X a) by collapsed and standard Taylor mode and by nested AD follows the rule: −|a|² sin(x·a)', async () => {
    const mySin = customJet((x: Tensor) => x.sin(), sinRule(1));
    const f = (Y: Tensor) => mySin(Y.matmul(A()));
    for (const method of ['collapsed', 'taylor', 'nested'] as const)
      close(
        await laplacian(f, { method })(X()).data(),
        rows.map((r) => -a2 * Math.sin(dot(r))),
      );
  });

  it('the operators use the rule, not the implementation: a rule twice the true one gives twice the Laplacian and ∂⁴', async () => {
    const wrong = customJet((x: Tensor) => x.sin(), sinRule(2));
    const f = (Y: Tensor) => wrong(Y.matmul(A()));
    close(
      await laplacian(f)(X()).data(),
      rows.map((r) => -2 * a2 * Math.sin(dot(r))),
    );
    const r = pde(f, { u4: { partial: [4, 0, 0] } })(X());
    close(
      await r.u4.data(),
      rows.map((row) => 2 * a[0]! ** 4 * Math.sin(dot(row))),
    );
    // the value is the implementation's
    close(
      await f(X()).data(),
      rows.map((row) => Math.sin(dot(row))),
    );
  });

  it('jet to order 4 along a direction: the derivative coefficients of sin(x0 + t v)', async () => {
    const mySin = customJet((x: Tensor) => x.sin(), sinRule(1));
    const x0 = 0.3,
      v = 0.8;
    const [, zs] = jet(mySin, [tensor([x0], { dtype: c.dtype })], [[tensor([v], { dtype: c.dtype }), null, null, null]]);
    const ds = [Math.cos(x0), -Math.sin(x0), -Math.cos(x0), Math.sin(x0)];
    for (let k = 0; k < 4; k++) close(await (zs as Tensor[])[k]!.data(), [ds[k]! * v ** (k + 1)]);
  });

  it('grad through the collapsed Laplacian (the JVP rule transposed): d/da Σ_n −|a|² sin(x_n·a)', async () => {
    const mySin = customJet((x: Tensor) => x.sin(), sinRule(1));
    const loss = (w: Tensor) => laplacian((Y: Tensor) => mySin(Y.matmul(w)))(X()).sum();
    const want = a.map((_, j) => rows.reduce((s, r) => s - 2 * a[j]! * Math.sin(dot(r)) - a2 * Math.cos(dot(r)) * r[j]!, 0));
    close(await grad(loss)(A()).data(), want);
  });

  it('a rule returning the wrong number of coefficients or shapes is a TransformError naming the function', () => {
    const short = customJet(
      function twice(x: Tensor) {
        return x.mul(2);
      },
      () => [],
    );
    expect(() => jet(short, [tensor([1], { dtype: c.dtype })], [[tensor([1], { dtype: c.dtype }), null]])).toThrow(TransformError);
    expect(() => jet(short, [tensor([1], { dtype: c.dtype })], [[tensor([1], { dtype: c.dtype }), null]])).toThrow(/twice.*K = 2 coefficients/);
    const wide = customJet(
      (x: Tensor) => x.mul(2),
      () => [tensor([[1, 2]], { dtype: c.dtype })],
    );
    expect(() => jet(wide, [tensor([1, 2, 3], { dtype: c.dtype })], [[tensor([1, 1, 1], { dtype: c.dtype })]])).toThrow(/must broadcast to \[L, 3\]/);
  });
});
