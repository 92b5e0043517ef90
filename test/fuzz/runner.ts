// Runs fuzz graphs in sequence on one backend (so compiled kernels / cached pipelines are shared
// between graphs, as in a long-lived application): forward, jvp, vjp, jet, collapsed Taylor mode,
// vmap and jit of each; the comparisons and tolerances (fuzz.ts checks the float64 engine against
// its independent references with them). docs/testing.md describes the whole.

import { type CollapsedOut, type DType, type Tensor, collapsedJet, jet, jvp, stack, tensor } from '../../src/index.js';
import { _setStackedChannels } from '../../src/internal.js';
import { type Batched, runBatched, secondExample } from './batched.js';
import { buildFn, readAll, weightedGrad } from './build.js';
import { type Graph, type Shape, Rng, inputIds, opCount, size } from './graph.js';
import { type Nd, interpret, maxMagnitude } from './interp.js';

export const K = 4;
/** Collapsed Taylor mode: the weights of its R = 2 directions (the first is the jet's series). */
export const COLLAPSE_WEIGHTS = [0.75, -1.5];

export type BackendId = 'cpu64' | 'cpu32' | 'webgpu';

export interface Directions {
  tangents: Nd[];
  /** series[i][k]: the (k+1)-th derivative coefficient of input i. */
  series: Nd[][];
  /** Cotangent weights: vjp is the gradient of sum(W * f(x)). */
  weights: Nd;
  /** The second direction's series for collapsed Taylor mode (the first is `series`). */
  series2: Nd[][];
}

export interface Results {
  fwd: Float64Array;
  jvp: Float64Array;
  vjp: Float64Array[];
  jet: Float64Array[];
  /**
   * Collapsed Taylor mode along `series` and `series2` with COLLAPSE_WEIGHTS (collapsedConstants
   * held constant; matmul channels stacked where stacksChannels): the output's
   * coefficients 1..K−1 per direction ([2, ...S] each), then its weighted top coefficient.
   */
  col: Float64Array[];
  /** vmap over two examples (batched.ts); null where the graph has no valid second example. */
  batched: Batched | null;
}

export function directions(g: Graph, outShape: Shape): Directions {
  const r = new Rng(g.dseed);
  const arr = (shape: Shape): Nd => ({ shape: shape.slice(), data: Float64Array.from({ length: size(shape) }, () => Math.fround(r.uniform(-1, 1))) });
  const shapes = inputIds(g).map((i) => (g.nodes[i] as { shape: Shape }).shape);
  const tangents = shapes.map(arr);
  const series = shapes.map((s) => Array.from({ length: K }, () => arr(s)));
  const weights = arr(outShape);
  // drawn last: the earlier fields are those of fuzz runs before the collapsed check
  return { tangents, series, weights, series2: shapes.map((s) => Array.from({ length: K }, () => arr(s))) };
}

/**
 * The inputs (by position) collapsed Taylor mode holds constant, with no series, as a network's
 * weights are: every other one, and every input a matmul reads directly as its B operand (so that
 * such products take the stacked-channel form, one matmul over all channels, where stacking is
 * on); input 0 keeps its series whatever it is.
 */
export function collapsedConstants(g: Graph): Set<number> {
  const ids = inputIds(g);
  const out = new Set(ids.map((_, i) => i).filter((i) => i % 2 === 1));
  for (const n of g.nodes) if (n.k === 'matmul' && g.nodes[n.b]!.k === 'in') out.add(ids.indexOf(n.b));
  out.delete(0);
  return out;
}

/** Does the collapsed check of graph `g` stack matmul channels (half the graphs; the WebGPU default on GPUs)? */
export const stacksChannels = (g: Graph): boolean => g.dseed % 2 === 0;

/** The collapsed inputs of input i: its two directions' lower coefficients stacked, and the weighted sum of their tops (none for a constant). */
function collapsedInputs(d: Directions, i: number, constant: boolean, dtype: DType): { lower: Tensor[]; top: Tensor | null } {
  if (constant) return { lower: [], top: null };
  const [a, b] = [d.series[i]!, d.series2[i]!];
  const lower = a.slice(0, K - 1).map((c, k) => stack([T(c, dtype), T(b[k]!, dtype)]));
  const [w0, w1] = COLLAPSE_WEIGHTS as [number, number];
  const top = { shape: a[K - 1]!.shape, data: a[K - 1]!.data.map((v, j) => w0 * v + w1 * b[K - 1]!.data[j]!) };
  return { lower, top: T(top, dtype) };
}

