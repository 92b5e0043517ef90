// WGSL without a GPU: every hand-written template (shaders/*.wgsl) and the WGSL generated for a
// broad set of kernels go through a WGSL parser (npm wgsl_reflect), so that a WGSL syntax error
// shows on machines without an adapter. The set: every elementwise primitive of the IR (built
// as kernels directly, so new primitives are covered as they appear) on the scalar and the vec4
// path, masked views, both reduction templates (sum and max), both matmul templates with every
// operand load mode, fused A and B prologues and epilogues. Each program is also checked against its
// templates' contract: one compute entry point `main`, exactly the override constants the
// templates declare, and the functions they call. Also: kernels/shaders.gen.ts is up to date.

import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { WgslParser, WgslReflect } from 'wgsl_reflect';
import { loopProgram } from '../../kernels/loop.js';
import { MATMUL_MIN_WORKGROUPS, matmulProgram, registerWorkgroup } from '../../kernels/matmul.js';
import type { CodegenOptions, KernelProgram } from '../../kernels/program.js';
import { SHADERS } from '../../kernels/shaders.gen.js';
import * as W from '../../src/index.js';
import { type Tensor, init, tensor } from '../../src/index.js';
import { PRIM_NAMES, type ParamsMap, PRIMITIVES, isElementwise } from '../../src/ir/primitives.js';
import type { ElementwiseOp, Expr, Kernel, LoopKernel } from '../../src/schedule/kernel.js';
import { schedule } from '../../src/schedule/scheduler.js';
import { contiguousView } from '../../src/schedule/view.js';

const SHADER_DIR = join(__dirname, '..', '..', 'shaders');

