// evaluate(...trees): computes several lazy tensors in ONE plan (one scheduling pass, shared
// subexpressions computed once) — e.g. the value and the gradients of valueAndGrad together —
// instead of one plan per data() call; print(...) evaluates the same way, then logs the values.

import { flatten } from './ad/pytree.js';
import type { HostArray } from './dtype.js';
import { ArgumentError } from './errors.js';
import { formatTensor } from './format.js';
import { realizeAsync } from './runtime.js';
import { Tensor } from './tensor.js';

/** Computes every tensor in the arguments (tensors or nested arrays / objects of tensors) now. */
export async function evaluate(...trees: unknown[]): Promise<void> {
  const nodes = trees.flatMap((t, i) => flatten(t, `evaluate (argument ${i})`).leaves.map((x) => x.node));
  for (const n of nodes) if (n.disposed) throw new ArgumentError('evaluate: a tensor was disposed');
  await realizeAsync(nodes, () => undefined);
}

/**
 * Logs its arguments (console.log, separated by spaces) with every tensor's values: the tensors,
 * also inside arrays and plain objects, are computed in one plan first. Returns the text logged.
 */
export async function print(...values: unknown[]): Promise<string> {
  const tensors: Tensor[] = [];
  const collect = (v: unknown): void => {
    if (v instanceof Tensor) tensors.push(v);
    else if (Array.isArray(v)) v.forEach(collect);
    else if (isPlainObject(v)) Object.values(v).forEach(collect);
  };
  values.forEach(collect);
  await evaluate(tensors);
  const read = new Map<Tensor, HostArray>();
  for (const t of tensors) read.set(t, await t.data());
  const show = (v: unknown): string => {
    if (v instanceof Tensor) return formatTensor(v.shape, v.dtype, read.get(v)!);
    if (Array.isArray(v)) return `[${v.map(show).join(', ')}]`;
    if (isPlainObject(v))
      return `{ ${Object.entries(v)
        .map(([k, x]) => `${k}: ${show(x)}`)
        .join(', ')} }`;
    return String(v);
  };
  const text = values.map(show).join(' ');
  console.log(text);
  return text;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}
