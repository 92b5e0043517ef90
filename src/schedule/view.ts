// Strided views: how a kernel reads a buffer through movement ops without copying. A view maps
// an index over its shape to `offset + Σ index[d] * strides[d]`; an optional mask marks the
// in-bounds box (reads outside it give 0: padding). Composition fails (null) only for a reshape
// that strides cannot express; the scheduler then materializes a copy.

import type { Node } from '../ir/node.js';
import type { MovementPrim } from '../ir/primitives.js';
import { contiguousStrides, sizeOf } from '../ir/shape.js';

export interface View {
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
  /** Per-dimension valid range [lo, hi); null when every index is valid. */
  readonly mask: readonly (readonly [number, number])[] | null;
}

export function contiguousView(shape: readonly number[], offset = 0): View {
  return { shape: shape.slice(), strides: contiguousStrides(shape), offset, mask: null };
}

export function isContiguous(v: View): boolean {
  if (v.mask) return false;
  const c = contiguousStrides(v.shape);
  return v.shape.every((d, i) => d === 1 || v.strides[i] === c[i]);
}

export function permuteView(v: View, perm: readonly number[]): View {
  return {
    shape: perm.map((a) => v.shape[a]!),
    strides: perm.map((a) => v.strides[a]!),
    offset: v.offset,
    mask: v.mask ? perm.map((a) => v.mask![a]!) : null,
  };
}

export function broadcastView(v: View, shape: readonly number[]): View {
  const lead = shape.length - v.shape.length;
  const strides: number[] = [];
  const mask: [number, number][] = [];
  for (let i = 0; i < shape.length; i++) {
    const j = i - lead;
    if (j < 0) {
      strides.push(0);
      mask.push([0, shape[i]!]);
      continue;
    }
    const d = v.shape[j]!;
    const m = v.mask?.[j] ?? [0, d];
    if (d === 1 && shape[i] !== 1) {
      strides.push(0);
      mask.push(m[0] <= 0 && m[1] >= 1 ? [0, shape[i]!] : [0, 0]);
    } else {
      strides.push(v.strides[j]!);
      mask.push([m[0], m[1]]);
    }
  }
  return { shape: shape.slice(), strides, offset: v.offset, mask: v.mask ? mask : null };
}

export function sliceView(v: View, starts: readonly number[], ends: readonly number[], steps: readonly number[]): View {
  let offset = v.offset;
  const shape: number[] = [];
  const strides: number[] = [];
  const mask: [number, number][] = [];
  for (let i = 0; i < v.shape.length; i++) {
    const s = starts[i]!,
      st = steps[i]!;
    const n = Math.max(0, Math.ceil((ends[i]! - s) / st));
    shape.push(n);
    offset += s * v.strides[i]!;
    strides.push(v.strides[i]! * st);
    if (v.mask) {
      const [lo, hi] = v.mask[i]!;
      const a = Math.max(0, Math.ceil((lo - s) / st));
      const b = Math.min(n, Math.max(0, Math.ceil((hi - s) / st)));
      mask.push([Math.min(a, b), b]);
    }
  }
  return { shape, strides, offset, mask: v.mask ? mask : null };
}

export function padView(v: View, before: readonly number[], after: readonly number[]): View {
  let offset = v.offset;
  const mask: [number, number][] = [];
  const shape = v.shape.map((d, i) => d + before[i]! + after[i]!);
  for (let i = 0; i < v.shape.length; i++) {
    offset -= before[i]! * v.strides[i]!;
    const [lo, hi] = v.mask?.[i] ?? [0, v.shape[i]!];
    mask.push([lo + before[i]!, hi + before[i]!]);
  }
  return { shape, strides: v.strides.slice(), offset, mask };
}

/** A reshape that only inserts or removes size-1 dims (masks kept), or null when it does more. */
function unitReshapeView(v: View, shape: readonly number[]): View | null {
  const kept = v.shape.flatMap((d, i) => (d === 1 ? [] : [i]));
  const strides: number[] = [];
  const mask: (readonly [number, number])[] = [];
  let j = 0;
  for (const d of shape) {
    if (d === 1) {
      strides.push(0);
      // a size-1 dim of the input that is masked out masks out the whole view
      mask.push([0, 1]);
      continue;
    }
    const i = kept[j++];
    if (i === undefined || v.shape[i] !== d) return null;
    strides.push(v.strides[i]!);
    mask.push(v.mask?.[i] ?? [0, d]);
  }
  if (j !== kept.length) return null;
  if (!v.mask) return { shape: shape.slice(), strides, offset: v.offset, mask: null };
  const empty = v.shape.some((d, i) => d === 1 && (v.mask![i]![0] > 0 || v.mask![i]![1] < 1));
  if (empty && shape.length === 0) return null; // nothing left to mask with
  return { shape: shape.slice(), strides, offset: v.offset, mask: empty ? shape.map(() => [0, 0] as const) : mask };
}

/**
 * A reshape of a masked view whose mask still is a box: each group of input dims merged into one
 * output dim is masked on its outermost non-unit dim only (a block of whole rows, as a pad or
 * concat along a leading axis makes). Null otherwise.
 */
