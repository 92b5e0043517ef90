// Taylor rules of every primitive (standard and collapsed Taylor mode), one typed table: a missing primitive fails the build.

// Rules come in kinds the two engines (src/ad/taylor.ts, src/ad/collapse.ts) know how to run:
//  - zero: piecewise-constant output, every coefficient is zero;
//  - linear: one linear map applied to the coefficients of every order alike (and to the
//    collapsed top coefficient): movement ops, sum, max given its selection, and the
//    piecewise-linear elementwise ops (add, where, maximum, abs, ...) through their partials;
//  - unary: an elementwise φ given by its derivatives φ'(x0) .. φ^(K)(x0) (closed forms from
//    derivative polynomials, taylor.md), combined by Faà di Bruno (partial Bell polynomials);
//  - composite: the primitive written with other primitives (JAX's def_comp); the engines run
//    the expansion's own rules on fresh aliases of the inputs;
//  - partials: a smooth elementwise op from its partials (./partials.ts): z' = Σ_i ∂_i(x) x_i',
//    so Z_k = Σ_i Σ_j C(k−1, j) G_i,j X_i,k−j with G_i the series of ∂_i(x(t));
//  - bilinear: a product (mul, matmul), combined by Leibniz;
//  - explicit: both modes written out (div, by the quotient recurrence).
// Coefficients carry a leading direction axis and may keep size-1 dims (./taylor-coef.ts).

import * as C from './taylor-coef.js';
import type { CollapsedSeries, Coef, Series, SumDirections } from './taylor-coef.js';
import type { Node } from '../ir/node.js';
import type { ParamsMap, Prim } from '../ir/primitives.js';
import * as ops from '../ops.js';
import type { Tensor } from '../tensor.js';
import { maxWeights } from './derivs.js';
import { pushPartials } from './partials.js';

export interface RuleCtx<P extends Prim = Prim> {
  readonly node: Node;
  readonly params: ParamsMap[P];
  /** Primal values of the inputs. */
  readonly primals: readonly Tensor[];
  /** Primal value of the output (the node itself). */
  readonly out: Tensor;
}

export type TaylorRule<P extends Prim = Prim> =
  | { readonly kind: 'zero' }
  | { readonly kind: 'linear'; readonly map: (ctx: RuleCtx<P>, coefs: readonly Coef[]) => Coef }
  | { readonly kind: 'unary'; readonly derivs: (ctx: RuleCtx<P>, K: number) => Coef[] }
  | { readonly kind: 'composite'; readonly expand: (ctx: RuleCtx<P>, inputs: readonly Tensor[]) => Tensor }
  | { readonly kind: 'partials' }
  | { readonly kind: 'bilinear'; readonly product: (ctx: RuleCtx<P>, a: Tensor, aLead: boolean, b: Tensor, bLead: boolean) => Tensor }
  | {
      readonly kind: 'explicit';
      readonly jet: (ctx: RuleCtx<P>, ins: readonly (Series | null)[], K: number) => Coef[];
      readonly collapsed: (ctx: RuleCtx<P>, ins: readonly (CollapsedSeries | null)[], K: number, sumDir: SumDirections) => CollapsedSeries;
    };

const zero = { kind: 'zero' } as const;
const smooth = { kind: 'partials' } as const;

/** A piecewise-linear elementwise op: Σ_i ∂_i ⊙ coef_i, the partials taken at the primal. */
const byPartials = { kind: 'linear', map: (c: RuleCtx, coefs: readonly Coef[]) => pushPartials(c.node, c.node.inputs, coefs) } as const;

function composite<P extends Prim>(expand: (ctx: RuleCtx<P>, inputs: readonly Tensor[]) => Tensor): TaylorRule<P> {
  return { kind: 'composite', expand };
}

function linear<P extends Prim>(map: (ctx: RuleCtx<P>, coefs: readonly Coef[]) => Coef): TaylorRule<P> {
  return { kind: 'linear', map };
}

function unary<P extends Prim>(derivs: (ctx: RuleCtx<P>, K: number) => Coef[]): TaylorRule<P> {
  return { kind: 'unary', derivs };
}

// ----- derivative polynomials: φ^(j) = p_j(y) where y = φ(x) and dy/dx = q(y) -----

type Poly = number[];

function polyDerivs(q: Poly, K: number): Poly[] {
  const out: Poly[] = [];
  let p: Poly = [0, 1];
  for (let j = 1; j <= K; j++) {
    const dp = p.slice(1).map((a, i) => a * (i + 1));
    const next = new Array<number>(dp.length + q.length - 1).fill(0);
    dp.forEach((a, i) => q.forEach((b, l) => (next[i + l]! += a * b)));
    while (next.length > 1 && next[next.length - 1] === 0) next.pop();
    out.push(next);
    p = next;
  }
  return out;
}

