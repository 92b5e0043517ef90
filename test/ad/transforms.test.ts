// Behaviour of the public transformations jvp, vjp, grad and valueAndGrad: several arguments,
// pytrees in and out, argnums, laziness, pullbacks reused and called after outputs were read.
// Expected values are closed forms computed here in float64.

import { expect, it } from 'vitest';
import { type Tensor, grad, jvp, profile, tensor, valueAndGrad, vjp } from '../../src/index.js';
import { describeBackends } from '../helpers/backends.js';
import { expectClose, host } from '../helpers/finiteDiff.js';

const xs = [0.3, -1.2, 2.1];
const ys = [1.5, 0.4, -0.7];

describeBackends('jvp / vjp / grad', (c) => {
  const T = (v: number[] | number, shape?: number[]) => tensor(v as number[], { dtype: c.dtype, ...(shape ? { shape } : {}) });
  const close = async (t: Tensor, expected: number[], what: string) => expectClose(await host(t), expected, c.rtol, c.atol, what);

  it('jvp of a two-argument function is the sum of the partial directional derivatives', async () => {
    // f(x, y) = x² sin(y): df = 2x sin(y) dx + x² cos(y) dy
    const f = (x: Tensor, y: Tensor) => x.square().mul(y.sin());
    const dx = [1, 0.5, -2],
      dy = [0.25, -1, 3];
    const [out, t] = jvp(f, [T(xs), T(ys)], [T(dx), T(dy)]);
    await close(
      out,
      xs.map((x, i) => x * x * Math.sin(ys[i]!)),
      'value',
    );
    await close(
      t,
      xs.map((x, i) => 2 * x * Math.sin(ys[i]!) * dx[i]! + x * x * Math.cos(ys[i]!) * dy[i]!),
      'tangent',
    );
  });

  it('jvp accepts a single Tensor primal and null (zero) tangents', async () => {
    const [, t] = jvp((x: Tensor) => x.exp(), T(xs), T([1, 1, 1]));
    await close(t, xs.map(Math.exp), 'single');
    const [, t2] = jvp((x: Tensor, y: Tensor) => x.mul(y), [T(xs), T(ys)], [null, T([1, 1, 1])]);
    await close(t2, xs, 'null tangent');
  });

  it('jvp with pytree arguments and results keeps their structure', async () => {
    const f = (p: { a: Tensor; b: Tensor[] }) => ({ s: p.a.mul(p.b[0]!), d: [p.a.sub(p.b[1]!)] });
    const p = { a: T(xs), b: [T(ys), T([1, 2, 3])] };
    const tp = { a: T([1, 0, 0]), b: [T([0, 1, 0]), T([0, 0, 1])] };
    const [out, t] = jvp(f, [p], [tp]);
    expect(Object.keys(t).sort()).toEqual(['d', 's']);
    expect(Array.isArray(t.d)).toBe(true);
    await close(
      out.s,
      xs.map((x, i) => x * ys[i]!),
      'out.s',
    );
    // d(a b) = da b + a db ; d(a - c) = da - dc
    await close(t.s, [ys[0]!, xs[1]!, 0], 't.s');
    await close(t.d[0]!, [1, 0, -1], 't.d');
  });

  it('jvp of an output that does not depend on the input is zero', async () => {
    const [, t] = jvp((x: Tensor) => [x.sin(), T([5, 6])], [T(xs)], [T([1, 1, 1])]);
    await close(t[1]!, [0, 0], 'independent output');
  });

  it('vjp returns the value and a pullback giving one cotangent per argument', async () => {
    const f = (x: Tensor, y: Tensor) => x.mul(y).sum(0);
    const [out, pullback] = vjp(f, T(xs), T(ys));
    await close(out, [xs.reduce((s, x, i) => s + x * ys[i]!, 0)], 'value');
    const [gx, gy] = pullback(T(2));
    await close(
      gx,
      ys.map((y) => 2 * y),
      'gx',
    );
    await close(
      gy,
      xs.map((x) => 2 * x),
      'gy',
    );
  });

  it('a pullback works after the output and intermediates were read, and can be called again', async () => {
    const x = T(xs);
    let hidden: Tensor | null = null;
    const [out, pullback] = vjp((v: Tensor) => {
      hidden = v.tanh();
      return hidden.mul(v).sum();
    }, x);
    await out.data();
    await hidden!.data(); // realized: the runtime dropped its inputs
    const expected = xs.map((v) => Math.tanh(v) + v * (1 - Math.tanh(v) ** 2));
    await close(pullback(T(1))[0], expected, 'first call');
    await close(
      pullback(T(3))[0],
      expected.map((e) => 3 * e),
      'second call',
    );
  });

  it('grad differentiates argument 0 by default, and the argnums asked for', async () => {
    const f = (x: Tensor, y: Tensor) => x.mul(y.exp()).sum();
    await close(grad(f)(T(xs), T(ys)), ys.map(Math.exp), 'argnums default');
    await close(
      grad(f, { argnums: 1 })(T(xs), T(ys)),
      xs.map((x, i) => x * Math.exp(ys[i]!)),
      'argnums 1',
    );
    await close(
      grad(f, { argnums: -1 })(T(xs), T(ys)),
      xs.map((x, i) => x * Math.exp(ys[i]!)),
      'argnums -1',
    );
    const both = grad(f, { argnums: [1, 0] })(T(xs), T(ys));
    expect(both).toHaveLength(2);
    await close(
      both[0],
      xs.map((x, i) => x * Math.exp(ys[i]!)),
      'argnums [1, 0] first',
    );
    await close(both[1], ys.map(Math.exp), 'argnums [1, 0] second');
  });

  it('grad of a function of a parameter object returns the same object structure', async () => {
    const params = { w: T(xs), b: T(0.5), nested: { v: [T(ys)] } };
    const loss = (p: typeof params, k: Tensor) => p.w.mul(k).add(p.b).square().sum().add(p.nested.v[0]!.sum().mul(p.b));
    const k = T([1, 2, 3]);
    const g = grad(loss)(params, k);
    expect(Object.keys(g).sort()).toEqual(['b', 'nested', 'w']);
    const r = xs.map((w, i) => w * (i + 1) + 0.5);
    await close(
      g.w,
      r.map((ri, i) => 2 * ri * (i + 1)),
      'g.w',
    );
    await close(g.b, [r.reduce((s, ri) => s + 2 * ri, 0) + ys.reduce((a, b) => a + b, 0)], 'g.b');
    await close(g.nested.v[0]!, [0.5, 0.5, 0.5], 'g.nested.v[0]');
    // non-differentiated arguments may be anything
    const g2 = grad((x: Tensor, opts: { scale: number }) => x.mul(opts.scale).sum())(T(xs), { scale: 3 });
    await close(g2, [3, 3, 3], 'with an options argument');
  });

  it('valueAndGrad returns the value with the gradient', async () => {
    const [v, g] = valueAndGrad((x: Tensor) => x.sin().sum())(T(xs));
    await close(v, [xs.reduce((s, x) => s + Math.sin(x), 0)], 'value');
    await close(g, xs.map(Math.cos), 'grad');
    const [v2, gs] = valueAndGrad((x: Tensor, y: Tensor) => x.mul(y).sum(), { argnums: [0, 1] })(T(xs), T(ys));
    await close(v2, [xs.reduce((s, x, i) => s + x * ys[i]!, 0)], 'value 2');
    await close(gs[0], ys, 'grads[0]');
    await close(gs[1], xs, 'grads[1]');
  });

  it('grad of a function not depending on its argument is zero, of the argument itself is one', async () => {
    await close(grad((_x: Tensor) => T(4))(T(xs)), [0, 0, 0], 'constant');
    await close(grad((x: Tensor) => x)(T(2)), [1], 'identity');
    await close(grad((x: Tensor, y: Tensor) => x.add(y).sum(), { argnums: [0, 1] })(T(xs), T(xs))[1], [1, 1, 1], 'same tensor twice');
  });

  it('the same input used twice gets both contributions', async () => {
    const x = T(xs);
    await close(grad((a: Tensor, b: Tensor) => a.mul(b).sum(), { argnums: [0, 1] })(x, x)[0], xs, 'argument 0');
    await close(
      grad((a: Tensor) => a.mul(a).sum())(x),
      xs.map((v) => 2 * v),
      'a * a',
    );
  });

  it('transformations are lazy: nothing runs until a value is read', async () => {
    const f = (x: Tensor) => x.tanh().mul(x).sum();
    const x = T(xs);
    const r = await profile(() => {
      const g = grad(f)(x);
      const [, t] = jvp(f, [x], [x]);
      return [g, t];
    });
    expect(r.kernels).toBe(0);
    expect(r.plans).toBe(0);
    await close(
      r.result[0]!,
      xs.map((v) => Math.tanh(v) + v * (1 - Math.tanh(v) ** 2)),
      'lazy grad',
    );
  });
});
