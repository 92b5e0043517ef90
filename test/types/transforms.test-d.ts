// Type-level tests of the public signatures: checked by `tsc -p tsconfig.json` (npm run
// typecheck), never run (vitest collects *.test.ts only). Each `@ts-expect-error` line must stay
// an error: if a signature loosens back to `any`, tsc reports the unused directive.

import { expectTypeOf } from 'vitest';
import {
  type Pullback,
  type Tensor,
  biharmonic,
  collapsedJet,
  customJvp,
  customVjp,
  grad,
  hessian,
  hvp,
  jacfwd,
  jacobian,
  jacrev,
  jet,
  jetDirections,
  jit,
  jvp,
  laplacian,
  pde,
  valueAndGrad,
  vjp,
} from '../../src/index.js';
import type { CollapsedOut, JitStats } from '../../src/index.js';

export interface Params {
  W1: Tensor;
  b1: Tensor;
  layers: { W: Tensor; b: Tensor }[];
}
export declare const params: Params;
export declare const X: Tensor;
declare const x: Tensor;
export declare const loss: (p: Params, X: Tensor) => Tensor;

// Never called: the bodies are only type-checked.
export function gradients(): void {
  const g = grad(loss)(params, X);
  expectTypeOf(g).toEqualTypeOf<Params>();
  expectTypeOf(g.W1).toEqualTypeOf<Tensor>();
  expectTypeOf(g.layers[0]!.b).toEqualTypeOf<Tensor>();
  // @ts-expect-error a misspelt key of the gradient
  void g.Wx;
  // @ts-expect-error the arguments are checked against f's
  grad(loss)(X, params);

  expectTypeOf(grad(loss, { argnums: 1 })(params, X)).toEqualTypeOf<Tensor>();
  expectTypeOf(grad(loss, { argnums: [0, 1] })(params, X)).toEqualTypeOf<[Params, Tensor]>();
  expectTypeOf(grad(loss, { argnums: [1] })(params, X)).toEqualTypeOf<[Tensor]>();
  expectTypeOf(grad(loss, {})(params, X)).toEqualTypeOf<Params>();

  const [value, dp] = valueAndGrad(loss)(params, X);
  expectTypeOf(value).toEqualTypeOf<Tensor>();
  expectTypeOf(dp).toEqualTypeOf<Params>();
  expectTypeOf(valueAndGrad(loss, { argnums: [0, 1] })(params, X)).toEqualTypeOf<[Tensor, [Params, Tensor]]>();

  // @ts-expect-error grad needs a function returning a Tensor (a scalar at run time)
  grad((p: Params) => [p.W1.sum()]);

  // untyped parameters stay untyped (any), as before
  expectTypeOf(grad((y) => y.sum())(x)).toBeAny();
}

export function forwardAndReverse(): void {
  const f = (p: Params, y: Tensor) => ({ out: y.matmul(p.W1), aux: [p.b1] as [Tensor] });
  const [out, tan] = jvp(f, [params, X], [{ W1: x, b1: null, layers: [] }, null]);
  expectTypeOf(out).toEqualTypeOf<{ out: Tensor; aux: [Tensor] }>();
  expectTypeOf(tan).toEqualTypeOf<{ out: Tensor; aux: [Tensor] }>();
  // @ts-expect-error tangents have the primals' structure
  jvp(f, [params, X], [{ W1: x }, x]);
  // @ts-expect-error primals are f's arguments
  jvp(f, [X, params], [x, x]);
  // a single Tensor for a one-argument function
  expectTypeOf(jvp((y: Tensor) => y.sin(), x, x)).toEqualTypeOf<[Tensor, Tensor]>();

  const [o, pullback] = vjp(f, params, X);
  expectTypeOf(o).toEqualTypeOf<{ out: Tensor; aux: [Tensor] }>();
  const cts = pullback({ out: x, aux: [null] });
  expectTypeOf(cts).toEqualTypeOf<[Params, Tensor]>();
  expectTypeOf(cts[0].W1).toEqualTypeOf<Tensor>();
  // @ts-expect-error the cotangent has the output's structure
  pullback({ out: x });
  // @ts-expect-error vjp's primals are f's arguments
  vjp(f, params);
  expectTypeOf(pullback).toEqualTypeOf<Pullback<{ out: Tensor; aux: [Tensor] }, [p: Params, y: Tensor]>>();
}