/** What collapsed Taylor mode must give, from the standard jets along the two directions (Z1..ZK each). */
export function collapsedFromJets(z0: Float64Array[], z1: Float64Array[]): Float64Array[] {
  const [w0, w1] = COLLAPSE_WEIGHTS as [number, number];
  const lower = z0.slice(0, K - 1).map((a, k) => {
    const out = new Float64Array(2 * a.length);
    out.set(a);
    out.set(z1[k]!, a.length);
    return out;
  });
  return [...lower, z0[K - 1]!.map((v, j) => w0 * v + w1 * z1[K - 1]![j]!)];
}

const T = (x: Nd, dtype: DType): Tensor => tensor(x.data, { shape: x.shape, dtype });
const f64 = (a: ArrayLike<number>): Float64Array => Float64Array.from(a);
/** Input node `i` of a graph (a node index) as an array. */
const inputNd = (g: Graph, i: number): Nd => {
  const n = g.nodes[i] as { shape: Shape; data: number[] };
  return { shape: n.shape, data: f64(n.data) };
};

/** Forward, jvp, vjp, jet, collapsed Taylor mode, vmap and jit of one graph on the active backend, each read back separately. */
export async function runGraph(g: Graph, dtype: DType, perturbSeed?: number): Promise<Results> {
  // with perturbSeed (float64 only): every input, tangent, series and weight element, and every
  // op's output, multiplied by 1 + u·PERTURB, u uniform in [-1, 1] — float32-sized errors of the
  // inputs and of each op's rounding (see the tolerances). The ops' share matters where a result
  // is an exact cancellation: the vjp of max(x, c) − x is W − W, exactly 0 whatever the inputs,
  // but float32 sums the two W terms in different orders (fuzz seed 108, graph #5 on WebGPU: 6e-9)
  const f = buildFn(g, perturbSeed === undefined ? undefined : { seed: (perturbSeed * 7919 + 17) >>> 0, rel: PERTURB });
  const pr = perturbSeed === undefined ? null : new Rng(perturbSeed);
  const P = (x: Nd): Nd => (pr ? { shape: x.shape, data: x.data.map((v) => v * (1 + PERTURB * pr.uniform(-1, 1))) } : x);
  const inputsOf = (h: Graph): Tensor[] => inputIds(h).map((i) => T(P(inputNd(h, i)), dtype));
  const xs = inputsOf(g);
  const y = f(...xs);
  const fwd = f64(await y.data());
  const d0 = directions(g, y.shape);
  const d: Directions = {
    tangents: d0.tangents.map(P),
    series: d0.series.map((s) => s.map(P)),
    weights: P(d0.weights),
    series2: d0.series2.map((s) => s.map(P)),
  };
  const [, t] = jvp(
    f,
    xs,
    d.tangents.map((x) => T(x, dtype)),
  );
  const jv = f64(await (t as Tensor).data());
  const W = T(d.weights, dtype);
  const vj = await readAll(weightedGrad(f, xs.length, W)(...xs));
  const series = d.series.map((s) => s.map((c) => T(c, dtype)));
  const je = await readAll(jet(f, xs, series)[1]);
  const constants = collapsedConstants(g);
  const cin = xs.map((_, i) => collapsedInputs(d, i, constants.has(i), dtype));
  const was = _setStackedChannels(stacksChannels(g));
  let co: CollapsedOut;
  try {
    [, co] = collapsedJet(
      f,
      xs,
      cin.map((c) => c.lower),
      cin.map((c) => c.top),
      { order: K, weights: COLLAPSE_WEIGHTS },
    );
  } finally {
    _setStackedChannels(was);
  }
  const col = await readAll([...co.lower, co.top]);
  const g2 = secondExample(g);
  const batched = g2 ? await runBatched(f, xs, inputsOf(g2), W, series) : null;
  return { fwd, jvp: jv, vjp: vj, jet: je, col, batched };
}

/** Float64 inputs of a graph. */
const inputs64 = (g: Graph): Tensor[] => inputIds(g).map((i) => T(inputNd(g, i), 'float64'));

/** The gradient of sum(W * f) and the jet's top coefficient, float64, without vmap (the vmap check's reference at the second example). */
export async function gradAndTop(g: Graph): Promise<{ vjp: Float64Array[]; top: Float64Array }> {
  const f = buildFn(g);
  const xs = inputs64(g);
  const d = directions(g, interpret(g).at(-1)!.shape);
  const vjp = await readAll(weightedGrad(f, xs.length, T(d.weights, 'float64'))(...xs));
  const [, zs] = jet(
    f,
    xs,
    d.series.map((s) => s.map((c) => T(c, 'float64'))),
  );
  return { vjp, top: f64(await zs.at(-1)!.data()) };
}

