// The CPU matmul's fused multiply-add for a benchmark process: wasm-matmul.ts uses relaxed SIMD's
// multiply-add wherever the engine has it (Chrome ≥ 114, Node ≥ 22). Node 20 keeps relaxed SIMD
// behind a V8 flag; the issue-10 benchmarks set it for their own process, before anything compiles
// the kernels, so they measure what those engines run, and say so. --no-fma measures the separate
// multiply and add instead (what Node 20 runs by default); the CPU matmul table times both anyway.

import { setFlagsFromString } from 'node:v8';
import { hasRelaxedSimd, setWasmMatmulFma } from '../src/backend/cpu/wasm-matmul.js';

/** Sets this process up as described above and returns a line for the report. Call before the first product. */
export function fusedMultiplyAdd(): string {
  if (process.argv.includes('--no-fma')) {
    setWasmMatmulFma(false);
    return 'CPU matmul: a separate multiply and add (--no-fma)';
  }
  if (hasRelaxedSimd()) return 'CPU matmul: fused multiply-add (this engine has relaxed SIMD)';
  setFlagsFromString('--experimental-wasm-relaxed-simd');
  return hasRelaxedSimd()
    ? 'CPU matmul: fused multiply-add (relaxed SIMD, turned on for this process with --experimental-wasm-relaxed-simd as Node 20 needs; Chrome ≥ 114 and Node ≥ 22 have it on; --no-fma for the separate multiply and add)'
    : 'CPU matmul: a separate multiply and add (this engine has no relaxed SIMD)';
}
