// The fuzzer's checks over a second example of a graph (its inputs negated, reversed or rescaled
// where the graph stays valid): vmap over both examples (every other input shared, inAxes null)
// of the forward function, of its gradient and of its jet's top coefficient; and jit of the
// forward function and gradient, traced at the first example and replayed at the second. The
// float64 engine's results are checked against the interpreter (forward) and against the same
// transformations run on each example without vmap or jit; the float32 backends against the
// float64 engine's.

import { type Tensor, jet, jit, stack, vmap } from '../../src/index.js';
import { readAll, weightedGrad } from './build.js';
import { type Graph, validGraph, withInputData } from './graph.js';

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
  let found = secondExamples.get(g);
  if (found === undefined) {
    found = null;
    for (const alt of ALTERNATIVES) {
      const g2 = withInputData(g, (i, data) => (batchedInput(i) ? data.map((x, j) => Math.fround(alt(x, j, data))) : data.slice()));
      if (validGraph(g2)) {
        found = g2;
        break;
      }
    }
    secondExamples.set(g, found);
  }
  return found;
}
/** secondExample's answers: the run, the comparison, the checks and the reproducer all ask for the same graph's. */
const secondExamples = new WeakMap<Graph, Graph | null>();

/** The results the checks compare. */
export interface Batched {
  /** vmap: the forward value, one gradient per input and the jet's top coefficient, each [2, ...]. */
  fwd: Float64Array;
  vjp: Float64Array[];
  top: Float64Array;
  /** jit, replayed at the second example: the forward value and one gradient per input. */
  jitFwd: Float64Array;
  jitVjp: Float64Array[];
  /** Replays of the jitted function's two calls (1: the second call replayed the first's plan). */
  jitReplays: number;
}

const f64 = (a: ArrayLike<number>): Float64Array => Float64Array.from(a);

/**
 * vmap of f, of the gradient of sum(W * f) and of jet(f, ·, series)'s top coefficient, over the
 * two examples `xs` and `xs2` (inputs that are not batched are taken from `xs`); jit of f and the
 * gradient, called at `xs`, then at the second example.
 */
export async function runBatched(f: (...xs: Tensor[]) => Tensor, xs: Tensor[], xs2: Tensor[], W: Tensor, series: Tensor[][]): Promise<Batched> {
  const inAxes = xs.map((_, i) => (batchedInput(i) ? 0 : null));
  const X = xs.map((x, i) => (batchedInput(i) ? stack([x, xs2[i]!]) : x));
  const fwd = f64(await vmap(f, { inAxes })(...X).data());
  const g = weightedGrad(f, xs.length, W);
  const vjp = await readAll(vmap(g, { inAxes })(...X));
  const top = (...a: Tensor[]): Tensor => jet(f, a, series)[1].at(-1)!;
  const topOut = f64(await vmap(top, { inAxes })(...X).data());
  const jf = jit((...a: Tensor[]): Tensor[] => [f(...a), ...g(...a)]);
  for (const t of jf(...xs)) await t.data();
  const [jitOut, ...jitGrads] = jf(...xs.map((x, i) => (batchedInput(i) ? xs2[i]! : x)));
  const jitVjp = await readAll(jitGrads);
  return { fwd, vjp, top: topOut, jitFwd: f64(await jitOut!.data()), jitVjp, jitReplays: jf.stats.replays };
}

/** The two examples' results, one after the other (what the batched results must be). */
export function concatenated(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
