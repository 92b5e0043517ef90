// Operand packing for the WebAssembly matmul (wasm-matmul.ts), in WebAssembly SIMD: a view whose
// rows or columns are contiguous is copied into the module's memory as it lies (one
// TypedArray.set), then rearranged there into the kernel's panels with v128 loads, shuffles and
// stores: whole chunks of a panel row where the view's columns are contiguous (B as it usually
// lies, or A stored transposed), a 2x2 (float64) or 4x4 (float32) transpose where its rows are (A
// as it usually lies, or B stored transposed). The last partial panel and the last columns are
// packed in JS from the same copy; masked or otherwise strided views are left to pack.ts
// (packPanels, the same layout). A 1024 float64 product spent about 10 ms packing in JS, and
// spends about 5.5 here, the copy in included (float32: 7 and 2.4).

import type { HostArray } from '../../dtype.js';
import type { View } from '../../schedule/view.js';
import { I32, SIMD, V128, type WasmFunction, assign, bump, countedLoop as loop, op } from './wasm-encode.js';

/** Source rows per call of a copy pack. */
const COPY_ROWS = 32;

/** The module's pack functions: copy(src, ld, rows, panels, dst, pstride) and transpose(src, ld, steps, panels, dst, panelBytes). */
export type PackFn = (...args: number[]) => void;

/** The two pack functions for one panel shape. */
export interface Packers {
  readonly copy: PackFn;
  readonly transpose: PackFn;
}

/** Names of the pack functions for element size `esz` and panel width `w` (elements). */
export const packNames = (esz: number, w: number): { copy: string; transpose: string } => ({
  copy: `copy${esz * w}`,
  transpose: `transpose${esz}x${w}`,
});

/**
 * copy(src, ld, rows, panels, dst, pstride): for each of `panels` chunks of `chunk` bytes along
 * the source rows (ld bytes apart), panel by panel, the chunk of row p goes to
 * dst + q·pstride + p·chunk. rows, panels ≥ 1. The caller passes a few rows at a time, so the
 * rows' cache lines and pages stay at hand from one panel to the next.
 */
function copyPack(name: string, chunk: number): WasmFunction {
  const [src, ld, rows, panels, dst, pstride] = [0, 1, 2, 3, 4, 5];
  const [s, d, p] = [6, 7, 8];
  const vectors = chunk / 16;
  const move = Array.from({ length: vectors }, (_, v) => [
    ...op.get(d),
    ...op.get(s),
    ...op.simd(SIMD.load, { align: 0, offset: 16 * v }),
    ...op.simd(SIMD.store, { align: 0, offset: 16 * v }),
  ]).flat();
  const body = loop(panels, [
    ...assign(s, src),
    ...assign(d, dst),
    ...assign(p, rows),
    ...loop(p, [...move, ...bump(s, op.get(ld)), ...bump(d, op.i32(chunk))]),
    ...bump(src, op.i32(chunk)),
    ...bump(dst, op.get(pstride)),
  ]);
  return { name, params: new Array<number>(6).fill(I32), locals: new Array<number>(3).fill(I32), body };
}

/** i8x16.shuffle of the two vectors on the stack taking lanes `lanes` (of `size` bytes) of the 2·(16/size) lanes. */
const shuffle = (lanes: readonly number[], size: number): number[] => [
  ...op.simd(SIMD.shuffle),
  ...lanes.flatMap((l) => Array.from({ length: size }, (_, b) => l * size + b)),
];

/**
 * transpose(src, ld, steps, panels, dst, panelBytes): panel q holds source rows w·q .. w·q + w − 1
 * (ld bytes apart) as columns: for each of `steps` runs of L = 16 / esz elements along the rows,
 * blocks of L rows are transposed (L x L) and element p of row w·q + j goes to
 * dst + q·panelBytes + (p·w + j)·esz. steps, panels ≥ 1.
 */
function transposePack(name: string, esz: number, w: number): WasmFunction {
  const [src, ld, steps, panels, dst, panelBytes] = [0, 1, 2, 3, 4, 5];
  const [s, d, st, q] = [6, 7, 8, 9];
  const rowOff = (j: number): number => 10 + j; // j·ld
  const L = 16 / esz;
  const x = (l: number): number => 10 + w + l;
  const t = (l: number): number => 10 + w + L + l;
  const blocks = w / L;
  const block = (b: number): number[] => {
    const load = Array.from({ length: L }, (_, l) => [
      ...op.get(s),
      ...op.get(rowOff(b * L + l)),
      ...op.add,
      ...op.simd(SIMD.load, { align: 0, offset: 0 }),
      ...op.set(x(l)),
    ]).flat();
    // column c of the block (its L rows' element c) goes to d + c·w·esz + b·16
    const store = (c: number, value: number[]): number[] => [...op.get(d), ...value, ...op.simd(SIMD.store, { align: 0, offset: c * w * esz + b * 16 })];
    if (L === 2) {
      return [
        ...load,
        ...store(0, [...op.get(x(0)), ...op.get(x(1)), ...shuffle([0, 2], 8)]),
        ...store(1, [...op.get(x(0)), ...op.get(x(1)), ...shuffle([1, 3], 8)]),
      ];
    }
    // 4x4: interleave rows pairwise, then take 64-bit halves
    const pair = (a: number, c: number, lanes: number[], into: number): number[] => [
      ...op.get(x(a)),
      ...op.get(x(c)),
      ...shuffle(lanes, 4),
      ...op.set(t(into)),
    ];
    return [
      ...load,
      ...pair(0, 1, [0, 4, 1, 5], 0),
      ...pair(2, 3, [0, 4, 1, 5], 1),
      ...pair(0, 1, [2, 6, 3, 7], 2),
      ...pair(2, 3, [2, 6, 3, 7], 3),
      ...store(0, [...op.get(t(0)), ...op.get(t(1)), ...shuffle([0, 2], 8)]),
      ...store(1, [...op.get(t(0)), ...op.get(t(1)), ...shuffle([1, 3], 8)]),
      ...store(2, [...op.get(t(2)), ...op.get(t(3)), ...shuffle([0, 2], 8)]),
      ...store(3, [...op.get(t(2)), ...op.get(t(3)), ...shuffle([1, 3], 8)]),
    ];
  };
  const body = [
    ...Array.from({ length: w }, (_, j) => [...op.get(ld), ...op.i32(j), ...op.mul, ...op.set(rowOff(j))]).flat(),
    ...assign(q, panels),
    ...loop(q, [
      ...assign(s, src),
      ...assign(d, dst),
      ...assign(st, steps),
      ...loop(st, [...Array.from({ length: blocks }, (_, b) => block(b)).flat(), ...bump(s, op.i32(16)), ...bump(d, op.i32(L * w * esz))]),
      ...bump(src, [...op.get(ld), ...op.i32(w), ...op.mul]),
      ...bump(dst, op.get(panelBytes)),
    ]),
  ];
  return {
    name,
    params: new Array<number>(6).fill(I32),
    locals: [...new Array<number>(4 + w).fill(I32), ...new Array<number>(L + (L === 4 ? 4 : 0)).fill(V128)],
    body,
  };
}

