// pde(f, spec, { method: 'auto' }): the method chosen per term and the vectors per datum (derived by hand from the counts of ../shared/reference/taylor.md), on the CPU and on WebGPU; the cost model against the counted propagations; 'auto''s values against nested first-order AD.

import { expect, it } from 'vitest';
import { ArgumentError, type PdeSpec, type Tensor, operatorCost, pde } from '../../src/index.js';
import { compileSpec } from '../../src/ad/pde-plan.js';
import { planVectors } from '../../src/ad/pde-auto.js';
import { runAssigned } from '../../src/ad/pde.js';
import { describeBackends } from '../helpers/backends.js';
import { type FieldFn, at, derivativeTensors, kovasznay, mlpField } from './pde-ref.js';
import { T, expectClose, uniform } from './zoo.js';

type Method = 'collapsed' | 'taylor' | 'nested';
const N = 3;
const cost = (f: FieldFn, X: Tensor, terms: PdeSpec, method: Method | 'auto', backend?: 'cpu' | 'webgpu') =>
  operatorCost('pde', f, X, { terms, method, backend });
const same = (spec: PdeSpec, m: Method) => Object.fromEntries(Object.keys(spec).map((k) => [k, m]));

// S1, D = 8, C = 1: ∇u (all 8 coordinates) and a Laplacian over 4 of them.
//   collapsed: R = 8 (the Laplacian's e_i are the gradient's), K = 2, T = 1: 1 + R + T = 10
//   standard Taylor: 1 + 2R = 17;  nested: 1 + C (1 + 2 R₂) = 1 + 1 (1 + 8) = 10
//   per term: ∇u nested (one adjoint: 1 + C = 2) + Δ collapsed over its 4 directions (1 + 4 + 1 = 6) = 8
//   WebGPU (4 vectors per propagation): split 8 + 2·4 = 16 > one collapsed propagation 10 + 4 = 14
const D1 = 8;
const S1: PdeSpec = { du: { grad: 'all' }, lap: { laplacian: [0, 1, 2, 3] } };
const S1_SPLIT = { du: 'nested', lap: 'collapsed' };
// S2, D = 16, C = 2: the value, ∇u and a Laplacian over 3 coordinates.
//   collapsed: 1 + 16 + 1 = 18;  standard Taylor: 1 + 32 = 33;  nested: 1 + 2 (1 + 6) = 15
//   per term: ∇u nested (1 + C = 3) + value and Δ collapsed (1 + 3 + 1 = 5) = 8: on WebGPU too, 8 + 8 = 16 < 15 + 4
const D2 = 16;
const S2: PdeSpec = { u: 'value', du: { grad: 'all' }, lap: { laplacian: [0, 1, 2] } };
const S2_SPLIT = { u: 'collapsed', du: 'nested', lap: 'collapsed' };

