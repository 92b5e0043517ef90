// vmap nested with the other transformations, in both orders, against a loop over the examples
// (or a plain-JS closed form): vmap(grad), grad(vmap), jvp(vmap), vmap(jvp), vmap(vmap), vmap(jet), vmap(biharmonic), jit(vmap), vmap(jit),
// vmap(laplacian), vmap(hessian), per-example gradients of a parameter tree, a tensor closed over
// at one level and batched at another; pytrees in and out; and the errors vmap raises.

import { expect, it } from 'vitest';
import {
  type DType,
  ShapeError,
  type Tensor,
  TransformError,
  biharmonic,
  grad,
  hessian,
  jacobian,
  jet,
  jit,
  jvp,
  laplacian,
  sum,
  tensor,
  vmap,
} from '../../src/index.js';
import { describeBackends } from '../helpers/backends.js';
import { loopStack, stackHost, values } from '../helpers/batch.js';
import { expectErr } from '../helpers/errors.js';
import { expectClose, randomData, randomTensor } from '../helpers/finiteDiff.js';

const N = 4; // batch size
const D = 3; // features per example

function params(dtype: DType) {
  return { W1: randomTensor([D, 4], 1, dtype), b1: randomTensor([4], 2, dtype), W2: randomTensor([4, 2], 3, dtype) };
}
type Params = ReturnType<typeof params>;
/** [D] -> [2] */
const mlp = (p: Params, x: Tensor) => x.matmul(p.W1).add(p.b1).tanh().matmul(p.W2);
const loss = (p: Params, x: Tensor, y: Tensor) => mlp(p, x).sub(y).square().sum();
const KEYS = ['W1', 'W2', 'b1'] as const;