function maskedReshapeView(v: View, shape: readonly number[]): View | null {
  const m = v.mask!;
  if (m.some(([lo, hi]) => lo >= hi)) {
    // nothing in view: every output dim masked out; a scalar has no dim to carry that, so it is
    // no view (its mask would be [], which masks nothing: fuzz seed 104 read a concatenation's
    // pieces through it and summed all three)
    if (shape.length === 0) return null;
    return { shape: shape.slice(), strides: shape.map(() => 0), offset: 0, mask: shape.map(() => [0, 0] as const) };
  }
  const base = reshapeView({ ...v, mask: null }, shape);
  if (!base) return null;
  const partial = (i: number): boolean => m[i]![0] > 0 || m[i]![1] < v.shape[i]!;
  const mask: (readonly [number, number])[] = shape.map((d) => [0, d]);
  let oi = 0,
    ni = 0;
  while (oi < v.shape.length && ni < shape.length) {
    let oj = oi + 1,
      nj = ni + 1;
    let op = v.shape[oi]!,
      np = shape[ni]!;
    while (op !== np) {
      if (op < np) {
        if (oj >= v.shape.length) return null;
        op *= v.shape[oj++]!;
      } else {
        if (nj >= shape.length) return null;
        np *= shape[nj++]!;
      }
    }
    const masked = [];
    for (let i = oi; i < oj; i++) if (partial(i)) masked.push(i);
    if (masked.length > 1) return null;
    if (masked.length === 1) {
      const i = masked[0]!;
      // the group maps onto one output dim and the masked dim is its outermost non-unit dim
      if (nj - ni !== 1) return null;
      for (let q = oi; q < i; q++) if (v.shape[q] !== 1) return null;
      let inner = 1;
      for (let q = i + 1; q < oj; q++) inner *= v.shape[q]!;
      mask[ni] = [m[i]![0] * inner, m[i]![1] * inner];
    }
    oi = oj;
    ni = nj;
  }
  for (; oi < v.shape.length; oi++) if (partial(oi)) return null; // trailing unit dims
  return { ...base, mask };
}

/** Reshape without copying, or null when the strides cannot express it. */
export function reshapeView(v: View, shape: readonly number[]): View | null {
  if (sizeOf(shape) === 0) return contiguousView(shape);
  if (v.mask) {
    const fit = unitReshapeView(v, shape) ?? maskedReshapeView(v, shape);
    if (fit) return fit;
  }
  if (v.mask) {
    const full = v.mask.every(([lo, hi], i) => lo <= 0 && hi >= v.shape[i]!);
    if (!full) return null;
  }
  if (isContiguous(v)) return contiguousView(shape, v.offset);
  // Match groups of old and new dimensions with equal products; each old group must be contiguous.
  const od: number[] = [],
    os: number[] = [];
  v.shape.forEach((d, i) => {
    if (d !== 1) {
      od.push(d);
      os.push(v.strides[i]!);
    }
  });
  const strides = new Array<number>(shape.length).fill(0);
  let oi = 0,
    ni = 0;
  while (ni < shape.length && oi < od.length) {
    let oj = oi + 1,
      nj = ni + 1;
    let np = shape[ni]!,
      op = od[oi]!;
    while (np !== op) {
      if (np < op) np *= shape[nj++]!;
      else op *= od[oj++]!;
    }
    for (let k = oi; k < oj - 1; k++) if (os[k] !== od[k + 1]! * os[k + 1]!) return null;
    strides[nj - 1] = os[oj - 1]!;
    for (let k = nj - 1; k > ni; k--) strides[k - 1] = strides[k]! * shape[k]!;
    ni = nj;
    oi = oj;
  }
  return { shape: shape.slice(), strides, offset: v.offset, mask: null };
}

/** Offset of the element at `index` (no mask check). */
export function viewOffset(v: View, index: readonly number[]): number {
  let o = v.offset;
  for (let i = 0; i < index.length; i++) o += index[i]! * v.strides[i]!;
  return o;
}

export function viewKey(v: View): string {
  const m = v.mask ? `m${v.mask.map(([a, b]) => `${a}:${b}`).join(',')}` : '';
  return `${v.shape.join('x')}s${v.strides.join(',')}o${v.offset}${m}`;
}

/** How each movement op maps the view of its input; null when strides cannot express it (a reshape). */
const MOVEMENT_VIEWS = {
  reshape: (v, n) => reshapeView(v, n.p('reshape').shape),
  permute: (v, n) => permuteView(v, n.p('permute').perm),
  broadcast: (v, n) => broadcastView(v, n.p('broadcast').shape),
  slice: (v, n) => sliceView(v, n.p('slice').starts, n.p('slice').ends, n.p('slice').steps),
  pad: (v, n) => padView(v, n.p('pad').before, n.p('pad').after),
} satisfies Record<MovementPrim, (v: View, n: Node) => View | null>;

/** The view movement node `n` makes of `v`, the view of its input; null when strides cannot express it. */
export function movedView(v: View, n: Node): View | null {
  const f = (MOVEMENT_VIEWS as Partial<Record<string, (v: View, n: Node) => View | null>>)[n.op];
  if (!f) throw new Error(`scheduler: ${n.op} is not a movement op`);
  return f(v, n);
}
