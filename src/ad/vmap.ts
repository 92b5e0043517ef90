// Batching: vmap(f, { inAxes, outAxes }) as a graph transformation. f is traced once on
// per-example stand-ins; the traced region is then rebuilt with every value that depends on a
// batched argument carrying the batch at axis 0 (the rules of src/rules/batch.ts), and shared
// values (inAxes null, closed-over tensors, constants) left as they are. The trace can be applied
// to several batches (the Jacobians apply it chunk by chunk) without tracing f again.

import type { DType } from '../dtype.js';
import { ShapeError, TransformError, fmtShape } from '../errors.js';
import * as B from '../ir/build.js';
import type { Node } from '../ir/node.js';
import { type BatchContext, batchRules, withBatch } from '../rules/batch.js';
import { Tensor } from '../tensor.js';
import { type TreeDef, flatten, unflatten } from './pytree.js';
import { dependentRegion, freshInput } from './region.js';
import * as ops from '../ops.js';
import { type Maybe, checkFn, describe, zerosOf } from './trace.js';

/** Shape and dtype of a per-example value (what a stand-in is made of). */
export interface Example {
  readonly shape: readonly number[];
  readonly dtype: DType;
}

/** True for `any` (keeps an untyped function's axes untyped). */
type IsAny<T> = 0 extends 1 & T ? true : false;

/**
 * Batch axes for a value of type `T`: one axis (or null: not batched) for the whole value, or a
 * tree of T's structure whose leaves are axes (a prefix: a subtree may be given one axis).
 */
export type AxisSpec<T> =
  | number
  | null
  | (IsAny<T> extends true
      ? any
      : T extends Tensor
        ? never
        : T extends readonly unknown[]
          ? { -readonly [K in keyof T]: AxisSpec<T[K]> }
          : T extends object
            ? { [K in keyof T]: AxisSpec<T[K]> }
            : never);

/** inAxes: one axis for every argument, or one AxisSpec per argument. */
export type InAxes<Args extends readonly unknown[]> = number | null | { -readonly [K in keyof Args]: AxisSpec<Args[K]> };

export interface VmapOptions<Args extends readonly unknown[] = any[], Out = any> {
  /** Where each argument carries the batch (default 0); null: shared by every example. */
  inAxes?: InAxes<Args>;
  /** Where each output gets the batch (default 0); null: an output that depends on no batched argument. */
  outAxes?: AxisSpec<Out>;
}

/** A per-example function traced once, applicable to batches of any size. */
export interface BatchTrace {
  readonly outDef: TreeDef;
  /** Outputs of one example (tensors of the trace; stand-ins in place of batched arguments). */
  readonly outLeaves: readonly Tensor[];
  /**
   * The outputs for a batch: `batches` holds one tensor per stand-in (per `Example` argument of
   * traceBatch, in order), each with the batch at axis 0. An output that depends on no batched
   * argument comes back unbatched (batched false).
   */
  apply(batches: readonly Tensor[]): { nodes: Node[]; batched: boolean[] };
}

/**
 * Traces `fn` once: each argument given as a Tensor is passed as it is (shared by every example),
 * each one given as an `Example` gets a stand-in of that shape and dtype (batched).
 */
export function traceBatch(what: string, args: readonly (Tensor | Example)[], fn: (xs: Tensor[]) => unknown): BatchTrace {
  const standIns: Tensor[] = [];
  const xs = args.map((a) => {
    if (a instanceof Tensor) return a;
    const s = freshInput(zerosOf(a.shape, a.dtype));
    standIns.push(s);
    return s;
  });
  const out = fn(xs);
  let flat: { leaves: Tensor[]; def: TreeDef };
  try {
    flat = flatten(out, what);
  } catch (e) {
    throw new TransformError(`${what}: the function must return a Tensor or nested arrays / plain objects of tensors (${(e as Error).message})`);
  }
  const region = dependentRegion(
    standIns.map((s) => s.node),
    flat.leaves.map((t) => t.node),
  );
  const apply = (batches: readonly Tensor[]): { nodes: Node[]; batched: boolean[] } => {
    const size = batches[0]?.shape[0] ?? 0;
    const ctx: BatchContext = { size, batchCall: (f, leaves, batched) => batchCall(what, size, f, leaves, batched) };
    const rebuilt = new Map<Node, Node>();
    standIns.forEach((s, i) => rebuilt.set(s.node, batches[i]!.node));
    for (const n of region) {
      if (rebuilt.has(n)) continue; // a stand-in
      const batched = n.inputs.map((m) => rebuilt.has(m));
      const ins = n.inputs.map((m) => rebuilt.get(m) ?? m);
      rebuilt.set(n, batchRules[n.op](n, ins, batched, ctx));
    }
    const nodes = flat.leaves.map((t) => rebuilt.get(t.node) ?? t.node);
    return { nodes, batched: flat.leaves.map((t) => rebuilt.has(t.node)) };
  };
  return { outDef: flat.def, outLeaves: flat.leaves, apply };
}

