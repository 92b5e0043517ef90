// Batched matmul as WebAssembly SIMD generated at run time. Operands are packed
// into the module's linear memory: A in panels of MR rows (A'[r][p][i]), B in panels of NR
// columns (B'[q][p][j]), C padded to whole blocks. The kernel keeps an MR x NR block of C in
// v128 locals (f64x2 or f32x4) over a k block of KC, loops over row panels of an MC block (A
// block in cache) and over all column panels; the next k block resumes from the stored C. Each
// element's sum runs in the JS kernel's k order. Where the engine has relaxed SIMD and the
// machine fuses its multiply-add (Chrome ≥ 114, Node ≥ 22; x86-64 with FMA3, ARM64), each step is
// one fused multiply-add, rounded once (setWasmMatmulFma turns this off); elsewhere a separate
// multiply and add, each rounded in the dtype, so results are bit-identical to the JS kernel of
// matmul.ts. Large products split their column panels with a helper thread (wasm-threads.ts)
// where there is one.
// Operands are packed in WebAssembly too where their views allow (wasm-pack.ts), else in JS
// (pack.ts). Falls back (returns false) where WebAssembly or SIMD is unavailable, or the product is small.

import type { DType, HostArray } from '../../dtype.js';
import type { MatmulKernel } from '../../schedule/kernel.js';
import type { View } from '../../schedule/view.js';
import { I32, SIMD, V128, type WasmFunction, assign, bump, countedLoop, op, wasmModule } from './wasm-encode.js';
import { type ARows, packPanels, rowMajorBlocks, transposed } from './pack.js';
import { type Helper, coreCount, startHelper } from './wasm-threads.js';
import { type PackFn, type Packers, packFunctions, packNames, packStaged, stagedLayout } from './wasm-pack.js';

/** k block, and row panels of A per call (the A block, MC_PANELS·mr x KC, stays in cache). */
const KC = 256;
const MC_PANELS = 16;
/** Products with m·n·k below this (per batch entry) stay in JS (call and copy overheads; measured parity near 8³ float32, 16³ float64). */
export const WASM_MIN_WORK = 8 * 8 * 64;
/** Products with m·n·k below this (per batch entry) run on one thread. */
export const THREAD_MIN_WORK = 128 * 128 * 128;
/** Above this much linear memory (bytes) the JS kernel is used. */
const MAX_BYTES = 1 << 30;

/** Element size, lanes per v128, and the register block: mr rows x nv vectors of C. */
interface Geometry {
  readonly esz: number;
  readonly lanes: number;
  readonly mr: number;
  readonly nv: number;
}
const GEOMETRY: Partial<Record<DType, Geometry>> = {
  float32: { esz: 4, lanes: 4, mr: 4, nv: 2 },
  float64: { esz: 8, lanes: 2, mr: 4, nv: 2 },
};

/**
 * mm(a, b, c, mp, np, aStride, bStride, kc, ldc, first): for mp row panels (A at a, aStride bytes
 * apart) and np column panels (B at b, bStride apart), C block += A block · B block over kc steps
 * (C rows ldc bytes apart; first: start from 0 instead of C). With `fma`, each step is one
 * relaxed multiply-add (a single rounding where the hardware fuses it) instead of a multiply and
 * an add.
 */
