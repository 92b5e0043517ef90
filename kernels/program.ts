// What codegen hands the WebGPU runtime for one kernel: WGSL source (a generated prelude followed
// by hand-written templates from shaders/), the values of the templates' override constants, the
// binding layout (which kernel argument / output each binding holds), the dispatch size and the
// scalar count. Views and shapes are baked into the prelude or set as override constants
// (shape-specialized pipelines); scalar values are not (they go in a uniform buffer), so a
// pipeline is reused whatever the constants.

import type { Kernel } from '../src/schedule/kernel.js';
import { SHADERS, type ShaderName } from './shaders.gen.js';

export type BindingSpec =
  /** read-only storage holding kernel argument `arg` (and every argument reading the same slot). */
  | { readonly kind: 'arg'; readonly arg: number; readonly vec4: boolean }
  /** matmul operand A or B. */
  | { readonly kind: 'a' | 'b'; readonly vec4: boolean }
  /** read-only storage holding argument `arg` of a matmul's A prologue ('pa') or B prologue ('pb'). */
  | { readonly kind: 'pa' | 'pb'; readonly arg: number }
  /** read-write storage for output `out`. */
  | { readonly kind: 'out'; readonly out: number }
  /** the scalars' uniform buffer. */
  | { readonly kind: 'uniform' };

export interface KernelProgram {
  readonly code: string;
  /** Values of the code's override constants, set when its pipeline is created. */
  readonly constants: Readonly<Record<string, number>>;
  /** Identity of the pipeline: code and constants (see kernelProgram). */
  readonly key: string;
  readonly bindings: readonly BindingSpec[];
  readonly dispatch: readonly [number, number, number];
  /** Number of scalars in the uniform buffer (0: no uniform binding). */
  readonly scalars: number;
  /** Label for error messages and profiling. */
  readonly label: string;
}

/**
 * A program from its parts; its key covers everything its pipeline depends on (the code and the
 * constants), so two programs share a pipeline exactly when they need the same one.
 */
export function kernelProgram(p: Omit<KernelProgram, 'key'>): KernelProgram {
  const constants = Object.keys(p.constants)
    .sort()
    .map((name) => `${name}=${p.constants[name]}`)
    .join(' ');
  return { ...p, key: `${p.code}\n// constants: ${constants}` };
}

/** WGSL of a kernel: the generated prelude, then the hand-written templates it completes. */
export function assemble(prelude: readonly string[], templates: readonly ShaderName[]): string {
  return [...prelude.filter((s) => s !== ''), ...templates.map((t) => SHADERS[t])].join('\n');
}

/**
 * A matmul template: workgroup-tiled (GPUs), register-blocked with 4x4 blocks, 4x8 past 32
 * columns or 8x8 past 32 rows and columns ('register'; 'register-wide' forces 4x8,
 * 'register-8x8' forces 8x8), or one thread per row ('rows').
 */
export type MatmulVariant = 'tiled' | 'register' | 'register-wide' | 'register-8x8' | 'rows';

export interface CodegenOptions {
  /** SwiftShader / fallback adapter: avoid workgroup barriers. */
  readonly slowBarriers: boolean;
  /** Matmul variant: 'auto' picks by slowBarriers. */
  readonly matmul: 'auto' | MatmulVariant;
  readonly maxWorkgroupsPerDim: number;
}

/**
 * Whether generated code may compute `where` as a branch (the side taken only) rather than a
 * select (both sides): not on software adapters. SwiftShader took minutes and gigabytes to
 * compile a loop kernel around a body of 17 such branches (a fuzz graph), and 5 s to minutes for
 * a matmul whose epilogue, inlined at every element of a thread's block, held a third or fourth
 * Taylor coefficient in branches (fuzz seed 104, graph #100; 70 and 84 ms as selects). Matmul
 * prologues never branch, on any adapter (they are inlined at every load).
 */
export function whereBranches(opts: CodegenOptions): boolean {
  return !opts.slowBarriers;
}

/**
 * For each kernel argument, the index of the first argument reading the same slot: arguments
 * that share a buffer share a binding (so it shapes the generated code, and with it the key).
 */
export function slotGroups(k: Kernel): number[] {
  const first = new Map<number, number>();
  return k.args.map((a, i) => {
    const f = first.get(a.slot);
    if (f !== undefined) return f;
    first.set(a.slot, i);
    return i;
  });
}

/** Short description of a kernel for messages: its ops. */
export function kernelLabel(k: Kernel): string {
  const ops = new Set<string>();
  const stack = [...k.outs.map((o) => o.expr), ...(k.type === 'loop' && k.prologue ? [k.prologue] : [])];
  const seen = new Set<unknown>();
  while (stack.length) {
    const e = stack.pop()!;
    if (seen.has(e)) continue;
    seen.add(e);
    if (e.k === 'op') {
      ops.add(e.op);
      stack.push(...e.args);
    }
  }
  const head = k.type === 'matmul' ? 'matmul' : k.reduce ? k.reduce : ops.size ? '' : 'copy';
  return [head, ...ops].filter(Boolean).join('+');
}
