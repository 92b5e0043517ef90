// Smoke test: the library loads and a lazy elementwise chain computes, on every backend case.

import { expect, it } from 'vitest';
import { tensor } from '../../src/index.js';
import { describeBackends } from '../helpers/backends.js';

describeBackends('smoke', (c) => {
  it('adds and multiplies lazily', async () => {
    const x = tensor(
      [
        [1, 2],
        [3, 4],
      ],
      { dtype: c.dtype },
    );
    expect(await x.add(1).mul(x).array()).toEqual([
      [2, 6],
      [12, 20],
    ]);
  });
});