function kernel(name: string, g: Geometry, fma: boolean): WasmFunction {
  const [a, b, c, mp, np, aStride, bStride, kc, ldc, first] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const [q, r, ap, bp, cp, p, bq, aq, crow, cq] = [10, 11, 12, 13, 14, 15, 16, 17, 18, 19];
  const { mr: MR, nv: NV } = g;
  const acc = (i: number, v: number): number => 20 + i * NV + v;
  const bv = (v: number): number => 20 + MR * NV + v;
  const av = 20 + MR * NV + NV;
  const [add, mul, madd] = g.esz === 4 ? [SIMD.f32x4Add, SIMD.f32x4Mul, SIMD.f32x4RelaxedMadd] : [SIMD.f64x2Add, SIMD.f64x2Mul, SIMD.f64x2RelaxedMadd];
  // acc[i][v] + A[i] · B[v]
  const step = (i: number, v: number): number[] =>
    fma
      ? [...op.get(av), ...op.get(bv(v)), ...op.get(acc(i, v)), ...op.simd(madd)]
      : [...op.get(acc(i, v)), ...op.get(av), ...op.get(bv(v)), ...op.simd(mul), ...op.simd(add)];
  const splat = g.esz === 4 ? SIMD.load32Splat : SIMD.load64Splat;
  const nr = NV * g.lanes;
  const rows = (f: (i: number) => number[]): number[] => Array.from({ length: MR }, (_, i) => f(i)).flat();
  const vecs = (f: (v: number) => number[]): number[] => Array.from({ length: NV }, (_, v) => f(v)).flat();
  // acc[i][v] <-> C rows from cp (cp advanced by ldc per row)
  const cRows = (each: (i: number, v: number) => number[]): number[] => [
    ...assign(cp, crow),
    ...rows((i) => [...vecs((v) => each(i, v)), ...bump(cp, op.get(ldc))]),
  ];
  const kStep = [
    ...vecs((v) => [...op.get(bp), ...op.simd(SIMD.load, { align: 4, offset: v * 16 }), ...op.set(bv(v))]),
    ...rows((i) => [
      ...op.get(ap),
      ...op.simd(splat, { align: Math.log2(g.esz), offset: i * g.esz }),
      ...op.set(av),
      ...vecs((v) => [...step(i, v), ...op.set(acc(i, v))]),
    ]),
    ...bump(ap, op.i32(MR * g.esz)),
    ...bump(bp, op.i32(nr * g.esz)),
  ];
  const rowPanel = [
    ...op.get(first),
    ...op.if,
    ...rows((i) => vecs((v) => [...op.v128Zero, ...op.set(acc(i, v))])),
    ...op.else,
    ...cRows((i, v) => [...op.get(cp), ...op.simd(SIMD.load, { align: 4, offset: v * 16 }), ...op.set(acc(i, v))]),
    ...op.end,
    ...assign(ap, aq),
    ...assign(bp, bq),
    ...assign(p, kc),
    ...countedLoop(p, kStep),
    ...cRows((i, v) => [...op.get(cp), ...op.get(acc(i, v)), ...op.simd(SIMD.store, { align: 4, offset: v * 16 })]),
    ...bump(aq, op.get(aStride)),
    ...bump(crow, [...op.get(ldc), ...op.i32(MR), ...op.mul]),
  ];
  const columnPanel = [
    ...assign(r, mp),
    ...assign(aq, a),
    ...assign(crow, cq),
    ...countedLoop(r, rowPanel),
    ...bump(bq, op.get(bStride)),
    ...bump(cq, op.i32(nr * g.esz)),
  ];
  const body = [...assign(q, np), ...assign(bq, b), ...assign(cq, c), ...countedLoop(q, columnPanel)];
  return {
    name,
    params: new Array<number>(10).fill(I32),
    locals: [...new Array<number>(10).fill(I32), ...new Array<number>(MR * NV + NV + 1).fill(V128)],
    body,
  };
}

type MM = (a: number, b: number, c: number, mp: number, np: number, aStride: number, bStride: number, kc: number, ldc: number, first: number) => void;

interface Instance {
  readonly memory: WebAssembly.Memory;
  /** Kernels with a separate multiply and add, bit-identical to the JS kernel. */
  readonly fns: Partial<Record<DType, MM>>;
  /** Kernels with a fused multiply-add, for the dtypes whose relaxed multiply-add this engine and machine fuse (none without relaxed SIMD). */
  readonly fused: Partial<Record<DType, MM>>;
  /** The pack functions (wasm-pack.ts) by element size, then panel width. */
  readonly packers: Readonly<Record<number, Readonly<Record<number, Packers>>>>;
  /** The second thread (shared memory, Node), or null. */
  readonly helper: Helper | null;
}

