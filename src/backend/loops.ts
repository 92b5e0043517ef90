// Iteration spaces shared by both backends' code generators (CPU: JS loops, WebGPU: WGSL index
// math): a kernel's shape and the views it reads, collapsed into as few loops as possible.
// Below both backends, so that neither imports the other.

import type { View } from '../schedule/view.js';

/** One collapsed loop: its size, and per argument its stride and mask. */
export interface Loop {
  size: number;
  strides: number[]; // per argument
  /** per argument: [lo, hi) when this dimension is masked for it */
  masks: (readonly [number, number] | null)[];
}

/** Merges adjacent dimensions that every argument walks contiguously; drops size-1 dims. */
export function collapse(shape: readonly number[], views: readonly View[]): Loop[] {
  const loops: Loop[] = [];
  for (let d = 0; d < shape.length; d++) {
    const size = shape[d]!;
    const masks = views.map((v) => {
      const m = v.mask?.[d];
      return m && (m[0] > 0 || m[1] < size) ? m : null;
    });
    if (size === 1 && masks.every((m) => m === null)) continue;
    const strides = views.map((v) => v.strides[d]!);
    const prev = loops[loops.length - 1];
    if (prev && masks.every((m) => m === null) && prev.masks.every((m) => m === null) && prev.strides.every((s, i) => s === strides[i]! * size)) {
      prev.size *= size;
      prev.strides = strides;
      continue;
    }
    loops.push({ size, strides, masks });
  }
  return loops;
}

/** Dimensions [from, to) of a view (a loop kernel's output dims, or its reduced dims). */
export function restrictView(v: View, from: number, to?: number): View {
  return { shape: v.shape.slice(from, to), strides: v.strides.slice(from, to), offset: v.offset, mask: v.mask ? v.mask.slice(from, to) : null };
}
