// Pipeline compilation: compiled pipelines survive init() on the same device, reads compile a
// plan's pipelines asynchronously ahead of it, and a dispose() while that is in flight waits.

import { expect, it } from 'vitest';
import * as W from '../../src/index.js';
import { init, profile, tensor } from '../../src/index.js';
import { describeWebGPU } from './adapter.js';
import { expectClose, gpu, lcg } from './util.js';

describeWebGPU('WebGPU pipeline compilation', () => {
  it('init() again on the same device compiles nothing that was compiled before', async () => {
    const x = tensor(lcg(24, 5)).reshape([4, 6]);
    const f = () => x.mul(1.7).sin().matmul(x.transpose()).tanh().sum(1);
    const first = await profile(() => f().data());
    expect(first.pipelines).toBeGreaterThan(0);
    expect(first.compileMs).toBeGreaterThan(0);
    const device = gpu().device;
    await init({ backend: 'webgpu' });
    expect(gpu().device).toBe(device);
    const again = await profile(() => f().data());
    expect(again.pipelines).toBe(0);
    expect(again.compileMs).toBe(0);
    expectClose(again.result, first.result, 0, 0);
  });

  it('a read of a new computation started before dispose() still returns its value', async () => {
    const x = tensor(lcg(40, 9));
    const y = x.mul(2.5).cos().add(x.square().mul(0.25)).exp(); // kernels never compiled before
    const pending = y.data();
    y.dispose(); // while the pipelines compile
    expect(() => y.add(1)).toThrow(/disposed/);
    const xs = await x.data();
    const want = Array.from(xs, (v) => Math.exp(Math.cos(2.5 * v) + 0.25 * v * v));
    expectClose(await pending, want, 1e-5, 1e-6);
    await expect(y.data()).rejects.toThrow(/disposed/);
  });

  it('two reads of the same new computation share one plan', async () => {
    const x = tensor(lcg(16, 11));
    const y = x.mul(0.3).exp().sub(x.mul(-0.3).exp()).mul(0.5); // sinh(0.3 x)
    const p = await profile(() => Promise.all([y.data(), y.data(), W.evaluate(y)]));
    const [a, b] = p.result;
    expectClose(a, b, 0, 0);
    expect(p.plans).toBe(1);
  });
});