/** The kernels a module holds, in order (the helper thread calls them by index). */
const KERNELS = [
  { dtype: 'float32', fma: false, name: 'mm32' },
  { dtype: 'float64', fma: false, name: 'mm64' },
  { dtype: 'float32', fma: true, name: 'mm32fma' },
  { dtype: 'float64', fma: true, name: 'mm64fma' },
] as const;
const kernelIndex = (dtype: DType, fma: boolean): number => KERNELS.findIndex((k) => k.dtype === dtype && k.fma === fma);

let enabled = true;
let useFma = true;
let threads = Math.min(2, coreCount());
/** Matmuls run by the WebAssembly kernel, and kernel calls split over two threads (tests check the paths were taken). */
export const wasmMatmulStats = { calls: 0, splitCalls: 0 };
let instance: Instance | null | undefined;

/** Turns the WebAssembly kernel on or off (off: every matmul runs the JS kernel). */
export function setWasmMatmul(on: boolean): void {
  enabled = on;
}

/** Threads for large matmuls: 1, or 2 where a helper thread can start (default: 2 on 2+ cores). */
export function setWasmMatmulThreads(n: 1 | 2): void {
  threads = n;
}

/**
 * Whether the kernels with a fused multiply-add run where the engine has them (default: on). Off,
 * every product is bit-identical to the JS kernel's; on, each step rounds once instead of twice.
 */
export function setWasmMatmulFma(on: boolean): void {
  useFma = on;
}

/** The setting setWasmMatmulFma made (whether the fused kernels run where they exist). */
export function wasmMatmulFma(): boolean {
  return useFma;
}

/** Whether this engine validates relaxed SIMD (Chrome ≥ 114, Node ≥ 22; Node 20 with --experimental-wasm-relaxed-simd). */
export function hasRelaxedSimd(): boolean {
  try {
    return WebAssembly.validate(wasmModule([kernel('probe', GEOMETRY.float64!, true)]));
  } catch {
    return false;
  }
}

/**
 * Whether `mm`, a relaxed kernel, rounds a·b + c once: C = (−1)·1 + (1 + e)², with e = 2^-27
 * (float64) or 2^-12 (float32), is 2e + e² fused and 2e when the square is rounded first.
 */
function fusesHere(mm: MM, memory: WebAssembly.Memory, dtype: DType, g: Geometry): boolean {
  const mem = memoryView(memory, dtype, 1024);
  const e = dtype === 'float64' ? 2 ** -27 : 2 ** -12;
  const nr = g.nv * g.lanes;
  // A' (4 rows x 2 steps) at 0, B' (nr columns x 2 steps) after it, C after that
  const [aAt, bAt] = [0, 2 * g.mr];
  const cAt = bAt + 2 * nr;
  mem.fill(0, 0, cAt + g.mr * nr);
  mem[aAt] = -1;
  mem[aAt + g.mr] = 1 + e;
  mem[bAt] = 1;
  mem[bAt + nr] = 1 + e;
  mm(aAt * g.esz, bAt * g.esz, cAt * g.esz, 1, 1, 0, 0, 2, nr * g.esz, 1);
  return mem[cAt] === 2 * e + e * e;
}

