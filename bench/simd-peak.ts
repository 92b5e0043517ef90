// The ceiling of the CPU backend's WebAssembly matmul on one core: GFLOP/s of the kernel's inner
// step (wasm-matmul.ts: 4 rows of A splat, 2 or 1 vectors of B, 8 or 4 accumulators, a separate
// multiply and add per lane) over operands that stay in L1 (a 1 KiB window), so no packing, cache
// miss or loop over panels counts; generated with the kernel's encoder (wasm-encode.ts).
// WebAssembly has no fused multiply-add outside relaxed SIMD, so this is the machine's 128-bit
// add + multiply rate as the kernel can use it; the matmul's one-thread GFLOP/s is read against it.
// Run: npx tsx bench/simd-peak.ts [--rounds 5]

import { I32, SIMD, V128, op, wasmModule } from '../src/backend/cpu/wasm-encode.js';
import { arg } from './util.js';

const STEPS = 1e7;
/** Rows of A and vectors of B per step: the kernel's register block (14 of the 16 xmm registers). */
const MR = 4;
const NV = 2;

/** run(n): n steps of acc[i][v] += splat(A[i]) * B[v], A and B read from a window that moves by 64 bytes a step. */
function peakModule(f32: boolean): Uint8Array<ArrayBuffer> {
  const [n, i, p] = [0, 1, 2];
  const acc = (r: number, v: number): number => 3 + r * NV + v;
  const bv = (v: number): number => 3 + MR * NV + v;
  const av = 3 + MR * NV + NV;
  const [mul, add, splat, esz] = f32 ? [SIMD.f32x4Mul, SIMD.f32x4Add, SIMD.load32Splat, 4] : [SIMD.f64x2Mul, SIMD.f64x2Add, SIMD.load64Splat, 8];
  const body: number[] = [...op.block, ...op.loop];
  for (let v = 0; v < NV; v++) body.push(...op.get(p), ...op.simd(SIMD.load, { align: 4, offset: 16 * v }), ...op.set(bv(v)));
  for (let r = 0; r < MR; r++) {
    body.push(...op.get(p), ...op.simd(splat, { align: Math.log2(esz), offset: 32 + esz * r }), ...op.set(av));
    for (let v = 0; v < NV; v++) body.push(...op.get(acc(r, v)), ...op.get(av), ...op.get(bv(v)), ...op.simd(mul), ...op.simd(add), ...op.set(acc(r, v)));
  }
  body.push(...op.get(p), ...op.i32(64), ...op.add, ...op.i32(1023 - 63), 0x71 /* i32.and */, ...op.set(p));
  body.push(...op.get(i), ...op.i32(1), ...op.add, ...op.tee(i), ...op.get(n), 0x48 /* i32.lt_s */, ...op.brIf(0), ...op.end, ...op.end);
  // the sums stay live
  for (let r = 0; r < MR; r++)
    for (let v = 0; v < NV; v++) body.push(...op.i32(4096 + 16 * (r * NV + v)), ...op.get(acc(r, v)), ...op.simd(SIMD.store, { align: 4, offset: 0 }));
  return wasmModule([{ name: 'run', params: [I32], locals: [I32, I32, ...new Array<number>(MR * NV + NV + 1).fill(V128)], body }]);
}

function main(): void {
  const rounds = Number(arg('rounds', '5'));
  const memory = new WebAssembly.Memory({ initial: 1 });
  // normal numbers near 1 in the lanes' own format (no subnormals: they take a slow path)
  const fill = (view: Float32Array | Float64Array): void => {
    for (let k = 0; k < view.length; k++) view[k] = 1 + 1e-3 * (k % 97);
  };
  console.log(`one core, the matmul kernel's inner step on L1-resident operands: ${rounds} rounds of ${STEPS} steps, best GFLOP/s\n`);
  console.log('vector  GFLOP/s');
  for (const f32 of [false, true]) {
    fill(f32 ? new Float32Array(memory.buffer) : new Float64Array(memory.buffer));
    const inst = new WebAssembly.Instance(new WebAssembly.Module(peakModule(f32)), { env: { mem: memory } });
    const run = inst.exports.run as (n: number) => void;
    run(1000);
    let best = Infinity;
    for (let r = 0; r < rounds; r++) {
      const t0 = performance.now();
      run(STEPS);
      best = Math.min(best, performance.now() - t0);
    }
    const flops = STEPS * MR * NV * 2 * (f32 ? 4 : 2);
    console.log(`${f32 ? 'f32x4' : 'f64x2'}   ${(flops / best / 1e6).toFixed(1).padStart(7)}`);
  }
}

main();
