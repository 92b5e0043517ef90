// Test functions for the Taylor suites (row-wise MLPs with several activations, non-MLP functions) and independent references from first-order AD (hessian) and closed forms.

import { expect } from 'vitest';
import { type DType, type Tensor, concat, hessian, jvp, logsumexp, maximum, tensor, where } from '../../src/index.js';
import { rng } from '../helpers/finiteDiff.js';

export type RowFn = (X: Tensor) => Tensor;

/** Seeded host data uniform in [lo, hi). */
export function uniform(n: number, seed: number, lo = -1, hi = 1): Float64Array {
  const r = rng(seed);
  return Float64Array.from({ length: n }, () => lo + (hi - lo) * r());
}

export function T(data: ArrayLike<number>, shape: number[], dtype: DType = 'float64'): Tensor {
  return tensor(Float64Array.from(data), { shape, dtype });
}

export type Act = 'tanh' | 'sin' | 'sigmoid' | 'softplus';

/** act(act(X W1 + b1) W2 + b2) w3 + b3, widths `H`, weights seeded. */
export function mlp(act: Act, D: number, H: number, seed: number, dtype: DType = 'float64'): RowFn {
  const s = 1.2;
  const W1 = T(uniform(D * H, seed, -s / Math.sqrt(D), s / Math.sqrt(D)), [D, H], dtype);
  const b1 = T(uniform(H, seed + 1, -0.5, 0.5), [H], dtype);
  const W2 = T(uniform(H * H, seed + 2, -s / Math.sqrt(H), s / Math.sqrt(H)), [H, H], dtype);
  const b2 = T(uniform(H, seed + 3, -0.5, 0.5), [H], dtype);
  const w3 = T(uniform(H, seed + 4, -1, 1), [H], dtype);
  const a = (x: Tensor): Tensor => x[act]();
  return (X) =>
    a(a(X.matmul(W1).add(b1)).matmul(W2).add(b2))
      .matmul(w3)
      .add(0.3);
}

/** Column j of X as [N]. */
export const col = (X: Tensor, j: number): Tensor => X.slice([0, j], [X.shape[0]!, j + 1]).reshape([X.shape[0]!]);

/** Non-MLP row-wise functions of X [N, 3] (domains: entries in [-1, 1]). */
export const FUNCTIONS: Record<string, RowFn> = {
  products: (X) =>
    col(X, 0)
      .mul(col(X, 1))
      .mul(col(X, 2))
      .add(X.mul(X).sum(1).mul(col(X, 0)).mul(col(X, 1))),
  'exp/log': (X) =>
    col(X, 0)
      .mul(col(X, 1))
      .exp()
      .add(1)
      .log()
      .add(X.sum(1).mul(0.5).exp())
      .add(X.mul(X).sum(1).add(1).log().mul(col(X, 2))),
  division: (X) =>
    col(X, 0)
      .div(col(X, 1).mul(col(X, 1)).add(1))
      .add(X.sum(1).div(col(X, 2).cos().add(2))),
  'pow/sqrt': (X) =>
    X.mul(X)
      .sum(1)
      .add(1)
      .pow(1.5)
      .add(X.mul(X).sum(1).add(0.5).sqrt().mul(col(X, 1)))
      .add(col(X, 0).add(2).pow(-2)),
  'batched matmul': (X) => {
    const [N, D] = X.shape as [number, number];
    const outer = X.reshape([N, D, 1]).matmul(X.reshape([N, 1, D])); // both operands depend on X
    const M = T(uniform(D * D, 7), [D, D]).astype(X.dtype);
    return outer
      .matmul(M.broadcastTo([N, D, D]))
      .tanh()
      .sum([1, 2]);
  },
  'logsumexp/softmax': (X) => logsumexp(X.mul(1.5), 1).add(X.exp().div(X.exp().sum(1, true)).mul(X).sum(1)),
  'movement/maximum/where': (X) => {
    const [N, D] = X.shape as [number, number];
    const y = concat([X.slice([0, 1]), X.slice([0, 0], [N, 1])], 1).mul(X); // roll then multiply
    const p = y
      .transpose()
      .reshape([D, N, 1])
      .pad([
        [0, 0],
        [0, 0],
        [1, 0],
      ])
      .sum(2)
      .transpose()
      .tanh();
    const branch = where(col(X, 0).greater(0), col(X, 1).sin().mul(col(X, 2)), col(X, 0).mul(col(X, 0)).mul(col(X, 1)));
    return maximum(p.sum(1), col(X, 0).mul(col(X, 1)).exp()).add(branch);
  },
};

