// WGSL building blocks shared by every kernel: f32 literals, the source of each elementwise op
// (the same math as src/backend/cpu/codegen.ts, in f32), helper functions some ops need (an
// accurate sin/cos: SwiftShader's builtins are off by 2e-4 absolute), strided reads of views with
// masks, and the WGSL flavour of the expression emitter (src/backend/emitter.ts).

import { ExprEmitter, type LeafExpr, type OpExpr, type Syntax } from '../src/backend/emitter.js';

/** A WGSL f32 expression for the number `v` (non-finite values via bitcast). */
export function f32(v: number): string {
  // non-finite values may not appear in constant expressions: read them from private variables
  if (Number.isNaN(v)) return 'bitcast<f32>(wg_nan_bits)';
  if (v === Infinity) return 'bitcast<f32>(wg_inf_bits)';
  if (v === -Infinity) return '(-bitcast<f32>(wg_inf_bits))';
  const r = Math.fround(v);
  if (r === 0) return Object.is(r, -0) ? '-0.0' : '0.0';
  if (!Number.isFinite(r)) return r > 0 ? 'bitcast<f32>(wg_inf_bits)' : '(-bitcast<f32>(wg_inf_bits))';
  // an f32-representable decimal: 9 significant digits round-trip, and the literal must look like a float
  const s = Math.abs(r) < 1e-30 || Math.abs(r) > 1e30 ? r.toExponential(8) : Number.isInteger(r) ? `${r}.0` : r.toPrecision(9);
  return s.includes('.') || s.includes('e') ? `f32(${s})` : `f32(${s}.0)`;
}

/** A helper function some op sources call, and the helpers it calls (emitted before it). */
export interface Helper {
  readonly deps: readonly string[];
  readonly src: string;
}

/** The vec4 version of a one-argument f32 helper `wg_<name>`: `wg_<name>4`, per component. */
function vec4Of(name: string): Helper {
  const f = `wg_${name}`;
  return { deps: [name], src: `\nfn ${f}4(x: vec4<f32>) -> vec4<f32> {\n  return vec4<f32>(${f}(x.x), ${f}(x.y), ${f}(x.z), ${f}(x.w));\n}` };
}

/** Helper functions referenced by op sources (emitted once per shader when used, after their deps). */
export const HELPERS: Record<string, Helper> = {
  // Cody-Waite reduction by pi/4 (three f32 parts) and the Cephes sinf / cosf polynomials:
  // about 1 ulp for |x| < 8192; the builtins are used beyond that.
  sincos: {
    deps: [],
    src: `
fn wg_sincos(x: f32, shift: u32) -> f32 {
  let ax = abs(x);
  if (ax > 8192.0) {
    if (shift == 0u) { return sin(x); }
    return cos(x);
  }
  var j = u32(ax * 1.27323954473516);
  j = j + (j & 1u);
  let y = f32(j);
  let r = ((ax - y * 0.78515625) - y * 2.4187564849853515625e-4) - y * 3.77489497744594108e-8;
  let z = r * r;
  let ps = ((-1.9515295891e-4 * z + 8.3321608736e-3) * z - 1.6666654611e-1) * z * r + r;
  let pc = ((2.443315711809948e-5 * z - 1.388731625493765e-3) * z + 4.166664568298827e-2) * z * z - 0.5 * z + 1.0;
  var q = (j >> 1u) & 3u;
  var s = 1.0;
  if (shift == 0u) {
    if (x < 0.0) { s = -1.0; }
  } else {
    q = (q + 1u) & 3u;
  }
  var v = ps;
  if (q == 1u || q == 3u) { v = pc; }
  if (q >= 2u) { v = -v; }
  return s * v;
}`,
  },
  // log(1 + y): |y| < 0.5 by 2 atanh(s), s = y / (2 + y) (odd series to s^13, |s| <= 1/3: the
  // builtin log is not accurate near 1 on every device); else log(1 + y), -Inf at -1, NaN below
  log1p: {
    deps: [],
    src: `
fn wg_log1p(y: f32) -> f32 {
  if (abs(y) < 0.5) {
    let s = y / (2.0 + y);
    let z = s * s;
    return 2.0 * s * (1.0 + z * (0.33333333 + z * (0.2 + z * (0.14285714 + z * (0.11111111 + z * (0.09090909 + z * 0.07692308))))));
  }
  let u = 1.0 + y;
  if (u == 0.0) { return -bitcast<f32>(wg_inf_bits); }
  if (u < 0.0) { return bitcast<f32>(wg_nan_bits); }
  return log(u);
}`,
  },
  softplus: {
    deps: ['log1p'],
    src: `
fn wg_softplus(x: f32) -> f32 {
  return max(x, 0.0) + wg_log1p(exp(-abs(x)));
}`,
  },
  // exp(x) - 1: its Taylor polynomial (degree 9, relative error < 3e-10) where exp(x) - 1 cancels
  expm1: {
    deps: [],
    src: `
fn wg_expm1(x: f32) -> f32 {
  if (abs(x) < 0.5) {
    return x * (1.0 + x * (0.5 + x * (1.6666667e-1 + x * (4.1666668e-2 + x * (8.3333338e-3 + x * (1.3888889e-3 + x * (1.9841270e-4 + x * (2.4801587e-5 + x * 2.7557319e-6))))))));
  }
  return exp(x) - 1.0;
}`,
  },
  // |x| < 1: the Maclaurin series (12 terms, truncation < 2e-9); beyond, Abramowitz & Stegun
  // 7.1.26 (absolute error < 1.5e-7, relative < 1.8e-7 where erf >= 0.84): float32 accuracy.
  erf: {
    deps: [],
    src: `
fn wg_erf(x: f32) -> f32 {
  let ax = abs(x);
  if (ax < 1.0) {
    let z = x * x;
    let p = ((((((((((-1.2290555e-9 * z + 1.4807193e-8) * z - 1.6365845e-7) * z + 1.6462114e-6) * z - 1.4925650e-5) * z + 1.2055333e-4) * z - 8.5483270e-4) * z + 5.2239776e-3) * z - 2.6866171e-2) * z + 1.1283792e-1) * z - 3.7612639e-1) * z + 1.1283792;
    return x * p;
  }
  let t = 1.0 / (1.0 + 0.3275911 * ax);
  let q = ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t;
  let y = 1.0 - q * exp(-ax * ax);
  return select(y, -y, x < 0.0);
}`,
  },
  // vec4 versions (elementwise kernels that process 4 elements per thread)
  sincos4: {
    deps: ['sincos'],
    src: `
fn wg_sincos4(x: vec4<f32>, shift: u32) -> vec4<f32> {
  return vec4<f32>(wg_sincos(x.x, shift), wg_sincos(x.y, shift), wg_sincos(x.z, shift), wg_sincos(x.w, shift));
}`,
  },
  softplus4: vec4Of('softplus'),
  log1p4: vec4Of('log1p'),
  expm14: vec4Of('expm1'),
  erf4: vec4Of('erf'),
};

