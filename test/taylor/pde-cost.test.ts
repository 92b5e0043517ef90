// pde(f, spec): vectors per datum of whole specs (shared directions and lower coefficients: fewer than the separate operators), one propagation per call, and the errors of bad specs.

import { expect, it, onTestFinished } from 'vitest';
import { ArgumentError, DTypeError, ShapeError, type Tensor, operatorCost, pde } from '../../src/index.js';
import type { Node } from '../../src/ir/node.js';
import { _setStackedChannels } from '../../src/internal.js';
import type { PdeSpec } from '../../src/index.js';
import { describeBackends } from '../helpers/backends.js';
import { kovasznay } from './pde-ref.js';
import { mlpField } from './pde-ref.js';
import { T, uniform } from './zoo.js';

describeBackends(
  'pde: vectors per datum of a whole spec',
  () => {
    const N = 4;
    const X3 = T(uniform(N * 3, 501, -1, 1), [N, 3]);
    const f3 = mlpField('tanh', 3, 6, 3, 502);
    const cost = (f: (X: Tensor) => Tensor, X: Tensor, terms: PdeSpec, method?: 'collapsed' | 'taylor' | 'nested' | 'auto') =>
      operatorCost('pde', f, X, { terms, method }).vectors!;
    const sumOf = (f: (X: Tensor) => Tensor, X: Tensor, terms: PdeSpec) => Object.entries(terms).reduce((s, [k, t]) => s + cost(f, X, { [k]: t }), 0);

    it('Navier–Stokes (u, v, p; all first derivatives; Δ): 2 + D collapsed, one propagation; the separate terms need 2D + 4', () => {
      const X = T(uniform(N * 2, 503, -0.5, 1), [N, 2]);
      const ns: PdeSpec = { q: 'value', dq: { grad: 'all' }, lap: { laplacian: 'all' } };
      expect(cost(kovasznay, X, ns)).toBe(2 + 2);
      expect(cost(kovasznay, X, ns, 'taylor')).toBe(1 + 2 * 2);
      expect(sumOf(kovasznay, X, ns)).toBe(1 + (1 + 2) + (2 + 2));
      // nested first-order AD: primal once, per component an adjoint and per direction a tangent and its adjoint
      expect(cost(kovasznay, X, ns, 'nested')).toBe(1 + 3 * (1 + 2 * 2));
    });

    it("method 'auto' carries the fewest vectors of the three methods and computes the same terms", async () => {
      const X = T(uniform(N * 2, 503, -0.5, 1), [N, 2]);
      const ns: PdeSpec = { q: 'value', dq: { grad: 'all' }, lap: { laplacian: 'all' } };
      const counts = (['collapsed', 'taylor', 'nested'] as const).map((m) => cost(kovasznay, X, ns, m));
      expect(cost(kovasznay, X, ns, 'auto')).toBe(Math.min(...counts));
      // the comparison is made once per input shape: a second call traces f as often as collapsed does
      let calls = 0;
      const counted = (Y: Tensor) => {
        calls++;
        return kovasznay(Y);
      };
      const auto = pde(counted, ns, { method: 'auto' });
      auto(X);
      calls = 0;
      auto(X);
      const second = calls;
      calls = 0;
      pde(counted, ns, { method: 'collapsed' })(X);
      expect(second).toBe(calls);
      const a = pde(kovasznay, ns, { method: 'auto' })(X);
      const n = pde(kovasznay, ns, { method: 'nested' })(X);
      for (const k of ['q', 'dq', 'lap'] as const) {
        const [x, y] = [await a[k]!.data(), await n[k]!.data()];
        x.forEach((v, i) => expect(Math.abs(v - y[i]!)).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(y[i]!))));
      }
    });

    it('heat-type spec (u_t, ∇u, Δ over space only): the time direction is shared by u_t and the gradient: 1 + D + 1', () => {
      const spec: PdeSpec = { u: 'value', ut: { partial: [1, 0, 0] }, du: { grad: 'all' }, lap: { laplacian: [1, 2] } };
      expect(cost(f3, X3, spec)).toBe(1 + 3 + 1);
      expect(cost(f3, X3, spec)).toBeLessThan(sumOf(f3, X3, spec));
    });

    it('several second-order terms with different weights: one collapsed top sum each, 1 + R + T', () => {
      // R = 3 coordinate directions; tops: Δ, ∂²_x, ∂²_y (Δ and ∂²_x share no weight vector)
      expect(cost(f3, X3, { lap: { laplacian: 'all' }, uxx: { partial: [2, 0, 0] }, uyy: { partial: [0, 2, 0] } })).toBe(1 + 3 + 3);
      // a read in the span of others reuses their sums: Δ = ∂²_x + ∂²_y + ∂²_z, T = 3 (D = 3) or 2 (D = 2)
      expect(cost(f3, X3, { uxx: { partial: [2, 0, 0] }, uyy: { partial: [0, 2, 0] }, uzz: { partial: [0, 0, 2] }, lap: { laplacian: 'all' } })).toBe(
        1 + 3 + 3,
      );
      const X2 = T(uniform(N * 2, 506, -1, 1), [N, 2]);
      const f2 = mlpField('sin', 2, 5, 2, 507);
      const three: PdeSpec = { uxx: { partial: [2, 0] }, lap: { laplacian: 'all' }, uyy: { partial: [0, 2] } };
      expect(cost(f2, X2, three)).toBe(1 + 2 + 2);
      expect(cost(f2, X2, three, 'taylor')).toBe(1 + 2 * 2);
      // equal weight vectors share a top sum: a Laplacian asked twice
      expect(cost(f3, X3, { a: { laplacian: [0, 1] }, b: { laplacian: [0, 1] } })).toBe(1 + 2 + 1);
      // u_xy by interpolation: directions e_x, e_x + e_y, e_y (2e_x and 2e_y are the rays of e_x and e_y)
      expect(cost(f3, X3, { uxy: { partial: [1, 1, 0] } })).toBe(1 + 3 + 1);
      // tr(A H), A indefinite with one off-diagonal pair: e_1, e_2, e_3 and e_1 + e_2
      const A = [
        [1, 2, 0],
        [2, -1, 0],
        [0, 0, 3],
      ];
      expect(cost(f3, X3, { tr: { trace: A }, du: { grad: 'all' } })).toBe(1 + 4 + 1);
    });

    it('first-order terms only: one batched jvp, 1 + D', () => {
      expect(cost(f3, X3, { du: { grad: 'all' }, div: { divergence: 'all' }, adv: { advection: [1, 2, 3] } })).toBe(1 + 3);
      expect(cost(f3, X3, { u: 'value' })).toBe(1);
    });

    it('biharmonic with Laplacian, gradient and u_xxyy: the 4e_i and 2e_i + 2e_j rays carry them, as many vectors as the biharmonic alone', () => {
      const alone = cost(f3, X3, { bih: { biharmonic: 'all' } });
      expect(alone).toBe(4.5 * 9 - 1.5 * 3 + 2);
      expect(operatorCost('biharmonic', mlpField('tanh', 3, 6, 1, 504), X3, { exact: 'interpolation' }).vectors).toBe(alone);
      const plate: PdeSpec = { u: 'value', du: { grad: 'all' }, lap: { laplacian: 'all' }, bih: { biharmonic: 'all' }, uxxyy: { partial: [2, 2, 0] } };
      // u_xxyy has its own weight vector: one more top sum
      expect(cost(f3, X3, plate)).toBe(alone + 1);
      expect(cost(f3, X3, plate)).toBeLessThan(sumOf(f3, X3, plate));
    });

    it('one propagation: the network runs its first-layer matmul once per call, whatever the number of terms', () => {
      const matmulCount = (ts: Tensor[]): number => {
        const seen = new Set<Node>();
        const stack = ts.map((t) => t.node);
        let count = 0;
        while (stack.length) {
          const n = stack.pop()!;
          if (seen.has(n)) continue;
          seen.add(n);
          if (n.op === 'matmul') count++;
          stack.push(...n.inputs);
        }
        return count;
      };
      const W1 = T(uniform(9, 505), [3, 3]);
      const g = (Y: Tensor) => Y.matmul(W1).tanh();
      const was = _setStackedChannels(false); // the counts below are those of one matmul per channel
      onTestFinished(() => void _setStackedChannels(was));
      const r = pde(g, {
        u: 'value',
        du: { grad: 'all' },
        lap: { laplacian: [1, 2] },
        uxy: { partial: [1, 1, 0] },
        tr: { trace: { factor: (Z: Tensor) => Z.reshape([N, 3, 1]) } },
      })(X3);
      // X W1 (the primal), the tangents W1ᵀ v_r of all directions together, and one matmul of the
      // [T, R] weights forming the three collapsed top sums (Δ over 2 coordinates, u_xy, the trace)
      expect(matmulCount(Object.values(r))).toBe(3);
      const terms: PdeSpec = { u: 'value', du: { grad: 'all' }, lap: { laplacian: [1, 2] }, uxy: { partial: [1, 1, 0] } };
      const separate = Object.entries(terms).map(([k, t]) => Object.values(pde(g, { [k]: t })(X3)));
      expect(matmulCount(separate.flat())).toBe(1 + 2 + 2 + 2);
    });
  },
  { float32: false },
);

