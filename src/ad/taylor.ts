// Taylor mode (jets) to any order K: the standard transformation with R directions on a leading axis, and the public `jet` (JAX's convention).

import { DTypeError, ShapeError, ArgumentError, TransformError, fmtShape } from '../errors.js';
import { Node } from '../ir/node.js';
import { partialsOf } from '../rules/partials.js';
import { type RuleCtx, type TaylorRule, taylorRule } from '../rules/taylor.js';
import { Tensor } from '../tensor.js';
import { type TreeDef, checkUsable, flatten, unflatten } from './pytree.js';
import { dependentRegion, freshInput } from './region.js';
import type { LeavesAs } from './types.js';
import { type Coef, type Series, addAll, bellTerms, binom, checkOrder, constLike } from '../rules/taylor-coef.js';

/** Machine-independent cost of one transformation: vectors carried per node. */
export interface TaylorStats {
  /** Most vectors carried by one node: the primal plus every non-zero coefficient channel. */
  vectors: number;
  /** Nodes of the region the transformation walked. */
  nodes: number;
}

export interface Traced {
  /** Fresh aliases of the primals, the inputs of the region. */
  readonly inputs: Tensor[];
  /** Output leaves of f and their structure. */
  readonly outputs: Tensor[];
  readonly def: TreeDef;
  /** Nodes depending on the inputs, in topological order. */
  readonly region: Node[];
}

/** Calls `f` on fresh aliases of `primals` and finds the region between them and its outputs. */
export function traceRegion(op: string, f: unknown, primals: readonly Tensor[]): Traced {
  if (typeof f !== 'function') throw new ArgumentError(`${op}: f must be a function, got ${typeof f}`);
  primals.forEach((p, i) => checkUsable(op, p, `primals[${i}]`));
  const inputs = primals.map(freshInput);
  const { leaves, def } = flatten((f as (...a: Tensor[]) => unknown)(...inputs), `${op}: the result of f`);
  if (leaves.length === 0) throw new TransformError(`${op}: f returned no tensor`);
  return {
    inputs,
    outputs: leaves,
    def,
    region: dependentRegion(
      inputs.map((t) => t.node),
      leaves.map((t) => t.node),
    ),
  };
}

export function ruleCtx(v: Node): RuleCtx {
  return { node: v, params: v.params as never, primals: v.inputs.map((m) => new Tensor(m)), out: new Tensor(v) };
}

/** Faà di Bruno: Z_k = Σ_j φ^(j)(x0) B_{k,j}(X_1, ...), for the orders `ks`. */
export function faaDiBruno(d: readonly Coef[], X: readonly Coef[], k: number): Coef {
  const bell = bellTerms(X, k);
  const terms: Coef[] = [];
  for (let j = 1; j <= k; j++) {
    const dj = d[j - 1],
      bj = bell[j];
    if (dj && bj) terms.push(mulCoef(dj, bj));
  }
  return addAll(terms);
}

function mulCoef(a: Tensor, b: Tensor): Tensor {
  return a.mul(b);
}

/** Leibniz: Σ_{j=from..to} C(k,j) X_j ∘ Y_{k−j}, with X_0 = x0 and Y_0 = y0 (primals, no direction axis). */
export function leibniz(
  rule: Extract<TaylorRule, { kind: 'bilinear' }>,
  ctx: RuleCtx,
  X: Series | null,
  Y: Series | null,
  k: number,
  from: number,
  to: number,
): Coef {
  const [x0, y0] = ctx.primals as [Tensor, Tensor];
  const terms: Coef[] = [];
  for (let j = from; j <= to; j++) {
    const a = j === 0 ? x0 : (X?.[j - 1] ?? null);
    const b = j === k ? y0 : (Y?.[k - j - 1] ?? null);
    if (!a || !b) continue;
    const p = rule.product(ctx, a, j !== 0, b, j !== k);
    const c = binom(k, j);
    terms.push(c === 1 ? p : p.mul(c));
  }
  return addAll(terms);
}

/** A region to run a rule through: fresh aliases of a node's inputs, the graph built on them, its output. */
interface SubRegion {
  readonly inputs: Node[];
  readonly region: Node[];
  readonly out: Node;
}

function subRegion(inputs: readonly Tensor[], outs: readonly Node[]): Node[] {
  return dependentRegion(
    inputs.map((t) => t.node),
    outs,
  );
}

/** A composite rule's expansion on fresh aliases of the inputs (so the engines can walk it). */
export function expansion(rule: Extract<TaylorRule, { kind: 'composite' }>, ctx: RuleCtx): SubRegion {
  const fresh = ctx.primals.map(freshInput);
  const out = rule.expand(ctx, fresh).node;
  return { inputs: fresh.map((t) => t.node), region: subRegion(fresh, [out]), out };
}

/**
 * For a 'partials' rule: per input i, [∂_i(x0), G_1, .., G_K], the derivative coefficients of
 * ∂_i(x(t)) (null where the input has no series or ∂_i is zero). The partials are built on a copy
 * of the node over fresh aliases of its inputs, so the series of every factor follows.
 */
