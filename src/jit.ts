// jit(f): trace once per input signature (shapes, dtypes, structure, static numbers, argument
// aliasing, active backend), keep the scheduler's kernel plan, and replay it on later calls with
// the new input buffers: no tracing, no scheduling, no pipeline creation (the backend's pipeline
// cache hits), and buffers come from the backend's pool. Values f captures from its enclosing scope
// (tensors not passed as arguments) are baked in at trace time, as in JAX.
//
// Inside a transformation (grad(jit(f)), jvp(jit(f)), ...) the arguments are symbolic, so jit calls
// f directly and the transformation sees f's graph.
//
// Numbers: a number argument is static by default (its value is part of the cache key: f may use
// it for shapes, exponents or control flow). `jit(f, { dynamic: [i] })` makes argument i dynamic:
// a number there is handed to f as a 0-d tensor (of the tensor arguments' dtype), so a changing
// learning rate or step count replays the plan instead of retracing. The compiler accepts an
// index only when f's parameter there takes both a number and a Tensor (TensorLike).

import { type TreeDef, flatten, unflatten } from './ad/pytree.js';
import type { Backend } from './backend/backend.js';
import { ArgumentError } from './errors.js';
import { scalarNode } from './ir/build.js';
import { Node, type RealizedBuffer } from './ir/node.js';
import { backend, realize } from './runtime.js';
import type { Plan } from './schedule/kernel.js';
import { schedule } from './schedule/scheduler.js';
import { Tensor } from './tensor.js';

type Out = { kind: 'slot'; slot: number; shape: readonly number[]; dtype: Node['dtype'] } | { kind: 'arg'; index: number } | { kind: 'fixed'; tensor: Tensor };

interface Entry {
  /** The plan, its argument slots stripped of the first call's nodes (so those can be collected). */
  readonly plan: Plan;
  /** Plan input slot -> index of the argument leaf it reads. */
  readonly argSlots: ReadonlyMap<number, number>;
  /** Plan input slot -> the captured tensor's node or constant it reads (baked in). */
  readonly baked: ReadonlyMap<number, Node>;
  readonly outs: readonly Out[];
  readonly def: TreeDef;
}

/** The indices of the parameters of `A` that accept both a number and a Tensor (e.g. `TensorLike`). */
export type DynamicIndex<A extends readonly unknown[]> = {
  [K in keyof A]: number extends A[K] ? (Tensor extends A[K] ? (K extends `${infer N extends number}` ? N : never) : never) : never;
}[number];

export interface JitOptions<A extends readonly unknown[] = unknown[]> {
  /**
   * Arguments whose numbers are dynamic: handed to f as 0-d tensors of the tensor arguments' dtype
   * (float32 when there are none), so a new value replays the plan. Other numbers are static.
   */
  dynamic?: readonly DynamicIndex<A>[];
}

export interface JitStats {
  /** Times f was traced (cache misses). */
  traces: number;
  /** Calls answered by replaying a cached plan. */
  replays: number;
}

const finalizer = new FinalizationRegistry<RealizedBuffer>((buf) => buf.release());

/** A realized leaf node holding `buf` (released when the node is collected). */
function leafNode(buf: RealizedBuffer, shape: readonly number[], dtype: Node['dtype']): Node {
  const n = new Node('identity', [], {}, shape.slice(), dtype);
  n.buffer = buf;
  finalizer.register(n, buf, n);
  return n;
}

/** Is `n` (or its unrealized graph) under an active transformation (an unrealized identity input)? */
function symbolic(roots: readonly Node[]): boolean {
  const seen = new Set<Node>();
  const stack = [...roots];
  while (stack.length) {
    const n = stack.pop()!;
    if (seen.has(n) || n.buffer !== null || n.op === 'const') continue;
    seen.add(n);
    if (n.op === 'identity' || n.op === 'custom') return true;
    stack.push(...n.inputs);
  }
  return false;
}

const backendIds = new WeakMap<Backend, number>();
let nextBackendId = 0;

function backendId(b: Backend): number {
  let id = backendIds.get(b);
  if (id === undefined) backendIds.set(b, (id = nextBackendId++));
  return id;
}

/** Compiles `f` (tensors, pytrees of tensors or numbers in; a tensor or pytree of tensors out). */
export function jit<A extends unknown[], R>(f: (...args: A) => R, opts?: JitOptions<A>): ((...args: A) => R) & { readonly stats: JitStats } {
  if (typeof f !== 'function') throw new ArgumentError(`jit: expected a function, got ${typeof f}`);
  const dynamic = checkDynamic(opts?.dynamic);
  const cache = new Map<string, Entry>();
  const stats: JitStats = { traces: 0, replays: 0 };

  const call = (...given: A): R => {
    const args = dynamic.length ? numbersAsTensors(given, dynamic) : given;
    // flatten the arguments: tensors (in pytrees) are dynamic, numbers are static (part of the key)
    const leaves: Tensor[] = [];
    const keyParts: string[] = [];
    args.forEach((a, i) => {
      if (typeof a === 'number') keyParts.push(`n${Object.is(a, -0) ? '-0' : String(a)}`);
      else {
        const fl = flatten(a, `jit: argument ${i}`);
        keyParts.push(`t${JSON.stringify(fl.def)}`);
        leaves.push(...fl.leaves);
      }
    });
    const nodes = leaves.map((t) => t.node);
    for (const n of nodes) if (n.disposed) throw new ArgumentError('jit: an argument was disposed');
    if (symbolic(nodes)) return f(...args); // under grad / jvp / ...: let the transformation see f
    const b = backend();
    const alias = nodes.map((n) => nodes.indexOf(n));
    const key = `${backendId(b)}|${keyParts.join(',')}|${nodes.map((n, i) => `${n.shape.join('x')}:${n.dtype}:${alias[i]}`).join(',')}`;
    // arguments become buffers (uploads, pending computations) so that the plan reads them as slots
    realize(nodes);
    const entry = cache.get(key);
    if (entry) {
      stats.replays++;
      return replay(entry, nodes, b) as R;
    }
    stats.traces++;
    const out = f(...args);
    const { leaves: outLeaves, def } = flatten(out, 'jit: the result');
    const { entry: e, result } = trace(outLeaves, nodes, def, b);
    cache.set(key, e);
    return result as R;
  };
  return Object.assign(call, { stats });
}

