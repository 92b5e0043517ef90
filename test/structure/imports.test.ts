// The import graph of src/ (and kernels/, shaders/ when they exist) follows the layers: no cycle
// (Tarjan's strongly connected components), and every runtime import goes to the same layer or
// one the importing layer may use. Type-only imports are ignored (they vanish at runtime).

import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '../..');

type Layer = 'base' | 'ir' | 'tensor' | 'rules' | 'ad' | 'schedule' | 'backend' | 'runtime' | 'api' | 'library' | 'entry';

/** What each layer may import besides itself (lower layers; the entry points may import anything). */
const MAY_IMPORT: Record<Layer, readonly Layer[]> = {
  base: [],
  ir: ['base'],
  tensor: ['base', 'ir'], // Tensor handles and the ops that build nodes
  rules: ['base', 'ir', 'tensor'], // per-primitive JVP, VJP, Taylor rules: no runtime, scheduler or backend
  ad: ['base', 'ir', 'tensor', 'rules'],
  schedule: ['base', 'ir'],
  backend: ['base', 'ir', 'schedule'],
  runtime: ['base', 'ir', 'schedule', 'backend'],
  api: ['base', 'ir', 'tensor', 'rules', 'ad', 'schedule', 'backend', 'runtime'],
  library: ['base', 'ir', 'tensor', 'rules', 'ad', 'runtime', 'api'], // optim, nn: built on the public API
  entry: ['base', 'ir', 'tensor', 'rules', 'ad', 'schedule', 'backend', 'runtime', 'api', 'library'],
};

/** The layer of a file, by its path relative to the repository root. */
function layerOf(file: string): Layer {
  if (/^src\/(errors|dtype|random)\.ts$/.test(file)) return 'base';
  if (file.startsWith('src/ir/')) return 'ir';
  if (/^src\/(tensor|ops|creation)\.ts$/.test(file)) return 'tensor';
  if (file.startsWith('src/rules/')) return 'rules';
  if (file.startsWith('src/ad/')) return 'ad';
  if (file.startsWith('src/schedule/')) return 'schedule';
  // plugs the WebGPU backend into the runtime (init({ backend: 'webgpu' }) finds it through it)
  if (file === 'src/backend/webgpu/register.ts') return 'runtime';
  if (file.startsWith('src/backend/') || file.startsWith('kernels/') || file.startsWith('shaders/')) return 'backend';
  if (file === 'src/runtime.ts') return 'runtime';
  if (/^src\/(jit|evaluate)\.ts$/.test(file)) return 'api';
  if (file.startsWith('src/optim/') || file.startsWith('src/nn/')) return 'library';
  if (/^src\/(index|internal)\.ts$/.test(file)) return 'entry';
  throw new Error(`imports test: ${file} belongs to no layer; add it to layerOf()`);
}

/** Which backend a file implements (cpu, webgpu), or null for shared backend code. */
function backendOf(file: string): string | null {
  if (file.startsWith('kernels/') || file.startsWith('shaders/')) return 'webgpu';
  return /^src\/backend\/([^/]+)\//.exec(file)?.[1] ?? null;
}

/** Backend-to-backend imports that are known and scheduled for removal (one line each). */
const KNOWN_CROSS_BACKEND = new Set<string>([]);

function sourceFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir)) {
      const p = join(dir, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.ts') && !p.endsWith('.d.ts')) out.push(p);
    }
  };
  for (const d of ['src', 'kernels', 'shaders']) if (existsSync(join(ROOT, d))) walk(join(ROOT, d));
  return out.map((p) => relative(ROOT, p).split('\\').join('/'));
}

/** Relative imports of a file that exist at runtime (not `import type` / `export type`). */
export function runtimeImports(file: string, text: string): string[] {
  const specs: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\s+(?!type\b)[^'";]*?from\s+['"](\.[^'"]+)['"]/gm)) specs.push(m[1]!);
  for (const m of text.matchAll(/^\s*import\s+['"](\.[^'"]+)['"]/gm)) specs.push(m[1]!);
  for (const m of text.matchAll(/\bimport\(\s*['"](\.[^'"]+)['"]\s*\)/g)) specs.push(m[1]!);
  return specs.map((s) => join(dirname(file), s.replace(/\.js$/, '.ts')).split('\\').join('/')).filter((p) => p !== file);
}

function graph(): Map<string, string[]> {
  const g = new Map<string, string[]>();
  for (const f of sourceFiles())
    g.set(
      f,
      runtimeImports(f, readFileSync(join(ROOT, f), 'utf8')).filter((t) => existsSync(join(ROOT, t))),
    );
  return g;
}

/** Strongly connected components with more than one file, or a file importing itself through others. */
export function cycles(g: ReadonlyMap<string, readonly string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>(),
    low = new Map<string, number>(),
    onStack = new Set<string>(),
    stack: string[] = [];
  const out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of g.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const v of g.keys()) if (!index.has(v)) visit(v);
  return out;
}

describe('import structure', () => {
  const g = graph();

  it('finds the sources and their imports', () => {
    expect(g.size).toBeGreaterThan(40);
    expect(g.get('src/rules/jvp.ts')).toContain('src/rules/partials.ts');
    expect(runtimeImports('src/a.ts', "import type { X } from './x.js';\nimport { type Y, z } from './y.js';\nexport { w } from './w.js';")).toEqual([
      'src/y.ts',
      'src/w.ts',
    ]);
  });

  it('has no import cycle', () => {
    expect(cycles(g).map((c) => c.join(' <-> '))).toEqual([]);
  });

  it('the cycle finder finds a cycle', () => {
    expect(
      cycles(
        new Map([
          ['a', ['b']],
          ['b', ['c']],
          ['c', ['a']],
          ['d', ['a']],
        ]),
      ),
    ).toEqual([['a', 'b', 'c']]);
  });

  it('imports only go to the same layer or one below (errors/dtype < ir < tensor < rules < ad < api < library < entry; schedule < backend < runtime)', () => {
    const bad: string[] = [];
    for (const [from, tos] of g) {
      const lf = layerOf(from);
      for (const to of tos) {
        const lt = layerOf(to);
        if (lt !== lf && !MAY_IMPORT[lf].includes(lt)) bad.push(`${from} (${lf}) -> ${to} (${lt})`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('a backend does not import another backend', () => {
    const bad: string[] = [];
    for (const [from, tos] of g) {
      const bf = backendOf(from);
      for (const to of tos) {
        const bt = backendOf(to);
        if (bf && bt && bf !== bt && !KNOWN_CROSS_BACKEND.has(`${from} -> ${to}`)) bad.push(`${from} -> ${to}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('rules never load the runtime, the scheduler or a backend, even indirectly', () => {
    const reach = (f: string, seen = new Set<string>()): Set<string> => {
      for (const t of g.get(f) ?? []) if (!seen.has(t)) reach(t, seen.add(t));
      return seen;
    };
    for (const f of [...g.keys()].filter((k) => k.startsWith('src/rules/'))) {
      const loaded = [...reach(f)].filter((t) => ['runtime', 'schedule', 'backend'].includes(layerOf(t)));
      expect(loaded, f).toEqual([]);
    }
  });
});
