// Types of the transformations' signatures: how the pytree structure of arguments and results
// flows through them. `grad(loss)` for `loss: (p: Params, X: Tensor) => Tensor` is
// `(p: Params, X: Tensor) => Params`, so a misspelt key of the gradient is a compile error.
// Types only: nothing here exists at run time.

import type { Tensor } from '../tensor.js';

/** Which argument(s) a transformation differentiates: an index or a list of indices. */
export type Argnums = number | readonly number[];

/** True for `any` (so the mapped types below keep an untyped function untyped). */
type IsAny<T> = 0 extends 1 & T ? true : false;

/**
 * `T` (a Tensor or nested arrays / plain objects of tensors) with every Tensor leaf replaced by
 * `L`, arrays and keys kept: `LeavesAs<{ W: Tensor; b: Tensor }, Tensor[]>` is `{ W: Tensor[]; b: Tensor[] }`.
 */
export type LeavesAs<T, L> =
  IsAny<T> extends true
    ? any
    : T extends Tensor
      ? L
      : T extends readonly unknown[]
        ? { -readonly [K in keyof T]: LeavesAs<T[K], L> }
        : T extends object
          ? { [K in keyof T]: LeavesAs<T[K], L> }
          : T;

/** A tangent or cotangent of a tree `T`: its structure, and a `null` leaf stands for zero. */
export type Zeroable<T> = LeavesAs<T, Tensor | null>;

/** Arguments `Args` selected by `A`: one argument for an index, a list of them for a list. */
type Selected<Args extends readonly unknown[], A extends Argnums> = A extends number
  ? Args[A]
  : { -readonly [K in keyof A]: A[K] extends number ? Args[A[K]] : never };

/** What `grad(f, { argnums: A })` returns: the structure of the selected argument(s). */
export type GradOf<F extends (...args: any[]) => unknown, A extends Argnums = 0> = Selected<Parameters<F>, A>;

/**
 * What `jacfwd` / `jacrev` / `jacobian(f, { argnums: A })` return: f's result structure with each
 * output leaf replaced by the structure of the selected argument(s), each leaf a block of shape
 * [...outShape, ...inShape]. A plain Tensor for a one-Tensor function of one Tensor.
 */
export type JacobianOf<F extends (...args: any[]) => unknown, A extends Argnums = 0> = LeavesAs<ReturnType<F>, GradOf<F, A>>;

/** What `hessian(f, { argnums: A })` returns: the Jacobian of the gradient (a Tensor for a Tensor argument). */
export type HessianOf<F extends (...args: any[]) => unknown, A extends Argnums = 0> = LeavesAs<GradOf<F, A>, GradOf<F, A>>;

/** `[...T]` without `readonly`: what a transformation builds is a fresh, mutable array. */
export type Mutable<T extends readonly unknown[]> = { -readonly [K in keyof T]: T[K] };
