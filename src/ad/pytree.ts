// Pytrees: arguments and results of transformations may be tensors or nested arrays / plain
// objects of tensors (a network's parameters { W1, b1, ... }). flatten() lists the tensor leaves
// in a fixed order; unflatten() rebuilds the same structure from new leaves.

import { ArgumentError } from '../errors.js';
import { checkResident } from '../ir/host.js';
import { Tensor } from '../tensor.js';

export type Tree<T = Tensor> = T | readonly Tree<T>[] | { readonly [key: string]: Tree<T> };

export type TreeDef = { kind: 'leaf' } | { kind: 'array'; children: TreeDef[] } | { kind: 'object'; keys: string[]; children: TreeDef[] };

function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (typeof x !== 'object' || x === null) return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

/**
 * Checks that a tensor handed to a transformation can be used: not disposed, and readable by the
 * active backend (checkResident, src/ir/host.ts). `what` names the transformation, `path` the argument.
 */
export function checkUsable(what: string, t: Tensor, path: string): void {
  if (t.node.disposed) throw new ArgumentError(`${what}: ${path} is a tensor that was disposed (dispose() freed its value); pass a live tensor`);
  checkResident(what, t.node, path);
}

/**
 * Tensor leaves of `tree` in order, and its structure. `what` names the caller in errors. Every
 * leaf must be usable (checkUsable): this is where transformations take their arguments.
 */
export function flatten(tree: unknown, what: string): { leaves: Tensor[]; def: TreeDef } {
  const leaves: Tensor[] = [];
  const walk = (x: unknown, path: string): TreeDef => {
    if (x instanceof Tensor) {
      checkUsable(what, x, path);
      leaves.push(x);
      return { kind: 'leaf' };
    }
    if (Array.isArray(x)) return { kind: 'array', children: x.map((c, i) => walk(c, `${path}[${i}]`)) };
    if (isPlainObject(x)) {
      const keys = Object.keys(x).sort();
      return { kind: 'object', keys, children: keys.map((k) => walk(x[k], `${path}.${k}`)) };
    }
    throw new ArgumentError(
      `${what}: ${path} must be a Tensor or an array / plain object of tensors, got ${x === null ? 'null' : typeof x === 'object' ? (x as object).constructor?.name : `${typeof x} ${String(x)}`}`,
    );
  };
  const def = walk(tree, 'argument');
  return { leaves, def };
}

export function unflatten<T = Tensor>(def: TreeDef, leaves: readonly T[]): Tree<T> {
  let i = 0;
  const build = (d: TreeDef): Tree<T> => {
    if (d.kind === 'leaf') return leaves[i++]!;
    if (d.kind === 'array') return d.children.map(build);
    const out: Record<string, Tree<T>> = {};
    d.keys.forEach((k, j) => (out[k] = build(d.children[j]!)));
    return out;
  };
  return build(def);
}
