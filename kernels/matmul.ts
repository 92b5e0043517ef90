// WGSL for matmul kernels: fills the register-blocked template (SwiftShader: no barriers) or the
// workgroup-tiled template (real GPUs) with operand loads derived from the operands' views, and
// the elementwise epilogue (bias, activation, Taylor channel math) evaluated per element of C.

import type { MatmulKernel } from '../src/schedule/kernel.js';
import { type View, contiguousView } from '../src/schedule/view.js';
import { matmulRegisterShader } from '../src/backend/webgpu/shaders/matmul-register.js';
import { matmulTiledShader } from '../src/backend/webgpu/shaders/matmul-tiled.js';
import { collapse } from '../src/backend/loops.js';
import { bindArgs } from './loop.js';
import { type BindingSpec, type CodegenOptions, type KernelProgram, kernelLabel, slotGroups } from './program.js';
import { argsRead } from '../src/schedule/exprs.js';
import { Emitter, decompose, dispatch2d, guardedRead, helperSource, maskConds, offsetExpr, scalarDecl } from './wgsl.js';

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
  const variant = opts.matmul === 'auto' ? (opts.slowBarriers ? 'register' : 'tiled') : opts.matmul;
  // A is a buffer view, or (aPrologue) computed by `aload(bz, row, p)` from the producer's arguments
  const aView = k.a ? k.a.view : contiguousView([k.batch, M, K]);
  const modeA = variant === 'register' && k.a ? operandMode(aView, M, K, k.batch) : 'scalar';
  const modeB = variant === 'register' ? operandMode(k.b.view, K, N, k.batch) : 'scalar';
  const mk = (name: string, v: View, mode: Mode): Operand => ({ name, view: v, mode, sb: k.batch === 1 ? 0 : v.strides[0]!, sr: v.strides[1]!, sc: v.strides[2]! });
  const A = mk('A', aView, modeA);
  const B = mk('B', k.b.view, modeB);
  const plain = k.outs.length === 1 && k.outs[0]!.expr.k === 'acc';
  const vecOut = variant === 'register' && plain && aligned(N);

  // bindings: A, B, epilogue arguments (one per distinct slot), outputs, scalars
  const decls: string[] = [];
  const specs: BindingSpec[] = [];
  const declOperand = (o: Operand, kind: 'a' | 'b'): void => {
    const vec4 = o.mode !== 'scalar';
    decls.push(`@group(0) @binding(${specs.length}) var<storage, read> ${o.name}: array<${vec4 ? 'vec4<f32>' : 'f32'}>;`);
    specs.push({ kind, vec4 });
  };
  const helpers = new Set<string>();
  let aload = '';
  if (k.aPrologue) {
    const p = k.aPrologue;
    const first = new Map<number, number>(); // prologue args reading one slot share a binding
    const varOf = p.args.map((x, j) => {
      let b = first.get(x.slot);
      if (b === undefined) {
        b = specs.length;
        first.set(x.slot, b);
        decls.push(`@group(0) @binding(${b}) var<storage, read> pa${b}: array<f32>;`);
        specs.push({ kind: 'pa', arg: j });
      }
      return `pa${b}`;
    });
    const idx = ['bz', 'r', 'c'];
    const sizes = [k.batch, M, K];
    const em = new Emitter('q', (j, e) => {
      const v = p.args[j]!.view;
      const dims = sizes.map((size, d) => ({ size, strides: [v.strides[d]!], masks: [v.mask?.[d] ?? null] }));
      return guardedRead(e, varOf[j]!, offsetExpr(v.offset, dims, 0, idx), maskConds(dims, 0, idx));
    }, helpers);
    const v = em.expr(p.expr, '0.0');
    aload = ['fn aload(bz: i32, r: i32, c: i32) -> f32 {', ...em.lines, `return ${v};`, '}', ''].join('\n');
  } else declOperand(A, 'a');
  declOperand(B, 'b');
  const used = argsRead(k.outs.map((o) => o.expr));
  const bind = bindArgs(k, groups, used, specs.length);
  decls.push(...bind.decls);
  specs.push(...bind.specs);
  if (vecOut) decls[decls.length - 1] = decls[decls.length - 1]!.replace('array<f32>', 'array<vec4<f32>>');
  if (k.scalars.length > 0) {
    decls.push(scalarDecl(k.scalars.length, specs.length));
    specs.push({ kind: 'uniform' });
  }

  // epilogue over the flat output index `o`
  const outer = collapse(k.outShape, k.args.map((a) => a.view));
  const epiLines: string[] = [];
  let epilogue = '';
  if (!plain) {
    const idx = decompose('o', outer, 'ei', epiLines);
    const em = new Emitter('e', (i, e) => guardedRead(e, bind.argVar(i), offsetExpr(k.args[i]!.view.offset, outer, i, idx), maskConds(outer, i, idx)), helpers);
    const vals = k.outs.map((o) => em.expr(o.expr, 'acc'));
    epilogue = [...epiLines, ...em.lines, ...vals.map((v, j) => `out${j}[o] = ${v};`)].join('\n      ');
  } else {
    epilogue = 'out0[o] = acc;';
  }

  // scalar element access: e is an i32 element offset
  const elem = (o: Operand, e: string): string => (o.mode === 'scalar' ? `${o.name}[bitcast<u32>(${e})]` : `${o.name}[bitcast<u32>(${e}) >> 2u][bitcast<u32>(${e}) & 3u]`);
  /** Element (r, c) of operand `o` in this batch entry. */
  const load = (o: Operand, r: string, c: string): string => (o === A && k.aPrologue ? `aload(bz, ${r}, ${c})` : elem(o, off(o, r, c)));
  const off = (o: Operand, r: string, c: string): string => {
    const t = [`base${o.name}`];
    if (o.sr !== 0) t.push(o.sr === 1 ? r : `${r} * ${o.sr}`);
    if (o.sc !== 0) t.push(o.sc === 1 ? c : `${c} * ${o.sc}`);
    return t.join(' + ');
  };
  const maskOf = (o: Operand, r: string, c: string): string => {
    const m = o.view.mask;
    if (!m || (o === A && k.aPrologue)) return '';
    const conds: string[] = [];
    const dims: [string, readonly [number, number], number][] = [['bz', m[0]!, k.batch], [r, m[1]!, o.view.shape[1]!], [c, m[2]!, o.view.shape[2]!]];
    for (const [v, [lo, hi], size] of dims) {
      if (hi <= lo) conds.push('false');
      if (lo > 0) conds.push(`${v} >= ${lo}`);
      if (hi < size) conds.push(`${v} < ${hi}`);
    }
    return conds.length ? ` && ${conds.join(' && ')}` : '';
  };
  const setup = [`let baseA = ${A.view.offset} + bz * ${A.sb};`, `let baseB = ${B.view.offset} + bz * ${B.sb};`];
  const total = (gx: number, gy: number): number => gx * gy * k.batch;
  const label = kernelLabel(k);
  /** The template parts both variants take, for a grid of gx x gy workgroups per batch entry. */
  const common = (gx: number, gy: number) => ({ decls: decls.join('\n'), helpers: helperSource(helpers) + aload, M, N, K, gx, gy, total: total(gx, gy), setup: setup.join('\n  '), epilogue });

  if (variant === 'tiled') {
    const gx = Math.ceil(N / 64), gy = Math.ceil(M / 64);
    const code = matmulTiledShader({
      ...common(gx, gy),
      loadA: load(A, 'row', 'pa'),
      loadB: elem(B, off(B, 'pb', 'col')),
      condA: maskOf(A, 'row', 'pa'),
      condB: maskOf(B, 'pb', 'col'),
    });
    return { code, bindings: specs, dispatch: dispatch2d(total(gx, gy), opts.maxWorkgroupsPerDim), scalars: k.scalars.length, label: `${label} (tiled)` };
  }

  // register-blocked: clamped row / column indices so that loads stay in bounds
  for (let r = 0; r < 4; r++) setup.push(`let ar${r} = min(row0 + ${r}, ${Math.max(M - 1, 0)});`);
  for (let c = 0; c < 4; c++) setup.push(`let bc${c} = min(col0 + ${c}, ${Math.max(N - 1, 0)});`);
  // scalar load of A(row, p) / B(p, col), guarded by the masks
  const scalarLoad = (o: Operand, r: string, c: string, lines: string[], name: string): void => {
    const m = maskOf(o, r, c);
    if (!m) lines.push(`let ${name} = ${load(o, r, c)};`);
    else {
      lines.push(`var ${name} = 0.0;`);
      lines.push(`if (true${m}) { ${name} = ${load(o, r, c)}; }`);
    }
  };
  const step4: string[] = [];
  const aAt: string[][] = [[], [], [], []]; // aAt[r][q]: scalar source of A(row r, p + q)
  if (A.mode === 'row') {
    for (let r = 0; r < 4; r++) {
      step4.push(`let a${r} = A[u32(${off(A, `ar${r}`, 'p')}) >> 2u];`);
      for (let q = 0; q < 4; q++) aAt[r]![q] = `a${r}[${q}]`;
    }
  } else if (A.mode === 'col') {
    for (let q = 0; q < 4; q++) {
      step4.push(`let a${q} = A[u32(${off(A, 'row0', `(p + ${q})`)}) >> 2u];`);
      for (let r = 0; r < 4; r++) aAt[r]![q] = `a${q}[${r}]`;
    }
  } else {
    for (let r = 0; r < 4; r++) {
      for (let q = 0; q < 4; q++) {
        scalarLoad(A, `ar${r}`, `(p + ${q})`, step4, `a${r}${q}`);
        aAt[r]![q] = `a${r}${q}`;
      }
    }
  }
  const bRow: string[] = []; // bRow[q]: vec4 source of B(p + q, col0 .. col0 + 3)
  if (B.mode === 'row') {
    for (let q = 0; q < 4; q++) {
      step4.push(`let b${q} = B[u32(${off(B, `(p + ${q})`, 'col0')}) >> 2u];`);
      bRow[q] = `b${q}`;
    }
  } else if (B.mode === 'col') {
    for (let c = 0; c < 4; c++) step4.push(`let bt${c} = B[u32(${off(B, 'p', `bc${c}`)}) >> 2u];`);
    for (let q = 0; q < 4; q++) {
      step4.push(`let b${q} = vec4<f32>(bt0[${q}], bt1[${q}], bt2[${q}], bt3[${q}]);`);
      bRow[q] = `b${q}`;
    }
  } else {
    for (let q = 0; q < 4; q++) {
      for (let c = 0; c < 4; c++) scalarLoad(B, `(p + ${q})`, `bc${c}`, step4, `b${q}${c}`);
      step4.push(`let b${q} = vec4<f32>(b${q}0, b${q}1, b${q}2, b${q}3);`);
      bRow[q] = `b${q}`;
    }
  }
  for (let q = 0; q < 4; q++) {
    for (let r = 0; r < 4; r++) step4.push(`acc${r} += ${aAt[r]![q]} * ${bRow[q]};`);
  }
  // tail (K % 4 != 0): scalar loads through whichever binding type
  const step1: string[] = [];
  if (K % 4 !== 0) {
    for (let r = 0; r < 4; r++) scalarLoad(A, `ar${r}`, 'p', step1, `a${r}`);
    for (let c = 0; c < 4; c++) scalarLoad(B, 'p', `bc${c}`, step1, `b${c}`);
    step1.push('let bv = vec4<f32>(b0, b1, b2, b3);');
    for (let r = 0; r < 4; r++) step1.push(`acc${r} += a${r} * bv;`);
  }
  let vecStore = '';
  if (vecOut) {
    vecStore = `for (var r = 0; r < 4; r++) {
    let row = row0 + r;
    if (row >= ${M}) { break; }
    out0[u32((bz * ${M} + row) * ${N} + col0) >> 2u] = accs[r];
  }`;
  }
  const gx = Math.ceil(N / 32), gy = Math.ceil(M / 32);
  const code = matmulRegisterShader({
    ...common(gx, gy),
    step4: step4.join('\n    '),
    step1: step1.join('\n    '),
    vecStore,
  });
  return { code, bindings: specs, dispatch: dispatch2d(total(gx, gy), opts.maxWorkgroupsPerDim), scalars: k.scalars.length, label: `${label} (register ${A.mode}/${B.mode})` };
}
