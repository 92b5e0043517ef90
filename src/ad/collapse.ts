// Collapsed Taylor mode: x0 once, coefficients 1..K-1 per direction, and one (weighted) sum of the top coefficients over the directions.

// The top coefficient enters every rule linearly (φ'(x0) X_K, x0 Y_K + X_K y0, ...), so the sum
// over directions of the top output coefficients only needs the sum of the top inputs:
//     Σ_r w_r Z_K,r = Σ_r w_r [terms in X_1..K-1,r] + L(x0)[Σ_r w_r X_K,r].
// Per node this carries 1 + (K−1) R + 1 vectors instead of 1 + K R (docs/taylor.md).

import { ArgumentError, DTypeError, ShapeError, fmtShape } from '../errors.js';
import { activeBackendStacksChannels } from '../ir/host.js';
import { Node } from '../ir/node.js';
import * as ops from '../ops.js';
import { type RuleCtx, type TaylorRule, taylorRule } from '../rules/taylor.js';
import { tensor } from '../creation.js';
import { Tensor } from '../tensor.js';
import { checkUsable } from './pytree.js';
import { type TaylorStats, expansion, faaDiBruno, integrate, leibniz, partialSeries, traceRegion } from './taylor.js';
import { type CollapsedSeries, type Coef, type SumDirections, addAll, bellTerms, checkOrder, constLike } from '../rules/taylor-coef.js';

/**
 * Σ_j d_j ⊙ sumDir(t_j): separate reductions when the terms are smaller than the primal (they do
 * not depend on the data point, e.g. before the first nonlinearity), else one fused reduction.
 */
function sumTerms(parts: readonly (readonly [Coef, Tensor])[], sumDir: SumDirections, primalSize: number): Coef {
  const live = parts.filter((p): p is readonly [Tensor, Tensor] => p[0] !== null);
  if (live.length === 0) return null;
  const small = live.every(([t]) => t.size / t.shape[0]! < primalSize);
  if (small || live.length === 1) return addAll(live.map(([t, d]) => ops.mul(d, sumDir(t))));
  return sumDir(addAll(live.map(([t, d]) => ops.mul(d, t)))!);
}

function collapsedStep(rule: TaylorRule, ctx: RuleCtx, ins: readonly (CollapsedSeries | null)[], K: number, sumDir: SumDirections): CollapsedSeries | null {
  let res: CollapsedSeries;
  switch (rule.kind) {
    case 'zero':
      return null;
    case 'linear': {
      const lower = Array.from({ length: K - 1 }, (_, k) => {
        const cs = ins.map((s) => s?.lower[k] ?? null);
        return cs.some((c) => c !== null) ? rule.map(ctx, cs) : null;
      });
      const tops = ins.map((s) => s?.top ?? null);
      res = { lower, top: tops.some((c) => c !== null) ? rule.map(ctx, tops) : null };
      break;
    }
    case 'unary': {
      const X = ins[0];
      if (!X) return null;
      const d = rule.derivs(ctx, K);
      const lower = Array.from({ length: K - 1 }, (_, k) => faaDiBruno(d, X.lower, k + 1));
      const bell = bellTerms(X.lower, K); // X_K is not among X.lower: B_{K,1} is null
      const mixed = sumTerms(
        bell.map((b, j) => [j >= 2 && d[j - 1] ? b : null, d[j - 1] ?? ctx.out] as const),
        sumDir,
        ctx.out.size,
      );
      const lin = X.top && d[0] ? ops.mul(d[0], X.top) : null;
      res = { lower, top: addAll([mixed, lin]) };
      break;
    }
    case 'bilinear': {
      const X = ins[0] ?? null,
        Y = ins[1] ?? null;
      const lower = Array.from({ length: K - 1 }, (_, k) => leibniz(rule, ctx, X?.lower ?? null, Y?.lower ?? null, k + 1, 0, k + 1));
      const m = leibniz(rule, ctx, X?.lower ?? null, Y?.lower ?? null, K, 1, K - 1);
      const [x0, y0] = ctx.primals as [Tensor, Tensor];
      const a = Y?.top ? rule.product(ctx, x0, false, Y.top, true) : null;
      const b = X?.top ? rule.product(ctx, X.top, true, y0, false) : null;
      res = { lower, top: addAll([m ? sumDir(m) : null, a, b]) };
      break;
    }
    case 'explicit':
      res = rule.collapsed(ctx, ins, K, sumDir);
      break;
    case 'composite': {
      const sub = expansion(rule, ctx);
      res = collapseRegion(sub.inputs, ins, sub.region, K, 1, sumDir).state(sub.out) ?? { lower: [], top: null };
      break;
    }
    case 'partials': {
      // the top coefficient enters linearly, through ∂_i(x0) X_i,K; the rest needs orders < K only
      const lower = ins.map((s) => s?.lower ?? null);
      const G = partialSeries(ctx, lower, K - 1);
      const linear = addAll(G.map((g, i) => (g && ins[i]?.top ? ops.mul(g[0]!, ins[i]!.top!) : null)));
      const mixed = integrate(G, lower, K, 1);
      res = { lower: Array.from({ length: K - 1 }, (_, k) => integrate(G, lower, k + 1, 0)), top: addAll([linear, mixed ? sumDir(mixed) : null]) };
      break;
    }
  }
  return res.top !== null || res.lower.some((c) => c !== null) ? res : null;
}

