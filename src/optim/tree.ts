// Pytrees for the optimizers: the gradients' leaves are the reference, and every other tree an
// optimizer takes (parameters, moments in its state, updates) must have the same structure,
// shapes and dtypes; a mismatch is an error naming the path (`adam: state.mu.W has shape ...`).

import { type TreeDef, unflatten } from '../ad/pytree.js';
import { checkLike, flattenLike } from '../ad/trace.js';
import type { DType } from '../dtype.js';
import { ArgumentError } from '../errors.js';
import { Tensor } from '../tensor.js';

/** A tree's tensor leaves in order and its structure. */
export interface Flat {
  readonly leaves: Tensor[];
  readonly def: TreeDef;
}

/**
 * Leaves of `tree` (named `root` in messages, e.g. 'state.mu'), which must have the structure of
 * `ref` (named `refName`) and, leaf by leaf, its shapes and dtypes.
 */
export function leavesLike(what: string, root: string, tree: unknown, ref: Flat, refName: string): Tensor[] {
  const { leaves, paths } = flattenLike(what, root, tree, ref.def, refName);
  return leaves.map((t, i) => {
    if (!(t instanceof Tensor)) throw new ArgumentError(`${what}: ${paths[i]} must be a Tensor, got null`);
    checkLike(what, 'leaf', paths[i]!, t, ref.leaves[i]!, `${refName} leaf`);
    return t;
  });
}

/** A tree of the reference's structure with the given leaves. */
export function rebuild<P>(ref: Flat, leaves: readonly Tensor[]): P {
  return unflatten(ref.def, leaves) as P;
}

/** The dtype scalars of an optimizer are kept in: the first leaf's, float32 for an empty tree. */
export function scalarDType(ref: Flat): DType {
  return ref.leaves[0]?.dtype ?? 'float32';
}

/** `t` if it is a 0-d tensor, else an error naming `name`. */
export function checkScalar(what: string, name: string, t: unknown): Tensor {
  if (!(t instanceof Tensor)) throw new ArgumentError(`${what}: ${name} must be a 0-d Tensor, got ${t === null ? 'null' : typeof t}`);
  if (t.ndim !== 0) throw new ArgumentError(`${what}: ${name} must be a 0-d Tensor, got shape [${t.shape.join(', ')}]`);
  return t;
}