/** Integer power by repeated multiplication (exact sign handling for negative bases). */
function intPow(a: string, p: number, T: (x: string) => string): string {
  const n = Math.abs(p);
  let s: string;
  if (n === 0) return T('1.0');
  if (n <= 4) s = `(${Array.from({ length: n }, () => a).join(' * ')})`;
  else s = `(pow(abs(${a}), ${T(f32(n))}) * select(${T('1.0')}, sign(${a}), ${n % 2 === 1}))`;
  return p < 0 ? `(1.0 / ${s})` : s;
}

/**
 * WGSL source of one op applied to operand sources `x` (f32, or vec4<f32> when `vec`: four
 * elements at once); records the helpers it needs. Boolean logic uses `&` / `|`, valid for
 * scalars and vectors alike.
 */
export function opSource(e: OpExpr, x: string[], helpers: Set<string>, vec = false): string {
  const [a, b, c] = x as [string, string, string];
  const need = (h: string): void => void helpers.add(h); // helperSource adds its deps
  const T = (v: string): string => (vec ? `vec4<f32>(${v})` : v);
  const v4 = vec ? '4' : '';
  const isnan = (v: string): string => `wg_isnan${v4}(${v})`;
  switch (e.op) {
    case 'neg':
      return `(-${a})`;
    case 'exp':
      return `exp(${a})`;
    case 'log':
      return `log(${a})`;
    case 'sin':
      need(`sincos${v4}`);
      return `wg_sincos${v4}(${a}, 0u)`;
    case 'cos':
      need(`sincos${v4}`);
      return `wg_sincos${v4}(${a}, 1u)`;
    // tanh(15) rounds to 1 in f32; clamping keeps exp-based implementations from inf/inf
    case 'tanh':
      return `tanh(clamp(${a}, ${T('-15.0')}, ${T('15.0')}))`;
    case 'sigmoid':
      return `(1.0 / (1.0 + exp(-${a})))`;
    case 'softplus':
      need(`softplus${v4}`);
      return `wg_softplus${v4}(${a})`;
    case 'log1p':
      need(`log1p${v4}`);
      return `wg_log1p${v4}(${a})`;
    case 'expm1':
      need(`expm1${v4}`);
      return `wg_expm1${v4}(${a})`;
    case 'erf':
      need(`erf${v4}`);
      return `wg_erf${v4}(${a})`;
    case 'sqrt':
      return `sqrt(${a})`;
    case 'abs':
      return `abs(${a})`;
    case 'sign':
      return `sign(${a})`;
    case 'pow': {
      const p = (e.params as { exponent: number }).exponent;
      if (p === 0.5) return `sqrt(${a})`;
      if (p === -1) return `(1.0 / ${a})`;
      if (Number.isInteger(p) && Math.abs(p) < 2 ** 24) return intPow(a, p, T);
      // non-integer exponent: NaN for negative bases, as Math.pow
      return `select(pow(${a}, ${T(f32(p))}), ${T('bitcast<f32>(wg_nan_bits)')}, ${a} < ${T('0.0')})`;
    }
    case 'cast':
      return a;
    case 'add':
      return `(${a} + ${b})`;
    case 'sub':
      return `(${a} - ${b})`;
    case 'mul':
      return `(${a} * ${b})`;
    case 'div':
      return `(${a} / ${b})`;
    case 'atan2':
      return `atan2(${a}, ${b})`;
    // NaN in either operand gives NaN, as Math.max
    case 'maximum':
      return `select(max(${a}, ${b}), ${a} + ${b}, ${isnan(a)} | ${isnan(b)})`;
    case 'cmp': {
      const cmp = (e.params as { cmp: 'lt' | 'le' | 'gt' | 'ge' | 'eq' | 'ne' }).cmp;
      const op = { lt: '<', le: '<=', gt: '>', ge: '>=', eq: '==', ne: '!=' }[cmp];
      const nan = `(${isnan(a)} | ${isnan(b)})`;
      // comparisons with NaN are false, except "not equal" (float compares may assume no NaN)
      if (cmp === 'ne') return `select(${T('0.0')}, ${T('1.0')}, (${a} != ${b}) | ${nan})`;
      return `select(${T('0.0')}, ${T('1.0')}, (${a} ${op} ${b}) & !${nan})`;
    }
    // a NaN condition is "not 0": picks b, as the CPU backend
    case 'where':
      return `select(${c}, ${b}, (${a} != ${T('0.0')}) | ${isnan(a)})`;
    default: {
      const never: never = e.op;
      throw new Error(`webgpu codegen: no WGSL for ${String(never)}`);
    }
  }
}