/** Compiles the kernels over a new memory (shared: for a helper thread); null where that fails. */
function compile(shared: boolean): Instance | null {
  try {
    const kernels = hasRelaxedSimd() ? KERNELS : KERNELS.filter((k) => !k.fma);
    // the panels the kernels read: A's mr rows, B's nv·lanes columns
    const panels = Object.values(GEOMETRY).flatMap((g) => [[g.esz, g.mr] as const, [g.esz, g.nv * g.lanes] as const]);
    const bytes = wasmModule([...kernels.map((k) => kernel(k.name, GEOMETRY[k.dtype]!, k.fma)), ...packFunctions(panels)], shared);
    if (!WebAssembly.validate(bytes)) return null;
    const memory = new WebAssembly.Memory(shared ? { initial: 1, maximum: MAX_BYTES / 65536, shared: true } : { initial: 1 });
    const module = new WebAssembly.Module(bytes);
    const ex = new WebAssembly.Instance(module, { env: { mem: memory } }).exports as Record<string, MM & PackFn>;
    const fns: Partial<Record<DType, MM>> = {};
    const fused: Partial<Record<DType, MM>> = {};
    for (const k of kernels) {
      if (!k.fma) fns[k.dtype] = ex[k.name]!;
      else if (fusesHere(ex[k.name]!, memory, k.dtype, GEOMETRY[k.dtype]!)) fused[k.dtype] = ex[k.name]!;
    }
    const helper = shared
      ? startHelper(
          module,
          memory,
          kernels.map((k) => k.name),
        )
      : null;
    if (shared && !helper) return null;
    const packers: Record<number, Record<number, Packers>> = {};
    for (const [esz, w] of panels) {
      const names = packNames(esz, w);
      (packers[esz] ??= {})[w] = { copy: ex[names.copy]!, transpose: ex[names.transpose]! };
    }
    return { memory, fns, fused, packers, helper };
  } catch {
    return null;
  }
}

/**
 * The compiled kernels, or null where WebAssembly SIMD is unavailable (validated once). On 2+
 * cores, shared memory and a helper thread are tried first (used while threads = 2).
 */
export function wasmMatmulInstance(): Instance | null {
  if (instance !== undefined) return instance;
  instance = typeof WebAssembly === 'object' ? ((coreCount() > 1 ? compile(true) : null) ?? compile(false)) : null;
  return instance;
}

/** A typed view of the memory, at least `bytes` long (grown as needed). */
function memoryView(memory: WebAssembly.Memory, dtype: DType, bytes: number): HostArray {
  const have = memory.buffer.byteLength;
  if (have < bytes) memory.grow(Math.ceil((bytes - have) / 65536));
  return dtype === 'float32' ? new Float32Array(memory.buffer) : new Float64Array(memory.buffer);
}

/**
 * packPanels' result for B[t] (a [batch, k, cols] view) into panels of w columns at element `at`
 * of `mem`: in WebAssembly, through the copy at `stage`, where the view allows; else in JS.
 */
function packOperand(src: HostArray, v: View, t: number, k: number, cols: number, mem: HostArray, w: number, at: number, stage: number, fns: Packers): void {
  const layout = stagedLayout(v, t, k, cols);
  if (layout) packStaged(src, layout, k, cols, mem, w, at, stage, fns);
  else packPanels(src, v, t, k, cols, mem, w, at);
}