/**
 * The standard jet of a graph along one of the collapsed check's directions (`series` or
 * `series2`), the collapsed constants' series zero, in float64 on the active backend.
 */
export async function jetAlong(g: Graph, direction: 'series' | 'series2'): Promise<Float64Array[]> {
  const f = buildFn(g);
  const xs = inputs64(g);
  const d = directions(g, interpret(g).at(-1)!.shape);
  const zero = (c: Nd): Nd => ({ shape: c.shape, data: new Float64Array(c.data.length) });
  const constants = collapsedConstants(g);
  const series = d[direction].map((s, i) => s.map((c) => T(constants.has(i) ? zero(c) : c, 'float64')));
  return readAll(jet(f, xs, series)[1]);
}

const fact = (k: number): number => (k <= 1 ? 1 : k * fact(k - 1));

/** The K derivative coefficients of t ↦ f(x(t)), x(t) = x0 + Σ X_k t^k/k!, by nested first-order jvps. */
export async function nestedJvp(g: Graph): Promise<Float64Array[]> {
  const f = buildFn(g);
  const xs = inputs64(g);
  const d = directions(g, interpret(g).at(-1)!.shape);
  const S = d.series.map((s) => s.map((c) => T(c, 'float64')));
  const curve = (t: Tensor): Tensor => f(...xs.map((x0, i) => S[i]!.reduce((x, Xk, k) => x.add(Xk.mul(t.pow(k + 1).mul(1 / fact(k + 1)))), x0)));
  const out: Float64Array[] = [];
  let h: (t: Tensor) => Tensor = curve;
  const t0 = tensor(0, { dtype: 'float64' });
  const one = tensor(1, { dtype: 'float64' });
  for (let k = 1; k <= K; k++) {
    const prev = h;
    h = (t: Tensor) => jvp(prev, [t], [one])[1] as Tensor;
    out.push(f64(await h(t0).data()));
  }
  return out;
}

// ----- comparison -----

export const EPS32 = 2 ** -24;
/** Relative size of the input perturbation that estimates a graph's conditioning: 4 float32 ulps. */
export const PERTURB = 4 * EPS32;

/**
 * Tolerances. Float32 vs float64: every op contributes a few float32 roundings relative to the
 * magnitudes it combines, and errors pass through at most (ops+1) ops, so the bound grows with the
 * op count. An order-k derivative coefficient is a sum over Leibniz / Faà di Bruno terms (binomial
 * and Bell-number weights, up to k+1 factors each with its own rounding), so its error bound grows
 * by a constant factor per order; 4^k covers the Bell numbers B_1..B_4 = 1, 2, 5, 15 within a small
 * constant. The bound is normwise (relative to the largest element of the same result, plus
 * elementwise |ref|): a small element that results from cancellation of large terms only carries
 * the absolute error of those terms. For the forward value the scale also includes the largest
 * intermediate the interpreter saw (cancellation inside the graph). 16·eps per op is generous
 * for correctly rounded ops but tight enough that a wrong value (a wrong branch, a stale scalar,
 * a swapped index), typically an O(1) relative error, can never pass.
 */
export function tol32(order: number, ops: number): number {
  return 16 * EPS32 * (ops + 2) * 4 ** order;
}
/** Float64 engine vs interpreter / jet vs nested jvp: same reasoning with float64 epsilon. */
export function tol64(order: number, ops: number): number {
  return 16 * 2 ** -53 * (ops + 2) * 4 ** order;
}

/**
 * The float32 error of a result is bounded by how much the exact result moves under float32-sized
 * perturbations of the inputs and of every op's output (what rounding the intermediates amounts
 * to, to first order) times a small factor for the rounding the perturbations do not reach (the
 * transposed ops of the vjp, the jet's own arithmetic). One random perturbation of 4 ulps can
 * underestimate by a small factor; 16 covers it (it was 32 with the inputs perturbed only; with
 * the ops perturbed too, 16 catches a 1e-4 relative error planted in the CPU's float32 sin in as
 * many of seed 1's graphs, 6, as 32 did before, and seeds 1-3, 102 and 104-105 pass on the CPU
 * and SwiftShader).
 */
