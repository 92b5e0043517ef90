// Central finite differences (float64 only) and numeric helpers for derivative tests: seeded host
// data in chosen domains, Jacobians by central differences, directional second derivatives by
// the four-point formula, and closeness assertions with element-level messages.

import { expect } from 'vitest';
import { type DType, type Tensor, tensor } from '../../src/index.js';

export type Fn = (...xs: Tensor[]) => Tensor;

/** Where test inputs are drawn from. */
export type Domain =
  | 'any' // uniform in [-2, 2)
  | 'pos' // uniform in [0.5, 2.5)
  | 'away0' // |x| in [0.4, 2), random sign
  | 'dyadic'; // multiples of 1/8 in [-2, 2], exact in float32

/** A small deterministic generator (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomData(n: number, seed: number, domain: Domain = 'any'): number[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => {
    const u = r();
    switch (domain) {
      case 'any':
        return 4 * u - 2;
      case 'pos':
        return 0.5 + 2 * u;
      case 'away0':
        return (r() < 0.5 ? -1 : 1) * (0.4 + 1.6 * u);
      case 'dyadic':
        return Math.round(32 * u - 16) / 8;
    }
  });
}

const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** A seeded random tensor of `shape` and `dtype` from `domain`. */
export function randomTensor(shape: number[], seed: number, dtype: DType = 'float64', domain: Domain = 'any'): Tensor {
  return tensor(randomData(sizeOf(shape), seed, domain), { shape, dtype });
}

export function fromHost(data: ArrayLike<number>, shape: readonly number[], dtype: DType = 'float64'): Tensor {
  return tensor(Array.from(data), { shape: shape.slice(), dtype });
}

export async function host(t: Tensor): Promise<number[]> {
  return Array.from(await t.data());
}

/**
 * Jacobians of `f` at `xs` by central differences: one matrix per input, row-major
 * [f(xs).size, xs[i].size]. Only meaningful in float64.
 */
export async function fdJacobian(f: Fn, xs: Tensor[], eps = 1e-6): Promise<{ rows: number; jac: number[][] }> {
  for (const x of xs) if (x.dtype !== 'float64') throw new Error('fdJacobian: float64 inputs only');
  const base = await Promise.all(xs.map(host));
  const evalAt = async (i: number, j: number, d: number): Promise<number[]> => {
    const args = xs.map((x, k) => {
      if (k !== i) return fromHost(base[k]!, x.shape);
      const v = base[k]!.slice();
      v[j]! += d;
      return fromHost(v, x.shape);
    });
    return host(f(...args));
  };
  const rows = f(...xs).size;
  const jac = xs.map((x) => new Array<number>(rows * x.size).fill(0));
  for (let i = 0; i < xs.length; i++) {
    const n = xs[i]!.size;
    for (let j = 0; j < n; j++) {
      const plus = await evalAt(i, j, eps);
      const minus = await evalAt(i, j, -eps);
      for (let r = 0; r < rows; r++) jac[i]![r * n + j] = (plus[r]! - minus[r]!) / (2 * eps);
    }
  }
  return { rows, jac };
}

/** Σ_i J_i v_i. */
export function jacVec(fd: { rows: number; jac: number[][] }, vs: number[][]): number[] {
  const out = new Array<number>(fd.rows).fill(0);
  fd.jac.forEach((J, i) => {
    const v = vs[i]!;
    for (let r = 0; r < fd.rows; r++) for (let c = 0; c < v.length; c++) out[r]! += J[r * v.length + c]! * v[c]!;
  });
  return out;
}

/** J_iᵀ u for each input i. */
export function jacTVec(fd: { rows: number; jac: number[][] }, u: number[]): number[][] {
  return fd.jac.map((J) => {
    const n = J.length / fd.rows || 0;
    const out = new Array<number>(n).fill(0);
    for (let r = 0; r < fd.rows; r++) for (let c = 0; c < n; c++) out[c]! += J[r * n + c]! * u[r]!;
    return out;
  });
}

/**
 * wᵀ (∇²L) v for a scalar L of the flat inputs, by the four-point central formula
 * [L(x+εv+εw) - L(x+εv-εw) - L(x-εv+εw) + L(x-εv-εw)] / 4ε².
 */
export async function fdSecond(L: Fn, xs: Tensor[], vs: number[][], ws: number[][], eps = 1e-4): Promise<number> {
  const base = await Promise.all(xs.map(host));
  const at = async (a: number, b: number): Promise<number> => {
    const args = xs.map((x, i) =>
      fromHost(
        base[i]!.map((v, j) => v + a * vs[i]![j]! + b * ws[i]![j]!),
        x.shape,
      ),
    );
    return (await host(L(...args)))[0]!;
  };
  const pp = await at(eps, eps),
    pm = await at(eps, -eps),
    mp = await at(-eps, eps),
    mm = await at(-eps, -eps);
  return (pp - pm - mp + mm) / (4 * eps * eps);
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** Σ |a_i b_i|: the scale of rounding error in dot(a, b). */
export function absDot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! * b[i]!);
  return s;
}

/** Asserts |actual - expected| <= atol + rtol·|expected| elementwise, naming the first failure. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, atol: number, what = 'value'): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!,
      e = expected[i]!;
    const ok = Math.abs(a - e) <= atol + rtol * Math.abs(e) || (Number.isNaN(a) && Number.isNaN(e));
    if (!ok) {
      expect.fail(
        `${what}[${i}]: got ${a}, expected ${e} (|diff| ${Math.abs(a - e)} > ${atol} + ${rtol}·|expected|)\nactual:   [${Array.from(actual).join(', ')}]\nexpected: [${Array.from(expected).join(', ')}]`,
      );
    }
  }
}

/** Asserts two scalars agree within atol + rtol·scale. */
export function expectScalarClose(actual: number, expected: number, rtol: number, atol: number, scale: number, what = 'value'): void {
  const tol = atol + rtol * Math.max(Math.abs(expected), scale);
  if (!(Math.abs(actual - expected) <= tol)) expect.fail(`${what}: got ${actual}, expected ${expected} (|diff| ${Math.abs(actual - expected)} > ${tol})`);
}
