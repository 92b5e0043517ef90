// cg, fixedPoint and customRoot against plain-JS references: cg against Gaussian elimination (a matrix, a
// tree of unknowns, a Newton step with an hvp matvec), its tolerance against the residual it
// promises; fixedPoint's value against a plain-JS iteration and its implicit derivatives (jvp,
// grad) against central differences of that iteration (float64) and against differentiating the
// unrolled iterations.

import { expect, it } from 'vitest';
import { ArgumentError, ShapeError, type Tensor, cg, customRoot, fixedPoint, grad, hvp, jvp, tensor, vjp } from '../../src/index.js';
import { describeBackends } from '../helpers/backends.js';
import { values } from '../helpers/batch.js';
import { expectErr } from '../helpers/errors.js';
import { expectClose, randomData } from '../helpers/finiteDiff.js';
import { matvecOf, solve } from '../helpers/linalg.js';

/** A = Mᵀ M + n·I (symmetric positive definite), row-major. */
function spd(n: number, seed: number): number[] {
  const m = randomData(n * n, seed);
  const a = new Array<number>(n * n).fill(0);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      for (let k = 0; k < n; k++) a[i * n + j]! += m[k * n + i]! * m[k * n + j]!;
      if (i === j) a[i * n + j]! += n;
    }
  return a;
}

/** g(x, θ) = ½ tanh(W x) + θ with ‖W‖ small: a contraction. */
const N = 4;
const Wh = randomData(N * N, 3).map((v) => v * 0.15);
function fixedPointJs(theta: readonly number[], iterations = 200): number[] {
  let x = new Array<number>(N).fill(0);
  for (let k = 0; k < iterations; k++) x = matvecOf(Wh, x).map((v, i) => 0.5 * Math.tanh(v) + theta[i]!);
  return x;
}

