// References for batching tests, in plain JS: per-example values (computed one example at a time,
// in a loop) stacked along a chosen axis, as vmap must give them. Nothing here calls vmap.

import { type DType, type Tensor, tensor } from '../../src/index.js';
import { at, build } from './nd.js';

/** The per-example arrays `parts` (each of `shape`, flat) stacked along `axis`: flat data and shape. */
export function stackHost(parts: readonly ArrayLike<number>[], shape: readonly number[], axis: number): { data: Float64Array; shape: number[] } {
  const outShape = shape.slice();
  outShape.splice(axis, 0, parts.length);
  const nds = parts.map((p) => ({ shape: shape.slice(), data: Float64Array.from(p) }));
  const r = build(outShape, (idx) => {
    const rest = idx.slice();
    const [b] = rest.splice(axis, 1);
    return at(nds[b!]!, rest);
  });
  return { data: r.data, shape: outShape };
}

/** A tensor holding the per-example arrays stacked along `axis`. */
export function stackedTensor(parts: readonly ArrayLike<number>[], shape: readonly number[], axis: number, dtype: DType): Tensor {
  const s = stackHost(parts, shape, axis);
  return tensor(Array.from(s.data), { shape: s.shape, dtype });
}

/** Flat values of a tensor. */
export async function values(t: Tensor): Promise<number[]> {
  return Array.from(await t.data());
}

/** Per example b, `fn(b)` read back; then stacked along `axis` (the loop vmap replaces). */
export async function loopStack(size: number, fn: (b: number) => Tensor, axis = 0): Promise<{ data: Float64Array; shape: number[] }> {
  const outs = Array.from({ length: size }, (_, b) => fn(b));
  const parts = await Promise.all(outs.map(values));
  return stackHost(parts, outs[0]!.shape, axis);
}
