// Fused ops (softmax, logSoftmax, layerNorm, attention) against their compositions written here
// with basic ops: value, jvp, vjp, hvp in its three modes, jet to order 4 and collapsed Taylor
// mode agree to rounding (normwise, 1e-13 in float64; 3e-5 on cpu32 and webgpu). The
// fused ops' derivatives come from their own explicit rules, the compositions' from the
// primitives' rules: two independent derivations.

import { expect, it } from 'vitest';
import {
  type DType,
  type Tensor,
  attention,
  collapsedJet,
  grad,
  hvp,
  jet,
  jetDirections,
  jvp,
  layerNorm,
  logSoftmax,
  nn,
  softmax,
  stack,
  tensor,
  vjp,
  where,
} from '../../src/index.js';
import { type BackendCase, describeBackends } from '../helpers/backends.js';
import { dot, expectClose, expectScalarClose, fdJacobian, fdSecond, randomData } from '../helpers/finiteDiff.js';

/** max |a − b| <= tol · max(1, max |b|): rounding-level agreement of two computations of one value. */
export async function expectAgree(a: Tensor, b: Tensor, tol: number, what: string): Promise<void> {
  expect(a.shape, `${what}: shape`).toEqual(b.shape);
  const x = await a.data(),
    y = await b.data();
  let diff = 0,
    scale = 1;
  for (let i = 0; i < y.length; i++) {
    diff = Math.max(diff, Math.abs(x[i]! - y[i]!));
    scale = Math.max(scale, Math.abs(y[i]!));
  }
  expect(Number.isFinite(diff), `${what}: finite`).toBe(true);
  expect(diff / scale, `${what}: max |diff| ${diff} (scale ${scale})`).toBeLessThanOrEqual(tol);
}

/** A seeded tensor of `shape` with entries uniform in [-2, 2). */
function randomIn(shape: number[], seed: number, dtype: DType): Tensor {
  return tensor(
    randomData(
      shape.reduce((p, d) => p * d, 1),
      seed,
    ),
    { shape, dtype },
  );
}

// ----- the compositions, written with basic ops -----

const softmaxC = (x: Tensor, axis: number): Tensor => x.exp().div(x.exp().sum(axis, true));
const logSoftmaxC = (x: Tensor, axis: number): Tensor => x.sub(x.exp().sum(axis, true).log());
const layerNormC = (x: Tensor, axes: number[], eps: number): Tensor => {
  const c = x.sub(x.mean(axes, true));
  return c.div(c.square().mean(axes, true).add(eps).sqrt());
};
const attentionC = (q: Tensor, k: Tensor, v: Tensor, mask: Tensor | null, scale: number): Tensor => {
  const s = q.matmul(k.transpose([0, 2, 1])).mul(scale);
  return softmaxC(mask ? where(mask, s, -1e30) : s, -1).matmul(v);
};

interface Case {
  name: string;
  shapes: number[][];
  fused: (...xs: Tensor[]) => Tensor;
  composed: (...xs: Tensor[]) => Tensor;
}

function cases(c: BackendCase): Case[] {
  const mask = tensor(
    [
      [1, 1, 0],
      [1, 1, 1],
    ],
    { dtype: c.dtype },
  ); // row 0 does not see key 2
  const w = tensor(randomData(4, 5), { dtype: c.dtype });
  return [
    { name: 'softmax (last axis)', shapes: [[3, 4]], fused: (x) => softmax(x), composed: (x) => softmaxC(x, 1) },
    { name: 'softmax (axis 0, as a method)', shapes: [[3, 4]], fused: (x) => x.softmax(0), composed: (x) => softmaxC(x, 0) },
    { name: 'logSoftmax', shapes: [[3, 4]], fused: (x) => logSoftmax(x, -1), composed: (x) => logSoftmaxC(x, 1) },
    {
      name: 'layerNorm with weight and bias',
      shapes: [[3, 4], [4], [4]],
      fused: (x, wt, bs) => layerNorm(x, { weight: wt, bias: bs }),
      composed: (x, wt, bs) => layerNormC(x, [1], 1e-5).mul(wt!).add(bs!),
    },
    {
      name: 'layerNorm over two axes, fixed weight',
      shapes: [[2, 3, 2]],
      fused: (x) => nn.layerNorm(x, { axis: [1, 2], eps: 0.1, weight: w.slice([0], [2]) }),
      composed: (x) => layerNormC(x, [1, 2], 0.1).mul(w.slice([0], [2])),
    },
    {
      name: 'attention',
      shapes: [
        [2, 2, 3],
        [2, 3, 3],
        [2, 3, 2],
      ],
      fused: (q, k, v) => attention(q, k, v),
      composed: (q, k, v) => attentionC(q, k, v, null, 1 / Math.sqrt(3)),
    },
    {
      name: 'attention with a mask and a scale',
      shapes: [
        [2, 2, 3],
        [2, 3, 3],
        [2, 3, 2],
      ],
      fused: (q, k, v) => nn.attention(q, k, v, { mask, scale: 0.8 }),
      composed: (q, k, v) => attentionC(q, k, v, mask, 0.8),
    },
  ];
}