describeBackends(
  "pde method 'auto': the method per term and the vectors per datum",
  () => {
    const X1 = T(uniform(N * D1, 601, -1, 1), [N, D1]);
    const f1 = mlpField('tanh', D1, 6, 1, 602);
    const X2 = T(uniform(N * D2, 603, -1, 1), [N, D2]);
    const f2 = mlpField('sin', D2, 5, 2, 604);

    it('S1 (∇u, Δ over 4 of 8 coordinates): on the CPU ∇u by nested AD and Δ collapsed, 8 vectors, fewer than any one method (10, 17, 10); on WebGPU one collapsed propagation', () => {
      expect([cost(f1, X1, S1, 'collapsed').vectors, cost(f1, X1, S1, 'taylor').vectors, cost(f1, X1, S1, 'nested').vectors]).toEqual([10, 17, 10]);
      expect(cost(f1, X1, S1, 'auto', 'cpu')).toEqual({ vectors: 2 + 6, methods: S1_SPLIT, passes: 2 });
      expect(cost(f1, X1, S1, 'auto', 'webgpu')).toEqual({ vectors: 10, methods: same(S1, 'collapsed'), passes: 1 });
    });

    it('S2 (u, ∇u, Δ over 3 of 16 coordinates, C = 2): split on both backends, 3 + 5 vectors (one method: 18, 33, 15)', () => {
      expect([cost(f2, X2, S2, 'collapsed').vectors, cost(f2, X2, S2, 'taylor').vectors, cost(f2, X2, S2, 'nested').vectors]).toEqual([18, 33, 15]);
      for (const backend of ['cpu', 'webgpu'] as const) expect(cost(f2, X2, S2, 'auto', backend)).toEqual({ vectors: 3 + 5, methods: S2_SPLIT, passes: 2 });
    });

    it('Navier–Stokes (value, ∇, Δ; D = 2, C = 3): one collapsed propagation (4; split would be 1 + C for ∇ plus 4)', () => {
      const X = T(uniform(N * 2, 605, -0.5, 1), [N, 2]);
      const ns: PdeSpec = { q: 'value', dq: { grad: 'all' }, lap: { laplacian: 'all' } };
      for (const backend of ['cpu', 'webgpu'] as const)
        expect(cost(kovasznay, X, ns, 'auto', backend)).toEqual({ vectors: 4, methods: same(ns, 'collapsed'), passes: 1 });
    });

    it('an exact biharmonic (D = 3) as the Laplacian of the Laplacian, (2 + 3)² = 25 against 38 by interpolation; next to ∇u, ∇u by nested AD', () => {
      const X = T(uniform(N * 3, 606, -1, 1), [N, 3]);
      const f = mlpField('tanh', 3, 5, 1, 607);
      const bih: PdeSpec = { bih: { biharmonic: 'all' } };
      // interpolation: R = 3 (4e_i) + 6 (3e_a + e_b) + 3 (2e_a + 2e_b) = 12 directions, K = 4: 1 + 3·12 + 1
      expect([cost(f, X, bih, 'collapsed').vectors, cost(f, X, bih, 'taylor').vectors, cost(f, X, bih, 'nested').vectors]).toEqual([38, 1 + 4 * 12, null]);
      for (const backend of ['cpu', 'webgpu'] as const)
        expect(cost(f, X, bih, 'auto', backend)).toEqual({ vectors: 25, methods: { bih: 'laplacian-of-laplacian' }, passes: 1 });
      // with ∇u: one collapsed propagation 38 (∇u rides on the 4e_i); ∇u collapsed apart 1 + 3 (+ 25) = 29; nested 1 + C = 2 (+ 25) = 27
      // WebGPU: 27 + 2·4 = 35 < 38 + 4
      const spec: PdeSpec = { du: { grad: 'all' }, ...bih };
      expect(cost(f, X, spec, 'collapsed').vectors).toBe(38);
      for (const backend of ['cpu', 'webgpu'] as const) {
        expect(cost(f, X, spec, 'auto', backend)).toEqual({ vectors: 2 + 25, methods: { du: 'nested', bih: 'laplacian-of-laplacian' }, passes: 2 });
      }
    });

    it('u, ∇u and Δ² at D = 2: one collapsed propagation, 17 (R = 5: e_x, e_y, 3e_x + e_y, e_x + 3e_y, e_x + e_y), against Δ(Δu) 16 + ∇u nested 2', () => {
      const X = T(uniform(N * 2, 610, -1, 1), [N, 2]);
      const spec: PdeSpec = { u: 'value', du: { grad: 'all' }, bih: { biharmonic: 'all' } };
      expect(cost(mlpField('tanh', 2, 5, 1, 611), X, spec, 'auto', 'cpu')).toEqual({ vectors: 1 + 3 * 5 + 1, methods: same(spec, 'collapsed'), passes: 1 });
    });

    it('more terms than the exhaustive search takes (10): the local search finds the split of S1 (the values ride along)', () => {
      const many: PdeSpec = { ...S1, ...Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`u${i}`, 'value' as const])) };
      const r = cost(f1, X1, many, 'auto', 'cpu');
      expect(r.vectors).toBe(8);
      expect(r.methods).toEqual({ ...same(many, 'collapsed'), du: 'nested' });
    });

    it('the cost model (planVectors) gives the vectors each method counts, for every spec above and more', () => {
      const X3 = T(uniform(N * 3, 608, -1, 1), [N, 3]);
      const f3 = mlpField('softplus', 3, 5, 3, 609);
      const specs: [FieldFn, Tensor, PdeSpec, number | null][] = [
        [f1, X1, S1, 1],
        [f2, X2, S2, 2],
        [f3, X3, { u: 'value' }, 3],
        [f3, X3, { du: { grad: [0, 2] }, adv: { advection: [1, 0, -2] } }, 3],
        [f3, X3, { uxy: { partial: [1, 1, 0] }, lap: { laplacian: 'all' }, uxx: { partial: [2, 0, 0] } }, 3],
        [f3, X3, { tr: { trace: { factor: (Y: Tensor) => Y.reshape([N, 3, 1]) } }, du: { grad: 'all' } }, 3],
        [f3, X3, { u: 'value', lap: { laplacian: 'all' }, bih: { biharmonic: [0, 1] }, uxxy: { partial: [2, 1, 0] } }, 3],
      ];
      for (const [f, X, spec, C] of specs) {
        for (const method of ['collapsed', 'taylor', 'nested'] as const) {
          expect(planVectors(compileSpec('pde', spec, X), method, C), `${JSON.stringify(Object.keys(spec))} ${method}`).toBe(cost(f, X, spec, method).vectors);
        }
      }
    });

    it("a backend other than 'cpu' or 'webgpu' is refused when pde is built", () => {
      expect(() => pde(f1, S1, { method: 'auto', backend: 'tpu' as never })).toThrow(ArgumentError);
      expect(() => pde(f1, S1, { method: 'auto', backend: 'tpu' as never })).toThrow(/backend must be 'cpu' or 'webgpu'/);
    });
  },
  { float32: false },
);

