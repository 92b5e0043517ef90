// WGSL for loop kernels: fused elementwise chains (one thread per output element, several
// outputs allowed) and reductions with an elementwise prologue and epilogue. A reduction runs one
// thread per output with a serial loop over the reduced elements (the shaders/reduce-serial
// template), or, when there are few outputs and many reduced elements, one workgroup per output
// with a tree in workgroup memory (shaders/reduce-workgroup). Views are baked into the generated
// prelude (the functions the templates call); sizes are the templates' override constants.

import { argsRead } from '../src/schedule/exprs.js';
import type { LoopKernel } from '../src/schedule/kernel.js';
import { type Loop, collapse, restrictView } from '../src/backend/loops.js';
import { type BindingSpec, type CodegenOptions, type KernelProgram, assemble, kernelLabel, kernelProgram, slotGroups, whereBranches } from './program.js';
import { Emitter, decompose, dispatch2d, guardedRead, helperSource, maskConds, maskedValue, offsetExpr, scalarDecl, wgslFn } from './wgsl.js';

function sizeOf(s: readonly number[]): number {
  return s.reduce((a, b) => a * b, 1);
}

interface Bindings {
  decls: string[];
  specs: BindingSpec[];
  /** Binding variable of each argument. */
  argVar: (i: number) => string;
}

/**
 * Read-only bindings for the used arguments (one per distinct slot), then the outputs. Groups in
 * `vec4` (and the outputs when `vec4Out`) are declared as array<vec4<f32>>.
 */
export function bindArgs(
  k: { args: readonly unknown[]; outs: readonly { readonly slot: number }[] },
  groups: readonly number[],
  used: ReadonlySet<number>,
  first = 0,
  vec4: ReadonlySet<number> = new Set(),
  vec4Out = false,
): Bindings {
  const decls: string[] = [];
  const specs: BindingSpec[] = [];
  const varOf = new Map<number, string>();
  let b = first;
  for (let i = 0; i < k.args.length; i++) {
    if (!used.has(i)) continue;
    const g = groups[i]!;
    if (varOf.has(g)) continue;
    const name = `in${g}`;
    varOf.set(g, name);
    const v = vec4.has(g);
    decls.push(`@group(0) @binding(${b++}) var<storage, read> ${name}: array<${v ? 'vec4<f32>' : 'f32'}>;`);
    specs.push({ kind: 'arg', arg: g, vec4: v });
  }
  // one binding per output slot (outputs at offsets into one slot share it): named after the first
  k.outs.forEach((_, o) => {
    if (outVar(k.outs, o) !== `out${o}`) return;
    decls.push(`@group(0) @binding(${b++}) var<storage, read_write> out${o}: array<${vec4Out ? 'vec4<f32>' : 'f32'}>;`);
    specs.push({ kind: 'out', out: o });
  });
  return { decls, specs, argVar: (i) => varOf.get(groups[i]!)! };
}

/** The binding variable output `o` writes: that of the first output of its slot. */
function outVar(outs: readonly { readonly slot: number }[], o: number): string {
  return `out${outs.findIndex((x) => x.slot === outs[o]!.slot)}`;
}

/** Where output `o` writes element `idx` (its offset into the slot added; `div`: elements per array entry). */
function outAt(k: LoopKernel, o: number, idx: string, div = 1): string {
  const at = (k.outs[o]!.at ?? 0) / div;
  return `${outVar(k.outs, o)}[${at ? `${idx} + ${at}u` : idx}]`;
}

type Lanes = 'vec' | 'splat' | 'gather';

/**
 * How each used argument is read when a thread computes 4 consecutive outputs, or null when the
 * kernel cannot be vectorized (the innermost dimension is not a multiple of 4, or is masked).
 */
function vectorPlan(k: LoopKernel, outer: Loop[], used: ReadonlySet<number>): Map<number, Lanes> | null {
  const last = outer[outer.length - 1];
  if (!last || last.size % 4 !== 0 || k.outs.some((o) => (o.at ?? 0) % 4 !== 0)) return null;
  const plan = new Map<number, Lanes>();
  for (const i of used) {
    if (last.masks[i]) return null;
    const s = last.strides[i]!;
    const aligned = k.args[i]!.view.offset % 4 === 0 && outer.every((d) => d.strides[i]! % 4 === 0 || d === last);
    plan.set(i, s === 0 ? 'splat' : s === 1 && aligned ? 'vec' : 'gather');
  }
  return plan;
}

