// Shared machinery of the AD transformations: tracing a function on fresh inputs, the snapshot of
// its live region, the forward (tangent) and reverse (cotangent) walks over it, and the argument
// checks (argnums, pytree structure, shapes, dtypes) every public transformation uses.

import { DTypeError, ShapeError, TransformError, ArgumentError, fmtShape } from '../errors.js';
import type { DType } from '../dtype.js';
import { broadcastNode, scalarNode } from '../ir/build.js';
import type { Node } from '../ir/node.js';
import { jvpRules } from '../rules/jvp.js';
import { vjpRules } from '../rules/vjp.js';
import * as ops from '../ops.js';
import { Tensor } from '../tensor.js';
import { type Tree, type TreeDef, flatten, unflatten } from './pytree.js';
import { dependentRegion, freshInput } from './region.js';

/** A tangent or cotangent: null means a known zero, never materialized. */
export type Maybe = Tensor | null;

/**
 * A traced call of a user function: its fresh inputs, its outputs, and the live region between
 * them with every node's inputs snapshotted (the runtime drops `inputs` of realized nodes).
 */
export interface Trace {
  /** Fresh inputs, one per differentiated leaf, in flattening order. */
  readonly inputs: readonly Tensor[];
  /** The function's result, as returned (with fresh inputs in place of the primals). */
  readonly out: unknown;
  readonly outLeaves: readonly Tensor[];
  readonly outDef: TreeDef;
  /** Live nodes depending on the inputs, in topological order (inputs first). */
  readonly region: readonly Node[];
  /** Snapshot of each region node's inputs. */
  readonly inputsOf: ReadonlyMap<Node, readonly Node[]>;
  readonly inputSet: ReadonlySet<Node>;
  readonly regionSet: ReadonlySet<Node>;
}

/**
 * The inputs through which derivatives flow: all of them, except for a `custom` node, whose
 * last input (the implementation) is not differentiated — its rules say how its primals act.
 */
export function diffInputs(n: Node, inputs: readonly Node[]): readonly Node[] {
  return n.op === 'custom' ? inputs.slice(0, -1) : inputs;
}

/** Traces `fn` on fresh aliases of `leaves` (the region is taken at once, then snapshotted). */
export function traceLeaves(what: string, leaves: readonly Tensor[], fn: (fresh: Tensor[]) => unknown): Trace {
  const inputs = leaves.map((t) => freshInput(t));
  const out = fn(inputs);
  let flat: { leaves: Tensor[]; def: TreeDef };
  try {
    flat = flatten(out, what);
  } catch (e) {
    if (e instanceof ArgumentError) {
      throw new TransformError(`${what}: the function must return a Tensor or nested arrays / plain objects of tensors (${e.message})`);
    }
    throw e;
  }
  const inputSet = new Set(inputs.map((t) => t.node));
  const dependent = dependentRegion(
    [...inputSet],
    flat.leaves.map((t) => t.node),
  );
  // Keep only nodes an output depends on through differentiable edges (not through the
  // implementation of a custom node, e.g. stopGradient's argument).
  const live = new Set(flat.leaves.map((t) => t.node));
  const inputsOf = new Map<Node, readonly Node[]>();
  for (let k = dependent.length - 1; k >= 0; k--) {
    const n = dependent[k]!;
    if (!live.has(n)) continue;
    const ins = inputSet.has(n) ? [] : n.inputs;
    inputsOf.set(n, ins);
    for (const m of diffInputs(n, ins)) live.add(m);
  }
  const region = dependent.filter((n) => inputsOf.has(n));
  return { inputs, out, outLeaves: flat.leaves, outDef: flat.def, region, inputsOf, inputSet, regionSet: new Set(region) };
}

/** Tangents of the outputs given tangents of the inputs (forward walk, JVP rules). */
export function pushForward(tr: Trace, seeds: readonly Maybe[]): Maybe[] {
  const tan = new Map<Node, Maybe>();
  tr.inputs.forEach((x, i) => tan.set(x.node, seeds[i] ?? null)); // fresh nodes are distinct
  for (const n of tr.region) {
    if (tr.inputSet.has(n)) continue;
    const ins = tr.inputsOf.get(n)!;
    const ts = diffInputs(n, ins).map((m) => tan.get(m) ?? null);
    if (ts.every((t) => t === null)) continue; // known zero: no rule, no nodes
    tan.set(n, jvpRules[n.op](n, ins, ts));
  }
  return tr.outLeaves.map((o) => tan.get(o.node) ?? null);
}