export function mixed(): void {
  const scalar = (y: Tensor) => y.square().sum();
  expectTypeOf(hessian(scalar)(x)).toEqualTypeOf<Tensor>();
  expectTypeOf(hessian(loss, { argnums: 1 })(params, X)).toEqualTypeOf<Tensor>();
  expectTypeOf(hessian(loss)(params, X).W1.b1).toEqualTypeOf<Tensor>(); // ∂²/∂W1∂b1 block
  expectTypeOf(jacfwd((y: Tensor) => y.sin())(x)).toEqualTypeOf<Tensor>();
  expectTypeOf(jacrev((y: Tensor) => y.sin())(x)).toEqualTypeOf<Tensor>();
  expectTypeOf(jacobian((y: Tensor) => y.sin())(x)).toEqualTypeOf<Tensor>();
  // pytrees: f's result structure, each leaf the structure of the differentiated argument(s)
  expectTypeOf(jacrev((p: Params) => ({ a: p.W1, b: [p.b1] as [Tensor] }))(params)).toEqualTypeOf<{ a: Params; b: [Params] }>();
  expectTypeOf(jacobian(loss, { argnums: [0, 1] })(params, X)).toEqualTypeOf<[Params, Tensor]>();

  expectTypeOf(hvp(scalar, x, x)).toEqualTypeOf<Tensor>();
  expectTypeOf(hvp((p: Params) => loss(p, X), params, params, { mode: 'rev-rev' })).toEqualTypeOf<Params>();
  // @ts-expect-error v has x's structure
  hvp((p: Params) => loss(p, X), params, x);
}

export function taylorAndOperators(): void {
  const [y, zs] = jet((a: Tensor) => a.sin(), [x], [[x, null]]);
  expectTypeOf(y).toEqualTypeOf<Tensor>();
  expectTypeOf(zs).toEqualTypeOf<Tensor[]>();
  const [yt, zt] = jetDirections((a: Tensor) => ({ s: a.sin(), c: a.cos() }), [x], [[x]]);
  expectTypeOf(yt).toEqualTypeOf<{ s: Tensor; c: Tensor }>();
  expectTypeOf(zt).toEqualTypeOf<{ s: Tensor[]; c: Tensor[] }>();
  expectTypeOf(collapsedJet((a: Tensor) => a.sin(), [x], [[x]], [null], { order: 2 })).toEqualTypeOf<[Tensor, CollapsedOut]>();
  expectTypeOf(laplacian((Z: Tensor) => Z.sum(1))).toEqualTypeOf<(X: Tensor) => Tensor>();
  expectTypeOf(biharmonic((Z: Tensor) => Z.sum(1), { method: 'taylor' })(X)).toEqualTypeOf<Tensor>();
  // @ts-expect-error an unknown method
  laplacian((Z: Tensor) => Z.sum(1), { method: 'exact' });
  // pde: one tensor per term, keyed like the spec
  const res = pde((Z: Tensor) => Z.tanh(), { u: 'value', du: { grad: 'all' }, lap: { laplacian: [1, 2] } })(X);
  expectTypeOf(res).toEqualTypeOf<{ u: Tensor; du: Tensor; lap: Tensor }>();
  // @ts-expect-error a key the spec does not have
  res.lapp;
  // @ts-expect-error a misspelt term kind
  pde((Z: Tensor) => Z.tanh(), { lap: { laplacan: 'all' } });
  // @ts-expect-error a term that is not 'value'
  pde((Z: Tensor) => Z.tanh(), { u: 'valu' });
}

export function jitAndCustom(): void {
  const step = jit((p: Params, y: Tensor) => ({ loss: loss(p, y), grads: grad(loss)(p, y) }));
  expectTypeOf(step).parameters.toEqualTypeOf<[p: Params, y: Tensor]>();
  expectTypeOf(step(params, X).grads).toEqualTypeOf<Params>();
  expectTypeOf(step.stats).toEqualTypeOf<JitStats>();
  // @ts-expect-error jit keeps f's parameters
  step(X, params);

  const f = (p: { a: Tensor }, y: Tensor) => p.a.mul(y);
  const g = customJvp(f, ([p, y], [tp, ty]) => {
    expectTypeOf(p).toEqualTypeOf<{ a: Tensor }>();
    expectTypeOf(ty).toEqualTypeOf<Tensor>();
    return tp.a.mul(y).add(p.a.mul(ty));
  });
  expectTypeOf(g).toEqualTypeOf(f);
  // @ts-expect-error the rule's primals are f's arguments: p has no key b
  customJvp(f, ([p]) => p.b);

  const h = customVjp(f, ({ args: [p, y], out }, ct) => {
    expectTypeOf(out).toEqualTypeOf<Tensor>();
    return [{ a: ct.mul(y) }, ct.mul(p.a)];
  });
  expectTypeOf(h).toEqualTypeOf(f);
  customVjp(
    f,
    (p, y) => [f(p, y), { twice: p.a.mul(2) }],
    (res, ct) => {
      expectTypeOf(res).toEqualTypeOf<{ twice: Tensor }>();
      return [null, ct.mul(res.twice)]; // null: a zero cotangent
    },
  );
  // @ts-expect-error bwd returns one cotangent per argument
  customVjp(f, (_r, ct) => [ct]);
}
