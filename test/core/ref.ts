// Independent float64 reference for the core tests: a tiny ndarray (flat Float64Array + shape) with
// its own broadcasting, reductions, matmul and movement ops, plus input generation and comparison.
// Nothing here calls wgad to compute a value: expected numbers come only from plain JS math.

import { expect } from 'vitest';
import { type Tensor, tensor } from '../../src/index.js';
import type { BackendCase } from '../helpers/backends.js';
import { type Nd, at, atBroadcast, broadcastShape, build, concat, map, matmul, nd, normAxes, reduce, scalar, size, unravel } from '../helpers/nd.js';

export * from '../helpers/nd.js';

const asNd = (x: Nd | number): Nd => (typeof x === 'number' ? scalar(x) : x);

export function zip(a: Nd | number, b: Nd | number, f: (x: number, y: number) => number): Nd {
  const A = asNd(a),
    B = asNd(b);
  return build(broadcastShape(A.shape, B.shape), (idx) => f(atBroadcast(A, idx), atBroadcast(B, idx)));
}

export function zip3(a: Nd | number, b: Nd | number, c: Nd | number, f: (x: number, y: number, z: number) => number): Nd {
  const A = asNd(a),
    B = asNd(b),
    C = asNd(c);
  return build(broadcastShape(A.shape, B.shape, C.shape), (idx) => f(atBroadcast(A, idx), atBroadcast(B, idx), atBroadcast(C, idx)));
}

// ----- reductions (reduce: ../helpers/nd.ts) -----

export const rsum = (a: Nd, axis?: number | number[], keepdims = false): Nd => reduce(a, axis, keepdims, 0, (s, x) => s + x);
export const rmax = (a: Nd, axis?: number | number[], keepdims = false): Nd => reduce(a, axis, keepdims, -Infinity, (s, x) => (x > s ? x : s));
export const rmin = (a: Nd, axis?: number | number[], keepdims = false): Nd => reduce(a, axis, keepdims, Infinity, (s, x) => (x < s ? x : s));
export function rmean(a: Nd, axis?: number | number[], keepdims = false): Nd {
  const axes = normAxes(axis, a.shape.length);
  const count = axes.reduce((c, d) => c * a.shape[d]!, 1);
  return map(rsum(a, axis, keepdims), (s) => s / count);
}

/** Sum of |a_ip| |b_pj|: the scale of rounding errors in each matmul entry. */
export const matmulScale = (a: Nd, b: Nd): Nd => matmul(map(a, Math.abs), map(b, Math.abs));

// ----- movement -----

export const reshape = (a: Nd, shape: number[]): Nd => nd(shape, a.data);

export function transpose(a: Nd, perm?: number[]): Nd {
  const p = perm ?? a.shape.map((_, i) => a.shape.length - 1 - i);
  return build(
    p.map((d) => a.shape[d]!),
    (idx) => {
      const src = new Array<number>(idx.length);
      p.forEach((d, i) => (src[d] = idx[i]!));
      return at(a, src);
    },
  );
}

/** Python-style slice per axis with positive steps; missing entries take the whole axis. */
export function slice(a: Nd, starts: number[], ends: (number | null)[] = [], steps: number[] = []): Nd {
  const ranges = a.shape.map((d, i) => {
    const norm = (v: number | null | undefined, dflt: number): number => (v === undefined || v === null ? dflt : Math.min(d, Math.max(0, v < 0 ? v + d : v)));
    const st = steps[i] ?? 1;
    const out: number[] = [];
    for (let j = norm(starts[i], 0); j < norm(ends[i], d); j += st) out.push(j);
    return out;
  });
  return build(
    ranges.map((r) => r.length),
    (idx) =>
      at(
        a,
        idx.map((v, i) => ranges[i]![v]!),
      ),
  );
}

export function stack(parts: Nd[], axis: number): Nd {
  const ax = axis < 0 ? axis + parts[0]!.shape.length + 1 : axis;
  return concat(
    parts.map((p) => {
      const s = p.shape.slice();
      s.splice(ax, 0, 1);
      return nd(s, p.data);
    }),
    ax,
  );
}

// ----- inputs -----

