// Full Jacobians and Hessians as one batched walk (vmap over the basis vectors): the number of
// kernels they dispatch is small and does not grow with the size; columns agree with jvp, rows with
// vjp, Hessian columns with hvp; chunkSize splits the batch without changing the result.

import { expect, it } from 'vitest';
import { ArgumentError, type DType, type Tensor, hessian, hvp, jacfwd, jacobian, jacrev, jvp, profile, randn, tensor, vjp } from '../../src/index.js';
import { describeBackends } from '../helpers/backends.js';
import { values } from '../helpers/batch.js';
import { expectErr } from '../helpers/errors.js';
import { expectClose } from '../helpers/finiteDiff.js';

/** A tanh MLP Rⁿ → Rⁿ (n → 32 → n) with fixed weights. */
function mlp(n: number, dtype: DType) {
  const W1 = randn([n, 32], { seed: 1, dtype }).mul(1 / Math.sqrt(n));
  const W2 = randn([32, n], { seed: 2, dtype }).mul(1 / Math.sqrt(32));
  const b1 = randn([32], { seed: 3, dtype }).mul(0.1);
  return (x: Tensor) => x.matmul(W1).add(b1).tanh().matmul(W2).tanh();
}

const tensorOf = (data: number[], dtype: DType) => tensor(data, { dtype });

async function kernelsOf(fn: () => Tensor): Promise<{ kernels: number; value: Float32Array | Float64Array }> {
  const p = await profile(() => fn().data());
  return { kernels: p.kernels, value: p.result };
}

describeBackends('Jacobians and Hessians in one plan', (bc) => {
  it('a 128×128 jacobian of an MLP dispatches as many kernels as a 16×16 one, and few', async () => {
    const counts: number[] = [];
    for (const n of [16, 128]) {
      const f = mlp(n, bc.dtype);
      const x = randn([n], { seed: 4, dtype: bc.dtype });
      const { kernels, value } = await kernelsOf(() => jacobian(f)(x));
      counts.push(kernels);
      // columns by jvp, rows by vjp (independent of the batched walk)
      for (const j of [0, n - 1, Math.floor(n / 3)]) {
        const col = await values(jvp(f, [x], [tensorOf(onehot(n, j), bc.dtype)])[1]);
        expectClose(
          Array.from({ length: n }, (_, i) => value[i * n + j]!),
          col,
          bc.rtol,
          bc.atol,
          `column ${j}`,
        );
        const rowv = await values(vjp(f, x)[1](tensorOf(onehot(n, j), bc.dtype))[0]);
        expectClose(value.slice(j * n, (j + 1) * n), rowv, bc.rtol, bc.atol, `row ${j}`);
      }
    }
    expect(counts[1]).toBe(counts[0]);
    expect(counts[1]).toBeLessThanOrEqual(10);
  });

  it('a 64×64 hessian of an MLP dispatches as many kernels as a 16×16 one, and few', async () => {
    const counts: number[] = [];
    for (const n of [16, 64]) {
      const g = mlp(n, bc.dtype);
      const f = (x: Tensor) => g(x).square().sum();
      const x = randn([n], { seed: 5, dtype: bc.dtype });
      const { kernels, value } = await kernelsOf(() => hessian(f)(x));
      counts.push(kernels);
      for (const j of [0, n - 1, Math.floor(n / 2)]) {
        const col = await values(hvp(f, x, tensorOf(onehot(n, j), bc.dtype)));
        expectClose(
          Array.from({ length: n }, (_, i) => value[i * n + j]!),
          col,
          bc.rtol,
          bc.atol,
          `Hessian column ${j}`,
        );
      }
    }
    expect(counts[1]).toBe(counts[0]);
    expect(counts[1]).toBeLessThanOrEqual(16);
  });

  it('chunkSize splits the basis without changing the result', async () => {
    const n = 20;
    const f = mlp(n, bc.dtype);
    const x = randn([n], { seed: 6, dtype: bc.dtype });
    const whole = await values(jacfwd(f)(x));
    for (const chunkSize of [3, 7, 20, 64]) {
      expectClose(await values(jacfwd(f, { chunkSize })(x)), whole, bc.rtol, bc.atol, `jacfwd chunkSize ${chunkSize}`);
      expectClose(await values(jacrev(f, { chunkSize })(x)), whole, bc.rtol, bc.atol, `jacrev chunkSize ${chunkSize}`);
    }
    const s = (y: Tensor) => f(y).sum();
    expectClose(await values(hessian(s, { chunkSize: 6 })(x)), await values(hessian(s)(x)), bc.rtol, bc.atol, 'hessian chunkSize 6');
    for (const bad of [0, 2.5, -1]) expectErr(() => jacobian(f, { chunkSize: bad })(x), ArgumentError, 'jacobian: chunkSize must be a positive integer');
  });
});

function onehot(n: number, j: number): number[] {
  const d = new Array<number>(n).fill(0);
  d[j] = 1;
  return d;
}
