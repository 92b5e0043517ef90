// Reuse of the CPU backend's freed host arrays: by dtype and length, up to a byte capacity (the
// CPU counterpart of the WebGPU buffer pool). Allocating (and zeroing) a plan's temporaries and
// collecting them took about 12 % of a CPU training step's profile.

import type { DType, HostArray } from '../../dtype.js';

/** Most bytes of freed arrays the CPU backend keeps for reuse. */
export const POOL_BYTES = 64 << 20;

const keyOf = (dtype: DType, length: number): string => `${dtype}:${length}`;

/**
 * Freed host arrays by dtype and length, at most `capacity` bytes in all (beyond it a freed array
 * is left to the garbage collector). Every kernel writes each element of its outputs, so a reused
 * array's old contents never show (the WebGPU backend's buffer pool relies on the same).
 */
export class HostArrayPool {
  private readonly free = new Map<string, HostArray[]>();
  bytes = 0;
  constructor(readonly capacity: number) {}
  take(dtype: DType, size: number): HostArray | null {
    const a = this.free.get(keyOf(dtype, size))?.pop();
    if (!a) return null;
    this.bytes -= a.byteLength;
    return a;
  }
  put(a: HostArray): void {
    if (this.bytes + a.byteLength > this.capacity) return;
    const key = keyOf(a instanceof Float32Array ? 'float32' : 'float64', a.length);
    let l = this.free.get(key);
    if (!l) this.free.set(key, (l = []));
    l.push(a);
    this.bytes += a.byteLength;
  }
  clear(): void {
    this.free.clear();
    this.bytes = 0;
  }
}
