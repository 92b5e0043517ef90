// JavaScript code generation for loop kernels (fused elementwise chains and reductions with
// prologue/epilogue) on the CPU backend. Loops run over the collapsed iteration space with one
// incremental pointer per argument; float32 results are rounded with Math.fround after every op,
// as float32 hardware would.

import type { LoopKernel } from '../../schedule/kernel.js';
import { ExprEmitter, type LeafExpr, type OpExpr, type Syntax } from '../emitter.js';
import { collapse, restrictView } from '../loops.js';
import { SPECIAL } from './special.js';

/**
 * A compiled loop kernel: reads `args`, writes `outs[j]` for each of the kernel's outputs. For a
 * matmul epilogue (no reduction, `acc` in the expressions) `acc[o]` holds the matmul result; it
 * may be one of `outs` (in place: every output value is computed before any is stored).
 */
export type LoopFn = (args: ArrayLike<number>[], outs: (Float32Array | Float64Array)[], scalars: readonly number[], acc?: ArrayLike<number>) => void;

/** JS source of one elementwise op applied to operand sources `a` (and `b`, `c`). */
function opSource(e: OpExpr, x: string[]): string {
  const [a, b, c] = x;
  let s: string;
  let exact = false;
  switch (e.op) {
    case 'neg':
      s = `(-${a})`;
      exact = true;
      break;
    case 'exp':
      s = `Math.exp(${a})`;
      break;
    case 'log':
      s = `Math.log(${a})`;
      break;
    case 'sin':
      s = `Math.sin(${a})`;
      break;
    case 'cos':
      s = `Math.cos(${a})`;
      break;
    case 'tanh':
      s = `Math.tanh(${a})`;
      break;
    case 'sigmoid':
      s = `(1 / (1 + Math.exp(-${a})))`;
      break;
    case 'softplus':
      s = `(${a} > 0 ? ${a} + Math.log1p(Math.exp(-${a})) : Math.log1p(Math.exp(${a})))`;
      break;
    case 'sqrt':
      s = `Math.sqrt(${a})`;
      break;
    case 'log1p':
      s = `Math.log1p(${a})`;
      break;
    case 'expm1':
      s = `Math.expm1(${a})`;
      break;
    case 'erf':
      s = `SPECIAL.erf(${a})`;
      break;
    case 'abs':
      s = `Math.abs(${a})`;
      exact = true;
      break;
    case 'sign':
      s = `Math.sign(${a})`;
      exact = true;
      break;
    case 'pow': {
      const p = (e.params as { exponent: number }).exponent;
      s = p === 0.5 ? `Math.sqrt(${a})` : p === -1 ? `(1 / ${a})` : `Math.pow(${a}, ${num(p)})`;
      break;
    }
    case 'cast':
      s = `(${a})`;
      exact = e.dtype === 'float64';
      break;
    case 'add':
      s = `(${a} + ${b})`;
      break;
    case 'sub':
      s = `(${a} - ${b})`;
      break;
    case 'mul':
      s = `(${a} * ${b})`;
      break;
    case 'div':
      s = `(${a} / ${b})`;
      break;
    case 'atan2':
      s = `Math.atan2(${a}, ${b})`;
      break;
    case 'maximum':
      s = `Math.max(${a}, ${b})`;
      exact = true;
      break;
    case 'cmp': {
      const op = { lt: '<', le: '<=', gt: '>', ge: '>=', eq: '===', ne: '!==' }[(e.params as { cmp: 'lt' }).cmp];
      s = `(${a} ${op} ${b} ? 1 : 0)`;
      exact = true;
      break;
    }
    case 'where':
      s = `(${a} !== 0 ? ${b} : ${c})`;
      exact = true;
      break;
    default: {
      const never: never = e.op;
      throw new Error(`cpu codegen: no source for ${String(never)}`);
    }
  }
  return e.dtype === 'float32' && !exact ? `Math.fround(${s})` : s;
}

function num(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  return Object.is(v, -0) ? '-0' : String(v);
}

const JS: Syntax = {
  bind: (v, src) => `const ${v} = ${src};`,
  declare: (v) => `let ${v};`,
  taken: (c) => `${c} !== 0`,
};

/** JavaScript lines for an Expr DAG (the walk: ../emitter.ts). */
class Emitter extends ExprEmitter {
  /** `prefix` keeps the names of two emitters apart (a reduction over size-1 dims has no inner loop scope). */
  constructor(
    private readonly argRead: (i: number) => string,
    prefix = 't',
  ) {
    super(prefix, JS);
  }
  protected leaf(e: LeafExpr): string {
    const v = this.fresh();
    this.emit(JS.bind(v, e.k === 'arg' ? this.argRead(e.i) : `s${e.i}`));
    return v;
  }
  protected op(e: OpExpr, args: string[]): string {
    return opSource(e, args);
  }
}

/**
 * The JS source of a loop kernel's function body. It is a complete description of the compiled
 * function, so the backend caches compiled functions by it (no separate key to drift from it).
 */