export interface CollapsedCore {
  state(n: Node): CollapsedSeries | null;
  /** The value of a node as the propagation computes it (a channel of a stacked matmul, or the node rebuilt on such values). */
  primal(n: Node): Tensor;
  stats: TaylorStats;
}

/** Which parts of a node's series are used downstream: its value, the lower coefficients, the summed top. */
export interface Channels {
  readonly primal: boolean;
  readonly lower: boolean;
  readonly top: boolean;
}

const ALL: Channels = { primal: true, lower: true, top: true };
const union = (a: Channels | undefined, b: Channels): Channels => (a ? { primal: a.primal || b.primal, lower: a.lower || b.lower, top: a.top || b.top } : b);

/**
 * The channels each node of `region` must provide for `wanted` (channels of given output nodes),
 * walking back: a linear map (and a product with a series-free factor, as the last layer's
 * x @ W) needs the same channels of its series input; any other rule needs, for a coefficient,
 * the value and every lower coefficient. An over-approximation: it only decides what a stacked
 * matmul stacks (everything else is built lazily, and what is never read is never computed).
 */
function demand(region: readonly Node[], wanted: ReadonlyMap<Node, Channels>, hasSeries: (n: Node) => boolean): Map<Node, Channels> {
  const d = new Map<Node, Channels>(wanted);
  for (let i = region.length - 1; i >= 0; i--) {
    const v = region[i]!;
    const dv = d.get(v);
    if (!dv) continue;
    const rule = taylorRule(v.op);
    const withSeries = v.inputs.filter(hasSeries);
    v.inputs.forEach((m) => {
      let need: Channels;
      if (!hasSeries(m)) need = { primal: true, lower: false, top: false };
      else if (rule.kind === 'linear' || (rule.kind === 'bilinear' && withSeries.length === 1)) need = dv;
      else need = dv.lower || dv.top ? { primal: true, lower: true, top: dv.top } : dv;
      d.set(m, union(d.get(m), need));
    });
  }
  return d;
}

/**
 * Whether collapsed Taylor mode stacks a matmul's channels into one matmul: 'auto' (the default)
 * asks the active backend (its stackedChannels: GPUs yes, the CPU and SwiftShader no; see
 * docs/taylor.md), true / false force it.
 */
const stacking: { mode: boolean | 'auto' } = { mode: 'auto' };

/** Sets whether matmul channels are stacked (true, false, or 'auto': the backend's default); returns the previous setting. */
export function setStackedChannels(mode: boolean | 'auto'): boolean | 'auto' {
  const was = stacking.mode;
  stacking.mode = mode;
  return was;
}

/** Are matmul channels stacked now? */
const stacked = (): boolean => (stacking.mode === 'auto' ? activeBackendStacksChannels() : stacking.mode);

/** Does coefficient `c` ([L, ...S'], S' broadcastable to x's shape) hold a full row of the contracted axis? */
const fullRows = (c: Coef, x: Tensor): c is Tensor => c !== null && c.ndim === x.ndim + 1 && c.shape[c.ndim - 1] === x.shape[x.ndim - 1];

