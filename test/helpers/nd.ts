// The plain-JS float64 ndarray shared by the test references (test/core/ref.ts and the fuzzer's
// interpreter, test/fuzz/interp.ts): a flat Float64Array with a shape, indexing, NumPy broadcasting,
// reductions, matmul, and the movement ops whose meaning needs no choices (pad, concat). Nothing here calls wgad.

export interface Nd {
  readonly shape: number[];
  readonly data: Float64Array;
}

export const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

export function nd(shape: number[], data: ArrayLike<number>): Nd {
  if (data.length !== size(shape)) throw new Error(`ref: ${data.length} values for shape [${shape}]`);
  return { shape: shape.slice(), data: Float64Array.from(data) };
}

export function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/** Multi-index of flat position `flat` in `shape`. */
export function unravel(flat: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let i = shape.length - 1; i >= 0; i--) {
    idx[i] = flat % shape[i]!;
    flat = Math.floor(flat / shape[i]!);
  }
  return idx;
}

/** Builds an array of `shape` from a function of the multi-index. */
export function build(shape: number[], f: (idx: number[]) => number): Nd {
  const out = new Float64Array(size(shape));
  for (let i = 0; i < out.length; i++) out[i] = f(unravel(i, shape));
  return { shape: shape.slice(), data: out };
}

/** Element at a multi-index. */
export function at(a: Nd, idx: readonly number[]): number {
  const s = strides(a.shape);
  let o = 0;
  for (let i = 0; i < idx.length; i++) o += idx[i]! * s[i]!;
  return a.data[o]!;
}

export function pad(a: Nd, pads: [number, number][]): Nd {
  return build(
    a.shape.map((d, i) => d + pads[i]![0] + pads[i]![1]),
    (idx) => {
      const src = idx.map((v, i) => v - pads[i]![0]);
      return src.every((v, i) => v >= 0 && v < a.shape[i]!) ? at(a, src) : 0;
    },
  );
}

export function concat(parts: Nd[], axis: number): Nd {
  const ax = axis < 0 ? axis + parts[0]!.shape.length : axis;
  const shape = parts[0]!.shape.slice();
  shape[ax] = parts.reduce((s, p) => s + p.shape[ax]!, 0);
  return build(shape, (idx) => {
    let i = idx[ax]!;
    for (const p of parts) {
      if (i < p.shape[ax]!)
        return at(
          p,
          idx.map((v, d) => (d === ax ? i : v)),
        );
      i -= p.shape[ax]!;
    }
    throw new Error('nd: concat index');
  });
}

// ----- reductions -----

export function normAxes(axis: number | number[] | undefined, rank: number): number[] {
  if (axis === undefined) return Array.from({ length: rank }, (_, i) => i);
  return (typeof axis === 'number' ? [axis] : axis).map((a) => (a < 0 ? a + rank : a));
}

/**
 * A reduction over `axes` of an array of `shape`: the shape with those axes kept as size 1, and
 * the flat position in it where each element (by flat index) lands.
 */
export function reductionTargets(shape: readonly number[], axes: readonly number[]): { kept: number[]; targets: Int32Array } {
  const kept = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const ks = strides(kept);
  const targets = new Int32Array(size(shape));
  for (let i = 0; i < targets.length; i++) {
    let o = 0;
    unravel(i, shape).forEach((v, d) => {
      if (!axes.includes(d)) o += v * ks[d]!;
    });
    targets[i] = o;
  }
  return { kept, targets };
}

/** Folds `f` over `axis` (all axes when undefined) starting from `init`. */
export function reduce(a: Nd, axis: number | number[] | undefined, keepdims: boolean, init: number, f: (acc: number, x: number) => number): Nd {
  const axes = normAxes(axis, a.shape.length);
  const { kept, targets } = reductionTargets(a.shape, axes);
  const out = new Float64Array(size(kept)).fill(init);
  for (let i = 0; i < a.data.length; i++) out[targets[i]!] = f(out[targets[i]!]!, a.data[i]!);
  const shape = keepdims ? kept : a.shape.filter((_, i) => !axes.includes(i));
  return { shape, data: out };
}

// ----- broadcasting (NumPy rules, written independently of wgad) -----

export function broadcastShape(...shapes: number[][]): number[] {
  const n = Math.max(...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    let d = 1;
    for (const s of shapes) {
      const e = s[s.length - n + i] ?? 1;
      if (e !== 1) {
        if (d !== 1 && d !== e) throw new Error('nd: shapes do not broadcast');
        d = e;
      }
    }
    out.push(d);
  }
  return out;
}

/** Value of `a` at an index of the broadcast shape `shape`. */
export function atBroadcast(a: Nd, idx: readonly number[]): number {
  const off = idx.length - a.shape.length;
  const own = a.shape.map((d, i) => (d === 1 ? 0 : idx[off + i]!));
  return at(a, own);
}

export function broadcastTo(a: Nd, shape: number[]): Nd {
  return build(shape, (idx) => atBroadcast(a, idx));
}

export const scalar = (v: number): Nd => nd([], [v]);

export function map(a: Nd, f: (x: number) => number): Nd {
  return { shape: a.shape.slice(), data: a.data.map(f) };
}

// ----- matmul (NumPy semantics: 1-D promotion, broadcast batch dims) -----

export function matmul(a: Nd, b: Nd): Nd {
  const A = a.shape.length === 1 ? nd([1, a.shape[0]!], a.data) : a;
  const B = b.shape.length === 1 ? nd([b.shape[0]!, 1], b.data) : b;
  const m = A.shape[A.shape.length - 2]!,
    k = A.shape[A.shape.length - 1]!,
    n = B.shape[B.shape.length - 1]!;
  if (B.shape[B.shape.length - 2] !== k) throw new Error('nd: matmul inner dims');
  const batch = broadcastShape(A.shape.slice(0, -2), B.shape.slice(0, -2));
  const out = build([...batch, m, n], (idx) => {
    const bi = idx.slice(0, -2),
      i = idx[idx.length - 2]!,
      j = idx[idx.length - 1]!;
    let s = 0;
    for (let p = 0; p < k; p++) s += atBroadcast(A, [...bi, i, p]) * atBroadcast(B, [...bi, p, j]);
    return s;
  });
  let shape = out.shape.slice();
  if (b.shape.length === 1) shape = shape.slice(0, -1);
  if (a.shape.length === 1) shape.splice(shape.length - (b.shape.length === 1 ? 1 : 2), 1);
  return nd(shape, out.data);
}
