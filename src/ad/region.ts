// The region a transformation works on: the nodes between its explicit inputs and its outputs
// that depend on an input, in topological order. Transformations first wrap their inputs in
// fresh `identity` nodes, so nested transformations never mistake each other's inputs (no
// perturbation confusion). Iterative, so long chains do not overflow the stack.

import { identityNode } from '../ir/build.js';
import type { Node } from '../ir/node.js';
import { Tensor } from '../tensor.js';

/** A fresh alias of `t`: the same value, a distinct node identity for one transformation. */
export function freshInput(t: Tensor): Tensor {
  return new Tensor(identityNode(t.node));
}

/**
 * Nodes reachable from `outputs` that depend on some node in `inputs`, inputs included, in
 * topological order (inputs before their consumers). Realized nodes are not entered.
 */
export function dependentRegion(inputs: readonly Node[], outputs: readonly Node[]): Node[] {
  const inputSet = new Set(inputs);
  const depends = new Map<Node, boolean>();
  const order: Node[] = [];
  const stack: [Node, number][] = [];
  for (const out of outputs) {
    if (depends.has(out)) continue;
    stack.push([out, 0]);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const [n, i] = top;
      const ins = inputSet.has(n) || n.buffer !== null ? [] : n.inputs;
      if (i < ins.length) {
        top[1]++;
        if (!depends.has(ins[i]!)) stack.push([ins[i]!, 0]);
        continue;
      }
      stack.pop();
      if (depends.has(n)) continue;
      const dep = inputSet.has(n) || ins.some((m) => depends.get(m) === true);
      depends.set(n, dep);
      if (dep) order.push(n);
    }
  }
  return order;
}
