// pde(f, spec): every term against per-row derivative tensors from nested first-order AD (jacobian of jacobian ...) and closed forms, for vector and scalar fields, constant, x-dependent and indefinite coefficients, every method; the Kovasznay residual on every backend.

import { expect, it } from 'vitest';
import { type PdeSpec, type Tensor, grad, pde, stack } from '../../src/index.js';
import { describeBackends } from '../helpers/backends.js';
import { fdJacobian } from '../helpers/finiteDiff.js';
import { type FieldFn, NU, at, derivativeTensors, kovasznay, kovasznayExact, mlpField, partialOf, productField } from './pde-ref.js';
import { FUNCTIONS, T, col, expectClose, uniform } from './zoo.js';

const METHODS = ['collapsed', 'taylor', 'nested'] as const;
const D = 3;
// an indefinite constant A (eigenvalues of both signs), a constant factor with signs, an x-dependent factor
const A = [
  [1, 2, 0],
  [2, -1, 0.5],
  [0, 0.5, -3],
];
const Sconst = [
  [0.5, 1],
  [-1, 0.25],
  [2, -0.5],
];
const SIGNS = [1, -2];
/** S(x) [N, 3, 2]: columns (1, x0, x1²) and (x2, 1/2, −x0). */
const Sx = (X: Tensor): Tensor => {
  const [x0, x1, x2] = [col(X, 0), col(X, 1), col(X, 2)];
  const one = x0.mul(0).add(1);
  return stack([stack([one, x0, x1.square()], 1), stack([x2, one.mul(0.5), x0.neg()], 1)], 2);
};
const SxHost = (x: ArrayLike<number>): number[][] => [
  [1, x[2]!],
  [x[0]!, 0.5],
  [x[1]! ** 2, -x[0]!],
];
const bConst = [0.5, -1, 2];
const bx = (X: Tensor): Tensor => X.sin();

/** Every term kind; `order` limits the spec to terms of at most that order (exercising K = 1..4). */
function specOf(C: number | null, order: number, dtype: 'float64' | 'float32'): PdeSpec {
  const all: Record<string, [number, PdeSpec[string]]> = {
    u: [0, 'value'],
    g: [1, { grad: [0, 2] }],
    ux: [1, { partial: [1, 0, 0] }],
    advc: [1, { advection: bConst }],
    adv: [1, { advection: bx }],
    uxy: [2, { partial: [1, 1, 0] }],
    uyy: [2, { partial: [0, 2, 0] }],
    lap: [2, { laplacian: [1, 2] }],
    trA: [2, { trace: A }],
    trS: [2, { trace: { factor: T(Sconst.flat(), [3, 2], dtype), signs: SIGNS } }],
    trSx: [2, { trace: { factor: Sx } }],
    uxxy: [3, { partial: [2, 1, 0] }],
    uxxyy: [4, { partial: [2, 2, 0] }],
    uzzzz: [4, { partial: [0, 0, 4] }],
    bih: [4, { biharmonic: 'all' }],
  };
  if (C === 3) all.div = [1, { divergence: 'all' }];
  return Object.fromEntries(
    Object.entries(all)
      .filter(([, [k]]) => k <= order)
      .map(([name, [, t]]) => [name, t]),
  );
}

/** The expected value of term `name` at row n, component c, from the row's derivative tensors d (index k: order k). */
function expected(name: string, d: readonly unknown[], c: number, x: ArrayLike<number>): number | number[] {
  const H = (i: number, j: number): number => at(d[2], [c, i, j]);
  const g = (i: number): number => at(d[1], [c, i]);
  switch (name) {
    case 'u':
      return at(d[0], [c]);
    case 'g':
      return [g(0), g(2)];
    case 'ux':
      return g(0);
    case 'advc':
      return bConst.reduce((s, b, i) => s + b * g(i), 0);
    case 'adv':
      return [0, 1, 2].reduce((s, i) => s + Math.sin(x[i]!) * g(i), 0);
    case 'uxy':
      return H(0, 1);
    case 'uyy':
      return H(1, 1);
    case 'lap':
      return H(1, 1) + H(2, 2);
    case 'trA':
      return A.reduce((s, row, i) => s + row.reduce((t, a, j) => t + a * H(i, j), 0), 0);
    case 'trS':
    case 'trSx': {
      const S = name === 'trS' ? Sconst : SxHost(x);
      const signs = name === 'trS' ? SIGNS : [1, 1];
      let s = 0;
      for (let r = 0; r < 2; r++) for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) s += signs[r]! * S[i]![r]! * H(i, j) * S[j]![r]!;
      return s;
    }
    case 'uxxy':
      return partialOf(d, c, [2, 1, 0]);
    case 'uxxyy':
      return partialOf(d, c, [2, 2, 0]);
    case 'uzzzz':
      return partialOf(d, c, [0, 0, 4]);
    case 'bih': {
      let s = 0;
      for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) s += at(d[4], [c, a, a, b, b]);
      return s;
    }
    case 'div':
      return at(d[1], [0, 0]) + at(d[1], [1, 1]) + at(d[1], [2, 2]);
  }
  throw new Error(`no reference for ${name}`);
}