export function partialSeries(ctx: RuleCtx, ins: readonly (Series | null)[], K: number): (Coef[] | null)[] {
  const fresh = ctx.primals.map(freshInput);
  const n = ctx.node;
  const copy = new Node(
    n.op,
    fresh.map((t) => t.node),
    n.params,
    n.shape,
    n.dtype,
  );
  const maps = partialsOf(copy, copy.inputs);
  const grads = maps.map((m, i) => (m && ins[i] ? m(constLike(fresh[i]!, 1)) : null));
  const live = grads.filter((g): g is Tensor => g !== null);
  const core =
    K > 0
      ? propagateJet(
          copy.inputs,
          ins,
          subRegion(
            fresh,
            live.map((g) => g.node),
          ),
          K,
          1,
        )
      : null;
  return grads.map((g) => {
    if (!g) return null;
    const s = core?.series(g.node) ?? null;
    return [g, ...Array.from({ length: K }, (_, j) => s?.[j] ?? null)];
  });
}

/** Σ_i Σ_{j=from}^{k−1} C(k−1, j) G_i,j X_i,k−j: order k of z' = Σ_i ∂_i x_i' integrated once. */
export function integrate(G: readonly (Coef[] | null)[], X: readonly (Series | null)[], k: number, from: number): Coef {
  const terms: Coef[] = [];
  G.forEach((g, i) => {
    const x = X[i];
    if (!g || !x) return;
    for (let j = from; j < k; j++) {
      const gj = g[j],
        xk = x[k - j - 1];
      if (!gj || !xk) continue;
      const c = binom(k - 1, j);
      terms.push(c === 1 ? gj.mul(xk) : gj.mul(xk).mul(c));
    }
  });
  return addAll(terms);
}

/** One node of standard Taylor mode: output coefficients 1..K per direction, or null (all zero). */
function jetStep(rule: TaylorRule, ctx: RuleCtx, ins: readonly (Series | null)[], K: number): Coef[] | null {
  let out: Coef[];
  switch (rule.kind) {
    case 'zero':
      return null;
    case 'linear':
      out = Array.from({ length: K }, (_, k) => {
        const cs = ins.map((s) => s?.[k] ?? null);
        return cs.some((c) => c !== null) ? rule.map(ctx, cs) : null;
      });
      break;
    case 'unary': {
      const X = ins[0];
      if (!X) return null;
      const d = rule.derivs(ctx, K);
      out = Array.from({ length: K }, (_, k) => faaDiBruno(d, X, k + 1));
      break;
    }
    case 'bilinear':
      out = Array.from({ length: K }, (_, k) => leibniz(rule, ctx, ins[0] ?? null, ins[1] ?? null, k + 1, 0, k + 1));
      break;
    case 'explicit':
      out = rule.jet(ctx, ins, K);
      break;
    case 'composite': {
      const sub = expansion(rule, ctx);
      out = propagateJet(sub.inputs, ins, sub.region, K, 1).series(sub.out) ?? [];
      break;
    }
    case 'partials': {
      const G = partialSeries(ctx, ins, K - 1);
      out = Array.from({ length: K }, (_, k) => integrate(G, ins, k + 1, 0));
      break;
    }
  }
  return out.some((c) => c !== null) ? out : null;
}

export interface JetCore {
  /** Coefficients 1..K (per direction, [R, ...S'] broadcastable to [R, ...S]) of a node, null when zero. */
  series(n: Node): Coef[] | null;
  stats: TaylorStats;
}

/**
 * Standard Taylor mode over `region` (from traceRegion), seeds given for the region's inputs.
 * Every coefficient of every node carries `R` directions on its leading axis.
 */
export function propagateJet(inputs: readonly Node[], seeds: readonly (Series | null)[], region: readonly Node[], K: number, R: number): JetCore {
  const map = new Map<Node, Coef[] | null>();
  inputs.forEach((n, i) => map.set(n, seeds[i] && seeds[i]!.some((c) => c) ? seeds[i]!.slice() : null));
  let vectors = 1;
  for (const v of region) {
    if (!map.has(v)) {
      const ins = v.inputs.map((m) => map.get(m) ?? null);
      map.set(v, ins.some((s) => s !== null) ? jetStep(taylorRule(v.op), ruleCtx(v), ins, K) : null);
    }
    const s = map.get(v);
    vectors = Math.max(vectors, 1 + R * (s ? s.filter((c) => c !== null).length : 0));
  }
  return { series: (n) => map.get(n) ?? null, stats: { vectors, nodes: region.length } };
}

// ----- public API -----

export interface JetOptions {
  /** Order K; the series may then be shorter (missing coefficients are zero). */
  order?: number;
}

