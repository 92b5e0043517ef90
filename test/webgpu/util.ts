// Helpers for the WebGPU tests: deterministic inputs, the active WebGPU backend, tolerance checks.

import { expect } from 'vitest';
import { type DType, type Tensor, _backend, tensor } from '../../src/internal.js';
import { WebGpuBackend } from '../../src/backend/webgpu/backend.js';

/** Deterministic values in [lo, hi) from a 32-bit LCG. */
export function lcg(n: number, seed: number, lo = -1, hi = 1): number[] {
  let s = seed >>> 0;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    s = (Math.imul(1664525, s) + 1013904223) >>> 0;
    out.push(lo + ((hi - lo) * s) / 2 ** 32);
  }
  return out;
}

export function gpu(): WebGpuBackend {
  const b = _backend();
  if (!(b instanceof WebGpuBackend)) throw new Error(`expected the WebGPU backend to be active, got ${b.name}`);
  return b;
}

/** |got - want| <= atol + rtol |want| elementwise (NaN matches NaN); lists the first mismatches. */
export function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, rtol: number, atol: number, what = 'value'): void {
  expect(got.length, `${what}: length`).toBe(want.length);
  const bad: string[] = [];
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!,
      w = want[i]!;
    const ok = Number.isNaN(w) ? Number.isNaN(g) : g === w || Math.abs(g - w) <= atol + rtol * Math.abs(w);
    if (!ok && bad.length < 5) bad.push(`[${i}] got ${g}, want ${w}`);
  }
  expect(bad, `${what}: mismatches`).toEqual([]);
}

/** A tensor of `shape` filled with lcg(size, seed, lo, hi), in `dtype`. */
export function lcgTensor(shape: number[], seed: number, dtype: DType, lo = -1, hi = 1): Tensor {
  return tensor(
    lcg(
      shape.reduce((a, b) => a * b, 1),
      seed,
      lo,
      hi,
    ),
    { shape, dtype },
  );
}
