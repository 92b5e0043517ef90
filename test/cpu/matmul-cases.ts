// Operand cases for the CPU matmul tests (wasm-matmul.test.ts, wasm-fma.test.ts): deterministic
// data, operand views (contiguous, transposed, strided, offset, masked, broadcast), the shapes
// that go off the kernels' register blocks, a product through runMatmul, and an exact comparison.

import { expect } from 'vitest';
import type { DType, HostArray } from '../../src/dtype.js';
import type { MatmulKernel } from '../../src/schedule/kernel.js';
import { type View, contiguousView } from '../../src/schedule/view.js';
import { runMatmul } from '../../src/backend/cpu/matmul.js';
import { setWasmMatmul } from '../../src/backend/cpu/wasm-matmul.js';

export function rand(dtype: DType, n: number, seed: number): HostArray {
  const out = dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32) * 2 - 1 + (i % 7 === 0 ? 1e-3 * i : 0);
  }
  return out;
}

export interface Case {
  batch: number;
  m: number;
  n: number;
  k: number;
  /** a's view over its buffer, b's view over its buffer ([batch, m, k] and [batch, k, n]). */
  aView: View;
  bView: View;
  aSize: number;
  bSize: number;
}

/**
 * Contiguous operands, or variants: 1, A stored transposed, B offset with a row stride and
 * broadcast; 2, the same masked; 3, A offset with a row stride, B stored transposed. Between
 * them every packing path of wasm-pack.ts (chunk copies and transposes of each panel width) and
 * of pack.ts (masks) runs.
 */
export function makeCase(batch: number, m: number, n: number, k: number, variant: number): Case {
  if (variant === 0)
    return { batch, m, n, k, aView: contiguousView([batch, m, k]), bView: contiguousView([batch, k, n]), aSize: batch * m * k, bSize: batch * k * n };
  if (variant === 3)
    return {
      batch,
      m,
      n,
      k,
      aView: { shape: [batch, m, k], strides: [m * (k + 2), k + 2, 1], offset: 3, mask: null },
      bView: { shape: [batch, k, n], strides: [n * k, 1, k], offset: 0, mask: null },
      aSize: 3 + batch * m * (k + 2),
      bSize: batch * n * k,
    };
  // A stored as [batch, k, m] (transposed view); B as [k, n + 3] rows from offset 5, broadcast over batch
  const aView: View = {
    shape: [batch, m, k],
    strides: [m * k, 1, m],
    offset: 0,
    mask:
      variant === 2
        ? [
            [0, batch],
            [1, m],
            [0, Math.max(0, k - 1)],
          ]
        : null,
  };
  const bView: View = {
    shape: [batch, k, n],
    strides: [0, n + 3, 1],
    offset: 5,
    mask:
      variant === 2
        ? [
            [0, batch],
            [0, k],
            [0, Math.max(0, n - 2)],
          ]
        : null,
  };
  return { batch, m, n, k, aView, bView, aSize: batch * m * k, bSize: 5 + k * (n + 3) };
}

/** The case's operand buffers (its views read them). */
export function operands(dtype: DType, c: Case): { a: HostArray; b: HostArray } {
  return { a: rand(dtype, c.aSize, 11 + c.m), b: rand(dtype, c.bSize, 23 + c.n) };
}

/** Element [t, r, col] of a view over `src` (0 outside its mask). */
export function viewAt(src: HostArray, v: View, t: number, r: number, col: number): number {
  const inside = !v.mask || [t, r, col].every((x, d) => x >= v.mask![d]![0] && x < v.mask![d]![1]);
  return inside ? src[v.offset + t * v.strides[0]! + r * v.strides[1]! + col * v.strides[2]!]! : 0;
}

/** The case's product through runMatmul, in WebAssembly or (wasm false) in the JS kernel. */
export function product(dtype: DType, c: Case, wasm: boolean): HostArray {
  const { a, b } = operands(dtype, c);
  const kernel = { type: 'matmul', dtype, batch: c.batch, m: c.m, n: c.n, k: c.k } as unknown as MatmulKernel;
  const out = dtype === 'float32' ? new Float32Array(c.batch * c.m * c.n).fill(NaN) : new Float64Array(c.batch * c.m * c.n).fill(NaN);
  setWasmMatmul(wasm);
  runMatmul(kernel, [{ src: a, view: c.aView, from: 0, rows: kernel.m }], b, c.bView, out);
  return out;
}

export function sameBits(x: HostArray, y: HostArray): void {
  expect(x.length).toBe(y.length);
  const bad = Array.from(x).findIndex((v, i) => !Object.is(v, y[i]));
  expect(bad, `first difference at ${bad}: ${x[bad]} vs ${y[bad]}`).toBe(-1);
}

export const SHAPES: [number, number, number, number][] = [
  // batch, m, n, k
  [1, 64, 64, 64],
  [1, 33, 17, 65],
  [1, 1, 97, 300],
  [1, 129, 1, 200],
  [1, 70, 70, 1],
  [1, 5, 9, 600],
  [3, 37, 29, 41],
  [2, 100, 72, 513],
  [1, 31, 30, 0],
];