/**
 * A matmul x @ W whose A operand alone carries a series: the primal and the coefficient channels
 * used downstream, each flattened to rows of the contracted axis in its own compact shape (the
 * first layer's directions [R, 1, D] are R rows shared by every data point, a later layer's
 * [R, N, H] are R·N rows), concatenated and multiplied by W in one matmul, then sliced back into
 * channels. Null when the stacked form does not apply (W batched or carrying a series, a
 * coefficient that is known zero or broadcast along the contracted axis).
 */
function stackedMatmul(ctx: RuleCtx, ins: readonly (CollapsedSeries | null)[], used: Channels): { primal: Tensor; series: CollapsedSeries } | null {
  const X = ins[0];
  const [x0, w] = ctx.primals as [Tensor, Tensor];
  if (!stacked() || ctx.node.op !== 'matmul' || !X || ins[1] || w.ndim !== 2 || x0.ndim < 1) return null;
  if (!X.lower.every((c) => fullRows(c, x0)) || (X.top !== null && !fullRows(X.top, x0))) return null;
  const top = used.top ? X.top : null;
  const parts = [...(used.primal ? [x0] : []), ...(used.lower ? (X.lower as Tensor[]) : []), ...(top ? [top] : [])];
  if (parts.length < 2) return null; // one channel: the separate matmul is the same matmul
  const k = x0.shape[x0.ndim - 1]!;
  const n = w.shape[1]!;
  const rows = parts.map((p) => p.size / k);
  // channels of one shape [L, ...S] stack on their leading axis and flatten once (the matmul's
  // loads then run over the stack's own shape); channels of different shapes flatten one by one
  const asChannels = parts.map((p) => (p === x0 ? ops.reshape(x0, [1, ...x0.shape]) : p));
  const sameShape = asChannels.every((p) => p.shape.every((d, i) => i === 0 || d === asChannels[0]!.shape[i]));
  const pieces = new Map<Tensor, Tensor>();
  if (sameShape) {
    // one batched product [C, rows, k] @ W over the stack's own shape (W shared by the C
    // channels): the loads index a channel and a row directly, and channel 0 (the primal) is
    // the leading block of the result
    const stack = ops.concat(asChannels, 0);
    const C = stack.shape[0]!;
    const y = ops.matmul(ops.reshape(stack, [C, stack.size / C / k, k]), w);
    let at = 0;
    parts.forEach((p, i) => {
      const c = asChannels[i]!.shape[0]!;
      pieces.set(p, ops.reshape(ops.slice(y, [at, 0, 0], [at + c, y.shape[1]!, n]), [...p.shape.slice(0, -1), n]));
      at += c;
    });
  } else {
    const y = ops.matmul(
      ops.concat(
        parts.map((p, i) => ops.reshape(p, [rows[i]!, k])),
        0,
      ),
      w,
    );
    let at = 0;
    parts.forEach((p, i) => {
      pieces.set(p, ops.reshape(ops.slice(y, [at, 0], [at + rows[i]!, n]), [...p.shape.slice(0, -1), n]));
      at += rows[i]!;
    });
  }
  // channels not stacked (not used downstream) stay separate matmuls, built lazily and never computed
  const channel = (c: Tensor): Tensor => pieces.get(c) ?? ops.matmul(c, w);
  return {
    primal: channel(x0),
    series: { lower: X.lower.map((c) => channel(c!)), top: X.top ? channel(X.top) : null },
  };
}

/**
 * Collapsed Taylor mode over `region`: `seeds[i]` gives input i's per-direction coefficients
 * 1..K−1 ([R, ...S'] each) and its summed top coefficient ([1, ...S']). `weights` weight the sum
 * over directions: [R] for one weighted sum, [T, R] for T weighted sums at once (every top
 * coefficient then carries T on its leading axis, one per row of the weights), or null for the
 * plain sum.
 */
export function propagateCollapsed(
  inputs: readonly Node[],
  seeds: readonly (CollapsedSeries | null)[],
  region: readonly Node[],
  K: number,
  R: number,
  weights: Tensor | null,
  wanted: ReadonlyMap<Node, Channels> | null = null,
): CollapsedCore {
  if (weights && weights.ndim === 2) return collapseRegion(inputs, seeds, region, K, R, weightedSums(weights), weights.shape[0]!, wanted);
  const wByRank = new Map<number, Tensor>();
  const sumDir: SumDirections = (t) => {
    if (!weights) return ops.sum(t, 0, true);
    let w = wByRank.get(t.ndim);
    if (!w) wByRank.set(t.ndim, (w = weights.reshape([R, ...new Array<number>(t.ndim - 1).fill(1)])));
    if (w.dtype !== t.dtype) w = w.astype(t.dtype); // f may cast inside
    return ops.sum(ops.mul(t, w), 0, true);
  };
  return collapseRegion(inputs, seeds, region, K, R, sumDir, 1, wanted);
}

