// One differentiation case (or more) per primitive: a small function exercising it, input shapes
// and the input domain (away from kinks and poles, so central differences are valid there).

import { type Tensor, concat, customJvp, customVjp, tensor, where } from '../../src/index.js';
import { identityNode } from '../../src/ir/build.js';
import type { Prim } from '../../src/ir/primitives.js';
import { Tensor as TensorClass } from '../../src/tensor.js';
import type { DType } from '../../src/index.js';
import { type Domain, type Fn, randomTensor } from '../helpers/finiteDiff.js';

export interface PrimCase {
  /** The primitive the case must put in the graph. */
  prim: Prim;
  name: string;
  shapes: number[][];
  domain?: Domain | Domain[];
  f: Fn;
  /** Finite-difference step (default 1e-6); linear cases on dyadic data may use a large exact one. */
  eps?: number;
  /** Defined by a custom VJP rule: forward mode is refused, so only reverse-mode checks apply. */
  reverseOnly?: boolean;
  /** Needs both dtypes (a cast between them): not on WebGPU, where float64 is a DTypeError. */
  twoDTypes?: boolean;
}

const other = (t: Tensor) => (t.dtype === 'float64' ? 'float32' : 'float64');

/** log(1 + exp(x)) summed over the last axis, with a custom (stable) JVP rule. */
const softplusSum = customJvp(
  (x: Tensor) => x.softplus().sum(-1),
  ([x], [t]) => x.sigmoid().mul(t).sum(-1),
);

/** x · sin(y) with a custom VJP rule (a fwd sharing sin(y) and cos(y) with bwd). */
const xSinY = customVjp(
  (x: Tensor, y: Tensor) => x.mul(y.sin()),
  (x: Tensor, y: Tensor) => [x.mul(y.sin()), { x, s: y.sin(), c: y.cos() }],
  ({ x, s, c }: { x: Tensor; s: Tensor; c: Tensor }, g: Tensor) => [g.mul(s), g.mul(x).mul(c)],
);

/** exp(x) with a custom VJP and no fwd (the residuals are { args, out }). */
const expV = customVjp(
  (x: Tensor) => x.exp(),
  ({ out }: { out: Tensor }, g: Tensor) => [g.mul(out)],
);

