// Readback conveniences (src/format.ts, Tensor.toString/print, print(...) in src/evaluate.ts):
// toString() shows values only when the host holds them and never computes; print() computes,
// logs and returns the text; print(...) computes all its tensors in one plan. The expected texts
// are written out by hand.

import { inspect } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as W from '../../src/index.js';
import { formatValues } from '../../src/format.js';
import { describeBackends } from '../helpers/backends.js';

describe('formatValues', () => {
  it('integers, rows aligned on their own lines, blank lines between 3-D blocks', () => {
    expect(formatValues([2, 2], [1, -20, 300, 4])).toBe('[[  1, -20],\n [300,   4]]');
    expect(formatValues([2, 1, 2], [1, 2, 3, 4])).toBe('[[[1, 2]],\n\n [[3, 4]]]');
    expect(formatValues([], [7])).toBe('7');
    expect(formatValues([0], [])).toBe('[]');
  });

  it('one style per tensor: fixed to 6 significant digits, or exponents when a value is tiny or huge', () => {
    expect(formatValues([3], [0.5, 1 / 3, -2])).toBe('[     0.5, 0.333333,       -2]');
    expect(formatValues([2], [1.5e-7, 1])).toBe('[1.5e-7,   1e+0]');
    expect(formatValues([2], [2.5e6, 0.5])).toBe('[2.5e+6,   5e-1]');
    expect(formatValues([4], [Number.NaN, Number.POSITIVE_INFINITY, -0, 0.25])).toBe('[ NaN,  Inf,   -0, 0.25]');
  });

  it('more than 1,000 elements: the first and last 3 items of each long axis around ...', () => {
    const v = Array.from({ length: 40 * 30 }, (_, i) => i);
    const lines = formatValues([40, 30], v).split('\n');
    expect(lines).toHaveLength(7);
    expect(lines[0]).toBe('[[   0,    1,    2, ...,   27,   28,   29],');
    expect(lines[3]).toBe(' ...,');
    expect(lines[6]).toBe(' [1170, 1171, 1172, ..., 1197, 1198, 1199]]');
    // 1,000 elements or fewer: all shown
    expect(formatValues([1000], new Array(1000).fill(1)).split(', ')).toHaveLength(1000);
  });

  it('continuation lines are indented past the prefix', () => {
    expect(formatValues([2, 2], [1, 2, 3, 4], 7)).toBe('[[1, 2],\n        [3, 4]]');
  });
});

describeBackends('toString, print', (c) => {
  const { dtype } = c;
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('toString shows a tensor made from host data, and only the shape of one not computed (without computing it)', async () => {
    const a = W.tensor(
      [
        [1, 2],
        [3, 4],
      ],
      { dtype },
    );
    expect(String(a)).toBe(`Tensor([[1, 2],\n        [3, 4]], shape=[2, 2], dtype=${dtype})`);
    const p = await W.profile(() => String(a.mul(2)));
    expect(p.result).toBe(`Tensor(shape=[2, 2], dtype=${dtype})`);
    expect(p.kernels).toBe(0);
    expect(inspect(a)).toBe(String(a));
    expect(inspect({ a })).toContain('a: Tensor([[1, 2],');
  });

  it('print() computes, logs and returns the text; toString shows the values after a read', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const b = W.tensor([0.5, 1.25, -3], { dtype }).mul(2);
    const text = await b.print();
    expect(text).toBe(`Tensor([  1, 2.5,  -6], shape=[3], dtype=${dtype})`);
    expect(log).toHaveBeenCalledWith(text);
    expect(String(b)).toBe(text);
    const s = b.sum();
    await s.item();
    expect(String(s)).toBe(`Tensor(-2.5, shape=[], dtype=${dtype})`);
  });

  it('print(...) computes every tensor, also in arrays and objects, in one plan', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const x = W.tensor([1, 2], { dtype });
    const p = await W.profile(() => W.print('step', 3, { y: x.mul(3), z: [x.sum()] }));
    expect(p.plans).toBe(1);
    expect(p.result).toBe(`step 3 { y: Tensor([3, 6], shape=[2], dtype=${dtype}), z: [Tensor(3, shape=[], dtype=${dtype})] }`);
    expect(log).toHaveBeenCalledWith(p.result);
  });

  it('a disposed tensor shows its shape; print() of it raises', async () => {
    const t = W.tensor([1, 2], { dtype });
    t.dispose();
    expect(String(t)).toBe(`Tensor(shape=[2], dtype=${dtype})`);
    await expect(t.print()).rejects.toThrow(/disposed/);
  });
});
