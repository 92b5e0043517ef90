// Linear differential operators as weighted sums of univariate jets F_d(v) = ∂^d f[v, ..., v]: the Griewank–Utke–Walther interpolation of mixed partials, the biharmonic's directions, tr(A H) of a constant (possibly indefinite) A by polarization, and the basis of the collapsed top sums. Host arithmetic only.

// Every formula here returns a list of (direction, weight) pairs of one order d such that the
// operator equals Σ w F_d(v) (docs/operators.md, ../shared/reference/taylor.md "Any mixed partial
// from univariate jets"). Directions are host vectors over all D coordinates.

import { binom, factorial } from '../rules/taylor-coef.js';

/** One univariate jet of a weighted sum: direction v (length D) and its weight. */
export interface WeightedDirection {
  readonly v: Float64Array;
  readonly w: number;
}

/** v = Σ a e_i over the given (coordinate, amount) entries, length D. */
export function directionOf(D: number, entries: readonly (readonly [number, number])[]): Float64Array {
  const v = new Float64Array(D);
  for (const [i, a] of entries) v[i]! += a;
  return v;
}

/** All non-negative integer vectors of length n summing to `total`, in lexicographic order (first entry largest first). */
function compositions(total: number, n: number): number[][] {
  if (n === 1) return [[total]];
  const out: number[][] = [];
  for (let first = total; first >= 0; first--) for (const rest of compositions(total - first, n - 1)) out.push([first, ...rest]);
  return out;
}

/** C(a, n) = a (a − 1) ... (a − n + 1) / n! for a rational a. */
function generalBinom(a: number, n: number): number {
  let p = 1;
  for (let t = 0; t < n; t++) p *= a - t;
  return p / factorial(n);
}

/**
 * ∂^i f for a multi-index i (length D, |i| = d >= 1) as Σ_j (γ_ij / d!) F_d(j) over the integer
 * directions j with |j| = d and supp j ⊆ supp i (Griewank, Utke, Walther 2000):
 *     γ_ij = Σ_{0<k≤i} (−1)^{|i−k|} C(i, k) C(d k/|k|, j) (|k|/d)^d.
 * Zero weights are dropped.
 */
export function mixedPartial(i: readonly number[]): WeightedDirection[] {
  const D = i.length;
  const supp = i.map((a, m) => [a, m] as const).filter(([a]) => a > 0);
  const d = supp.reduce((s, [a]) => s + a, 0);
  const iS = supp.map(([a]) => a);
  const ks = boxes(iS).filter((k) => k.some((a) => a > 0));
  const out: WeightedDirection[] = [];
  for (const j of compositions(d, supp.length)) {
    let gamma = 0;
    for (const k of ks) {
      const kAbs = k.reduce((s, a) => s + a, 0);
      const sign = (d - kAbs) % 2 === 0 ? 1 : -1;
      let c = sign * (kAbs / d) ** d;
      for (let m = 0; m < k.length && c !== 0; m++) c *= binom(iS[m]!, k[m]!) * generalBinom((d * k[m]!) / kAbs, j[m]!);
      gamma += c;
    }
    const w = gamma / factorial(d);
    if (Math.abs(w) > 1e-14 * (1 + Math.abs(gamma))) {
      out.push({
        v: directionOf(
          D,
          supp.map(([, m], s) => [m, j[s]!] as const),
        ),
        w,
      });
    }
  }
  return out;
}

/** Every integer vector k with 0 <= k <= bound componentwise. */
function boxes(bound: readonly number[]): number[][] {
  let out: number[][] = [[]];
  for (const b of bound) out = out.flatMap((k) => Array.from({ length: b + 1 }, (_, a) => [...k, a]));
  return out;
}

/**
 * Δ²f over the coordinates `coords` (of D) by 4-jets along 4e_a, 3e_a + e_b (a ≠ b), 2e_a + 2e_b (a < b):
 *     Δ²f = c1 Σ F4(4e_a) + c2 Σ F4(3e_a + e_b) + c3 Σ F4(2e_a + 2e_b),
 *     c1 = (13D' − 4)/2304, c2 = −1/36, c3 = 5/96, D' = |coords|.
 */
