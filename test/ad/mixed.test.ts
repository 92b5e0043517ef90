// Jacobians and Hessians: jacfwd == jacrev == jacobian, the three hvp modes agree with each other
// and with hessian·v, Hessians are symmetric, for composite functions including a 3-layer tanh MLP
// with parameters as an object; float64 results against central differences.

import { expect, it } from 'vitest';
import { type DType, type Tensor, TransformError, customVjp, grad, hessian, hvp, jacfwd, jacobian, jacrev, tensor } from '../../src/index.js';
import { describeBackends } from '../helpers/backends.js';
import { expectClose, fdJacobian, fromHost, host, randomData, randomTensor } from '../helpers/finiteDiff.js';

const sizeOf = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

interface Composite {
  name: string;
  inShape: number[];
  outShape: number[];
  f: (x: Tensor) => Tensor;
}

// fixed weights, built in the case's dtype
const W = (dtype: DType) => fromHost(randomData(12, 77), [4, 3], dtype);

const COMPOSITES: Composite[] = [
  {
    name: 'R³ → R² mixing products and transcendental ops',
    inShape: [3],
    outShape: [2],
    f: (x) => {
      const a = x
        .slice([0], [1])
        .mul(x.slice([1], [2]))
        .sin();
      const b = x
        .slice([2], [3])
        .exp()
        .mul(x.slice([0], [1]));
      return a
        .reshape([1])
        .add(0)
        .pad([[0, 1]])
        .add(b.pad([[1, 0]]));
    },
  },
  { name: 'tanh(W x) (more outputs than inputs)', inShape: [3], outShape: [4], f: (x) => W(x.dtype).matmul(x).tanh() },
  { name: 'matrix input: softmax-like rows', inShape: [2, 3], outShape: [2, 3], f: (x) => x.sub(x.logsumexp(1, true)).exp() },
  { name: 'scalar output: log-sum of squares', inShape: [2, 2], outShape: [], f: (x) => x.square().sum().add(1).log() },
];

/** A 3-layer tanh MLP on a batch X [N, 2], params as an object. */
function mlpParams(dtype: DType) {
  return {
    W1: randomTensor([2, 4], 1, dtype),
    b1: randomTensor([4], 2, dtype),
    W2: randomTensor([4, 3], 3, dtype),
    b2: randomTensor([3], 4, dtype),
    W3: randomTensor([3, 1], 5, dtype),
    b3: randomTensor([1], 6, dtype),
  };
}
type Params = ReturnType<typeof mlpParams>;
const mlp = (p: Params, X: Tensor) => X.matmul(p.W1).add(p.b1).tanh().matmul(p.W2).add(p.b2).tanh().matmul(p.W3).add(p.b3).tanh();
const mlpLoss = (X: Tensor, Y: Tensor) => (p: Params) => mlp(p, X).sub(Y).square().mean();
const KEYS = ['W1', 'W2', 'W3', 'b1', 'b2', 'b3'] as const;

describeBackends('Jacobians', (c) => {
  for (const k of COMPOSITES) {
    it(`jacfwd == jacrev == jacobian: ${k.name}`, async () => {
      const x = randomTensor(k.inShape, 31, c.dtype);
      const jf = jacfwd(k.f)(x),
        jr = jacrev(k.f)(x),
        ja = jacobian(k.f)(x);
      const shape = [...k.outShape, ...k.inShape];
      for (const j of [jf, jr, ja]) expect(j.shape).toEqual(shape);
      const ref = await host(jf);
      expectClose(await host(jr), ref, c.rtol, c.atol, 'jacrev vs jacfwd');
      expectClose(await host(ja), ref, c.rtol, c.atol, 'jacobian vs jacfwd');
    });
  }

  it('Jacobians of several arguments and pytree outputs', async () => {
    const f = (x: Tensor, y: Tensor) => ({ p: x.mul(y), s: [x.sin().sum()] });
    const x = randomTensor([3], 41, c.dtype),
      y = randomTensor([3], 42, c.dtype);
    const jf = jacfwd(f, { argnums: [0, 1] })(x, y),
      jr = jacrev(f, { argnums: [0, 1] })(x, y);
    const xv = await host(x),
      yv = await host(y);
    const diag = (v: number[]) => v.flatMap((d, i) => v.map((_, j) => (i === j ? d : 0)));
    for (const j of [jf, jr]) {
      expect(j.p[0].shape).toEqual([3, 3]);
      expect(j.s[0]![1].shape).toEqual([3]);
      expectClose(await host(j.p[0]), diag(yv), c.rtol, c.atol, 'dp/dx');
      expectClose(await host(j.p[1]), diag(xv), c.rtol, c.atol, 'dp/dy');
      expectClose(await host(j.s[0]![0]), xv.map(Math.cos), c.rtol, c.atol, 'ds/dx');
      expectClose(await host(j.s[0]![1]), [0, 0, 0], c.rtol, c.atol, 'ds/dy');
    }
  });

  it('jacobian picks forward mode when inputs are no larger than outputs, reverse otherwise', () => {
    // a custom-VJP function cannot go forward: jacobian succeeds only when it picks reverse
    const sq = customVjp(
      (x: Tensor) => x.square(),
      ({ args: [x] }: { args: Tensor[] }, g: Tensor) => [g.mul(x!).mul(2)],
    );
    const x3 = randomTensor([3], 43, c.dtype);
    expect(jacobian((x: Tensor) => sq(x).sum())(x3).shape).toEqual([3]); // 3 inputs > 1 output: reverse
    expect(() => jacobian((x: Tensor) => sq(x).reshape([3, 1]).broadcastTo([3, 2]))(x3)).toThrow(TransformError); // 3 <= 6: forward
    expect(() => jacfwd((x: Tensor) => sq(x).sum())(x3)).toThrow(/forward mode/);
  });
});

