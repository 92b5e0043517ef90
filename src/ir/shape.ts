// Shape arithmetic shared by graph building and scheduling: sizes, strides, NumPy broadcasting,
// axis normalization and validation. Pure functions on number arrays, except for the element
// limit of the active backend (set by the runtime), which every built shape is checked against.

import { ArgumentError, BackendError, ShapeError, fmtShape } from '../errors.js';

export type Shape = readonly number[];

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major (C-contiguous) strides. */
export function contiguousStrides(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The longest typed array every JS engine allocates (V8 allows 2^32 elements, but not every
 * engine does): no backend holds more elements in one tensor. It is also the largest u32 index.
 */
export const MAX_TYPED_ARRAY_LENGTH = 2 ** 32 - 1;

let elementLimit = { max: MAX_TYPED_ARRAY_LENGTH, holder: 'the cpu backend (the longest JS typed array)' };

/** Sets the element limit of the active backend (runtime.ts, when init() switches backends). */
export function setElementLimit(max: number, holder: string): void {
  elementLimit = { max: Math.min(max, MAX_TYPED_ARRAY_LENGTH), holder };
}

/**
 * Checks that a tensor of `shape` fits the active backend: its element count, and for an empty
 * shape the product of its non-zero dimensions (what a reduction over the empty axis creates),
 * must not exceed the backend's element limit. The limit (< 2^53) also keeps every size and
 * stride of the shape an exact integer. `subject` describes the shape for the message.
 */
export function checkExtent(op: string, shape: Shape, subject = `shape ${fmtShape(shape)}`): void {
  let size = 1,
    extent = 1;
  for (const d of shape) {
    size *= d;
    if (d !== 0) extent *= d;
  }
  const { max, holder } = elementLimit;
  if (extent <= max) return;
  if (size > 0) {
    throw new BackendError(`${op}: ${subject} has ${size} elements, more than ${holder} holds in one tensor (at most ${max} elements)`);
  }
  throw new BackendError(
    `${op}: ${subject} is empty, but its non-zero dimensions span ${extent} elements (what a reduction over the empty axis creates), ` +
      `more than ${holder} holds in one tensor (at most ${max} elements)`,
  );
}

/**
 * Checks that `shape` is an array of non-negative finite integers (names `op` otherwise) and that
 * the active backend can hold a tensor of that shape (checkExtent).
 */
export function checkShape(op: string, shape: unknown): number[] {
  if (!Array.isArray(shape)) {
    throw new ArgumentError(`${op}: shape must be an array of non-negative integers, got ${String(shape)}`);
  }
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isFinite(d) || !Number.isInteger(d) || d < 0) {
      throw new ShapeError(`${op}: shape must hold non-negative finite integers, got [${shape.map(String).join(', ')}]`);
    }
  }
  checkExtent(op, shape);
  return shape.slice() as number[];
}

/** NumPy broadcasting of two shapes; throws a ShapeError naming `op` when they do not broadcast. */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(`${op}: shapes ${fmtShape(a)} and ${fmtShape(b)} do not broadcast (dimension ${i} of the result: ${da} vs ${db})`);
    }
    out[i] = da === 1 ? db : da;
  }
  checkExtent(op, out, `the broadcast shape ${fmtShape(out)} of ${fmtShape(a)} and ${fmtShape(b)}`);
  return out;
}

/** Normalizes a possibly negative axis against `rank`. */
export function normAxis(op: string, axis: number, rank: number): number {
  if (typeof axis !== 'number' || !Number.isInteger(axis)) {
    throw new ArgumentError(`${op}: axis must be an integer, got ${String(axis)}`);
  }
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) {
    throw new ShapeError(`${op}: axis ${axis} is out of range for a tensor of rank ${rank}`);
  }
  return a;
}

/** Normalizes an axis list (undefined = all axes), sorted, rejecting duplicates. */
export function normAxes(op: string, axis: number | readonly number[] | undefined | null, rank: number): number[] {
  if (axis === undefined || axis === null) return Array.from({ length: rank }, (_, i) => i);
  const list = typeof axis === 'number' ? [axis] : Array.from(axis);
  const out = list.map((a) => normAxis(op, a, rank)).sort((x, y) => x - y);
  for (let i = 1; i < out.length; i++) {
    if (out[i] === out[i - 1]) throw new ShapeError(`${op}: axis ${out[i]} is repeated in [${list.join(', ')}]`);
  }
  return out;
}

/** Checks that `perm` is a permutation of 0..rank-1. */
export function checkPerm(op: string, perm: readonly number[], rank: number): number[] {
  if (!Array.isArray(perm) || perm.length !== rank) {
    throw new ShapeError(`${op}: permutation [${String(perm)}] must list all ${rank} axes`);
  }
  const norm = perm.map((a) => normAxis(op, a, rank));
  const seen = new Set(norm);
  if (seen.size !== rank) throw new ShapeError(`${op}: [${perm.join(', ')}] is not a permutation of ${rank} axes`);
  return norm;
}
