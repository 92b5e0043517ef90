// Nested transformations: third derivatives against closed forms (every combination of forward
// and reverse), perturbation-confusion examples from the literature, and meta-learning (the
// gradient through three inner gradient-descent steps) against central differences.

import { expect, it } from 'vitest';
import { type Tensor, grad, jvp, tensor, valueAndGrad } from '../../src/index.js';
import { describeBackends } from '../helpers/backends.js';
import { dot, expectClose, fdJacobian, fromHost, host, randomData, randomTensor } from '../helpers/finiteDiff.js';

type F = (x: Tensor) => Tensor;

// f, points, closed-form f''' (points avoid zeros of f''' so relative tolerances mean something)
const THIRD: { name: string; f: F; pts: number[]; d3: (x: number) => number }[] = [
  {
    name: 'tanh',
    f: (x) => x.tanh(),
    pts: [-1.3, -0.2, 0.3, 1.1],
    d3: (x) => {
      const t = Math.tanh(x);
      return (1 - t * t) * (6 * t * t - 2);
    },
  },
  { name: 'sin', f: (x) => x.sin(), pts: [-1.3, -0.2, 0.4, 2.2], d3: (x) => -Math.cos(x) },
  { name: 'exp', f: (x) => x.exp(), pts: [-1.3, -0.2, 0.4, 1.1], d3: Math.exp },
  { name: 'log', f: (x) => x.log(), pts: [0.3, 0.9, 1.7, 2.5], d3: (x) => 2 / x ** 3 },
];

/** Elementwise derivative of an elementwise function, by each mode. */
const dRev =
  (f: F): F =>
  (x) =>
    grad((y: Tensor) => f(y).sum())(x);
const dFwd =
  (f: F): F =>
  (x) =>
    jvp(f, [x], [tensor(x.shape.length ? Array(x.size).fill(1) : 1, { dtype: x.dtype })])[1];

describeBackends('nested derivatives', (c) => {
  const T = (v: number[] | number) => tensor(v as number[], { dtype: c.dtype });

  for (const k of THIRD) {
    it(`third derivative of ${k.name} matches its closed form in every mode combination`, async () => {
      const x = T(k.pts);
      const expected = k.pts.map(k.d3);
      const combos: [string, F][] = [
        ['grad(grad(grad))', dRev(dRev(dRev(k.f)))],
        ['jvp(jvp(jvp))', dFwd(dFwd(dFwd(k.f)))],
        ['jvp(grad(grad))', dFwd(dRev(dRev(k.f)))],
        ['grad(jvp(grad))', dRev(dFwd(dRev(k.f)))],
        ['grad(grad(jvp))', dRev(dRev(dFwd(k.f)))],
      ];
      for (const [name, d3] of combos) expectClose(await host(d3(x)), expected, c.rtol, c.atol, `${k.name} ${name}`);
    });
  }

  it('third derivative of a scalar function by grad(grad(grad(f))) on a 0-d tensor', async () => {
    const f = (x: Tensor) => x.sin().mul(x.exp());
    const x0 = 0.7;
    // (e^x sin x)''' = 2 e^x (cos x - sin x)
    const d3 = grad(grad(grad(f)))(T(x0));
    expect(d3.shape).toEqual([]);
    expectClose(await host(d3), [2 * Math.exp(x0) * (Math.cos(x0) - Math.sin(x0))], c.rtol, c.atol, 'd3');
  });

  it('no perturbation confusion: d/dx [x · (d/dy (x + y))(y = 1)] at x = 1 is 1', async () => {
    const one = T(1);
    const inner = (x: Tensor) => grad((y: Tensor) => x.add(y))(one);
    const innerF = (x: Tensor) => jvp((y: Tensor) => x.add(y), [one], [one])[1] as Tensor;
    for (const [name, d] of [
      ['grad of grad', grad((x: Tensor) => x.mul(inner(x)))(one)],
      ['grad of jvp', grad((x: Tensor) => x.mul(innerF(x)))(one)],
      ['jvp of grad', jvp((x: Tensor) => x.mul(inner(x)), [one], [one])[1]],
      ['jvp of jvp', jvp((x: Tensor) => x.mul(innerF(x)), [one], [one])[1]],
    ] as const) {
      expect(await host(d), name).toEqual([1]);
    }
  });

  it("no perturbation confusion: Siskind & Pearlmutter's d/dx [x · (d/dy (x·y))(y = 2)] at x = 1 is 2", async () => {
    // the inner derivative is x, so the outer function is x², whose derivative at 1 is 2
    const one = T(1),
      two = T(2);
    const inner = (x: Tensor) => grad((y: Tensor) => x.mul(y))(two);
    const innerF = (x: Tensor) => jvp((y: Tensor) => x.mul(y), [two], [one])[1] as Tensor;
    expect(await host(grad((x: Tensor) => x.mul(inner(x)))(one))).toEqual([2]);
    expect(await host(jvp((x: Tensor) => x.mul(innerF(x)), [one], [one])[1])).toEqual([2]);
    expect(await host(grad((x: Tensor) => x.mul(innerF(x)))(one))).toEqual([2]);
  });

  it('no perturbation confusion three levels deep: d/dx [x · d/dy [y · d/dz (x y z)]] = 8x at y = 2', async () => {
    // d/dz (xyz) = xy; y·xy = xy²; d/dy = 2xy = 4x at y = 2; x·4x = 4x²; d/dx = 8x
    const two = T(2),
      three = T(3);
    const f = (x: Tensor) => x.mul(grad((y: Tensor) => y.mul(grad((z: Tensor) => x.mul(y).mul(z))(three)))(two));
    expectClose(await host(grad(f)(T(1.5))), [12], c.rtol, c.atol, 'grad^3');
    const fF = (x: Tensor) => x.mul(jvp((y: Tensor) => y.mul(jvp((z: Tensor) => x.mul(y).mul(z), [three], [T(1)])[1]), [two], [T(1)])[1]);
    expectClose(await host(jvp(fF, [T(1.5)], [T(1)])[1]), [12], c.rtol, c.atol, 'jvp^3');
  });

  it('no perturbation confusion with vectors: ∇ [Σv · (d/dy (y ‖v‖))(y = 1)] = ∇ [Σv ‖v‖]', async () => {
    const v = [1, 2, -0.5];
    const norm = (t: Tensor) => t.square().sum().sqrt();
    const g = grad((t: Tensor) => t.sum().mul(grad((y: Tensor) => y.mul(norm(t)))(T(1))))(T(v));
    const n = Math.hypot(...v),
      s = v.reduce((a, b) => a + b, 0);
    expectClose(
      await host(g),
      v.map((vi) => n + (s * vi) / n),
      c.rtol,
      c.atol,
      'gradient',
    );
  });
});

