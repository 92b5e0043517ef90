// Independent references for the PDE operator tests: per-row derivative tensors of f: [N, D] -> [N, C] by nested first-order AD (jacobian of jacobian ...), the terms computed from them in plain JS, vector-valued MLPs, and the Kovasznay flow in closed form.

import { type DType, type Tensor, jacobian, stack } from '../../src/index.js';
import { T, col, uniform } from './zoo.js';

export type FieldFn = (X: Tensor) => Tensor;

/** act(act(X W1 + b1) W2 + b2) W3 + b3 with C outputs ([N, C]). */
export function mlpField(act: 'tanh' | 'sin' | 'softplus', D: number, H: number, C: number, seed: number, dtype: DType = 'float64'): FieldFn {
  const s = 1.2;
  const W1 = T(uniform(D * H, seed, -s / Math.sqrt(D), s / Math.sqrt(D)), [D, H], dtype);
  const b1 = T(uniform(H, seed + 1, -0.5, 0.5), [H], dtype);
  const W2 = T(uniform(H * H, seed + 2, -s / Math.sqrt(H), s / Math.sqrt(H)), [H, H], dtype);
  const b2 = T(uniform(H, seed + 3, -0.5, 0.5), [H], dtype);
  const W3 = T(uniform(H * C, seed + 4, -1, 1), [H, C], dtype);
  const a = (x: Tensor): Tensor => x[act]();
  return (X) =>
    a(a(X.matmul(W1).add(b1)).matmul(W2).add(b2))
      .matmul(W3)
      .add(0.3);
}

/** A non-MLP field of X [N, 3]: [sin(x0) x1², exp(x0/2 − x2) cos(x1), x0 x1 x2 + x0³ / (1 + x2²)]. */
export const productField: FieldFn = (X) => {
  const [x0, x1, x2] = [col(X, 0), col(X, 1), col(X, 2)];
  return stack(
    [
      x0.sin().mul(x1.square()),
      x0.mul(0.5).sub(x2).exp().mul(x1.cos()),
      x0
        .mul(x1)
        .mul(x2)
        .add(x0.pow(3).div(x2.square().add(1))),
    ],
    1,
  );
};

/** Per-row derivative tensors of f at every row: d[k][n] is ∂^k f(x_n) as nested arrays [C][D]...[D] (C = 1 for an [N] output). */
export async function derivativeTensors(f: FieldFn, X: Tensor, order: number): Promise<unknown[][]> {
  const [N, D] = X.shape as [number, number];
  const xs = await X.data();
  const out: unknown[][] = Array.from({ length: order + 1 }, () => []);
  for (let n = 0; n < N; n++) {
    const x = T(xs.slice(n * D, (n + 1) * D), [D], X.dtype);
    const row = (y: Tensor): Tensor => {
      const v = f(y.reshape([1, D]));
      return v.reshape([v.size]);
    };
    let g: (y: Tensor) => Tensor = row;
    for (let k = 0; k <= order; k++) {
      out[k]!.push(await g(x).array());
      const prev = g;
      if (k < order) g = (y: Tensor) => jacobian(prev)(y) as Tensor;
    }
  }
  return out;
}

/** Entry of a nested array at the given indices. */
export function at(a: unknown, idx: readonly number[]): number {
  let v = a;
  for (const i of idx) v = (v as unknown[])[i];
  return v as number;
}

/** ∂^i f_c from the derivative tensors of one row: the entry at (c, coordinate m repeated i_m times). */
export function partialOf(tensors: readonly unknown[], c: number, i: readonly number[]): number {
  const idx = i.flatMap((a, m) => new Array<number>(a).fill(m));
  return at(tensors[idx.length], [c, ...idx]);
}

/** Kovasznay flow at Reynolds number 20: the exact (u, v, p) of steady Navier–Stokes, and its derivatives. */
export const NU = 1 / 20;
export const LAMBDA = 1 / (2 * NU) - Math.sqrt(1 / (4 * NU * NU) + 4 * Math.PI * Math.PI);

export const kovasznay: FieldFn = (X) => {
  const x = col(X, 0),
    y = col(X, 1);
  const e = x.mul(LAMBDA).exp();
  const ty = y.mul(2 * Math.PI);
  const u = e.mul(ty.cos()).neg().add(1);
  const v = e.mul(ty.sin()).mul(LAMBDA / (2 * Math.PI));
  const p = x
    .mul(2 * LAMBDA)
    .exp()
    .neg()
    .add(1)
    .mul(0.5);
  return stack([u, v, p], 1);
};

/** The closed forms: value, gradients [c][d] and Laplacians [c] of (u, v, p) at (x, y). */
export function kovasznayExact(x: number, y: number): { value: number[]; grad: number[][]; lap: number[] } {
  const L = LAMBDA,
    k = 2 * Math.PI;
  const e = Math.exp(L * x),
    c = Math.cos(k * y),
    s = Math.sin(k * y);
  return {
    value: [1 - e * c, (L / k) * e * s, 0.5 * (1 - Math.exp(2 * L * x))],
    grad: [
      [-L * e * c, k * e * s],
      [((L * L) / k) * e * s, L * e * c],
      [-L * Math.exp(2 * L * x), 0],
    ],
    lap: [(k * k - L * L) * e * c, (L / k) * (L * L - k * k) * e * s, -2 * L * L * Math.exp(2 * L * x)],
  };
}