describeBackends(
  'pde: errors',
  () => {
    const X = T(uniform(4 * 3, 511), [4, 3]);
    const f = (Y: Tensor) => Y.tanh();

    it('a spec that is not an object of terms, an unknown or doubled term kind, an estimator on a first-order term', () => {
      expect(() => pde(f, {} as never)).toThrow(/non-empty object of named terms/);
      expect(() => pde(f, { lap: { laplacan: 'all' } } as never)).toThrow(/term 'lap' must name exactly one of .*laplacian/);
      expect(() => pde(f, { lap: { laplacian: 'all', grad: 'all' } } as never)).toThrow(ArgumentError);
      expect(() => pde(f, { u: 'valu' } as never)).toThrow(/term 'u' must be 'value' or an object/);
      expect(() => pde(f, { g: { grad: 'all', estimator: { distribution: 'gaussian', samples: 2 } } } as never)).toThrow(
        /only laplacian, trace and biharmonic/,
      );
      expect(() => pde(f, { u: 'value' }, { method: 'exact' as never })).toThrow(/method must be/);
      expect(() => pde(3 as never, { u: 'value' })).toThrow(ArgumentError);
    });

    it('coordinates out of range or repeated; a multi-index of the wrong length; a divergence over the wrong number of components', () => {
      expect(() => pde(f, { g: { grad: [0, 3] } })(X)).toThrow(
        /term 'g': grad must be 'all' or a non-empty list of distinct coordinates in \[0, 3\), got \[0,3\]/,
      );
      expect(() => pde(f, { l: { laplacian: [1, 1] } })(X)).toThrow(ArgumentError);
      expect(() => pde(f, { p: { partial: [1, 1] } })(X)).toThrow(/multi-index of 3 non-negative integers/);
      expect(() => pde(f, { p: { partial: [1, -1, 0] } })(X)).toThrow(ArgumentError);
      expect(() => pde(f, { d: { divergence: [0, 1] } })(X)).toThrow(/divergence over 2 coordinates needs f: \[N, D\] -> \[N, 2\], got C = 3/);
    });

    it('coefficients: trace A not D × D, factor of the wrong shape or dtype, signs of the wrong length, advection of the wrong length', () => {
      expect(() =>
        pde(f, {
          t: {
            trace: [
              [1, 0],
              [0, 1],
            ],
          },
        })(X),
      ).toThrow(/must be 3 × 3 finite numbers/);
      expect(() => pde(f, { t: { trace: { factor: T(uniform(4, 1), [2, 2]) } } })(X)).toThrow(
        /trace.factor must have shape \[3, R\] or \[4, 3, R\], got \[2, 2\]/,
      );
      expect(() => pde(f, { t: { trace: { factor: T(uniform(6, 1), [3, 2], 'float32') } } })(X)).toThrow(DTypeError);
      expect(() => pde(f, { t: { trace: { factor: T(uniform(6, 1), [3, 2]), signs: [1] } } })(X)).toThrow(/signs must hold 2 finite numbers/);
      expect(() =>
        pde(f, { t: { trace: { factor: T(uniform(6, 1), [3, 2]), signs: [1, -1] }, estimator: { distribution: 'gaussian', samples: 2 } } })(X),
      ).toThrow(ArgumentError);
      expect(() =>
        pde(f, {
          t: {
            trace: [
              [1, 0, 0],
              [0, 1, 0],
              [0, 0, 1],
            ],
            estimator: { distribution: 'gaussian', samples: 2 },
          },
        } as never)(X),
      ).toThrow(/needs A = S Sᵀ/);
      expect(() => pde(f, { a: { advection: [1, 2] } })(X)).toThrow(ShapeError);
      expect(() => pde(f, { a: { advection: (Y: Tensor) => Y.sum(1) } })(X)).toThrow(/advection must have shape \[3\] or \[4, 3\], got \[4\]/);
      expect(() => pde(f, { b: { biharmonic: 'all', estimator: { distribution: 'rademacher', samples: 2 } } })(X)).toThrow(/needs distribution 'gaussian'/);
    });

    it('X not [N, D]; f not row-wise ([N, C]) ', () => {
      expect(() => pde(f, { u: 'value' })(T([1, 2], [2]))).toThrow(/X must be 2-D/);
      for (const method of ['collapsed', 'taylor', 'nested'] as const) {
        expect(() => pde((Y: Tensor) => Y.reshape([4, 3, 1]), { u: 'value' }, { method })(X)).toThrow(
          /f must map X \[4, D\] to \[4\] or \[4, C\].*got \[4, 3, 1\]/,
        );
        expect(() => pde((Y: Tensor) => Y.sum(0), { l: { laplacian: 'all' } }, { method })(X)).toThrow(ShapeError);
      }
    });
  },
  { float32: false },
);
