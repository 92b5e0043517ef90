// An independent plain-JS float64 interpreter for fuzz graphs, on the tests' shared float64
// ndarray (test/helpers/nd.ts: broadcasting, reductions, matmul, pad, concat), plus the graph
// ops' own movement (permute, slice) and kink checks. Nothing here calls wgad; every expected
// forward value comes from plain JS math, written from the ops' documented meaning.

import { type Nd, at, atBroadcast, broadcastShape, build, concat, map, matmul, pad, reduce, reductionTargets, scalar, size as sz } from '../helpers/nd.js';
import type { Graph, GNode, Shape } from './graph.js';

export type { Nd };

function zip(xs: Nd[], f: (...v: number[]) => number): Nd {
  const shape = broadcastShape(...xs.map((x) => x.shape));
  return build(shape, (idx) => f(...xs.map((x) => atBroadcast(x, idx))));
}

/** Groups of the reduced elements, one per output element (for tie margins). */
function reduceGroups(a: Nd, axes: number[]): number[][] {
  const { kept, targets } = reductionTargets(a.shape, axes);
  const groups: number[][] = Array.from({ length: sz(kept) }, () => []);
  a.data.forEach((v, i) => groups[targets[i]!]!.push(v));
  return groups;
}

function permute(a: Nd, perm: number[]): Nd {
  return build(
    perm.map((p) => a.shape[p]!),
    (idx) => {
      const src = new Array<number>(perm.length);
      perm.forEach((p, i) => (src[p] = idx[i]!));
      return at(a, src);
    },
  );
}

const normAxis = (axis: number, rank: number): number => (axis < 0 ? axis + rank : axis);

function slice(a: Nd, starts: number[], ends: number[], steps: number[]): Nd {
  const s0 = a.shape.map((d, i) => {
    const v = starts[i]!;
    return Math.min(d, Math.max(0, v < 0 ? v + d : v));
  });
  const e0 = a.shape.map((d, i) => {
    const v = ends[i]!;
    return Math.max(s0[i]!, Math.min(d, Math.max(0, v < 0 ? v + d : v)));
  });
  const shape = a.shape.map((_, i) => Math.ceil((e0[i]! - s0[i]!) / steps[i]!));
  return build(shape, (idx) =>
    at(
      a,
      idx.map((v, i) => s0[i]! + v * steps[i]!),
    ),
  );
}

const sigmoid = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
const softplus = (x: number): number => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));

const UNARY: Record<string, (x: number) => number> = {
  neg: (x) => -x,
  exp: Math.exp,
  sin: Math.sin,
  cos: Math.cos,
  tanh: Math.tanh,
  sigmoid,
  softplus,
  square: (x) => x * x,
  abs: Math.abs,
  sign: Math.sign,
  relu: (x) => (x > 0 ? x : 0),
};

const BIN: Record<string, (x: number, y: number) => number> = {
  add: (x, y) => x + y,
  sub: (x, y) => x - y,
  mul: (x, y) => x * y,
  div: (x, y) => x / y,
  maximum: Math.max,
  minimum: Math.min,
};

const CMP: Record<string, (x: number, y: number) => boolean> = {
  less: (x, y) => x < y,
  lessEqual: (x, y) => x <= y,
  greater: (x, y) => x > y,
  greaterEqual: (x, y) => x >= y,
  equal: (x, y) => x === y,
  notEqual: (x, y) => x !== y,
};

