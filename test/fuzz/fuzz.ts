// The fuzz driver: generates a batch of graphs from a seed, runs all of them in sequence on WebGPU
// (one device, one backend instance, so pipelines are cached across graphs), then on the CPU in
// float32 and float64, compares, and shrinks each failure into a reproducer.

import { type DType, init } from '../../src/index.js';
import { type Batched, concatenated, secondExample } from './batched.js';
import { renderRepro } from './repro.js';
import { type GNode, type Graph, type Sizes, dce, generate, graphSeed, inputIds, opCount, validGraph, withInputData } from './graph.js';
import { type Nd, interpret, maxMagnitude } from './interp.js';
import {
  K,
  type Mismatch,
  type Results,
  collapsedFromJets,
  compare,
  compareResults,
  directions,
  gradAndTop,
  jetAlong,
  nestedJvp,
  runGraph,
  tol32,
  tol64,
} from './runner.js';

export type Float32Backend = 'cpu32' | 'webgpu';

export interface FuzzOptions {
  seed: number;
  graphs: number;
  backends: Float32Backend[];
  /** Tensor sizes of the generated graphs (default SMALL). */
  sizes?: Sizes;
  /** Shrink and print reproducers for at most this many failures (default 3). */
  maxShrink?: number;
  log?: (line: string) => void;
}

export interface Failure {
  index: number;
  backend: Float32Backend | 'cpu64';
  mismatches: Mismatch[];
  error?: string;
  reproducer?: string;
}

export interface FuzzReport {
  seed: number;
  graphs: number;
  ops: number;
  checks: number;
  failures: Failure[];
  seconds: number;
}

type Outcome = Results | Error;

