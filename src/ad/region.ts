// The region a transformation works on: the nodes between its explicit inputs and its outputs
// that depend on an input, in topological order. Transformations first wrap their inputs in
// fresh `identity` nodes, so nested transformations never mistake each other's inputs (no
// perturbation confusion). Walked iteratively (ir/walk.ts), so long chains do not overflow the stack.

import { identityNode } from '../ir/build.js';
import type { Node } from '../ir/node.js';
import { walkPostOrder } from '../ir/walk.js';
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
  const inputsOf = (n: Node): readonly Node[] => (inputSet.has(n) || n.buffer !== null ? [] : n.inputs);
  walkPostOrder(
    outputs,
    inputsOf,
    (n) => depends.has(n),
    (n) => {
      const dep = inputSet.has(n) || inputsOf(n).some((m) => depends.get(m) === true);
      depends.set(n, dep);
      if (dep) order.push(n);
      return true;
    },
  );
  return order;
}
