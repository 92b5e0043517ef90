// Constants the scheduler owns: one-element nodes of value 1 (through a pad's view: 1 inside the
// pad, 0 outside; scheduler.ts) and +0 (the outer-product rewrite's `0 + P·Q`; rewrite.ts), one
// node per value and dtype. They belong to no user graph, so the plan cache (plan-cache.ts) keeps
// them in a cached plan's slots as they are instead of looking them up in the new graph.

import { Node } from '../ir/node.js';

const BY_VALUE = new Map<string, Node>();
const OWNED = new Set<Node>();

/** The scheduler's one-element constant `value` (1 or +0) of `dtype`, the same node every time. */
export function schedulerConstant(value: 1 | 0, dtype: Node['dtype']): Node {
  const key = `${value}:${dtype}`;
  let n = BY_VALUE.get(key);
  if (!n) {
    n = new Node('const', [], { data: dtype === 'float64' ? Float64Array.of(value) : Float32Array.of(value) }, [], dtype);
    BY_VALUE.set(key, n);
    OWNED.add(n);
  }
  return n;
}

/** Is `n` a constant the scheduler owns (schedulerConstant)? A cached plan keeps it as its input. */
export function isSchedulerConstant(n: Node): boolean {
  return OWNED.has(n);
}
