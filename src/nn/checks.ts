// Argument checks shared by the nn ops: errors name the op and the argument, at graph-build time.

import { ArgumentError } from '../errors.js';
import { Tensor } from '../tensor.js';

export function describeValue(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an array (wrap it with tensor())';
  if (typeof x === 'object') return (x as object).constructor?.name ?? 'object';
  return `${typeof x} ${String(x)}`;
}

/** Throws unless `x` is a live Tensor. */
export function checkTensor(op: string, x: unknown, name: string): asserts x is Tensor {
  if (!(x instanceof Tensor)) throw new ArgumentError(`${op}: argument '${name}' must be a Tensor, got ${describeValue(x)}`);
  if (x.node.disposed) throw new ArgumentError(`${op}: argument '${name}' was disposed`);
}

/** Whether `shape` broadcasts to `target` (NumPy rules) without changing it. */
export function broadcastsTo(shape: readonly number[], target: readonly number[]): boolean {
  const off = target.length - shape.length;
  return off >= 0 && shape.every((d, i) => d === 1 || d === target[off + i]);
}