async function tryRun(g: Graph, dtype: DType, perturbSeed?: number): Promise<Outcome> {
  try {
    return await runGraph(g, dtype, perturbSeed);
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
}

export async function runFuzz(opts: FuzzOptions): Promise<FuzzReport> {
  const t0 = performance.now();
  const log = opts.log ?? (() => {});
  const graphs = Array.from({ length: opts.graphs }, (_, i) => generate(graphSeed(opts.seed, i), opts.sizes));
  const got = new Map<Float32Backend, Outcome[]>();
  // phase 1: every graph on WebGPU in sequence, one backend instance (shared pipeline cache)
  if (opts.backends.includes('webgpu')) {
    await init({ backend: 'webgpu' });
    const out: Outcome[] = [];
    for (const g of graphs) {
      const r = await tryRun(g, 'float32');
      out.push(r);
      // a WebGPU validation error is sticky on the backend: start a new one to go on
      if (r instanceof Error) await init({ backend: 'webgpu' });
    }
    got.set('webgpu', out);
  }
  // phase 2: the CPU, float64 reference and float32, interleaved (shared kernel caches)
  await init({ backend: 'cpu' });
  const refs: Outcome[] = [];
  const perturbed: Results[][] = [];
  const failures: Failure[] = [];
  let checks = 0;
  const cpu32: Outcome[] = [];
  for (let i = 0; i < graphs.length; i++) {
    const g = graphs[i]!;
    const ref = await tryRun(g, 'float64');
    refs.push(ref);
    perturbed.push(await perturbedRefs(g));
    if (opts.backends.includes('cpu32')) cpu32.push(await tryRun(g, 'float32'));
    const own = await cpuChecks(g, ref, perturbed[i]!);
    checks += 5 + (ref instanceof Error || !ref.batched ? 0 : 4 + 2 * ref.batched.vjp.length);
    if (own) failures.push({ index: i, backend: 'cpu64', ...own });
  }
  if (opts.backends.includes('cpu32')) got.set('cpu32', cpu32);
  // comparisons
  for (const [b, outs] of got) {
    outs.forEach((r, i) => {
      const ref = refs[i]!;
      if (ref instanceof Error) return; // reported by cpuChecks
      checks += 3 + ref.vjp.length + ref.jet.length + ref.col.length + (ref.batched ? 3 + 2 * ref.batched.vjp.length : 0);
      if (r instanceof Error) {
        failures.push({ index: i, backend: b, mismatches: [], error: r.message });
        return;
      }
      const ms = compareResults(r, ref, graphs[i]!, 32, maxMagnitude(interpret(graphs[i]!)), perturbed[i]!);
      if (ms.length > 0) failures.push({ index: i, backend: b, mismatches: ms });
    });
  }
  failures.sort((a, b) => a.index - b.index);
  // shrink
  const maxShrink = opts.maxShrink ?? 3;
  for (const f of failures.slice(0, maxShrink)) {
    log(`shrinking failure of graph #${f.index} on ${f.backend} (${f.error ?? f.mismatches[0]!.check}) ...`);
    f.reproducer = await reproduce(opts.seed, graphs, f);
  }
  return {
    seed: opts.seed,
    graphs: graphs.length,
    ops: graphs.reduce((s, g) => s + opCount(g), 0),
    checks,
    failures,
    seconds: (performance.now() - t0) / 1000,
  };
}

/** Two float64 runs at inputs perturbed by a few float32 ulps (conditioning estimate; CPU active). */
async function perturbedRefs(g: Graph): Promise<Results[]> {
  const out: Results[] = [];
  for (const s of [1, 2]) {
    const r = await tryRun(g, 'float64', g.dseed + s);
    if (!(r instanceof Error)) out.push(r);
  }
  return out;
}

/**
 * The perturbed runs moved by float32-sized perturbations (PERTURB, 4 float32 ulps); to first order
 * float64 rounding moves a result 2^-29 times as far (`scale`), so these are the same runs scaled to
 * float64's size, centred on the value compared against: the conditioning estimate of the float64
 * against float64 checks (an exact cancellation whose two sides are summed in different orders
 * leaves a few float64 ulps of the cancelled terms; seed 4, graph #139).
 */
function resized(perturbed: Float64Array, ref: Float64Array, want: Float64Array, scale = 2 ** -29): Float64Array {
  return want.map((w, i) => w + (perturbed[i]! - ref[i]!) * scale);
}

/**
 * The CPU float64 engine against independent references (the CPU backend must be active): forward
 * against the plain-JS interpreter, jet against nested jvp, collapsed Taylor mode against standard
 * jets along each direction, and vmap against the interpreter and the transformations run on each
 * example. A reference that throws is reported as the error.
 */
async function cpuChecks(g: Graph, ref: Outcome, perturbed: Results[]): Promise<{ mismatches: Mismatch[]; error?: string } | null> {
  if (ref instanceof Error) return { mismatches: [], error: `float64: ${ref.message}` };
  const ms: Mismatch[] = [];
  for (const [what, checks] of [
    ['nested jvp', jetChecks],
    ['the adjoint identity', adjointChecks],
    ['finite differences', finiteDifferenceChecks],
    ['the standard jets along the collapsed directions', collapsedChecks],
    ['the second example without vmap', batchedChecks],
  ] as const) {
    try {
      ms.push(...(await checks(g, ref, perturbed)));
    } catch (e) {
      return { mismatches: [], error: `${what}: ${(e as Error).message}` };
    }
  }
  return ms.length ? { mismatches: ms } : null;
}

type Checks = (g: Graph, ref: Results, perturbed: Results[]) => Promise<Mismatch[]>;
/** Does the graph round through float32 (astype), so that float64 results of different routes agree only to float32's precision? */
const roundsToFloat32 = (g: Graph): boolean => g.nodes.some((n) => n.k === 'astype');
const found = (ms: (Mismatch | null)[]): Mismatch[] => ms.filter((m): m is Mismatch => m !== null);

/**
 * The adjoint identity ⟨W, J t⟩ = Σ_i ⟨(Jᵀ W)_i, t_i⟩: the jvp along the tangents and the gradient
 * of Σ W·f (the vjp) the float64 run made, against each other. Forward and reverse mode share no
 * rule, so this checks every vjp rule against its jvp rule. Normwise: the tolerance is relative
 * to the sum of the terms' magnitudes on both sides.
 */
const adjointChecks: Checks = async (g, ref) => {
  const d = directions(g, interpret(g).at(-1)!.shape);
  let lhs = 0;
  let rhs = 0;
  let scale = 0;
  ref.jvp.forEach((v, j) => {
    lhs += d.weights.data[j]! * v;
    scale += Math.abs(d.weights.data[j]! * v);
  });
  ref.vjp.forEach((v, i) =>
    v.forEach((x, k) => {
      rhs += x * d.tangents[i]!.data[k]!;
      scale += Math.abs(x * d.tangents[i]!.data[k]!);
    }),
  );
  const ops = opCount(g);
  // a cast through float32 rounds the tangents on one side and the cotangents on the other
  const rtol = roundsToFloat32(g) ? tol32(1, ops) : tol64(1, ops);
  return found([compare('adjoint ⟨W, J t⟩ vs ⟨Jᵀ W, t⟩', new Float64Array([rhs]), new Float64Array([lhs]), rtol, scale)]);
};

/** Central-difference step (the tangents are at most 1 in size; a step this small stays well inside the kink margin). */
const FD_STEP = 1e-5;

/**
 * The float64 jvp against central differences of the plain-JS interpreter along the same
 * tangents, Richardson-extrapolated (4·D(h/2) − D(h)) / 3, an O(h⁴) error: the one check of the
 * partial derivatives that forward, reverse and Taylor mode share (the rule tables) against
 * something that does not use them. Skipped where a shifted input would bring the graph too near a
 * kink.
 */
const finiteDifferenceChecks: Checks = async (g, ref) => {
  // a cast through float32 is a step function at this resolution
  if (roundsToFloat32(g)) return [];
  const vals = interpret(g);
  const d = directions(g, vals.at(-1)!.shape);
  const at = (s: number): Float64Array | null => {
    const moved = withInputData(g, (i, data) => data.map((x, j) => x + s * d.tangents[i]!.data[j]!));
    // stopGradient's value is held: its derivative is 0 by definition
    const nodes = moved.nodes.map(
      (n, idx): GNode => (n.k === 'stopgrad' ? { k: 'in', shape: vals[idx]!.shape.slice(), data: Array.from(vals[idx]!.data) } : n),
    );
    const shifted = { nodes, dseed: g.dseed };
    return validGraph(shifted) ? interpret(shifted).at(-1)!.data : null;
  };
  const ys = [FD_STEP, -FD_STEP, FD_STEP / 2, -FD_STEP / 2].map(at);
  if (ys.some((y) => y === null)) return [];
  const [p1, m1, p2, m2] = ys as Float64Array[];
  const fd = p1!.map((_, j) => (4 * (p2![j]! - m2![j]!)) / FD_STEP / 3 - (p1![j]! - m1![j]!) / (2 * FD_STEP) / 3);
  // each difference of two function values carries their rounding (a few float64 ulps of the
  // largest value the graph computes), magnified by 1/h: an absolute floor under the tolerance
  const rtol = 1e-7;
  const noise = (16 * 2 ** -52 * maxMagnitude(vals)) / FD_STEP;
  return found([compare('jvp vs finite differences', ref.jvp, fd, rtol, noise / rtol)]);
};

/** Forward against the interpreter; jet against nested jvp. */
const jetChecks: Checks = async (g, ref, perturbed) => {
  const vals = interpret(g);
  const ops = opCount(g);
  const want = vals.at(-1)!.data;
  const fwdSens = perturbed.map((p) => resized(p.fwd, ref.fwd, want));
  const ms = [compare('forward vs interpreter', ref.fwd, want, tol64(0, ops), maxMagnitude(vals), fwdSens)];
  (await nestedJvp(g)).forEach((w, k) => {
    const sens = perturbed.map((p) => resized(p.jet[k]!, ref.jet[k]!, w));
    ms.push(compare(`jet Z${k + 1} vs nested jvp`, ref.jet[k]!, w, tol64(k + 1, ops), 0, sens));
  });
  return found(ms);
};

/** Collapsed Taylor mode against the standard jets along its two directions. */
const collapsedChecks: Checks = async (g, ref, perturbed) => {
  const ops = opCount(g);
  // a graph that rounds to float32 (astype) rounds the collapsed top, a weighted sum over the
  // directions, where the jets round each direction's term: they agree to float32's precision
  const rounds = roundsToFloat32(g);
  return found(
    collapsedFromJets(await jetAlong(g, 'series'), await jetAlong(g, 'series2')).map((w, k) => {
      const sens = perturbed.map((p) => resized(p.col[k]!, ref.col[k]!, w, rounds ? 1 : 2 ** -29));
      const rtol = rounds ? tol32(k + 1, ops) : tol64(k + 1, ops);
      return compare(`collapsed ${k < K - 1 ? `Z${k + 1}` : 'top'} vs jets`, ref.col[k]!, w, rtol, 0, sens);
    }),
  );
};

/** vmap over two examples against the interpreter (forward) and the unbatched gradient and jet at each example. */
const batchedChecks: Checks = async (g, ref, perturbed) => {
  const b = ref.batched;
  const g2 = secondExample(g);
  if (!b || !g2) return [];
  const ops = opCount(g);
  const [vals, vals2] = [interpret(g), interpret(g2)];
  const at2 = await gradAndTop(g2);
  const pb = perturbed.flatMap((p) => (p.batched ? [p.batched] : []));
  const check = (what: string, got: Float64Array, want: Float64Array, k: number, scale: number, moved: (p: Batched) => Float64Array) =>
    compare(
      what,
      got,
      want,
      tol64(k, ops),
      scale,
      pb.map((p) => resized(moved(p), got, want)),
    );
  const scale = Math.max(maxMagnitude(vals), maxMagnitude(vals2));
  return found([
    check('vmap forward vs interpreter', b.fwd, concatenated(vals.at(-1)!.data, vals2.at(-1)!.data), 0, scale, (p) => p.fwd),
    ...b.vjp.map((v, i) => check(`vmap vjp x${i} vs examples`, v, concatenated(ref.vjp[i]!, at2.vjp[i]!), 1, 0, (p) => p.vjp[i]!)),
    check(`vmap jet Z${K} vs examples`, b.top, concatenated(ref.jet[K - 1]!, at2.top), K, 0, (p) => p.top),
    check('jit forward vs interpreter', b.jitFwd, vals2.at(-1)!.data, 0, maxMagnitude(vals2), (p) => p.jitFwd),
    ...b.jitVjp.map((v, i) => check(`jit vjp x${i} vs examples`, v, at2.vjp[i]!, 1, 0, (p) => p.jitVjp[i]!)),
    b.jitReplays === 1
      ? null
      : {
          check: 'jit replays',
          worst: `the second call made ${b.jitReplays} replays, expected 1`,
          expected: new Float64Array([1]),
          got: new Float64Array([b.jitReplays]),
        },
  ]);
};

// ----- shrinking -----

const kindOf = (f: { error?: string; mismatches: Mismatch[] }): string => (f.error !== undefined ? 'error' : f.mismatches[0]!.check.split(' ')[0]!);

function candidates(g: Graph): Graph[] {
  const out: Graph[] = [];
  const ops = g.nodes.flatMap((n, i) => (n.k !== 'in' ? [i] : []));
  // a shorter graph: an earlier op as the output
  for (const i of ops.slice(0, -1)) out.push(dce({ nodes: g.nodes.slice(0, i + 1), dseed: g.dseed }));
  // cut the graph: an op replaced by an input holding its (float32-rounded) value
  let vals: Nd[] | null = null;
  try {
    vals = interpret(g);
  } catch {
    /* invalid graphs have no candidates of this kind */
  }
  if (vals) {
    for (const i of ops.slice(0, -1)) {
      const nodes = g.nodes.slice();
      nodes[i] = { k: 'in', shape: vals[i]!.shape.slice(), data: Array.from(vals[i]!.data, Math.fround) };
      out.push(dce({ nodes, dseed: g.dseed }));
    }
  }
  return out.filter((c) => c.nodes.length < g.nodes.length || inputIds(c).length < inputIds(g).length);
}

async function shrinkGraph(g: Graph, fails: (g: Graph) => Promise<boolean>, budget: { n: number }): Promise<Graph> {
  let cur = g;
  for (let improved = true; improved && budget.n > 0; ) {
    improved = false;
    for (const c of candidates(cur)) {
      if (budget.n-- <= 0) break;
      if (!validGraph(c)) continue;
      if (await fails(c)) {
        cur = c;
        improved = true;
        break;
      }
    }
  }
  return cur;
}

/** Runs `prefix` then `g` on a fresh backend `b`; the mismatch of kind `kind` on g, if any. */
async function failsOn(b: Float32Backend | 'cpu64', prefix: Graph[], g: Graph, kind: string): Promise<Failure | null> {
  await init({ backend: 'cpu' });
  const ref = await tryRun(g, 'float64');
  if (b === 'cpu64') {
    const r = await cpuChecks(g, ref, await perturbedRefs(g));
    return r && kindOf(r) === kind ? { index: -1, backend: b, ...r } : null;
  }
  if (ref instanceof Error) return null;
  await init({ backend: b === 'webgpu' ? 'webgpu' : 'cpu' });
  for (const p of prefix) await tryRun(p, 'float32');
  const r = await tryRun(g, 'float32');
  if (r instanceof Error) return kind === 'error' ? { index: -1, backend: b, mismatches: [], error: r.message } : null;
  await init({ backend: 'cpu' });
  const pert = await perturbedRefs(g);
  const ms = compareResults(r, ref, g, 32, maxMagnitude(interpret(g)), pert).filter((m) => kindOf({ mismatches: [m] }) === kind);
  return ms.length ? { index: -1, backend: b, mismatches: ms } : null;
}

async function reproduce(seed: number, graphs: Graph[], f: Failure): Promise<string> {
  const kind = kindOf(f);
  let g = graphs[f.index]!;
  let prefix: Graph[] = [];
  let note = '';
  const budget = { n: 120 };
  if (!(await failsOn(f.backend, [], g, kind))) {
    // state-dependent: find one earlier graph of the run that makes it fail
    let found = false;
    for (let j = f.index - 1; j >= Math.max(0, f.index - 40) && !found; j--) {
      if (await failsOn(f.backend, [graphs[j]!], g, kind)) {
        prefix = [graphs[j]!];
        found = true;
      }
    }
    if (!found) {
      prefix = graphs.slice(0, f.index);
      note = `// NOT MINIMIZED: the failure needs the whole run before graph #${f.index}; run the fuzzer with seed ${seed}.\n`;
      if (!(await failsOn(f.backend, prefix, g, kind)))
        note = `// does not reproduce on a fresh backend (flaky?); reported mismatch: ${f.error ?? f.mismatches[0]!.worst}\n`;
      return note + renderRepro(seed, f, prefix, g, f);
    }
  }
  if (prefix.length <= 1) {
    g = await shrinkGraph(g, async (c) => (await failsOn(f.backend, prefix, c, kind)) !== null, budget);
    if (prefix.length === 1) prefix = [await shrinkGraph(prefix[0]!, async (c) => (await failsOn(f.backend, [c], g, kind)) !== null, budget)];
  }
  const last = (await failsOn(f.backend, prefix, g, kind)) ?? f;
  return note + renderRepro(seed, f, prefix, g, last);
}

export function formatReport(r: FuzzReport): string {
  const head = `fuzz seed ${r.seed}: ${r.graphs} graphs (${r.ops} ops), ${r.checks} checks, ${r.failures.length} failing graph/backend pairs, ${r.seconds.toFixed(1)} s`;
  const body = r.failures.map((f) => {
    const what = f.error !== undefined ? `error: ${f.error}` : f.mismatches.map((m) => `${m.check}: ${m.worst}`).join('\n    ');
    return `- graph #${f.index} on ${f.backend}:\n    ${what}${f.reproducer ? `\n\n${f.reproducer}\n` : ''}`;
  });
  return [head, ...body].join('\n');
}

export type { Results };
