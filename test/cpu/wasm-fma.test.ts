// The CPU matmul's fused kernels: relaxed SIMD's multiply-add, which the backend uses by default
// where the engine has relaxed SIMD and the machine fuses it (Chrome ≥ 114, Node ≥ 22; x86-64 with
// FMA3, ARM64). Each product must equal, bit for bit, a chain of correctly rounded fused
// multiply-adds in k order computed in BigInt (test/helpers/fma.ts), over the operand views and
// shapes of wasm-matmul.test.ts, on one thread and two. Node 20 has relaxed SIMD behind a V8 flag:
// this file turns it on for its own process (vitest runs each file in a fresh fork) before the
// kernels compile, so CI checks the path browser users get.

import { setFlagsFromString } from 'node:v8';
import { afterEach, describe, expect, it } from 'vitest';
import * as W from '../../src/index.js';
import type { DType, HostArray } from '../../src/dtype.js';
import type { MatmulKernel } from '../../src/schedule/kernel.js';
import { contiguousView } from '../../src/schedule/view.js';
import { runMatmul } from '../../src/backend/cpu/matmul.js';
import {
  hasRelaxedSimd,
  setWasmMatmul,
  setWasmMatmulFma,
  setWasmMatmulThreads,
  wasmMatmulInstance,
  wasmMatmulStats,
} from '../../src/backend/cpu/wasm-matmul.js';
import { fmaExact } from '../helpers/fma.js';
import { type Case, SHAPES, makeCase, operands, product, sameBits, viewAt } from './matmul-cases.js';

// before anything compiles the kernels (the library compiles them on the first product)
if (!hasRelaxedSimd()) setFlagsFromString('--experimental-wasm-relaxed-simd');

afterEach(() => {
  setWasmMatmul(true);
  setWasmMatmulThreads(2);
  setWasmMatmulFma(true);
});

/** C[t, i, j] = fma(A[t, i, k−1], B[t, k−1, j], … fma(A[t, i, 0], B[t, 0, j], +0)), each step rounded once. */
function fmaChain(dtype: DType, c: Case, a: HostArray, b: HostArray): HostArray {
  const precision = dtype === 'float64' ? 53 : 24;
  const out = dtype === 'float32' ? new Float32Array(c.batch * c.m * c.n) : new Float64Array(c.batch * c.m * c.n);
  for (let t = 0; t < c.batch; t++)
    for (let i = 0; i < c.m; i++)
      for (let j = 0; j < c.n; j++) {
        let acc = 0;
        for (let p = 0; p < c.k; p++) acc = fmaExact(viewAt(a, c.aView, t, i, p), viewAt(b, c.bView, t, p, j), acc, precision);
        out[(t * c.m + i) * c.n + j] = acc;
      }
  return out;
}