describeBackends('vmap nested with other transformations', (bc) => {
  const close = async (t: Tensor, want: { data: ArrayLike<number>; shape?: number[] } | ArrayLike<number>, what: string) => {
    const w = 'data' in want ? want : { data: want };
    if ('shape' in w && w.shape) expect(t.shape, what).toEqual(w.shape);
    expectClose(await values(t), w.data, bc.rtol, bc.atol, what);
  };
  const p = params(bc.dtype);
  const f = (x: Tensor) => mlp(p, x);
  const s = (x: Tensor) => mlp(p, x).sin().sum();
  const X = randomTensor([N, D], 11, bc.dtype);
  const row = (A: Tensor, b: number) => A.slice([b], [b + 1]).reshape(A.shape.slice(1));

  it('vmap(grad(f)) and grad of a sum of vmap(f) give the per-example gradients', async () => {
    const want = await loopStack(N, (b) => grad(s)(row(X, b)));
    await close(vmap(grad(s))(X), want, 'vmap(grad)');
    await close(grad((A: Tensor) => vmap(s)(A).sum())(X), want, 'grad(vmap)');
  });

  it('jvp(vmap(f)) and vmap(jvp(f)) agree with the loop of jvps', async () => {
    const V = randomTensor([N, D], 12, bc.dtype);
    const want = await loopStack(N, (b) => jvp(f, [row(X, b)], [row(V, b)])[1]);
    await close(jvp(vmap(f), [X], [V])[1], want, 'jvp(vmap)');
    await close(vmap((x: Tensor, v: Tensor) => jvp(f, [x], [v])[1])(X, V), want, 'vmap(jvp)');
  });

  it('vmap(vmap(f)) over two batch axes, the outer one not leading', async () => {
    const M = 2;
    const X3 = randomTensor([M, N, D], 13, bc.dtype); // outer batch on axis 1, inner on axis 0 of [M, D]
    const want = await loopStack(N, (b) => vmap(f)(X3.slice([0, b], [M, b + 1]).reshape([M, D])));
    const plain = await loopStack(N * M, (k) => f(X3.slice([k % M, Math.floor(k / M)], [(k % M) + 1, Math.floor(k / M) + 1]).reshape([D])));
    expect(Array.from(want.data)).toEqual(Array.from(plain.data)); // the two loops agree (the reference is sound)
    await close(vmap(vmap(f), { inAxes: 1 })(X3), want, 'vmap(vmap)');
  });

  it('vmap(jet): second-order Taylor coefficients of every example', async () => {
    const V = randomTensor([N, D], 14, bc.dtype);
    const z2 = (x: Tensor, v: Tensor) => (jet(s, [x], [[v, null]])[1] as Tensor[])[1]!;
    const want = await loopStack(N, (b) => z2(row(X, b), row(V, b)));
    await close(vmap(z2)(X, V), want, 'vmap(jet)');
  });

  it('vmap(laplacian(f)) over an extra leading axis, collapsed and nested', async () => {
    const w = randomTensor([4], 15, bc.dtype);
    const F = (A: Tensor) => A.matmul(p.W1).add(p.b1).tanh().matmul(w); // [R, D] -> [R], row-wise
    const Xb = randomTensor([N, 5, D], 16, bc.dtype);
    for (const method of ['collapsed', 'nested'] as const) {
      const want = await loopStack(N, (b) => laplacian(F, { method })(row(Xb, b)));
      await close(vmap(laplacian(F, { method }))(Xb), want, `vmap(laplacian ${method})`);
    }
  });

  it('vmap(biharmonic(f)), and jit around and inside vmap', async () => {
    const w = randomTensor([4], 23, bc.dtype);
    const F = (A: Tensor) => A.matmul(p.W1).add(p.b1).tanh().matmul(w);
    const Xb = randomTensor([N, 3, D], 24, bc.dtype);
    await close(vmap(biharmonic(F))(Xb), await loopStack(N, (b) => biharmonic(F)(row(Xb, b))), 'vmap(biharmonic)');
    const want = await loopStack(N, (b) => grad(s)(row(X, b)));
    const jitted = jit((A: Tensor) => vmap(grad(s))(A));
    for (let k = 0; k < 2; k++) await close(jitted(X), want, `jit(vmap(grad)) call ${k}`);
    await close(vmap(jit(grad(s)))(X), want, 'vmap(jit(grad))');
  });

  it('vmap(hessian(f)) and vmap(jacobian(f))', async () => {
    await close(vmap(hessian(s))(X), await loopStack(N, (b) => hessian(s)(row(X, b))), 'vmap(hessian)');
    await close(vmap(jacobian(f))(X), await loopStack(N, (b) => jacobian(f)(row(X, b))), 'vmap(jacobian)');
  });

  it('per-example gradients of a parameter tree (inAxes null for the parameters), and grad of the batched loss', async () => {
    const Y = randomTensor([N, 2], 17, bc.dtype);
    const per = vmap(grad(loss), { inAxes: [null, 0, 0] })(p, X, Y);
    const total = grad((q: Params) => vmap((x: Tensor, y: Tensor) => loss(q, x, y))(X, Y).sum())(p);
    for (const k of KEYS) {
      const want = await loopStack(N, (b) => grad(loss)(p, row(X, b), row(Y, b))[k]);
      await close(per[k], want, `per-example ${k}`);
      const n = want.data.length / N;
      const summed = Array.from({ length: n }, (_, i) => Array.from({ length: N }, (_, b) => want.data[b * n + i]!).reduce((a, c) => a + c, 0));
      await close(total[k], summed, `grad of the batched loss ${k}`);
    }
  });

  it('a tensor closed over at one level and batched at another is not confused', async () => {
    const xs = randomData(N * D, 18);
    const Xh = tensor(xs, { shape: [N, D], dtype: bc.dtype });
    // out[b][i][j] = x_b[j] · x_b[i] + sin(x_b[i]): the inner vmap maps over x's own elements
    const got = vmap((x: Tensor) => vmap((y: Tensor) => x.mul(y).add(y.sin()))(x))(Xh);
    const want: number[] = [];
    for (let b = 0; b < N; b++) for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) want.push(xs[b * D + j]! * xs[b * D + i]! + Math.sin(xs[b * D + i]!));
    await close(got, { data: want, shape: [N, D, D] }, 'closed over and batched');
    // d/dx of Σ_b Σ_i sin(x_i y_bi) with x closed over by the vmap over y: Σ_b cos(x_i y_bi) y_bi
    const x0 = xs.slice(0, D);
    const ys = randomData(N * D, 19);
    const Yh = tensor(ys, { shape: [N, D], dtype: bc.dtype });
    const g = grad((x: Tensor) => vmap((y: Tensor) => x.mul(y).sin().sum())(Yh).sum())(tensor(x0, { dtype: bc.dtype }));
    const gw = x0.map((xi, i) => Array.from({ length: N }, (_, b) => Math.cos(xi * ys[b * D + i]!) * ys[b * D + i]!).reduce((a, c) => a + c, 0));
    await close(g, gw, 'grad through a vmap closing over the argument');
    // the same tensor as the differentiated input and the batched one: d/dx Σ_i sin(x · x_i) = Σ_i cos(x x_i)(x_i + x δ)
    const h = grad((x: Tensor) => vmap((xi: Tensor) => x.mul(xi).sin().sum())(x).sum())(tensor(x0, { dtype: bc.dtype }));
    const hw = x0.map((_, k) => {
      let acc = 0;
      for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) acc += Math.cos(x0[j]! * x0[i]!) * ((j === k ? x0[i]! : 0) + (i === k ? x0[j]! : 0));
      return acc;
    });
    await close(h, hw, 'grad of vmap over the differentiated tensor itself');
  });

  it('pytrees in and out, with inAxes and outAxes trees', async () => {
    const A = randomTensor([D, N], 20, bc.dtype); // batch on axis 1
    const g = (t: { a: Tensor; c: Tensor }, k: Tensor) => ({ prod: t.a.mul(t.c), both: [t.a.add(k), sum(t.c)] });
    const C = randomTensor([N, D], 21, bc.dtype);
    const k = randomTensor([D], 22, bc.dtype);
    const out = vmap(g, { inAxes: [{ a: 1, c: 0 }, null], outAxes: { prod: 1, both: [0, 0] } })({ a: A, c: C }, k);
    const ex = (b: number) => ({ a: A.slice([0, b], [D, b + 1]).reshape([D]), c: row(C, b) });
    const prod = await Promise.all(Array.from({ length: N }, (_, b) => values(g(ex(b), k).prod)));
    await close(out.prod, stackHost(prod, [D], 1), 'prod (outAxes 1)');
    await close(out.both[0]!, await loopStack(N, (b) => g(ex(b), k).both[0]!), 'both[0]');
    await close(out.both[1]!, await loopStack(N, (b) => g(ex(b), k).both[1]!), 'both[1]');
    // an output that depends on no batched argument: broadcast with outAxes 0, as it is with null
    const shared = vmap((x: Tensor, q: Tensor) => [x.sin(), q.exp()], { inAxes: [0, null], outAxes: [0, null] })(X, k);
    await close(shared[1]!, await values(k.exp()), 'outAxes null');
    const bcast = vmap((x: Tensor) => [x.sin(), k.exp()])(X);
    await close(bcast[1]!, await loopStack(N, () => k.exp()), 'unbatched output broadcast');
  });
});

