// Misuse of the transformations raises typed errors (TransformError, ShapeError, DTypeError,
// ArgumentError) at graph-build time, naming the transformation and the shapes involved.

import { describe, it } from 'vitest';
import {
  ArgumentError,
  DTypeError,
  ShapeError,
  type Tensor,
  TransformError,
  grad,
  hessian,
  hvp,
  jacfwd,
  jacobian,
  jacrev,
  jvp,
  tensor,
  valueAndGrad,
  vjp,
} from '../../src/index.js';
import { throwsWith } from '../helpers/errors.js';

const x3 = tensor([1, 2, 3], { dtype: 'float64' });
const y2 = tensor([1, 2], { dtype: 'float64' });
const sumSq = (x: Tensor) => x.square().sum();

// The lines marked @ts-expect-error pass what the typed signatures reject: the run-time checks
// still guard callers without types (JavaScript, `any`).
describe('transformation errors', () => {
  it('grad / valueAndGrad of a non-scalar output', () => {
    throwsWith(() => grad((x: Tensor) => x.sin())(x3), TransformError, 'grad', 'scalar', '[3]');
    throwsWith(() => valueAndGrad((x: Tensor) => x.reshape([3, 1]))(x3), TransformError, 'valueAndGrad', '[3, 1]');
    // @ts-expect-error a non-scalar output
    throwsWith(() => grad((x: Tensor) => [x.sum()])(x3), TransformError, 'grad', 'scalar');
    // @ts-expect-error a function of no arguments
    throwsWith(() => grad(() => 3 as never)(x3), TransformError, 'grad', 'must return');
  });

  it('argnums out of range, not integers, repeated or empty', () => {
    // @ts-expect-error sumSq takes one argument
    throwsWith(() => grad(sumSq, { argnums: 2 })(x3, x3), TransformError, 'grad', 'argnums 2', '2 arguments');
    // @ts-expect-error sumSq takes one argument
    throwsWith(() => grad(sumSq, { argnums: -3 })(x3, x3), TransformError, 'argnums -3');
    throwsWith(() => grad(sumSq, { argnums: [0, 1] })(x3), TransformError, 'argnums 1', '1 argument');
    throwsWith(() => grad(sumSq, { argnums: 0.5 })(x3), TransformError, 'integers');
    throwsWith(() => grad(sumSq, { argnums: [0, 0] })(x3), TransformError, 'repeats');
    throwsWith(() => grad(sumSq, { argnums: [] })(x3), TransformError, 'argnums');
    throwsWith(() => jacfwd(sumSq, { argnums: 1 })(x3), TransformError, 'jacfwd', 'argnums 1');
    throwsWith(() => jacrev(sumSq, { argnums: 1 })(x3), TransformError, 'jacrev', 'argnums 1');
    throwsWith(() => jacobian(sumSq, { argnums: 1 })(x3), TransformError, 'jacobian', 'argnums 1');
    throwsWith(() => hessian(sumSq, { argnums: 1 })(x3), TransformError, 'hessian', 'argnums 1');
  });

  it('jvp tangents whose shapes, dtypes or structure differ from the primals', () => {
    throwsWith(() => jvp(sumSq, [x3], [y2]), ShapeError, 'jvp', '[2]', '[3]');
    throwsWith(() => jvp(sumSq, [x3], [tensor([1, 2, 3])]), DTypeError, 'jvp', 'float32', 'float64');
    // @ts-expect-error one tangent for two primals
    throwsWith(() => jvp((a: Tensor, b: Tensor) => a.add(b), [x3, x3], [x3]), TransformError, 'jvp', '2 entries');
    // @ts-expect-error tangent keys differ from the primal
    throwsWith(() => jvp((p: { a: Tensor }) => p.a, [{ a: x3 }], [{ b: x3 }]), TransformError, 'jvp', 'keys');
    // @ts-expect-error a number array is not a tangent
    throwsWith(() => jvp(sumSq, [x3], [[1, 2, 3]]), TransformError, 'jvp', 'Tensor');
    throwsWith(() => jvp(sumSq, 3 as never, [x3]), TransformError, 'jvp', 'primals');
    // @ts-expect-error a number array is not a primal
    throwsWith(() => jvp(sumSq, [[1, 2]], [[1, 2]]), ArgumentError, 'jvp');
  });

  it('vjp cotangents of the wrong shape, dtype or structure', () => {
    const [, pb] = vjp((x: Tensor) => x.sin(), x3);
    throwsWith(() => pb(y2), ShapeError, 'vjp', 'cotangent', '[2]', '[3]');
    throwsWith(() => pb(tensor([1, 2, 3])), DTypeError, 'vjp', 'float32', 'float64');
    // @ts-expect-error the cotangent is one Tensor
    throwsWith(() => pb([x3]), TransformError, 'vjp', 'cotangent');
    const [, pb2] = vjp((x: Tensor) => ({ a: x, b: [x.sum()] }), x3);
    // @ts-expect-error the cotangent lacks b
    throwsWith(() => pb2({ a: x3 }), TransformError, 'vjp', 'keys');
    throwsWith(() => pb2({ a: x3, b: [x3] }), ShapeError, 'vjp', 'cotangent.b[0]', '[3]', '[]');
  });

  it('hvp with a mismatched vector or an unknown mode', () => {
    throwsWith(() => hvp(sumSq, x3, y2), ShapeError, 'hvp', '[2]', '[3]');
    throwsWith(() => hvp(sumSq, x3, x3, { mode: 'fwd-fwd' as never }), TransformError, 'hvp', 'mode');
    throwsWith(() => hvp((x: Tensor) => x.sin(), x3, x3), TransformError, 'scalar');
  });

  it('a transformation of something that is not a function', () => {
    for (const t of [grad, valueAndGrad, jacfwd, jacrev, jacobian, hessian] as ((f: never) => unknown)[]) {
      throwsWith(() => t(3 as never), TransformError, 'function');
    }
    // @ts-expect-error not a function
    throwsWith(() => jvp(3 as never, [x3], [x3]), TransformError, 'jvp', 'function');
    // @ts-expect-error not a function
    throwsWith(() => vjp(3 as never, x3), TransformError, 'vjp', 'function');
  });
});
