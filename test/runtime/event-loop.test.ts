// Freed memory comes back through FinalizationRegistry callbacks, which run as macrotasks: a loop
// that only awaits wgad must still let the event loop turn now and then, or they never run and
// memory grows without bound (a CPU training loop awaits nothing else).

import { expect, it } from 'vitest';
import { evaluate, tensor } from '../../src/index.js';
import { describeBackends } from '../helpers/backends.js';

describeBackends('the event loop turns during a loop of evaluate() and data()', (c) => {
  it('a macrotask scheduled before 200 awaited realizations has run by the end', async () => {
    let turned = false;
    setImmediate(() => {
      turned = true;
    });
    let x = tensor([1, 2, 3], { dtype: c.dtype });
    for (let i = 0; i < 100; i++) {
      x = x.mul(0.5).add(1);
      await evaluate(x);
      await x.data();
    }
    expect(turned).toBe(true);
    // and the values are right: x -> x/2 + 1 converges to 2
    expect(Array.from(await x.data()).every((v) => Math.abs(v - 2) < 1e-6)).toBe(true);
  });
});
