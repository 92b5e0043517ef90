// Taylor coefficients with a leading direction axis: shape helpers (coefficients may keep size-1 dims where the primal is wider), products, partitions, binomials.

// A coefficient of a primal of shape S is a tensor of shape [L, ...S'] where L is the number of
// directions carried (R, or 1 for a collapsed sum) and S'[i] is S[i] or 1: a size-1 dim means
// "the same for every index along this axis" (e.g. X1 = W e_r before the first nonlinearity does
// not depend on the data point). NumPy broadcasting then does the right thing in every product,
// and linear maps keep the size-1 dims wherever they can, so data-independent work is done once.

import { ArgumentError } from '../errors.js';
import * as B from '../ir/build.js';
import { scalarNode } from '../ir/build.js';
import type { Shape } from '../ir/shape.js';
import * as ops from '../ops.js';
import { Tensor } from '../tensor.js';

/** A Taylor coefficient; null is a known zero (never materialized). */
export type Coef = Tensor | null;

/** A constant `value` with the shape and dtype of `like` (a broadcast scalar: nothing materialized). */
export function constLike(like: Tensor, value: number): Tensor {
  return new Tensor(B.broadcastNode(scalarNode(value, like.dtype), like.shape));
}

const lead = (c: Tensor): number => c.shape[0]!;

/** The coefficient broadcast to its full shape [L, ...shape]. */
function fullCoef(c: Tensor, shape: Shape): Tensor {
  return ops.broadcastTo(c, [lead(c), ...shape]);
}

/** Sum of the non-null terms; null when all are null. */
export function addAll(terms: readonly Coef[]): Coef {
  let acc: Coef = null;
  for (const t of terms) if (t) acc = acc ? ops.add(acc, t) : t;
  return acc;
}

export function scale(c: Coef, s: number): Coef {
  if (!c || s === 1) return c;
  return ops.mul(c, s);
}

/** Coefficient of a reshape from `inShape` to `outShape`, keeping size-1 dims when only unit dims move. */
export function reshapeCoef(c: Tensor, inShape: Shape, outShape: Shape): Tensor {
  const L = lead(c);
  const cs = c.shape.slice(1);
  if (cs.every((d, i) => d === inShape[i])) return ops.reshape(c, [L, ...outShape]);
  const inBig = inShape.map((d, i) => [d, i] as const).filter(([d]) => d !== 1);
  const outBig = outShape.map((d, i) => [d, i] as const).filter(([d]) => d !== 1);
  if (inBig.length === outBig.length && inBig.every(([d], j) => d === outBig[j]![0])) {
    const target = outShape.map(() => 1);
    outBig.forEach(([, oi], j) => (target[oi] = cs[inBig[j]![1]]!));
    return ops.reshape(c, [L, ...target]);
  }
  return ops.reshape(fullCoef(c, inShape), [L, ...outShape]);
}

/** Coefficient of a broadcast from `inShape` to `outShape`: stays lazy (unit dims are added in front). */
export function broadcastCoef(c: Tensor, outShape: Shape): Tensor {
  const cs = c.shape.slice(1);
  const extra = outShape.length - cs.length;
  return extra === 0 ? c : ops.reshape(c, [lead(c), ...new Array<number>(extra).fill(1), ...cs]);
}

export function permuteCoef(c: Tensor, perm: readonly number[]): Tensor {
  return ops.permute(c, [0, ...perm.map((p) => p + 1)]);
}

/** Sum over `axes` of the primal (of shape `inShape`); unit dims of the coefficient count `inShape[a]` times. */
export function sumCoef(c: Tensor, axes: readonly number[], inShape: Shape): Tensor {
  let factor = 1;
  const real: number[] = [];
  for (const a of axes) {
    if (c.shape[a + 1] === 1 && inShape[a] !== 1) factor *= inShape[a]!;
    else real.push(a + 1);
  }
  let r = real.length ? ops.sum(c, real, true) : c;
  const keep = r.shape.filter((_, i) => i === 0 || !axes.includes(i - 1));
  r = ops.reshape(r, keep);
  return factor === 1 ? r : ops.mul(r, factor);
}

export function sliceCoef(c: Tensor, starts: readonly number[], ends: readonly number[], steps: readonly number[], inShape: Shape): Tensor {
  const outShape = starts.map((s, i) => Math.max(0, Math.ceil((ends[i]! - s) / steps[i]!)));
  let x = c;
  if (outShape.some((d) => d === 0)) x = fullCoef(c, inShape);
  const L = lead(x);
  const st = [0],
    en = [L],
    sp = [1];
  for (let i = 0; i < inShape.length; i++) {
    const unit = x.shape[i + 1] === 1 && inShape[i] !== 1;
    st.push(unit ? 0 : starts[i]!);
    en.push(unit ? 1 : ends[i]!);
    sp.push(unit ? 1 : steps[i]!);
  }
  return new Tensor(B.sliceNode(x.node, st, en, sp));
}