/** Cotangents of the inputs given cotangents of the outputs (reverse walk, VJP rules). */
export function pullBack(tr: Trace, cts: readonly Maybe[]): Maybe[] {
  const ct = new Map<Node, Tensor>();
  const acc = (n: Node, c: Maybe): void => {
    if (c === null) return;
    const prev = ct.get(n);
    ct.set(n, prev ? ops.add(prev, c) : c);
  };
  tr.outLeaves.forEach((o, i) => {
    if (tr.regionSet.has(o.node)) acc(o.node, cts[i] ?? null);
  });
  for (let k = tr.region.length - 1; k >= 0; k--) {
    const n = tr.region[k]!;
    if (tr.inputSet.has(n)) continue;
    const g = ct.get(n);
    if (!g) continue; // known zero
    ct.delete(n);
    const ins = tr.inputsOf.get(n)!;
    const diff = diffInputs(n, ins);
    const needed = diff.map((m) => tr.regionSet.has(m));
    if (!needed.some(Boolean)) continue;
    const res = vjpRules[n.op](n, ins, g, needed, transposeLinear);
    diff.forEach((m, j) => {
      if (needed[j]) acc(m, res[j] ?? null);
    });
  }
  // the same fresh node never appears twice among inputs, so each gets its own cotangent
  return tr.inputs.map((x) => ct.get(x.node) ?? null);
}

/**
 * Transposes a function linear in `shapes`-shaped arguments: returns ct ↦ (its VJP at zero).
 * Used to run a custom JVP rule backwards. Arguments not `needed` get null (known zero).
 */
export function transposeLinear(fn: (args: Maybe[]) => Maybe, like: readonly Tensor[], needed: readonly boolean[], ct: Tensor): Maybe[] {
  const placeholders = like.filter((_, i) => needed[i]).map((t) => zerosOf(t.shape, t.dtype));
  const tr = traceLeaves('customJvp (transposed)', placeholders, (fresh) => {
    let j = 0;
    return fn(like.map((_, i) => (needed[i] ? fresh[j++]! : null))) ?? [];
  });
  if (tr.outLeaves.length === 0) return like.map(() => null);
  const res = pullBack(tr, [ct]);
  let j = 0;
  return like.map((_, i) => (needed[i] ? res[j++]! : null));
}

/** A lazy zero tensor: a broadcast scalar (two small nodes, no full-size constant). */
export function zerosOf(shape: readonly number[], dtype: DType): Tensor {
  return new Tensor(broadcastNode(scalarNode(0, dtype), shape.slice()));
}

/** `t`, or zeros of the given shape and dtype for a known zero (used at API boundaries only). */
export function orZeros(t: Maybe, like: Tensor): Tensor {
  return t ?? zerosOf(like.shape, like.dtype);
}

// ----- arguments -----

export function checkFn(what: string, f: unknown): void {
  if (typeof f !== 'function') throw new TransformError(`${what}: expected a function, got ${f === null ? 'null' : typeof f}`);
}

/** Normalized argnums (sorted as given; negative counts from the end). */
export function normArgnums(what: string, argnums: unknown, nargs: number): number[] {
  const list = typeof argnums === 'number' ? [argnums] : argnums;
  if (!Array.isArray(list) || list.length === 0) {
    throw new TransformError(`${what}: argnums must be an integer or a non-empty array of integers, got ${String(argnums)}`);
  }
  const out = list.map((a: unknown) => {
    if (typeof a !== 'number' || !Number.isInteger(a)) throw new TransformError(`${what}: argnums must hold integers, got ${String(a)}`);
    if (a >= nargs || a < -nargs) {
      throw new TransformError(`${what}: argnums ${a} is out of range for a function called with ${nargs} argument${nargs === 1 ? '' : 's'}`);
    }
    return a < 0 ? a + nargs : a;
  });
  if (new Set(out).size !== out.length) throw new TransformError(`${what}: argnums [${list.join(', ')}] repeats an argument`);
  return out;
}