/** Checks every term of the specs of the given orders (all methods) against the derivative tensors of f, computed once. */
async function checkAll(
  f: FieldFn,
  X: Tensor,
  C: number | null,
  orders: readonly number[],
  label: string,
  methods: readonly Method[] = METHODS,
): Promise<void> {
  const tensors = await derivativeTensors(f, X, Math.max(...orders));
  for (const order of orders) await checkSpec(f, X, C, order, tensors, label, methods);
}

type Method = (typeof METHODS)[number];

async function checkSpec(
  f: FieldFn,
  X: Tensor,
  C: number | null,
  order: number,
  tensors: readonly unknown[][],
  label: string,
  methods: readonly Method[],
): Promise<void> {
  const [N] = X.shape as [number, number];
  const xs = await X.data();
  const spec = specOf(C, order, 'float64');
  const comps = C ?? 1;
  for (const method of methods) {
    const res = pde(f, spec, { method })(X);
    for (const name of Object.keys(spec)) {
      const got = Array.from(await res[name]!.data());
      const want: number[] = [];
      for (let n = 0; n < N; n++) {
        const d = tensors.map((t) => t[n]);
        const x = xs.slice(n * D, (n + 1) * D);
        if (name === 'div') want.push(expected(name, d, 0, x) as number);
        else for (let c = 0; c < comps; c++) want.push(...[expected(name, d, c, x)].flat());
      }
      expectClose(got, want, 1e-10, 1e-10, `${label} K=${order} ${method} ${name}`);
    }
  }
}