describeBackends('fused ops agree with their compositions', (c) => {
  // normwise; measured at most 3.4e-15 (float64) and 3.1e-6 (float32: both sides round at every
  // op, and order-4 coefficients amplify it)
  const tol = c.dtype === 'float64' ? 1e-13 : 3e-5;
  const T = (shape: number[], seed: number): Tensor => randomIn(shape, seed, c.dtype);

  for (const cs of cases(c)) {
    const xs = cs.shapes.map((s, i) => T(s, 10 + i));
    const dirs = (seed: number): Tensor[] => cs.shapes.map((s, i) => T(s, seed + 7 * i));
    const weights = (t: Tensor): Tensor => T(t.shape, 99).mul(2);
    // a scalar loss that is not quadratic, so every second-order term matters
    const loss = (f: (...a: Tensor[]) => Tensor) => (args: Tensor[]) => {
      const y = f(...args);
      return y.mul(weights(y)).sin().sum();
    };

    it(`${cs.name}: value, jvp and vjp`, async () => {
      await expectAgree(cs.fused(...xs), cs.composed(...xs), tol, 'value');
      const ts = dirs(20);
      await expectAgree(jvp(cs.fused, xs, ts)[1], jvp(cs.composed, xs, ts)[1], tol, 'jvp');
      const [y, back] = vjp(cs.fused, ...xs);
      const [, backC] = vjp(cs.composed, ...xs);
      const ct = weights(y);
      const [gs, gsC] = [back(ct), backC(ct)];
      for (let i = 0; i < xs.length; i++) await expectAgree(gs[i]!, gsC[i]!, tol, `vjp[${i}]`);
    });

    it(`${cs.name}: hvp in three modes`, async () => {
      const v = dirs(30);
      const want = hvp(loss(cs.composed), xs, v);
      for (const mode of ['fwd-rev', 'rev-fwd', 'rev-rev'] as const) {
        const got = hvp(loss(cs.fused), xs, v, { mode });
        for (let i = 0; i < xs.length; i++) await expectAgree(got[i]!, want[i]!, tol, `hvp ${mode} [${i}]`);
      }
    });

    it(`${cs.name}: jet to order 4 and collapsed Taylor mode`, async () => {
      const series = xs.map((_, i) => [1, 2, 3, 4].map((k) => dirs(40 + 10 * k)[i]!));
      const [y, zs] = jet(cs.fused, xs, series);
      const [yC, zsC] = jet(cs.composed, xs, series);
      await expectAgree(y, yC, tol, 'jet primal');
      for (let k = 0; k < 4; k++) await expectAgree(zs[k]!, zsC[k]!, tol, `jet Z${k + 1}`);
      // collapsed (K = 4, 2 directions): the summed top equals the composition's summed top
      const R = 2;
      const lower = xs.map((x, i) => [1, 2, 3].map((k) => T([R, ...x.shape], 200 + 10 * k + i)));
      const top = xs.map((x, i) => T(x.shape, 300 + i));
      const [, col] = collapsedJet((...a) => cs.fused(...a), xs, lower, top, { order: 4 });
      const [, colC] = collapsedJet((...a) => cs.composed(...a), xs, lower, top, { order: 4 });
      for (let k = 0; k < 3; k++) await expectAgree(col.lower[k]!, colC.lower[k]!, tol, `collapsed lower ${k + 1}`);
      await expectAgree(col.top, colC.top, tol, 'collapsed top');
      // and jetDirections of the fused op: each direction is its own jet
      const dser = xs.map((_, i) => [1, 2].map((k) => lower[i]![k - 1]!));
      const [, zd] = jetDirections(cs.fused, xs, dser);
      const [, zdC] = jetDirections(cs.composed, xs, dser);
      await expectAgree(zd[1]!, zdC[1]!, tol, 'jetDirections Z2');
    });
  }
});