/** Flattened leaves of the selected arguments, and how to rebuild the argument list. */
export function selectArgs(what: string, args: readonly unknown[], argnums: readonly number[]) {
  const flats = argnums.map((a) => flatten(args[a], `${what} (argument ${a})`));
  const leaves = flats.flatMap((f) => f.leaves);
  const rebuild = (fresh: readonly Tensor[]): unknown[] => {
    const out = args.slice();
    let k = 0;
    argnums.forEach((a, j) => {
      const n = flats[j]!.leaves.length;
      out[a] = unflatten(flats[j]!.def, fresh.slice(k, k + n));
      k += n;
    });
    return out;
  };
  /** Splits per-leaf values back into one tree per selected argument. */
  const split = <T>(vals: readonly T[]): Tree<T>[] => {
    let k = 0;
    return flats.map((f) => {
      const n = f.leaves.length;
      const t = unflatten<T>(f.def, vals.slice(k, k + n));
      k += n;
      return t;
    });
  };
  return { leaves, rebuild, split, defs: flats.map((f) => f.def) };
}

/**
 * Leaves of `tree`, which must have the structure `def` (null allowed at leaves: a known zero).
 * `root` names the tree in messages, `what` the transformation, `like` the tree it must match.
 */
export function flattenLike(what: string, root: string, tree: unknown, def: TreeDef, like = 'its primal'): { leaves: Maybe[]; paths: string[] } {
  const leaves: Maybe[] = [];
  const paths: string[] = [];
  const walk = (x: unknown, d: TreeDef, path: string): void => {
    if (d.kind === 'leaf') {
      if (x !== null && !(x instanceof Tensor)) throw new TransformError(`${what}: ${path} must be a Tensor (or null for zero), got ${describe(x)}`);
      leaves.push(x as Maybe);
      paths.push(path);
      return;
    }
    if (d.kind === 'array') {
      if (!Array.isArray(x) || x.length !== d.children.length) {
        throw new TransformError(`${what}: ${path} must be an array of ${d.children.length} entries like ${like}, got ${describe(x)}`);
      }
      d.children.forEach((c, i) => walk(x[i], c, `${path}[${i}]`));
      return;
    }
    const isObj = typeof x === 'object' && x !== null && !Array.isArray(x) && !(x instanceof Tensor);
    const keys = isObj ? Object.keys(x as object).sort() : [];
    if (!isObj || keys.join('\0') !== d.keys.join('\0')) {
      throw new TransformError(
        `${what}: ${path} must be an object with keys {${d.keys.join(', ')}} like ${like}, got ${isObj ? `{${keys.join(', ')}}` : describe(x)}`,
      );
    }
    d.keys.forEach((k, i) => walk((x as Record<string, unknown>)[k], d.children[i]!, `${path}.${k}`));
  };
  walk(tree, def, root);
  return { leaves, paths };
}

/** Checks that `t` has the shape and dtype of `like`. */
export function checkLike(what: string, kind: string, path: string, t: Tensor, like: Tensor, likeKind: string): void {
  if (t.node.disposed) throw new ArgumentError(`${what}: ${path} was disposed`);
  if (t.shape.length !== like.shape.length || t.shape.some((d, i) => d !== like.shape[i])) {
    throw new ShapeError(`${what}: ${kind} ${path} has shape ${fmtShape(t.shape)} but its ${likeKind} has shape ${fmtShape(like.shape)}`);
  }
  if (t.dtype !== like.dtype) {
    throw new DTypeError(`${what}: ${kind} ${path} has dtype ${t.dtype} but its ${likeKind} has dtype ${like.dtype}`);
  }
}

export function describe(x: unknown): string {
  if (x === null) return 'null';
  if (x === undefined) return 'undefined';
  if (x instanceof Tensor) return `a Tensor of shape ${fmtShape(x.shape)}`;
  if (Array.isArray(x)) return `an array of ${x.length}`;
  if (typeof x === 'object') return (x as object).constructor?.name ?? 'object';
  return `${typeof x} ${String(x)}`;
}
