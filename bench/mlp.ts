// The benchmark network of the README and docs: a tanh MLP with deterministic weights and points
// (a 32-bit LCG), the same as the peers' measurements use.

import { type DType, type Tensor, tensor } from '../src/index.js';

/** The 32-bit LCG: s_{k+1} = (1664525 s_k + 1013904223) mod 2^32, value = fround((2 s/2^32 − 1) scale). */
export function lcg(seed: number): (n: number, scale: number) => Float64Array {
  let s = seed >>> 0;
  return (n, scale) =>
    Float64Array.from({ length: n }, () => {
      s = (Math.imul(1664525, s) + 1013904223) >>> 0;
      return Math.fround((2 * (s / 4294967296) - 1) * scale);
    });
}

/** f(x) = W3 tanh(W2 tanh(W1 x + b1) + b2) + b3, D = 16, widths 64, N = 256 points. */
export function benchmarkMlp(dtype: DType, D = 16, H = 64, N = 256): { f: (X: Tensor) => Tensor; X: Tensor } {
  const draw = lcg(20240607);
  const t = (a: Float64Array, shape: number[]): Tensor => tensor(a, { dtype, shape });
  const W1t = t(draw(H * D, 1.5 / Math.sqrt(D)), [H, D]).transpose();
  const b1 = t(draw(H, 0.5), [H]);
  const W2t = t(draw(H * H, 1.5 / Math.sqrt(H)), [H, H]).transpose();
  const b2 = t(draw(H, 0.5), [H]);
  const W3 = t(draw(H, 1 / Math.sqrt(H)), [H]);
  const b3 = t(draw(1, 0.5), []);
  const X = t(draw(N * D, 1.0), [N, D]);
  const f = (x: Tensor): Tensor => x.matmul(W1t).add(b1).tanh().matmul(W2t).add(b2).tanh().matmul(W3).add(b3);
  return { f, X };
}
