// Type-level tests of vmap, linearize and linearTranspose (checked by tsc, never run; see
// transforms.test-d.ts): axis trees follow the arguments' structure, results keep f's types.

import { expectTypeOf } from 'vitest';
import { type Tensor, grad, jacobian, linearTranspose, linearize, vmap } from '../../src/index.js';

interface Params {
  W: Tensor;
  b: Tensor;
}
declare const params: Params;
declare const X: Tensor;
declare const x: Tensor;
declare const loss: (p: Params, X: Tensor) => Tensor;

// Never called: the bodies are only type-checked.
export function batching(): void {
  expectTypeOf(vmap(grad(loss), { inAxes: [null, 0] })(params, X)).toEqualTypeOf<Params>();
  expectTypeOf(vmap(loss, { inAxes: [{ W: null, b: 0 }, 1] })(params, X)).toEqualTypeOf<Tensor>();
  const tree = vmap((t: Tensor) => ({ a: t, b: [t] }), { outAxes: { a: 0, b: [1] } })(x);
  expectTypeOf(tree.b).toEqualTypeOf<Tensor[]>();
  // @ts-expect-error a misspelt key in an axis tree
  vmap(loss, { inAxes: [{ W: 0, bb: 0 }, 0] });
  // @ts-expect-error one entry per argument
  vmap(loss, { inAxes: [0, 0, 0] });
  // @ts-expect-error the arguments are checked against f's
  vmap(loss)(X, X);
  jacobian((t: Tensor) => t.sin(), { chunkSize: 8 })(x);
}

export function linearMaps(): void {
  const [out, jvpFn] = linearize(loss, params, X);
  expectTypeOf(out).toEqualTypeOf<Tensor>();
  expectTypeOf(jvpFn(params, null)).toEqualTypeOf<Tensor>();
  // @ts-expect-error tangents have the primals' structure
  jvpFn({ W: x }, null);
  const [ctP, ctX] = linearTranspose(jvpFn, params, X)(x);
  expectTypeOf(ctP).toEqualTypeOf<Params>();
  expectTypeOf(ctX).toEqualTypeOf<Tensor>();
}
