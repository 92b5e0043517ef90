// Regression tests for build-time errors (issue 8): element counts beyond what the active backend
// holds, init() misuse, messages that name the operands (batched matmul, tensor(null)), and
// tensors that live on a backend which is no longer active. Every error is a typed WgadError,
// thrown when the op is built, with no backend work.

import { afterAll, expect, it } from 'vitest';
import * as W from '../../src/internal.js';
import { ArgumentError, BackendError, DTypeError, ShapeError } from '../../src/index.js';
import { describeBackends } from '../helpers/backends.js';
import { describeWebGPU } from '../webgpu/adapter.js';
import { expectErr } from '../helpers/errors.js';

const any = (v: unknown): never => v as never;

describeBackends('element counts beyond the backend limit', (c) => {
  const limit = (): string => String(W._backend().maxElements);

  it('the backend states its limit: the longest typed array on the CPU, the buffer limits on WebGPU', () => {
    const m = W._backend().maxElements;
    expect(Number.isSafeInteger(m)).toBe(true);
    if (c.backend === 'cpu') expect(m).toBe(2 ** 32 - 1);
    else expect(m).toBeLessThanOrEqual(2 ** 32 - 1);
  });

  it('creation: zeros, ones, full, randn, rand, arange, linspace, tensor({ shape })', () => {
    expectErr(() => W.zeros([1e6, 1e6]), BackendError, 'zeros', '[1000000, 1000000]', '1000000000000 elements', limit());
    expectErr(() => W.ones([1e6, 1e6]), BackendError, 'ones', '[1000000, 1000000]', limit());
    expectErr(() => W.full([1e6, 1e6], 2), BackendError, 'full', '[1000000, 1000000]', limit());
    expectErr(() => W.randn([1e5, 1e5]), BackendError, 'randn', '[100000, 100000]', limit());
    expectErr(() => W.rand([1e5, 1e5]), BackendError, 'rand', '[100000, 100000]', limit());
    expectErr(() => W.arange(1e15), BackendError, 'arange', '[1000000000000000]', limit());
    expectErr(() => W.linspace(0, 1, 1e12), BackendError, 'linspace', '[1000000000000]', limit());
    expectErr(() => W.zeros([2 ** 60, 2 ** 60]), BackendError, 'zeros', limit());
  });

  it('ops whose result is too large: broadcastTo, binary broadcasting, where, matmul, concat, stack, pad', () => {
    const d = c.dtype;
    expectErr(() => W.ones([1], { dtype: d }).broadcastTo([1e6, 1e6]), BackendError, 'broadcastTo', '[1000000, 1000000]', limit());
    expectErr(() => W.ones([1e5, 1], { dtype: d }).add(W.ones([1, 1e5], { dtype: d })), BackendError, 'add', '[100000, 100000]', limit());
    expectErr(() => W.where(W.ones([1e5, 1], { dtype: d }), W.ones([1, 1e5], { dtype: d }), 0), BackendError, 'where', '[100000, 100000]');
    expectErr(
      () => W.ones([1e5, 1], { dtype: d }).matmul(W.ones([1, 1e5], { dtype: d })),
      BackendError,
      'matmul',
      '[100000, 1]',
      '[1, 100000]',
      '[100000, 100000]',
      limit(),
    );
    // a broadcast batch axis makes an operand too large before the product is formed
    expectErr(() => W.ones([1e5, 1, 1], { dtype: d }).matmul(W.ones([1, 1e5], { dtype: d })), BackendError, 'matmul', '[100000, 1, 1]', '[1, 100000]');
    const half = Math.floor(W._backend().maxElements / 2) + 1;
    const big = W.ones([1], { dtype: d }).broadcastTo([half]);
    expectErr(() => W.concat([big, big]), BackendError, 'concat', `[${2 * half}]`, limit());
    expectErr(() => W.stack([big, big]), BackendError, 'stack', `[2, ${half}]`, limit());
    expectErr(() => big.pad([[0, half]]), BackendError, 'pad', `[${2 * half}]`, limit());
  });

  it('empty shapes whose other dimensions are too large (a reduction would create them)', () => {
    expectErr(() => W.zeros([0, 1e15]).sum(0), BackendError, 'zeros', '[0, 1000000000000000]', limit());
    expectErr(() => W.zeros([0]).reshape([0, 1e15]), BackendError, 'reshape', '[0, 1000000000000000]');
    expectErr(() => W.zeros([0, 1]).broadcastTo([0, 1e15]), BackendError, 'broadcastTo', '[0, 1000000000000000]');
    expectErr(() => W.zeros([0, 1e5, 1]).add(W.zeros([1, 1, 1e5])), BackendError, 'add', '[0, 100000, 100000]');
    // within the limit: empty shapes are fine
    expect(W.zeros([0, 1000]).sum(0).shape).toEqual([1000]);
  });

  it('shapes at the limit still build', () => {
    expect(W.ones([1], { dtype: c.dtype }).broadcastTo([W._backend().maxElements]).shape).toEqual([W._backend().maxElements]);
  });
});