/** T weighted sums over the directions at once, W [T, R]: [R, ...S'] -> [T, ...S'] by one matmul. */
function weightedSums(W: Tensor): SumDirections {
  const [T, R] = W.shape as [number, number];
  return (t) => {
    const rest = t.shape.slice(1);
    const full = t.shape[0] === R ? t : ops.broadcastTo(t, [R, ...rest]);
    const w = W.dtype === t.dtype ? W : W.astype(t.dtype); // f may cast inside
    const flat = ops.reshape(full, [R, rest.reduce((a, b) => a * b, 1)]);
    return ops.reshape(ops.matmul(w, flat), [T, ...rest]);
  };
}

/** Collapsed Taylor mode over `region` with a given sum over the directions (`tops` sums at once). */
function collapseRegion(
  inputs: readonly Node[],
  seeds: readonly (CollapsedSeries | null)[],
  region: readonly Node[],
  K: number,
  R: number,
  sumDir: SumDirections,
  tops = 1,
  wanted: ReadonlyMap<Node, Channels> | null = null,
): CollapsedCore {
  const map = new Map<Node, CollapsedSeries | null>();
  const inRegion = new Set(region);
  const fromSeeds = new Set(inputs.filter((_, i) => seeds[i]));
  const dependent = new Set<Node>(fromSeeds);
  for (const v of region) if (v.inputs.some((m) => dependent.has(m))) dependent.add(v);
  const used = wanted ? demand(region, wanted, (m) => dependent.has(m) && (inRegion.has(m) || fromSeeds.has(m))) : null;
  // values computed anew: a stacked matmul's primal channel, and nodes downstream of one
  const prim = new Map<Node, Tensor>();
  const primalOf = (m: Node): Tensor => prim.get(m) ?? new Tensor(m);
  inputs.forEach((n, i) => map.set(n, seeds[i] ?? null));
  let vectors = 1;
  for (const v of region) {
    if (!map.has(v)) {
      const ins = v.inputs.map((m) => map.get(m) ?? null);
      const rebuilt = v.inputs.some((m) => prim.has(m));
      const out = rebuilt
        ? new Tensor(
            new Node(
              v.op,
              v.inputs.map((m) => primalOf(m).node),
              v.params,
              v.shape,
              v.dtype,
            ),
          )
        : new Tensor(v);
      if (rebuilt) prim.set(v, out);
      if (ins.some((s) => s !== null)) {
        const ctx: RuleCtx = { node: v, params: v.params as never, primals: v.inputs.map(primalOf), out };
        const stacked = stackedMatmul(ctx, ins, used ? (used.get(v) ?? { primal: false, lower: false, top: false }) : ALL);
        if (stacked) prim.set(v, stacked.primal);
        map.set(v, stacked ? stacked.series : collapsedStep(taylorRule(v.op), ctx, ins, K, sumDir));
      } else map.set(v, null);
    }
    const s = map.get(v);
    vectors = Math.max(vectors, 1 + (s ? R * s.lower.filter((c) => c !== null).length + (s.top ? tops : 0) : 0));
  }
  return { state: (n) => map.get(n) ?? null, primal: primalOf, stats: { vectors, nodes: region.length } };
}

// ----- public API -----

export interface CollapsedJetOptions {
  /** Order K >= 1 of the top coefficient. */
  order: number;
  /** Weights of the directions in the sum (length R); a plain sum when absent. */
  weights?: number[] | Float64Array;
}

export interface CollapsedOut {
  /** Per-direction coefficients 1..K−1 of the output, [R, ...S]. */
  lower: Tensor[];
  /** Σ_r w_r Z_K,r, shape S. */
  top: Tensor;
  stats: TaylorStats;
}

/**
 * Collapsed Taylor mode of `f` (one tensor output). `lower[i]` lists primal i's per-direction
 * coefficients X_1..X_{K−1} (each [R, ...S] or null); `top[i]` its summed top coefficient
 * Σ_r w_r X_K,r (shape S, or null). Returns [primalOut, { lower, top, stats }].
 */