/** vmap over flat leaves with the batch (of `size`) at axis 0 where `batched`; outputs batched at axis 0. */
function batchCall(what: string, size: number, fn: (xs: Tensor[]) => Tensor[], leaves: readonly Tensor[], batched: readonly boolean[]): Tensor[] {
  const tr = traceBatch(
    what,
    leaves.map((t, i) => (batched[i] ? { shape: t.shape.slice(1), dtype: t.dtype } : t)),
    fn,
  );
  const res = tr.apply(leaves.filter((_, i) => batched[i]));
  return res.nodes.map((n, i) => new Tensor(withBatch(n, res.batched[i]!, size)));
}

/**
 * `fn` (from an n-vector to a list of tensors, null for a known zero) applied to `count` seed
 * vectors at once: traced once, then batched over the seeds, `chunk` of them at a time, where
 * `seeds(r0, r1)` builds rows r0..r1-1 ([r1 - r0, n]). Entry k of the result is
 * [count, ...shape of fn's output k], or null (a known zero). The Jacobians use it.
 */
export function overRows(
  what: string,
  n: number,
  dtype: DType,
  count: number,
  chunk: number,
  seeds: (r0: number, r1: number) => Tensor,
  fn: (e: Tensor) => Maybe[],
): Maybe[] {
  let present: boolean[] = [];
  const tr = traceBatch(what, [{ shape: [n], dtype }], ([e]) => {
    const res = fn(e!);
    present = res.map((t) => t !== null);
    return res.filter((t): t is Tensor => t !== null);
  });
  if (count === 0) return present.map(() => null);
  const parts: Tensor[][] = tr.outLeaves.map(() => []);
  for (let r0 = 0; r0 < count; r0 += chunk) {
    const r1 = Math.min(count, r0 + chunk);
    const res = tr.apply([seeds(r0, r1)]);
    res.nodes.forEach((node, k) => parts[k]!.push(new Tensor(withBatch(node, res.batched[k]!, r1 - r0))));
  }
  let k = 0;
  return present.map((p) => (p ? ops.concat(parts[k++]!, 0) : null));
}

/** An axis per leaf of the tree `def`, from a prefix spec; `path` names the tree's root. */
function axesOf(what: string, name: string, spec: unknown, def: TreeDef, path: string, out: { axis: number | null; path: string }[]): void {
  if (spec === null || typeof spec === 'number') {
    if (spec !== null && !Number.isInteger(spec)) throw new TransformError(`${what}: ${name} must hold integers or null, got ${spec} for ${path}`);
    const leaves = (d: TreeDef, p: string): void => {
      if (d.kind === 'leaf') out.push({ axis: spec, path: p });
      else if (d.kind === 'array') d.children.forEach((c, i) => leaves(c, `${p}[${i}]`));
      else d.children.forEach((c, i) => leaves(c, `${p}.${d.keys[i]}`));
    };
    leaves(def, path);
    return;
  }
  const kind = def.kind === 'leaf' ? 'a Tensor' : def.kind === 'array' ? `an array of ${def.children.length}` : `an object with keys {${def.keys.join(', ')}}`;
  const mismatch = (got: string): TransformError =>
    new TransformError(`${what}: ${name} gives ${got} for ${path}, which is ${kind}; give one axis (or null) for it, or a tree of its structure`);
  if (Array.isArray(spec)) {
    if (def.kind !== 'array' || def.children.length !== spec.length) throw mismatch(`an array of ${spec.length}`);
    def.children.forEach((c, i) => axesOf(what, name, spec[i], c, `${path}[${i}]`, out));
    return;
  }
  if (typeof spec === 'object' && Object.getPrototypeOf(spec) === Object.prototype) {
    const keys = Object.keys(spec).sort();
    if (def.kind !== 'object' || keys.join('\0') !== def.keys.join('\0')) throw mismatch(`an object with keys {${keys.join(', ')}}`);
    def.keys.forEach((k, i) => axesOf(what, name, (spec as Record<string, unknown>)[k], def.children[i]!, `${path}.${k}`, out));
    return;
  }
  throw new TransformError(`${what}: ${name} must be an integer, null, or an array / object of them matching ${path}, got ${describe(spec)}`);
}