/** C = A @ B as runMatmul, in WebAssembly; false (nothing done) where the JS kernel should run. */
export function runWasmMatmul(k: MatmulKernel, a: readonly ARows[], b: HostArray, bView: View, out: HostArray): boolean {
  const { batch, m, n, dtype } = k;
  const kk = k.k;
  const g = GEOMETRY[dtype];
  if (!enabled || !g || m * n * kk < WASM_MIN_WORK) return false;
  const inst = wasmMatmulInstance();
  const fma = useFma && inst?.fused[dtype] !== undefined;
  const mm = fma ? inst?.fused[dtype] : inst?.fns[dtype];
  if (!inst || !mm) return false;
  const { mr: MR, nv: NV } = g;
  const nr = NV * g.lanes;
  const mPanels = Math.ceil(m / MR);
  const nPanels = Math.ceil(n / nr);
  const mPad = mPanels * MR;
  const nPad = nPanels * nr;
  // element offsets of A', B', C and the operands' copies in memory (all 16-byte aligned)
  const offB = Math.ceil((mPad * kk) / 4) * 4;
  const offC = offB + nPad * kk;
  const stage = Math.ceil((offC + mPad * nPad) / 4) * 4;
  if (stage * g.esz > MAX_BYTES) return false;
  // each block of A's rows packs into its own panels when every block but the last is whole
  // panels; otherwise A is first copied row-major, as one block
  if (a.some((r) => r.from % MR !== 0)) {
    const [src, sb, offset] = rowMajorBlocks(a, batch, m, kk);
    a = [{ src, view: { shape: [batch, m, kk], strides: [sb, kk, 1], offset, mask: null }, from: 0, rows: m }];
  }
  const aT = a.map((r) => transposed(r.view));
  let span = stagedLayout(bView, 0, kk, n)?.span ?? 0;
  for (let i = 0; i < a.length; i++) span = Math.max(span, stagedLayout(aT[i]!, 0, kk, a[i]!.rows)?.span ?? 0);
  const bytes = (stage + span) * g.esz;
  if (bytes > MAX_BYTES) return false;
  const mem = memoryView(inst.memory, dtype, bytes);
  const packers = inst.packers[g.esz]!;
  const sharedB = batch === 1 || bView.strides[0] === 0;
  const ldc = nPad * g.esz;
  const split = threads > 1 && nPanels >= 2 && m * n * kk >= THREAD_MIN_WORK && inst.helper?.ready() === true;
  const fnIndex = kernelIndex(dtype, fma);
  for (let t = 0; t < batch; t++) {
    for (let i = 0; i < a.length; i++) packOperand(a[i]!.src, aT[i]!, t, kk, a[i]!.rows, mem, MR, a[i]!.from * kk, stage, packers[MR]!);
    if (t === 0 || !sharedB) packOperand(b, bView, t, kk, n, mem, nr, offB, stage, packers[nr]!);
    // the kernel calls for this batch entry, k blocks in order (each C element sums in k order)
    const calls: number[][] = [];
    for (let k0 = 0; k0 < kk; k0 += KC) {
      for (let r0 = 0; r0 < mPanels; r0 += MC_PANELS) {
        const aAt = (r0 * kk + k0) * MR * g.esz;
        const cAt = offC * g.esz + r0 * MR * ldc;
        calls.push([
          aAt,
          (offB + k0 * nr) * g.esz,
          cAt,
          Math.min(MC_PANELS, mPanels - r0),
          nPanels,
          kk * MR * g.esz,
          kk * nr * g.esz,
          Math.min(KC, kk - k0),
          ldc,
          k0 === 0 ? 1 : 0,
        ]);
      }
    }
    if (!split) for (const c of calls) mm(...(c as Parameters<MM>));
    else {
      // the helper takes the first half of the column panels, this thread the rest (disjoint
      // columns of C), in chunks of calls the control array holds
      const half = nPanels >> 1;
      const helper = inst.helper!;
      for (let c0 = 0; c0 < calls.length; c0 += helper.capacity) {
        const chunk = calls.slice(c0, c0 + helper.capacity);
        helper.post(
          fnIndex,
          chunk.map((c) => [...c.slice(0, 4), half, ...c.slice(5)]),
        );
        for (const [aAt, bAt, cAt, mp, np, as, bs, kc, ld, first] of chunk)
          mm(aAt!, bAt! + half * bs!, cAt! + half * nr * g.esz, mp!, np! - half, as!, bs!, kc!, ld!, first!);
        helper.wait();
        wasmMatmulStats.splitCalls++;
      }
    }
    // C rows unpadded: one copy
    if (nPad === n) out.set(mem.subarray(offC, offC + m * n), t * m * n);
    else for (let i = 0; i < m; i++) out.set(mem.subarray(offC + i * nPad, offC + i * nPad + n), (t * m + i) * n);
  }
  wasmMatmulStats.calls++;
  return true;
}
