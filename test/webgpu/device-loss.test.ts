// Device loss: the next call raises a clear BackendError (no hang), values from the lost device
// are reported as gone, and init() acquires a new device.

import { expect, it } from 'vitest';
import { BackendError, init, tensor } from '../../src/index.js';
import { describeWebGPU } from './adapter.js';
import { gpu } from './util.js';

describeWebGPU('device loss', () => {
  it('raises BackendError after the device is lost, and init() recovers', async () => {
    const x = tensor([1, 2, 3]).mul(2);
    expect(await x.array()).toEqual([2, 4, 6]);
    const lost = gpu().device;
    lost.destroy();
    await lost.lost;
    await expect(tensor([1, 2]).add(1).data()).rejects.toThrow(BackendError);
    await expect(tensor([1, 2]).add(1).data()).rejects.toThrow(/device was lost/);
    await expect(x.data()).rejects.toThrow(/lost/);
    expect(await init({ backend: 'webgpu' })).toBe('webgpu');
    expect(gpu().device).not.toBe(lost);
    expect(await tensor([1, 2]).add(1).array()).toEqual([2, 3]);
    // a value computed on the lost device cannot be used on the new one
    await expect(x.add(1).data()).rejects.toThrow(BackendError);
  });

  it('a read that is in flight when the device is lost settles with an error', async () => {
    const y = tensor([1, 2, 3, 4]).exp();
    const pending = y.data();
    gpu().device.destroy();
    const r = await Promise.race([
      pending.then(
        () => 'resolved',
        (e: unknown) => (e instanceof BackendError ? 'BackendError' : String(e)),
      ),
      new Promise((res) => setTimeout(() => res('hang'), 10_000)),
    ]);
    expect(['resolved', 'BackendError']).toContain(r);
    await init({ backend: 'webgpu' });
    expect(await tensor([2]).mul(3).array()).toEqual([6]);
  });
});