export function padCoef(c: Tensor, before: readonly number[], after: readonly number[], inShape: Shape): Tensor {
  const need = c.shape.map((d, i) => (i > 0 && d === 1 && inShape[i - 1] !== 1 && (before[i - 1]! > 0 || after[i - 1]! > 0) ? inShape[i - 1]! : d));
  const x = need.every((d, i) => d === c.shape[i]) ? c : ops.broadcastTo(c, need);
  return new Tensor(B.padNode(x.node, [0, ...before], [0, ...after]));
}

/**
 * Matrix product of two operands of a matmul node whose inputs have shapes `aShape` @ `bShape`
 * ([..., m, k] @ [..., k, n]); `aLead` / `bLead` say which operand is a coefficient (leading
 * direction axis) rather than a primal.
 */
export function matmulCoef(a: Tensor, aLead: boolean, b: Tensor, bLead: boolean, aShape: Shape, _bShape: Shape): Tensor {
  const r = aShape.length;
  const k = aShape[r - 1]!;
  let x = a,
    y = b;
  if (aLead && x.shape[r] !== k) x = ops.broadcastTo(x, [...x.shape.slice(0, r), k]);
  if (bLead && y.shape[r - 1] !== k) {
    const s = y.shape.slice();
    s[r - 1] = k;
    y = ops.broadcastTo(y, s);
  }
  // A coefficient [L, m, k] times a 2-D primal: a batched matmul with B shared by the L
  // directions (batch stride 0), so the coefficient's producer can be fused into the A loads.
  return ops.matmul(x, y);
}

// ----- combinatorics -----

const binomials: number[][] = [[1]];

export function binom(n: number, k: number): number {
  for (let i = binomials.length; i <= n; i++) {
    const row = [1];
    for (let j = 1; j < i; j++) row.push(binomials[i - 1]![j - 1]! + binomials[i - 1]![j]!);
    row.push(1);
    binomials.push(row);
  }
  return binomials[n]![k]!;
}

export function factorial(n: number): number {
  let f = 1;
  for (let i = 2; i <= n; i++) f *= i;
  return f;
}

/** A partition of k: multiplicity m[i] of part i (index 0 unused), its block count and set-partition count. */
export interface Partition {
  readonly mult: readonly number[];
  readonly blocks: number;
  /** k! / Π_i (m_i! (i!)^{m_i}): the Faà di Bruno coefficient. */
  readonly count: number;
}

const partitionCache = new Map<number, Partition[]>();

/** Integer partitions of k (Faà di Bruno terms of the k-th derivative coefficient). */
function partitions(k: number): Partition[] {
  const hit = partitionCache.get(k);
  if (hit) return hit;
  const out: Partition[] = [];
  const mult = new Array<number>(k + 1).fill(0);
  const rec = (rest: number, maxPart: number): void => {
    if (rest === 0) {
      let blocks = 0,
        denom = 1;
      for (let i = 1; i <= k; i++) {
        blocks += mult[i]!;
        denom *= factorial(mult[i]!) * factorial(i) ** mult[i]!;
      }
      out.push({ mult: mult.slice(), blocks, count: factorial(k) / denom });
      return;
    }
    for (let p = Math.min(rest, maxPart); p >= 1; p--) {
      mult[p]!++;
      rec(rest - p, p);
      mult[p]!--;
    }
  };
  rec(k, k);
  partitionCache.set(k, out);
  return out;
}

/**
 * Partial Bell polynomials B_{k,j}(X_1, ..., X_{k-j+1}) for j = 1..k (index j), with known-zero
 * coefficients dropping their terms. Index 0 is unused (null).
 */
export function bellTerms(X: readonly Coef[], k: number): Coef[] {
  const byBlocks: Coef[][] = Array.from({ length: k + 1 }, () => []);
  const powers = new Map<string, Tensor>();
  const pw = (i: number, m: number): Tensor => {
    const key = `${i}^${m}`;
    let t = powers.get(key);
    if (!t) {
      t = m === 1 ? X[i - 1]! : ops.mul(pw(i, m - 1), X[i - 1]!);
      powers.set(key, t);
    }
    return t;
  };
  for (const p of partitions(k)) {
    let term: Tensor | null = null;
    let zero = false;
    for (let i = 1; i <= k && !zero; i++) {
      const m = p.mult[i]!;
      if (m === 0) continue;
      if (!X[i - 1]) {
        zero = true;
        break;
      }
      const f = pw(i, m);
      term = term ? ops.mul(term, f) : f;
    }
    if (zero || !term) continue;
    byBlocks[p.blocks]!.push(scale(term, p.count));
  }
  return byBlocks.map(addAll);
}

/** Per-direction coefficients X_1..X_n of one value (index k-1 holds order k). */
export type Series = readonly Coef[];

/** A value in collapsed Taylor mode: per-direction coefficients 1..K-1 and the summed top one. */
export interface CollapsedSeries {
  readonly lower: readonly Coef[];
  readonly top: Coef;
}

/** Weighted sum over the leading direction axis: [R, ...] -> [1, ...]. */
export type SumDirections = (t: Tensor) => Tensor;

export function checkOrder(op: string, K: unknown): number {
  if (typeof K !== 'number' || !Number.isInteger(K) || K < 0) {
    throw new ArgumentError(`${op}: the order K must be a non-negative integer, got ${String(K)}`);
  }
  return K;
}