export const SENS_FACTOR = 16;

export interface Mismatch {
  check: string;
  worst: string;
  expected: Float64Array;
  got: Float64Array;
}

export function compare(check: string, got: Float64Array, want: Float64Array, rtol: number, extraScale = 0, sens?: Float64Array[]): Mismatch | null {
  if (got.length !== want.length) return { check, worst: `length ${got.length} vs ${want.length}`, expected: want, got };
  let scale = extraScale;
  for (const x of want) scale = Math.max(scale, Math.abs(x));
  // conditioning: how far float64 results move when the inputs move by a few float32 ulps
  // (cancellation between large terms shows up here); SENS_FACTOR of that is allowed on top
  let moved = 0;
  for (const p of sens ?? []) for (let i = 0; i < want.length; i++) moved = Math.max(moved, Math.abs(p[i]! - want[i]!));
  scale += (SENS_FACTOR * moved) / rtol;
  let worst = -1,
    wi = -1;
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i]! - want[i]!);
    const allowed = rtol * (Math.abs(want[i]!) + scale);
    const ratio = Number.isNaN(err) ? Infinity : err / (allowed || Number.MIN_VALUE);
    if (ratio > worst) [worst, wi] = [ratio, i];
  }
  if (worst <= 1) return null;
  return {
    check,
    worst: `element ${wi}: got ${got[wi]}, expected ${want[wi]} (error ${(worst).toPrecision(3)}× tolerance ${rtol.toExponential(2)})`,
    expected: want,
    got,
  };
}

/** Float32 (or float64) results against the CPU float64 reference. */
export function compareResults(got: Results, ref: Results, g: Graph, precision: 32 | 64, fwdScale: number, perturbed: Results[] = []): Mismatch[] {
  const ops = opCount(g);
  const tol = (k: number): number => (precision === 32 ? tol32(k, ops) : tol64(k, ops));
  const P = perturbed;
  const out: (Mismatch | null)[] = [
    compare(
      'forward',
      got.fwd,
      ref.fwd,
      tol(0),
      fwdScale,
      P.map((p) => p.fwd),
    ),
    compare(
      'jvp',
      got.jvp,
      ref.jvp,
      tol(1),
      0,
      P.map((p) => p.jvp),
    ),
  ];
  ref.vjp.forEach((r, i) =>
    out.push(
      compare(
        `vjp x${i}`,
        got.vjp[i]!,
        r,
        tol(1),
        0,
        P.map((p) => p.vjp[i]!),
      ),
    ),
  );
  ref.jet.forEach((r, k) =>
    out.push(
      compare(
        `jet Z${k + 1}`,
        got.jet[k]!,
        r,
        tol(k + 1),
        0,
        P.map((p) => p.jet[k]!),
      ),
    ),
  );
  ref.col.forEach((r, k) =>
    out.push(
      compare(
        `collapsed ${k < K - 1 ? `Z${k + 1}` : 'top'}`,
        got.col[k]!,
        r,
        tol(k + 1),
        0,
        P.map((p) => p.col[k]!),
      ),
    ),
  );
  const [b, rb] = [got.batched, ref.batched];
  if (b && rb) {
    const g2 = secondExample(g)!;
    const scale = Math.max(fwdScale, maxMagnitude(interpret(g2)));
    const pb = P.flatMap((p) => (p.batched ? [p.batched] : []));
    out.push(
      compare(
        'vmap forward',
        b.fwd,
        rb.fwd,
        tol(0),
        scale,
        pb.map((p) => p.fwd),
      ),
    );
    rb.vjp.forEach((r, i) =>
      out.push(
        compare(
          `vmap vjp x${i}`,
          b.vjp[i]!,
          r,
          tol(1),
          0,
          pb.map((p) => p.vjp[i]!),
        ),
      ),
    );
    out.push(
      compare(
        `vmap jet Z${K}`,
        b.top,
        rb.top,
        tol(K),
        0,
        pb.map((p) => p.top),
      ),
      compare(
        'jit forward',
        b.jitFwd,
        rb.jitFwd,
        tol(0),
        scale,
        pb.map((p) => p.jitFwd),
      ),
      ...rb.jitVjp.map((r, i) =>
        compare(
          `jit vjp x${i}`,
          b.jitVjp[i]!,
          r,
          tol(1),
          0,
          pb.map((p) => p.jitVjp[i]!),
        ),
      ),
    );
  }
  return out.filter((m): m is Mismatch => m !== null);
}
