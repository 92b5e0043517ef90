// Constants the scheduler owns: one-element nodes of value 1 (through a pad's view: 1 inside the
// pad, 0 outside; scheduler.ts) and +0 (the outer-product rewrite's `0 + P·Q`; rewrite.ts), one
// node per value and dtype. They belong to no user graph, so the plan cache (plan-cache.ts) keeps
// them in a cached plan's slots as they are instead of looking them up in the new graph.

import { Node } from '../ir/node.js';

const OWNED = new Map<string, Node>();

/** The scheduler's one-element constant `value` (1 or +0) of `dtype`, the same node every time. */
export function schedulerConstant(value: 1 | 0, dtype: Node['dtype']): Node {
  const key = `${value}:${dtype}`;
  let n = OWNED.get(key);
  if (!n) OWNED.set(key, (n = new Node('const', [], { data: dtype === 'float64' ? Float64Array.of(value) : Float32Array.of(value) }, [], dtype)));
  return n;
}

/** Is `n` a constant the scheduler owns (schedulerConstant)? A cached plan keeps it as its input. */
export function isSchedulerConstant(n: Node): boolean {
  return n.op === 'const' && OWNED.get(`${n.p('const').data[0]}:${n.dtype}`) === n;
}