describeBackends(
  'vmap errors name vmap, the argument and the shapes',
  () => {
    const A = randomTensor([3, 2], 1);
    const Bt = randomTensor([4, 2], 2);
    const add = (a: Tensor, b: Tensor) => a.add(b);
    it('batch sizes that differ', () => {
      expectErr(() => vmap(add)(A, Bt), ShapeError, 'vmap', 'batch sizes', 'arguments[0] has 3 along axis 0 (shape [3, 2])', 'arguments[1] has 4');
      expectErr(() => vmap(add, { inAxes: [0, 1] })(A, Bt), ShapeError, 'arguments[1] has 2 along axis 1 (shape [4, 2])');
    });
    it('an axis out of range, or not an integer', () => {
      expectErr(() => vmap(add, { inAxes: [0, 2] })(A, A), ShapeError, 'vmap', 'inAxes 2 is out of range for arguments[1] of shape [3, 2]');
      expectErr(() => vmap((x: Tensor) => x.sum())(tensor(1)), ShapeError, 'inAxes 0 is out of range for arguments[0] of shape []');
      expectErr(() => vmap((x: Tensor) => x, { outAxes: 3 })(A), ShapeError, 'outAxes 3 is out of range for output of shape [2]');
      expectErr(() => vmap((x: Tensor) => x, { inAxes: 0.5 })(A), TransformError, 'inAxes must hold integers');
    });
    it('axis trees that do not match the arguments or the output', () => {
      const f = (t: { W: Tensor; b: Tensor }) => t.W.add(t.b);
      expectErr(
        () => vmap(f, { inAxes: [{ W: 0 } as never] })({ W: A, b: A }),
        TransformError,
        'vmap',
        'inAxes gives an object with keys {W} for arguments[0]',
        '{W, b}',
      );
      expectErr(() => vmap(add, { inAxes: [0] as never })(A, A), TransformError, 'inAxes has 1 entries but the function was called with 2 arguments');
      expectErr(() => vmap(add, { inAxes: [[0], 0] as never })(A, A), TransformError, 'an array of 1 for arguments[0], which is a Tensor');
      expectErr(() => vmap((x: Tensor) => [x, x], { outAxes: [0] as never })(A), TransformError, 'outAxes gives an array of 1 for output');
    });
    it('nothing batched, a batched output declared unbatched, a non-tensor result', () => {
      expectErr(() => vmap(add, { inAxes: null })(A, A), TransformError, 'vmap', 'no argument is batched');
      expectErr(() => vmap((x: Tensor) => x.exp(), { outAxes: null })(A), TransformError, 'outAxes is null for output, but it depends on a batched argument');
      expectErr(() => vmap((_x: Tensor) => 3 as never)(A), TransformError, 'vmap', 'must return a Tensor');
      expectErr(() => vmap(3 as never), TransformError, 'vmap: expected a function');
    });
  },
  { float32: false },
);