describeBackends('Hessians and Hessian-vector products', (c) => {
  const scalarFns: Composite[] = [
    ...COMPOSITES.filter((k) => k.outShape.length === 0),
    {
      name: 'Σ sin(x_i x_{i+1}) + exp(-x²)',
      inShape: [4],
      outShape: [],
      f: (x) =>
        x
          .slice([0], [3])
          .mul(x.slice([1], [4]))
          .sin()
          .sum()
          .add(x.square().neg().exp().sum()),
    },
    {
      name: 'x W x-ish: Σ tanh(W x)·x',
      inShape: [3],
      outShape: [],
      f: (x) => W(x.dtype).matmul(x).tanh().sum().mul(x.sum()),
    },
  ];
  for (const k of scalarFns) {
    it(`hessian is symmetric, matches jacfwd(jacrev) and jacrev(jacrev), and the hvp modes agree: ${k.name}`, async () => {
      const x = randomTensor(k.inShape, 51, c.dtype);
      const n = sizeOf(k.inShape);
      const H = hessian(k.f)(x);
      expect(H.shape).toEqual([...k.inShape, ...k.inShape]);
      const h = await host(H);
      const hT = h.map((_, idx) => h[(idx % n) * n + Math.floor(idx / n)]!);
      expectClose(h, hT, c.rtol, c.atol, 'symmetry');
      expectClose(await host(jacrev(jacrev(k.f))(x)), h, c.rtol, c.atol, 'jacrev(jacrev)');
      expectClose(await host(jacfwd(jacfwd(k.f))(x)), h, c.rtol, c.atol, 'jacfwd(jacfwd)');
      const v = randomTensor(k.inShape, 52, c.dtype);
      const vh = await host(v);
      const Hv = Array.from({ length: n }, (_, i) => vh.reduce((s, vj, j) => s + h[i * n + j]! * vj, 0));
      for (const mode of ['fwd-rev', 'rev-fwd', 'rev-rev'] as const) {
        const r = hvp(k.f, x, v, { mode });
        expect(r.shape).toEqual(k.inShape);
        expectClose(await host(r), Hv, c.rtol, c.atol, `hvp ${mode}`);
      }
      expectClose(await host(hvp(k.f, x, v)), Hv, c.rtol, c.atol, 'hvp default mode');
    });
  }

  it('3-layer tanh MLP: hessian over a parameter object is symmetric and the hvp modes agree', async () => {
    const p = mlpParams(c.dtype);
    const X = randomTensor([5, 2], 61, c.dtype),
      Y = randomTensor([5, 1], 62, c.dtype);
    const L = mlpLoss(X, Y);
    const H = hessian(L)(p);
    expect(Object.keys(H).sort()).toEqual([...KEYS]);
    expect(H.W1.W2.shape).toEqual([2, 4, 4, 3]);
    for (const a of KEYS) {
      for (const b of KEYS) {
        const na = p[a].size,
          nb = p[b].size;
        const hab = await host(H[a][b]),
          hba = await host(H[b][a]);
        const hbaT = hab.map((_, idx) => hba[(idx % nb) * na + Math.floor(idx / nb)]!);
        expectClose(hab, hbaT, c.rtol, c.atol, `H[${a}][${b}] vs H[${b}][${a}]ᵀ`);
      }
    }
    const v = Object.fromEntries(KEYS.map((k, i) => [k, randomTensor(p[k].shape, 70 + i, c.dtype)])) as Params;
    const ref = await Promise.all(
      KEYS.map(async (a) => {
        const na = p[a].size;
        const out = new Array<number>(na).fill(0);
        for (const b of KEYS) {
          const hab = await host(H[a][b]),
            vb = await host(v[b]);
          for (let i = 0; i < na; i++) for (let j = 0; j < vb.length; j++) out[i]! += hab[i * vb.length + j]! * vb[j]!;
        }
        return out;
      }),
    );
    for (const mode of ['fwd-rev', 'rev-fwd', 'rev-rev'] as const) {
      const hv = hvp(L, p, v, { mode });
      for (const [i, a] of KEYS.entries()) {
        expect(hv[a].shape).toEqual(p[a].shape);
        expectClose(await host(hv[a]), ref[i]!, c.rtol, c.atol, `hvp ${mode} [${a}]`);
      }
    }
  });

  it('hessian of the MLP output with respect to its input (a PINN-style Hessian)', async () => {
    const p = mlpParams(c.dtype);
    const u = (x: Tensor) => mlp(p, x.reshape([1, 2])).sum();
    const x = randomTensor([2], 63, c.dtype);
    const H = await host(hessian(u)(x));
    expectClose([H[1]!], [H[2]!], c.rtol, c.atol, 'symmetry');
    expectClose(await host(jacrev(jacfwd(u))(x)), H, c.rtol, c.atol, 'jacrev(jacfwd)');
  });
});