/** p(y) by Horner's rule; null for the zero polynomial. */
function evalPoly(p: Poly, y: Tensor): Coef {
  if (p.every((a) => a === 0)) return null;
  let acc: Tensor | null = null;
  for (let i = p.length - 1; i >= 0; i--) {
    const a = p[i]!;
    if (acc === null) {
      if (i === 0) return C.constLike(y, a);
      acc = a === 1 ? y : ops.mul(y, a);
      continue;
    }
    if (a !== 0) acc = ops.add(acc, a);
    if (i > 0) acc = ops.mul(acc, y);
  }
  return acc;
}

const TANH_Q: Poly = [1, 0, -1]; // 1 - T²
const SIGMOID_Q: Poly = [0, 1, -1]; // S - S²
const polyCache = new Map<string, Poly[]>();
function cachedPolys(name: string, q: Poly, K: number): Poly[] {
  const key = `${name}${K}`;
  let p = polyCache.get(key);
  if (!p) polyCache.set(key, (p = polyDerivs(q, K)));
  return p;
}

/** φ^(j)(x) = falling(a, j) x^(a-j), zero past the degree of a non-negative integer exponent. */
function powDerivs(x: Tensor, a: number, K: number): Coef[] {
  const out: Coef[] = [];
  let c = 1;
  for (let j = 1; j <= K; j++) {
    c *= a - j + 1;
    out.push(c === 0 ? null : a - j === 0 ? C.constLike(x, c) : C.scale(ops.pow(x, a - j), c));
  }
  return out;
}

// ----- bilinear products -----

const mulProduct = (_c: RuleCtx<'mul'>, a: Tensor, _al: boolean, b: Tensor): Tensor => ops.mul(a, b);
const matmulProduct = (c: RuleCtx<'matmul'>, a: Tensor, al: boolean, b: Tensor, bl: boolean): Tensor =>
  C.matmulCoef(a, al, b, bl, c.node.inputs[0]!.shape, c.node.inputs[1]!.shape);

// ----- div: z = x / y, from z·y = x: Z_k = (X_k − Σ_{j<k} C(k,j) Z_j Y_{k−j}) / y0 -----
// (taylor.md's recurrence z_k = (x_k − Σ_{j<k} z_j y_{k−j}) / y0 written for derivative coefficients)

function quotientTerms(z: readonly Coef[], Y: readonly Coef[], k: number, from: number): Coef {
  const terms: Coef[] = [];
  for (let j = from; j < k; j++) {
    const zj = z[j],
      yk = Y[k - j - 1];
    if (zj && yk) terms.push(C.scale(ops.mul(zj, yk), C.binom(k, j)));
  }
  return C.addAll(terms);
}

function divJet(ctx: RuleCtx<'div'>, ins: readonly (Series | null)[], K: number): Coef[] {
  const y0 = ctx.primals[1]!;
  const X = ins[0],
    Y = ins[1];
  const z: Coef[] = [ctx.out]; // z[j] = Z_j, z[0] the primal
  for (let k = 1; k <= K; k++) {
    const num = C.addAll([X?.[k - 1] ?? null, Y ? neg(quotientTerms(z, Y, k, 0)) : null]);
    z.push(num ? ops.div(num, y0) : null);
  }
  return z.slice(1);
}

function divCollapsed(ctx: RuleCtx<'div'>, ins: readonly (CollapsedSeries | null)[], K: number, sumDir: SumDirections): CollapsedSeries {
  const y0 = ctx.primals[1]!;
  const X = ins[0],
    Y = ins[1];
  const lower = divJet(ctx, [X?.lower ?? null, Y?.lower ?? null], K - 1);
  const z: Coef[] = [ctx.out, ...lower];
  const mixed = Y ? quotientTerms(z, Y.lower, K, 1) : null;
  const parts: Coef[] = [X?.top ?? null, Y?.top ? neg(ops.mul(ctx.out, Y.top)) : null, mixed ? neg(sumDir(mixed)) : null];
  const num = C.addAll(parts);
  return { lower, top: num ? ops.div(num, y0) : null };
}

const neg = (c: Coef): Coef => (c ? ops.neg(c) : null);

// ----- custom: the node's own jet rule (fused ops, src/ad/fused.ts), else its implementation -----
// customJvp / customVjp rules are first order: Taylor mode then differentiates the implementation
// (the last input), as JAX's jet does. A custom node without primals (stopGradient) has no derivative.

const nulls = (n: number): Coef[] => new Array<Coef>(Math.max(n, 0)).fill(null);

function customJet(c: RuleCtx<'custom'>, ins: readonly (Series | null)[], K: number): Coef[] {
  const { jet } = c.params.rules;
  const last = ins.length - 1;
  if (jet) return jet(c.primals.slice(0, last), ins.slice(0, last), c.out, K) as Coef[];
  return last === 0 ? nulls(K) : (ins[last] ?? nulls(K)).slice();
}