export function loopProgram(k: LoopKernel, opts: CodegenOptions, groups = slotGroups(k)): KernelProgram {
  // `where` as a branch computing the side taken only, except on software adapters (there a
  // thread also runs several work items in a loop: itemsPerThread)
  const lazy = whereBranches(opts);
  const used = argsRead([...k.outs.map((o) => o.expr), k.prologue]);
  const bind = bindArgs(k, groups, used);
  const helpers = new Set<string>();
  const nScalars = k.scalars.length;
  const decls = [...bind.decls];
  const specs = [...bind.specs];
  if (nScalars > 0) {
    decls.push(scalarDecl(nScalars, specs.length));
    specs.push({ kind: 'uniform' });
  }
  const label = kernelLabel(k);
  const nOut = k.outShape.length;
  const O = sizeOf(k.outShape);
  const views = k.args.map((a) => a.view);
  const outer = collapse(
    k.outShape,
    views.map((v) => restrictView(v, 0, nOut)),
  );

  if (!k.reduce) {
    const lanes = vectorPlan(k, outer, used);
    if (lanes) return vectorProgram(k, opts, groups, used, outer, lanes, nScalars, label);
    const body: string[] = [];
    const idx = decompose('idx', outer, 'i', body);
    const em = new Emitter(
      't',
      (i, e) => guardedRead(e, bind.argVar(i), offsetExpr(views[i]!.offset, outer, i, idx), maskConds(outer, i, idx)),
      helpers,
      false,
      lazy,
    );
    const vals = k.outs.map((o) => em.expr(o.expr, '0.0'));
    body.push(...em.lines);
    vals.forEach((v, o) => body.push(`${outAt(k, o, 'idx')} = ${v};`));
    return elementwiseProgram([...decls, helperSource(helpers), wgslFn('compute(idx: u32)', body)], O, opts, specs, nScalars, label);
  }

  // the reduction templates call setup(o) once per output, element(s, r) per reduced element and
  // epilogue(s, acc) with the folded value; Site carries what setup computed to the other two
  const R = sizeOf(k.redShape);
  const inner = collapse(
    k.redShape,
    views.map((v) => restrictView(v, nOut)),
  );
  const usedList = [...used].sort((a, b) => a - b);
  const setup: string[] = [];
  const oi = decompose('o', outer, 'oi', setup);
  const baseOf = (i: number): string => `base${i}`;
  for (const i of usedList) setup.push(`let ${baseOf(i)} = ${offsetExpr(views[i]!.offset, outer, i, oi)};`);
  const outConds = (i: number): string[] => maskConds(outer, i, oi);
  const site = [...oi, ...usedList.map(baseOf)];
  const unpack = ['o', ...site].map((f) => `let ${f} = s.${f};`);
  const siteDecl = `struct Site { o: u32,${site.map((f) => ` ${f}: i32,`).join('')} }`;
  const setupFn = wgslFn('setup(o: u32) -> Site', [...setup, `return Site(${['o', ...site].join(', ')});`]);

  // epilogue: reads at reduced index 0 (epilogue arguments have stride 0 there)
  const epi = new Emitter('e', (i, e) => guardedRead(e, bind.argVar(i), baseOf(i), outConds(i)), helpers, false, lazy);
  const outVals = k.outs.map((o) => epi.expr(o.expr, 'acc'));
  const epilogueFn = wgslFn('epilogue(s: Site, acc: f32)', [...unpack, ...epi.lines, ...outVals.map((v, o) => `${outAt(k, o, 'o')} = ${v};`)]);

  // prologue at reduced element r (a flat index over the collapsed reduced dims)
  const dec: string[] = [];
  const ri = decompose('r', inner, 'ri', dec);
  const pro = new Emitter(
    'p',
    (i, e) => guardedRead(e, bind.argVar(i), offsetExpr(baseOf(i), inner, i, ri), [...outConds(i), ...maskConds(inner, i, ri)]),
    helpers,
    false,
    lazy,
  );
  const v = pro.expr(k.prologue!, 'acc');
  const elementFn = wgslFn('element(s: Site, r: u32) -> f32', [...unpack, ...dec, ...pro.lines, `return ${v};`]);

  // one thread per output (serial), or one workgroup per output when there are few outputs and
  // many reduced elements
  const wgReduce = R >= 256 && O < (opts.slowBarriers ? 32 : 4096);
  const wg = wgReduce ? (opts.slowBarriers ? 64 : 256) : opts.slowBarriers ? 64 : 128;
  const per = wgReduce ? 1 : itemsPerThread(O, wg, opts);
  return kernelProgram({
    code: assemble(
      [...decls, helperSource(helpers), siteDecl, setupFn, elementFn, epilogueFn],
      ['reduce-common', wgReduce ? 'reduce-workgroup' : 'reduce-serial'],
    ),
    constants: { WG: wg, TOTAL: O, REDUCED: R, REDUCE_MAX: k.reduce === 'max' ? 1 : 0, ...(wgReduce ? {} : { PER: per }) },
    bindings: specs,
    dispatch: dispatch2d(wgReduce ? O : Math.ceil(O / (wg * per)), opts.maxWorkgroupsPerDim),
    scalars: nScalars,
    label,
  });
}

