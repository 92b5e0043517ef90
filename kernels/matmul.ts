// WGSL for matmul kernels: completes the register-blocked template (shaders/matmul-register.wgsl,
// SwiftShader: no barriers) or the workgroup-tiled one (shaders/matmul-tiled.wgsl, real GPUs) with
// a prelude of operand loads derived from the operands' views (or A / B prologues fused into them)
// and the elementwise epilogue (bias, activation, Taylor channel math) evaluated per element of C.
// The functions the prelude defines are listed in shaders/matmul-common.wgsl.

import { type Expr, type MatmulKernel, type MatmulPrologue, matmulBlocks } from '../src/schedule/kernel.js';
import { type View, contiguousView } from '../src/schedule/view.js';
import { collapse } from '../src/backend/loops.js';
import { bindArgs } from './loop.js';
import { type BindingSpec, type CodegenOptions, type KernelProgram, assemble, kernelLabel, kernelProgram, slotGroups, whereBranches } from './program.js';
import { argsRead } from '../src/schedule/exprs.js';
import { Emitter, decompose, dispatch2d, guardedRead, helperSource, maskConds, maskedValue, offsetExpr, scalarDecl, wgslFn } from './wgsl.js';

type Mode = 'row' | 'col' | 'scalar';

interface Operand {
  readonly name: string;
  readonly view: View;
  readonly mode: Mode;
  /** strides: batch, "rows" (m for A, k for B), "cols" (k for A, n for B) */
  readonly sb: number;
  readonly sr: number;
  readonly sc: number;
}

const aligned = (x: number): boolean => x % 4 === 0;

/** Largest prologue (expression nodes) the register template inlines into its loads. */
export const MAX_REGISTER_PROLOGUE = 24;

/**
 * Beyond this many columns of C the register template takes 4x8 blocks (each A load serves 8
 * columns), and beyond this many rows and columns 8x8 blocks (each B load also serves 8 rows).
 */
export const REGISTER_WIDE_MIN_N = 32;

/** Most columns of C for the rows template to take a heavy A prologue (each A element is computed N / 4 times). */
export const ROWS_MAX_N = 16;

/** Distinct nodes of an expression DAG. */
function exprSize(e: Expr): number {
  const seen = new Set<Expr>();
  const stack = [e];
  while (stack.length) {
    const x = stack.pop()!;
    if (seen.has(x)) continue;
    seen.add(x);
    if (x.k === 'op') stack.push(...x.args);
  }
  return seen.size;
}

/** Picks how the register kernel loads an operand [batch, R, C] (vec4 along C: 'row'; along R: 'col'). */
function operandMode(v: View, R: number, C: number, batch: number): Mode {
  if (v.mask) return 'scalar';
  const [sb, sr, sc] = v.strides as [number, number, number];
  const okBatch = batch === 1 || aligned(sb);
  if (!aligned(v.offset) || !okBatch) return 'scalar';
  if ((sc === 1 || C === 1) && aligned(C) && (aligned(sr) || R === 1)) return 'row';
  if ((sr === 1 || R === 1) && aligned(R) && (aligned(sc) || C === 1)) return 'col';
  return 'scalar';
}

