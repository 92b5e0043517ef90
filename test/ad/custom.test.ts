// customJvp and customVjp: the user's rule is what every transformation uses (forward, reverse
// through the transposed JVP rule, nested), pytree arguments, stopGradient, and the refusal of
// forward mode for a custom VJP. Expected values are closed forms.

import { expect, it } from 'vitest';
import {
  type Tensor,
  ShapeError,
  TransformError,
  customJvp,
  customVjp,
  grad,
  hessian,
  hvp,
  jacfwd,
  jacrev,
  jvp,
  stopGradient,
  tensor,
  vjp,
} from '../../src/index.js';
import { describeBackends } from '../helpers/backends.js';
import { expectClose, host } from '../helpers/finiteDiff.js';

describeBackends('custom rules', (c) => {
  const T = (v: number[] | number) => tensor(v as number[], { dtype: c.dtype });
  const close = async (t: Tensor, expected: number[], what: string) => expectClose(await host(t), expected, c.rtol, c.atol, what);
  const xs = [0.5, -1, 2];

  // sin with a deliberately different rule (3 cos x): shows which derivative each mode uses
  const sin3 = customJvp(
    (x: Tensor) => x.sin(),
    ([x], [t]) => x.cos().mul(3).mul(t),
  );

  it('customJvp: forward and reverse mode both use the rule (reverse by transposing it)', async () => {
    const [out, t] = jvp(sin3, [T(xs)], [T([1, 2, 3])]);
    await close(out, xs.map(Math.sin), 'value');
    await close(
      t,
      xs.map((x, i) => 3 * Math.cos(x) * (i + 1)),
      'jvp',
    );
    await close(
      grad((x: Tensor) => sin3(x).sum())(T(xs)),
      xs.map((x) => 3 * Math.cos(x)),
      'grad',
    );
    const [, pb] = vjp(sin3, T(xs));
    await close(
      pb(T([1, -1, 2]))[0],
      xs.map((x, i) => 3 * Math.cos(x) * [1, -1, 2][i]!),
      'vjp',
    );
  });

  it('customJvp nests: higher derivatives differentiate the rule', async () => {
    // d/dx (3 cos x) = -3 sin x, in every combination
    const expected = xs.map((x) => -3 * Math.sin(x));
    const d1 = (x: Tensor) => grad((y: Tensor) => sin3(y).sum())(x);
    await close(grad((x: Tensor) => d1(x).sum())(T(xs)), expected, 'grad of grad');
    await close(jvp(d1, [T(xs)], [T([1, 1, 1])])[1], expected, 'jvp of grad');
    const f1 = (x: Tensor) => jvp(sin3, [x], [T([1, 1, 1])])[1] as Tensor;
    await close(grad((x: Tensor) => f1(x).sum())(T(xs)), expected, 'grad of jvp');
    await close(jvp(f1, [T(xs)], [T([1, 1, 1])])[1], expected, 'jvp of jvp');
  });

  it('customJvp with the rule given the output: a stable log-sum-exp whose Hessian is diag(p) - p pᵀ', async () => {
    const lse = customJvp(
      (x: Tensor) => x.logsumexp(),
      ([x], [t], out) => x.sub(out).exp().mul(t).sum(),
    );
    const v = [1000, 1001, 999];
    const m = Math.max(...v);
    const e = v.map((x) => Math.exp(x - m));
    const p = e.map((x) => x / e.reduce((a, b) => a + b, 0));
    await close(grad(lse)(T(v)), p, 'softmax');
    const H = hessian(lse)(T(v));
    await close(
      H,
      p.flatMap((pi, i) => p.map((pj, j) => (i === j ? pi : 0) - pi * pj)),
      'hessian',
    );
  });

  it('customJvp gives a derivative where the traced graph has none: a safe norm at 0', async () => {
    const naive = (x: Tensor) => x.square().sum().sqrt();
    const safe = customJvp(naive, ([x], [t], out) => x.mul(t).sum().div(out.maximum(1e-30)));
    expect((await host(grad(naive)(T([0, 0])))).every(Number.isNaN)).toBe(true);
    await close(grad(safe)(T([0, 0])), [0, 0], 'at zero');
    await close(grad(safe)(T([3, 4])), [0.6, 0.8], 'away from zero');
  });

  it('customJvp with several tree arguments; known-zero tangents are given as zeros', async () => {
    const f = customJvp(
      (p: { a: Tensor; b: Tensor }, k: Tensor) => p.a.mul(p.b).mul(k).sum(),
      ([p, k], [tp, tk]) => tp.a.mul(p.b).mul(k).add(p.a.mul(tp.b).mul(k)).add(p.a.mul(p.b).mul(tk)).sum(),
    );
    const a = T(xs),
      b = T([1, 2, 3]),
      k = T([2, 2, 2]);
    const g = grad(f, { argnums: [0, 1] })({ a, b }, k);
    await close(g[0].a, [2, 4, 6], 'd/da');
    await close(
      g[0].b,
      xs.map((x) => 2 * x),
      'd/db',
    );
    await close(
      g[1],
      xs.map((x, i) => x * (i + 1)),
      'd/dk',
    );
    const [, t] = jvp((q: Tensor) => f({ a: q, b }, k), [a], [T([1, 0, 0])]);
    await close(t, [2], 'jvp with zero tangents for b and k');
  });

  it('customVjp: reverse mode uses the rule (gradient clipping)', async () => {
    const clip = customVjp(
      (x: Tensor) => x,
      (_res: unknown, g: Tensor) => [g.maximum(-1).minimum(1)],
    );
    await close(grad((x: Tensor) => clip(x).mul(10).sum())(T(xs)), [1, 1, 1], 'clipped');
    await close(grad((x: Tensor) => clip(x).mul(0.5).sum())(T(xs)), [0.5, 0.5, 0.5], 'not clipped');
  });

  it('customVjp with fwd residuals, nested in reverse mode', async () => {
    let fwdCalls = 0;
    const sinV = customVjp(
      (x: Tensor) => x.sin(),
      (x: Tensor) => {
        fwdCalls++;
        return [x.sin(), x.cos()];
      },
      (cos: Tensor, g: Tensor) => [g.mul(cos)],
    );
    const y = sinV(T(xs));
    await close(y, xs.map(Math.sin), 'value');
    expect(fwdCalls).toBe(0); // fwd runs only under differentiation
    await close(grad((x: Tensor) => sinV(x).sum())(T(xs)), xs.map(Math.cos), 'grad');
    expect(fwdCalls).toBe(1);
    await close(
      grad((x: Tensor) => grad((z: Tensor) => sinV(z).sum())(x).sum())(T(xs)),
      xs.map((x) => -Math.sin(x)),
      'grad of grad',
    );
    await close(jacrev(jacrev((x: Tensor) => sinV(x).sum()))(T([0.5])), [-Math.sin(0.5)], 'jacrev of jacrev');
    await close(
      hvp((x: Tensor) => sinV(x).sum(), T(xs), T([1, 2, 3]), { mode: 'rev-rev' }),
      xs.map((x, i) => -Math.sin(x) * (i + 1)),
      'hvp rev-rev',
    );
  });

  it('customVjp under forward mode raises a TransformError saying so', () => {
    const sq = customVjp(
      (x: Tensor) => x.square(),
      ({ args: [x] }: { args: Tensor[] }, g: Tensor) => [g.mul(x!).mul(2)],
    );
    const x = T(xs);
    expect(() => jvp(sq, [x], [x])).toThrow(TransformError);
    expect(() => jvp(sq, [x], [x])).toThrow(/custom VJP.*forward mode/);
    expect(() => jacfwd(sq)(x)).toThrow(TransformError);
    expect(() => hvp((y: Tensor) => sq(y).sum(), x, x, { mode: 'rev-fwd' })).toThrow(TransformError);
    // forward over a gradient whose rule reads the custom node's own output meets the node
    const expV = customVjp(
      (y: Tensor) => y.exp(),
      ({ out }: { out: Tensor }, g: Tensor) => [g.mul(out)],
    );
    expect(() => hessian((y: Tensor) => expV(y).sum())(x)).toThrow(/custom VJP.*forward mode/);
    expect(() => hvp((y: Tensor) => expV(y).sum(), x, x)).toThrow(TransformError);
    // no error when no tangent reaches the node
    expect(() => jvp((y: Tensor) => y.add(sq(T(xs))), [x], [x])).not.toThrow();
  });

  it('forward over reverse works when the VJP rule does not read the custom output', async () => {
    // the gradient 2x·g is built from the argument only, so the forward walk never meets the node
    const sq = customVjp(
      (x: Tensor) => x.square(),
      ({ args: [x] }: { args: Tensor[] }, g: Tensor) => [g.mul(x!).mul(2)],
    );
    await close(hessian((y: Tensor) => sq(y).sum())(T(xs)), [2, 0, 0, 0, 2, 0, 0, 0, 2], 'hessian');
    await close(
      hvp((y: Tensor) => sq(y).sum(), T(xs), T([1, 2, 3])),
      [2, 4, 6],
      'hvp fwd-rev',
    );
  });

  it('stopGradient is a constant for every transformation', async () => {
    const f = (x: Tensor) => stopGradient(x.square()).mul(x).sum();
    await close(
      grad(f)(T(xs)),
      xs.map((x) => x * x),
      'grad',
    );
    await close(jvp(f, [T(xs)], [T([1, 1, 1])])[1], [xs.reduce((s, x) => s + x * x, 0)], 'jvp');
    await close(hessian(f)(T(xs)), [0, 0, 0, 0, 0, 0, 0, 0, 0], 'hessian');
  });

  it('rules returning the wrong shape or count are reported', () => {
    const badJ = customJvp(
      (x: Tensor) => x.sin(),
      ([x], [t]) => x.sum().mul(t.sum()),
    );
    expect(() => jvp(badJ, [T(xs)], [T(xs)])).toThrow(ShapeError);
    expect(() => jvp(badJ, [T(xs)], [T(xs)])).toThrow(/customJvp.*\[3\]/);
    const badV = customVjp(
      (x: Tensor, y: Tensor) => x.mul(y),
      // @ts-expect-error one cotangent for two arguments
      (_r: unknown, g: Tensor) => [g],
    );
    expect(() => grad((x: Tensor) => badV(x, x).sum())(T(xs))).toThrow(TransformError);
    const badS = customVjp(
      (x: Tensor) => x.sin(),
      (_r: unknown, g: Tensor) => [g.sum()],
    );
    expect(() => grad((x: Tensor) => badS(x).sum())(T(xs))).toThrow(ShapeError);
    expect(() => customJvp((x: Tensor) => x, 'rule' as never)).toThrow(TransformError);
    // @ts-expect-error f takes no arguments
    const notTensor = customJvp((() => [T(1)]) as unknown as () => Tensor, ([x]) => x);
    expect(() => notTensor()).toThrow(TransformError);
  });
});