/** `axis` of a value of rank `rank` (negative counts from the end), or a ShapeError naming it. */
function normBatchAxis(what: string, name: string, axis: number, rank: number, path: string, shape: readonly number[]): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) {
    throw new ShapeError(`${what}: ${name} ${axis} is out of range for ${path} of shape ${fmtShape(shape)} (axes -${rank}..${rank - 1})`);
  }
  return a;
}

/** Moves axis `from` of `x` to `to`. */
function moveAxis(x: Node, from: number, to: number): Node {
  const perm = x.shape.map((_, i) => i).filter((i) => i !== from);
  perm.splice(to, 0, from);
  return B.permuteNode(x, perm);
}

function vmapCall(f: (...args: any[]) => unknown, opts: VmapOptions | undefined, args: unknown[]): unknown {
  const what = 'vmap';
  const { leaves, def } = flatten(args, `${what} (arguments)`);
  const inAxes = opts?.inAxes === undefined ? 0 : opts.inAxes; // null: nothing batched
  if (Array.isArray(inAxes) && inAxes.length !== args.length) {
    throw new TransformError(
      `${what}: inAxes has ${inAxes.length} entries but the function was called with ${args.length} argument${args.length === 1 ? '' : 's'} (an array gives one entry per argument)`,
    );
  }
  const ins: { axis: number | null; path: string }[] = [];
  axesOf(what, 'inAxes', inAxes, def, 'arguments', ins);
  const sizes: string[] = [];
  let size = -1;
  let uneven = false;
  const examples = leaves.map((x, i) => {
    const { axis, path } = ins[i]!;
    if (axis === null) return x;
    const a = normBatchAxis(what, 'inAxes', axis, x.ndim, path, x.shape);
    const n = x.shape[a]!;
    sizes.push(`${path} has ${n} along axis ${a} (shape ${fmtShape(x.shape)})`);
    if (size >= 0 && n !== size) uneven = true;
    size = n;
    return { shape: x.shape.filter((_, j) => j !== a), dtype: x.dtype, axis: a, x };
  });
  if (uneven) throw new ShapeError(`${what}: the batch sizes of the arguments differ: ${sizes.join(', ')}`);
  if (size < 0) throw new TransformError(`${what}: no argument is batched (inAxes is null for every tensor); give at least one a batch axis`);
  const tr = traceBatch(what, examples, (xs) => f(...(unflatten(def, xs) as unknown[])));
  const batches = examples.flatMap((e) => (e instanceof Tensor ? [] : [new Tensor(moveAxis(e.x.node, e.axis, 0))]));
  const res = tr.apply(batches);
  const outs: { axis: number | null; path: string }[] = [];
  axesOf(what, 'outAxes', opts?.outAxes === undefined ? 0 : opts.outAxes, tr.outDef, 'output', outs);
  const results = res.nodes.map((n, i) => {
    const { axis, path } = outs[i]!;
    const shape = tr.outLeaves[i]!.shape;
    if (axis === null) {
      if (res.batched[i]) throw new TransformError(`${what}: outAxes is null for ${path}, but it depends on a batched argument; give it an axis`);
      return new Tensor(n);
    }
    const a = normBatchAxis(what, 'outAxes', axis, shape.length + 1, path, shape);
    return new Tensor(moveAxis(withBatch(n, res.batched[i]!, size), 0, a));
  });
  return unflatten(tr.outDef, results);
}

/**
 * Batching transformation: `vmap(f, { inAxes, outAxes })(...args)` is f applied to every example
 * of a batch, the results stacked, as one graph (no loop over the examples). `inAxes` (default 0)
 * says where each argument carries the batch: one integer (negative counts from the end) or null
 * (shared by every example) for all arguments, or an array with one entry per argument, each an
 * axis, null, or a tree of the argument's structure. `outAxes` (default 0) places the batch in
 * each output likewise. Nests with every transformation (vmap of grad, grad of vmap, vmap of vmap).
 */
export function vmap<F extends (...args: any[]) => unknown>(f: F, opts?: VmapOptions<Parameters<F>, ReturnType<F>>): (...args: Parameters<F>) => ReturnType<F>;
export function vmap(f: (...args: any[]) => unknown, opts?: VmapOptions): (...args: any[]) => any {
  checkFn('vmap', f);
  return (...args: unknown[]) => vmapCall(f, opts, args);
}