const WGSL: Syntax = {
  bind: (v, src) => `let ${v} = ${src};`,
  declare: (v) => `var ${v}: f32;`,
  taken: (c) => `${c} != 0.0 || wg_isnan(${c})`,
};

/** Turns an Expr DAG into WGSL `let` lines (the walk: src/backend/emitter.ts). */
export class Emitter extends ExprEmitter {
  constructor(
    prefix: string,
    /** Source of argument i (may emit lines through `emit`). */
    private readonly argRead: (i: number, em: Emitter) => string,
    readonly helpers: Set<string>,
    /** Four elements per value (vec4<f32>) instead of one. */
    private readonly vec = false,
    /** `where` as an if/else computing the branch taken only (not in code inlined many times over: matmul loads). */
    private readonly lazy = true,
  ) {
    super(prefix, WGSL);
  }

  protected override lazyWhereAllowed(): boolean {
    return !this.vec && this.lazy;
  }

  protected leaf(e: LeafExpr): string {
    if (e.k === 'arg') return this.argRead(e.i, this);
    const s = `sc.v[${e.i >> 2}][${e.i & 3}]`;
    return this.vec ? `vec4<f32>(${s})` : s;
  }

  protected op(e: OpExpr, args: string[]): string {
    return opSource(e, args, this.helpers, this.vec);
  }
}

/**
 * Lines decomposing the flat index `flat` (a u32 expression) over collapsed dims into i32 index
 * variables `${p}0 ..`; returns the variable names.
 */
export function decompose(flat: string, dims: readonly { size: number }[], p: string, out: string[]): string[] {
  const names = dims.map((_, d) => `${p}${d}`);
  if (dims.length === 0) return names;
  if (dims.length === 1) {
    out.push(`let ${names[0]} = i32(${flat});`);
    return names;
  }
  out.push(`var ${p}r = ${flat};`);
  for (let d = dims.length - 1; d >= 0; d--) {
    const s = dims[d]!.size;
    if (d === 0) out.push(`let ${names[d]} = i32(${p}r);`);
    else {
      out.push(`let ${names[d]} = i32(${p}r % ${s}u);`);
      out.push(`${p}r = ${p}r / ${s}u;`);
    }
  }
  return names;
}

