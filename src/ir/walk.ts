// The post-order walk of a node graph that the transformations and the scheduler share:
// iterative (an explicit stack, so long chains do not overflow the call stack), each node left
// once, after all of its inputs. Callers say what a node's inputs are (where to stop: realized
// nodes, constants, a region's inputs, a substitution) and what "already walked" means.

import type { Node } from './node.js';

/**
 * Walks the graph below `roots` in post order: every node reachable through `inputsOf` that
 * `walked` does not hold yet is entered once, its inputs walked first, then `leave(n)` is called
 * (`leave` must make `walked(n)` true). `inputsOf` may throw (a disposed node, say); `leave`
 * returning false ends the walk early, and walkPostOrder then returns false (else true).
 */
export function walkPostOrder(
  roots: Iterable<Node>,
  inputsOf: (n: Node) => readonly Node[],
  walked: (n: Node) => boolean,
  leave: (n: Node) => boolean | undefined,
): boolean {
  const stack: [Node, number][] = [];
  for (const root of roots) {
    if (walked(root)) continue;
    stack.push([root, 0]);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const n = top[0];
      const ins = inputsOf(n);
      if (top[1] < ins.length) {
        const m = ins[top[1]++]!;
        if (!walked(m)) stack.push([m, 0]);
        continue;
      }
      stack.pop();
      if (!walked(n) && leave(n) === false) return false;
    }
  }
  return true;
}
