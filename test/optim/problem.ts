// The problem the optimizer tests train on, built twice from the same numbers: as wgad tensors
// (a one-layer tanh network's parameters and data) and as the plain arrays of ./reference.ts.

import { type Tensor, tensor } from '../../src/index.js';
import type { BackendCase } from '../helpers/backends.js';
import { lcg } from '../webgpu/util.js';
import type { Problem } from './reference.js';

export type Params = { W: Tensor; b: Tensor };

/** The loss ./reference.ts differentiates by hand: mean((tanh(X W + b) − Y)²). */
export const loss = (p: Params, X: Tensor, Y: Tensor) => X.matmul(p.W).add(p.b).tanh().sub(Y).square().mean();

/** X [n, d], Y [n, o], params { W [d, o], b [o] } from seeds seed..seed+3; θ = [W, b] as the tensors hold them. */
export async function tanhProblem(c: BackendCase, n: number, d: number, o: number, seed: number) {
  const X = tensor(lcg(n * d, seed), { shape: [n, d], dtype: c.dtype });
  const Y = tensor(lcg(n * o, seed + 1, -0.8, 0.8), { shape: [n, o], dtype: c.dtype });
  const params: Params = { W: tensor(lcg(d * o, seed + 2), { shape: [d, o], dtype: c.dtype }), b: tensor(lcg(o, seed + 3, -0.2, 0.2), { dtype: c.dtype }) };
  // the reference starts from exactly the values the tensors hold (float32-rounded on float32 cases)
  const problem: Problem = { n, d, o, X: Array.from(await X.data()), Y: Array.from(await Y.data()) };
  const theta = [...(await params.W.data()), ...(await params.b.data())];
  return { X, Y, params, problem, theta };
}