/** The pack functions for panels of these shapes, [element size, panel width in elements] (each once). */
export function packFunctions(shapes: readonly (readonly [number, number])[]): WasmFunction[] {
  const fns = new Map<string, WasmFunction>();
  for (const [esz, w] of shapes) {
    const names = packNames(esz, w);
    if (!fns.has(names.copy)) fns.set(names.copy, copyPack(names.copy, esz * w));
    if (!fns.has(names.transpose)) fns.set(names.transpose, transposePack(names.transpose, esz, w));
  }
  return [...fns.values()];
}

/** Where the source lies, and its layout as the pack functions read it. */
interface Staged {
  /** 'copy': panel rows are chunks of source rows; 'transpose': panel columns are source rows. */
  readonly kind: 'copy' | 'transpose';
  /** First element and element count of the source span copied into memory. */
  readonly first: number;
  readonly span: number;
  /** Elements between source rows. */
  readonly ld: number;
}

/**
 * How a [batch, k, n] view packs in wasm at batch entry t (see packPanels), or null where it
 * does not (a mask, no contiguous dim, negative strides, or a span much larger than the data).
 */
export function stagedLayout(v: View, t: number, k: number, n: number): Staged | null {
  const [sb, sr, sc] = v.strides as [number, number, number];
  if (v.mask || k === 0 || n === 0 || sb < 0 || sr < 0 || sc < 0) return null;
  const first = v.offset + t * sb;
  // columns contiguous: source rows are B's rows (p); rows contiguous: source rows are B's columns
  const layout: Staged | null =
    sc === 1 ? { kind: 'copy', first, span: (k - 1) * sr + n, ld: sr } : sr === 1 ? { kind: 'transpose', first, span: (n - 1) * sc + k, ld: sc } : null;
  return layout && layout.span <= 2 * k * n ? layout : null;
}

/**
 * packPanels' result, out[at + (q·k + p)·w + j] = B[p, w·q + j] (0 past n), from the view's
 * elements copied to mem[stage ..] (`layout`, from stagedLayout), with the pack functions of
 * `fns` for this element size and width; the last partial panel and columns in JS.
 */
export function packStaged(src: HostArray, layout: Staged, k: number, n: number, mem: HostArray, w: number, at: number, stage: number, fns: Packers): void {
  const esz = mem.BYTES_PER_ELEMENT;
  const { kind, first, span, ld } = layout;
  mem.set(src.subarray(first, first + span), stage);
  const full = Math.floor(n / w);
  // element (p, c) of B in the copy: mem[stage + p·rs + c·cs]
  const rs = kind === 'copy' ? ld : 1;
  const cs = kind === 'copy' ? 1 : ld;
  let doneK = k; // columns p < doneK of the full panels are packed
  if (full > 0) {
    if (kind === 'copy') {
      // COPY_ROWS source rows at a time (their lines and pages reused across the panels)
      for (let p0 = 0; p0 < k; p0 += COPY_ROWS)
        fns.copy((stage + p0 * ld) * esz, ld * esz, Math.min(COPY_ROWS, k - p0), full, (at + p0 * w) * esz, k * w * esz);
    } else {
      const L = 16 / esz;
      const steps = Math.floor(k / L);
      doneK = steps * L;
      if (steps > 0) fns.transpose(stage * esz, ld * esz, steps, full, at * esz, k * w * esz);
    }
  }
  for (let q = 0; q < full; q++)
    for (let p = doneK; p < k; p++) for (let j = 0; j < w; j++) mem[at + (q * k + p) * w + j] = mem[stage + p * rs + (w * q + j) * cs]!;
  if (full * w === n) return;
  for (let p = 0; p < k; p++)
    for (let j = 0; j < w; j++) {
      const c = full * w + j;
      mem[at + (full * k + p) * w + j] = c < n ? mem[stage + p * rs + c * cs]! : 0;
    }
}
