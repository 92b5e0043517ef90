// Regression tests for WebGPU results that were silently wrong or stale: pipelines shared by
// kernels that need different ones (the uniform block's size), outputs of a plan WebGPU rejected,
// wgad's own words before WebGPU's, and nothing retained per readback.

import { expect, it } from 'vitest';
import * as W from '../../src/index.js';
import { BackendError, type Tensor, add, div, evaluate, init, jet, mul, sub, tensor, where } from '../../src/index.js';
import { WebGpuBackend } from '../../src/backend/webgpu/backend.js';
import { schedule } from '../../src/schedule/scheduler.js';
import { describeWebGPU } from './adapter.js';
import { expectClose, gpu, lcg } from './util.js';

const S = (v: number): Tensor => tensor(v);

/** A scalar function of 5 inputs: sin, exp, tanh, products of reductions and a division. */
const five = (x: Tensor): Tensor => {
  const [a, b, c, d, e] = [0, 1, 2, 3, 4].map((i) => x.slice([i], [i + 1]).reshape([]));
  const s1 = x.sin().sum(),
    s2 = x.mul(0.3).exp().sum();
  return s1
    .mul(s2)
    .add(a!.mul(b!).tanh())
    .add(div(c!.mul(d!), e!.square().add(1.5)))
    .add(x.square().sum().mul(0.25));
};

