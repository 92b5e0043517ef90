// The fuzzer's vmap check: a batch of two examples of a graph (its own inputs, and a second set
// the graph stays valid at), every other input shared (inAxes null), through vmap of the forward
// function, of its gradient and of its jet's top coefficient. The float64 engine's batched results
// are checked against the interpreter (forward) and against the same transformations run on each
// example without vmap; the float32 backends against the float64 engine's batched results.

import { type Tensor, grad, jet, stack, vmap } from '../../src/index.js';
import { type Graph, inputIds, validGraph } from './graph.js';

/** Does vmap batch input i (inAxes 0)? The others are shared by both examples (inAxes null). */
export const batchedInput = (i: number): boolean => i % 2 === 0;

/** Other values for a batched input's data, tried in turn (kept in float32). */
const ALTERNATIVES: ((x: number, j: number, data: readonly number[]) => number)[] = [
  (x) => -x,
  (_x, j, d) => d[d.length - 1 - j]!,
  (x) => 0.5 * x + 0.25,
  (x) => 1.25 * x - 0.125,
];

/**
 * The second example: `g` with every batched input's data replaced by other values (the first of
 * ALTERNATIVES at which the graph stays finite, bounded and a margin away from its kinks, so
 * float32 and float64 take the same branches), or null where none is valid.
 */
export function secondExample(g: Graph): Graph | null {
  const ids = inputIds(g);
  for (const alt of ALTERNATIVES) {
    const nodes = g.nodes.map((n, at) => {
      const i = ids.indexOf(at);
      if (n.k !== 'in' || !batchedInput(i)) return n;
      return { ...n, data: n.data.map((x, j) => Math.fround(alt(x, j, n.data))) };
    });
    const g2 = { nodes, dseed: g.dseed };
    if (validGraph(g2)) return g2;
  }
  return null;
}

/** The results the check compares: the forward value, one gradient per input and the jet's top coefficient, each [2, ...]. */
export interface Batched {
  fwd: Float64Array;
  vjp: Float64Array[];
  top: Float64Array;
}

const f64 = (a: ArrayLike<number>): Float64Array => Float64Array.from(a);

/**
 * vmap of f, of the gradient of sum(W * f) and of jet(f, ·, series)'s top coefficient, over the
 * two examples `xs` and `xs2` (inputs that are not batched are taken from `xs`).
 */
export async function runBatched(f: (...xs: Tensor[]) => Tensor, xs: Tensor[], xs2: Tensor[], W: Tensor, series: Tensor[][]): Promise<Batched> {
  const inAxes = xs.map((_, i) => (batchedInput(i) ? 0 : null));
  const X = xs.map((x, i) => (batchedInput(i) ? stack([x, xs2[i]!]) : x));
  const fwd = f64(await vmap(f, { inAxes })(...X).data());
  const argnums = xs.map((_, i) => i);
  const g = grad(
    (...a: Tensor[]) =>
      f(...a)
        .mul(W)
        .sum(),
    { argnums },
  );
  const vjp: Float64Array[] = [];
  for (const t of vmap(g, { inAxes })(...X) as Tensor[]) vjp.push(f64(await t.data()));
  const top = (...a: Tensor[]): Tensor => jet(f, a, series)[1].at(-1)!;
  return { fwd, vjp, top: f64(await vmap(top, { inAxes })(...X).data()) };
}

/** The two examples' results, one after the other (what the batched results must be). */
export function concatenated(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