/** Value of one node given the values of the earlier nodes. */
export function interpretNode(n: GNode, v: readonly Nd[]): Nd {
  const A = (): Nd => v[(n as { a: number }).a]!;
  switch (n.k) {
    case 'in':
      return { shape: n.shape.slice(), data: Float64Array.from(n.data) };
    case 'un':
      return map(A(), UNARY[n.fn]!);
    case 'safe': {
      const f = n.fn === 'log' ? Math.log : n.fn === 'sqrt' ? Math.sqrt : (u: number) => u ** n.p;
      return map(A(), (x) => f(x * x + n.c));
    }
    case 'powi':
      return map(A(), (x) => x ** n.p);
    case 'bin':
      return zip([A(), v[n.b]!], BIN[n.fn]!);
    case 'div':
      return zip([A(), v[n.b]!], (x, y) => x / (y * y + n.c));
    case 'num': {
      const f = BIN[n.fn]!;
      return zip([A(), scalar(n.c)], n.left ? (x, c) => f(c, x) : f);
    }
    case 'cmp':
      return zip([A(), v[n.b]!], (x, y) => (CMP[n.fn]!(x, y) ? 1 : 0));
    case 'where':
      return zip([A(), v[n.b]!, v[n.x]!, v[n.y]!], (a, b, x, y) => (CMP[n.fn]!(a, b) ? x : y));
    case 'red': {
      const a = A();
      const axes = n.axes;
      const count = axes.reduce((c, ax) => c * a.shape[ax]!, 1);
      switch (n.fn) {
        case 'sum':
          return reduce(a, axes, n.keep, 0, (s, x) => s + x);
        case 'mean':
          return map(
            reduce(a, axes, n.keep, 0, (s, x) => s + x),
            (s) => s / count,
          );
        case 'max':
          return reduce(a, axes, n.keep, -Infinity, Math.max);
        case 'min':
          return reduce(a, axes, n.keep, Infinity, Math.min);
        case 'logsumexp': {
          const m = reduce(a, axes, true, -Infinity, Math.max);
          const shifted = zip([a, m], (x, mm) => Math.exp(x - mm));
          const s = reduce(shifted, axes, n.keep, 0, (t, x) => t + x);
          const mk = n.keep ? m : { shape: s.shape, data: m.data };
          return zip([s, mk], (t, mm) => Math.log(t) + mm);
        }
      }
      throw new Error('interp: reduce');
    }
    case 'matmul':
      return matmul(A(), v[n.b]!);
    case 'reshape': {
      const a = A();
      const known = sz(n.shape.filter((d) => d !== -1));
      const shape = n.shape.map((d) => (d === -1 ? sz(a.shape) / known : d));
      if (sz(shape) !== a.data.length) throw new Error('interp: reshape size');
      return { shape, data: a.data.slice() };
    }
    case 'permute':
      return permute(A(), n.perm);
    case 'transpose':
      return permute(
        A(),
        A().shape.map((_, i) => A().shape.length - 1 - i),
      );
    case 'bcast':
      return zip([A(), { shape: n.shape, data: new Float64Array(sz(n.shape)) }], (x) => x);
    case 'expand': {
      const a = A();
      const shape = a.shape.slice();
      shape.splice(normAxis(n.axis, a.shape.length + 1), 0, 1);
      return { shape, data: a.data.slice() };
    }
    case 'squeeze': {
      const a = A();
      return { shape: a.shape.filter((_, i) => i !== n.axis), data: a.data.slice() };
    }
    case 'slice':
      return slice(A(), n.starts, n.ends, n.steps);
    case 'pad':
      return pad(A(), n.pads);
    case 'concat':
      return concat(
        n.xs.map((r) => v[r]!),
        normAxis(n.axis, v[n.xs[0]!]!.shape.length),
      );
    case 'stack': {
      const rank = v[n.xs[0]!]!.shape.length;
      const ax = normAxis(n.axis, rank + 1);
      return concat(
        n.xs.map((r) => {
          const x = v[r]!;
          const shape = x.shape.slice();
          shape.splice(ax, 0, 1);
          return { shape, data: x.data };
        }),
        ax,
      );
    }
    case 'astype':
      return map(A(), Math.fround);
    case 'stopgrad':
      return map(A(), (x) => x);
  }
}

/** All node values of a graph. */
export function interpret(g: Graph): Nd[] {
  const vals: Nd[] = [];
  for (const n of g.nodes) vals.push(interpretNode(n, vals));
  return vals;
}

/**
 * Kink margin: the float32 and float64 computations must take the same branch at every kink, so
 * an argument must be exactly at the kink in float64 (only exact values — zeros from pad, equal
 * broadcast copies — are, and those are exact in float32 too) or at least KINK_MARGIN·(1+|x|)
 * away from it. Float32 errors in intermediates are around 1e-6 relative, far below the margin.
 */
export const KINK_MARGIN = 2e-3;

const away = (x: number, y: number): boolean => x === y || Math.abs(x - y) > KINK_MARGIN * (1 + Math.abs(x) + Math.abs(y));

/** Largest |x| tanh and sigmoid are applied to (see kinkMargin). */
export const SATURATION = 3;

export function kinkMargin(n: GNode, v: readonly Nd[], out: Nd): boolean {
  const pairs = (a: Nd, b: Nd): boolean => zip([a, b], (x, y) => (away(x, y) ? 1 : 0)).data.every((t) => t === 1);
  switch (n.k) {
    case 'un':
      if (n.fn === 'abs' || n.fn === 'sign' || n.fn === 'relu') return v[n.a]!.data.every((x) => away(x, 0));
      // saturation: tanh' = 1 - y² and sigmoid' = y(1 - y) are computed from the float32 output,
      // so deep in the tails they carry ~ulp(1)/sech² relative error (1% at x = 6.4 on WebGPU):
      // an accuracy limit of float32 derivative rules, not a wrong value. Kept out of range here.
      if (n.fn === 'tanh' || n.fn === 'sigmoid') return v[n.a]!.data.every((x) => Math.abs(x) <= SATURATION);
      return true;
    case 'bin':
      return n.fn === 'maximum' || n.fn === 'minimum' ? pairs(v[n.a]!, v[n.b]!) : true;
    case 'num':
      return n.fn === 'maximum' || n.fn === 'minimum' ? v[n.a]!.data.every((x) => away(x, n.c)) : true;
    case 'cmp':
    case 'where':
      return pairs(v[n.a]!, v[n.b]!);
    case 'red': {
      if (n.fn !== 'max' && n.fn !== 'min') return true;
      // the extreme element must beat every other distinct element by the margin
      return reduceGroups(v[n.a]!, n.axes).every((g) => {
        const ext = n.fn === 'max' ? Math.max(...g) : Math.min(...g);
        return g.every((x) => away(x, ext));
      });
    }
    default:
      void out;
      return true;
  }
}

/** Largest magnitude of any node value (scale for float32 rounding errors of the forward pass). */
export function maxMagnitude(vals: readonly Nd[]): number {
  let m = 0;
  for (const v of vals) for (const x of v.data) m = Math.max(m, Math.abs(x));
  return m;
}

export type { Shape };