// An iterative solve in float32 accumulates rounding over its n steps (and an unrolled iteration
// over its 30): those comparisons allow 10× the backend's tolerance for one computation.
describeBackends('cg, fixedPoint and customRoot', (bc) => {
  const T = (data: number[], shape?: number[]) => tensor(data, { dtype: bc.dtype, ...(shape ? { shape } : {}) });

  it('cg solves an SPD system as Gaussian elimination does, from zero and from x0', async () => {
    const n = 8;
    const a = spd(n, 1);
    const b = randomData(n, 2);
    const A = T(a, [n, n]);
    const want = solve(a, b);
    expectClose(await values(cg((v: Tensor) => A.matmul(v), T(b), { tol: 1e-12 })), want, bc.rtol * 10, bc.atol * 10, 'cg from 0');
    const x0 = T(randomData(n, 4));
    expectClose(await values(cg((v: Tensor) => A.matmul(v), T(b), { x0, tol: 1e-12 })), want, bc.rtol * 10, bc.atol * 10, 'cg from x0');
  });

  it('cg stops at the tolerance: the residual of a loose solve is within it, and the steps after change nothing', async () => {
    const n = 8;
    const a = spd(n, 5);
    const b = randomData(n, 6);
    const A = T(a, [n, n]);
    const loose = await values(cg((v: Tensor) => A.matmul(v), T(b), { tol: 0.1, maxIter: 50 }));
    const r = matvecOf(a, loose).map((v, i) => b[i]! - v);
    const norm = (v: number[]) => Math.sqrt(v.reduce((s, t) => s + t * t, 0));
    expect(norm(r)).toBeLessThanOrEqual(0.1 * norm(b) * (1 + 1e-5));
    expect(norm(r)).toBeGreaterThan(1e-6 * norm(b)); // it did stop early
  });

  it('cg over a tree of unknowns, and a Newton step with an hvp matvec', async () => {
    const a1 = spd(2, 7),
      a2 = spd(3, 8);
    const [b1, b2] = [randomData(2, 9), randomData(3, 10)];
    const [A1, A2] = [T(a1, [2, 2]), T(a2, [3, 3])];
    const x = cg((v: { p: Tensor; q: Tensor }) => ({ p: A1.matmul(v.p), q: A2.matmul(v.q) }), { p: T(b1), q: T(b2) }, { tol: 1e-12 });
    expectClose(await values(x.p), solve(a1, b1), bc.rtol * 10, bc.atol * 10, 'tree p');
    expectClose(await values(x.q), solve(a2, b2), bc.rtol * 10, bc.atol * 10, 'tree q');
    // L(w) = ½ wᵀ A w − bᵀ w + Σ w⁴/4: the Newton step at w solves ∇²L(w) s = ∇L(w)
    const n = 5;
    const a = spd(n, 11);
    const bv = randomData(n, 12);
    const wv = randomData(n, 13);
    const A = T(a, [n, n]);
    const L = (w: Tensor) =>
      w
        .mul(A.matmul(w))
        .sum()
        .mul(0.5)
        .sub(w.mul(T(bv)).sum())
        .add(w.pow(4).sum().mul(0.25));
    const w = T(wv);
    const step = cg((v: Tensor) => hvp(L, w, v), grad(L)(w), { tol: 1e-12 });
    const H = a.map((v, k) => v + (Math.floor(k / n) === k % n ? 3 * wv[k % n]! ** 2 : 0));
    const g = matvecOf(a, wv).map((v, i) => v - bv[i]! + wv[i]! ** 3);
    expectClose(await values(step), solve(H, g), bc.rtol * 10, bc.atol * 10, 'Newton step');
  });

  it('cg refuses a matvec of the wrong shape and bad options', () => {
    const b = T([1, 2, 3]);
    expectErr(() => cg((v: Tensor) => v.slice([0], [2]), b), ShapeError, 'cg', 'matvec result', 'has shape [2] but its b has shape [3]');
    expectErr(() => cg((v: Tensor) => v, b, { maxIter: 0 }), ArgumentError, 'cg: maxIter must be a positive integer');
    expectErr(() => cg((v: Tensor) => v, b, { tol: -1 }), ArgumentError, 'cg: tol must be a finite number >= 0');
  });

  it('fixedPoint: the value, and implicit derivatives that match differentiating the iterations', async () => {
    const theta = randomData(N, 14);
    const W = T(Wh, [N, N]);
    const g = (x: Tensor, th: Tensor) => W.matmul(x).tanh().mul(0.5).add(th);
    const fp = fixedPoint(g, { iterations: 30 });
    const x0 = T(new Array(N).fill(0));
    const th = T(theta);
    expectClose(await values(fp(x0, th)), fixedPointJs(theta), bc.rtol, bc.atol, 'x*');
    // the unrolled iteration, differentiated step by step: an independent path to the same derivative
    const unrolled = (t: Tensor) => {
      let x = x0;
      for (let k = 0; k < 30; k++) x = g(x, t);
      return x;
    };
    const loss = (f: (t: Tensor) => Tensor) => (t: Tensor) => f(t).square().sum();
    const gi = await values(grad(loss((t) => fp(x0, t)))(th));
    expectClose(gi, await values(grad(loss(unrolled))(th)), bc.rtol * 10, bc.atol * 10, 'grad: implicit vs unrolled');
    const v = T(randomData(N, 15));
    expectClose(await values(jvp((t: Tensor) => fp(x0, t), [th], [v])[1]), await values(jvp(unrolled, [th], [v])[1]), bc.rtol * 10, bc.atol * 10, 'jvp');
    if (bc.dtype !== 'float64') return;
    // central differences of the plain-JS fixed point (float64)
    const eps = 1e-6;
    const fd = theta.map((_, j) => {
      const at = (d: number) => fixedPointJs(theta.map((t, i) => (i === j ? t + d : t))).reduce((s, x) => s + x * x, 0);
      return (at(eps) - at(-eps)) / (2 * eps);
    });
    expectClose(gi, fd, 1e-6, 1e-8, 'grad vs central differences');
  });

  it('customRoot: the root of x³ + x − θ by Newton, with derivatives 1 / (3x² + 1)', async () => {
    const theta = randomData(5, 16);
    const F = (x: Tensor, th: Tensor) => x.pow(3).add(x).sub(th);
    const newton = (th: Tensor) => {
      let x = th.mul(0.5);
      for (let k = 0; k < 30; k++) x = x.sub(F(x, th).div(x.square().mul(3).add(1)));
      return x;
    };
    const root = customRoot(F, newton);
    const xs = theta.map((t) => {
      let x = t / 2;
      for (let k = 0; k < 60; k++) x -= (x ** 3 + x - t) / (3 * x * x + 1);
      return x;
    });
    const th = T(theta);
    expectClose(await values(root(th)), xs, bc.rtol, bc.atol, 'root');
    const d = xs.map((x) => 1 / (3 * x * x + 1));
    expectClose(
      await values(grad((t: Tensor) => root(t).square().sum())(th)),
      xs.map((x, i) => 2 * x * d[i]!),
      bc.rtol * 10,
      bc.atol * 10,
      'grad',
    );
    const v = randomData(5, 17);
    expectClose(
      await values(jvp(root, [th], [T(v)])[1]),
      v.map((vi, i) => vi * d[i]!),
      bc.rtol * 10,
      bc.atol * 10,
      'jvp',
    );
  });

  it('customRoot of a linear system A x = b: derivatives in A and b against A⁻¹ and A⁻ᵀ', async () => {
    const n = 4;
    const a = randomData(n * n, 18).map((v, k) => v + (Math.floor(k / n) === k % n ? 5 : 0)); // nonsymmetric, well conditioned
    const [b, c, db] = [randomData(n, 19), randomData(n, 20), randomData(n, 21)];
    const aT = a.map((_, k) => a[(k % n) * n + Math.floor(k / n)]!);
    const F = (x: Tensor, A: Tensor, bb: Tensor) => A.matmul(x).sub(bb);
    const normal = (A: Tensor, bb: Tensor) => cg((v: Tensor) => A.transpose().matmul(A.matmul(v)), A.transpose().matmul(bb), { tol: 1e-14, maxIter: 3 * n });
    const root = customRoot(F, normal);
    const [A, B] = [T(a, [n, n]), T(b)];
    const x = solve(a, b);
    expectClose(await values(root(A, B)), x, bc.rtol * 10, bc.atol * 10, 'x = A⁻¹ b');
    // L = c·x: ∂L/∂b = A⁻ᵀ c, ∂L/∂A = −(A⁻ᵀ c) xᵀ
    const [, pullback] = vjp(root, A, B);
    const [gA, gB] = pullback(T(c));
    const w = solve(aT, c);
    expectClose(await values(gB!), w, bc.rtol * 10, bc.atol * 10, '∂L/∂b');
    expectClose(
      await values(gA!),
      w.flatMap((wi) => x.map((xj) => -wi * xj)),
      bc.rtol * 10,
      bc.atol * 10,
      '∂L/∂A',
    );
    expectClose(await values(jvp(root, [A, B], [null, T(db)])[1]), solve(a, db), bc.rtol * 10, bc.atol * 10, 'dx = A⁻¹ db');
  });
});
