// Chains of movement ops that the scheduler composes into strided/masked views (or copies), read
// directly, through elementwise ops, reductions and matmuls: each checked against the reference.

import { it } from 'vitest';
import * as W from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { describeBackends } from '../helpers/backends.js';
import * as R from './ref.js';

type Case = [string, number[][], (...t: Tensor[]) => Tensor, (...r: R.Nd[]) => R.Nd];

const plus1 = (a: R.Nd): R.Nd => R.map(a, (v) => v + 1);

/** Movement-only chains: results must be exact. */
const EXACT: Case[] = [
  ['transpose then reshape (copy)', [[3, 4]], (x) => x.transpose().reshape([2, 6]), (x) => R.reshape(R.transpose(x), [2, 6])],
  ['transpose then reshape splitting the strided axis', [[4, 6]], (x) => x.transpose().reshape([6, 2, 2]), (x) => R.reshape(R.transpose(x), [6, 2, 2])],
  ['transpose then reshape merging axes', [[2, 3, 4]], (x) => x.permute([1, 0, 2]).reshape([3, 8]), (x) => R.reshape(R.transpose(x, [1, 0, 2]), [3, 8])],
  ['slice of a transpose', [[4, 5]], (x) => x.transpose().slice([1, 1], [4, null], [2, 1]), (x) => R.slice(R.transpose(x), [1, 1], [4, null], [2, 1])],
  ['transpose of a slice with steps', [[5, 6]], (x) => x.slice([1, 0], [5, 6], [2, 3]).transpose(), (x) => R.transpose(R.slice(x, [1, 0], [5, 6], [2, 3]))],
  ['slice of a slice', [[8]], (x) => x.slice([1], [7], [2]).slice([1], [null]), (x) => R.slice(R.slice(x, [1], [7], [2]), [1], [null])],
  ['reshape of a contiguous slice', [[4, 6]], (x) => x.slice([1], [3]).reshape([3, 4]), (x) => R.reshape(R.slice(x, [1], [3]), [3, 4])],
  [
    'reshape of a strided slice (copy)',
    [[4, 6]],
    (x) => x.slice([0, 1], [4, 6], [1, 2]).reshape([2, 6]),
    (x) => R.reshape(R.slice(x, [0, 1], [4, 6], [1, 2]), [2, 6]),
  ],
  // a scalar read through a masked view (fuzz seed 104): the pieces of a concatenation other than
  // the one sliced, and a pad, must mask themselves out (they summed to 3x before the fix)
  [
    'scalar slice of a concatenation of one tensor, through an elementwise op',
    [[3]],
    (x) => W.concat([x, x, x]).slice([-3], [-2]).reshape([]).mul(2),
    (x) => R.map(R.reshape(R.slice(R.concat([x, x, x], 0), [6], [7]), []), (v) => v * 2),
  ],
  [
    'scalar slice of a concatenation, read twice',
    [[3], [2]],
    (x, y) => {
      const s = W.concat([x, y, x]).slice([4], [5]).reshape([]);
      return s.add(s);
    },
    (x, y) => R.map(R.reshape(R.slice(R.concat([x, y, x], 0), [4], [5]), []), (v) => v + v),
  ],
  [
    'scalar from a pad, through an elementwise op',
    [[3]],
    (x) =>
      x
        .pad([[2, 0]])
        .slice([1], [2])
        .reshape([])
        .add(1),
    () => ({ shape: [], data: Float64Array.of(1) }),
  ],
  [
    'pad of a broadcast',
    [[3, 1]],
    (x) =>
      x.broadcastTo([3, 4]).pad([
        [1, 1],
        [0, 2],
      ]),
    (x) =>
      R.pad(R.broadcastTo(x, [3, 4]), [
        [1, 1],
        [0, 2],
      ]),
  ],
  [
    'pad of a broadcast scalar',
    [[]],
    (x) =>
      x.broadcastTo([2, 2]).pad([
        [1, 0],
        [0, 1],
      ]),
    (x) =>
      R.pad(R.broadcastTo(x, [2, 2]), [
        [1, 0],
        [0, 1],
      ]),
  ],
  [
    'broadcast of a padded size-1 axis',
    [[3, 1]],
    (x) =>
      x
        .pad([
          [0, 0],
          [0, 0],
        ])
        .pad([
          [1, 0],
          [0, 0],
        ])
        .broadcastTo([2, 4, 3])
        .transpose([0, 2, 1]),
    (x) =>
      R.transpose(
        R.broadcastTo(
          R.pad(x, [
            [1, 0],
            [0, 0],
          ]),
          [2, 4, 3],
        ),
        [0, 2, 1],
      ),
  ],
  [
    'slice into the padding then broadcast',
    [[3]],
    (x) =>
      x
        .pad([[2, 0]])
        .slice([0], [1])
        .broadcastTo([2, 4]),
    (x) => R.broadcastTo(R.slice(R.pad(x, [[2, 0]]), [0], [1]), [2, 4]),
  ],
  [
    'slice across a pad boundary with a step',
    [[5, 3]],
    (x) =>
      x
        .pad([
          [2, 3],
          [1, 1],
        ])
        .slice([1, 0], [9, 5], [3, 2]),
    (x) =>
      R.slice(
        R.pad(x, [
          [2, 3],
          [1, 1],
        ]),
        [1, 0],
        [9, 5],
        [3, 2],
      ),
  ],
  [
    'pad of a slice of a pad',
    [[4]],
    (x) =>
      x
        .pad([[1, 1]])
        .slice([2], [6])
        .pad([[2, 1]]),
    (x) => R.pad(R.slice(R.pad(x, [[1, 1]]), [2], [6]), [[2, 1]]),
  ],
  [
    'transpose of a pad then reshape (copy)',
    [[2, 3]],
    (x) =>
      x
        .pad([
          [1, 0],
          [0, 1],
        ])
        .transpose()
        .reshape([12]),
    (x) =>
      R.reshape(
        R.transpose(
          R.pad(x, [
            [1, 0],
            [0, 1],
          ]),
        ),
        [12],
      ),
  ],
  ['reshape of a broadcast (copy)', [[3]], (x) => x.broadcastTo([2, 3]).reshape([6]), (x) => R.reshape(R.broadcastTo(x, [2, 3]), [6])],
  [
    'reshape of a broadcast keeping the stretched axis',
    [[1, 3]],
    (x) => x.broadcastTo([4, 3]).reshape([2, 2, 3]),
    (x) => R.reshape(R.broadcastTo(x, [4, 3]), [2, 2, 3]),
  ],
  ['slice of a broadcast axis', [[1, 3]], (x) => x.broadcastTo([5, 3]).slice([1, 1], [4, 3]), (x) => R.slice(R.broadcastTo(x, [5, 3]), [1, 1], [4, 3])],
  [
    'expandDims of a transpose, broadcast',
    [[2, 3]],
    (x) => x.transpose().expandDims(1).broadcastTo([3, 4, 2]),
    (x) => R.broadcastTo(R.reshape(R.transpose(x), [3, 1, 2]), [3, 4, 2]),
  ],
  ['squeeze of a permuted size-1 axis', [[2, 1, 3]], (x) => x.permute([1, 2, 0]).squeeze(0).transpose(), (x) => R.reshape(x, [2, 3])],
  [
    'concat of transposed and sliced parts',
    [
      [3, 2],
      [4, 2],
    ],
    (a, b) => W.concat([a.transpose(), b.slice([1]).transpose()], 1),
    (a, b) => R.concat([R.transpose(a), R.transpose(R.slice(b, [1]))], 1),
  ],
  ['stack of slices', [[4, 3]], (x) => W.stack([x.slice([0], [2]), x.slice([2], [4])], 2), (x) => R.stack([R.slice(x, [0], [2]), R.slice(x, [2], [4])], 2)],
  [
    'long chain: permute, slice, reshape, pad, transpose',
    [[2, 3, 4]],
    (x) =>
      x
        .permute([2, 0, 1])
        .slice([1, 0, 0], [4, 2, 3], [2, 1, 1])
        .reshape([2, 6])
        .pad([
          [1, 0],
          [0, 1],
        ])
        .transpose(),
    (x) =>
      R.transpose(
        R.pad(R.reshape(R.slice(R.transpose(x, [2, 0, 1]), [1, 0, 0], [4, 2, 3], [2, 1, 1]), [2, 6]), [
          [1, 0],
          [0, 1],
        ]),
      ),
  ],
];