describeBackends(
  'double backward through attention against float64 finite differences',
  () => {
    const T = (shape: number[], seed: number): Tensor => randomIn(shape, seed, 'float64');
    const [q, k, v] = [T([2, 3, 4], 1), T([2, 5, 4], 2), T([2, 5, 3], 3)];
    const target = T([2, 3, 3], 4);
    const mask = tensor(
      [
        [1, 1, 1, 0, 0],
        [1, 1, 1, 1, 0],
        [1, 1, 1, 1, 1],
      ],
      { dtype: 'float64' },
    ); // causal-like
    const att = (a: Tensor, b: Tensor, c: Tensor): Tensor => attention(a, b, c, { mask });
    const attC = (a: Tensor, b: Tensor, c: Tensor): Tensor => attentionC(a, b, c, mask, 0.5);
    // MAML: one inner gradient step on q, then the outer loss; its gradient needs ∇² through attention
    const meta = (f: typeof att) => (q0: Tensor) => {
      const inner = (qq: Tensor): Tensor => f(qq, k, v).sub(target).square().sum();
      const adapted = q0.sub(grad(inner)(q0).mul(0.3));
      return f(adapted, k, v).sin().sum();
    };

    it('the meta-gradient (grad of a loss after a grad step) matches central differences and the composition', async () => {
      const g = grad(meta(att))(q);
      const { jac } = await fdJacobian(meta(att), [q]);
      expectClose(await g.data(), jac[0]!, 1e-7, 1e-8, 'meta-gradient vs finite differences');
      await expectAgree(g, grad(meta(attC))(q), 1e-12, 'meta-gradient vs composition');
    });

    it('wᵀ (∇² L) u by hvp rev-rev and fwd-rev matches the four-point formula', async () => {
      const L = (a: Tensor, b: Tensor, c: Tensor): Tensor => att(a, b, c).mul(target).sin().sum();
      const xs = [q, k, v];
      const us = xs.map((x, i) => T(x.shape, 10 + i)),
        ws = xs.map((x, i) => T(x.shape, 20 + i));
      const want = await fdSecond(
        L,
        xs,
        await Promise.all(us.map(async (u) => Array.from(await u.data()))),
        await Promise.all(ws.map(async (w) => Array.from(await w.data()))),
      );
      for (const mode of ['rev-rev', 'fwd-rev'] as const) {
        const h = hvp((p: Tensor[]) => L(p[0]!, p[1]!, p[2]!), xs, us, { mode });
        let got = 0;
        for (let i = 0; i < 3; i++) got += dot(await h[i]!.data(), await ws[i]!.data());
        expectScalarClose(got, want, 1e-6, 1e-7, 1, `wᵀHu (${mode})`);
      }
    });
  },
  { float32: false },
);