/** A small deterministic generator (64-bit-free LCG), independent of wgad's RNG. */
export class Lcg {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    this.s = (Math.imul(this.s, 1664525) + 1013904223) >>> 0;
    return this.s / 4294967296;
  }
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }
  /** Values in [lo, hi) rounded to the dtype, so the reference sees exactly what wgad sees. */
  array(shape: number[], dtype: 'float32' | 'float64', lo = -2, hi = 2): Nd {
    const d = Float64Array.from({ length: size(shape) }, () => this.uniform(lo, hi));
    return nd(shape, dtype === 'float32' ? Float32Array.from(d) : d);
  }
}

// ----- comparison -----

export interface Got {
  readonly shape: number[];
  data(): Promise<Float32Array | Float64Array>;
}

/**
 * Asserts `got` has the reference's shape and values within the case's tolerance:
 * |got - want| <= atol + rtol * max(|want|, scale). `scale` (optional, same shape) is the size of the
 * terms a reduction summed (e.g. Σ|x|), the standard bound for rounding in a sum.
 */
export async function expectClose(got: Got, want: Nd, c: Pick<BackendCase, 'rtol' | 'atol'>, scale?: Nd): Promise<void> {
  expect(got.shape).toEqual(want.shape);
  const data = await got.data();
  expect(data.length).toBe(want.data.length);
  const bad: string[] = [];
  for (let i = 0; i < data.length; i++) {
    const g = data[i]!,
      w = want.data[i]!;
    let ok: boolean;
    if (Number.isNaN(w) || !Number.isFinite(w)) ok = Object.is(g, w) || (Number.isNaN(w) && Number.isNaN(g));
    else ok = Math.abs(g - w) <= c.atol + c.rtol * Math.max(Math.abs(w), scale ? Math.abs(scale.data[i]!) : 0);
    if (!ok && bad.length < 5) bad.push(`[${unravel(i, want.shape).join(',')}] got ${g}, want ${w}`);
  }
  expect(bad, `mismatches (shape [${want.shape}])`).toEqual([]);
}

/** Exact equality (for values every backend must produce exactly: movement ops, comparisons). */
export async function expectExact(got: Got, want: Nd): Promise<void> {
  await expectClose(got, want, { rtol: 0, atol: 0 });
}

/** A wgad tensor holding exactly the reference array's values, in the case's dtype. */
export function toTensor(a: Nd, dtype: 'float32' | 'float64'): Tensor {
  return tensor(dtype === 'float32' ? Float32Array.from(a.data) : Float64Array.from(a.data), { shape: a.shape, dtype });
}

/** Random input of `shape` in [lo, hi): the tensor and its reference twin. */
export function input(rng: Lcg, shape: number[], c: Pick<BackendCase, 'dtype'>, lo = -2, hi = 2): [Tensor, Nd] {
  const a = rng.array(shape, c.dtype, lo, hi);
  return [toTensor(a, c.dtype), a];
}

// ----- special functions (written independently of src/backend/cpu/special.ts) -----

/**
 * erf(x): |x| <= 2 by the alternating Maclaurin series 2/√π Σ (−1)^n x^(2n+1) / (n! (2n+1))
 * (cancellation costs under 60 ulp there); beyond, erfc by the even contraction of its continued
 * fraction, 2 e^(z²) ∫_z^∞ e^(−t²) dt = 2z / (2z² + 1 − 1·2 / (2z² + 5 − 3·4 / (2z² + 9 − ...))),
 * evaluated backwards from a fixed depth.
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const z = Math.abs(x);
  let r: number;
  if (z <= 2) {
    let sum = 0,
      power = z,
      fact = 1;
    for (let n = 0; n < 60; n++) {
      if (n > 0) {
        power *= z * z;
        fact *= n;
      }
      sum += ((n % 2 === 0 ? 1 : -1) * power) / (fact * (2 * n + 1));
    }
    r = (2 / Math.sqrt(Math.PI)) * sum;
  } else {
    const s = 2 * z * z;
    let tail = s + 4 * 120 + 1;
    for (let k = 120; k >= 1; k--) tail = s + 4 * (k - 1) + 1 - ((2 * k - 1) * (2 * k)) / tail;
    r = 1 - (Math.exp(-z * z) / Math.sqrt(Math.PI)) * ((2 * z) / tail);
  }
  return x < 0 ? -r : r;
}