export function matmulProgram(k: MatmulKernel, opts: CodegenOptions, groups = slotGroups(k)): KernelProgram {
  const { M, N, K } = { M: k.m, N: k.n, K: k.k };
  // the register template inlines its loads at every element of a thread's block (and the
  // compiler unrolls them over K): a large fused prologue there makes a shader SwiftShader takes
  // minutes to compile, so such kernels use the tiled template, which loads each element once
  // (likewise loads over a finer shape than [batch, rows, cols]: their index arithmetic, inlined
  // at every element, has the same effect)
  const plainLoads = (p: MatmulPrologue, R: number, C: number): boolean =>
    p.shape.length === 3 && p.shape[0] === k.batch && p.shape[1] === R && p.shape[2] === C;
  const heavyA = k.aPrologue !== null && (exprSize(k.aPrologue.expr) > MAX_REGISTER_PROLOGUE || !plainLoads(k.aPrologue, k.m, k.k));
  const heavyB = k.bPrologue !== null && (exprSize(k.bPrologue.expr) > MAX_REGISTER_PROLOGUE || !plainLoads(k.bPrologue, k.k, k.n));
  // ... except on slow-barrier adapters when only A is heavy and C has few columns (each A element
  // is loaded once per group of 4 columns): the rows template loops over K, one load per step
  const rowsFit = heavyA && !heavyB && N <= ROWS_MAX_N;
  const variant =
    opts.matmul === 'auto' ? (opts.slowBarriers && !(heavyA || heavyB) ? 'register' : opts.slowBarriers && rowsFit ? 'rows' : 'tiled') : opts.matmul;
  // A is a buffer view, or (aPrologue) computed by `load_a(bz, row, p)` from the producer's
  // arguments; likewise B (bPrologue, `load_b(bz, p, col)`)
  const aView = k.a ? k.a.view : contiguousView([k.batch, M, K]);
  const bView = k.b ? k.b.view : contiguousView([k.batch, K, N]);
  const registerBlocked = variant === 'register' || variant === 'register-wide' || variant === 'register-8x8';
  const modeA = registerBlocked && k.a ? operandMode(aView, M, K, k.batch) : 'scalar';
  const modeB = registerBlocked && k.b ? operandMode(bView, K, N, k.batch) : 'scalar';
  const mk = (name: string, v: View, mode: Mode): Operand => ({
    name,
    view: v,
    mode,
    sb: k.batch === 1 ? 0 : v.strides[0]!,
    sr: v.strides[1]!,
    sc: v.strides[2]!,
  });
  const A = mk('A', aView, modeA);
  const B = mk('B', bView, modeB);
  const plain = k.outs.length === 1 && k.outs[0]!.expr.k === 'acc' && k.outs[0]!.prefix === undefined;
  const vecOut = registerBlocked && plain && aligned(N);

  // bindings: A (or its prologue's arguments, one per distinct slot), B (likewise), epilogue
  // arguments (one per distinct slot), outputs, scalars
  const decls: string[] = [];
  const specs: BindingSpec[] = [];
  const declOperand = (o: Operand, kind: 'a' | 'b'): void => {
    const vec4 = o.mode !== 'scalar';
    decls.push(`@group(0) @binding(${specs.length}) var<storage, read> ${o.name}: array<${vec4 ? 'vec4<f32>' : 'f32'}>;`);
    specs.push({ kind, vec4 });
  };
  const helpers = new Set<string>();
  const fns: string[] = []; // the prelude's functions (matmul-common.wgsl lists them)
  /** `load_a` / `load_b` computing the operand by its prologue over [batch, R, ·] (R rows per batch entry). */
  const declPrologue = (p: MatmulPrologue, kind: 'pa' | 'pb', R: number): void => {
    const first = new Map<number, number>(); // prologue args reading one slot share a binding
    const varOf = p.args.map((x, j) => {
      let b = first.get(x.slot);
      if (b === undefined) {
        b = specs.length;
        first.set(x.slot, b);
        decls.push(`@group(0) @binding(${b}) var<storage, read> ${kind}${b}: array<f32>;`);
        specs.push({ kind, arg: j });
      }
      return `${kind}${b}`;
    });
    // the loads' own shape [...rows, K]: the flat row bz·M + r split into its row indices
    const sizes = p.shape;
    const rows = sizes.slice(0, -1);
    const plain = rows.length === 2 && rows[0] === k.batch && rows[1] === R;
    const idx = plain ? ['bz', 'r', 'c'] : [...rows.map((_, d) => `ri${d}`), 'c'];
    const split: string[] = [];
    if (!plain) {
      split.push(`let fr = bz * ${R} + r;`);
      let inner = 1;
      const lines: string[] = [];
      for (let d = rows.length - 1; d >= 0; d--) {
        lines.unshift(`let ri${d} = ${inner === 1 ? 'fr' : `(fr / ${inner})`}${d === 0 ? '' : ` % ${rows[d]}`};`);
        inner *= rows[d]!;
      }
      split.push(...lines);
    }
    const em = new Emitter(
      'q',
      (j, e) => {
        const v = p.args[j]!.view;
        const dims = sizes.map((size, d) => ({ size, strides: [v.strides[d]!], masks: [v.mask?.[d] ?? null] }));
        return guardedRead(e, varOf[j]!, offsetExpr(v.offset, dims, 0, idx), maskConds(dims, 0, idx));
      },
      helpers,
      false,
      false, // the loads are inlined at every element of a thread's block: no branches there
    );
    const v = em.expr(p.expr, '0.0');
    fns.push(wgslFn(`load_${kind[1]}(bz: i32, r: i32, c: i32) -> f32`, [...split, ...em.lines, `return ${v};`]));
  };
  if (k.aPrologue) declPrologue(k.aPrologue, 'pa', M);
  else declOperand(A, 'a');
  if (k.bPrologue) declPrologue(k.bPrologue, 'pb', K);
  else declOperand(B, 'b');
  const used = argsRead(k.outs.map((o) => o.expr));
  const bind = bindArgs(k, groups, used, specs.length, new Set(), vecOut);
  decls.push(...bind.decls);
  specs.push(...bind.specs);
  if (k.scalars.length > 0) {
    decls.push(scalarDecl(k.scalars.length, specs.length));
    specs.push({ kind: 'uniform' });
  }

  // epilogue over the flat output index `o`
  if (plain) fns.push(wgslFn('epilogue(o: u32, acc: f32)', [vecOut ? 'out0[o >> 2u][o & 3u] = acc;' : 'out0[o] = acc;']));
  else {
    const outer = collapse(
      k.outShape,
      k.args.map((a) => a.view),
    );
    const lines: string[] = [];
    const idx = decompose('o', outer, 'ei', lines);
    // `where` as a select on software adapters, as in loop kernels (program.ts whereBranches)
    const em = new Emitter(
      'e',
      (i, e) => guardedRead(e, bind.argVar(i), offsetExpr(k.args[i]!.view.offset, outer, i, idx), maskConds(outer, i, idx)),
      helpers,
      false,
      whereBranches(opts),
    );
    // outputs of all of C, then each row block's (block outputs, elements [from, prefix)) under its bounds
    const whole = k.outs.flatMap((o, j) => (o.prefix === undefined ? [`out${j}[o] = ${em.expr(o.expr, 'acc')};`] : []));
    const body = [...em.lines, ...whole];
    for (const { from, to, outs: js } of matmulBlocks(k)) {
      const [names, block] = em.scoped(
        js.map((j) => k.outs[j]!.expr),
        'acc',
      );
      const cond = from > 0 ? `o >= ${from}u && o < ${to}u` : `o < ${to}u`;
      body.push(`if (${cond}) {`, ...block, ...js.map((j, i) => `out${j}[${from > 0 ? `o - ${from}u` : 'o'}] = ${names[i]};`), '}');
    }
    fns.push(wgslFn('epilogue(o: u32, acc: f32)', [...lines, ...body]));
  }
  // a plain C of whole vec4 rows is stored a row block at a time
  fns.push(
    wgslFn('store_row(bz: i32, row: i32, col0: i32, v: vec4<f32>)', [
      vecOut ? 'out0[u32((bz * M + row) * N + col0) >> 2u] = v;' : 'store_elements(bz, row, col0, v);',
    ]),
  );

  // element access: e is an i32 element offset
  const elem = (o: Operand, e: string): string =>
    o.mode === 'scalar' ? `${o.name}[bitcast<u32>(${e})]` : `${o.name}[bitcast<u32>(${e}) >> 2u][bitcast<u32>(${e}) & 3u]`;
  const base = (o: Operand): string => `let base${o.name} = ${o.view.offset} + bz * ${o.sb};`;
  const off = (o: Operand, r: string, c: string): string => {
    const t = [`base${o.name}`];
    if (o.sr !== 0) t.push(o.sr === 1 ? r : `${r} * ${o.sr}`);
    if (o.sc !== 0) t.push(o.sc === 1 ? c : `${c} * ${o.sc}`);
    return t.join(' + ');
  };
  /** In-bounds conditions of an operand's mask at (bz, r, c). */
  const maskOf = (o: Operand): string[] => {
    const m = o.view.mask;
    if (!m) return [];
    const conds: string[] = [];
    const dims: [string, readonly [number, number], number][] = [
      ['bz', m[0]!, k.batch],
      ['r', m[1]!, o.view.shape[1]!],
      ['c', m[2]!, o.view.shape[2]!],
    ];
    for (const [v, [lo, hi], size] of dims) {
      if (hi <= lo) conds.push('false');
      if (lo > 0) conds.push(`${v} >= ${lo}`);
      if (hi < size) conds.push(`${v} < ${hi}`);
    }
    return conds;
  };
  // scalar loads of the buffer operands, 0 where masked
  for (const o of [...(k.aPrologue ? [] : [A]), ...(k.bPrologue ? [] : [B])]) {
    const conds = maskOf(o);
    const read = `${elem(o, off(o, 'r', 'c'))}`;
    const body = [base(o), `return ${conds.length ? maskedValue(read, conds, '0.0') : read};`];
    fns.push(wgslFn(`load_${o.name.toLowerCase()}(bz: i32, r: i32, c: i32) -> f32`, body));
  }
  const label = kernelLabel(k);
  /** gx × gy tiles per batch entry, `perWorkgroup` tiles to a workgroup (the rows template: a tile per thread). */
  const program = (
    gx: number,
    gy: number,
    templates: ('matmul-tiled' | 'matmul-register' | 'matmul-register-wide' | 'matmul-register-8x8' | 'matmul-rows')[],
    variantLabel: string,
    perWorkgroup = 1,
    workgroup: Readonly<Record<string, number>> = {},
  ): KernelProgram => {
    const total = gx * gy * k.batch;
    return kernelProgram({
      code: assemble([...decls, helperSource(helpers), ...fns], ['matmul-common', ...templates]),
      constants: { M, N, K, GX: gx, GY: gy, TOTAL: total, ...workgroup },
      bindings: specs,
      dispatch: dispatch2d(Math.ceil(total / perWorkgroup), opts.maxWorkgroupsPerDim),
      scalars: k.scalars.length,
      label: `${label} (${variantLabel})`,
    });
  };
  /** A register template with `bx` × `by` elements of C per thread, on workgroups of registerWorkgroup()'s shape. */
  const register = (
    template: 'matmul-register' | 'matmul-register-wide' | 'matmul-register-8x8',
    bx: number,
    by: number,
    variantLabel: string,
  ): KernelProgram => {
    const [wx, wy] = registerWorkgroup(M, N, k.batch, bx, by);
    const shape = wx === 8 && wy === 8 ? '' : `, ${wx}x${wy} threads`;
    return program(Math.ceil(N / (wx * bx)), Math.ceil(M / (wy * by)), [template], `${variantLabel}${shape}`, 1, { WG_X: wx, WG_Y: wy });
  };
  if (variant === 'tiled') return program(Math.ceil(N / 64), Math.ceil(M / 64), ['matmul-tiled'], 'tiled');
  if (variant === 'rows') return program(Math.ceil(N / 4), M, ['matmul-rows'], 'rows', 64);

  // register-blocked: 4x4 blocks of A and B per step of 4 along K, with vec4 loads where the mode allows
  const rows = (r: number): string => `blk.rows[${r}]`;
  const cols = (c: number): string => `blk.cols[${c}]`;
  const a4: string[] = ['let bz = blk.bz;'];
  if (A.mode !== 'scalar') a4.push(base(A));
  let aBlock: string[]; // aBlock[r]: vec4 of A(row r, p .. p + 3)
  if (A.mode === 'row') {
    for (let r = 0; r < 4; r++) a4.push(`let a${r} = A[u32(${off(A, rows(r), 'p')}) >> 2u];`);
    aBlock = [0, 1, 2, 3].map((r) => `a${r}`);
  } else if (A.mode === 'col') {
    for (let q = 0; q < 4; q++) a4.push(`let a${q} = A[u32(${off(A, 'blk.row0', `(p + ${q})`)}) >> 2u];`);
    aBlock = [0, 1, 2, 3].map((r) => `vec4<f32>(a0[${r}], a1[${r}], a2[${r}], a3[${r}])`);
  } else aBlock = [0, 1, 2, 3].map((r) => `vec4<f32>(${[0, 1, 2, 3].map((q) => `load_a(bz, ${rows(r)}, p + ${q})`).join(', ')})`);
  a4.push(`return array<vec4<f32>, 4>(${aBlock.join(', ')});`);
  const b4: string[] = ['let bz = blk.bz;'];
  if (B.mode !== 'scalar') b4.push(base(B));
  let bBlock: string[]; // bBlock[q]: vec4 of B(p + q, the block's columns)
  if (B.mode === 'row') bBlock = [0, 1, 2, 3].map((q) => `B[u32(${off(B, `(p + ${q})`, 'blk.col0')}) >> 2u]`);
  else if (B.mode === 'col') {
    for (let c = 0; c < 4; c++) b4.push(`let bt${c} = B[u32(${off(B, 'p', cols(c))}) >> 2u];`);
    bBlock = [0, 1, 2, 3].map((q) => `vec4<f32>(bt0[${q}], bt1[${q}], bt2[${q}], bt3[${q}])`);
  } else bBlock = [0, 1, 2, 3].map((q) => `vec4<f32>(${[0, 1, 2, 3].map((c) => `load_b(bz, p + ${q}, ${cols(c)})`).join(', ')})`);
  b4.push(`return array<vec4<f32>, 4>(${bBlock.join(', ')});`);
  fns.push(wgslFn('load_a4(blk: Block, p: i32) -> array<vec4<f32>, 4>', a4), wgslFn('load_b4(blk: Block, p: i32) -> array<vec4<f32>, 4>', b4));
  // 8x8 blocks past 32 rows and columns, 4x8 past 32 columns (or when forced), else 4x4
  if (variant === 'register-8x8' || (variant === 'register' && M > REGISTER_WIDE_MIN_N && N > REGISTER_WIDE_MIN_N)) {
    return register('matmul-register-8x8', 8, 8, `register 8x8 ${A.mode}/${B.mode}`);
  }
  if (variant === 'register-wide' || N > REGISTER_WIDE_MIN_N) {
    return register('matmul-register-wide', 8, 4, `register 4x8 ${A.mode}/${B.mode}`);
  }
  return register('matmul-register', 4, 4, `register ${A.mode}/${B.mode}`);
}