/** Validates primals/series of jet-like calls; returns K. `dirs`: coefficients carry a leading axis of this size. */
function checkSeries(op: string, primals: unknown, series: unknown, order: number | undefined, dirs: boolean): { K: number; R: number } {
  if (!Array.isArray(primals) || !primals.every((p) => p instanceof Tensor)) {
    throw new ArgumentError(`${op}: primals must be an array of tensors`);
  }
  primals.forEach((p: Tensor, i) => checkUsable(op, p, `primals[${i}]`));
  if (!Array.isArray(series) || series.length !== primals.length) {
    throw new ArgumentError(
      `${op}: series must hold one coefficient list per primal (${primals.length}), got ${Array.isArray(series) ? series.length : typeof series}`,
    );
  }
  const lens = series.map((s, i) => {
    if (!Array.isArray(s)) throw new ArgumentError(`${op}: series[${i}] must be an array of coefficients`);
    return s.length;
  });
  const K = order === undefined ? (lens[0] ?? 0) : checkOrder(op, order);
  lens.forEach((n, i) => {
    if (order === undefined ? n !== K : n > K) {
      throw new ArgumentError(
        `${op}: series[${i}] has ${n} coefficients, expected ${order === undefined ? K : `at most ${K}`} (every primal needs the same number)`,
      );
    }
  });
  let R = -1;
  series.forEach((s: unknown[], i) => {
    const p = primals[i] as Tensor;
    s.forEach((c, k) => {
      if (c === null || c === undefined) return;
      if (!(c instanceof Tensor)) throw new ArgumentError(`${op}: series[${i}][${k}] must be a Tensor or null`);
      checkUsable(op, c, `series[${i}][${k}]`);
      if (c.dtype !== p.dtype) throw new DTypeError(`${op}: series[${i}][${k}] is ${c.dtype} but its primal is ${p.dtype}`);
      const want = dirs ? c.shape.slice(1) : c.shape;
      const ok = want.length === p.ndim && want.every((d, j) => d === p.shape[j]) && (!dirs || c.ndim >= 1);
      if (!ok || (dirs && R >= 0 && c.shape[0] !== R)) {
        throw new ShapeError(
          `${op}: series[${i}][${k}] has shape ${fmtShape(c.shape)}, expected ${dirs ? `[R, ${p.shape.join(', ')}] with the same R throughout` : fmtShape(p.shape)}`,
        );
      }
      if (dirs) R = c.shape[0]!;
    });
  });
  return { K, R: dirs ? Math.max(R, 1) : 1 };
}

function runJet(
  op: string,
  f: unknown,
  primals: Tensor[],
  series: (Tensor | null | undefined)[][],
  opts: JetOptions | undefined,
  dirs: boolean,
): [unknown, unknown] {
  const { K, R } = checkSeries(op, primals, series, opts?.order, dirs);
  const tr = traceRegion(op, f, primals);
  const seeds = series.map((s, i) => {
    const p = primals[i]!;
    return Array.from({ length: K }, (_, k): Coef => {
      const c = s[k];
      if (!c) return null;
      return dirs ? c : c.reshape([1, ...p.shape]);
    });
  });
  const core = propagateJet(
    tr.inputs.map((t) => t.node),
    seeds,
    tr.region,
    K,
    R,
  );
  const outSeries = tr.outputs.map((o) => {
    const s = core.series(o.node);
    return Array.from({ length: K }, (_, k) => {
      const c = s?.[k] ?? null;
      const full = c
        ? c.broadcastTo([R, ...o.shape])
        : constLike(new Tensor(o.node), 0)
            .reshape([1, ...o.shape])
            .broadcastTo([R, ...o.shape]);
      return dirs ? full : full.reshape(o.shape);
    });
  });
  return [unflatten(tr.def, tr.outputs), tr.def.kind === 'leaf' ? outSeries[0] : unflatten(tr.def, outSeries as never)];
}

/**
 * Taylor mode, JAX's jet convention: `series[i] = [X1, ..., XK]` holds the derivative coefficients
 * (X_k = d^k x/dt^k) of primal i; returns `[primalOut, [Z1, ..., ZK]]` (for a pytree output, that
 * structure with a coefficient list at each leaf). Known-zero coefficients may be given as null.
 */
export function jet<F extends (...args: Tensor[]) => unknown>(
  f: F,
  primals: Tensor[],
  series: (Tensor | null)[][],
  opts?: JetOptions,
): [ReturnType<F>, LeavesAs<ReturnType<F>, Tensor[]>];
export function jet(f: (...args: Tensor[]) => unknown, primals: Tensor[], series: (Tensor | null)[][], opts?: JetOptions): [any, any] {
  return runJet('jet', f, primals, series, opts, false);
}

/**
 * `jet` for R directions at once: every coefficient has shape [R, ...S] (S the primal's shape), and
 * so do the output coefficients. One batched graph instead of R.
 */
export function jetDirections<F extends (...args: Tensor[]) => unknown>(
  f: F,
  primals: Tensor[],
  series: (Tensor | null)[][],
  opts?: JetOptions,
): [ReturnType<F>, LeavesAs<ReturnType<F>, Tensor[]>];
export function jetDirections(f: (...args: Tensor[]) => unknown, primals: Tensor[], series: (Tensor | null)[][], opts?: JetOptions): [any, any] {
  return runJet('jetDirections', f, primals, series, opts, true);
}