describeBackends(
  'pde: every term against nested first-order AD (float64)',
  () => {
    const N = 3;
    const X = T(uniform(N * D, 401, -1, 1), [N, D]);

    for (const act of ['tanh', 'sin', 'softplus'] as const) {
      it(`${act} MLP, C = 3: all terms (K = 4) in one call, every method`, async () => {
        await checkAll(mlpField(act, D, 5, 3, 410), X, 3, [4], act);
      });
    }

    it('tanh MLP, C = 1 ([N, 1] output): K = 1, 2, 3 specs', async () => {
      const f = mlpField('tanh', D, 4, 1, 420);
      await checkAll(f, X, 1, [1, 2, 3], 'tanh C=1');
    });

    it('non-MLP vector field, C = 3: K = 2 spec (several collapsed top sums) and K = 4', async () => {
      // one row and the Taylor methods at K = 4: its 4th-order references (nested jacobians, and the
      // nested method's quartic forms of ~20 directions) take seconds; nested is checked at K = 2
      const X1 = X.slice([0, 0], [1, D]);
      await checkAll(productField, X1, 3, [2], 'products');
      await checkAll(productField, X1, 3, [4], 'products', ['collapsed', 'taylor']);
    });

    it('non-MLP scalar fields ([N] outputs): K = 2 and K = 4 specs', async () => {
      await checkAll(FUNCTIONS['exp/log']!, X, null, [4], 'exp/log');
      await checkAll(FUNCTIONS.division!, X, null, [2], 'division');
    });

    it('second-order reads in the span of others (Δ next to ∂²_x, ∂²_y, ∂²_z; tr(A H) for diagonal A; A = 0) are right', async () => {
      const f = mlpField('softplus', D, 5, 3, 440);
      const H = (await derivativeTensors(f, X, 2))[2]!;
      const spec = {
        uxx: { partial: [2, 0, 0] },
        lap: { laplacian: 'all' },
        uyy: { partial: [0, 2, 0] },
        uzz: { partial: [0, 0, 2] },
        diag: {
          trace: [
            [1, 0, 0],
            [0, -2, 0],
            [0, 0, 0.5],
          ],
        },
        zero: {
          trace: [
            [0, 0, 0],
            [0, 0, 0],
            [0, 0, 0],
          ],
        },
      } as const;
      const want = (n: number, c: number): Record<keyof typeof spec, number> => {
        const h = (i: number) => at(H[n], [c, i, i]);
        return { uxx: h(0), lap: h(0) + h(1) + h(2), uyy: h(1), uzz: h(2), diag: h(0) - 2 * h(1) + 0.5 * h(2), zero: 0 };
      };
      for (const method of METHODS) {
        const r = pde(f, spec, { method })(X);
        for (const name of Object.keys(spec) as (keyof typeof spec)[]) {
          const w = Array.from({ length: N }, (_, n) => [0, 1, 2].map((c) => want(n, c)[name])).flat();
          expectClose(await r[name].data(), w, 1e-10, 1e-10, `${method} ${name}`);
        }
      }
      expect(
        Array.from(
          await pde(f, {
            zero: {
              trace: [
                [0, 0, 0],
                [0, 0, 0],
                [0, 0, 0],
              ],
            },
          })(X).zero.data(),
        ),
      ).toEqual(new Array(3 * N).fill(0));
    });

    it('grad of a residual loss through a multi-term spec with respect to the weights: collapsed = taylor = nested = central differences', async () => {
      const H = 4;
      const w1 = uniform(D * H, 450, -1, 1);
      const W2 = T(uniform(H * 2, 451, -1, 1), [H, 2]);
      const terms = {
        u: 'value',
        du: { grad: 'all' },
        ut: { partial: [1, 0, 0] },
        uxy: { partial: [0, 1, 1] },
        lap: { laplacian: [1, 2] },
        tr: { trace: { factor: Sx } },
      } as const;
      const loss = (method: (typeof METHODS)[number]) => (W: Tensor) => {
        const f = (Y: Tensor) => Y.matmul(W).tanh().matmul(W2);
        const r = pde(f, terms, { method })(X);
        const res = r.ut.sub(r.lap).add(r.uxy.mul(r.u)).add(r.tr.mul(0.5)).add(r.du.square().sum(2));
        return res.square().sum();
      };
      const ref = Array.from(await (grad(loss('nested'))(T(w1, [D, H])) as Tensor).data());
      for (const method of ['collapsed', 'taylor'] as const) expectClose(await (grad(loss(method))(T(w1, [D, H])) as Tensor).data(), ref, 1e-10, 1e-12, method);
      // every entry against central differences of the collapsed loss
      const fd = (await fdJacobian(loss('collapsed'), [T(w1, [D, H])], 1e-5)).jac[0]!;
      expectClose(ref, fd, 1e-6, 1e-6, 'central differences');
    });

    it('result shapes: [N, C] per term, [N, C, D′] for a gradient, [N] for a divergence; [N] fields give [N] and [N, D′]', () => {
      const f = mlpField('tanh', D, 4, 3, 430);
      const r = pde(f, { u: 'value', g: { grad: 'all' }, gx: { grad: [0] }, lap: { laplacian: 'all' }, div: { divergence: 'all' } })(X);
      expect([r.u.shape, r.g.shape, r.gx.shape, r.lap.shape, r.div.shape]).toEqual([[N, 3], [N, 3, D], [N, 3, 1], [N, 3], [N]]);
      const s = pde((Y: Tensor) => Y.sin().sum(1), { u: 'value', g: { grad: [1, 2] }, lap: { laplacian: 'all' } })(X);
      expect([s.u.shape, s.g.shape, s.lap.shape]).toEqual([[N], [N, 2], [N]]);
    });
  },
  { float32: false },
);