/**
 * Workgroups a register-blocked product is split into at least, where C has the tiles. On a
 * software adapter a workgroup runs on one core: SwiftShader hands whole workgroups, in up to 16
 * batches, to up to 16 worker threads. A 64 x 64 C on one workgroup of 8 x 8 threads used one
 * core of two here; on 16 workgroups of 2 x 2 threads the training step's 64 x 64 x 4096 weight
 * gradient took 7.2 ms instead of 12.0 (4 workgroups: 8.2; docs/webgpu.md).
 */
export const MATMUL_MIN_WORKGROUPS = 16;

/**
 * Threads per workgroup [along N, along M] of a register template whose threads compute `bx` × `by`
 * elements of C: 8 x 8, halved along the direction that gives more workgroups while there are
 * fewer than MATMUL_MIN_WORKGROUPS, down to 2 x 2 (4 threads, SwiftShader's SIMD width).
 */
export function registerWorkgroup(M: number, N: number, batch: number, bx: number, by: number): [number, number] {
  const count = (wx: number, wy: number): number => Math.ceil(N / (wx * bx)) * Math.ceil(M / (wy * by)) * batch;
  let wx = 8;
  let wy = 8;
  while (count(wx, wy) < MATMUL_MIN_WORKGROUPS) {
    const narrower = wx > 2 ? count(wx / 2, wy) : 0;
    const shorter = wy > 2 ? count(wx, wy / 2) : 0;
    if (Math.max(narrower, shorter) <= count(wx, wy)) break;
    if (shorter >= narrower) wy /= 2;
    else wx /= 2;
  }
  return [wx, wy];
}
