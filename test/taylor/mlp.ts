// Test fixtures: the benchmark tanh MLP of platform.md (32-bit LCG weights) and small MLPs / functions with other activations.

import { type DType, type Tensor, tensor } from '../../src/index.js';

/** platform.md's LCG: s_{k+1} = (1664525 s_k + 1013904223) mod 2^32, u = s / 2^32, value = fround((2u − 1) scale). */
export class Lcg {
  private s: number;
  constructor(seed = 20240607) {
    this.s = seed >>> 0;
  }
  next(scale: number): number {
    this.s = (Math.imul(1664525, this.s) + 1013904223) >>> 0;
    return Math.fround((2 * (this.s / 4294967296) - 1) * scale);
  }
  array(n: number, scale: number): Float64Array {
    return Float64Array.from({ length: n }, () => this.next(scale));
  }
}

export interface PlatformMlp {
  W1: Float64Array;
  b1: Float64Array;
  W2: Float64Array;
  b2: Float64Array;
  W3: Float64Array;
  b3: number;
  X: Float64Array;
  D: number;
  H: number;
  N: number;
}

/** Weights and points in platform.md's draw order: W1 [64×16], b1, W2 [64×64], b2, W3 [64], b3, X [256×16]. */
export function platformData(): PlatformMlp {
  const D = 16,
    H = 64,
    N = 256;
  const g = new Lcg();
  const W1 = g.array(H * D, 1.5 / Math.sqrt(D));
  const b1 = g.array(H, 0.5);
  const W2 = g.array(H * H, 1.5 / Math.sqrt(H));
  const b2 = g.array(H, 0.5);
  const W3 = g.array(H, 1 / Math.sqrt(H));
  const b3 = g.next(0.5);
  const X = g.array(N * D, 1.0);
  return { W1, b1, W2, b2, W3, b3, X, D, H, N };
}

/** f(x) = W3 tanh(W2 tanh(W1 x + b1) + b2) + b3 on rows: X [N, 16] -> [N]. */
export function platformMlp(p: PlatformMlp, dtype: DType): { f: (X: Tensor) => Tensor; X: Tensor } {
  const t = (a: Float64Array, shape: number[]) => tensor(a, { dtype, shape });
  const W1t = t(p.W1, [p.H, p.D]).transpose();
  const W2t = t(p.W2, [p.H, p.H]).transpose();
  const b1 = t(p.b1, [p.H]),
    b2 = t(p.b2, [p.H]),
    W3 = t(p.W3, [p.H]);
  const b3 = tensor(p.b3, { dtype });
  const f = (X: Tensor): Tensor => X.matmul(W1t).add(b1).tanh().matmul(W2t).add(b2).tanh().matmul(W3).add(b3);
  return { f, X: t(p.X, [p.N, p.D]) };
}