/** i32 offset expression of argument `a` given index variables over collapsed dims. */
export function offsetExpr(base: string | number, dims: readonly { strides: number[] }[], a: number, idx: readonly string[]): string {
  const terms: string[] = [typeof base === 'number' ? `${base}` : base];
  dims.forEach((d, j) => {
    const s = d.strides[a]!;
    if (s === 0) return;
    terms.push(s === 1 ? idx[j]! : `${idx[j]} * ${s}`);
  });
  return terms.length === 1 ? `${terms[0]}` : `(${terms.join(' + ')})`;
}

/** Bound conditions of argument `a`'s masks over the collapsed dims (empty: always in bounds). */
export function maskConds(dims: readonly { masks: (readonly [number, number] | null)[]; size: number }[], a: number, idx: readonly string[]): string[] {
  const c: string[] = [];
  dims.forEach((d, j) => {
    const m = d.masks[a];
    if (!m) return;
    if (m[1] <= m[0]) c.push('false');
    else {
      if (m[0] > 0) c.push(`${idx[j]} >= ${m[0]}`);
      if (m[1] < d.size) c.push(`${idx[j]} < ${m[1]}`);
    }
  });
  return c;
}

/** Emits a guarded read of `binding[offset]` into a fresh variable; returns its name. */
export function guardedRead(em: Emitter, binding: string, offset: string, conds: readonly string[]): string {
  const v = em.fresh();
  if (conds.includes('false')) {
    em.emit(`let ${v} = 0.0;`);
    return v;
  }
  // bitcast, not u32(): a constant negative offset (guarded by a mask) must not fail to compile
  if (conds.length === 0) {
    em.emit(`let ${v} = ${binding}[bitcast<u32>(${offset})];`);
    return v;
  }
  em.emit(`let ${v} = ${maskedValue(`${binding}[bitcast<u32>(${offset})]`, conds, '0.0')};`);
  return v;
}

/**
 * `src` where every condition holds, else `zero`, without control flow: a select of an
 * unconditional read (an out-of-bounds read of a storage array is defined in WGSL: Dawn clamps it)
 * under conditions joined by the non-short-circuit `&`. Branches (`if`, `&&`) inlined at each of a
 * register-blocked matmul's 32 loads per step made shaders SwiftShader's compiler never finished.
 */
export function maskedValue(src: string, conds: readonly string[], zero: string): string {
  return `select(${zero}, ${src}, ${conds.map((c) => `(${c})`).join(' & ')})`;
}

/** The helpers in `used` and everything they call, each after its dependencies (table order otherwise). */
export function helperOrder(used: ReadonlySet<string>): string[] {
  const out: string[] = [];
  const visit = (h: string): void => {
    if (out.includes(h)) return;
    const helper = HELPERS[h];
    if (!helper) throw new Error(`webgpu codegen: no WGSL helper '${h}'`);
    helper.deps.forEach(visit);
    out.push(h);
  };
  Object.keys(HELPERS)
    .filter((h) => used.has(h))
    .forEach(visit);
  return out;
}

/** The helper function sources a shader needs. */
export function helperSource(helpers: ReadonlySet<string>): string {
  // NaN tests by bits: float compares may be folded on the assumption that NaN never occurs
  const consts = [
    'var<private> wg_inf_bits: u32 = 0x7f800000u;',
    'var<private> wg_nan_bits: u32 = 0x7fc00000u;',
    'fn wg_isnan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }',
    'fn wg_isnan4(x: vec4<f32>) -> vec4<bool> { return (bitcast<vec4<u32>>(x) & vec4<u32>(0x7fffffffu)) > vec4<u32>(0x7f800000u); }',
  ].join('\n');
  return [consts, ...helperOrder(helpers).map((h) => HELPERS[h]!.src)].join('\n');
}

/** Uniform declaration for `n` scalars (none when n = 0). */
export function scalarDecl(n: number, binding: number): string {
  if (n === 0) return '';
  return `struct Scalars { v: array<vec4<f32>, ${Math.ceil(n / 4)}> };\n@group(0) @binding(${binding}) var<uniform> sc: Scalars;`;
}

/** Splits `groups` workgroups into a 2-D dispatch within `maxDim` per dimension. */
export function dispatch2d(groups: number, maxDim: number): [number, number, number] {
  if (groups <= maxDim) return [Math.max(1, groups), 1, 1];
  const y = Math.ceil(groups / maxDim);
  if (y > maxDim) throw new RangeError(`${groups} workgroups exceed ${maxDim} x ${maxDim}`);
  return [Math.ceil(groups / y), y, 1];
}

/** A WGSL function: `fn ${signature}` with the statements `body`. */
export function wgslFn(signature: string, body: readonly string[]): string {
  return [`fn ${signature} {`, ...body.map((l) => `  ${l}`), '}'].join('\n');
}
