// Graph passes run before scheduling: common-subexpression elimination (structural hashing of
// the unrealized graph, aliases removed, the algebraic rewrites of rewrite.ts applied),
// topological order and consumer sets. Iterative, so a chain of 100k lazy ops does not overflow
// the stack.

import { ArgumentError } from '../errors.js';
import type { Node } from '../ir/node.js';
import { walkPostOrder } from '../ir/walk.js';
import { kindOf } from '../ir/primitives.js';
import { rewrite } from './rewrite.js';

export interface Canonical {
  /** Maps every reachable node to its canonical representative. */
  readonly rep: Map<Node, Node>;
  /** Canonical nodes in topological order (inputs first). */
  readonly order: Node[];
  /** Distinct canonical consumers of each canonical node. */
  readonly consumers: Map<Node, Node[]>;
  /** Canonical inputs of a canonical node. */
  inputsOf(n: Node): Node[];
}

/** A scalar value as CSE compares it (-0 and +0 differ, NaN equals NaN). */
export function valueKey(v: number): string {
  return Object.is(v, -0) ? '-0' : String(v);
}

function keyOf(n: Node, inputs: readonly Node[]): string | null {
  if (n.buffer) return null; // realized: identity
  if (n.op === 'const') {
    const data = n.p('const').data;
    return data.length === 1 ? `c${n.dtype}[${n.shape.join(',')}]${valueKey(data[0]!)}` : null;
  }
  return `${n.op}|${JSON.stringify(n.params)}|${inputs.map((m) => m.id).join(',')}`;
}

/** Canonicalizes the graph below `targets` (stopping at realized nodes and constants). */
export function canonicalize(targets: readonly Node[]): Canonical {
  const rep = new Map<Node, Node>();
  const byKey = new Map<string, Node>();
  const order: Node[] = [];
  const canonInputs = new Map<Node, Node[]>();
  const leaf = (n: Node): boolean => n.buffer !== null || n.op === 'const';
  const repOf = (m: Node): Node => rep.get(m) ?? adopt(m);
  // a node a rewrite built (its inputs canonical or built alongside): settled like any other
  const adopt = (m: Node): Node => {
    const r = settle(m);
    rep.set(m, r);
    return r;
  };
  /** The canonical representative of `n`, whose inputs all have one. */
  const settle = (n: Node): Node => {
    const inputs = leaf(n) ? [] : n.inputs;
    // aliases vanish: identity is its input, a custom node its implementation (last input)
    if (!leaf(n) && (n.op === 'identity' || n.op === 'custom')) return repOf(inputs[inputs.length - 1]!);
    const ins = inputs.map(repOf);
    const replacement = leaf(n) ? null : rewrite(n, ins, (m) => canonInputs.get(m) ?? []);
    if (replacement) return repOf(replacement);
    const key = keyOf(n, ins);
    const existing = key === null ? undefined : byKey.get(key);
    if (existing) return existing;
    if (key !== null) byKey.set(key, n);
    canonInputs.set(n, ins);
    order.push(n);
    return n;
  };
  walkPostOrder(
    targets,
    (n) => {
      if (n.disposed) {
        throw new ArgumentError(`a tensor this value depends on (${n.op}, shape [${n.shape.join(', ')}]) was disposed before the value was computed`);
      }
      return leaf(n) ? [] : n.inputs;
    },
    (n) => rep.has(n),
    (n) => {
      rep.set(n, settle(n));
      return true;
    },
  );
  const live = reachable(
    targets.map((t) => rep.get(t)!),
    canonInputs,
  );
  const kept = live.size === order.length ? order : order.filter((n) => live.has(n));
  const consumers = new Map<Node, Node[]>();
  for (const n of kept) consumers.set(n, []);
  for (const n of kept) {
    for (const m of new Set(canonInputs.get(n)!)) consumers.get(m)!.push(n);
  }
  return { rep, order: kept, consumers, inputsOf: (n) => canonInputs.get(n) ?? [] };
}

/**
 * `g` with canonical nodes replaced: each key of `subs` by its value, a node built over nodes of
 * `g` or other new nodes (their own inputs), never over a replaced node (row-sums.ts). Nodes
 * keep their identity; only their canonical inputs change. Iterative, like canonicalize.
 */
export function substitute(g: Canonical, targets: readonly Node[], subs: ReadonlyMap<Node, Node>): Canonical {
  const inputs = new Map<Node, Node[]>();
  const order: Node[] = [];
  const done = new Map<Node, Node>(); // node -> what stands for it
  const inputsBefore = (n: Node): readonly Node[] => (g.consumers.has(n) ? g.inputsOf(n) : n.op === 'const' || n.buffer ? [] : n.inputs);
  walkPostOrder(
    targets.map((t) => g.rep.get(t)!),
    (n) => {
      const sub = subs.get(n);
      return sub ? [sub] : inputsBefore(n);
    },
    (n) => done.has(n),
    (n) => {
      const sub = subs.get(n);
      if (sub) {
        done.set(n, done.get(sub)!);
        return true;
      }
      inputs.set(
        n,
        inputsBefore(n).map((m) => done.get(m)!),
      );
      order.push(n);
      done.set(n, n);
      return true;
    },
  );
  const rep = new Map<Node, Node>();
  for (const [n, r] of g.rep) {
    const d = done.get(r);
    if (d) rep.set(n, d);
  }
  const consumers = new Map<Node, Node[]>();
  for (const n of order) consumers.set(n, []);
  for (const n of order) for (const m of new Set(inputs.get(n)!)) consumers.get(m)!.push(n);
  return { rep, order, consumers, inputsOf: (n) => inputs.get(n) ?? [] };
}

/** The canonical nodes below `roots` (a rewrite can leave a settled node no longer read: the product it folded). */
function reachable(roots: readonly Node[], inputsOf: ReadonlyMap<Node, readonly Node[]>): Set<Node> {
  const seen = new Set<Node>(roots);
  const stack = [...roots];
  while (stack.length > 0) {
    for (const m of inputsOf.get(stack.pop()!) ?? []) {
      if (!seen.has(m)) {
        seen.add(m);
        stack.push(m);
      }
    }
  }
  return seen;
}

export function isMovement(n: Node): boolean {
  return kindOf(n.op) === 'movement';
}