/**
 * Collapsed mode from the jet rule alone: its order-K output is linear in the inputs' order-K
 * coefficients, Z_K = J(x0)·X_K + N(X_1..X_{K−1}); so the summed top is J·(Σ_r X_K) (the order-1
 * rule applied to the summed tops) plus Σ_r N_r (the order-K rule with X_K = 0, summed).
 */
function customCollapsed(c: RuleCtx<'custom'>, ins: readonly (CollapsedSeries | null)[], K: number, sumDir: SumDirections): CollapsedSeries {
  const { jet } = c.params.rules;
  const last = ins.length - 1;
  if (!jet) return last === 0 ? { lower: nulls(K - 1), top: null } : (ins[last] ?? { lower: nulls(K - 1), top: null });
  const primals = c.primals.slice(0, last);
  const own = ins.slice(0, last);
  const lowered = own.map((s) => (s ? [...Array.from({ length: K - 1 }, (_, k) => s.lower[k] ?? null), null] : null));
  const all = jet(primals, lowered, c.out, K) as Coef[];
  const tops = own.map((s) => (s?.top ? [s.top] : null));
  const linear = tops.some((t) => t !== null) ? ((jet(primals, tops, c.out, 1) as Coef[])[0] ?? null) : null;
  const mixed = all[K - 1] ?? null;
  return { lower: Array.from({ length: K - 1 }, (_, k) => all[k] ?? null), top: C.addAll([mixed ? sumDir(mixed) : null, linear]) };
}

export const TAYLOR_RULES = {
  const: zero,
  identity: linear((_c, [a]) => a!),
  custom: { kind: 'explicit', jet: customJet, collapsed: customCollapsed },
  neg: byPartials,
  exp: unary((c, K) => new Array<Coef>(K).fill(c.out)),
  log: unary((c, K) => {
    const r = ops.div(1, c.primals[0]!);
    const out: Coef[] = [];
    let p: Tensor = r;
    for (let j = 1; j <= K; j++) {
      if (j > 1) p = ops.mul(p, r);
      out.push(C.scale(p, (j % 2 === 1 ? 1 : -1) * C.factorial(j - 1)));
    }
    return out;
  }),
  sin: unary((c, K) => {
    const s = c.out,
      co = ops.cos(c.primals[0]!);
    const cyc = [co, ops.neg(s), ops.neg(co), s];
    return Array.from({ length: K }, (_, j) => cyc[j % 4]!);
  }),
  cos: unary((c, K) => {
    const co = c.out,
      s = ops.sin(c.primals[0]!);
    const cyc = [ops.neg(s), ops.neg(co), s, co];
    return Array.from({ length: K }, (_, j) => cyc[j % 4]!);
  }),
  tanh: unary((c, K) => cachedPolys('tanh', TANH_Q, K).map((p) => evalPoly(p, c.out))),
  sigmoid: unary((c, K) => cachedPolys('sigmoid', SIGMOID_Q, K).map((p) => evalPoly(p, c.out))),
  softplus: smooth, // softplus' = sigmoid
  sqrt: unary((c, K) => powDerivs(c.primals[0]!, 0.5, K)),
  log1p: composite((_c, [x]) => ops.log(ops.add(x!, 1))),
  expm1: composite((_c, [x]) => ops.sub(ops.exp(x!), 1)),
  erf: smooth, // erf' = 2/√π e^(−x²)
  pow: unary((c, K) => powDerivs(c.primals[0]!, c.params.exponent, K)),
  abs: byPartials,
  sign: zero,
  cast: byPartials,
  add: byPartials,
  sub: byPartials,
  mul: { kind: 'bilinear', product: mulProduct },
  atan2: smooth,
  div: { kind: 'explicit', jet: divJet, collapsed: divCollapsed },
  maximum: byPartials, // ties ½/½ (./derivs.ts)
  cmp: zero,
  where: byPartials,
  sum: linear((c, [a]) => C.sumCoef(a!, c.params.axes, c.primals[0]!.shape)),
  // ties share equally (./derivs.ts)
  max: linear((c, [a]) => C.sumCoef(ops.mul(a!, maxWeights(c.node, c.node.inputs[0]!)), c.params.axes, c.primals[0]!.shape)),
  reshape: linear((c, [a]) => C.reshapeCoef(a!, c.primals[0]!.shape, c.params.shape)),
  permute: linear((c, [a]) => C.permuteCoef(a!, c.params.perm)),
  broadcast: linear((c, [a]) => C.broadcastCoef(a!, c.params.shape)),
  slice: linear((c, [a]) => C.sliceCoef(a!, c.params.starts, c.params.ends, c.params.steps, c.primals[0]!.shape)),
  pad: linear((c, [a]) => C.padCoef(a!, c.params.before, c.params.after, c.primals[0]!.shape)),
  matmul: { kind: 'bilinear', product: matmulProduct },
} satisfies { [P in Prim]: TaylorRule<P> };

/** The rule of `op`, typed for the engines. */
export function taylorRule(op: Prim): TaylorRule {
  return TAYLOR_RULES[op] as TaylorRule;
}
