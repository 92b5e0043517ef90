// A fuzz graph as a wgad function (public API only), and as JS source for reproducers.

import * as W from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { type GNode, type Graph, Rng, inputIds } from './graph.js';

/** Relative rounding noise on every op's output (runner.ts's conditioning estimate). */
export interface OpNoise {
  readonly seed: number;
  /** Each element of an op's output is multiplied by 1 + u·rel, u uniform in [-1, 1]. */
  readonly rel: number;
}

/**
 * f(...inputs) for a graph: inputs in node order, output = last node. With `noise`, every op's
 * output is multiplied by a fixed factor per element (the same at every call, so forward, jvp,
 * vjp and jet of one function see one perturbed graph), as float32 rounding perturbs each op; a
 * sum of L terms (a reduction, a matmul over K = L) rounds L times in sequence, and is perturbed
 * √L times as much (the typical size of L roundings: a float32 mean over 4096 elements is off by
 * ~140 ulps, fuzz --large seed 6, graph #93).
 */
export function buildFn(g: Graph, noise?: OpNoise): (...xs: Tensor[]) => Tensor {
  const rng = noise ? new Rng(noise.seed) : null;
  const factors = new Map<number, Tensor>();
  const perturbed = (i: number, t: Tensor, terms: number): Tensor => {
    if (!rng) return t;
    let z = factors.get(i);
    if (!z) {
      const n = t.shape.reduce((a, b) => a * b, 1);
      const rel = noise!.rel * Math.sqrt(terms);
      z = W.tensor(
        Float64Array.from({ length: n }, () => 1 + rel * rng.uniform(-1, 1)),
        { shape: t.shape, dtype: t.dtype },
      );
      factors.set(i, z);
    }
    return t.mul(z);
  };
  return (...xs: Tensor[]): Tensor => {
    const env: Tensor[] = [];
    let nextIn = 0;
    // a `safe` node's inner a·a + c is an op of its own, rounded before the log / sqrt / pow (where
    // log(1 + tiny) loses its digits; fuzz seed 130, graph #103): perturbed too, under key −1 − i
    const inner = (i: number) => (u: Tensor) => perturbed(-1 - i, u, 1);
    g.nodes.forEach((n, i) => env.push(n.k === 'in' ? xs[nextIn++]! : perturbed(i, applyNode(n, env, inner(i)), summedTerms(n, env))));
    return env[env.length - 1]!;
  };
}

/** The gradient of sum(W * f) with respect to each of f's `n` arguments: what the fuzzer's vjp checks read. */
export function weightedGrad(f: (...xs: Tensor[]) => Tensor, n: number, weights: Tensor): (...xs: Tensor[]) => Tensor[] {
  const g = W.grad(
    (...a: Tensor[]) =>
      f(...a)
        .mul(weights)
        .sum(),
    { argnums: Array.from({ length: n }, (_, i) => i) },
  );
  return (...xs) => g(...xs) as Tensor[];
}

/** Tensors read back as float64 arrays, one after the other. */
export async function readAll(ts: readonly Tensor[]): Promise<Float64Array[]> {
  const out: Float64Array[] = [];
  for (const t of ts) out.push(Float64Array.from(await t.data()));
  return out;
}

/** How many terms each element of op `n`'s output sums (1 for an op that is no sum). */
function summedTerms(n: Exclude<GNode, { k: 'in' }>, v: readonly Tensor[]): number {
  if (n.k === 'matmul') return v[n.a]!.shape.at(-1) ?? 1;
  if (n.k === 'red' && n.fn !== 'max' && n.fn !== 'min') return n.axes.reduce((s, ax) => s * v[n.a]!.shape[ax]!, 1);
  return 1;
}

