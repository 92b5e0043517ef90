// The WebAssembly SIMD matmul with a separate multiply and add (its fused kernels turned off:
// wasm-fma.test.ts checks those) against the JS kernel: bit-identical products in float32 and
// float64 over shapes off the register blocks, batches (shared and broadcast B), strided,
// transposed, offset and masked operand views, k = 0 and size-1 dims, on one thread and split
// over two (Node's helper thread); the JS fallback when turned off; and the public API taking
// the WebAssembly path.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as W from '../../src/index.js';
import type { HostArray } from '../../src/dtype.js';
import type { MatmulKernel } from '../../src/schedule/kernel.js';
import { runMatmul } from '../../src/backend/cpu/matmul.js';
import {
  THREAD_MIN_WORK,
  WASM_MIN_WORK,
  setWasmMatmul,
  setWasmMatmulFma,
  setWasmMatmulThreads,
  wasmMatmulInstance,
  wasmMatmulStats,
} from '../../src/backend/cpu/wasm-matmul.js';
import { SHAPES, makeCase, product, sameBits } from './matmul-cases.js';

beforeEach(() => setWasmMatmulFma(false));
afterEach(() => {
  setWasmMatmul(true);
  setWasmMatmulThreads(2);
  setWasmMatmulFma(true);
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