export function biharmonicInterpolation(coords: readonly number[], D: number): WeightedDirection[] {
  const n = coords.length;
  const c1 = (13 * n - 4) / 2304,
    c2 = -1 / 36,
    c3 = 5 / 96;
  const out: WeightedDirection[] = [];
  for (const a of coords) out.push({ v: directionOf(D, [[a, 4]]), w: c1 });
  for (const a of coords)
    for (const b of coords)
      if (a !== b)
        out.push({
          v: directionOf(D, [
            [a, 3],
            [b, 1],
          ]),
          w: c2,
        });
  for (let p = 0; p < n; p++)
    for (let q = p + 1; q < n; q++)
      out.push({
        v: directionOf(D, [
          [coords[p]!, 2],
          [coords[q]!, 2],
        ]),
        w: c3,
      });
  return out;
}

/**
 * tr(A H) = Σ_ij A_ij H_ij for a constant A (D × D, any signs; only its symmetric part s matters)
 * by polarization, 2 H_ij = F2(e_i + e_j) − F2(e_i) − F2(e_j):
 *     tr(A H) = Σ_i (A_ii − Σ_{j≠i} s_ij) F2(e_i) + Σ_{i<j} s_ij F2(e_i + e_j).
 * The e_i are the directions of gradients and Laplacians, so they are shared; a zero s_ij adds no direction.
 */
export function tracePolarization(A: readonly (readonly number[])[]): WeightedDirection[] {
  const D = A.length;
  const s = (i: number, j: number): number => (A[i]![j]! + A[j]![i]!) / 2;
  const out: WeightedDirection[] = [];
  for (let i = 0; i < D; i++) {
    let w = A[i]![i]!;
    for (let j = 0; j < D; j++) if (j !== i) w -= s(i, j);
    if (w !== 0) out.push({ v: directionOf(D, [[i, 1]]), w });
  }
  for (let i = 0; i < D; i++)
    for (let j = i + 1; j < D; j++)
      if (s(i, j) !== 0)
        out.push({
          v: directionOf(D, [
            [i, 1],
            [j, 1],
          ]),
          w: s(i, j),
        });
  return out;
}

/**
 * A basis of `rows` (Gram–Schmidt, in order; a row within 1e-9 of the span of the earlier ones adds
 * nothing) and every row's coefficients over it: the order-K reads need only rank-many collapsed
 * top sums (Δ next to ∂²_x, ∂²_y, ∂²_z is their sum), so collapsed never carries more than
 * standard Taylor mode. Coefficients within 1e-12 of an integer are that integer.
 */
export function rowBasis(rows: readonly Float64Array[]): { basis: Float64Array[]; coef: number[][] } {
  const dot = (a: Float64Array, b: Float64Array): number => a.reduce((acc, x, i) => acc + x * b[i]!, 0);
  const basis: Float64Array[] = [];
  const q: Float64Array[] = []; // orthonormal, basis[k] = Σ_{j<=k} L[k][j] q[j]
  const L: number[][] = [];
  const coef = rows.map((w): number[] => {
    const same = basis.findIndex((b) => b.every((x, i) => x === w[i]));
    if (same >= 0) return basis.map((_, k) => (k === same ? 1 : 0));
    const norm = Math.sqrt(dot(w, w));
    if (norm === 0) return [];
    const a = q.map((qj) => dot(w, qj));
    const r = Float64Array.from(w, (x, i) => x - a.reduce((acc, aj, j) => acc + aj * q[j]![i]!, 0));
    const rn = Math.sqrt(dot(r, r));
    if (rn > 1e-9 * norm) {
      basis.push(w);
      q.push(r.map((x) => x / rn));
      L.push([...a, rn]);
      return basis.map((_, k) => (k === basis.length - 1 ? 1 : 0));
    }
    // Σ_k c_k basis[k] = Σ_j a_j q[j]: back substitution of Lᵀ c = a
    const c = new Array<number>(basis.length).fill(0);
    for (let j = basis.length - 1; j >= 0; j--) {
      let acc = a[j]!;
      for (let k = j + 1; k < basis.length; k++) acc -= L[k]![j]! * c[k]!;
      c[j] = acc / L[j]![j]!;
    }
    return c.map((x) => (Math.abs(x - Math.round(x)) < 1e-12 ? Math.round(x) : x));
  });
  return { basis, coef: coef.map((c) => [...c, ...new Array<number>(basis.length - c.length).fill(0)]) };
}