describeBackends('fused ops: stable values against plain JS', (c) => {
  it('softmax and logSoftmax of large inputs stay finite and exact (max subtraction, logsumexp)', async () => {
    const x = tensor(
      [
        [1000, 0, -1000],
        [-800, -801, -800],
      ],
      { dtype: c.dtype },
    );
    const ref = (row: number[]): number[] => {
      const m = Math.max(...row);
      const s = row.reduce((a, v) => a + Math.exp(v - m), 0);
      return row.map((v) => v - m - Math.log(s));
    };
    const want = [...ref([1000, 0, -1000]), ...ref([-800, -801, -800])];
    expectClose(await logSoftmax(x).data(), want, c.rtol, c.atol, 'logSoftmax');
    expectClose(await softmax(x).data(), want.map(Math.exp), c.rtol, c.atol, 'softmax');
    const g = await grad((y: Tensor) =>
      logSoftmax(y)
        .mul(
          tensor(
            [
              [1, 2, 3],
              [0, 1, 0],
            ],
            { dtype: c.dtype },
          ),
        )
        .sum(),
    )(x).data();
    expect(Array.from(g).every(Number.isFinite)).toBe(true);
  });

  it('attention: a fully masked row attends uniformly; masked keys get no weight', async () => {
    const q = tensor(
        [
          [
            [1, 0],
            [0, 1],
          ],
        ],
        { dtype: c.dtype },
      ),
      k = tensor(
        [
          [
            [1, 2],
            [3, -1],
            [0, 0.5],
          ],
        ],
        { dtype: c.dtype },
      ),
      v = tensor(
        [
          [
            [1, 10],
            [2, 20],
            [4, 40],
          ],
        ],
        { dtype: c.dtype },
      );
    const mask = tensor(
      [
        [0, 0, 0],
        [1, 0, 1],
      ],
      { dtype: c.dtype },
    );
    const o = await attention(q, k, v, { mask, scale: 1 }).data();
    // row 0: uniform over the three keys; row 1: softmax of scores 2 and 0.5 over keys 0 and 2
    const w0 = 1 / (1 + Math.exp(0.5 - 2)),
      w2 = 1 - w0;
    expectClose(o, [7 / 3, 70 / 3, w0 * 1 + w2 * 4, w0 * 10 + w2 * 40], c.rtol, c.atol, 'attention');
  });
});

describeBackends(
  'fused rules are polymorphic in leading (batch) axes',
  (c) => {
    // The rules of a fused node, applied to primals with a batch axis in front, give each batch
    // entry's own results: what a batching transformation relies on to keep the node fused.
    const T = (shape: number[], seed: number): Tensor => randomIn(shape, seed, c.dtype);
    // layerNorm's weight and bias are ordinary ops after the fused normalization: test that alone
    const normalization = { name: 'layerNorm over two axes', shapes: [[2, 3, 2]], fused: (...xs: Tensor[]) => layerNorm(xs[0]!, { axis: [1, 2], eps: 0.1 }) };
    for (const cs of [...cases(c).filter((k) => !k.name.startsWith('layerNorm')), normalization]) {
      it(`${cs.name}: jet (K = 2) and vjp rules on stacked primals`, async () => {
        const batches = [0, 1].map((b) => cs.shapes.map((s, i) => T(s, 50 + 10 * b + i)));
        const out = cs.fused(...batches[0]!);
        expect(out.node.op).toBe('custom');
        const rules = out.node.p('custom').rules;
        const stacked = cs.shapes.map((_, i) => stack([batches[0]![i]!, batches[1]![i]!]));
        const series = stacked.map((x, i) => [1, 2].map((k) => T([1, ...x.shape], 70 + 3 * k + i)));
        const outB = stack(batches.map((xs) => cs.fused(...xs)));
        const zs = rules.jet!(stacked, series, outB, 2) as Tensor[];
        const g = T(outB.shape, 80);
        const cts = rules.vjp!(stacked, outB, g) as Tensor[];
        for (let b = 0; b < 2; b++) {
          const one = (t: Tensor): Tensor => t.slice([b], [b + 1]).squeeze(0);
          const oneCoef = (t: Tensor): Tensor => t.slice([0, b], [1, b + 1]).squeeze(1);
          const [, want] = jet(
            cs.fused,
            batches[b]!,
            series.map((s) => s.map((k) => one(k.squeeze(0)))),
          );
          for (let k = 0; k < 2; k++) await expectAgree(oneCoef(zs[k]!).squeeze(0), want[k]!, 1e-12, `batch ${b} Z${k + 1}`);
          const [, back] = vjp(cs.fused, ...batches[b]!);
          const wantCt = back(one(g));
          for (let i = 0; i < cs.shapes.length; i++) await expectAgree(one(cts[i]!), wantCt[i]!, 1e-12, `batch ${b} vjp[${i}]`);
        }
      });
    }
  },
  { float32: false },
);