/** Contract problems of a program (empty: none); throws when the WGSL does not parse. */
function check(p: KernelProgram): string[] {
  new WgslParser().parse(p.code);
  const r = new WgslReflect(p.code);
  const problems: string[] = [];
  if (r.entry.compute.length !== 1 || r.entry.compute[0]!.name !== 'main') problems.push('one compute entry point main');
  const overrides = r.overrides.map((o) => o.name).sort();
  const constants = Object.keys(p.constants).sort();
  if (overrides.join() !== constants.join()) problems.push(`overrides [${overrides}] but constants [${constants}]`);
  const defined = new Set(r.functions.map((f) => f.name));
  const templates = Object.entries(SHADERS).filter(([, src]) => p.code.includes(src));
  for (const [name, src] of templates) {
    // the prelude functions a template names in its `fn ...` contract lines
    for (const m of src.matchAll(/^\/\/ +fn (\w+)\(/gm)) if (!defined.has(m[1]!)) problems.push(`${name} needs fn ${m[1]}`);
  }
  if (templates.length === 0) problems.push('no template');
  return problems;
}

const OPTIONS: CodegenOptions[] = [
  { slowBarriers: true, matmul: 'register', maxWorkgroupsPerDim: 65535 },
  { slowBarriers: false, matmul: 'tiled', maxWorkgroupsPerDim: 65535 },
  { slowBarriers: false, matmul: 'register', maxWorkgroupsPerDim: 65535 },
  { slowBarriers: true, matmul: 'tiled', maxWorkgroupsPerDim: 65535 },
  { slowBarriers: true, matmul: 'rows', maxWorkgroupsPerDim: 65535 },
  { slowBarriers: true, matmul: 'register-wide', maxWorkgroupsPerDim: 65535 },
  { slowBarriers: true, matmul: 'register-8x8', maxWorkgroupsPerDim: 65535 },
];

/** Programs of a kernel under every codegen option, deduplicated by pipeline key. */
function programs(k: Kernel): KernelProgram[] {
  const byKey = new Map<string, KernelProgram>();
  for (const o of OPTIONS) {
    const p = k.type === 'loop' ? loopProgram(k, o) : matmulProgram(k, o);
    byKey.set(p.key, p);
  }
  return [...byKey.values()];
}

/** Parameter variants of an elementwise primitive (one empty set for parameterless ones). */
function paramVariants(op: ElementwiseOp): object[] {
  const v: { [P in ElementwiseOp]?: ParamsMap[P][] } = {
    pow: [0.5, -1, 0, 3, 7, -2, 1.7, 2 ** 25].map((exponent) => ({ exponent })),
    cmp: (['lt', 'le', 'gt', 'ge', 'eq', 'ne'] as const).map((cmp) => ({ cmp })),
    cast: [{ dtype: 'float32' }],
  };
  return v[op] ?? [{}];
}

/** Kernels applying each elementwise primitive to contiguous (vec4), splat and strided operands. */
function primitiveKernels(): LoopKernel[] {
  const ks: LoopKernel[] = [];
  for (const op of PRIM_NAMES.filter(isElementwise) as ElementwiseOp[]) {
    const arity = PRIMITIVES[op].arity;
    for (const params of paramVariants(op)) {
      for (const shape of [
        [4, 8],
        [5, 7],
      ]) {
        const views = [contiguousView(shape), { ...contiguousView(shape), strides: [0, 1] }, { shape, strides: [1, shape[0]!], offset: 3, mask: null }];
        const args: Expr[] = Array.from({ length: arity }, (_, i) => ({ k: 'arg', i }));
        if (arity > 1) args[arity - 1] = { k: 'scalar', i: 0 };
        const expr = { k: 'op', op, args, params, dtype: 'float32' } as Expr;
        ks.push({
          type: 'loop',
          dtype: 'float32',
          outShape: shape,
          redShape: [],
          reduce: null,
          prologue: null,
          args: args.map((_, i) => ({ slot: i, view: views[i % views.length]! })),
          scalars: arity > 1 ? [1.5] : [],
          outs: [{ slot: 9, expr }],
        });
      }
    }
  }
  return ks;
}

const T = (...shape: number[]): Tensor =>
  tensor(
    new Float32Array(shape.reduce((a, b) => a * b, 1)).map((_, i) => Math.sin(i)),
    { shape },
  );

/** Graphs whose kernels cover masks, both reduction templates and every matmul path. */
const GRAPHS: [string, () => Tensor][] = [
  [
    'pad + concat + strided slice',
    () =>
      W.concat(
        [
          T(3, 4).pad([
            [1, 2],
            [0, 3],
          ]),
          T(6, 2).exp(),
        ],
        1,
      ).slice([1, 0], [6, 9], [2, 3]),
  ],
  [
    'vec4 over a padded outer dim',
    () =>
      T(3, 8)
        .pad([
          [2, 1],
          [0, 0],
        ])
        .mul(3),
  ],
  ['sum all (workgroup tree)', () => T(3000).sum()],
  ['max all (workgroup tree)', () => T(5000).max()],
  [
    'sum axes [0, 2] with prologue and epilogue',
    () =>
      T(5, 6, 7)
        .mul(T(5, 6, 7))
        .sum([0, 2])
        .sqrt()
        .add(1),
  ],
  [
    'min axis 0 over a padded view',
    () =>
      T(40, 3)
        .pad([
          [1, 0],
          [0, 2],
        ])
        .min(0),
  ],
  ['logsumexp rows', () => T(6, 300).logsumexp(1)],
  ['matmul with tails', () => T(37, 29).matmul(T(29, 23))],
  ['matmul, vec4 rows, plain C', () => T(64, 32).matmul(T(32, 48))],
  ['matmul Aᵀ Bᵀ (column loads)', () => T(32, 16).transpose().matmul(T(24, 32).transpose())],
  ['batched matmul, bias + tanh epilogue', () => T(3, 16, 12).matmul(T(12, 20)).add(T(20)).tanh()],
  [
    'matmul of padded / sliced operands',
    () =>
      T(6, 7)
        .pad([
          [0, 0],
          [1, 1],
        ])
        .matmul(T(9, 5).slice([0, 1], [9, 5])),
  ],
  ['matmul of an elementwise A (fused prologue)', () => T(19, 13).mul(T(19, 13)).tanh().matmul(T(13, 12)).add(1)],
  ['matmul, row A and column B', () => T(16, 32).matmul(T(24, 32).transpose())],
  ['matmul of an elementwise B (fused prologue)', () => T(16, 32).matmul(T(32, 24).mul(0.5).add(T(24)))],
  ['matmul, fused A and B, B transposed', () => T(3, 10, 12).tanh().matmul(T(9, 12).exp().transpose())],
  [
    'batched fused A over padded views',
    () =>
      T(1, 6, 9)
        .mul(T(3, 1, 9))
        .sin()
        .pad([
          [0, 0],
          [0, 0],
          [0, 1],
        ])
        .matmul(T(10, 5)),
  ],
];

describe('WGSL parses without a GPU', () => {
  beforeAll(async () => {
    await init({ backend: 'cpu' });
  });

  it('kernels/shaders.gen.ts embeds exactly shaders/*.wgsl (run node scripts/embed-shaders.mjs)', () => {
    const files = readdirSync(SHADER_DIR)
      .filter((f) => f.endsWith('.wgsl'))
      .sort();
    expect(Object.keys(SHADERS).sort()).toEqual(files.map((f) => f.slice(0, -5)).sort()); // names sort apart from file names: a-b.wgsl < a.wgsl, a < a-b
    for (const f of files) expect(SHADERS[f.slice(0, -5) as keyof typeof SHADERS], f).toBe(readFileSync(join(SHADER_DIR, f), 'utf8'));
  });

  it('every hand-written template parses', () => {
    for (const [name, src] of Object.entries(SHADERS)) expect(() => new WgslParser().parse(src), name).not.toThrow();
  });

  it('the parser and the contract check reject broken WGSL', () => {
    const p = loopProgram(primitiveKernels()[0]!, OPTIONS[0]!);
    expect(check(p)).toEqual([]);
    const broken = (code: string): KernelProgram => ({ ...p, code });
    expect(() => check(broken(p.code.replace('fn compute(idx4: u32) {', 'fn compute(idx4: u32 {')))).toThrow();
    expect(() => check(broken(p.code.replace(/;\n/, '\n')))).toThrow();
    expect(() => check(broken(`${p.code}\nfn f() { retrun; }`))).toThrow();
    expect(() => check(broken(p.code.replace(/\}\s*$/, '')))).toThrow();
    expect(check({ ...p, constants: { WG: 64 } })).toEqual(['overrides [PER,TOTAL,WG] but constants [WG]']);
    expect(check(broken(p.code.replace('fn compute(', 'fn compute2(')))).toEqual(['elementwise needs fn compute']);
  });

  it('every elementwise primitive, scalar and vec4 paths', () => {
    const progs = primitiveKernels().flatMap(programs);
    for (const p of progs) expect(check(p), `${p.label}\n${p.code}`).toEqual([]);
    expect(progs.some((p) => p.label.endsWith('(vec4)'))).toBe(true);
    expect(progs.some((p) => !p.label.endsWith('(vec4)'))).toBe(true);
    console.log(`wgsl: ${progs.length} elementwise programs parsed`);
  });

  it('auto: a large fused A operand takes the rows template on slow-barrier adapters when C has few columns, the tiled one otherwise', () => {
    const program = (t: Tensor, slowBarriers: boolean) => {
      const ks = schedule([t.node]).plan.kernels;
      expect(ks).toHaveLength(1);
      const mm = ks[0] as Extract<Kernel, { type: 'matmul' }>;
      expect(mm.aPrologue, 'the operand is computed in the loads').not.toBeNull();
      return matmulProgram(mm, { slowBarriers, matmul: 'auto', maxWorkgroupsPerDim: 65535 });
    };
    // the top of a collapsed Laplacian's last layer: a sum over 16 directions unrolled in the A loads
    const V = T(16, 32, 8);
    const top = V.square().sum(0).tanh().mul(V.sum(0)).matmul(T(8, 1));
    expect(program(top, true).label).toMatch(/\(rows\)$/);
    expect(program(top, true).code).toContain(SHADERS['matmul-rows']);
    expect(program(top, false).label).toMatch(/\(tiled\)$/);
    // a long elementwise chain in the A loads, for C with 16 and 64 columns
    const x = T(32, 8);
    let chain = x;
    for (let i = 0; i < 12; i++) chain = chain.mul(x).add(0.5).tanh();
    expect(program(chain.matmul(T(8, 16)), true).label).toMatch(/\(rows\)$/);
    expect(program(chain.matmul(T(8, 64)), true).label).toMatch(/\(tiled\)$/);
  });

  it('work items per thread: up to 16 on slow-barrier adapters while 8 workgroups remain, 1 on GPUs', () => {
    const per = (t: Tensor, slowBarriers: boolean) => {
      const k = schedule([t.node]).plan.kernels[0] as LoopKernel;
      return loopProgram(k, { slowBarriers, matmul: 'auto', maxWorkgroupsPerDim: 65535 }).constants.PER;
    };
    const big = T(129, 1028); // 33153 vec4 groups
    expect(per(big.exp(), true)).toBe(16);
    expect(per(big.exp(), false)).toBe(1);
    expect(per(T(8197, 3).sum(1), true)).toBe(16);
    expect(per(T(1031, 3).transpose().sin(), true)).toBe(6); // 3093 elements: 6 per thread leaves 8 workgroups of 64
    expect(per(T(16, 64).exp(), true)).toBe(1);
  });

  it('where is a branch on GPUs and a select on slow-barrier adapters (no branches in their per-thread loops or matmul epilogues)', () => {
    // SwiftShader took minutes and gigabytes compiling a loop around a body of many branches, and
    // seconds to minutes for a matmul whose epilogue (inlined at each element of a thread's block)
    // held a fuzz graph's third and fourth Taylor coefficients in branches (seed 104, graph #100)
    const chain = (x: Tensor) => {
      let y = x;
      for (let i = 0; i < 6; i++) y = W.where(y.greater(0), y.mul(y).add(i), y.exp());
      return y;
    };
    const y = chain(T(5, 3));
    const mm = chain(T(5, 3).matmul(T(3, 4)));
    const progs = [y, y.sum(1), mm].map((t) => schedule([t.node]).plan.kernels[0] as Kernel);
    expect(progs.map((k) => k.type)).toEqual(['loop', 'loop', 'matmul']);
    // the generated part of a program (the templates' own branches test uniform constants)
    const prelude = (slowBarriers: boolean, k: Kernel) => {
      const opts = { slowBarriers, matmul: 'auto', maxWorkgroupsPerDim: 65535 } as const;
      return Object.values(SHADERS).reduce((c, t) => c.replace(t, ''), (k.type === 'loop' ? loopProgram(k, opts) : matmulProgram(k, opts)).code);
    };
    for (const k of progs) {
      expect(prelude(false, k)).toContain('if (');
      expect(prelude(true, k)).not.toContain('if (');
    }
  });

  it('auto on slow-barrier adapters: 4x4 blocks up to 32 columns, 4x8 past them, 8x8 past 32 rows and columns', () => {
    const label = (m: number, n: number) => {
      const mm = schedule([T(m, 16).matmul(T(16, n)).node]).plan.kernels[0] as Extract<Kernel, { type: 'matmul' }>;
      const p = matmulProgram(mm, { slowBarriers: true, matmul: 'auto', maxWorkgroupsPerDim: 65535 });
      const template = (['matmul-register-8x8', 'matmul-register-wide', 'matmul-register'] as const).find((t) => p.code.includes(SHADERS[t]));
      return `${/\(([^)]*)\)$/.exec(p.label)?.[1]}: ${template}`;
    };
    // (and fewer threads per workgroup while C has under MATMUL_MIN_WORKGROUPS tiles: the next test)
    expect(label(64, 32)).toBe('register row/row, 4x2 threads: matmul-register');
    expect(label(32, 64)).toBe('register 4x8 row/row, 2x2 threads: matmul-register-wide');
    expect(label(33, 36)).toBe('register 8x8 row/row, 2x2 threads: matmul-register-8x8');
    expect(label(256, 64)).toBe('register 8x8 row/row, 8x2 threads: matmul-register-8x8');
    expect(label(1024, 128)).toBe('register 8x8 row/row: matmul-register-8x8');
  });

  it('register templates: 8x8 threads per workgroup, fewer while C has under MATMUL_MIN_WORKGROUPS tiles', () => {
    // [threads along N, along M] for a thread block of bx columns x by rows
    expect(registerWorkgroup(64, 64, 1, 8, 8)).toEqual([2, 2]); // the training step's 64 x 64 weight gradient: 16 workgroups
    expect(registerWorkgroup(256, 64, 16, 8, 8)).toEqual([8, 8]); // the b16 tangent product: 64 workgroups already
    expect(registerWorkgroup(1, 64, 1, 4, 4)).toEqual([2, 8]); // one row: only halving along N adds workgroups
    expect(registerWorkgroup(3, 3, 1, 4, 4)).toEqual([8, 8]); // one tile whatever the shape: left as it is
    expect(registerWorkgroup(32, 1024, 1, 8, 4)).toEqual([8, 8]); // 16 tiles of 64 x 32
    const shapes: [number, number, number][] = [
      [64, 64, 1],
      [17, 64, 1],
      [65, 64, 1],
      [512, 8, 1],
      [40, 40, 3],
    ];
    for (const [m, n, b] of shapes) {
      for (const [bx, by] of [
        [8, 8],
        [8, 4],
        [4, 4],
      ] as const) {
        const [wx, wy] = registerWorkgroup(m, n, b, bx, by);
        const tiles = Math.ceil(n / (wx * bx)) * Math.ceil(m / (wy * by)) * b;
        // never below 4 threads (SwiftShader's SIMD width), powers of two up to 8
        expect([2, 4, 8]).toContain(wx);
        expect([2, 4, 8]).toContain(wy);
        // enough workgroups, or none more to be had by halving either side
        const more = (x: number, y: number) => Math.ceil(n / (x * bx)) * Math.ceil(m / (y * by)) * b > tiles;
        if (tiles < MATMUL_MIN_WORKGROUPS) expect((wx > 2 && more(wx / 2, wy)) || (wy > 2 && more(wx, wy / 2))).toBe(false);
      }
    }
    // the program dispatches them, and the template's workgroup size follows
    const mm = schedule([T(64, 4096).matmul(T(4096, 64)).node]).plan.kernels[0] as Extract<Kernel, { type: 'matmul' }>;
    const p = matmulProgram(mm, { slowBarriers: true, matmul: 'auto', maxWorkgroupsPerDim: 65535 });
    expect(p.dispatch).toEqual([16, 1, 1]);
    expect(p.constants).toMatchObject({ WG_X: 2, WG_Y: 2, GX: 4, GY: 4, TOTAL: 16 });
    expect(p.code).toContain('@workgroup_size(WG_X, WG_Y)');
  });

  it('masked views, both reduction templates, every matmul template with every load mode', () => {
    const progs = GRAPHS.flatMap(([, f]) => schedule([f().node]).plan.kernels.flatMap(programs));
    for (const p of progs) expect(check(p), `${p.label}\n${p.code}`).toEqual([]);
    // the variant, without the workgroup shape of a register template ('..., 2x2 threads')
    const labels = new Set(progs.map((p) => /\(.*\)$/.exec(p.label.replace(/, \d+x\d+ threads/, ''))?.[0]).filter((l) => l !== undefined));
    for (const l of [
      '(vec4)',
      '(tiled)',
      '(rows)',
      '(register row/row)',
      '(register col/col)',
      '(register scalar/scalar)',
      '(register row/col)',
      '(register scalar/row)',
      '(register row/scalar)',
    ])
      expect(labels, l).toContain(l);
    expect(progs.some((p) => p.code.includes(SHADERS['reduce-workgroup']))).toBe(true);
    expect(progs.some((p) => p.code.includes(SHADERS['reduce-serial']))).toBe(true);
    console.log(`wgsl: ${progs.length} programs of ${GRAPHS.length} graphs parsed; ${[...labels].join(', ')}`);
  });
});