/** Chains ending in arithmetic, reductions or matmuls: checked within tolerance. */
const CLOSE: Case[] = [
  ['x + x.T (one buffer, two views)', [[4, 4]], (x) => x.add(x.transpose()), (x) => R.zip(x, R.transpose(x), (a, b) => a + b)],
  [
    'elementwise on transposed and sliced operands',
    [
      [3, 4],
      [5, 3],
    ],
    (a, b) =>
      a
        .transpose()
        .mul(b.slice([1]))
        .add(1),
    (a, b) => plus1(R.zip(R.transpose(a), R.slice(b, [1]), (p, q) => p * q)),
  ],
  ['exp of a copy-forcing reshape', [[3, 4]], (x) => x.transpose().reshape([4, 3]).exp(), (x) => R.map(R.reshape(R.transpose(x), [4, 3]), Math.exp)],
  ['sum over axis 0 of a transpose', [[3, 5]], (x) => x.transpose().sum(0), (x) => R.rsum(R.transpose(x), 0)],
  ['sum over axes [0, 2] of a permute', [[2, 3, 4]], (x) => x.permute([2, 1, 0]).sum([0, 2]), (x) => R.rsum(R.transpose(x, [2, 1, 0]), [0, 2])],
  ['max over the last axis of a transpose', [[4, 3]], (x) => x.transpose().max(-1), (x) => R.rmax(R.transpose(x), -1)],
  ['min of a strided slice', [[6, 5]], (x) => x.slice([1, 0], [6, 5], [2, 2]).min(1, true), (x) => R.rmin(R.slice(x, [1, 0], [6, 5], [2, 2]), 1, true)],
  [
    'max over padding counts the zeros',
    [[2, 3]],
    (x) =>
      x
        .sub(5)
        .pad([
          [0, 0],
          [1, 1],
        ])
        .max(1),
    (x) =>
      R.rmax(
        R.pad(
          R.map(x, (v) => v - 5),
          [
            [0, 0],
            [1, 1],
          ],
        ),
        1,
      ),
  ],
  [
    'sum of a pad of a broadcast',
    [[3, 1]],
    (x) =>
      x
        .broadcastTo([3, 4])
        .pad([
          [1, 0],
          [2, 0],
        ])
        .sum(),
    (x) =>
      R.rsum(
        R.pad(R.broadcastTo(x, [3, 4]), [
          [1, 0],
          [2, 0],
        ]),
      ),
  ],
  ['sum of a broadcast along the stretched axis', [[3, 1]], (x) => x.broadcastTo([3, 4]).sum(1), (x) => R.rsum(R.broadcastTo(x, [3, 4]), 1)],
  [
    'mean over a reshape of a transpose',
    [[4, 6]],
    (x) => x.transpose().reshape([3, 2, 4]).mean([1, 2]),
    (x) => R.rmean(R.reshape(R.transpose(x), [3, 2, 4]), [1, 2]),
  ],
  [
    'softmax-like: x - max(x, keepdims), exp, / sum',
    [[3, 5]],
    (x) => {
      const e = x.sub(x.max(-1, true)).exp();
      return e.div(e.sum(-1, true));
    },
    (x) => {
      const e = R.map(
        R.zip(x, R.rmax(x, -1, true), (a, b) => a - b),
        Math.exp,
      );
      return R.zip(e, R.rsum(e, -1, true), (a, b) => a / b);
    },
  ],
  [
    'A.T @ B',
    [
      [4, 3],
      [4, 5],
    ],
    (a, b) => a.transpose().matmul(b),
    (a, b) => R.matmul(R.transpose(a), b),
  ],
  [
    'A @ B.T',
    [
      [3, 4],
      [5, 4],
    ],
    (a, b) => a.matmul(b.transpose()),
    (a, b) => R.matmul(a, R.transpose(b)),
  ],
  ['A.T @ A', [[5, 3]], (a) => a.transpose().matmul(a), (a) => R.matmul(R.transpose(a), a)],
  [
    '(A @ B).T',
    [
      [3, 4],
      [4, 2],
    ],
    (a, b) => a.matmul(b).transpose(),
    (a, b) => R.transpose(R.matmul(a, b)),
  ],
  [
    'matmul of a strided slice and a padded operand',
    [
      [6, 4],
      [3, 5],
    ],
    (a, b) =>
      a.slice([0], [6], [2]).matmul(
        b.pad([
          [1, 0],
          [0, 1],
        ]),
      ),
    (a, b) =>
      R.matmul(
        R.slice(a, [0], [6], [2]),
        R.pad(b, [
          [1, 0],
          [0, 1],
        ]),
      ),
  ],
  [
    'matmul of a broadcast row',
    [
      [1, 3],
      [3, 4],
    ],
    (a, b) => a.broadcastTo([5, 3]).matmul(b),
    (a, b) => R.matmul(R.broadcastTo(a, [5, 3]), b),
  ],
  [
    'batched matmul with permuted batch axes',
    [
      [3, 2, 4],
      [4, 5],
    ],
    (a, b) => a.permute([1, 0, 2]).matmul(b),
    (a, b) => R.matmul(R.transpose(a, [1, 0, 2]), b),
  ],
  [
    'batched matmul whose batch axes cannot merge (copy)',
    [
      [3, 2, 4, 5],
      [5, 2],
    ],
    (a, b) => a.permute([1, 0, 2, 3]).matmul(b),
    (a, b) => R.matmul(R.transpose(a, [1, 0, 2, 3]), b),
  ],
  [
    'batched matmul of transposed matrices',
    [
      [2, 4, 3],
      [2, 5, 4],
    ],
    (a, b) => a.permute([0, 2, 1]).matmul(b.permute([0, 2, 1])),
    (a, b) => R.matmul(R.transpose(a, [0, 2, 1]), R.transpose(b, [0, 2, 1])),
  ],
  [
    'tanh(A.T @ B + bias.T)',
    [
      [4, 3],
      [4, 2],
      [2, 1],
    ],
    (a, b, c) => a.transpose().matmul(b).add(c.transpose()).tanh(),
    (a, b, c) =>
      R.map(
        R.zip(R.matmul(R.transpose(a), b), R.transpose(c), (p, q) => p + q),
        Math.tanh,
      ),
  ],
  ['matmul of a broadcast scalar', [[], [4, 3]], (s, b) => s.broadcastTo([2, 4]).matmul(b), (s, b) => R.matmul(R.broadcastTo(s, [2, 4]), b)],
  [
    'sum of a broadcast scalar, and of its pad',
    [[]],
    (s) =>
      s
        .broadcastTo([3, 4])
        .sum(1)
        .add(
          s
            .broadcastTo([2, 2])
            .pad([
              [1, 0],
              [0, 1],
            ])
            .sum([0, 1]),
        ),
    (s) =>
      R.zip(
        R.rsum(R.broadcastTo(s, [3, 4]), 1),
        R.rsum(
          R.pad(R.broadcastTo(s, [2, 2]), [
            [1, 0],
            [0, 1],
          ]),
        ),
        (p, q) => p + q,
      ),
  ],
  [
    'slice of a reduction, reduction of a concat',
    [
      [3, 4],
      [2, 4],
    ],
    (a, b) => W.concat([a, b]).sum(0).slice([1], [4], [2]),
    (a, b) => R.slice(R.rsum(R.concat([a, b], 0), 0), [1], [4], [2]),
  ],
  [
    'matmul of a concat, concat of matmuls',
    [
      [2, 3],
      [1, 3],
      [3, 2],
    ],
    (a, b, w) => W.concat([W.concat([a, b]).matmul(w), a.matmul(w)], 0),
    (a, b, w) => R.concat([R.matmul(R.concat([a, b], 0), w), R.matmul(a, w)], 0),
  ],
  [
    'stack of reductions over different axes',
    [[3, 3]],
    (x) => W.stack([x.sum(0), x.max(1), x.mean(0)], 1),
    (x) => R.stack([R.rsum(x, 0), R.rmax(x, 1), R.rmean(x, 0)], 1),
  ],
  [
    'reduction epilogue reading a padded operand',
    [[3, 4], [2]],
    (x, y) => x.sum(1).mul(y.pad([[1, 0]])),
    (x, y) => R.zip(R.rsum(x, 1), R.pad(y, [[1, 0]]), (p, q) => p * q),
  ],
  [
    'sum of a matmul of a transpose',
    [
      [4, 3],
      [4, 2],
    ],
    (a, b) => a.transpose().matmul(b).sum(0),
    (a, b) => R.rsum(R.matmul(R.transpose(a), b), 0),
  ],
];

describeBackends('view composition', (c) => {
  const rng = new R.Lcg(404);
  for (const [name, shapes, f, ref] of EXACT) {
    it(name, async () => {
      const ins = shapes.map((s) => R.input(rng, s, c));
      await R.expectExact(f(...ins.map((p) => p[0])), ref(...ins.map((p) => p[1])));
    });
  }
  for (const [name, shapes, f, ref] of CLOSE) {
    it(name, async () => {
      const ins = shapes.map((s) => R.input(rng, s, c));
      const rs = ins.map((p) => p[1]);
      // rounding scale: the same chain on |inputs| bounds the terms any sum or matmul added up
      await R.expectClose(
        f(...ins.map((p) => p[0])),
        ref(...rs),
        c,
        /@|sum|mean|matmul|reduction/.test(name) ? ref(...rs.map((r) => R.map(r, Math.abs))) : undefined,
      );
    });
  }
});