/** Op `n` over the values `v` (`inner`: applied to a composite node's intermediate, the conditioning estimate's perturbation). */
function applyNode(n: Exclude<GNode, { k: 'in' }>, v: Tensor[], inner: (t: Tensor) => Tensor = (t) => t): Tensor {
  const a = (): Tensor => v[(n as { a: number }).a]!;
  switch (n.k) {
    case 'un':
      return (a() as unknown as Record<string, () => Tensor>)[n.fn]!.call(a());
    case 'safe': {
      const u = inner(a().mul(a()).add(n.c));
      return n.fn === 'log' ? u.log() : n.fn === 'sqrt' ? u.sqrt() : u.pow(n.p);
    }
    case 'powi':
      return a().pow(n.p);
    case 'bin':
      return (W as unknown as Record<string, (x: Tensor, y: Tensor) => Tensor>)[n.fn]!(a(), v[n.b]!);
    case 'div':
      return a().div(v[n.b]!.mul(v[n.b]!).add(n.c));
    case 'num': {
      const f = (W as unknown as Record<string, (x: Tensor | number, y: Tensor | number) => Tensor>)[n.fn]!;
      return n.left ? f(n.c, a()) : f(a(), n.c);
    }
    case 'cmp':
      return (W as unknown as Record<string, (x: Tensor, y: Tensor) => Tensor>)[n.fn]!(a(), v[n.b]!);
    case 'where':
      return W.where((W as unknown as Record<string, (x: Tensor, y: Tensor) => Tensor>)[n.fn]!(a(), v[n.b]!), v[n.x]!, v[n.y]!);
    case 'red':
      return (a() as unknown as Record<string, (ax: number[], k: boolean) => Tensor>)[n.fn]!.call(a(), n.axes, n.keep);
    case 'matmul':
      return W.matmul(a(), v[n.b]!);
    case 'reshape':
      return a().reshape(n.shape);
    case 'permute':
      return a().permute(n.perm);
    case 'transpose':
      return a().transpose();
    case 'bcast':
      return a().broadcastTo(n.shape);
    case 'expand':
      return a().expandDims(n.axis);
    case 'squeeze':
      return a().squeeze(n.axis);
    case 'slice':
      return a().slice(n.starts, n.ends, n.steps);
    case 'pad':
      return a().pad(n.pads);
    case 'concat':
      return W.concat(
        n.xs.map((r) => v[r]!),
        n.axis,
      );
    case 'stack':
      return W.stack(
        n.xs.map((r) => v[r]!),
        n.axis,
      );
    case 'astype':
      return a().astype('float32').astype(a().dtype);
    case 'stopgrad':
      return W.stopGradient(a());
  }
}

// ----- JS source -----

const J = (x: unknown): string => JSON.stringify(x);

function nodeSrc(n: Exclude<GNode, { k: 'in' }>, name: (r: number) => string): string {
  const a = (): string => name((n as { a: number }).a);
  switch (n.k) {
    case 'un':
      return `${a()}.${n.fn}()`;
    case 'safe':
      return `${a()}.mul(${a()}).add(${n.c})${n.fn === 'pow' ? `.pow(${n.p})` : `.${n.fn}()`}`;
    case 'powi':
      return `${a()}.pow(${n.p})`;
    case 'bin':
      return `${n.fn}(${a()}, ${name(n.b)})`;
    case 'div':
      return `${a()}.div(${name(n.b)}.mul(${name(n.b)}).add(${n.c}))`;
    case 'num':
      return n.left ? `${n.fn}(${n.c}, ${a()})` : `${n.fn}(${a()}, ${n.c})`;
    case 'cmp':
      return `${n.fn}(${a()}, ${name(n.b)})`;
    case 'where':
      return `where(${n.fn}(${a()}, ${name(n.b)}), ${name(n.x)}, ${name(n.y)})`;
    case 'red':
      return `${a()}.${n.fn}(${J(n.axes)}, ${n.keep})`;
    case 'matmul':
      return `matmul(${a()}, ${name(n.b)})`;
    case 'reshape':
      return `${a()}.reshape(${J(n.shape)})`;
    case 'permute':
      return `${a()}.permute(${J(n.perm)})`;
    case 'transpose':
      return `${a()}.transpose()`;
    case 'bcast':
      return `${a()}.broadcastTo(${J(n.shape)})`;
    case 'expand':
      return `${a()}.expandDims(${n.axis})`;
    case 'squeeze':
      return `${a()}.squeeze(${n.axis})`;
    case 'slice':
      return `${a()}.slice(${J(n.starts)}, ${J(n.ends)}, ${J(n.steps)})`;
    case 'pad':
      return `${a()}.pad(${J(n.pads)})`;
    case 'concat':
      return `concat([${n.xs.map(name).join(', ')}], ${n.axis})`;
    case 'stack':
      return `stack([${n.xs.map(name).join(', ')}], ${n.axis})`;
    case 'astype':
      return `${a()}.astype('float32').astype(${a()}.dtype)`;
    case 'stopgrad':
      return `stopGradient(${a()})`;
  }
}

/** `const f = (x0, x1) => { ... }` for a graph, named `fname`. */
export function fnSource(g: Graph, fname = 'f'): string {
  const ins = inputIds(g);
  const name = (r: number): string => (g.nodes[r]!.k === 'in' ? `x${ins.indexOf(r)}` : `v${r}`);
  const body: string[] = [];
  g.nodes.forEach((n, i) => {
    if (n.k !== 'in') body.push(`  const v${i} = ${nodeSrc(n, name)};`);
  });
  const last = g.nodes.length - 1;
  return `const ${fname} = (${ins.map((_, j) => `x${j}`).join(', ')}) => {\n${body.join('\n')}\n  return ${name(last)};\n};`;
}

/** Source creating a list of arrays as tensors: `const name = [tensor(...), ...];`. */
export function tensorsSource(name: string, arrs: { shape: number[]; data: ArrayLike<number> }[], dtype: string): string {
  const items = arrs.map((t) => `tensor(${J(Array.from(t.data))}, { shape: ${J(t.shape)}, dtype: '${dtype}' })`);
  return `const ${name} = [\n  ${items.join(',\n  ')},\n];`;
}