describeBackends('init() misuse', (c) => {
  afterAll(async () => {
    await W.init({ backend: c.backend });
  });

  it('a bare string, null, a number: ArgumentError showing the options form', async () => {
    for (const bad of ['cpu', 'webgpu', null, 3, ['cpu']]) {
      const err = await W.init(any(bad)).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err, `init(${JSON.stringify(bad)})`).toBeInstanceOf(ArgumentError);
      expect((err as Error).message).toContain("init({ backend: 'cpu' | 'webgpu' | 'auto' })");
    }
    expect(W._backend().name).toBe(c.backend); // nothing was switched
    expect(await W.init({ backend: 'cpu' })).toBe('cpu');
    expect(await W.init()).toMatch(/^(cpu|webgpu)$/);
  });
});

describeBackends('messages name the operands', (c) => {
  const t = (shape: number[]): W.Tensor => W.zeros(shape, { dtype: c.dtype });

  it('batched matmul: both full shapes and the batch axes that do not broadcast', () => {
    expectErr(() => t([2, 3, 4]).matmul(t([5, 4, 6])), ShapeError, 'matmul', '[2, 3, 4]', '[5, 4, 6]', 'batch', '2 vs 5');
    expectErr(() => t([7, 2, 3, 4]).matmul(t([7, 5, 4, 6])), ShapeError, 'matmul', '[7, 2, 3, 4]', '[7, 5, 4, 6]', '[7, 2]', '[7, 5]');
    expect(t([2, 3, 4]).matmul(t([1, 4, 6])).shape).toEqual([2, 3, 6]);
  });

  it('tensor(): null, undefined, strings, objects and ragged arrays are described as given', () => {
    expectErr(() => W.tensor(any(null)), ArgumentError, 'tensor', 'got null');
    expectErr(() => W.tensor(any(undefined)), ArgumentError, 'tensor', 'got undefined');
    expectErr(() => W.tensor(any('abc')), ArgumentError, 'tensor', 'string');
    expectErr(() => W.tensor(any([1, null])), ArgumentError, 'tensor', 'data[1]', 'got null');
    expectErr(() => W.tensor(any([[1], [undefined]])), ArgumentError, 'tensor', 'data[1][0]', 'got undefined');
    expectErr(() => W.tensor(any({ a: 1 })), ArgumentError, 'tensor', 'Object');
    expectErr(() => W.tensor(any([true])), ArgumentError, 'tensor', 'boolean');
    expectErr(() => W.tensor([[1, 2], [3, 4], [5]]), ShapeError, 'tensor', 'ragged', 'data[2]', '[2]', '[1]');
    expectErr(() => W.tensor([[[1]], [[1, 2]]]), ShapeError, 'tensor', 'ragged', '[1, 1]', '[1, 2]');
  });
});

describeWebGPU('tensors of a backend that is no longer active', () => {
  afterAll(async () => {
    await W.init({ backend: 'webgpu' });
  });

  it('a float64 CPU tensor consumed while WebGPU is active: DTypeError naming the op, at build time', async () => {
    await W.init({ backend: 'cpu' });
    const lazy = W.tensor([1, 2, 3], { dtype: 'float64' });
    const computed = lazy.mul(2);
    await computed.data();
    await W.init({ backend: 'webgpu' });
    expectErr(() => lazy.exp(), DTypeError, 'exp', 'float64', 'WebGPU');
    expectErr(() => computed.add(1), DTypeError, 'add', 'float64');
    expectErr(() => W.matmul(computed.reshape([1, 3]).astype('float32'), W.ones([3, 1])), DTypeError, 'reshape', 'float64');
    expectErr(() => computed.astype('float32'), DTypeError, 'astype', 'float64');
  });

  it('a float32 CPU value still moves to WebGPU', async () => {
    await W.init({ backend: 'cpu' });
    const x = W.tensor([1, 2, 3]).mul(2);
    await x.data();
    await W.init({ backend: 'webgpu' });
    expect(await x.add(1).array()).toEqual([3, 5, 7]);
  });

  it('a WebGPU tensor consumed after switching to the CPU: BackendError at build time', async () => {
    await W.init({ backend: 'webgpu' });
    const y = W.tensor([1, 2]).mul(2);
    await y.data();
    await W.init({ backend: 'cpu' });
    expectErr(() => y.add(1), BackendError, 'add', 'webgpu', 'no longer active', 'data()');
    expectErr(() => W.grad((v: W.Tensor) => v.sum())(y), BackendError, 'grad', 'webgpu');
    expect(await W.tensor([1, 2]).add(1).array()).toEqual([2, 3]); // the CPU backend works
  });
});