/** Elementwise kernel computing 4 consecutive outputs per thread with vec4 loads and stores. */
function vectorProgram(
  k: LoopKernel,
  opts: CodegenOptions,
  groups: readonly number[],
  used: ReadonlySet<number>,
  outer: Loop[],
  lanes: ReadonlyMap<number, Lanes>,
  nScalars: number,
  label: string,
): KernelProgram {
  // a buffer is bound as vec4 when every argument reading it loads whole aligned vec4s
  const vecGroups = new Set<number>();
  for (const i of used) if (lanes.get(i) === 'vec') vecGroups.add(groups[i]!);
  for (const i of used) if (lanes.get(i) !== 'vec') vecGroups.delete(groups[i]!);
  const bind = bindArgs(k, groups, used, 0, vecGroups, true);
  const decls = [...bind.decls];
  const specs = [...bind.specs];
  if (nScalars > 0) {
    decls.push(scalarDecl(nScalars, specs.length));
    specs.push({ kind: 'uniform' });
  }
  const helpers = new Set<string>();
  const views = k.args.map((a) => a.view);
  const body: string[] = ['let idx = idx4 * 4u;'];
  const idx = decompose('idx', outer, 'i', body);
  const em = new Emitter(
    't',
    (i, e) => {
      const name = bind.argVar(i);
      const off = offsetExpr(views[i]!.offset, outer, i, idx);
      const conds = maskConds(outer, i, idx);
      const v = e.fresh();
      const isVec = vecGroups.has(groups[i]!);
      const el = (o: string): string => (isVec ? `${name}[bitcast<u32>(${o}) >> 2u][bitcast<u32>(${o}) & 3u]` : `${name}[bitcast<u32>(${o})]`);
      const mode = lanes.get(i)!;
      let src: string;
      if (mode === 'vec' && isVec) src = `${name}[bitcast<u32>(${off}) >> 2u]`;
      else if (mode === 'splat') src = `vec4<f32>(${el(off)})`;
      else {
        const s = outer[outer.length - 1]!.strides[i]!;
        src = `vec4<f32>(${[0, 1, 2, 3].map((q) => el(q === 0 ? off : `${off} + ${q * s}`)).join(', ')})`;
      }
      if (conds.includes('false')) e.emit(`let ${v} = vec4<f32>(0.0);`);
      else if (conds.length === 0) e.emit(`let ${v} = ${src};`);
      else e.emit(`let ${v} = ${maskedValue(src, conds, 'vec4<f32>(0.0)')};`);
      return v;
    },
    helpers,
    true,
  );
  const vals = k.outs.map((o) => em.expr(o.expr, 'vec4<f32>(0.0)'));
  body.push(...em.lines);
  vals.forEach((v, o) => body.push(`${outAt(k, o, 'idx4', 4)} = ${v};`));
  const prelude = [...decls, helperSource(helpers), wgslFn('compute(idx4: u32)', body)];
  return elementwiseProgram(prelude, sizeOf(k.outShape) / 4, opts, specs, nScalars, `${label} (vec4)`);
}

/** Most work items (outputs, or groups of 4) a thread takes on a software adapter (elementwise.wgsl, reduce-serial.wgsl). */
export const MAX_ITEMS_PER_THREAD = 16;

/** Workgroups a kernel keeps at least before its threads take several items each. */
const MIN_WORKGROUPS = 8;

/**
 * Work items per thread of a kernel over `total` items with `wg` threads per workgroup: 1 on
 * GPUs; on software adapters, where a thread's own cost dominates a small thread's work, up to
 * MAX_ITEMS_PER_THREAD, as long as MIN_WORKGROUPS workgroups remain to share the cores.
 */
function itemsPerThread(total: number, wg: number, opts: CodegenOptions): number {
  if (!opts.slowBarriers) return 1;
  return Math.max(1, Math.min(MAX_ITEMS_PER_THREAD, Math.floor(total / (wg * MIN_WORKGROUPS))));
}

/** The elementwise template completed by `prelude`, for `total` work items. */
function elementwiseProgram(prelude: string[], total: number, opts: CodegenOptions, bindings: BindingSpec[], scalars: number, label: string): KernelProgram {
  const wg = opts.slowBarriers ? 64 : 256;
  const per = itemsPerThread(total, wg, opts);
  return kernelProgram({
    code: assemble(prelude, ['elementwise']),
    constants: { WG: wg, TOTAL: total, PER: per },
    bindings,
    dispatch: dispatch2d(Math.ceil(total / (wg * per)), opts.maxWorkgroupsPerDim),
    scalars,
    label,
  });
}
