// The primitive table: every op the IR knows, its kind (which decides how it is scheduled and
// which rule shapes apply), its arity and its parameter type. Everything else in wgad (mean,
// relu, concat, softplus's derivative, ...) is expressed through these. Rule tables elsewhere are
// typed `Record<Prim, ...>`, so adding a primitive here fails the build until every rule exists.

import type { DType, HostArray } from '../dtype.js';

export type PrimKind = 'leaf' | 'unary' | 'binary' | 'ternary' | 'reduce' | 'movement' | 'matmul' | 'special';

export const PRIMITIVES = {
  // leaves and special nodes
  const: { kind: 'leaf', arity: 0 },
  identity: { kind: 'special', arity: 1 }, // an alias; transformations wrap their inputs in one
  custom: { kind: 'special', arity: -1 }, // user rules (customJvp / customVjp); last input = implementation
  // elementwise, one input
  neg: { kind: 'unary', arity: 1 },
  exp: { kind: 'unary', arity: 1 },
  log: { kind: 'unary', arity: 1 },
  sin: { kind: 'unary', arity: 1 },
  cos: { kind: 'unary', arity: 1 },
  tanh: { kind: 'unary', arity: 1 },
  sigmoid: { kind: 'unary', arity: 1 },
  softplus: { kind: 'unary', arity: 1 },
  sqrt: { kind: 'unary', arity: 1 },
  log1p: { kind: 'unary', arity: 1 },
  expm1: { kind: 'unary', arity: 1 },
  erf: { kind: 'unary', arity: 1 },
  abs: { kind: 'unary', arity: 1 },
  sign: { kind: 'unary', arity: 1 },
  pow: { kind: 'unary', arity: 1 }, // scalar exponent in params
  cast: { kind: 'unary', arity: 1 },
  // elementwise, two or three inputs of the same shape (broadcasting is explicit in the graph)
  add: { kind: 'binary', arity: 2 },
  sub: { kind: 'binary', arity: 2 },
  mul: { kind: 'binary', arity: 2 },
  div: { kind: 'binary', arity: 2 },
  atan2: { kind: 'binary', arity: 2 }, // atan2(y, x): the angle of (x, y)
  maximum: { kind: 'binary', arity: 2 },
  cmp: { kind: 'binary', arity: 2 }, // 1 where the comparison holds, else 0
  where: { kind: 'ternary', arity: 3 }, // cond != 0 ? a : b
  // reductions over listed axes (dropped from the shape)
  sum: { kind: 'reduce', arity: 1 },
  max: { kind: 'reduce', arity: 1 },
  // movement: views where possible
  reshape: { kind: 'movement', arity: 1 },
  permute: { kind: 'movement', arity: 1 },
  broadcast: { kind: 'movement', arity: 1 },
  slice: { kind: 'movement', arity: 1 },
  pad: { kind: 'movement', arity: 1 }, // zero padding
  // [..., m, k] @ [..., k, n] with equal batch dims
  matmul: { kind: 'matmul', arity: 2 },
} as const satisfies Record<string, { kind: PrimKind; arity: number }>;

export type Prim = keyof typeof PRIMITIVES;
export const PRIM_NAMES = Object.keys(PRIMITIVES) as Prim[];

export type CmpOp = 'lt' | 'le' | 'gt' | 'ge' | 'eq' | 'ne';

/** A user-defined rule set attached to a `custom` node (see src/ad/custom.ts). */
export interface CustomRules {
  name: string;
  /** (primals, tangents, output) => tangent of the output; tangents may be null (known zero). */
  jvp?: (primals: unknown[], tangents: unknown[], out: unknown) => unknown;
  /** (primals, output, cotangent) => cotangents of each primal (null for none). */
  vjp?: (primals: unknown[], out: unknown, cotangent: unknown) => unknown[];
  /**
   * (primals, series, output, K) => the output's Taylor coefficients 1..K (null for zero). series[i]
   * is primal i's coefficients X_1..X_K (each [L, ...S'], see src/rules/taylor-coef.ts) or null.
   * Without it, Taylor mode differentiates the implementation (src/rules/taylor.ts).
   */
  jet?: (primals: unknown[], series: (readonly unknown[] | null)[], out: unknown, K: number) => unknown[];
}

export interface ParamsMap {
  const: { data: HostArray };
  identity: Record<string, never>;
  custom: { rules: CustomRules };
  neg: Record<string, never>;
  exp: Record<string, never>;
  log: Record<string, never>;
  sin: Record<string, never>;
  cos: Record<string, never>;
  tanh: Record<string, never>;
  sigmoid: Record<string, never>;
  softplus: Record<string, never>;
  sqrt: Record<string, never>;
  log1p: Record<string, never>;
  expm1: Record<string, never>;
  erf: Record<string, never>;
  abs: Record<string, never>;
  sign: Record<string, never>;
  pow: { exponent: number };
  cast: { dtype: DType };
  add: Record<string, never>;
  sub: Record<string, never>;
  mul: Record<string, never>;
  div: Record<string, never>;
  atan2: Record<string, never>;
  maximum: Record<string, never>;
  cmp: { cmp: CmpOp };
  where: Record<string, never>;
  sum: { axes: number[] };
  max: { axes: number[] };
  reshape: { shape: number[] };
  permute: { perm: number[] };
  broadcast: { shape: number[] };
  slice: { starts: number[]; ends: number[]; steps: number[] };
  pad: { before: number[]; after: number[] };
  matmul: Record<string, never>;
}

// A missing or extra entry in ParamsMap fails the build here.
type Exact<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _paramsCoverPrims: Exact<keyof ParamsMap, Prim> = true;
void _paramsCoverPrims;

export type Params = ParamsMap[Prim];

export type UnaryPrim = { [P in Prim]: (typeof PRIMITIVES)[P]['kind'] extends 'unary' ? P : never }[Prim];
export type BinaryPrim = { [P in Prim]: (typeof PRIMITIVES)[P]['kind'] extends 'binary' ? P : never }[Prim];
export type ElementwisePrim = { [P in Prim]: (typeof PRIMITIVES)[P]['kind'] extends 'unary' | 'binary' | 'ternary' ? P : never }[Prim];
export type ReducePrim = 'sum' | 'max';
export type MovementPrim = { [P in Prim]: (typeof PRIMITIVES)[P]['kind'] extends 'movement' ? P : never }[Prim];

export function kindOf(op: Prim): PrimKind {
  return PRIMITIVES[op].kind;
}

export function isElementwise(op: Prim): boolean {
  const k = PRIMITIVES[op].kind;
  return k === 'unary' || k === 'binary' || k === 'ternary';
}