/** [N, C, D] gradients and [N, C] Laplacians over `coords` from the rows' derivative tensors (nested jacobians). */
async function reference(f: FieldFn, X: Tensor, C: number, coords: readonly number[]): Promise<{ u: number[]; du: number[]; lap: number[] }> {
  const d = await derivativeTensors(f, X, 2);
  const D = X.shape[1]!;
  const u: number[] = [];
  const du: number[] = [];
  const lap: number[] = [];
  for (let n = 0; n < X.shape[0]!; n++) {
    for (let c = 0; c < C; c++) {
      u.push(at(d[0]![n], [c]));
      for (let i = 0; i < D; i++) du.push(at(d[1]![n], [c, i]));
      lap.push(coords.reduce((s, i) => s + at(d[2]![n], [c, i, i]), 0));
    }
  }
  return { u, du, lap };
}

describeBackends("pde method 'auto': values against nested first-order AD, and the choice on the active backend", (c) => {
  const tol = c.dtype === 'float64' ? { rtol: 1e-10, atol: 1e-10 } : { rtol: 2e-4, atol: 2e-5 };

  it('S1 and S2: every method and both backends’ choices agree with the jacobian-of-jacobian reference (float64; on WebGPU the nested method)', async () => {
    const cases: [number, number, PdeSpec, readonly number[], number][] = [
      [D1, 1, S1, [0, 1, 2, 3], 611],
      [D2, 2, S2, [0, 1, 2], 613],
    ];
    for (const [D, C, spec, coords, seed] of cases) {
      const X = T(uniform(N * D, seed, -1, 1), [N, D], c.dtype);
      const f = mlpField('tanh', D, 5, C, seed + 1, c.dtype);
      // WebGPU holds no float64: there the reference is the nested method in float32
      const nested = async () => {
        const r = pde(f, spec, { method: 'nested' })(X);
        return Object.fromEntries(await Promise.all(Object.keys(spec).map(async (k) => [k, Array.from(await r[k]!.data())]))) as Record<
          'u' | 'du' | 'lap',
          number[]
        >;
      };
      const want =
        c.backend === 'webgpu' ? await nested() : await reference(mlpField('tanh', D, 5, C, seed + 1), T(uniform(N * D, seed, -1, 1), [N, D]), C, coords);
      const runs = [{ method: 'auto' as const }, ...(['collapsed', 'taylor', 'nested'] as const).map((method) => ({ method }))];
      for (const opts of [...runs, { method: 'auto' as const, backend: 'webgpu' as const }, { method: 'auto' as const, backend: 'cpu' as const }]) {
        const r = pde(f, spec, opts)(X);
        for (const k of Object.keys(spec) as ('u' | 'du' | 'lap')[]) {
          expectClose(await r[k]!.data(), want[k], tol.rtol, tol.atol, `D=${D} ${JSON.stringify(opts)} ${k}`);
        }
      }
    }
  });

  it('three groups at once (standard Taylor, collapsed, nested: the two Taylor groups share one trace of f) give the reference values', async () => {
    const X = T(uniform(N * D2, 613, -1, 1), [N, D2], c.dtype);
    const f = mlpField('tanh', D2, 5, 2, 614, c.dtype);
    const methods = new Map([
      ['u', 'taylor'],
      ['du', 'collapsed'],
      ['lap', 'nested'],
    ] as const);
    const r = runAssigned('pde', f, X, compileSpec('pde', S2, X), methods);
    expect([r.passes, r.vectors]).toEqual([3, 1 + (1 + D2) + (1 + 2 * (1 + 2 * 3))]);
    const ref = pde(f, S2, { method: 'nested' })(X);
    for (const k of ['u', 'du', 'lap']) expectClose(await r.values[k]!.data(), await ref[k]!.data(), tol.rtol, tol.atol, k);
  });

  it('the default backend is the active one: S1 splits on the CPU and stays one collapsed propagation on WebGPU', () => {
    const X = T(uniform(N * D1, 621, -1, 1), [N, D1], c.dtype);
    const f = mlpField('tanh', D1, 6, 1, 622, c.dtype);
    const r = cost(f, X, S1, 'auto');
    if (c.backend === 'webgpu') expect(r).toEqual({ vectors: 10, methods: same(S1, 'collapsed'), passes: 1 });
    else expect(r).toEqual({ vectors: 8, methods: S1_SPLIT, passes: 2 });
  });

  it('a split spec built once traces f once per call for its Taylor group (the choice is cached per shape, dtype and backend)', async () => {
    const X = T(uniform(N * D2, 631, -1, 1), [N, D2], c.dtype);
    const f = mlpField('tanh', D2, 5, 2, 632, c.dtype);
    let calls = 0;
    const counted = (Y: Tensor) => {
      calls++;
      return f(Y);
    };
    const auto = pde(counted, S2, { method: 'auto', backend: 'cpu' });
    auto(X);
    calls = 0;
    const a = auto(X);
    const second = calls;
    // the same groups run by hand: S2's collapsed terms, then ∇u by nested AD
    calls = 0;
    const b = pde(counted, { u: S2.u!, lap: S2.lap! }, { method: 'collapsed' })(X);
    const g = pde(counted, { du: S2.du! }, { method: 'nested' })(X);
    expect(second).toBe(calls);
    expectClose(await a.du!.data(), await g.du!.data(), tol.rtol, tol.atol, 'du');
    expectClose(await a.lap!.data(), await b.lap!.data(), tol.rtol, tol.atol, 'lap');
  });

  it('∇u and Δ² (D = 3) by nested AD and the Laplacian of the Laplacian agree with the jacobian⁴ reference (float64; on WebGPU the interpolation)', async () => {
    const D = 3;
    const X = T(uniform(2 * D, 641, -1, 1), [2, D], c.dtype);
    const f = mlpField('softplus', D, 4, 1, 642, c.dtype);
    const spec = { du: { grad: 'all' }, bih: { biharmonic: 'all' } } as const;
    const r = pde(f, spec, { method: 'auto', backend: 'cpu' })(X);
    let want: { du: number[]; bih: number[] };
    if (c.backend === 'webgpu') {
      const i = pde(f, spec, { method: 'collapsed' })(X);
      want = { du: Array.from(await i.du.data()), bih: Array.from(await i.bih.data()) };
    } else {
      const d = await derivativeTensors(mlpField('softplus', D, 4, 1, 642), T(uniform(2 * D, 641, -1, 1), [2, D]), 4);
      want = { du: [], bih: [] };
      for (let n = 0; n < 2; n++) {
        for (let i = 0; i < D; i++) want.du.push(at(d[1]![n], [0, i]));
        let s = 0;
        for (let a = 0; a < D; a++) for (let b = 0; b < D; b++) s += at(d[4]![n], [0, a, a, b, b]);
        want.bih.push(s);
      }
    }
    expectClose(await r.du.data(), want.du, tol.rtol, tol.atol, 'du');
    expectClose(await r.bih.data(), want.bih, c.dtype === 'float64' ? 1e-9 : 1e-3, tol.atol, 'bih');
  });
});