describe('wasm matmul with a fused multiply-add', () => {
  it('relaxed SIMD is on in this process, and both dtypes fuse here', () => {
    expect(Object.keys(wasmMatmulInstance()!.fused).sort()).toEqual(['float32', 'float64']);
  });

  for (const dtype of ['float32', 'float64'] as const) {
    it(`${dtype}: (−1)·1 + (1 + e)² rounds once (2e + e²), and twice with the fused kernels off, as in JS (2e)`, () => {
      // a product of 8 x 64 by 64 x 8 (large enough for the wasm kernel); row 0 of A and column 0 of B hold the terms
      const e = dtype === 'float64' ? 2 ** -27 : 2 ** -12;
      const c: Case = { batch: 1, m: 8, n: 8, k: 64, aView: contiguousView([1, 8, 64]), bView: contiguousView([1, 64, 8]), aSize: 512, bSize: 512 };
      const make = (n: number): HostArray => (dtype === 'float32' ? new Float32Array(n) : new Float64Array(n));
      const [a, b] = [make(512), make(512)];
      [a[0], a[1], b[0], b[8]] = [-1, 1 + e, 1, 1 + e];
      const kernel = { type: 'matmul', dtype, batch: 1, m: 8, n: 8, k: 64 } as unknown as MatmulKernel;
      const c00 = (wasm: boolean, fma: boolean): number => {
        const out = make(64);
        setWasmMatmul(wasm);
        setWasmMatmulFma(fma);
        runMatmul(kernel, [{ src: a, view: c.aView, from: 0, rows: 8 }], b, c.bView, out);
        return out[0]!;
      };
      const calls = wasmMatmulStats.calls;
      expect(c00(true, true)).toBe(2 * e + e * e);
      expect(c00(true, false)).toBe(2 * e);
      expect(c00(false, true)).toBe(2 * e);
      expect(wasmMatmulStats.calls).toBe(calls + 2);
    });

    // every shape but the largest (the BigInt reference costs microseconds a step)
    for (const [batch, m, n, k] of SHAPES.filter(([bt, m, n, k]) => bt * m * n * k < 1e6)) {
      it(`${dtype} [${batch}] ${m}x${k} @ ${k}x${n}, every operand variant: a chain of correctly rounded fmas`, () => {
        for (const variant of [0, 1, 2, 3]) {
          const c = makeCase(batch, m, n, k, variant);
          const { a, b } = operands(dtype, c);
          sameBits(product(dtype, c, true), fmaChain(dtype, c, a, b));
        }
      });
    }

    it(`${dtype}: two threads give one thread's bits, and a k longer than one block stays one chain`, () => {
      const c = makeCase(1, 130, 150, 300, 3);
      setWasmMatmulThreads(1);
      const one = product(dtype, c, true);
      setWasmMatmulThreads(2);
      new Float64Array(wasmMatmulInstance()!.memory.buffer).fill(Number.NaN);
      const split = wasmMatmulStats.splitCalls;
      sameBits(product(dtype, c, true), one);
      expect(wasmMatmulStats.splitCalls).toBeGreaterThan(split);
      // a few rows against the reference (the k loop spans two of the kernel's k blocks)
      const rows = { ...c, m: 3, aView: { ...c.aView, shape: [1, 3, 300] } };
      const { a, b } = operands(dtype, c);
      sameBits(one.subarray(0, 3 * 150), fmaChain(dtype, rows, a, b));
    });
  }

  it('the public API uses the fused kernels by default', async () => {
    await W.init({ backend: 'cpu' });
    for (const dtype of ['float32', 'float64'] as const) {
      const x = W.randn([40, 300], { seed: 7, dtype });
      const y = W.randn([300, 30], { seed: 8, dtype });
      const got = (await x.matmul(y).data()) as HostArray;
      const c: Case = { batch: 1, m: 40, n: 30, k: 300, aView: contiguousView([1, 40, 300]), bView: contiguousView([1, 300, 30]), aSize: 0, bSize: 0 };
      sameBits(got, fmaChain(dtype, c, (await x.data()) as HostArray, (await y.data()) as HostArray));
    }
  });
});

describe("init's cpu.fma option", () => {
  it('turns the fused kernels off and on through the public API', async () => {
    for (const dtype of ['float32', 'float64'] as const) {
      // the rounding case of the first test, as tensors: [8, 64] @ [64, 8], terms in row 0 and column 0
      const e = dtype === 'float64' ? 2 ** -27 : 2 ** -12;
      const a = Array.from({ length: 8 }, (_, i) => Array.from({ length: 64 }, (_, p) => (i === 0 && p < 2 ? [-1, 1 + e][p]! : 0)));
      const b = Array.from({ length: 64 }, (_, p) => Array.from({ length: 8 }, (_, j) => (j === 0 && p < 2 ? [1, 1 + e][p]! : 0)));
      const c00 = async (fma: boolean): Promise<number> => {
        await W.init({ backend: 'cpu', cpu: { fma } });
        return ((await W.tensor(a, { dtype }).matmul(W.tensor(b, { dtype })).data()) as HostArray)[0]!;
      };
      expect(await c00(false)).toBe(2 * e);
      expect(await c00(true)).toBe(2 * e + e * e);
    }
  });
});