// ----- meta-learning -----

interface Model {
  W: Tensor;
  v: Tensor;
}
const predict = (p: Model, X: Tensor) => X.matmul(p.W).tanh().matmul(p.v);
const mse = (p: Model, X: Tensor, y: Tensor) => predict(p, X).sub(y).square().mean();

function metaData(dtype: 'float32' | 'float64') {
  return {
    Xtr: randomTensor([6, 2], 901, dtype),
    ytr: randomTensor([6], 902, dtype),
    Xval: randomTensor([4, 2], 903, dtype),
    yval: randomTensor([4], 904, dtype),
  };
}

/** Validation loss after 3 steps of gradient descent on the training loss, with step size lr. */
function metaLoss(d: ReturnType<typeof metaData>) {
  return (p0: Model, lr: Tensor): Tensor => {
    let p = p0;
    for (let step = 0; step < 3; step++) {
      const g = grad((q: Model) => mse(q, d.Xtr, d.ytr))(p) as Model;
      p = { W: p.W.sub(g.W.mul(lr)), v: p.v.sub(g.v.mul(lr)) };
    }
    return mse(p, d.Xval, d.yval);
  };
}

describeBackends(
  'meta-learning',
  () => {
    it('the gradient of the loss after 3 inner gradient steps matches central differences', async () => {
      const d = metaData('float64');
      const meta = metaLoss(d);
      const p0 = { W: randomTensor([2, 3], 905), v: randomTensor([3], 906) };
      const lr = tensor(0.7, { dtype: 'float64' });
      const [value, [gp, glr]] = valueAndGrad(meta, { argnums: [0, 1] })(p0, lr);
      const flat = (W: Tensor, v: Tensor, a: Tensor) => meta({ W, v }, a);
      const fd = await fdJacobian(flat, [p0.W, p0.v, lr], 1e-6);
      expectClose(await host(gp.W), fd.jac[0]!, 1e-6, 1e-9, 'd/dW0');
      expectClose(await host(gp.v), fd.jac[1]!, 1e-6, 1e-9, 'd/dv0');
      expectClose(await host(glr), fd.jac[2]!, 1e-6, 1e-9, 'd/dlr');
      expectClose(await host(value), await host(flat(p0.W, p0.v, lr)), 0, 0, 'value');
      // the inner loop really moved the parameters: the meta-gradient differs from the plain one
      const plain = await host(grad((p: Model) => mse(p, d.Xval, d.yval))(p0).v);
      expect(Math.max(...plain.map((x, i) => Math.abs(x - fd.jac[1]![i]!)))).toBeGreaterThan(1e-3);
    });

    it('forward-over-reverse gives the same directional meta-derivative', async () => {
      const d = metaData('float64');
      const meta = metaLoss(d);
      const p0 = { W: randomTensor([2, 3], 905), v: randomTensor([3], 906) };
      const lr = tensor(0.7, { dtype: 'float64' });
      const dir = { W: fromHost(randomData(6, 907), [2, 3]), v: fromHost(randomData(3, 908), [3]) };
      const [, t] = jvp(meta, [p0, lr], [dir, null]);
      const g = grad(meta)(p0, lr);
      const expected = dot(await host(g.W), await host(dir.W)) + dot(await host(g.v), await host(dir.v));
      expectClose(await host(t), [expected], 1e-10, 1e-12, 'directional');
    });
  },
  { float32: false },
);
