// No quadratic laziness trap: which values a plan keeps besides the ones asked for.
//
// A loop `params = update(params, grad(loss)(params, X))` that reads the loss now and then never
// asks for `params`: each read computes them as intermediates and lets them go, so the next read
// starts again from the initial parameters and the work grows with the step number. The runtime
// sees the trap as it happens: a node an earlier plan computed without keeping (`computed`) is
// needed again. When a plan would recompute at least RECOMPUTE_LIMIT such nodes, it also keeps its
// **recomputation frontier**: the recomputed nodes that new nodes read (in the loop, the optimizer
// state of the step where the previous read stopped). The next read starts from them, so every
// step is computed at most twice however long the loop runs, and the lazy graph a loop holds stays
// bounded.
//
// Then it **learns**: a frontier node remembers where it sat in the plan that computed it (its
// position in that plan's fingerprint walk, plan-cache.ts). The next time a graph of that
// structure is planned, the nodes at those positions are kept at once: a loop's reads have the same
// structure, so after a few reads each one keeps the state it ends at and no step is computed twice.
//
// Every decision depends only on the graphs planned (never on garbage-collector timing), so kernel
// counts are reproducible and a loop's reads keep hitting the plan cache.

import { kindOf } from './ir/primitives.js';
import type { Node } from './ir/node.js';
import type { Fingerprint } from './schedule/plan-cache.js';

/** Recomputing fewer nodes than this is not a trap (a loss, then its gradient): nothing is kept. */
export const RECOMPUTE_LIMIT = 256;
/** Graph structures whose positions to keep are remembered (least recently used out). */
const LEARNED_CAPACITY = 64;

let on = true;

/**
 * Turns keeping recomputed values on or off (to measure the trap); `forget` also drops what was
 * learned. Returns the previous setting.
 */
export function setKeepFrontier(enabled: boolean, forget = false): boolean {
  const was = on;
  on = enabled;
  if (forget) learned.clear();
  return was;
}

/** For a node a plan with a fingerprint computed: that fingerprint's key and the node's position. */
const origin = new WeakMap<Node, { readonly key: string; readonly pos: number }>();
/** Fingerprint key -> positions (in its walk) of the nodes a later plan needed again. */
const learned = new Map<string, Set<number>>();

export interface Keep {
  /** Nodes to compute and keep besides the ones asked for. */
  readonly extra: readonly Node[];
  /** The unrealized nodes the plan computes (see `markComputed`). */
  readonly walked: readonly Node[];
}

/** What a plan of `asked` (fingerprinted as `fp` when the plan cache is on) keeps besides them. */
export function valuesToKeep(asked: readonly Node[], fp: Fingerprint | null): Keep {
  const walked = unrealizedGraph(asked);
  if (!on) return { extra: [], walked };
  const askedSet = new Set(asked);
  const keep = new Set<Node>();
  const add = (n: Node): void => {
    if (!n.isLeaf && !n.disposed && !askedSet.has(n)) keep.add(n);
  };
  const positions = fp && learned.get(fp.key);
  if (positions) {
    learned.delete(fp.key); // most recently used last
    learned.set(fp.key, positions);
    for (const p of positions) add(fp.nodes[p]!);
  }
  // a structure already known to recompute learns from any recomputation (a loop read every step
  // alternates two structures, and the one that reads a single step recomputes only a few nodes)
  for (const n of frontier(walked, asked, positions ? 1 : RECOMPUTE_LIMIT)) {
    add(n);
    const o = origin.get(n);
    if (!o) continue;
    let s = learned.get(o.key);
    if (!s) {
      learned.set(o.key, (s = new Set()));
      if (learned.size > LEARNED_CAPACITY) learned.delete(learned.keys().next().value!);
    }
    s.add(o.pos);
  }
  return { extra: [...keep], walked };
}

/** Called once a plan ran: its intermediates were computed (and let go), by the plan `fp` names. */
export function markComputed(walked: readonly Node[], fp: Fingerprint | null): void {
  for (const n of walked) {
    n.computed = true;
    const pos = fp?.pos.get(n);
    if (pos !== undefined) origin.set(n, { key: fp!.key, pos });
  }
}

/** The unrealized nodes below `targets` (constants and realized nodes not entered), inputs first. */
function unrealizedGraph(targets: readonly Node[]): Node[] {
  const seen = new Set<Node>();
  const order: Node[] = [];
  const stack: [Node, number][] = [];
  for (const t of targets) {
    if (seen.has(t) || t.isLeaf) continue;
    seen.add(t);
    stack.push([t, 0]);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const n = top[0];
      if (top[1] < n.inputs.length) {
        const m = n.inputs[top[1]++]!;
        if (!seen.has(m) && !m.isLeaf) {
          seen.add(m);
          stack.push([m, 0]);
        }
        continue;
      }
      stack.pop();
      order.push(n);
    }
  }
  return order;
}

/** The recomputation frontier of `graph`, when it recomputes at least `limit` nodes. */
function frontier(graph: readonly Node[], asked: readonly Node[], limit: number): Node[] {
  let recomputed = 0;
  for (const n of graph) if (n.computed) recomputed++;
  if (recomputed < limit) return [];
  // a kept value is no larger than the largest the plan reads or returns (never a big broadcast)
  let largest = 0;
  for (const t of asked) largest = Math.max(largest, t.size);
  for (const n of graph) for (const m of n.inputs) if (m.isLeaf) largest = Math.max(largest, m.size);
  const out = new Set<Node>();
  for (const n of graph) {
    if (n.computed) continue;
    for (const m of n.inputs) {
      if (!m.computed || m.isLeaf) continue;
      const k = valueSource(m);
      if (k && k.size <= largest) out.add(k);
    }
  }
  return [...out];
}

/**
 * The node whose value is worth a buffer for `n`: `n` itself, or for a view or an alias (free to
 * recompute from its input) the node it reads; null when that is a constant or already realized.
 */
function valueSource(n: Node): Node | null {
  let m = n;
  while (!m.isLeaf && m.inputs.length > 0 && (kindOf(m.op) === 'movement' || m.op === 'identity' || m.op === 'custom')) {
    m = m.inputs[m.inputs.length - 1]!;
  }
  return m.isLeaf ? null : m;
}
