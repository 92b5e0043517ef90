// Error paths: typed errors (ShapeError, DTypeError, ArgumentError) that name the op and the
// shapes, thrown synchronously when the op is built — before any backend work.

import { expect, it } from 'vitest';
import * as W from '../../src/internal.js';
import { ArgumentError, DTypeError, ShapeError } from '../../src/index.js';
import { describeBackends } from '../helpers/backends.js';
import { expectErr } from '../helpers/errors.js';

const any = (v: unknown): never => v as never;

describeBackends('errors', (c) => {
  const dtype = c.dtype;
  const t = (shape: number[]): W.Tensor => W.zeros(shape, { dtype });

  it('binary ops: shapes that do not broadcast', () => {
    for (const op of ['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'less', 'lessEqual', 'greater', 'greaterEqual', 'equal', 'notEqual'] as const) {
      expectErr(() => (W[op] as (a: W.Tensor, b: W.Tensor) => W.Tensor)(t([2, 3]), t([4])), ShapeError, `${op}:`, '[2, 3]', '[4]');
    }
    expectErr(() => t([3, 2]).add(t([2, 3, 4])), ShapeError, 'add', '[3, 2]', '[2, 3, 4]');
    expect(t([3, 1]).add(t([2, 3, 4])).shape).toEqual([2, 3, 4]);
  });

  it('where: shapes that do not broadcast', () => {
    expectErr(() => W.where(t([2]), t([3]), t([2])), ShapeError, 'where', '[2]', '[3]');
    expectErr(() => W.where(t([2, 2]), t([2, 2]), t([3, 1])), ShapeError, 'where', '[3, 1]');
  });

  it('matmul: inner dimensions, batch dimensions, 0-d operands', () => {
    expectErr(() => t([2, 3]).matmul(t([4, 5])), ShapeError, 'matmul', '[2, 3]', '[4, 5]');
    expectErr(() => W.matmul(t([3]), t([4])), ShapeError, 'matmul', '[3]', '[4]');
    expectErr(() => t([2, 3, 4]).matmul(t([3, 4, 5])), ShapeError, 'matmul', '[2]', '[3]');
    expectErr(() => t([]).matmul(t([2, 2])), ShapeError, 'matmul', '[]', '[2, 2]');
  });

  it('concat and stack: mismatched shapes, ranks, empty input', () => {
    expectErr(() => W.concat([t([2, 3]), t([3, 3])], 1), ShapeError, 'concat', '[2, 3]', '[3, 3]');
    expectErr(() => W.concat([t([2, 3]), t([2, 3, 1])]), ShapeError, 'concat', '[2, 3, 1]');
    expectErr(() => W.concat([]), ArgumentError, 'concat');
    expectErr(() => W.stack([t([2]), t([3])]), ShapeError, 'stack', '[2]', '[3]');
    expectErr(() => W.stack([t([2]), t([2])], 2), ShapeError, 'stack', 'axis 2');
    expectErr(() => W.stack([t([2]), any(1)]), ArgumentError, 'stack', 'tensors[1]');
    expectErr(() => W.concat([t([2]), any([1, 2])]), ArgumentError, 'concat', 'tensors[1]');
  });

  it('axes: out of range, repeated, non-integer', () => {
    expectErr(() => t([2, 3]).sum(2), ShapeError, 'sum', 'axis 2', 'rank 2');
    expectErr(() => t([2, 3]).sum(-3), ShapeError, 'sum', 'axis -3');
    expectErr(() => t([2, 3]).max([0, 0]), ShapeError, 'max', 'repeated');
    expectErr(() => t([2, 3]).mean([1, -1]), ShapeError, 'mean', 'repeated');
    expectErr(() => t([2, 3]).min(0.5), ArgumentError, 'min', '0.5');
    expectErr(() => t([2, 3]).logsumexp(5), ShapeError, 'logsumexp', 'axis 5');
    expectErr(() => t([2, 3]).sum(any('a')), ArgumentError, 'sum');
    expectErr(() => W.concat([t([2]), t([2])], 1), ShapeError, 'concat', 'axis 1');
    expectErr(() => t([2, 3]).expandDims(3), ShapeError, 'expandDims', 'axis 3');
    expectErr(() => t([2, 3]).squeeze(2), ShapeError, 'squeeze', 'axis 2');
    expectErr(() => t([2, 3]).squeeze(0), ShapeError, 'squeeze', '[2, 3]', 'size 2');
    expectErr(() => t([2, 3]).permute([0]), ShapeError, 'permute', '2 axes');
    expectErr(() => t([2, 3]).permute([1, 1]), ShapeError, 'permute', '[1, 1]');
    expectErr(() => t([2, 3]).transpose([0, 2]), ShapeError, 'transpose', 'axis 2');
  });

  it('max/min over an empty axis', () => {
    expectErr(() => t([0, 3]).max(0), ShapeError, 'max', '[0, 3]');
    expectErr(() => t([0, 3]).min(0), ShapeError, 'min', '[0, 3]');
    expectErr(() => t([0, 3]).logsumexp(0), ShapeError, 'logsumexp', '[0, 3]');
    expect(t([0, 3]).max(1).shape).toEqual([0]);
  });

  it('shape values: non-finite, negative, non-integer, not an array', () => {
    expectErr(() => W.zeros([2, NaN]), ShapeError, 'zeros', 'NaN');
    expectErr(() => W.ones([-1]), ShapeError, 'ones', '-1');
    expectErr(() => W.full([1.5], 0), ShapeError, 'full', '1.5');
    expectErr(() => W.randn([Infinity]), ShapeError, 'randn', 'Infinity');
    expectErr(() => W.rand([2, any('3')]), ShapeError, 'rand');
    expectErr(() => W.zeros(any(3)), ArgumentError, 'zeros');
    expectErr(() => W.tensor(new Float32Array(4), { shape: [2, NaN] }), ShapeError, 'tensor', 'NaN');
    expectErr(() => t([3]).broadcastTo([NaN]), ShapeError, 'broadcastTo', 'NaN');
    expectErr(() => t([4]).reshape([2, NaN]), ShapeError, 'reshape', 'NaN');
    expectErr(() => t([4]).reshape([2, 1.5]), ShapeError, 'reshape');
  });

  it('reshape: wrong size, two -1, uninferable -1, not an array', () => {
    expectErr(() => t([2, 3]).reshape([4, 2]), ShapeError, 'reshape', '[2, 3]', '[4, 2]');
    expectErr(() => t([2, 3]).reshape([-1, -1]), ShapeError, 'reshape', '[-1, -1]');
    expectErr(() => t([2, 3]).reshape([4, -1]), ShapeError, 'reshape', '[2, 3]', '[4, -1]');
    expectErr(() => t([2, 3]).reshape([0, -1]), ShapeError, 'reshape');
    expectErr(() => t([2, 3]).reshape([-2, -3]), ShapeError, 'reshape');
    expectErr(() => W.reshape(t([2]), any(2)), ArgumentError, 'reshape');
  });

  it('broadcastTo: incompatible target shapes', () => {
    expectErr(() => t([3]).broadcastTo([4]), ShapeError, 'broadcastTo', '[3]', '[4]');
    expectErr(() => t([2, 3]).broadcastTo([3]), ShapeError, 'broadcastTo', '[2, 3]', '[3]');
  });

  it('slice and pad: bad steps, indices, entry counts, paddings', () => {
    expectErr(() => t([5]).slice([0], [5], [0]), ArgumentError, 'slice', 'steps');
    expectErr(() => t([5]).slice([0], [5], [-1]), ArgumentError, 'slice', '-1');
    expectErr(() => t([5]).slice([0], [5], [1.5]), ArgumentError, 'slice', '1.5');
    expectErr(() => t([5]).slice([0.5]), ArgumentError, 'slice', '0.5');
    expectErr(() => t([5]).slice([0, 0]), ShapeError, 'slice', '[5]');
    expectErr(() => t([5]).slice(any(1)), ArgumentError, 'slice');
    expectErr(() => t([2, 2]).pad([[1, 1]]), ShapeError, 'pad', '[2, 2]');
    expectErr(() => t([2]).pad([[-1, 0]]), ArgumentError, 'pad', '-1');
    expectErr(() => t([2]).pad([[0.5, 0]]), ArgumentError, 'pad', '0.5');
  });

  it('wrong argument types', () => {
    const x = t([2]);
    expectErr(() => x.add(any('a')), ArgumentError, 'add', 'string');
    expectErr(() => x.mul(any(null)), ArgumentError, 'mul', 'null');
    expectErr(() => x.sub(any([1, 2])), ArgumentError, 'sub', 'array');
    expectErr(() => x.matmul(any([[1], [2]])), ArgumentError, 'matmul', 'array');
    expectErr(() => W.matmul(any([1, 2]), x), ArgumentError, 'matmul');
    expectErr(() => W.exp(any(2)), ArgumentError, 'exp');
    expectErr(() => W.relu(any('x')), ArgumentError, 'relu');
    expectErr(() => W.sum(any({})), ArgumentError, 'sum');
    expectErr(() => W.where(x, any('a'), x), ArgumentError, 'where');
    expectErr(() => x.pow(any('2')), ArgumentError, 'pow');
    expectErr(() => x.pow(NaN), ArgumentError, 'pow', 'NaN');
    expectErr(() => W.full([2], any('1')), ArgumentError, 'full');
  });

  it('tensor(): ragged arrays and non-numbers', () => {
    expectErr(() => W.tensor([[1, 2], [3]]), ShapeError, 'tensor', 'ragged', '[2]', '[1]');
    expectErr(() => W.tensor([1, [2]]), ShapeError, 'tensor', 'ragged');
    expectErr(() => W.tensor(any(['a'])), ArgumentError, 'tensor', 'string');
    expectErr(() => W.tensor(any('abc')), ArgumentError, 'tensor');
    expectErr(() => W.tensor(new Float32Array(5), { shape: [2, 2] }), ShapeError, 'tensor', '[2, 2]');
    expectErr(() => W.tensor([1, 2, 3], { shape: [2, 2] }), ShapeError, 'tensor', '[2, 2]');
  });

  it('dtype strings that are not float32/float64', () => {
    expectErr(() => W.zeros([2], { dtype: any('int32') }), DTypeError, 'zeros', 'int32');
    expectErr(() => W.tensor([1], { dtype: any('float16') }), DTypeError, 'tensor', 'float16');
    expectErr(() => W.randn([2], { dtype: any('bool') }), DTypeError, 'randn', 'bool');
    expectErr(() => t([2]).astype(any('int8')), DTypeError, 'astype', 'int8');
    expectErr(() => W.arange(3, undefined, 1, { dtype: any('x') }), DTypeError, 'arange');
  });

  it('creation arguments: seeds, steps, counts', () => {
    expectErr(() => W.randn([2], { seed: NaN }), ArgumentError, 'randn', 'seed');
    expectErr(() => W.rand([2], { seed: any('s') }), ArgumentError, 'rand', 'seed');
    expectErr(() => W.arange(0, 3, 0), ArgumentError, 'arange', 'step');
    expectErr(() => W.arange(0, Infinity), ArgumentError, 'arange', 'stop');
    expectErr(() => W.linspace(0, 1, -1), ArgumentError, 'linspace', '-1');
    expectErr(() => W.linspace(0, 1, 2.5), ArgumentError, 'linspace', '2.5');
    expectErr(() => W.linspace(NaN, 1, 3), ArgumentError, 'linspace');
  });

  it('init: unknown backend names', async () => {
    await expect(W.init({ backend: any('tpu') })).rejects.toBeInstanceOf(ArgumentError);
  });

  it('item() on a tensor of several elements', async () => {
    await expect(t([2]).item()).rejects.toThrow(/item.*\[2\]/);
  });

  it('errors leave the operands usable', async () => {
    const x = W.tensor([1, 2], { dtype });
    expect(() => x.add(t([3]))).toThrow(ShapeError);
    expect(Array.from(await x.add(1).data())).toEqual([2, 3]);
  });
});

describeBackends(
  'dtype mixing errors',
  () => {
    const a = (): W.Tensor => W.ones([2, 2], { dtype: 'float32' });
    const b = (): W.Tensor => W.ones([2, 2], { dtype: 'float64' });

    it('float32 with float64 in binary ops, comparisons, where, matmul, concat', () => {
      expectErr(() => a().add(b()), DTypeError, 'add', 'float32', 'float64');
      expectErr(() => W.mul(b(), a()), DTypeError, 'mul', 'float64', 'float32');
      expectErr(() => a().minimum(b()), DTypeError, 'minimum');
      expectErr(() => a().less(b()), DTypeError, 'less');
      expectErr(() => W.where(a(), b(), b()), DTypeError, 'where');
      expectErr(() => a().matmul(b()), DTypeError, 'matmul');
      expectErr(() => W.concat([a(), b()]), DTypeError, 'concat', 'float32', 'float64');
    });

    it('numbers take the tensor operand dtype (no error)', () => {
      expect(b().add(1).dtype).toBe('float64');
      expect(W.sub(1, b()).dtype).toBe('float64');
      expect(W.minimum(b(), 0).dtype).toBe('float64');
      expect(W.maximum(0, b()).dtype).toBe('float64');
      expect(W.where(b(), 1, 0).dtype).toBe('float64');
      expect(b().relu().dtype).toBe('float64');
    });
  },
  { float32: false },
);