export function loopSource(k: LoopKernel): string {
  const nOut = k.outShape.length;
  const views = k.args.map((a) => a.view);
  const outer = collapse(
    k.outShape,
    views.map((v) => restrictView(v, 0, nOut)),
  );
  const inner = collapse(
    k.redShape,
    views.map((v) => restrictView(v, nOut)),
  );
  const L: string[] = [];
  k.args.forEach((_a, i) => L.push(`const A${i} = args[${i}];`));
  k.scalars.forEach((_, i) => L.push(`const s${i} = scalars[${i}];`));
  L.push('let o = 0;');
  k.args.forEach((a, i) => L.push(`let p${i}_0 = ${a.view.offset};`));
  const loops = [...outer, ...inner];
  // the outermost output loop runs in segments between its masks' bounds (the channels of a
  // concatenation): in each, every mask on it holds or fails throughout, so its test is settled
  // when the code is generated (a read outside its mask is the literal 0)
  let segment: readonly [number, number] | null = null;
  // read of argument i at loop depth `depth` (pointer p{i}_{depth})
  const readAt =
    (depth: number) =>
    (i: number): string => {
      const conds: string[] = [];
      for (let d = 0; d < depth; d++) {
        const m = loops[d]!.masks[i];
        if (m && d === 0 && segment) {
          if (segment[1] <= m[0] || segment[0] >= m[1]) return '0';
          if (segment[0] >= m[0] && segment[1] <= m[1]) continue;
        }
        if (m) conds.push(`i${d} >= ${m[0]} && i${d} < ${m[1]}`);
      }
      const read = `A${i}[p${i}_${depth}]`;
      return conds.length ? `(${conds.join(' && ')} ? ${read} : 0)` : read;
    };
  const open = (d: number): void => {
    const [from, to] = d === 0 && segment ? segment : [0, loops[d]!.size];
    L.push(`for (let i${d} = ${from}; i${d} < ${to}; i${d}++) {`);
    k.args.forEach((_, i) => L.push(`let p${i}_${d + 1} = p${i}_${d};`));
  };
  // pointer p{i}_{d} lives outside loop d and advances by loop d's stride at the end of its body
  const closeAt = (d: number): void => {
    k.args.forEach((_, i) => {
      const s = loops[d]!.strides[i]!;
      if (s !== 0) L.push(`p${i}_${d} += ${s};`);
    });
    L.push('}');
  };
  const depthOut = outer.length;
  const cuts = depthOut > 0 ? [0, loops[0]!.size, ...loops[0]!.masks.flatMap((m) => (m ? [m[0], m[1]] : []))] : [];
  const bounds = [...new Set(cuts.filter((c) => c >= 0 && c <= loops[0]!.size))].sort((a, b) => a - b);
  if (bounds.length <= 2) body();
  else
    for (let j = 0; j + 1 < bounds.length; j++) {
      segment = [bounds[j]!, bounds[j + 1]!];
      body();
    }
  const head = k.outs.map((_, j) => `const O${j} = outs[${j}];`);
  return [...head, ...L].join('\n');

  /** The loop nest over the output (and reduced) dims, with the kernel's expressions inside. */
  function body(): void {
    for (let d = 0; d < depthOut; d++) open(d);
    const epi = new Emitter(readAt(depthOut));
    if (k.reduce) {
      const init = k.reduce === 'sum' ? '0' : '-Infinity';
      L.push(`let acc = ${init};`);
      for (let d = depthOut; d < loops.length; d++) open(d);
      const pro = new Emitter(readAt(loops.length), 'q');
      const v = pro.expr(k.prologue!, 'acc');
      L.push(...pro.lines);
      const upd = k.reduce === 'sum' ? `acc + ${v}` : `(${v} > acc || ${v} !== ${v} ? ${v} : acc)`;
      L.push(`acc = ${k.dtype === 'float32' && k.reduce === 'sum' ? `Math.fround(${upd})` : upd};`);
      for (let d = loops.length - 1; d >= depthOut; d--) closeAt(d);
    }
    if (!k.reduce) L.push('const accv = ACC === undefined ? 0 : ACC[o];');
    const outVars = k.outs.map((out) => epi.expr(out.expr, k.reduce ? 'acc' : 'accv'));
    L.push(...epi.lines);
    outVars.forEach((v, j) => L.push(`O${j}[${k.outs[j]!.at ? `o + ${k.outs[j]!.at}` : 'o'}] = ${v};`));
    L.push('o++;');
    for (let d = depthOut - 1; d >= 0; d--) closeAt(d);
  }
}

/** Compiles a body made by loopSource() to a JS function (SPECIAL: the functions Math lacks). */
export function compileLoopSource(source: string): LoopFn {
  return new Function('SPECIAL', `return function (args, outs, scalars, ACC) {\n${source}\n};`)(SPECIAL) as LoopFn;
}

/** Compiles a loop kernel to a JS function (uncached; the backend caches by source). */
export function compileLoop(k: LoopKernel): LoopFn {
  return compileLoopSource(loopSource(k));
}