describeBackends(
  'Jacobians and Hessians vs central differences',
  () => {
    for (const k of COMPOSITES) {
      it(`jacobian: ${k.name}`, async () => {
        const x = randomTensor(k.inShape, 81);
        const fd = await fdJacobian(k.f, [x]);
        expectClose(await host(jacobian(k.f)(x)), fd.jac[0]!, 1e-6, 1e-7, 'jacobian');
      });
    }

    it('MLP parameter gradient and hessian blocks', async () => {
      const p = mlpParams('float64');
      const X = randomTensor([5, 2], 61),
        Y = randomTensor([5, 1], 62);
      const L = mlpLoss(X, Y);
      const flatL = (...ts: Tensor[]) => L(Object.fromEntries(KEYS.map((k, i) => [k, ts[i]!])) as Params);
      const leaves = KEYS.map((k) => p[k]);
      const fdG = await fdJacobian(flatL, leaves);
      const g = grad(L)(p);
      for (const [i, k] of KEYS.entries()) expectClose(await host(g[k]), fdG.jac[i]!, 1e-6, 1e-8, `grad ${k}`);
      // the Hessian's rows for W2 are the Jacobian of ∂L/∂W2, by differences of the gradient
      const gW2 = (...ts: Tensor[]) => grad(flatL, { argnums: KEYS.indexOf('W2') })(...ts) as Tensor;
      const fdH = await fdJacobian(gW2, leaves);
      const H = hessian(L)(p);
      for (const [i, k] of KEYS.entries()) expectClose(await host(H.W2[k]), fdH.jac[i]!, 1e-6, 1e-8, `H[W2][${k}]`);
    });
  },
  { float32: false },
);

describeBackends(
  'Jacobian layout',
  () => {
    it('is [...outShape, ...inShape], with zero blocks where an output ignores an input', async () => {
      const f = (x: Tensor) => tensor([[1, 2]], { dtype: x.dtype }).mul(x.sum());
      const x = tensor([[1, 2, 3]], { dtype: 'float64' });
      for (const jac of [jacfwd, jacrev, jacobian]) {
        const j = jac(f)(x);
        expect(j.shape).toEqual([1, 2, 1, 3]);
        expect(await j.array()).toEqual([[[[1, 1, 1]], [[2, 2, 2]]]]);
        const z = jac((_: Tensor) => tensor([4, 5], { dtype: 'float64' }))(x);
        expect(await z.array()).toEqual([[[0, 0, 0]], [[0, 0, 0]]]);
      }
    });
  },
  { float32: false },
);
