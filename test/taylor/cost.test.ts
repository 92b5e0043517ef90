// Machine-independent cost: vectors propagated per datum, counted by the transformations, against taylor.md's table; known zeros never materialized; one matmul per layer for all directions.

import { expect, it } from 'vitest';
import { type Tensor, operatorCost, laplacian } from '../../src/index.js';
import type { Node } from '../../src/ir/node.js';
import { _setStackedChannels } from '../../src/internal.js';
import { describeBackends } from '../helpers/backends.js';
import { T, mlp, uniform } from './zoo.js';

describeBackends(
  'vectors per datum (taylor.md)',
  () => {
    const N = 4,
      D = 5,
      H = 7;
    const X = T(uniform(N * D, 91, -1, 1), [N, D]);
    const f = mlp('tanh', D, H, 92);
    const cost = (op: 'laplacian' | 'biharmonic', opts: object) => operatorCost(op, f, X, opts).vectors;

    it('exact Laplacian: collapsed 2 + D, standard 1 + 2D, nested 2 + 2D', () => {
      expect(cost('laplacian', { method: 'collapsed' })).toBe(2 + D);
      expect(cost('laplacian', { method: 'taylor' })).toBe(1 + 2 * D);
      expect(cost('laplacian', { method: 'nested' })).toBe(2 + 2 * D);
    });

    it('weighted Laplacian of rank R: collapsed 2 + R, standard 1 + 2R', () => {
      for (const R of [1, 3, 8]) {
        const V = T(uniform(D * R, 93), [D, R]);
        expect(cost('laplacian', { method: 'collapsed', weighting: V })).toBe(2 + R);
        expect(cost('laplacian', { method: 'taylor', weighting: V })).toBe(1 + 2 * R);
      }
    });

    it('randomized, per sample: Laplacian 1 (collapsed) vs 2 (standard); biharmonic 3 vs 4', () => {
      const per = (op: 'laplacian' | 'biharmonic', method: string) => {
        const at = (S: number) => cost(op, { method, estimator: { distribution: 'gaussian', samples: S, seed: 1 } })!;
        return [at(5) - at(4), at(9) - at(8)];
      };
      expect(per('laplacian', 'collapsed')).toEqual([1, 1]);
      expect(per('laplacian', 'taylor')).toEqual([2, 2]);
      expect(per('biharmonic', 'collapsed')).toEqual([3, 3]);
      expect(per('biharmonic', 'taylor')).toEqual([4, 4]);
    });

    it('exact biharmonic by interpolation: standard 6D² − 2D + 1; collapsed 4.5D² − 1.5D + 2 (one weighted top sum)', () => {
      for (const d of [2, 3, 5]) {
        const Xd = T(uniform(3 * d, 94 + d), [3, d]);
        const g = mlp('tanh', d, 6, 95);
        expect(operatorCost('biharmonic', g, Xd, { method: 'taylor', exact: 'interpolation' }).vectors).toBe(6 * d * d - 2 * d + 1);
        // taylor.md counts 4.5D² − 1.5D + 4: three top sums, one per coefficient c1, c2, c3; the
        // weighted sum Σ_r w_r Z4,r needs only one, so two vectors fewer
        expect(operatorCost('biharmonic', g, Xd, { method: 'collapsed', exact: 'interpolation' }).vectors).toBe(4.5 * d * d - 1.5 * d + 2);
      }
    });

    it('exact biharmonic by nested Laplacians: (2 + D)² collapsed, (1 + 2D)² standard', () => {
      expect(cost('biharmonic', { method: 'collapsed', exact: 'nested-laplacian' })).toBe((2 + D) ** 2);
      expect(cost('biharmonic', { method: 'taylor', exact: 'nested-laplacian' })).toBe((1 + 2 * D) ** 2);
    });

    it('known zeros are never materialized: a function linear in X carries no second coefficient', () => {
      const w = T(uniform(D, 96), [D]);
      const lin = (Y: Tensor) => Y.matmul(w).add(1);
      expect(operatorCost('laplacian', lin, X, { method: 'collapsed' }).vectors).toBe(1 + D);
      expect(operatorCost('laplacian', lin, X, { method: 'taylor' }).vectors).toBe(1 + D);
    });
  },
  { float32: false },
);

/** Matmul nodes in the graph below `t`. */
function matmuls(t: Tensor): Node[] {
  const seen = new Set<Node>();
  const out: Node[] = [];
  const stack = [t.node];
  while (stack.length) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    if (n.op === 'matmul') out.push(n);
    stack.push(...n.inputs);
  }
  return out;
}

describeBackends(
  'one batched graph for all directions',
  () => {
    it('each layer sends its D tangent channels through one matmul; before the first nonlinearity no work per datum', () => {
      const N = 6,
        D = 5,
        H = 7;
      const X = T(uniform(N * D, 97), [N, D]);
      const f = mlp('tanh', D, H, 98);
      const rows = (t: Tensor) =>
        matmuls(t)
          .map((m) => m.shape.slice(0, -1).reduce((a, b) => a * b, 1))
          .sort((a, b) => a - b);
      const was = _setStackedChannels(false);
      try {
        // primal: 2 hidden layers of N rows (the output layer's value is not needed: only its
        // coefficient is); first layer's tangents W1ᵀ e_r: D rows, no N (data-independent); hidden
        // layer: ONE matmul of D·N rows; the summed top coefficient: N rows in each later layer
        expect(rows(laplacian(f, { method: 'collapsed' })(X))).toEqual([D, N, N, N, N, D * N]);
        // standard Taylor: Z1 and Z2 per direction through the hidden layer, Z2 through the output layer
        expect(rows(laplacian(f, { method: 'taylor' })(X))).toEqual([D, N, N, D * N, D * N, D * N]);
        // stacked channels (docs/taylor.md): the same rows, one matmul per layer: the first layer's
        // data and directions (N + D), the hidden layer's value, D tangents and top ((D + 2)·N),
        // the output layer's top (N)
        _setStackedChannels(true);
        expect(rows(laplacian(f, { method: 'collapsed' })(X))).toEqual([N, N + D, (D + 2) * N]);
      } finally {
        _setStackedChannels(was);
      }
    });
  },
  { float32: false },
);
