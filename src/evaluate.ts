// evaluate(...trees): computes several lazy tensors in ONE plan (one scheduling pass, shared
// subexpressions computed once) — e.g. the value and the gradients of valueAndGrad together —
// instead of one plan per data() call.

import { flatten } from './ad/pytree.js';
import { ArgumentError } from './errors.js';
import { realizeAsync } from './runtime.js';

/** Computes every tensor in the arguments (tensors or nested arrays / objects of tensors) now. */
export async function evaluate(...trees: unknown[]): Promise<void> {
  const nodes = trees.flatMap((t, i) => flatten(t, `evaluate (argument ${i})`).leaves.map((x) => x.node));
  for (const n of nodes) if (n.disposed) throw new ArgumentError('evaluate: a tensor was disposed');
  await realizeAsync(nodes, () => undefined);
}
