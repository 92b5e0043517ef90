// linearize(f, ...primals) -> [out, jvpFn]: f is traced once and its tangent graph built once, on
// stand-in tangents; jvpFn(...tangents) re-applies that linear graph to new tangents (a copy of
// its nodes with the stand-ins replaced), without tracing f or walking the JVP rules again.
// linearTranspose(fn, ...primals): the transpose of a linear function, by reverse mode.

import { TransformError } from '../errors.js';
import { cloneWithInputs } from '../ir/build.js';
import type { Node } from '../ir/node.js';
import { Tensor } from '../tensor.js';
import { unflatten } from './pytree.js';
import { dependentRegion, freshInput } from './region.js';
import { checkFn, checkLike, flattenLike, orZeros, pushForward, selectArgs, traceLeaves, zerosOf } from './trace.js';
import type { Mutable, Zeroable } from './types.js';
import { type Pullback, vjp } from './vjp.js';

/** The linear map of `linearize`: tangents shaped like f's arguments (null leaves: zero) -> J·tangents. */
export type LinearFn<Args extends readonly unknown[] = any[], Out = unknown> = (...tangents: Zeroable<Args>) => Out;

/**
 * Linearizes `f` at `primals`: returns `[f(...primals), jvpFn]` where `jvpFn(...tangents)` is
 * J·tangents (tangents shaped like the arguments; a null leaf is zero), as `jvp` gives it. The
 * linear graph is built once here; each jvpFn call copies it onto its tangents, so f is traced
 * once however many times jvpFn is applied (and jvpFn nests: vmap(jvpFn), linearTranspose(jvpFn)).
 */
export function linearize<F extends (...args: any[]) => unknown>(f: F, ...primals: Parameters<F>): [ReturnType<F>, LinearFn<Parameters<F>, ReturnType<F>>];
export function linearize(f: (...args: any[]) => unknown, ...primals: unknown[]): [any, LinearFn] {
  checkFn('linearize', f);
  const what = 'linearize';
  const sel = selectArgs(
    what,
    primals,
    primals.map((_, i) => i),
  );
  const tr = traceLeaves(what, sel.leaves, (fresh) => f(...sel.rebuild(fresh)));
  const standIns = sel.leaves.map((x) => freshInput(zerosOf(x.shape, x.dtype)));
  const outT = pushForward(tr, standIns);
  const region = dependentRegion(
    standIns.map((s) => s.node),
    outT.flatMap((t) => (t ? [t.node] : [])),
  );
  const jvpFn: LinearFn = (...tangents) => {
    if (tangents.length !== primals.length) {
      throw new TransformError(`${what}: the linear map takes ${primals.length} tangent argument(s), one per primal, got ${tangents.length}`);
    }
    const given = flattenLike(`${what} (jvpFn)`, 'tangents', tangents, { kind: 'array', children: sel.defs });
    const copies = new Map<Node, Node>();
    given.leaves.forEach((t, i) => {
      const x = sel.leaves[i]!;
      if (t) checkLike(`${what} (jvpFn)`, 'tangent', given.paths[i]!, t, x, 'primal');
      copies.set(standIns[i]!.node, (t ?? zerosOf(x.shape, x.dtype)).node);
    });
    for (const n of region) {
      if (copies.has(n)) continue;
      copies.set(
        n,
        cloneWithInputs(
          n,
          n.inputs.map((m) => copies.get(m) ?? m),
        ),
      );
    }
    const outs = outT.map((t, i) => (t ? new Tensor(copies.get(t.node)!) : orZeros(null, tr.outLeaves[i]!)));
    return unflatten(tr.outDef, outs);
  };
  return [tr.out, jvpFn];
}

/**
 * The transpose of a linear function `fn` (e.g. the jvpFn of linearize): returns
 * `ct => [cotangent of argument 0, ...]`, each with its argument's structure, built by reverse
 * mode. `primals` give the arguments' structure, shapes and dtypes only (their values are not
 * used). `fn` must be linear; the transpose of a non-linear function is its VJP at zero.
 */
export function linearTranspose<Args extends readonly unknown[], Out>(fn: (...args: NoInfer<Args>) => Out, ...primals: Args): Pullback<Out, Args>;
export function linearTranspose(fn: (...args: any[]) => unknown, ...primals: unknown[]): Pullback {
  checkFn('linearTranspose', fn);
  const sel = selectArgs(
    'linearTranspose',
    primals,
    primals.map((_, i) => i),
  );
  const zeros = sel.rebuild(sel.leaves.map((x) => zerosOf(x.shape, x.dtype)));
  return vjp(fn, ...zeros)[1] as Pullback<unknown, Mutable<unknown[]>>;
}