describeWebGPU('WebGPU reliability', () => {
  it("jet after another jet: a pipeline is never reused by a kernel with another uniform block (issue 8's reproducer)", async () => {
    const f1 = (x: Tensor): Tensor => mul(div(x.exp().cos(), -1.2495678663253784).neg().exp().log(), 0.2652638256549835).square();
    await evaluate(jet(f1, [S(1.1673530340194702)], [[S(0.1349952518939972), S(1.294342041015625), S(-1.3066415786743164), S(1.2440155744552612)]])[1]);
    const f2 = (x: Tensor): Tensor =>
      mul(
        where(S(1), S(-0.5282936096191406), add(0.03613527864217758, mul(0.10488102585077286, x.cos().log()).pow(2))),
        sub(-0.5271305441856384, div(x, 0.35523730516433716)).pow(2),
      );
    const [o, zs] = jet(f2, [S(0.35492292046546936)], [[S(0.84434574842453), S(0.6157656908035278), S(0.7770912647247314), null]]);
    await evaluate(o, zs);
    // where(1, c, ...) = c: f2 = c (q - x/h)^2 with c, q, h the literals; its derivatives along the
    // series x(t) = x0 + t1 t + t2 t^2/2 + t3 t^3/6 are closed forms in float64
    const c = -0.5282936096191406,
      q = -0.5271305441856384,
      h = 0.35523730516433716,
      x0 = 0.35492292046546936;
    const [t1, t2, t3] = [0.84434574842453, 0.6157656908035278, 0.7770912647247314];
    const u = q - x0 / h,
      [u1, u2, u3] = [-t1 / h, -t2 / h, -t3 / h];
    // y = c u^2: y' = 2c u u1, y'' = 2c (u1^2 + u u2), y''' = 2c (3 u1 u2 + u u3), y'''' = 2c (3 u2^2 + 4 u1 u3)
    const want = [c * u * u, 2 * c * u * u1, 2 * c * (u1 * u1 + u * u2), 2 * c * (3 * u1 * u2 + u * u3), 2 * c * (3 * u2 * u2 + 4 * u1 * u3)];
    const got = [await o.item(), ...(await Promise.all((zs as (Tensor | null)[]).map((z) => z!.item())))];
    expectClose(got, want, 1e-4, 1e-5, 'f2 and its jet');
  });

  it('hessian and hvp after f(x) and grad(f)(x) agree with the CPU in float64', async () => {
    const xs = [0.3, -0.7, 1.1, 0.4, -0.2],
      v = [0.5, 1, -1, 0.25, 2];
    await init({ backend: 'cpu' });
    const x64 = tensor(xs, { dtype: 'float64' }),
      v64 = tensor(v, { dtype: 'float64' });
    const H64 = await W.hessian(five)(x64).data(),
      hv64 = await W.hvp(five, x64, v64).data();
    await init({ backend: 'webgpu' });
    const x = tensor(xs),
      vv = tensor(v);
    await five(x).data();
    await W.grad(five)(x).data();
    expectClose(await W.hessian(five)(x).data(), H64, 1e-4, 1e-4, 'hessian');
    expectClose(await W.hvp(five, x, vv).data(), hv64, 1e-4, 1e-4, 'hvp');
  });

  it('kernels that differ only in how many scalars they carry each get the right uniforms', async () => {
    // the same op structure with 1..9 distinct constants: uniform blocks of 1, 2 and 3 vec4s
    const x = tensor(lcg(8, 3));
    for (let n = 1; n <= 9; n++) {
      let y = x;
      const cs = Array.from({ length: n }, (_, i) => 0.5 + i);
      for (const c of cs) y = y.mul(c).add(c);
      const want = Array.from(await x.data(), (v) => cs.reduce((acc, c) => Math.fround(Math.fround(acc * c) + c), v));
      expectClose(await y.data(), want, 1e-6, 1e-6, `${n} scalars`);
    }
  });

  it('buffers a plan frees while it is encoded outlive its submit, also beyond the pool (no "used in submit while destroyed")', async () => {
    // a pool that keeps nothing: every buffer freed after its last read in the plan is destroyed
    const b = new WebGpuBackend(gpu().info, { poolBytes: 0 });
    const xs = lcg(1024, 5);
    const x = tensor(xs);
    // three reductions in a row: each intermediate is freed in the middle of the plan
    const s1 = x.exp().sum();
    const s2 = x.mul(s1).tanh().sum();
    const out = x.add(s2).mul(x.sub(s1).sum());
    const { plan } = schedule([out.node]);
    expect(plan.kernels.length).toBeGreaterThanOrEqual(3);
    const slot = plan.slots.findIndex((s) => s.input === x.node);
    const input = b.upload(Float32Array.from(xs), 'float32');
    const result = b.execute(plan, new Map([[slot, input]]));
    const got = await b.read(result.get([...plan.keep][0]!)!, 'float32', 1024);
    const e1 = xs.reduce((a, v) => a + Math.exp(v), 0);
    const e2 = xs.reduce((a, v) => a + Math.tanh(v * e1), 0);
    const e3 = xs.reduce((a, v) => a + (v - e1), 0);
    expectClose(
      got,
      xs.map((v) => (v + e2) * e3),
      1e-4,
      1e-4,
      'values',
    );
    input.release();
    b.destroy();
  });

  describe_failed_plans();

  it('a readback subscribes nothing that outlives it to the device-lost promise', async () => {
    const info = gpu().info;
    let thens = 0;
    const lost = info.lost;
    const counting = {
      // biome-ignore lint/suspicious/noThenProperty: a thenable standing in for the device-lost promise, counting subscriptions
      then(...a: Parameters<Promise<GPUDeviceLostInfo>['then']>) {
        thens++;
        return lost.then(...a);
      },
    } as unknown as Promise<GPUDeviceLostInfo>;
    const b = new WebGpuBackend({ ...info, lost: counting });
    const buf = b.upload(new Float32Array([1, 2, 3]), 'float32');
    for (let i = 0; i < 50; i++) expect(Array.from(await b.read(buf, 'float32', 3))).toEqual([1, 2, 3]);
    expect(thens).toBe(0);
    expect(info.loss.waiters.size).toBe(0); // each read's loss callback is gone once it settled
    buf.release();
    await init({ backend: 'webgpu' });
  });
});

function describe_failed_plans(): void {
  it('when WebGPU rejects a plan, every output of it and of plans reading them raises, with wgad words first', async () => {
    const x = tensor([1, 2, 3, 4]).mul(2);
    await x.data();
    // a buffer destroyed behind wgad's back: WebGPU rejects the submit that reads it
    (x.node.buffer as { handle: GPUBuffer }).handle.destroy();
    const a = x.exp(),
      b = x.sum(),
      c = x.matmul(tensor([[1], [1], [1], [1]]));
    await evaluate(a, b, c); // building and submitting raise nothing: WebGPU answers later
    for (const t of [a, b, c]) {
      const err = await t.data().then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(BackendError);
      expect((err as Error).message).toMatch(
        /^read: this tensor's value could not be computed: WebGPU rejected the plan of 3 kernels: .*\(a wgad bug: please report it with this message\)\. WebGPU said: /s,
      );
    }
    // a later plan reading a failed output fails too, naming where the failure came from
    const d = a.add(1);
    await expect(d.data()).rejects.toThrow(/an input of the plan of 1 kernel: .* could not be computed: WebGPU rejected the plan of 3 kernels/s);
    // the backend itself is fine
    expect(await tensor([1, 2]).add(1).array()).toEqual([2, 3]);
  });
}
