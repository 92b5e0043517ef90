// Batched matmul on the CPU: operands are packed to row-major when their views are not, then an
// i-k-j loop accumulates rows of C in the output array itself (a Float32Array rounds every
// update as float32 hardware would). Single-threaded.

import type { HostArray } from '../../dtype.js';
import type { MatmulKernel } from '../../schedule/kernel.js';
import type { View } from '../../schedule/view.js';

/** Returns [data, batchStride, offset] with the last two dims row-major. */
function rowMajor(src: HostArray, v: View, rows: number, cols: number): [HostArray, number, number] {
  const [sb, sr, sc] = v.strides as [number, number, number];
  if (!v.mask && sc === 1 && (sr === cols || rows === 1)) return [src, sb, v.offset];
  const batch = v.shape[0]!;
  const out = new (src.constructor as { new (n: number): HostArray })(batch * rows * cols);
  for (let b = 0; b < batch; b++) {
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const ok = !v.mask || (r >= v.mask[1]![0] && r < v.mask[1]![1] && c >= v.mask[2]![0] && c < v.mask[2]![1] && b >= v.mask[0]![0] && b < v.mask[0]![1]);
        out[(b * rows + r) * cols + c] = ok ? src[v.offset + b * sb + r * sr + c * sc]! : 0;
      }
    }
  }
  return [out, rows * cols, 0];
}

/** C = A @ B for `k`, with A read from `a` through `aView` ([batch, m, k]). */
export function runMatmul(k: MatmulKernel, a: HostArray, aView: View, b: HostArray, out: HostArray): void {
  const { batch, m, n } = k;
  const kk = k.k;
  const [A, sa, oa] = rowMajor(a, aView, m, kk);
  const [B, sb, ob] = rowMajor(b, k.b.view, kk, n);
  out.fill(0);
  for (let t = 0; t < batch; t++) {
    const a0 = oa + t * sa, b0 = ob + t * sb, c0 = t * m * n;
    for (let i = 0; i < m; i++) {
      const ci = c0 + i * n;
      const ai = a0 + i * kk;
      for (let p = 0; p < kk; p++) {
        const aip = A[ai + p]!;
        const bp = b0 + p * n;
        let j = 0;
        for (; j + 3 < n; j += 4) {
          out[ci + j] += aip * B[bp + j]!;
          out[ci + j + 1] += aip * B[bp + j + 1]!;
          out[ci + j + 2] += aip * B[bp + j + 2]!;
          out[ci + j + 3] += aip * B[bp + j + 3]!;
        }
        for (; j < n; j++) out[ci + j] += aip * B[bp + j]!;
      }
    }
  }
}
