// Operand packing for the CPU matmuls: reading a [batch, rows, cols] view (strided, broadcast,
// masked) into the layouts the kernels want: row-major A for the JS kernel, and panels of w
// columns (B, or A through its transposed view) for both kernels.

import type { HostArray } from '../../dtype.js';
import type { View } from '../../schedule/view.js';

/**
 * Rows [from, from + rows) of a matmul's A ([batch, m, k]) read from `src` through `view` (shape
 * [batch, rows, k]). A is one such block, or several when its fused producer is a concatenation
 * of views along its rows (matmul.ts's aRowBlocks).
 */
export interface ARows {
  readonly src: HostArray;
  readonly view: View;
  readonly from: number;
  readonly rows: number;
}

/** Returns [data, batchStride, offset] with the last two dims row-major. */
export function rowMajor(src: HostArray, v: View, rows: number, cols: number): [HostArray, number, number] {
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

/** A, given as row blocks, copied row-major: [data, batchStride, offset] as rowMajor returns. */
export function rowMajorBlocks(a: readonly ARows[], batch: number, m: number, kk: number): [HostArray, number, number] {
  const out = new (a[0]!.src.constructor as { new (n: number): HostArray })(batch * m * kk);
  for (const r of a) {
    const [data, sb, off] = rowMajor(r.src, r.view, r.rows, kk);
    for (let t = 0; t < batch; t++) out.set(data.subarray(off + t * sb, off + t * sb + r.rows * kk), (t * m + r.from) * kk);
  }
  return [out, m * kk, 0];
}

/**
 * Copies B[t] (through its view, [batch, k, n]) into panels of `w` columns:
 * out[at + (q * k + p) * w + j] = B[p, w·q + j] (0 past n and outside the mask).
 */
export function packPanels(src: HostArray, v: View, t: number, k: number, n: number, out: HostArray, w = 4, at = 0): void {
  const [sb, sr, sc] = v.strides as [number, number, number];
  const base = v.offset + t * sb;
  const m = v.mask;
  const panels = Math.ceil(n / w);
  if (!m) {
    // no mask: whole panels without a test per element, then the last one's tail
    const full = Math.floor(n / w);
    for (let q = 0; q < full; q++) {
      let d = at + q * k * w;
      const col = base + w * q * sc;
      if (w === 4) {
        // the kernels' panel widths, unrolled (A's 4 rows; float64 B's 4 columns)
        for (let p = 0, s = col; p < k; p++, s += sr, d += 4) {
          out[d] = src[s]!;
          out[d + 1] = src[s + sc]!;
          out[d + 2] = src[s + 2 * sc]!;
          out[d + 3] = src[s + 3 * sc]!;
        }
        continue;
      }
      for (let p = 0; p < k; p++, d += w) {
        const s = col + p * sr;
        for (let j = 0; j < w; j++) out[d + j] = src[s + j * sc]!;
      }
    }
    if (full === panels) return;
  }
  for (let q = m ? 0 : panels - 1; q < panels; q++) {
    for (let p = 0; p < k; p++) {
      const d = at + (q * k + p) * w;
      for (let j = 0; j < w; j++) {
        const c = w * q + j;
        const ok = c < n && (!m || (p >= m[1]![0] && p < m[1]![1] && c >= m[2]![0] && c < m[2]![1] && t >= m[0]![0] && t < m[0]![1]));
        out[d + j] = ok ? src[base + p * sr + c * sc]! : 0;
      }
    }
  }
}

/** The view [batch, c, r] of a view [batch, r, c] (its last two dims swapped). */
export function transposed(v: View): View {
  const swap = <T>(x: readonly T[]): T[] => [x[0]!, x[2]!, x[1]!];
  return { shape: swap(v.shape), strides: swap(v.strides), offset: v.offset, mask: v.mask && swap(v.mask) };
}
