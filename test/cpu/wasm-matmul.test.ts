// The WebAssembly SIMD matmul against the JS kernel: bit-identical products in float32 and
// float64 over shapes off the register blocks, batches (shared and broadcast B), strided,
// transposed, offset and masked operand views, k = 0 and size-1 dims, on one thread and split
// over two (Node's helper thread); the JS fallback when turned off; and the public API taking
// the WebAssembly path.

import { afterEach, describe, expect, it } from 'vitest';
import * as W from '../../src/index.js';
import type { DType, HostArray } from '../../src/dtype.js';
import type { MatmulKernel } from '../../src/schedule/kernel.js';
import { type View, contiguousView } from '../../src/schedule/view.js';
import { runMatmul } from '../../src/backend/cpu/matmul.js';
import { THREAD_MIN_WORK, WASM_MIN_WORK, setWasmMatmul, setWasmMatmulThreads, wasmMatmulInstance, wasmMatmulStats } from '../../src/backend/cpu/wasm-matmul.js';

function rand(dtype: DType, n: number, seed: number): HostArray {
  const out = dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32) * 2 - 1 + (i % 7 === 0 ? 1e-3 * i : 0);
  }
  return out;
}

interface Case {
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
function makeCase(batch: number, m: number, n: number, k: number, variant: number): Case {
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

function product(dtype: DType, c: Case, wasm: boolean): HostArray {
  const a = rand(dtype, c.aSize, 11 + c.m);
  const b = rand(dtype, c.bSize, 23 + c.n);
  const kernel = { type: 'matmul', dtype, batch: c.batch, m: c.m, n: c.n, k: c.k } as unknown as MatmulKernel;
  const out = dtype === 'float32' ? new Float32Array(c.batch * c.m * c.n).fill(NaN) : new Float64Array(c.batch * c.m * c.n).fill(NaN);
  setWasmMatmul(wasm);
  runMatmul(kernel, [{ src: a, view: c.aView, from: 0, rows: kernel.m }], b, c.bView, out);
  return out;
}

function sameBits(x: HostArray, y: HostArray): void {
  expect(x.length).toBe(y.length);
  const bad = Array.from(x).findIndex((v, i) => !Object.is(v, y[i]));
  expect(bad, `first difference at ${bad}: ${x[bad]} vs ${y[bad]}`).toBe(-1);
}

const SHAPES: [number, number, number, number][] = [
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

afterEach(() => {
  setWasmMatmul(true);
  setWasmMatmulThreads(2);
});

/** f() through the public API: it takes the wasm path, and the JS fallback gives the same bits; returns the wasm result. */
async function wasmAgreesWithJs(f: () => W.Tensor): Promise<HostArray> {
  const before = wasmMatmulStats.calls;
  const w = (await f().data()) as HostArray;
  expect(wasmMatmulStats.calls).toBeGreaterThan(before);
  setWasmMatmul(false);
  const j = (await f().data()) as HostArray;
  setWasmMatmul(true);
  sameBits(w, j);
  return w;
}

describe('wasm matmul', () => {
  it('compiles here (Node has WebAssembly SIMD, shared memory and worker threads)', async () => {
    expect(wasmMatmulInstance()).not.toBeNull();
    const helper = wasmMatmulInstance()!.helper;
    expect(helper).not.toBeNull();
    // the helper thread starts in the background; calls run on one thread until it is ready
    for (let i = 0; i < 200 && !helper!.ready(); i++) await new Promise((r) => setTimeout(r, 25));
    expect(helper!.ready()).toBe(true);
  });

  for (const dtype of ['float32', 'float64'] as const) {
    it(`${dtype}: two threads, one thread and JS are bit-identical`, () => {
      for (const [batch, m, n, k, variant] of [
        [1, 130, 150, 300, 0],
        [2, 67, 131, 257, 2],
        [1, 300, 9, 800, 1],
        [2, 131, 67, 255, 3],
      ] as const) {
        expect(m * n * k).toBeGreaterThanOrEqual(THREAD_MIN_WORK);
        const c = makeCase(batch, m, n, k, variant);
        const js = product(dtype, c, false);
        setWasmMatmulThreads(1);
        sameBits(product(dtype, c, true), js);
        setWasmMatmulThreads(2);
        // nothing left over from the 1-thread run: the helper's half must be computed again
        new Float64Array(wasmMatmulInstance()!.memory.buffer).fill(NaN);
        const split = wasmMatmulStats.splitCalls;
        sameBits(product(dtype, c, true), js);
        expect(wasmMatmulStats.splitCalls).toBeGreaterThan(split);
      }
    });
  }

  for (const dtype of ['float32', 'float64'] as const) {
    for (const [batch, m, n, k] of SHAPES) {
      for (const variant of [0, 1, 2, 3]) {
        it(`${dtype} [${batch}] ${m}x${k} @ ${k}x${n}, variant ${variant}: bit-identical to JS`, () => {
          const c = makeCase(batch, m, n, k, variant);
          const before = wasmMatmulStats.calls;
          const wasm = product(dtype, c, true);
          const usedWasm = wasmMatmulStats.calls > before;
          expect(usedWasm).toBe(m * n * k >= WASM_MIN_WORK);
          const js = product(dtype, c, false);
          expect(wasmMatmulStats.calls).toBe(before + (usedWasm ? 1 : 0));
          sameBits(wasm, js);
          if (k === 0) expect(Array.from(js).every((v) => v === 0)).toBe(true);
        });
      }
    }
  }

  it('float32 rounds the product and the sum (not a fused multiply-add)', () => {
    // a·b = 1 + 2^-23 + 2^-24 needs more than float32's 24 bits
    const c = makeCase(1, 64, 64, 64, 0);
    const a = new Float32Array(64 * 64).fill(0);
    const b = new Float32Array(64 * 64).fill(0);
    a[0] = 1 + 2 ** -23;
    b[0] = 1 + 2 ** -23;
    const kernel = { type: 'matmul', dtype: 'float32', batch: 1, m: 64, n: 64, k: 64 } as unknown as MatmulKernel;
    for (const on of [true, false]) {
      const out = new Float32Array(64 * 64);
      setWasmMatmul(on);
      runMatmul(kernel, [{ src: a, view: c.aView, from: 0, rows: kernel.m }], b, c.bView, out);
      expect(out[0]).toBe(Math.fround((1 + 2 ** -23) * (1 + 2 ** -23)));
    }
  });

  it('the public API takes the wasm path, and the JS fallback agrees bit for bit', async () => {
    await W.init({ backend: 'cpu' });
    for (const dtype of ['float32', 'float64'] as const) {
      const x = W.randn([2, 50, 70], { seed: 3, dtype });
      const y = W.randn([90, 50], { seed: 4, dtype });
      // transposed, sliced and padded operands go through the packing
      const f = (): W.Tensor =>
        x
          .transpose([0, 2, 1])
          .slice([0, 3, 0], [null, 53, null])
          .matmul(
            y.slice([0, 2], [50, null]).pad([
              [0, 0],
              [1, 1],
            ]),
          );
      await wasmAgreesWithJs(f);
    }
  });

  it('operands broadcast along k (stride 0 in the packed direction) agree with the JS fallback bit for bit', async () => {
    await W.init({ backend: 'cpu' });
    for (const dtype of ['float32', 'float64'] as const) {
      const col = W.randn([40, 1], { seed: 5, dtype }); // A [40, 1] broadcast to [40, 30]: each row constant along k
      const row = W.randn([1, 36], { seed: 6, dtype }); // B [1, 36] broadcast to [30, 36]: each column constant along k
      const f = (): W.Tensor => col.broadcastTo([40, 30]).matmul(row.broadcastTo([30, 36]));
      const w = await wasmAgreesWithJs(f);
      // and the value: 30 equal terms col[i] * row[j]
      const [c, r] = [await col.data(), await row.data()];
      expect(Math.abs(w[7 * 36 + 5]! - 30 * c[7]! * r[5]!)).toBeLessThan(1e-4 * Math.abs(30 * c[7]! * r[5]!) + 1e-12);
    }
  });
});
