// The one source of every elementwise primitive's derivative: its partial derivatives
// ∂out/∂input_i. An elementwise Jacobian is diagonal, so each partial is a linear map
// t ↦ ∂_i ⊙ t (null when ∂_i is zero); the JVP rule is Σ_i map_i(t_i), the VJP rule gives
// input i map_i(g) (src/rules/jvp.ts, vjp.ts), and Taylor mode applies the same maps to the
// coefficients of piecewise-linear ops and integrates them for smooth ones (src/rules/taylor.ts).
// Conventions at kinks come from ./derivs.ts. Kinks: abs'(0) = sign(0) = 0; sqrt'(0) = +Inf and
// log'(0) = +Inf, as the math says; maximum splits ties ½/½.

import type { DType } from '../dtype.js';
import type { Node } from '../ir/node.js';
import type { ElementwisePrim } from '../ir/primitives.js';
import * as ops from '../ops.js';
import type { Tensor } from '../tensor.js';
import { T, maximumWeights } from './derivs.js';

/** t ↦ ∂_i ⊙ t for one input: the diagonal of a Jacobian block, as a map (t may broadcast). */
export type PartialMap = (t: Tensor) => Tensor;

/** Partials of an elementwise node w.r.t. each input (null: zero); a factor is built only when its map is called. */
export type PartialsRule = (n: Node, inputs: readonly Node[]) => readonly (PartialMap | null)[];

/** The map t ↦ d ⊙ t, with d built on first use. */
const times =
  (d: () => Tensor): PartialMap =>
  (t) =>
    ops.mul(t, d());
const same: PartialMap = (t) => t;
const negated: PartialMap = (t) => ops.neg(t);
const none = () => [null];

export const PARTIALS = {
  neg: () => [negated],
  exp: (n) => [times(() => T(n))], // exp' = exp
  log: (_n, [x]) => [times(() => ops.pow(T(x!), -1))],
  sin: (_n, [x]) => [times(() => ops.cos(T(x!)))],
  cos: (_n, [x]) => [times(() => ops.neg(ops.sin(T(x!))))],
  tanh: (n) => [times(() => ops.sub(1, ops.mul(T(n), T(n))))], // 1 - tanh²
  sigmoid: (n) => [times(() => ops.mul(T(n), ops.sub(1, T(n))))], // σ (1 - σ)
  softplus: (_n, [x]) => [times(() => ops.sigmoid(T(x!)))],
  sqrt: (n) => [times(() => ops.mul(ops.pow(T(n), -1), 0.5))], // 1 / (2 √x)
  log1p: (_n, [x]) => [times(() => ops.pow(ops.add(T(x!), 1), -1))], // 1 / (1 + x)
  expm1: (n) => [times(() => ops.add(T(n), 1))], // exp(x) = expm1(x) + 1
  erf: (_n, [x]) => [times(() => ops.mul(ops.exp(ops.neg(ops.mul(T(x!), T(x!)))), 2 / Math.sqrt(Math.PI)))], // 2/√π e^(−x²)
  abs: (_n, [x]) => [times(() => ops.sign(T(x!)))], // abs'(0) = 0
  sign: none, // piecewise constant
  pow: (n, [x]) => {
    const p = n.p('pow').exponent;
    return [p === 0 ? null : times(() => ops.mul(ops.pow(T(x!), p - 1), p))];
  },
  cast: () => [same], // the walkers cast to the receiving dtype (castTo)
  add: () => [same, same],
  sub: () => [same, negated],
  mul: (_n, [a, b]) => [(t) => ops.mul(t, T(b!)), (t) => ops.mul(T(a!), t)],
  // d(a/b) = da / b - (a/b) db / b
  div: (n, [, b]) => [(t) => ops.div(t, T(b!)), (t) => ops.neg(ops.mul(ops.div(t, T(b!)), T(n)))],
  // atan2(y, x): ∂y = x / (x² + y²), ∂x = −y / (x² + y²)
  atan2: (_n, [y, x]) => {
    const r2 = (): Tensor => ops.add(ops.mul(T(x!), T(x!)), ops.mul(T(y!), T(y!)));
    return [times(() => ops.div(T(x!), r2())), times(() => ops.neg(ops.div(T(y!), r2())))];
  },
  maximum: (_n, [a, b]) => [times(() => maximumWeights(a!, b!)[0]), times(() => maximumWeights(a!, b!)[1])],
  cmp: () => [null, null],
  // the condition is piecewise constant; the branches are selected (not masked: inf·0 would be NaN)
  where: (_n, [c]) => [null, (t) => ops.where(T(c!), t, 0), (t) => ops.where(T(c!), 0, t)],
} satisfies Record<ElementwisePrim, PartialsRule>;

/** One rule for every elementwise primitive (the JVP and VJP tables spread it). */
export function everyElementwise<R>(rule: R): Record<ElementwisePrim, R> {
  return Object.fromEntries(Object.keys(PARTIALS).map((p) => [p, rule])) as Record<ElementwisePrim, R>;
}

export function partialsOf(n: Node, inputs: readonly Node[]): readonly (PartialMap | null)[] {
  return (PARTIALS as Record<ElementwisePrim, PartialsRule>)[n.op as ElementwisePrim](n, inputs);
}

/** `t` in `dtype` (only `cast` changes the dtype between an elementwise op's inputs and output). */
export function castTo(t: Tensor, dtype: DType): Tensor {
  return t.dtype === dtype ? t : ops.astype(t, dtype);
}

/** Σ_i map_i(t_i) over the non-null terms, in the output's dtype; null when every term is zero. */
export function pushPartials(n: Node, inputs: readonly Node[], ts: readonly (Tensor | null)[]): Tensor | null {
  const maps = partialsOf(n, inputs);
  let sum: Tensor | null = null;
  maps.forEach((m, i) => {
    const t = ts[i];
    if (!m || !t) return;
    const term = castTo(m(t), n.dtype);
    sum = sum === null ? term : ops.add(sum, term);
  });
  return sum;
}

/** map_i(g) for each input that is `needed`, in that input's dtype (null otherwise). */
export function pullPartials(n: Node, inputs: readonly Node[], g: Tensor, needed: readonly boolean[]): (Tensor | null)[] {
  return partialsOf(n, inputs).map((m, i) => (m && needed[i] ? castTo(m(g), inputs[i]!.dtype) : null));
}
