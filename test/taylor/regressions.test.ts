// Regressions found while building Taylor mode: foundation bugs the Taylor graphs hit (kept here so the fix stays covered).

import { expect, it } from 'vitest';
import { tensor } from '../../src/index.js';
import { describeBackends } from '../helpers/backends.js';

describeBackends('foundation regressions seen from Taylor mode', (c) => {
  it('a reduction over size-1 axes with a prologue and an epilogue (a sum over R = 1 directions)', async () => {
    // the CPU code generator emitted prologue and epilogue temporaries with the same names into
    // one scope when the reduced dims collapse to no loop ("Identifier 't0' has already been declared")
    const x = tensor([[1, 2, 3]], { dtype: c.dtype });
    expect(
      Array.from(
        await x
          .mul(x)
          .sum(0)
          .mul(2)
          .add(x.reshape([3]))
          .data(),
      ),
    ).toEqual([3, 10, 21]);
    const y = tensor([[[1.5]], [[-2]]], { dtype: c.dtype }); // [2, 1, 1]
    expect(Array.from(await y.exp().sum([1, 2]).log().data())).toEqual([1.5, -2]);
  });
});