describeBackends('pde: closed forms on every backend', (c) => {
  it('Δ|x|⁴ = 4(D+2)|x|², ∂⁴_x x⁴ = 24, ∂_x∂_y (x² y³) = 6 x y², tr(A ∇²(xᵀ M x)) = tr(A (M + Mᵀ)); K = 4 and K = 2 (three top sums)', async () => {
    const N = 3;
    const xs = uniform(N * D, 401, -1, 1);
    const X = T(xs, [N, D], c.dtype);
    const M = [
      [1, -2, 0.5],
      [0, 3, 1],
      [2, 0, -1],
    ];
    const Mt = T(M.flat(), [3, 3], c.dtype);
    const f = (Y: Tensor) => {
      const r2 = Y.mul(Y).sum(1);
      const x = col(Y, 0),
        y = col(Y, 1);
      return stack([r2.square(), x.pow(4), x.square().mul(y.pow(3)), Y.matmul(Mt).mul(Y).sum(1)], 1);
    };
    const want = (n: number): Record<string, number> => {
      const [x, y] = [xs[n * D]!, xs[n * D + 1]!];
      const r2 = xs[n * D]! ** 2 + xs[n * D + 1]! ** 2 + xs[n * D + 2]! ** 2;
      let tr = 0;
      for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) tr += A[i]![j]! * (M[i]![j]! + M[j]![i]!);
      return { lap: 4 * (D + 2) * r2, uxxxx: 24, uxy: 6 * x * y * y, tr };
    };
    // component k of f has the closed form of term k; float32: the interpolation formulas subtract
    // coefficients larger than the result, so an absolute tolerance next to the relative one
    const atol = c.dtype === 'float64' ? 1e-12 : 2 * c.rtol;
    const k4 = { lap: { laplacian: 'all' }, uxxxx: { partial: [4, 0, 0] }, uxy: { partial: [1, 1, 0] }, tr: { trace: A } } as const;
    const k2 = { lap: { laplacian: 'all' }, uxy: { partial: [1, 1, 0] }, tr: { trace: A } } as const;
    for (const spec of [k4, k2] as PdeSpec[]) {
      const names = Object.keys(spec);
      // float32: the Taylor methods (nested first-order AD is the float64 reference)
      for (const method of c.dtype === 'float64' ? METHODS : (['collapsed', 'taylor'] as const)) {
        const r = pde(f, spec, { method })(X);
        const got = await Promise.all(names.map((k) => r[k]!.data()));
        const component = { lap: 0, uxxxx: 1, uxy: 2, tr: 3 } as Record<string, number>;
        for (let n = 0; n < N; n++) {
          const w = want(n);
          expectClose(
            names.map((k, i) => got[i]![4 * n + component[k]!]!),
            names.map((k) => w[k]!),
            c.dtype === 'float64' ? 1e-12 : c.rtol,
            atol,
            `${method} ${names.join(',')} row ${n}`,
          );
        }
      }
    }
  });
});

describeBackends('pde: the Kovasznay Navier–Stokes residual in one call (closed form)', (c) => {
  it('(u, v, p), all first derivatives and Δu, Δv equal the exact solution; the momentum and continuity residuals vanish', async () => {
    const N = 6;
    const xy = uniform(N * 2, 440, -0.5, 1);
    const X = T(xy, [N, 2], c.dtype);
    const r = pde(kovasznay, { q: 'value', dq: { grad: 'all' }, lap: { laplacian: 'all' } })(X);
    const [q, dq, lap] = await Promise.all([r.q.data(), r.dq.data(), r.lap.data()]);
    const wq: number[] = [],
      wdq: number[] = [],
      wlap: number[] = [];
    for (let n = 0; n < N; n++) {
      const e = kovasznayExact(xy[2 * n]!, xy[2 * n + 1]!);
      wq.push(...e.value);
      wdq.push(...e.grad.flat());
      wlap.push(...e.lap);
    }
    // errors relative to the largest magnitude of each quantity (float32: ~1e-6 of the scale)
    const scale = (a: number[]) => Math.max(...a.map(Math.abs));
    expectClose(q, wq, c.rtol, c.rtol * scale(wq), 'value');
    expectClose(dq, wdq, c.rtol, c.rtol * scale(wdq), 'gradient');
    expectClose(lap, wlap, c.rtol, c.rtol * scale(wlap), 'Laplacian');
    // u·∇u + ∂p − ν Δu = 0 and div u = 0, from the one call
    for (let n = 0; n < N; n++) {
      const [u, v] = [q[3 * n]!, q[3 * n + 1]!];
      const g = (comp: number, d: number) => dq[(3 * n + comp) * 2 + d]!;
      const mx = u * g(0, 0) + v * g(0, 1) + g(2, 0) - NU * lap[3 * n]!;
      const my = u * g(1, 0) + v * g(1, 1) + g(2, 1) - NU * lap[3 * n + 1]!;
      const div = g(0, 0) + g(1, 1);
      for (const res of [mx, my, div]) expect(Math.abs(res)).toBeLessThan(c.dtype === 'float64' ? 1e-12 : 2e-3);
    }
  });
});