FUNCTIONS['broadcast/reduce'] = (X) => {
  const [N, D] = X.shape as [number, number];
  const B = X.reshape([N, D, 1]).broadcastTo([N, D, 4]); // coefficients stay [.., 1] along the broadcast axis
  const w = T([0.5, -1, 1.5, 2], [4]).astype(X.dtype);
  return B.sum(2)
    .square()
    .sum(1)
    .add(B.mul(w).tanh().max(2).sum(1))
    .add(B.max(2).sin().mean(1))
    .add(B.mul(w).sum([1, 2]).exp());
};

/** Per-row Hessians of a row-wise f by the first-order AD engine (hessian = forward over reverse). */
export async function rowHessians(f: RowFn, X: Tensor): Promise<number[][][]> {
  const [N, D] = X.shape as [number, number];
  const xs = await X.data();
  const out: number[][][] = [];
  for (let n = 0; n < N; n++) {
    const x = T(xs.slice(n * D, (n + 1) * D), [D]);
    const H = (await hessian((y: Tensor) => f(y.reshape([1, D])).sum())(x).array()) as number[][];
    out.push(H);
  }
  return out;
}

export const trace = (H: number[][]): number => H.reduce((s, row, i) => s + row[i]!, 0);

/** tr(Vᵀ H V) for V given row-major [D, R]. */
export function weightedTrace(H: number[][], V: ArrayLike<number>, R: number): number {
  const D = H.length;
  let s = 0;
  for (let r = 0; r < R; r++) for (let a = 0; a < D; a++) for (let b = 0; b < D; b++) s += V[a * R + r]! * H[a]![b]! * V[b * R + r]!;
  return s;
}

/** |a_i − b_i| <= rtol (|b_i| + atol/rtol) elementwise, with a message naming the element. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, atol = 0, what = ''): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!,
      b = expected[i]!;
    const ok = Math.abs(a - b) <= rtol * Math.abs(b) + atol;
    if (!ok) expect.fail(`${what}[${i}]: got ${a}, expected ${b} (rel. error ${(Math.abs(a - b) / Math.abs(b)).toExponential(2)}, rtol ${rtol}, atol ${atol})`);
  }
}

const fact = (k: number): number => (k <= 1 ? 1 : k * fact(k - 1));

/**
 * The K derivative coefficients of t ↦ f(x(t)), x(t) = x0 + Σ_k X_k t^k / k!, at t = 0 by K nested
 * first-order jvps with respect to the scalar t (the first-order AD engine, not Taylor mode).
 */
export async function nestedJvpCoefficients(f: (...xs: Tensor[]) => Tensor, primals: Tensor[], series: Tensor[][], K: number): Promise<number[][]> {
  const dtype = primals[0]!.dtype;
  const curve = (t: Tensor): Tensor => {
    const xs = primals.map((x0, i) => {
      let x = x0;
      series[i]!.forEach((Xk, k) => {
        x = x.add(Xk.mul(t.pow(k + 1).mul(1 / fact(k + 1))));
      });
      return x;
    });
    return f(...xs);
  };
  const out: number[][] = [];
  let g: (t: Tensor) => Tensor = curve;
  const t0 = tensor(0, { dtype });
  const one = tensor(1, { dtype });
  for (let k = 1; k <= K; k++) {
    const prev = g;
    g = (t: Tensor) => jvp(prev, [t], [one])[1] as Tensor;
    out.push(Array.from(await g(t0).data()));
  }
  return out;
}