export const PRIM_CASES: PrimCase[] = [
  { prim: 'const', name: 'constant output', shapes: [[3]], f: (x) => tensor([1, 2, 3], { dtype: x.dtype }) },
  { prim: 'identity', name: 'alias', shapes: [[2, 3]], f: (x) => new TensorClass(identityNode(x.node)).mul(x) },
  { prim: 'custom', name: 'customJvp softplus-sum', shapes: [[2, 4]], f: (x) => softplusSum(x) },
  { prim: 'custom', name: 'customVjp x·sin(y)', shapes: [[3], [3]], f: (x, y) => xSinY(x, y), reverseOnly: true },
  { prim: 'custom', name: 'customVjp exp (no fwd)', shapes: [[4]], f: (x) => expV(x).mul(x), reverseOnly: true },
  { prim: 'neg', name: 'neg', shapes: [[5]], f: (x) => x.neg().mul(x) },
  { prim: 'exp', name: 'exp', shapes: [[2, 3]], f: (x) => x.exp() },
  { prim: 'log', name: 'log', shapes: [[5]], domain: 'pos', f: (x) => x.log() },
  { prim: 'sin', name: 'sin', shapes: [[5]], f: (x) => x.sin() },
  { prim: 'cos', name: 'cos', shapes: [[5]], f: (x) => x.cos() },
  { prim: 'tanh', name: 'tanh', shapes: [[5]], f: (x) => x.tanh() },
  { prim: 'sigmoid', name: 'sigmoid', shapes: [[5]], f: (x) => x.sigmoid() },
  { prim: 'softplus', name: 'softplus', shapes: [[5]], f: (x) => x.softplus() },
  { prim: 'sqrt', name: 'sqrt', shapes: [[5]], domain: 'pos', f: (x) => x.sqrt() },
  { prim: 'log1p', name: 'log1p', shapes: [[5]], domain: 'pos', f: (x) => x.log1p() },
  { prim: 'log1p', name: 'log1p near 0', shapes: [[5]], f: (x) => x.mul(0.2).log1p().mul(x) },
  { prim: 'expm1', name: 'expm1', shapes: [[5]], f: (x) => x.expm1() },
  { prim: 'erf', name: 'erf', shapes: [[6]], f: (x) => x.erf() },
  { prim: 'erf', name: 'gelu', shapes: [[6]], f: (x) => x.gelu() },
  { prim: 'abs', name: 'abs', shapes: [[6]], domain: 'away0', f: (x) => x.abs().mul(x) },
  { prim: 'sign', name: 'sign', shapes: [[6]], domain: 'away0', f: (x) => x.sign().mul(x.square()) },
  { prim: 'pow', name: 'pow 3', shapes: [[5]], f: (x) => x.pow(3) },
  { prim: 'pow', name: 'pow -1.5', shapes: [[5]], domain: 'pos', f: (x) => x.pow(-1.5) },
  { prim: 'pow', name: 'pow 0.5', shapes: [[5]], domain: 'pos', f: (x) => x.pow(0.5) },
  { prim: 'cast', name: 'cast round trip', shapes: [[4]], domain: 'dyadic', eps: 0.125, twoDTypes: true, f: (x) => x.astype(other(x)).astype(x.dtype) },
  {
    prim: 'add',
    name: 'add',
    shapes: [
      [2, 3],
      [2, 3],
    ],
    f: (a, b) => a.add(b).mul(a),
  },
  { prim: 'add', name: 'add broadcast', shapes: [[2, 3], [3]], f: (a, b) => a.add(b).square() },
  { prim: 'sub', name: 'sub', shapes: [[4], [4]], f: (a, b) => a.sub(b).mul(b) },
  { prim: 'mul', name: 'mul', shapes: [[4], [4]], f: (a, b) => a.mul(b) },
  { prim: 'mul', name: 'mul self', shapes: [[4]], f: (a) => a.mul(a).mul(a) },
  { prim: 'div', name: 'div', shapes: [[4], [4]], domain: ['any', 'away0'], f: (a, b) => a.div(b) },
  { prim: 'atan2', name: 'atan2', shapes: [[6], [6]], domain: ['any', 'away0'], f: (y, x) => y.atan2(x) },
  { prim: 'atan2', name: 'atan2 of one point', shapes: [[4]], domain: 'away0', f: (a) => a.atan2(a.sin().add(2)).mul(a) },
  { prim: 'maximum', name: 'maximum', shapes: [[6], [6]], f: (a, b) => a.maximum(b).mul(a) },
  { prim: 'maximum', name: 'minimum', shapes: [[6], [6]], f: (a, b) => a.minimum(b) },
  { prim: 'maximum', name: 'relu via maximum', shapes: [[6]], domain: 'away0', f: (a) => a.maximum(0) },
  { prim: 'cmp', name: 'greater', shapes: [[6], [6]], f: (a, b) => a.greater(b).mul(a) },
  { prim: 'cmp', name: 'relu', shapes: [[6]], domain: 'away0', f: (a) => a.relu() },
  { prim: 'where', name: 'where', shapes: [[6], [6], [6]], domain: ['away0', 'any', 'any'], f: (c, a, b) => where(c.greater(0), a.mul(c), b.sin()) },
  { prim: 'sum', name: 'sum all', shapes: [[2, 3, 2]], f: (x) => x.square().sum() },
  { prim: 'sum', name: 'sum axes [0, 2]', shapes: [[2, 3, 2]], f: (x) => x.sum([0, 2]).sin() },
  { prim: 'sum', name: 'sum keepdims', shapes: [[3, 4]], f: (x) => x.sum(1, true).mul(x) },
  { prim: 'max', name: 'max axis 1', shapes: [[3, 4]], f: (x) => x.max(1) },
  { prim: 'max', name: 'max all', shapes: [[2, 3]], f: (x) => x.max().mul(x) },
  { prim: 'max', name: 'min keepdims', shapes: [[3, 4]], f: (x) => x.min(0, true).mul(x.sin()) },
  { prim: 'max', name: 'logsumexp', shapes: [[3, 4]], f: (x) => x.logsumexp(1) },
  { prim: 'reshape', name: 'reshape', shapes: [[2, 3, 2]], f: (x) => x.reshape([3, 4]).mul(x.reshape([3, 4]).sin()) },
  { prim: 'permute', name: 'permute', shapes: [[2, 3, 4]], f: (x) => x.permute([2, 0, 1]).sin() },
  {
    prim: 'broadcast',
    name: 'broadcast',
    shapes: [[3, 1]],
    f: (x) =>
      x.broadcastTo([2, 3, 4]).mul(
        tensor(
          Array.from({ length: 24 }, (_, i) => i / 7),
          { shape: [2, 3, 4], dtype: x.dtype },
        ),
      ),
  },
  { prim: 'slice', name: 'slice', shapes: [[4, 5]], f: (x) => x.slice([1, 0], [3, 4]).square() },
  { prim: 'slice', name: 'slice with steps', shapes: [[5, 7]], f: (x) => x.slice([0, 1], [5, 7], [2, 3]).sin() },
  { prim: 'slice', name: 'slice step overshooting the end', shapes: [[6, 8]], f: (x) => x.slice([1, 2], [6, 8], [2, 4]).exp() },
  {
    prim: 'pad',
    name: 'pad',
    shapes: [[2, 3]],
    f: (x) =>
      x
        .pad([
          [1, 0],
          [2, 1],
        ])
        .sin(),
  },
  {
    prim: 'pad',
    name: 'concat',
    shapes: [
      [2, 3],
      [1, 3],
    ],
    f: (a, b) => concat([a.sin(), b], 0),
  },
  {
    prim: 'matmul',
    name: 'matmul',
    shapes: [
      [2, 3],
      [3, 4],
    ],
    f: (a, b) => a.matmul(b),
  },
  {
    prim: 'matmul',
    name: 'matmul batched',
    shapes: [
      [2, 2, 3],
      [2, 3, 2],
    ],
    f: (a, b) => a.matmul(b).tanh(),
  },
  { prim: 'matmul', name: 'matmul vector-matrix', shapes: [[3], [3, 2]], f: (a, b) => a.matmul(b) },
  {
    prim: 'matmul',
    name: 'matmul broadcast batch',
    shapes: [
      [2, 3],
      [2, 3, 2],
    ],
    f: (a, b) => a.matmul(b),
  },
  { prim: 'matmul', name: 'matmul self', shapes: [[3, 3]], f: (a) => a.matmul(a) },
];

export function domainOf(c: PrimCase, i: number): Domain {
  return Array.isArray(c.domain) ? c.domain[i]! : (c.domain ?? 'any');
}

/** Seeded random inputs of a case, in its domains. */
export function inputsOf(c: PrimCase, dtype: DType, seed: number): Tensor[] {
  return c.shapes.map((s, i) => randomTensor(s, seed + 17 * i, dtype, domainOf(c, i)));
}