export function collapsedJet(
  f: (...args: Tensor[]) => Tensor,
  primals: Tensor[],
  lower: (Tensor | null)[][],
  top: (Tensor | null)[],
  opts: CollapsedJetOptions,
): [Tensor, CollapsedOut] {
  const op = 'collapsedJet';
  const K = checkOrder(op, opts?.order);
  if (K < 1) throw new ArgumentError(`${op}: the order must be at least 1, got ${K}`);
  if (!Array.isArray(primals) || !primals.every((p) => p instanceof Tensor)) throw new ArgumentError(`${op}: primals must be an array of tensors`);
  primals.forEach((p, i) => checkUsable(op, p, `primals[${i}]`));
  if (!Array.isArray(lower) || lower.length !== primals.length || !Array.isArray(top) || top.length !== primals.length) {
    throw new ArgumentError(`${op}: lower and top must hold one entry per primal (${primals.length})`);
  }
  let R = -1;
  const seeds = primals.map((p, i): CollapsedSeries | null => {
    const li = lower[i]!;
    if (!Array.isArray(li) || li.length > K - 1) throw new ArgumentError(`${op}: lower[${i}] must list at most K−1 = ${K - 1} coefficients`);
    const ls = Array.from({ length: K - 1 }, (_, k) => {
      const c = li[k] ?? null;
      if (!c) return null;
      if (c instanceof Tensor) checkUsable(op, c, `lower[${i}][${k}]`);
      if (c.dtype !== p.dtype) throw new DTypeError(`${op}: lower[${i}][${k}] is ${c.dtype} but its primal is ${p.dtype}`);
      const ok = c.ndim === p.ndim + 1 && c.shape.slice(1).every((d, j) => d === p.shape[j]) && (R < 0 || c.shape[0] === R);
      if (!ok) throw new ShapeError(`${op}: lower[${i}][${k}] has shape ${fmtShape(c.shape)}, expected [R, ${p.shape.join(', ')}] with one R throughout`);
      R = c.shape[0]!;
      return c;
    });
    const t = top[i] ?? null;
    if (t instanceof Tensor) checkUsable(op, t, `top[${i}]`);
    if (t && (t.dtype !== p.dtype || t.ndim !== p.ndim || !t.shape.every((d, j) => d === p.shape[j]))) {
      throw new ShapeError(`${op}: top[${i}] has shape ${fmtShape(t.shape)} (${t.dtype}), expected ${fmtShape(p.shape)} (${p.dtype})`);
    }
    return { lower: ls, top: t ? t.reshape([1, ...p.shape]) : null };
  });
  if (R < 0) R = opts.weights?.length ?? 1; // no per-direction coefficient (K = 1): the weights say R
  let w: Tensor | null = null;
  if (opts.weights !== undefined) {
    if (opts.weights.length !== R) throw new ShapeError(`${op}: ${opts.weights.length} weights for ${R} directions`);
    w = weightsTensor(opts.weights, primals[0]!.dtype);
  }
  const tr = traceRegion(op, f, primals);
  if (tr.outputs.length !== 1) throw new ArgumentError(`${op}: f must return one tensor`);
  const core = propagateCollapsed(
    tr.inputs.map((t) => t.node),
    seeds,
    tr.region,
    K,
    R,
    w,
  );
  const out = core.primal(tr.outputs[0]!.node);
  const s = core.state(tr.outputs[0]!.node);
  const zeros = (lead: number): Tensor => ops.broadcastTo(ops.reshape(constLike(out, 0), [1, ...out.shape]), [lead, ...out.shape]);
  const low = Array.from({ length: K - 1 }, (_, k) => {
    const c = s?.lower[k] ?? null;
    return c ? ops.broadcastTo(c, [R, ...out.shape]) : zeros(R);
  });
  const t = s?.top ? ops.reshape(ops.broadcastTo(s.top, [1, ...out.shape]), out.shape) : ops.reshape(zeros(1), out.shape);
  return [out, { lower: low, top: t, stats: core.stats }];
}

/** A [R] constant of the weights, in `dtype`. */
export function weightsTensor(weights: ArrayLike<number>, dtype: Tensor['dtype']): Tensor {
  return tensor(dtype === 'float64' ? Float64Array.from(weights) : Float32Array.from(weights), { dtype });
}
