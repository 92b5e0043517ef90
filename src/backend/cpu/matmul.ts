// Batched matmul on the CPU, single-threaded: A is packed row-major when its view is not, B is
// packed into panels of 4 columns, and each 4x4 block of C is accumulated in 16 local variables
// (registers) over the whole k loop, then stored. float32 accumulators are rounded after every
// update (Math.fround), as float32 hardware would; the kernel is compiled once per dtype so
// every typed-array access stays monomorphic.

import type { DType, HostArray } from '../../dtype.js';
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

/** Copies B[t] (through its view) into panels: P[(q * k + p) * 4 + j] = B[p, 4q + j] (0 past n). */
function packPanels(src: HostArray, v: View, t: number, k: number, n: number, out: HostArray): void {
  const [sb, sr, sc] = v.strides as [number, number, number];
  const base = v.offset + t * sb;
  const m = v.mask;
  const panels = (n + 3) >> 2;
  for (let q = 0; q < panels; q++) {
    for (let p = 0; p < k; p++) {
      const d = (q * k + p) * 4;
      for (let j = 0; j < 4; j++) {
        const c = 4 * q + j;
        const ok = c < n && (!m || (p >= m[1]![0] && p < m[1]![1] && c >= m[2]![0] && c < m[2]![1] && t >= m[0]![0] && t < m[0]![1]));
        out[d + j] = ok ? src[base + p * sr + c * sc]! : 0;
      }
    }
  }
}

type Block = (A: HostArray, aBase: number, B: HostArray, C: HostArray, c0: number, m: number, k: number, n: number) => void;

/** Source of the blocked kernel: C[c0 + i * n + j] = Σ_p A[aBase + i * k + p] · P[...] for one batch entry. */
function blockSource(round: (s: string) => string): string {
  const L: string[] = [];
  const acc = (r: number, c: number): string => `c${r}${c}`;
  L.push('const panels = (n + 3) >> 2;');
  L.push('let i = 0;');
  // 4 rows at a time, then single rows
  for (const rows of [4, 1]) {
    L.push(rows === 4 ? 'for (; i + 3 < m; i += 4) {' : 'for (; i < m; i++) {');
    for (let r = 0; r < rows; r++) L.push(`const r${r} = aBase + (i + ${r}) * k;`);
    L.push('for (let q = 0; q < panels; q++) {');
    for (let r = 0; r < rows; r++) L.push(`let ${[0, 1, 2, 3].map((c) => `${acc(r, c)} = 0`).join(', ')};`);
    L.push('let d = q * k * 4;');
    L.push('for (let p = 0; p < k; p++, d += 4) {');
    L.push('const b0 = B[d], b1 = B[d + 1], b2 = B[d + 2], b3 = B[d + 3];');
    for (let r = 0; r < rows; r++) {
      L.push(`const x${r} = A[r${r} + p];`);
      for (let c = 0; c < 4; c++) L.push(`${acc(r, c)} = ${round(`${acc(r, c)} + x${r} * b${c}`)};`);
    }
    L.push('}');
    L.push('const col = 4 * q;');
    for (let r = 0; r < rows; r++) {
      L.push(`{ const o = c0 + (i + ${r}) * n + col;`);
      L.push(`if (col + 3 < n) { C[o] = ${acc(r, 0)}; C[o + 1] = ${acc(r, 1)}; C[o + 2] = ${acc(r, 2)}; C[o + 3] = ${acc(r, 3)}; }`);
      L.push(`else { C[o] = ${acc(r, 0)}; if (col + 1 < n) C[o + 1] = ${acc(r, 1)}; if (col + 2 < n) C[o + 2] = ${acc(r, 2)}; }`);
      L.push('}');
    }
    L.push('}');
    L.push('}');
  }
  return L.join('\n');
}

const blocks: Partial<Record<DType, Block>> = {};

function blockFor(dtype: DType): Block {
  return (blocks[dtype] ??= new Function('A', 'aBase', 'B', 'C', 'c0', 'm', 'k', 'n', blockSource(dtype === 'float32' ? (s) => `Math.fround(${s})` : (s) => s)) as Block);
}

/** C = A @ B for `k`, with A read from `a` through `aView` ([batch, m, k]). */
export function runMatmul(k: MatmulKernel, a: HostArray, aView: View, b: HostArray, out: HostArray): void {
  const { batch, m, n } = k;
  const kk = k.k;
  const [A, sa, oa] = rowMajor(a, aView, m, kk);
  const panel = new (out.constructor as { new (n: number): HostArray })(((n + 3) >> 2) * 4 * kk);
  const block = blockFor(k.dtype);
  const sharedB = batch === 1 || k.b.view.strides[0] === 0;
  for (let t = 0; t < batch; t++) {
    if (t === 0 || !sharedB) packPanels(b, k.b.view, t, kk, n, panel);
    block(A, oa + t * sa, panel, out, t * m * n, m, kk, n);
  }
}