function checkDynamic(dynamic: unknown): number[] {
  if (dynamic === undefined) return [];
  if (!Array.isArray(dynamic) || dynamic.some((i) => !Number.isInteger(i) || i < 0)) {
    throw new ArgumentError(`jit: option 'dynamic' must be an array of argument indices (non-negative integers), got ${JSON.stringify(dynamic)}`);
  }
  return dynamic;
}

/** `args` with the numbers at the `dynamic` indices replaced by 0-d tensors of the tensor arguments' dtype. */
function numbersAsTensors<A extends unknown[]>(args: A, dynamic: readonly number[]): A {
  const dtypes = new Set<Tensor['dtype']>();
  args.forEach((a, i) => {
    if (typeof a !== 'number') for (const t of flatten(a, `jit: argument ${i}`).leaves) dtypes.add(t.dtype);
  });
  const out = args.slice() as A;
  for (const i of dynamic) {
    const a = args[i];
    if (i >= args.length) throw new ArgumentError(`jit: dynamic argument ${i} was not given (the call has ${args.length} arguments)`);
    if (typeof a !== 'number') continue; // a tensor (tree) is dynamic anyway
    if (dtypes.size > 1) {
      throw new ArgumentError(
        `jit: dynamic argument ${i} is a number but the tensor arguments mix dtypes (${[...dtypes].join(', ')}); pass a 0-d tensor of the dtype you want`,
      );
    }
    out[i] = new Tensor(scalarNode(a, dtypes.values().next().value ?? 'float32'));
  }
  return out;
}

function inputBuffers(entry: Pick<Entry, 'argSlots' | 'baked'>, args: readonly Node[]): Map<number, RealizedBuffer> {
  const inputs = new Map<number, RealizedBuffer>();
  const baked = [...entry.baked.values()];
  for (const n of baked) if (n.disposed) throw new ArgumentError('jit: a tensor the function captured was disposed');
  realize(baked); // uploads constants once; later calls find them realized
  for (const [slot, n] of entry.baked) inputs.set(slot, n.buffer!);
  for (const [slot, j] of entry.argSlots) inputs.set(slot, args[j]!.buffer!);
  return inputs;
}

function outputs(entry: Entry, bufs: Map<number, RealizedBuffer>, args: readonly Node[]): unknown {
  const claimed = new Set<number>();
  const tensors = entry.outs.map((o) => {
    if (o.kind === 'fixed') return o.tensor;
    if (o.kind === 'arg') return new Tensor(args[o.index]!);
    const buf = bufs.get(o.slot)!;
    if (claimed.has(o.slot)) buf.retain();
    claimed.add(o.slot);
    return new Tensor(leafNode(buf, o.shape, o.dtype));
  });
  return unflatten(entry.def, tensors);
}

function trace(outLeaves: Tensor[], args: readonly Node[], def: TreeDef, b: Backend): { entry: Entry; result: unknown } {
  const pending: Node[] = [];
  const outs: Out[] = outLeaves.map((t) => {
    const n = t.node;
    const ai = args.indexOf(n);
    if (ai >= 0) return { kind: 'arg', index: ai };
    if (n.buffer !== null || n.op === 'const') return { kind: 'fixed', tensor: t };
    pending.push(n);
    return { kind: 'slot', slot: -1, shape: n.shape, dtype: n.dtype };
  });
  const { plan, targetSlots } = schedule(pending);
  let p = 0;
  for (const o of outs) if (o.kind === 'slot') o.slot = targetSlots[p++]!;
  const argSlots = new Map<number, number>();
  const baked = new Map<number, Node>();
  plan.slots.forEach((s, i) => {
    if (!s.input) return;
    const j = args.indexOf(s.input);
    if (j >= 0) argSlots.set(i, j);
    else baked.set(i, s.input);
  });
  // an output that is a plan input (a captured tensor returned through a view-free path)
  for (let i = 0; i < outs.length; i++) {
    const o = outs[i]!;
    if (o.kind !== 'slot' || plan.keep.has(o.slot)) continue;
    const j = argSlots.get(o.slot);
    outs[i] = j !== undefined ? { kind: 'arg', index: j } : { kind: 'fixed', tensor: new Tensor(plan.slots[o.slot]!.input!) };
  }
  const stripped: Plan = { ...plan, slots: plan.slots.map((s, i) => (argSlots.has(i) ? { size: s.size, dtype: s.dtype } : s)) };
  const entry: Entry = { plan: stripped, argSlots, baked, outs, def };
  const bufs = b.execute(plan, inputBuffers(entry, args));
  return { entry, result: outputs(entry, bufs, args) };
}

function replay(entry: Entry, args: readonly Node[], b: Backend): unknown {
  const bufs = b.execute(entry.plan, inputBuffers(entry, args));
  return outputs(entry, bufs, args);
}
