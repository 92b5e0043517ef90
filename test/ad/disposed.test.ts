// Regression tests (issue 8): a disposed tensor passed to a transformation is an ArgumentError
// when the transformation is called (graph-build time), naming the transformation and the
// argument — for every entry point, never a silently computed value. Also: the biharmonic's
// errors name 'biharmonic', not the Laplacian it is built from.

import { describe, expect, it } from 'vitest';
import * as W from '../../src/index.js';
import { ArgumentError, ShapeError, type Tensor } from '../../src/index.js';
import { throwsWith } from '../helpers/errors.js';

const dtype = 'float64';
const disposed = (shape = [2, 3]): Tensor => {
  const x = W.ones(shape, { dtype });
  x.dispose();
  return x;
};
const sumSq = (x: Tensor): Tensor => x.square().sum();

describe('disposed tensors passed to transformations', () => {
  it('reverse mode: grad, valueAndGrad, vjp (also inside pytrees and for argnums)', () => {
    const x = disposed();
    const live = W.ones([2, 3], { dtype });
    throwsWith(() => W.grad(sumSq)(x), ArgumentError, 'grad', 'argument 0', 'disposed');
    throwsWith(() => W.valueAndGrad(sumSq)(x), ArgumentError, 'valueAndGrad', 'disposed');
    throwsWith(() => W.vjp(sumSq, x), ArgumentError, 'vjp', 'disposed');
    throwsWith(() => W.grad((p: { w: Tensor; b: Tensor }) => p.w.add(p.b).sum())({ w: live, b: x }), ArgumentError, 'grad', '.b', 'disposed');
    throwsWith(() => W.grad((a: Tensor, b: Tensor) => a.mul(b).sum(), { argnums: 1 })(live, x), ArgumentError, 'grad', 'argument 1', 'disposed');
  });

  it('an argument that is not differentiated is still checked when the function uses it', () => {
    const x = disposed();
    throwsWith(() => W.grad((a: Tensor, b: Tensor) => a.mul(b).sum())(W.ones([2, 3], { dtype }), x), ArgumentError, 'mul', 'disposed');
  });

  it('forward and mixed modes: jvp, hvp, jacfwd, jacrev, jacobian, hessian', () => {
    const x = disposed([3]);
    const v = W.ones([3], { dtype });
    throwsWith(() => W.jvp(sumSq, [x], [v]), ArgumentError, 'jvp', 'disposed');
    throwsWith(() => W.jvp(sumSq, [v], [x]), ArgumentError, 'jvp', 'tangent', 'disposed');
    throwsWith(() => W.hvp(sumSq, x, v), ArgumentError, 'hvp', 'disposed');
    throwsWith(() => W.hvp(sumSq, v, x), ArgumentError, 'hvp', 'disposed');
    throwsWith(() => W.jacfwd((y: Tensor) => y.sin())(x), ArgumentError, 'jacfwd', 'disposed');
    throwsWith(() => W.jacrev((y: Tensor) => y.sin())(x), ArgumentError, 'jacrev', 'disposed');
    throwsWith(() => W.jacobian((y: Tensor) => y.sin())(x), ArgumentError, 'jacobian', 'disposed');
    throwsWith(() => W.hessian(sumSq)(x), ArgumentError, 'hessian', 'disposed');
  });

  it('Taylor mode: jet, jetDirections, collapsedJet', () => {
    const x = disposed([3]);
    const v = W.ones([3], { dtype });
    throwsWith(() => W.jet((y: Tensor) => y.sin(), [x], [[v]]), ArgumentError, 'jet', 'primals[0]', 'disposed');
    throwsWith(() => W.jet((y: Tensor) => y.sin(), [v], [[x]]), ArgumentError, 'jet', 'series[0][0]', 'disposed');
    throwsWith(() => W.jetDirections((y: Tensor) => y.sin(), [x], [[v.reshape([1, 3])]]), ArgumentError, 'jetDirections', 'disposed');
    throwsWith(
      () => W.collapsedJet((y: Tensor) => y.sin(), [x], [[v.reshape([1, 3])]], [null], { order: 2 }),
      ArgumentError,
      'collapsedJet',
      'primals[0]',
      'disposed',
    );
    throwsWith(
      () => W.collapsedJet((y: Tensor) => y.sin(), [v], [[disposed([1, 3])]], [null], { order: 2 }),
      ArgumentError,
      'collapsedJet',
      'lower[0][0]',
      'disposed',
    );
  });

  it('differential operators: laplacian and biharmonic, every method', () => {
    const x = disposed();
    const f = (y: Tensor): Tensor => y.square().sum(1);
    for (const method of ['collapsed', 'taylor', 'nested'] as const) {
      throwsWith(() => W.laplacian(f, { method })(x), ArgumentError, 'laplacian', 'X', 'disposed');
      throwsWith(() => W.biharmonic(f, { method })(x), ArgumentError, 'biharmonic', 'X', 'disposed');
    }
    const V = disposed([3, 2]);
    throwsWith(() => W.laplacian(f, { weighting: V })(W.ones([2, 3], { dtype })), ArgumentError, 'laplacian', 'weighting', 'disposed');
    throwsWith(() => W.operatorCost('laplacian', f, x), ArgumentError, 'laplacian', 'disposed');
  });

  it('jit, evaluate, customJvp', async () => {
    const x = disposed([3]);
    throwsWith(() => W.jit((y: Tensor) => y.sin())(x), ArgumentError, 'jit', 'argument 0', 'disposed');
    throwsWith(() => W.jit((a: number, y: Tensor) => y.mul(a))(2, x), ArgumentError, 'jit', 'argument 1', 'disposed');
    await expect(W.evaluate(x)).rejects.toThrow(ArgumentError);
    const sq = W.customJvp(
      (y: Tensor) => y.square(),
      (p: Tensor[], t: Tensor[]) => t[0]!.mul(p[0]!).mul(2),
    );
    throwsWith(() => sq(x), ArgumentError, 'disposed');
  });
});

describe('biharmonic names itself', () => {
  it('a wrong-shaped f is reported as biharmonic, on every route', () => {
    const X = W.ones([2, 3], { dtype });
    const bad = (y: Tensor): Tensor => y.square(); // [N, D], not [N]
    for (const method of ['collapsed', 'taylor', 'nested'] as const) {
      for (const exact of ['nested-laplacian', 'interpolation'] as const) {
        let err: unknown = null;
        try {
          W.biharmonic(bad, { method, exact })(X);
        } catch (e) {
          err = e;
        }
        expect(err, `${method}/${exact}`).toBeInstanceOf(ShapeError);
        expect((err as Error).message, `${method}/${exact}`).toMatch(/^biharmonic: f must map X \[2, D\]/);
      }
    }
  });
});
