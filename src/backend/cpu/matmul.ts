// Batched matmul on the CPU, single-threaded JS (the fallback where the WebAssembly SIMD kernel
// of wasm-matmul.ts is unavailable or the product is small): A is packed row-major when its view is not, B is
// packed into panels of 4 columns, and each 4x4 block of C is accumulated in 16 local variables
// (registers) over the whole k loop, then stored. float32 accumulators are rounded after every
// multiply and after every add (Math.fround), as float32 hardware (and f32x4 SIMD) does: the
// WebAssembly kernel (wasm-matmul.ts) gives bit-identical results where it does not fuse the
// multiply-add (its fused kernels round once a step); the kernel is compiled once per dtype so
// every typed-array access stays monomorphic.

import type { DType, HostArray } from '../../dtype.js';
import type { MatmulKernel } from '../../schedule/kernel.js';
import type { View } from '../../schedule/view.js';
import { type ARows, packPanels, rowMajor, rowMajorBlocks } from './pack.js';
import { runWasmMatmul } from './wasm-matmul.js';

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
      for (let c = 0; c < 4; c++) L.push(`${acc(r, c)} = ${round(`${acc(r, c)} + ${round(`x${r} * b${c}`)}`)};`);
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
  return (blocks[dtype] ??= new Function(
    'A',
    'aBase',
    'B',
    'C',
    'c0',
    'm',
    'k',
    'n',
    blockSource(dtype === 'float32' ? (s) => `Math.fround(${s})` : (s) => s),
  ) as Block);
}

/**
 * C = A @ B for `k`, with A read as row blocks `a` (one block for a plain operand; matmul.ts's
 * aRowBlocks for a concatenation) and B from `b` through `bView` ([batch, k, n]).
 */
export function runMatmul(k: MatmulKernel, a: readonly ARows[], b: HostArray, bView: View, out: HostArray): void {
  if (runWasmMatmul(k, a, b, bView, out)) return;
  const { batch, m, n } = k;
  const kk = k.k;
  const [A, sa, oa] = a.length === 1 ? rowMajor(a[0]!.src, a[0]!.view, m, kk) : rowMajorBlocks(a, batch, m, kk);
  const panel = new (out.constructor as { new (n: number): HostArray })(((n + 3) >> 2) * 4 * kk);
  const block = blockFor(k.dtype);
  const sharedB = batch === 1 || bView.strides[0] === 0;
  for (let t = 0; t < batch; t++) {
    if (t === 0 || !sharedB) packPanels(b, bView, t, kk, n, panel);
    block(A, oa + t * sa, panel, out, t * m * n, m, kk, n);
  }
}

/** Rows [from, from + rows) of a matmul's A, read from plan slot `slot` through `view` ([batch, rows, k]). */
export interface ARowBlock {
  readonly slot: number;
  readonly view: View;
  readonly from: number;
  readonly rows: number;
}

/**
 * A's fused producer when it is a concatenation of views along A's rows (a sum of arguments
 * whose masks split the rows among them: the folded bias gradient's row of ones under a weight
 * gradient's operand, schedule/row-sums.ts), as row blocks the packers read directly instead of
 * evaluating A into a scratch first: each block's slot and view, its first row and row count;
 * null otherwise.
 */
export function aRowBlocks(k: MatmulKernel): ARowBlock[] | null {
  const p = k.aPrologue;
  if (p?.shape.length !== 3 || p.shape[0] !== k.batch || p.shape[1] !== k.m || p.shape[2] !== k.k) return null;
  const leaves: number[] = [];
  const collect = (e: MatmulKernel['outs'][number]['expr']): boolean => {
    if (e.k === 'arg') return leaves.push(e.i) > 0;
    return e.k === 'op' && e.op === 'add' && e.args.every(collect);
  };
  if (!collect(p.expr)) return null;
  const blocks: ARowBlock[] = [];
  for (const i of leaves) {
    const { slot, view: v } = p.args[i]!;
    const [lo, hi] = v.mask ? [Math.max(0, v.mask[1]![0]), Math.min(k.m, v.mask[1]![1])] : [0, k.m];
    if (hi <= lo) continue; // reads nothing
    const rows = hi - lo;
    // a mask that covers the whole block is dropped: the packers' fast paths take unmasked views
    const shape = [k.batch, rows, k.k];
    const m = v.mask ? [v.mask[0]!, [0, rows] as const, v.mask[2]!] : null;
    const mask = m?.some(([a, b], d) => a > 0 || b < shape[d]!) ? m : null;
    blocks.push({ slot, view: { shape, strides: v.strides, offset: v.offset + lo * v.strides[1]!, mask }, from: lo, rows });
  }
  // the blocks must cover every row once
  blocks.sort((x, y) => x.from - y.from);
  let next = 0;
  for (const b of blocks) {
    if (b.from !== next) return null;
    next += b.rows;
  }
  return next === k.m && blocks.length > 1 ? blocks : null;
}
